/* gst-kmeans: point-stream caps (application/x-points, NNStreamer other/tensors, raw video and audio) and their parsing into a GstKMeansPointsInfo.
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_CAPS_H__
#define __GST_KMEANS_CAPS_H__

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include "kmeans.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- caps */

#define GST_KMEANS_POINTS_MEDIA_TYPE "application/x-points"
#define GST_KMEANS_ASSIGNMENTS_MEDIA_TYPE "application/x-kmeans-assignments"

#define GST_KMEANS_POINTS_CAPS \
    GST_KMEANS_POINTS_MEDIA_TYPE ", " \
    "format = (string) { F32LE, F64LE }, " \
    "dimensions = (int) [ 1, 65536 ]"

#define GST_KMEANS_TENSORS_CAPS \
    "other/tensors, format = (string) static, num_tensors = (int) 1, " \
    "types = (string) { float32, float64 }, " \
    "framerate = (fraction) [ 0, max ]"

/* What every point-consuming sink pad accepts. */
#define GST_KMEANS_POINTS_SINK_CAPS \
    GST_KMEANS_POINTS_CAPS "; " GST_KMEANS_TENSORS_CAPS

/* Raw video as points: every pixel is one.  Colour formats give 3-D
 * points, the pixel's R, G and B whatever the layout (alpha and padding
 * ignored); gray formats 1-D points, the gray level.  Values are on the
 * 0..255 scale of 8-bit video at every depth: formats of more than 8 bits
 * a component (10, 12, 16) are read through the video library's 16-bit
 * unpacking and divided by 257, so 0xffff is 255.0 and one model fits a
 * scene in any depth.  Every RGB and gray format of the video library,
 * packed or planar, except paletted RGB8P (its pixels are indices; see
 * gst_kmeans_video_format_is_supported()).  The eleven formats read
 * before (RGB ... GRAY8) come first, so negotiation prefers them as it
 * did.
 * Buffers are mapped with gst_video_frame_map(): a GstVideoMeta's strides
 * and plane offsets are honoured; a buffer without one has the caps'
 * default layout and exactly its size. */
#define GST_KMEANS_VIDEO_FORMATS \
    "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8, " \
    "RGB16, BGR16, RGB15, BGR15, r210, RGB10A2_LE, BGR10A2_LE, " \
    "ARGB64, ARGB64_LE, ARGB64_BE, RGBA64_LE, RGBA64_BE, " \
    "BGRA64_LE, BGRA64_BE, ABGR64_LE, ABGR64_BE, " \
    "RGBP, BGRP, GBR, GBRA, GBR_10LE, GBR_10BE, GBR_12LE, GBR_12BE, " \
    "GBRA_10LE, GBRA_10BE, GBRA_12LE, GBRA_12BE, " \
    "GRAY16_LE, GRAY16_BE, GRAY10_LE32 }"
#define GST_KMEANS_VIDEO_CAPS \
    "video/x-raw, format = (string) " GST_KMEANS_VIDEO_FORMATS ", " \
    "width = (int) [ 1, 32767 ], height = (int) [ 1, 32767 ], " \
    "framerate = (fraction) [ 0, max ]"

/* Raw audio as points: every audio frame is one, of `channels`
 * dimensions (channel positions play no part, so no channel-mask is
 * needed).  F32LE is read in place; S16LE is scaled by 1/32768 to
 * [-1, 1), so a model fits both. */
#define GST_KMEANS_AUDIO_CAPS \
    "audio/x-raw, format = (string) { F32LE, S16LE }, " \
    "layout = (string) interleaved, rate = (int) [ 1, max ], " \
    "channels = (int) [ 1, 65536 ]"

/* What kmeans-train, -assign, -score and -viz take: points or media. */
#define GST_KMEANS_MEDIA_SINK_CAPS \
    GST_KMEANS_POINTS_SINK_CAPS "; " GST_KMEANS_VIDEO_CAPS "; " \
    GST_KMEANS_AUDIO_CAPS

/* One assignment record: int32 cluster, float32 distance, little endian. */
typedef struct
{
  gint32 cluster;
  gfloat distance;
} GstKMeansAssignment;

G_STATIC_ASSERT (sizeof (GstKMeansAssignment) == 8);

typedef enum
{
  GST_KMEANS_SAMPLE_F32,
  GST_KMEANS_SAMPLE_F64,
  GST_KMEANS_SAMPLE_S16,        /* audio S16LE, scaled to [-1, 1) */
  GST_KMEANS_SAMPLE_U8,         /* video unpacked to 8 bits: 0..255 */
  GST_KMEANS_SAMPLE_U16         /* video unpacked to 16 bits, / 257 */
} GstKMeansSampleFormat;

typedef enum
{
  GST_KMEANS_MEDIA_POINTS,      /* application/x-points, other/tensors */
  GST_KMEANS_MEDIA_VIDEO,       /* video/x-raw: a pixel is a point */
  GST_KMEANS_MEDIA_AUDIO        /* audio/x-raw: an audio frame is a point */
} GstKMeansMedia;

/* Entries of a column selection after adjacent ones are merged
 * ("1-3,4,9" is 2): a selection that needs more is refused. */
#define GST_KMEANS_MAX_COLUMN_RUNS 64

/* Consecutive record columns first .. first + count - 1, taken in order. */
typedef struct
{
  guint first;
  guint count;
} GstKMeansColumnRun;

typedef struct
{
  guint dimensions;             /* D: values of a point (the model's) */
  GstKMeansSampleFormat format;
  gboolean is_tensors;          /* came as other/tensors */
  guint rows_per_buffer;        /* other/tensors: N from D:N; 0 = any */
  /* Zero for plain points, so { D, format } initialisers stay valid. */
  GstKMeansMedia media;
  const gchar *format_name;     /* caps format ("BGRx", "S16LE"); static */
  /* video/x-raw only: the caps' frame.  Its default layout is the one of
   * buffers without GstVideoMeta. */
  GstVideoInfo video;
  /* audio/x-raw only (unpositioned: positions play no part in points). */
  GstAudioInfo audio;
  /* A column selection (the elements' `columns`), zero for none: each
   * point is these runs of the record_dimensions values a record (a
   * point as it travels, an audio frame, a pixel's colour) holds, so
   * dimensions is the sum of their counts. */
  guint n_runs;
  GstKMeansColumnRun runs[GST_KMEANS_MAX_COLUMN_RUNS];
  guint record_dimensions;      /* valid when n_runs > 0 */
} GstKMeansPointsInfo;

/* Parses fixed caps of any accepted form (points, tensors, raw video,
 * raw audio).  FALSE with a user-readable @error on anything unsupported
 * (rank > 2 tensors, unknown type, D = 0, planar audio); @info is only
 * written on success. */
gboolean gst_kmeans_points_info_from_caps (GstKMeansPointsInfo * info,
    const GstCaps * caps, GError ** error);

/* Applies a column selection to @info parsed from caps: @spec lists
 * 0-based record columns and inclusive ranges, "1-3,7", taken in the
 * order given (so "2,0" swaps), none twice.  NULL or "" takes every
 * column.  FALSE with a user-readable @error for a malformed list, a
 * column listed twice (ranges that overlap) or past the record's
 * columns, naming them; @info is only written on success. */
gboolean gst_kmeans_points_info_select_columns (GstKMeansPointsInfo * info,
    const gchar * spec, GError ** error);

/* Values of one record as it travels: record_dimensions with a column
 * selection, else dimensions. */
guint gst_kmeans_points_info_record_values (const GstKMeansPointsInfo *
    info);

/* Bytes of one point as it travels (all values of its record, in the
 * sample format). */
gsize gst_kmeans_points_info_point_size (const GstKMeansPointsInfo * info);

/* Whole points in a buffer of @size bytes (a video buffer without
 * GstVideoMeta holds points only when it is exactly one default frame;
 * see gst_kmeans_points_buffer_count() for buffers that may have one). */
gsize gst_kmeans_points_info_count (const GstKMeansPointsInfo * info,
    gsize size);

/* video/x-raw: the points of a frame, width x height; 0 for other media. */
gsize gst_kmeans_points_info_frame_pixels (const GstKMeansPointsInfo * info);

/* The sample format as the caps name it: "F32LE", "float64" (tensors),
 * "S16LE", "BGRx", ... */
const gchar *gst_kmeans_points_info_format_name (const GstKMeansPointsInfo *
    info);

/* Whether kmeans reads pixels of @format as points: RGB or gray, packed
 * or planar, any depth, not paletted, with the video library's line
 * unpacking and packing.  GST_KMEANS_VIDEO_FORMATS lists exactly these. */
gboolean gst_kmeans_video_format_is_supported (GstVideoFormat format);

/* NNStreamer dimension string of one tensor: "D", "D:N", with trailing
 * ":1" / ":0" padding allowed ("D:N:1:1").  Exposed on its own so it can
 * be fuzzed. */
gboolean gst_kmeans_parse_tensor_dimensions (const gchar * str, guint * d,
    guint * n, GError ** error);

/* Fixed application/x-points caps for D float32 columns. */
GstCaps *gst_kmeans_points_caps_new (guint dimensions);

G_END_DECLS

#endif /* __GST_KMEANS_CAPS_H__ */

/* gst-kmeans: point-stream caps (application/x-points, NNStreamer other/tensors, raw video and audio) and their parsing into a GstKMeansPointsInfo.
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_CAPS_H__
#define __GST_KMEANS_CAPS_H__

#include <gst/gst.h>
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

/* Raw video as points: every pixel is one, its colour channels (R, G, B
 * whatever the byte order; alpha and padding ignored) or its GRAY8 value,
 * 0..255 as floats.  One packed frame per buffer with GStreamer's default
 * strides (rows padded to 4 bytes): a buffer of any other size is bad
 * input (GstVideoMeta strides are not read). */
#define GST_KMEANS_VIDEO_FORMATS \
    "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }"
#define GST_KMEANS_VIDEO_CAPS \
    "video/x-raw, format = (string) " GST_KMEANS_VIDEO_FORMATS ", " \
    "width = (int) [ 1, 32767 ], height = (int) [ 1, 32767 ], " \
    "framerate = (fraction) [ 0, max ]"

/* Raw audio as points: every audio frame is one, of `channels`
 * dimensions.  F32LE is read in place; S16LE is scaled by 1/32768 to
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
  GST_KMEANS_SAMPLE_U8          /* video pixels, 0..255 */
} GstKMeansSampleFormat;

typedef enum
{
  GST_KMEANS_MEDIA_POINTS,      /* application/x-points, other/tensors */
  GST_KMEANS_MEDIA_VIDEO,       /* video/x-raw: a pixel is a point */
  GST_KMEANS_MEDIA_AUDIO        /* audio/x-raw: an audio frame is a point */
} GstKMeansMedia;

typedef struct
{
  guint dimensions;             /* D */
  GstKMeansSampleFormat format;
  gboolean is_tensors;          /* came as other/tensors */
  guint rows_per_buffer;        /* other/tensors: N from D:N; 0 = any */
  /* Zero for plain points, so { D, format } initialisers stay valid. */
  GstKMeansMedia media;
  const gchar *format_name;     /* caps format ("BGRx", "S16LE"); static */
  /* video/x-raw only: the frame layout every buffer must have. */
  guint width, height;
  gsize stride;                 /* bytes per image row */
  guint pixel_stride;           /* bytes per pixel */
  guint channel_offset[3];      /* byte of R, G, B in a pixel (GRAY8: [0]) */
  gsize frame_size;             /* stride * height */
} GstKMeansPointsInfo;

/* Parses fixed caps of any accepted form (points, tensors, raw video,
 * raw audio).  FALSE with a user-readable @error on anything unsupported
 * (rank > 2 tensors, unknown type, D = 0, planar audio); @info is only
 * written on success. */
gboolean gst_kmeans_points_info_from_caps (GstKMeansPointsInfo * info,
    const GstCaps * caps, GError ** error);

/* Bytes of one point as it travels (D values of the sample format). */
gsize gst_kmeans_points_info_point_size (const GstKMeansPointsInfo * info);

/* Whole points in a buffer of @size bytes (a video buffer holds points
 * only when it is exactly one frame). */
gsize gst_kmeans_points_info_count (const GstKMeansPointsInfo * info,
    gsize size);

/* The sample format as the caps name it: "F32LE", "float64" (tensors),
 * "S16LE", "BGRx", ... */
const gchar *gst_kmeans_points_info_format_name (const GstKMeansPointsInfo *
    info);

/* NNStreamer dimension string of one tensor: "D", "D:N", with trailing
 * ":1" / ":0" padding allowed ("D:N:1:1").  Exposed on its own so it can
 * be fuzzed. */
gboolean gst_kmeans_parse_tensor_dimensions (const gchar * str, guint * d,
    guint * n, GError ** error);

/* Fixed application/x-points caps for D float32 columns. */
GstCaps *gst_kmeans_points_caps_new (guint dimensions);

G_END_DECLS

#endif /* __GST_KMEANS_CAPS_H__ */

/* gst-kmeans: glue shared by the elements (not an element itself).
 *
 * - point-stream caps and their parsing (application/x-points and
 *   NNStreamer's other/tensors),
 * - reading a buffer of points as float32 rows, with the bad-input policy,
 * - the in-band model event that kmeans-train sends downstream,
 * - a checkpoint file watched for replacement (kmeans-assign, -score, -viz),
 * - the enum GTypes used by properties.
 */
#ifndef __GST_KMEANS_ELEMENTS_H__
#define __GST_KMEANS_ELEMENTS_H__

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

/* ------------------------------------------------------- reading points */

typedef enum
{
  GST_KMEANS_ON_BAD_INPUT_ERROR,        /* post an error, stop the stream */
  GST_KMEANS_ON_BAD_INPUT_SKIP          /* count, log, drop the bad rows */
} GstKMeansOnBadInput;

GType gst_kmeans_on_bad_input_get_type (void);
#define GST_TYPE_KMEANS_ON_BAD_INPUT (gst_kmeans_on_bad_input_get_type ())

typedef struct
{
  gfloat *scratch;              /* reused conversion / filtering buffer */
  gsize scratch_rows;
  guint64 bad_rows;             /* rows with NaN/Inf dropped so far */
  guint64 bad_buffers;          /* buffers dropped whole (size not rows) */
  gsize last_bad_rows;          /* of the last buffer read: rows dropped */
  gsize last_first_bad_row;     /* ... and the index of the first one */
} GstKMeansPointsReader;

void gst_kmeans_points_reader_init (GstKMeansPointsReader * reader);
void gst_kmeans_points_reader_clear (GstKMeansPointsReader * reader);

typedef enum
{
  GST_KMEANS_READ_OK,
  GST_KMEANS_READ_PARTIAL_ROW,  /* size is not a whole number of rows */
  GST_KMEANS_READ_NON_FINITE    /* some rows had NaN or Inf */
} GstKMeansReadStatus;

/* Returns the float32 rows of @data (zero-copy when the input is F32 and
 * every value is finite; S16 audio and video pixels are converted, a
 * frame's pixels row by row), and their count in @n_rows.  Rows holding
 * NaN or Inf are left out and counted; a size that is not whole rows (for
 * video: not exactly one frame) yields no rows.  The status tells the caller what to report under its policy;
 * the reader's counters keep the totals. */
const gfloat *gst_kmeans_points_read (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, const guint8 * data, gsize size,
    gsize * n_rows, GstKMeansReadStatus * status);

/* Reports what the last gst_kmeans_points_read() found wrong with a
 * buffer of @size bytes, under @policy.  ERROR: posts a GST_ELEMENT_ERROR
 * naming the problem (which point, how many bytes) and returns FALSE.
 * SKIP: posts a warning message the first time (*warned) and logs every
 * later skip; returns TRUE.  *n_skipped gets the points left out: the bad
 * rows, or every row a partial-row buffer touched (a video buffer of the
 * wrong size: every pixel of the frame). */
gboolean gst_kmeans_points_report_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, GstKMeansOnBadInput policy,
    gboolean * warned, guint64 * n_skipped);

/* gst_kmeans_points_report_bad() for an element that keeps its
 * on-bad-input *@policy and its *@skipped_points count under its object
 * lock (kmeans-assign, -score, -viz). */
gboolean gst_kmeans_points_handle_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, const GstKMeansOnBadInput * policy,
    gboolean * warned, guint64 * skipped_points);

/* ------------------------------------------------------ the model event */

/* KmModel as a boxed type (ref / unref). */
GType gst_kmeans_model_get_type (void);
#define GST_TYPE_KMEANS_MODEL (gst_kmeans_model_get_type ())

#define GST_KMEANS_MODEL_EVENT_NAME "kmeans-model"

/* A serialized, sticky custom downstream event named "kmeans-model" with
 * fields: model (GstKMeansModel boxed), version (guint64), step
 * (guint64), clusters (guint), dimensions (guint), metric (string).
 * Sticky, so a downstream element linked late or after a flush still gets
 * the newest model before the next buffer. */
GstEvent *gst_kmeans_model_event_new (KmModel * model);

/* TRUE if @event is a model event; then *model is a new reference. */
gboolean gst_kmeans_model_event_parse (GstEvent * event, KmModel ** model);

/* ---------------------------------------------- watched checkpoint file */

typedef struct
{
  gchar *location;
  KmModel *model;
  guint64 file_id[4];           /* dev, ino, size, mtime of what was loaded */
  gint64 last_check;            /* monotonic us */
  gchar *last_error;            /* reported already; not repeated */
} GstKMeansModelFile;

void gst_kmeans_model_file_init (GstKMeansModelFile * mf);
void gst_kmeans_model_file_clear (GstKMeansModelFile * mf);
void gst_kmeans_model_file_set_location (GstKMeansModelFile * mf,
    const gchar * location);

/* Stats the file at most every @interval_us and reloads it when it was
 * replaced or changed.  Sets *reloaded when a new model was loaded.
 * FALSE with @error when the file exists but cannot be used (the old
 * model stays; that version of the file is not retried, a replacement
 * is).  A missing file is not an error until a model is needed. */
gboolean gst_kmeans_model_file_poll (GstKMeansModelFile * mf,
    gint64 interval_us, gboolean * reloaded, GError ** error);

/* What kmeans-assign, -score and -viz do with their model-location at
 * start: watch @location (nothing to do when NULL or empty) and load it
 * now.  FALSE after posting an error when the file exists but cannot be
 * read.  Otherwise TRUE, with *model the loaded model (a new reference;
 * "kmeans-model-loaded" posted), or NULL while there is no file yet. */
gboolean gst_kmeans_model_file_start (GstKMeansModelFile * mf,
    GstElement * element, const gchar * location, KmModel ** model);

/* What kmeans-assign, -score and -viz do with a watched file while
 * running: polls it at most every @interval (ns); on a (re)load posts the
 * "kmeans-model-loaded" element message and returns the new model (a new
 * reference) for the element to put in force; on a file that cannot be
 * used posts a warning, once per distinct problem, and returns NULL (the
 * current model stays). */
KmModel *gst_kmeans_model_file_update (GstKMeansModelFile * mf,
    GstElement * element, GstClockTime interval);

/* FALSE after posting an error when @model is not of the stream's
 * @dimensions. */
gboolean gst_kmeans_model_check_dimensions (GstElement * element,
    KmModel * model, guint dimensions);

/* Posts "kmeans-model-loaded": location (string), model-version, step
 * (guint64), clusters, dimensions (guint). */
void gst_kmeans_post_model_loaded (GstElement * element,
    const gchar * location, KmModel * model);

/* ---------------------------------------------------- property enums */

GType gst_kmeans_metric_get_type (void);        /* KmMetric */
#define GST_TYPE_KMEANS_METRIC (gst_kmeans_metric_get_type ())
GType gst_kmeans_init_get_type (void);  /* KmInit: random, kmeans++, file */
#define GST_TYPE_KMEANS_INIT (gst_kmeans_init_get_type ())
GType gst_kmeans_time_unit_get_type (void);     /* KmTimeUnit */
#define GST_TYPE_KMEANS_TIME_UNIT (gst_kmeans_time_unit_get_type ())

/* What kmeans-assign / kmeans-score do with points before any model. */
typedef enum
{
  GST_KMEANS_NO_MODEL_DROP,
  GST_KMEANS_NO_MODEL_ERROR
} GstKMeansNoModel;

GType gst_kmeans_no_model_get_type (void);
#define GST_TYPE_KMEANS_NO_MODEL (gst_kmeans_no_model_get_type ())

/* Appends centers to @value, which must already hold GST_TYPE_ARRAY (as
 * a get_property value of a gst_param_spec_array does): one row per
 * center, each a GstValueArray of doubles. */
void gst_kmeans_value_set_centers (GValue * value, const gfloat * centers,
    guint k, guint d);
/* Appends doubles to @value (GST_TYPE_ARRAY). */
void gst_kmeans_value_set_doubles (GValue * value, const gdouble * v,
    guint n);

/* A number of any type that converts to a double; FALSE unless it does
 * and is finite. */
gboolean gst_kmeans_value_get_double (const GValue * value, gdouble * out);

/* The reverse of gst_kmeans_value_set_centers: flattens @value's rows of
 * numbers into *centers, k*d floats (NULL for no rows; g_free).  At most
 * @max_rows rows, KM_MAX_DIMENSIONS columns and @max_floats values.  FALSE
 * for ragged or too large rows or a value that is not a finite number:
 * then *bad_row is the row at fault, *bad_column its value at fault or
 * G_MAXUINT when the row as a whole is (for the caller's message). */
gboolean gst_kmeans_value_get_centers (const GValue * value, guint max_rows,
    guint64 max_floats, gfloat ** centers, guint * k, guint * d,
    guint * bad_row, guint * bad_column);

G_END_DECLS

#endif /* __GST_KMEANS_ELEMENTS_H__ */

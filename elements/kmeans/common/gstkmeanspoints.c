/* gst-kmeans: reading a buffer of points as float32 rows, and the bad-input policy.
 *
 * See gstkmeanspoints.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstkmeanspoints.h"

/* Points travel little endian; the zero-copy path reads them as they are. */
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "gst-kmeans reads F32LE/F64LE points in place: little-endian hosts only"
#endif

#define KM_GERROR(error, ...) \
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, __VA_ARGS__)

/* ---------------------------------------------------------- reading points */

void
gst_kmeans_points_reader_init (GstKMeansPointsReader * reader)
{
  memset (reader, 0, sizeof (*reader));
}

void
gst_kmeans_points_reader_clear (GstKMeansPointsReader * reader)
{
  g_free (reader->scratch);
  memset (reader, 0, sizeof (*reader));
}

static gfloat *
reader_scratch (GstKMeansPointsReader * reader, gsize rows, guint d)
{
  if (rows > reader->scratch_rows) {
    g_free (reader->scratch);
    reader->scratch = g_new (gfloat, rows * d);
    reader->scratch_rows = rows;
  }
  return reader->scratch;
}

/* A float is Inf or NaN exactly when its exponent bits are all ones.
 * Branch-free so the loop vectorises; cloned for wider vectors, since
 * every buffer of every element goes through it. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
__attribute__((target_clones ("avx512f", "avx2", "default")))
#endif
     static gboolean f32_all_finite (const gfloat * v, gsize n)
{
  guint32 bad = 0;
  gsize i;

  for (i = 0; i < n; i++) {
    guint32 bits;

    memcpy (&bits, &v[i], sizeof (bits));
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  return bad == 0;
}

static void
note_bad_row (GstKMeansPointsReader * reader, gsize row)
{
  if (reader->last_bad_rows++ == 0)
    reader->last_first_bad_row = row;
}

/* Copies the finite rows of @src to @dst; returns how many. */
static gsize
f32_keep_finite_rows (GstKMeansPointsReader * reader, const gfloat * src,
    gsize rows, guint d, gfloat * dst)
{
  gsize r, kept = 0;

  for (r = 0; r < rows; r++) {
    const gfloat *row = src + r * d;

    if (f32_all_finite (row, d)) {
      memmove (dst + kept * d, row, d * sizeof (gfloat));
      kept++;
    } else {
      note_bad_row (reader, r);
    }
  }
  return kept;
}

/* Converts F64 rows to float32, leaving out rows that are not finite in
 * float32 (including finite doubles beyond FLT_MAX). */
static gsize
f64_to_finite_f32_rows (GstKMeansPointsReader * reader, const guint8 * src,
    gsize rows, guint d, gfloat * dst)
{
  gsize r, kept = 0;
  guint j;

  for (r = 0; r < rows; r++) {
    gfloat *out = dst + kept * d;
    const guint8 *row = src + r * d * sizeof (gdouble);

    for (j = 0; j < d; j++) {
      gdouble v;

      memcpy (&v, row + j * sizeof (gdouble), sizeof (v));
      out[j] = (gfloat) v;
    }
    if (f32_all_finite (out, d))
      kept++;
    else
      note_bad_row (reader, r);
  }
  return kept;
}

/* S16 samples scaled to [-1, 1), like audioconvert does.  Read bytewise:
 * a buffer need not be aligned, and GST_READ_UINT16_LE loads a word. */
static void
s16_to_f32 (const guint8 * src, gsize n, gfloat * dst)
{
  gsize i;

  for (i = 0; i < n; i++)
    dst[i] = (gint16) (src[2 * i] | (src[2 * i + 1] << 8)) * (1.0f / 32768.0f);
}

/* The colour channels of every pixel of one frame, row by row. */
static void
video_frame_to_f32 (const GstKMeansPointsInfo * info, const guint8 * frame,
    gfloat * dst)
{
  guint x, y, c, d = info->dimensions, ps = info->pixel_stride;

  for (y = 0; y < info->height; y++) {
    const guint8 *px = frame + y * info->stride;

    for (x = 0; x < info->width; x++, px += ps, dst += d)
      for (c = 0; c < d; c++)
        dst[c] = px[info->channel_offset[c]];
  }
}

/* Media that always need converting, and can hold no NaN or Inf. */
static const gfloat *
read_integer_samples (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, const guint8 * data, gsize size,
    gsize * n_rows, GstKMeansReadStatus * status)
{
  gsize rows = gst_kmeans_points_info_count (info, size);
  gfloat *dst;

  if (info->media == GST_KMEANS_MEDIA_VIDEO ? rows == 0 :
      size % gst_kmeans_points_info_point_size (info) != 0) {
    reader->bad_buffers++;
    *status = GST_KMEANS_READ_PARTIAL_ROW;
    return NULL;
  }
  if (rows == 0)
    return NULL;

  dst = reader_scratch (reader, rows, info->dimensions);
  if (info->media == GST_KMEANS_MEDIA_VIDEO)
    video_frame_to_f32 (info, data, dst);
  else
    s16_to_f32 (data, rows * info->dimensions, dst);
  *n_rows = rows;
  return dst;
}

const gfloat *
gst_kmeans_points_read (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, const guint8 * data, gsize size,
    gsize * n_rows, GstKMeansReadStatus * status)
{
  gsize value_size, row_size, rows, kept;
  guint d;
  gfloat *dst;

  g_return_val_if_fail (reader != NULL && info != NULL, NULL);
  g_return_val_if_fail (n_rows != NULL && status != NULL, NULL);

  d = info->dimensions;
  value_size = info->format == GST_KMEANS_SAMPLE_F32 ? 4 : 8;
  row_size = value_size * d;
  *n_rows = 0;
  *status = GST_KMEANS_READ_OK;
  reader->last_bad_rows = 0;
  reader->last_first_bad_row = 0;

  if (info->format == GST_KMEANS_SAMPLE_S16
      || info->format == GST_KMEANS_SAMPLE_U8)
    return read_integer_samples (reader, info, data, size, n_rows, status);

  if (row_size == 0 || size % row_size != 0) {
    reader->bad_buffers++;
    *status = GST_KMEANS_READ_PARTIAL_ROW;
    return NULL;
  }
  rows = size / row_size;
  if (rows == 0)
    return NULL;

  if (info->format == GST_KMEANS_SAMPLE_F32) {
    gboolean aligned = ((guintptr) data % G_ALIGNOF (gfloat)) == 0;

    /* The common case: read the buffer in place. */
    if (aligned && f32_all_finite ((const gfloat *) data, rows * d)) {
      *n_rows = rows;
      return (const gfloat *) data;
    }
    dst = reader_scratch (reader, rows, d);
    memcpy (dst, data, size);
    kept = f32_keep_finite_rows (reader, dst, rows, d, dst);
  } else {
    dst = reader_scratch (reader, rows, d);
    kept = f64_to_finite_f32_rows (reader, data, rows, d, dst);
  }

  if (kept < rows) {
    reader->bad_rows += rows - kept;
    *status = GST_KMEANS_READ_NON_FINITE;
  }
  *n_rows = kept;
  return kept > 0 ? dst : NULL;
}

const gchar *
gst_kmeans_points_info_format_name (const GstKMeansPointsInfo * info)
{
  if (info->format_name)
    return info->format_name;
  if (info->is_tensors)
    return info->format == GST_KMEANS_SAMPLE_F32 ? "float32" : "float64";
  return info->format == GST_KMEANS_SAMPLE_F32 ? "F32LE" : "F64LE";
}

gboolean
gst_kmeans_points_report_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, GstKMeansOnBadInput policy,
    gboolean * warned, guint64 * n_skipped)
{
  gsize row = gst_kmeans_points_info_point_size (info);
  gboolean partial = status == GST_KMEANS_READ_PARTIAL_ROW;
  gboolean video = info->media == GST_KMEANS_MEDIA_VIDEO;

  *n_skipped = partial ? (size + row - 1) / row : reader->last_bad_rows;
  if (partial && video)
    *n_skipped = (gsize) info->width * info->height;

  if (policy == GST_KMEANS_ON_BAD_INPUT_ERROR) {
    if (partial && video)
      GST_ELEMENT_ERROR (element, STREAM, FORMAT,
          ("video buffer of %" G_GSIZE_FORMAT " bytes is not one %ux%u %s "
              "frame (%" G_GSIZE_FORMAT " bytes)", size, info->width,
              info->height, info->format_name, info->frame_size),
          ("frames are read with default strides (%" G_GSIZE_FORMAT " bytes "
              "a row); padded or GstVideoMeta strides are not supported",
              info->stride));
    else if (partial)
      GST_ELEMENT_ERROR (element, STREAM, FORMAT,
          ("buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of "
              "%u-dimensional %s points (%" G_GSIZE_FORMAT " bytes each)",
              size, info->dimensions, gst_kmeans_points_info_format_name (info),
              row),
          ("%" G_GSIZE_FORMAT " bytes left over after %" G_GSIZE_FORMAT
              " points", size % row, size / row));
    else
      GST_ELEMENT_ERROR (element, STREAM, FORMAT,
          ("point %" G_GSIZE_FORMAT " of the buffer has a NaN/Inf value",
              reader->last_first_bad_row),
          ("%" G_GSIZE_FORMAT " of the %" G_GSIZE_FORMAT " points of the "
              "buffer hold NaN or Inf (points counted from 0)",
              reader->last_bad_rows, size / row));
    return FALSE;
  }

  if (!*warned) {
    *warned = TRUE;
    GST_ELEMENT_WARNING (element, STREAM, FORMAT,
        ("Skipping bad points (partial rows, NaN or Inf)."),
        ("skipped %" G_GUINT64_FORMAT " points; further skips are only "
            "logged and counted in skipped-points", *n_skipped));
  } else {
    GST_WARNING_OBJECT (element, "skipped %" G_GUINT64_FORMAT " bad points "
        "(%s)", *n_skipped, partial ? "partial row" : "NaN/Inf");
  }
  return TRUE;
}

gboolean
gst_kmeans_points_handle_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, const GstKMeansOnBadInput * policy,
    gboolean * warned, guint64 * skipped_points)
{
  GstKMeansOnBadInput p;
  guint64 skipped;

  GST_OBJECT_LOCK (element);
  p = *policy;
  GST_OBJECT_UNLOCK (element);

  if (!gst_kmeans_points_report_bad (element, reader, info, status, size, p,
          warned, &skipped))
    return FALSE;

  GST_OBJECT_LOCK (element);
  *skipped_points += skipped;
  GST_OBJECT_UNLOCK (element);
  return TRUE;
}

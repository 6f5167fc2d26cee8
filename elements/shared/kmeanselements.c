/* gst-kmeans: glue shared by the elements.
 *
 * See kmeanselements.h for what lives here and why.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "kmeanselements.h"

/* Points travel little endian; the zero-copy path reads them as they are. */
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "gst-kmeans reads F32LE/F64LE points in place: little-endian hosts only"
#endif

#define KM_GERROR(error, ...) \
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, __VA_ARGS__)

/* ------------------------------------------------------------------ caps */

static gboolean
parse_dimension_part (const gchar * part, guint64 * value)
{
  return g_ascii_string_to_unsigned (part, 10, 0, G_MAXUINT32, value, NULL);
}

gboolean
gst_kmeans_parse_tensor_dimensions (const gchar * str, guint * d, guint * n,
    GError ** error)
{
  gchar **parts;
  guint64 value[16];
  guint i, count;
  gboolean ok = FALSE;

  g_return_val_if_fail (d != NULL && n != NULL, FALSE);

  if (str == NULL || *str == '\0') {
    KM_GERROR (error, "tensor dimensions are empty");
    return FALSE;
  }
  /* ',' and '.' separate tensors: we take exactly one. */
  if (strpbrk (str, ",.") != NULL) {
    KM_GERROR (error, "tensor dimensions \"%s\" describe more than one "
        "tensor; only num_tensors=1 is supported", str);
    return FALSE;
  }

  parts = g_strsplit (str, ":", -1);
  count = g_strv_length (parts);
  if (count > G_N_ELEMENTS (value)) {
    KM_GERROR (error, "tensor dimensions \"%s\" have rank %u, more than 16",
        str, count);
    goto done;
  }
  for (i = 0; i < count; i++) {
    if (!parse_dimension_part (g_strstrip (parts[i]), &value[i])) {
      KM_GERROR (error, "tensor dimensions \"%s\": part %u (\"%s\") is not "
          "a whole number", str, i + 1, parts[i]);
      goto done;
    }
  }
  if (value[0] == 0 || value[0] > KM_MAX_DIMENSIONS) {
    KM_GERROR (error, "tensor dimensions \"%s\": point dimension %"
        G_GUINT64_FORMAT " is outside 1..%u", str, value[0], KM_MAX_DIMENSIONS);
    goto done;
  }
  /* Trailing parts are NNStreamer's rank padding: only 1 or 0 is a
   * point stream; anything else is a higher-rank tensor. */
  for (i = 2; i < count; i++) {
    if (value[i] > 1) {
      KM_GERROR (error, "tensor dimensions \"%s\" have rank %u; points must "
          "be D or D:N (trailing :1 padding allowed)", str, count);
      goto done;
    }
  }
  *d = (guint) value[0];
  *n = count > 1 ? (guint) value[1] : 1;
  ok = TRUE;

done:
  g_strfreev (parts);
  return ok;
}

static gboolean
points_info_from_x_points (GstKMeansPointsInfo * info,
    const GstStructure * s, GError ** error)
{
  const gchar *format = gst_structure_get_string (s, "format");
  gint dims = 0;

  if (g_strcmp0 (format, "F32LE") == 0)
    info->format = GST_KMEANS_SAMPLE_F32;
  else if (g_strcmp0 (format, "F64LE") == 0)
    info->format = GST_KMEANS_SAMPLE_F64;
  else {
    KM_GERROR (error, "unsupported point format \"%s\" (F32LE or F64LE)",
        GST_STR_NULL (format));
    return FALSE;
  }
  if (!gst_structure_get_int (s, "dimensions", &dims) || dims < 1
      || (guint) dims > KM_MAX_DIMENSIONS) {
    KM_GERROR (error, "point caps need dimensions in 1..%u", KM_MAX_DIMENSIONS);
    return FALSE;
  }
  info->dimensions = dims;
  info->is_tensors = FALSE;
  info->rows_per_buffer = 0;
  return TRUE;
}

static gboolean
points_info_from_tensors (GstKMeansPointsInfo * info,
    const GstStructure * s, GError ** error)
{
  const gchar *format = gst_structure_get_string (s, "format");
  const gchar *types = gst_structure_get_string (s, "types");
  const gchar *dims = gst_structure_get_string (s, "dimensions");
  gint num_tensors = 1;
  guint d, n;

  if (format != NULL && strcmp (format, "static") != 0) {
    KM_GERROR (error, "other/tensors format \"%s\" is not supported; use "
        "format=static", format);
    return FALSE;
  }
  if (gst_structure_has_field (s, "num_tensors")
      && (!gst_structure_get_int (s, "num_tensors", &num_tensors)
          || num_tensors != 1)) {
    KM_GERROR (error, "other/tensors with num_tensors=%d; only one tensor "
        "of points is supported", num_tensors);
    return FALSE;
  }
  if (g_strcmp0 (types, "float32") == 0)
    info->format = GST_KMEANS_SAMPLE_F32;
  else if (g_strcmp0 (types, "float64") == 0)
    info->format = GST_KMEANS_SAMPLE_F64;
  else {
    KM_GERROR (error, "other/tensors type \"%s\" is not supported (float32 "
        "or float64)", GST_STR_NULL (types));
    return FALSE;
  }
  if (dims == NULL && gst_structure_has_field (s, "dimensions")) {
    /* gst-launch reads an unquoted "4:32" as a flagset and loses it. */
    KM_GERROR (error, "other/tensors dimensions must be a string; write "
        "dimensions=(string)D:N in the caps");
    return FALSE;
  }
  if (!gst_kmeans_parse_tensor_dimensions (dims, &d, &n, error))
    return FALSE;
  info->dimensions = d;
  info->is_tensors = TRUE;
  info->rows_per_buffer = n;
  return TRUE;
}

/* Packed formats whose pixels are points: bytes per pixel and where R,
 * G and B sit in one, so that dimension 0 is red whatever the order. */
typedef struct
{
  const gchar *name;
  guint pixel_stride;
  guint channels;
  guint offset[3];
} VideoFormatLayout;

static const VideoFormatLayout video_layouts[] = {
  {"RGB", 3, 3, {0, 1, 2}},
  {"BGR", 3, 3, {2, 1, 0}},
  {"RGBx", 4, 3, {0, 1, 2}},
  {"RGBA", 4, 3, {0, 1, 2}},
  {"BGRx", 4, 3, {2, 1, 0}},
  {"BGRA", 4, 3, {2, 1, 0}},
  {"xRGB", 4, 3, {1, 2, 3}},
  {"ARGB", 4, 3, {1, 2, 3}},
  {"xBGR", 4, 3, {3, 2, 1}},
  {"ABGR", 4, 3, {3, 2, 1}},
  {"GRAY8", 1, 1, {0, 0, 0}},
};

static gboolean
points_info_from_video (GstKMeansPointsInfo * info, const GstStructure * s,
    GError ** error)
{
  const gchar *format = gst_structure_get_string (s, "format");
  const VideoFormatLayout *layout = NULL;
  gint width = 0, height = 0;
  guint i;

  for (i = 0; format && i < G_N_ELEMENTS (video_layouts); i++)
    if (strcmp (format, video_layouts[i].name) == 0)
      layout = &video_layouts[i];
  if (layout == NULL) {
    KM_GERROR (error, "video format \"%s\" is not supported (packed RGB "
        "family or GRAY8)", GST_STR_NULL (format));
    return FALSE;
  }
  if (!gst_structure_get_int (s, "width", &width)
      || !gst_structure_get_int (s, "height", &height)
      || width < 1 || height < 1 || width > G_MAXINT16 || height > G_MAXINT16) {
    KM_GERROR (error, "video caps need width and height in 1..%d", G_MAXINT16);
    return FALSE;
  }
  /* The reader converts a whole frame at once. */
  if ((guint64) width * height * layout->channels > KM_MAX_MODEL_FLOATS) {
    KM_GERROR (error, "video frames of %dx%d are too large to read as "
        "points", width, height);
    return FALSE;
  }

  info->media = GST_KMEANS_MEDIA_VIDEO;
  info->format = GST_KMEANS_SAMPLE_U8;
  info->format_name = layout->name;
  info->dimensions = layout->channels;
  info->width = width;
  info->height = height;
  info->pixel_stride = layout->pixel_stride;
  memcpy (info->channel_offset, layout->offset, sizeof (layout->offset));
  /* GstVideoInfo's default for packed formats: rows padded to 4 bytes. */
  info->stride = GST_ROUND_UP_4 ((gsize) width * layout->pixel_stride);
  info->frame_size = info->stride * height;
  return TRUE;
}

static gboolean
points_info_from_audio (GstKMeansPointsInfo * info, const GstStructure * s,
    GError ** error)
{
  const gchar *format = gst_structure_get_string (s, "format");
  const gchar *layout = gst_structure_get_string (s, "layout");
  gint channels = 0, rate = 0;

  if (g_strcmp0 (format, "F32LE") == 0) {
    info->format = GST_KMEANS_SAMPLE_F32;
    info->format_name = "F32LE";
  } else if (g_strcmp0 (format, "S16LE") == 0) {
    info->format = GST_KMEANS_SAMPLE_S16;
    info->format_name = "S16LE";
  } else {
    KM_GERROR (error, "audio format \"%s\" is not supported (F32LE or "
        "S16LE)", GST_STR_NULL (format));
    return FALSE;
  }
  if (g_strcmp0 (layout, "interleaved") != 0) {
    KM_GERROR (error, "audio layout \"%s\" is not supported: an audio frame "
        "is a point only when interleaved", GST_STR_NULL (layout));
    return FALSE;
  }
  if (!gst_structure_get_int (s, "rate", &rate) || rate < 1
      || !gst_structure_get_int (s, "channels", &channels) || channels < 1
      || (guint) channels > KM_MAX_DIMENSIONS) {
    KM_GERROR (error, "audio caps need a rate and channels in 1..%u",
        KM_MAX_DIMENSIONS);
    return FALSE;
  }
  info->media = GST_KMEANS_MEDIA_AUDIO;
  info->dimensions = channels;
  return TRUE;
}

gboolean
gst_kmeans_points_info_from_caps (GstKMeansPointsInfo * info,
    const GstCaps * caps, GError ** error)
{
  GstKMeansPointsInfo parsed = { 0, };
  const GstStructure *s;
  gboolean ok;

  g_return_val_if_fail (info != NULL, FALSE);

  if (caps == NULL || gst_caps_get_size (caps) != 1
      || !gst_caps_is_fixed (caps)) {
    KM_GERROR (error, "point caps must be fixed");
    return FALSE;
  }
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_name (s, GST_KMEANS_POINTS_MEDIA_TYPE))
    ok = points_info_from_x_points (&parsed, s, error);
  else if (gst_structure_has_name (s, "other/tensors"))
    ok = points_info_from_tensors (&parsed, s, error);
  else if (gst_structure_has_name (s, "video/x-raw"))
    ok = points_info_from_video (&parsed, s, error);
  else if (gst_structure_has_name (s, "audio/x-raw"))
    ok = points_info_from_audio (&parsed, s, error);
  else {
    KM_GERROR (error, "\"%s\" is not a point stream",
        gst_structure_get_name (s));
    return FALSE;
  }
  if (ok)
    *info = parsed;
  return ok;
}

static gsize
point_bytes (const GstKMeansPointsInfo * info)
{
  static const guint value_bytes[] = { 4, 8, 2, 1 };

  return (gsize) info->dimensions * value_bytes[info->format];
}

gsize
gst_kmeans_points_info_count (const GstKMeansPointsInfo * info, gsize size)
{
  g_return_val_if_fail (info != NULL && info->dimensions > 0, 0);

  if (info->media == GST_KMEANS_MEDIA_VIDEO)
    return size == info->frame_size ? (gsize) info->width * info->height : 0;
  return size / point_bytes (info);
}

GstCaps *
gst_kmeans_points_caps_new (guint dimensions)
{
  return gst_caps_new_simple (GST_KMEANS_POINTS_MEDIA_TYPE,
      "format", G_TYPE_STRING, "F32LE",
      "dimensions", G_TYPE_INT, (gint) dimensions, NULL);
}

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
      size % point_bytes (info) != 0) {
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
  gsize row = point_bytes (info);
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

/* ---------------------------------------------------------- model event */

/* Types are looked up by name before registering: the test programs link
 * this file next to the loaded plugin, and a second registration of the
 * same name would fail. */
static GType
register_boxed_once (const gchar * name, GBoxedCopyFunc copy,
    GBoxedFreeFunc free_func)
{
  GType t = g_type_from_name (name);

  return t ? t : g_boxed_type_register_static (name, copy, free_func);
}

GType
gst_kmeans_model_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    GType t = register_boxed_once ("GstKMeansModel",
        (GBoxedCopyFunc) km_model_ref, (GBoxedFreeFunc) km_model_unref);
    g_once_init_leave (&type, t);
  }
  return type;
}

static const gchar *
metric_nick (KmMetric metric)
{
  return metric == KM_METRIC_COSINE ? "cosine" : "squared-euclidean";
}

GstEvent *
gst_kmeans_model_event_new (KmModel * model)
{
  GstStructure *s;

  g_return_val_if_fail (model != NULL, NULL);

  s = gst_structure_new (GST_KMEANS_MODEL_EVENT_NAME,
      "model", GST_TYPE_KMEANS_MODEL, model,
      "version", G_TYPE_UINT64, km_model_get_version (model),
      "step", G_TYPE_UINT64, km_model_get_step (model),
      "clusters", G_TYPE_UINT, km_model_get_k (model),
      "dimensions", G_TYPE_UINT, km_model_get_d (model),
      "metric", G_TYPE_STRING, metric_nick (km_model_get_metric (model)), NULL);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

gboolean
gst_kmeans_model_event_parse (GstEvent * event, KmModel ** model)
{
  const GstStructure *s;

  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);
  g_return_val_if_fail (model != NULL, FALSE);

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY
      || !gst_event_has_name (event, GST_KMEANS_MODEL_EVENT_NAME))
    return FALSE;

  s = gst_event_get_structure (event);
  *model = NULL;
  return gst_structure_get (s, "model", GST_TYPE_KMEANS_MODEL, model, NULL)
      && *model != NULL;
}

/* ------------------------------------------------- watched checkpoint file */

void
gst_kmeans_model_file_init (GstKMeansModelFile * mf)
{
  memset (mf, 0, sizeof (*mf));
}

void
gst_kmeans_model_file_clear (GstKMeansModelFile * mf)
{
  g_free (mf->location);
  g_free (mf->last_error);
  if (mf->model)
    km_model_unref (mf->model);
  memset (mf, 0, sizeof (*mf));
}

void
gst_kmeans_model_file_set_location (GstKMeansModelFile * mf,
    const gchar * location)
{
  gchar *old = mf->location;

  mf->location = g_strdup (location);
  g_free (old);
  memset (mf->file_id, 0, sizeof (mf->file_id));
  mf->last_check = 0;
}

static void
file_identity (const struct stat *st, guint64 id[4])
{
  id[0] = st->st_dev;
  id[1] = st->st_ino;
  id[2] = st->st_size;
  id[3] = (guint64) st->st_mtim.tv_sec * G_GUINT64_CONSTANT (1000000000)
      + st->st_mtim.tv_nsec;
}

gboolean
gst_kmeans_model_file_poll (GstKMeansModelFile * mf, gint64 interval_us,
    gboolean * reloaded, GError ** error)
{
  struct stat st;
  guint64 id[4];
  gint64 now;
  KmModel *model;

  g_return_val_if_fail (mf != NULL && reloaded != NULL, FALSE);

  *reloaded = FALSE;
  if (mf->location == NULL)
    return TRUE;

  now = g_get_monotonic_time ();
  if (mf->last_check != 0 && now - mf->last_check < interval_us)
    return TRUE;
  mf->last_check = now;

  if (stat (mf->location, &st) != 0) {
    if (errno == ENOENT)
      return TRUE;
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "cannot read model file \"%s\": %s", mf->location, g_strerror (errno));
    return FALSE;
  }

  file_identity (&st, id);
  if (memcmp (id, mf->file_id, sizeof (id)) == 0)
    return TRUE;
  /* Remember this version even if it fails to load, so a broken file is
   * reported once, not on every buffer; a fixed replacement is new again. */
  memcpy (mf->file_id, id, sizeof (id));

  model = km_checkpoint_load_model (mf->location, error);
  if (model == NULL)
    return FALSE;

  if (mf->model)
    km_model_unref (mf->model);
  mf->model = model;
  *reloaded = TRUE;
  return TRUE;
}

void
gst_kmeans_post_model_loaded (GstElement * element, const gchar * location,
    KmModel * model)
{
  GstStructure *s;

  s = gst_structure_new ("kmeans-model-loaded",
      "location", G_TYPE_STRING, location,
      "model-version", G_TYPE_UINT64, km_model_get_version (model),
      "step", G_TYPE_UINT64, km_model_get_step (model),
      "clusters", G_TYPE_UINT, km_model_get_k (model),
      "dimensions", G_TYPE_UINT, km_model_get_d (model), NULL);
  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

gboolean
gst_kmeans_model_file_start (GstKMeansModelFile * mf, GstElement * element,
    const gchar * location, KmModel ** model)
{
  GError *err = NULL;
  gboolean reloaded = FALSE;

  *model = NULL;
  if (location == NULL || *location == '\0')
    return TRUE;

  gst_kmeans_model_file_set_location (mf, location);
  if (!gst_kmeans_model_file_poll (mf, 0, &reloaded, &err)) {
    GST_ELEMENT_ERROR (element, RESOURCE, READ,
        ("Could not read the k-means checkpoint \"%s\".", location),
        ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  if (!reloaded || mf->model == NULL) {
    GST_INFO_OBJECT (element, "no checkpoint at %s yet", location);
    return TRUE;
  }
  gst_kmeans_post_model_loaded (element, location, mf->model);
  *model = km_model_ref (mf->model);
  return TRUE;
}

gboolean
gst_kmeans_model_check_dimensions (GstElement * element, KmModel * model,
    guint dimensions)
{
  guint d = km_model_get_d (model);

  if (d == dimensions)
    return TRUE;

  GST_ELEMENT_ERROR (element, STREAM, FORMAT,
      ("The k-means model has %u dimensions but the points have %u.",
          d, dimensions),
      ("model version %" G_GUINT64_FORMAT " is %u-dimensional, the stream "
          "%u-dimensional", km_model_get_version (model), d, dimensions));
  return FALSE;
}

KmModel *
gst_kmeans_model_file_update (GstKMeansModelFile * mf, GstElement * element,
    GstClockTime interval)
{
  GError *err = NULL;
  gboolean reloaded = FALSE;

  if (mf->location == NULL)
    return NULL;

  if (!gst_kmeans_model_file_poll (mf,
          (gint64) MIN (interval / GST_USECOND, G_MAXINT64), &reloaded, &err)) {
    if (g_strcmp0 (err->message, mf->last_error) != 0) {
      GST_ELEMENT_WARNING (element, RESOURCE, READ,
          ("Could not reload the k-means checkpoint \"%s\"; keeping the "
              "current model.", mf->location), ("%s", err->message));
      g_free (mf->last_error);
      mf->last_error = g_strdup (err->message);
    }
    g_clear_error (&err);
    return NULL;
  }
  if (!reloaded || mf->model == NULL)
    return NULL;

  g_clear_pointer (&mf->last_error, g_free);
  gst_kmeans_post_model_loaded (element, mf->location, mf->model);
  return km_model_ref (mf->model);
}

/* ------------------------------------------------------------ enum types */

#define DEFINE_ENUM_TYPE(func, TypeName, values)                        \
GType                                                                   \
func (void)                                                             \
{                                                                       \
  static gsize type = 0;                                                \
  if (g_once_init_enter (&type)) {                                      \
    GType t = g_type_from_name (TypeName);                              \
    if (t == 0)                                                         \
      t = g_enum_register_static (TypeName, values);                    \
    g_once_init_leave (&type, t);                                       \
  }                                                                     \
  return type;                                                          \
}

static const GEnumValue metric_values[] = {
  {KM_METRIC_SQUARED_EUCLIDEAN, "Squared Euclidean distance ||x - c||^2",
      "squared-euclidean"},
  {KM_METRIC_COSINE, "Cosine distance 1 - cos(x, c) on L2-normalised points",
      "cosine"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_metric_get_type, "GstKMeansMetric", metric_values);

static const GEnumValue init_values[] = {
  {KM_INIT_RANDOM, "Random points of the first batches (with replacement)",
      "random"},
  {KM_INIT_KMEANS_PLUS_PLUS, "k-means++ on the first batch", "kmeans++"},
  {KM_INIT_GIVEN, "Centers given by the application (initial-centers file "
        "or initial-centers-value)", "file"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_init_get_type, "GstKMeansInit", init_values);

static const GEnumValue time_unit_values[] = {
  {KM_TIME_UNIT_BATCHES, "Decay applies once per batch", "batches"},
  {KM_TIME_UNIT_POINTS, "Decay applies once per point", "points"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_time_unit_get_type, "GstKMeansTimeUnit",
    time_unit_values);

static const GEnumValue on_bad_input_values[] = {
  {GST_KMEANS_ON_BAD_INPUT_ERROR, "Post an error and stop the stream",
      "error"},
  {GST_KMEANS_ON_BAD_INPUT_SKIP, "Drop the bad points, count and log them",
      "skip"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_on_bad_input_get_type, "GstKMeansOnBadInput",
    on_bad_input_values);

static const GEnumValue no_model_values[] = {
  {GST_KMEANS_NO_MODEL_DROP, "Drop the points and count them", "drop"},
  {GST_KMEANS_NO_MODEL_ERROR, "Post an error and stop the stream", "error"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_no_model_get_type, "GstKMeansNoModel",
    no_model_values);

/* --------------------------------------------------------- GValue helpers */

static void
value_array_append_double (GValue * array, gdouble v)
{
  GValue item = G_VALUE_INIT;

  g_value_init (&item, G_TYPE_DOUBLE);
  g_value_set_double (&item, v);
  gst_value_array_append_and_take_value (array, &item);
}

void
gst_kmeans_value_set_doubles (GValue * value, const gdouble * v, guint n)
{
  guint i;

  g_return_if_fail (GST_VALUE_HOLDS_ARRAY (value));

  for (i = 0; i < n; i++)
    value_array_append_double (value, v[i]);
}

void
gst_kmeans_value_set_centers (GValue * value, const gfloat * centers,
    guint k, guint d)
{
  guint i, j;

  g_return_if_fail (GST_VALUE_HOLDS_ARRAY (value));

  for (i = 0; i < k; i++) {
    GValue row = G_VALUE_INIT;

    gst_value_array_init (&row, d);
    for (j = 0; j < d; j++)
      value_array_append_double (&row, centers[(gsize) i * d + j]);
    gst_value_array_append_and_take_value (value, &row);
  }
}

gboolean
gst_kmeans_value_get_double (const GValue * value, gdouble * out)
{
  GValue d = G_VALUE_INIT;

  g_value_init (&d, G_TYPE_DOUBLE);
  if (!g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_DOUBLE)
      || !g_value_transform (value, &d))
    return FALSE;
  *out = g_value_get_double (&d);
  return isfinite (*out);
}

gboolean
gst_kmeans_value_get_centers (const GValue * value, guint max_rows,
    guint64 max_floats, gfloat ** centers, guint * k, guint * d,
    guint * bad_row, guint * bad_column)
{
  guint rows = gst_value_array_get_size (value), cols = 0, i, j = G_MAXUINT;
  gfloat *c = NULL;

  for (i = 0; i < rows; i++) {
    const GValue *row = gst_value_array_get_value (value, i);

    if (!GST_VALUE_HOLDS_ARRAY (row) || gst_value_array_get_size (row) == 0
        || (i > 0 && gst_value_array_get_size (row) != cols))
      goto bad;
    if (i == 0) {
      cols = gst_value_array_get_size (row);
      if (cols > KM_MAX_DIMENSIONS || rows > max_rows
          || (guint64) rows * cols > max_floats)
        goto bad;
      c = g_new (gfloat, (gsize) rows * cols);
    }
    for (j = 0; j < cols; j++) {
      gdouble v;

      if (!gst_kmeans_value_get_double (gst_value_array_get_value (row, j), &v))
        goto bad;
      c[(gsize) i * cols + j] = v;
    }
    j = G_MAXUINT;
  }
  *centers = c;
  *k = rows;
  *d = cols;
  return TRUE;

bad:
  g_free (c);
  *bad_row = i;
  *bad_column = j;
  return FALSE;
}

/* gst-kmeans: point-stream caps (application/x-points, NNStreamer other/tensors, raw video and audio) and their parsing into a GstKMeansPointsInfo.
 *
 * See gstkmeanscaps.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstkmeanscaps.h"

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

gsize
gst_kmeans_points_info_point_size (const GstKMeansPointsInfo * info)
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
  return size / gst_kmeans_points_info_point_size (info);
}

GstCaps *
gst_kmeans_points_caps_new (guint dimensions)
{
  return gst_caps_new_simple (GST_KMEANS_POINTS_MEDIA_TYPE,
      "format", G_TYPE_STRING, "F32LE",
      "dimensions", G_TYPE_INT, (gint) dimensions, NULL);
}

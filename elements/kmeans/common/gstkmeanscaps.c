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

gboolean
gst_kmeans_video_format_is_supported (GstVideoFormat format)
{
  const GstVideoFormatInfo *finfo = gst_video_format_get_info (format);

  /* A paletted pixel is an index, not a colour; the reader and recolor
   * work a line at a time. */
  return finfo != NULL && (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)
      || GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo))
      && !GST_VIDEO_FORMAT_INFO_HAS_PALETTE (finfo)
      && !GST_VIDEO_FORMAT_INFO_IS_TILED (finfo)
      && finfo->unpack_func != NULL && finfo->pack_func != NULL
      && finfo->pack_lines == 1;
}

/* Whether the video library unpacks @finfo to 16 bits a component
 * (ARGB64 / AYUV64) rather than 8. */
static gboolean
unpacks_to_16_bits (const GstVideoFormatInfo * finfo)
{
  return GST_VIDEO_FORMAT_INFO_BITS (gst_video_format_get_info
      (finfo->unpack_format)) > 8;
}

static gboolean
points_info_from_video (GstKMeansPointsInfo * info, const GstCaps * caps,
    const GstStructure * s, GError ** error)
{
  const gchar *name = gst_structure_get_string (s, "format");
  GstVideoFormat format = GST_VIDEO_FORMAT_UNKNOWN;
  const GstVideoFormatInfo *finfo;
  gint width = 0, height = 0;
  guint dims;

  if (name != NULL)
    format = gst_video_format_from_string (name);
  if (!gst_kmeans_video_format_is_supported (format)) {
    KM_GERROR (error, "video format \"%s\" is not supported (RGB or gray "
        "formats, packed or planar)", GST_STR_NULL (name));
    return FALSE;
  }
  if (!gst_structure_get_int (s, "width", &width)
      || !gst_structure_get_int (s, "height", &height)
      || width < 1 || height < 1 || width > G_MAXINT16 || height > G_MAXINT16) {
    KM_GERROR (error, "video caps need width and height in 1..%d", G_MAXINT16);
    return FALSE;
  }
  finfo = gst_video_format_get_info (format);
  dims = GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) ? 1 : 3;
  /* The reader converts a whole frame at once. */
  if ((guint64) width * height * dims > KM_MAX_MODEL_FLOATS) {
    KM_GERROR (error, "video frames of %dx%d are too large to read as "
        "points", width, height);
    return FALSE;
  }
  if (!gst_video_info_from_caps (&info->video, caps)) {
    KM_GERROR (error, "video caps %" GST_PTR_FORMAT " are not valid raw "
        "video caps", caps);
    return FALSE;
  }
  /* A buffer would then hold one field, half the rows of the caps. */
  if (GST_VIDEO_INFO_INTERLACE_MODE (&info->video) ==
      GST_VIDEO_INTERLACE_MODE_ALTERNATE) {
    KM_GERROR (error, "video with interlace-mode=alternate (a field per "
        "buffer) is not supported; deinterlace or interleave it first");
    return FALSE;
  }

  info->media = GST_KMEANS_MEDIA_VIDEO;
  info->format = unpacks_to_16_bits (finfo) ? GST_KMEANS_SAMPLE_U16 :
      GST_KMEANS_SAMPLE_U8;
  info->format_name = gst_video_format_to_string (format);
  info->dimensions = dims;
  return TRUE;
}

static gboolean
points_info_from_audio (GstKMeansPointsInfo * info, const GstStructure * s,
    GError ** error)
{
  const gchar *name = gst_structure_get_string (s, "format");
  const gchar *layout = gst_structure_get_string (s, "layout");
  GstAudioFormat format = GST_AUDIO_FORMAT_UNKNOWN;
  gint channels = 0, rate = 0;

  if (name != NULL)
    format = gst_audio_format_from_string (name);
  if (format == GST_AUDIO_FORMAT_F32LE)
    info->format = GST_KMEANS_SAMPLE_F32;
  else if (format == GST_AUDIO_FORMAT_S16LE)
    info->format = GST_KMEANS_SAMPLE_S16;
  else {
    KM_GERROR (error, "audio format \"%s\" is not supported (F32LE or "
        "S16LE)", GST_STR_NULL (name));
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
  /* Not gst_audio_info_from_caps(): it wants a channel-mask beyond two
   * channels, which a point's dimensions do not have. */
  gst_audio_info_set_format (&info->audio, format, rate, channels, NULL);
  info->media = GST_KMEANS_MEDIA_AUDIO;
  info->format_name = gst_audio_format_to_string (format);
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
    ok = points_info_from_video (&parsed, caps, s, error);
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

/* ------------------------------------------------------ column selection */

/* A column selection being parsed: its runs, and the spec for messages. */
typedef struct
{
  const gchar *spec;
  guint n_runs;
  GstKMeansColumnRun runs[GST_KMEANS_MAX_COLUMN_RUNS];
  guint64 values;
} ColumnList;

static gboolean
parse_column_index (const gchar * text, guint64 * index)
{
  return g_ascii_isdigit (text[0])
      && g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, index, NULL);
}

/* One entry, "N" or "A-B" (A <= B), into *first and *last. */
static gboolean
parse_column_entry (const ColumnList * list, gchar * entry, guint n,
    guint64 * first, guint64 * last, GError ** error)
{
  gchar *dash;

  g_strstrip (entry);
  dash = strchr (entry, '-');
  if (dash != NULL)
    *dash = '\0';
  if (!parse_column_index (g_strstrip (entry), first)
      || (dash != NULL && !parse_column_index (g_strstrip (dash + 1), last))) {
    KM_GERROR (error, "columns \"%s\": entry %u is not a 0-based column "
        "index or an inclusive range of them (\"1-3\")", list->spec, n);
    return FALSE;
  }
  if (dash == NULL)
    *last = *first;
  if (*last < *first) {
    KM_GERROR (error, "columns \"%s\": the range %" G_GUINT64_FORMAT "-%"
        G_GUINT64_FORMAT " (entry %u) runs backwards; write %" G_GUINT64_FORMAT
        "-%" G_GUINT64_FORMAT, list->spec, *first, *last, n, *last, *first);
    return FALSE;
  }
  return TRUE;
}

/* Adds columns first..last, merged into the previous run when they
 * follow it; refuses a column already chosen. */
static gboolean
add_column_run (ColumnList * list, guint first, guint last, GError ** error)
{
  GstKMeansColumnRun *prev = list->n_runs ? &list->runs[list->n_runs - 1] :
      NULL;
  guint i;

  for (i = 0; i < list->n_runs; i++) {
    const GstKMeansColumnRun *r = &list->runs[i];

    if (first < r->first + r->count && r->first <= last) {
      KM_GERROR (error, "columns \"%s\" chooses column %u twice",
          list->spec, MAX (first, r->first));
      return FALSE;
    }
  }
  list->values += last - first + 1;
  if (prev != NULL && prev->first + prev->count == first) {
    prev->count += last - first + 1;
    return TRUE;
  }
  if (list->n_runs == GST_KMEANS_MAX_COLUMN_RUNS) {
    KM_GERROR (error, "columns \"%s\" has more than %u separate runs of "
        "columns; choose neighbouring columns as ranges (\"1-3\")",
        list->spec, GST_KMEANS_MAX_COLUMN_RUNS);
    return FALSE;
  }
  list->runs[list->n_runs].first = first;
  list->runs[list->n_runs].count = last - first + 1;
  list->n_runs++;
  return TRUE;
}

static gboolean
parse_column_list (ColumnList * list, const gchar * spec, GError ** error)
{
  gchar **entries = g_strsplit (spec, ",", -1);
  gboolean ok = TRUE;
  guint i;

  memset (list, 0, sizeof (*list));
  list->spec = spec;
  for (i = 0; ok && entries[i] != NULL; i++) {
    guint64 first, last;

    ok = parse_column_entry (list, entries[i], i + 1, &first, &last, error)
        && add_column_run (list, first, last, error);
  }
  g_strfreev (entries);
  return ok;
}

/* What a record's values are, for messages: "x-points of 5 values". */
static gchar *
describe_record (const GstKMeansPointsInfo * info)
{
  switch (info->media) {
    case GST_KMEANS_MEDIA_VIDEO:
      return g_strdup_printf ("%s pixels of %u colour components (%s)",
          info->format_name, info->dimensions,
          info->dimensions == 1 ? "gray" : "R, G, B");
    case GST_KMEANS_MEDIA_AUDIO:
      return g_strdup_printf ("audio frames of %u channels", info->dimensions);
    default:
      return g_strdup_printf ("%s points of %u values",
          info->is_tensors ? "tensor" : "x-points", info->dimensions);
  }
}

gboolean
gst_kmeans_points_info_select_columns (GstKMeansPointsInfo * info,
    const gchar * spec, GError ** error)
{
  ColumnList list;
  const GstKMeansColumnRun *last_run;
  gchar *record;

  g_return_val_if_fail (info != NULL && info->n_runs == 0, FALSE);

  if (spec == NULL || spec[0] == '\0')
    return TRUE;
  if (!parse_column_list (&list, spec, error))
    return FALSE;
  for (last_run = list.runs; last_run < list.runs + list.n_runs; last_run++) {
    if (last_run->first + last_run->count > info->dimensions) {
      record = describe_record (info);
      KM_GERROR (error, "columns \"%s\" chooses column %u, but the input "
          "has %s: columns 0-%u", spec, last_run->first + last_run->count - 1,
          record, info->dimensions - 1);
      g_free (record);
      return FALSE;
    }
  }
  /* Every column in order is no selection: points stay zero-copy. */
  if (list.n_runs == 1 && list.runs[0].first == 0
      && list.values == info->dimensions)
    return TRUE;

  info->record_dimensions = info->dimensions;
  info->dimensions = list.values;
  info->n_runs = list.n_runs;
  memcpy (info->runs, list.runs, list.n_runs * sizeof (list.runs[0]));
  return TRUE;
}

guint
gst_kmeans_points_info_record_values (const GstKMeansPointsInfo * info)
{
  return info->n_runs > 0 ? info->record_dimensions : info->dimensions;
}

gsize
gst_kmeans_points_info_point_size (const GstKMeansPointsInfo * info)
{
  static const guint value_bytes[] = { 4, 8, 2, 1, 2 };

  if (info->media == GST_KMEANS_MEDIA_AUDIO)
    return GST_AUDIO_INFO_BPF (&info->audio);
  return (gsize) gst_kmeans_points_info_record_values (info) *
      value_bytes[info->format];
}

gsize
gst_kmeans_points_info_count (const GstKMeansPointsInfo * info, gsize size)
{
  g_return_val_if_fail (info != NULL && info->dimensions > 0, 0);

  if (info->media == GST_KMEANS_MEDIA_VIDEO)
    return size == GST_VIDEO_INFO_SIZE (&info->video) ?
        gst_kmeans_points_info_frame_pixels (info) : 0;
  return size / gst_kmeans_points_info_point_size (info);
}

gsize
gst_kmeans_points_info_frame_pixels (const GstKMeansPointsInfo * info)
{
  if (info->media != GST_KMEANS_MEDIA_VIDEO)
    return 0;
  return (gsize) GST_VIDEO_INFO_WIDTH (&info->video) *
      GST_VIDEO_INFO_HEIGHT (&info->video);
}

GstCaps *
gst_kmeans_points_caps_new (guint dimensions)
{
  return gst_caps_new_simple (GST_KMEANS_POINTS_MEDIA_TYPE,
      "format", G_TYPE_STRING, "F32LE",
      "dimensions", G_TYPE_INT, (gint) dimensions, NULL);
}

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

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_points_debug);
#define GST_CAT_DEFAULT gst_kmeans_points_debug

/* A static library has no plugin_init: registered on first use. */
static void
ensure_debug_category (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered)) {
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_points_debug, "kmeans-points", 0,
        "k-means points reading and the bad-input policy");
    g_once_init_leave (&registered, 1);
  }
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
  g_free (reader->line);
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

/* ---------------------------------------------------- column selection */

/* @n values of @format at @src (any alignment) as float32. */
static void
values_to_f32 (GstKMeansSampleFormat format, const guint8 * src, gsize n,
    gfloat * dst)
{
  gsize i;

  switch (format) {
    case GST_KMEANS_SAMPLE_F32:
      memcpy (dst, src, n * sizeof (gfloat));
      break;
    case GST_KMEANS_SAMPLE_F64:
      for (i = 0; i < n; i++) {
        gdouble v;

        memcpy (&v, src + i * sizeof (gdouble), sizeof (v));
        dst[i] = (gfloat) v;
      }
      break;
    default:
      s16_to_f32 (src, n, dst);
      break;
  }
}

/* The chosen columns of @rows records at @src, as float32 rows of D
 * values: straight into the reader's rows, nothing allocated a point. */
static void
select_columns_to_f32 (const GstKMeansPointsInfo * info, const guint8 * src,
    gsize rows, gfloat * dst)
{
  gsize record_size = gst_kmeans_points_info_point_size (info);
  gsize value_size = record_size / gst_kmeans_points_info_record_values (info);
  gsize r;
  guint i;

  for (r = 0; r < rows; r++) {
    const guint8 *record = src + r * record_size;

    for (i = 0; i < info->n_runs; i++) {
      const GstKMeansColumnRun *run = &info->runs[i];

      values_to_f32 (info->format, record + run->first * value_size,
          run->count, dst);
      dst += run->count;
    }
  }
}

/* ------------------------------------------------------------- video */

/* One row unpacked: 4 components of up to 16 bits a pixel, with room for
 * the unpackers that work a few pixels at a time. */
static gsize
unpacked_line_size (const GstKMeansPointsInfo * info)
{
  return ((gsize) GST_VIDEO_INFO_WIDTH (&info->video) + 8) * 4 *
      sizeof (guint16);
}

static gpointer
reader_line (GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info)
{
  gsize size = unpacked_line_size (info);

  if (size > reader->line_size) {
    g_free (reader->line);
    reader->line = g_malloc (size);
    reader->line_size = size;
  }
  return reader->line;
}

/* The video library unpacks RGB to ARGB and gray to AYUV: a pixel's
 * colour, or its gray level, is components 1 to 3 (1) of its 4. */
#define UNPACKED_COMPONENT(x, c) (4 * (x) + 1 + (c))

/* Colour component (0 = R or gray, 1 = G, 2 = B) of each of a point's D
 * values: the column selection, or all of them in order. */
static void
video_components (const GstKMeansPointsInfo * info, guint comp[3])
{
  guint i, j, c = 0;

  for (i = 0; i < info->n_runs; i++)
    for (j = 0; j < info->runs[i].count && c < 3; j++)
      comp[c++] = info->runs[i].first + j;
  for (; c < 3; c++)
    comp[c] = c;
}

/* The pixels of the frame whose planes start at @planes, row by row. */
static void
video_to_f32 (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, gpointer const planes[],
    const gint strides[], gfloat * dst)
{
  const GstVideoFormatInfo *finfo = info->video.finfo;
  guint width = GST_VIDEO_INFO_WIDTH (&info->video);
  guint height = GST_VIDEO_INFO_HEIGHT (&info->video);
  guint x, y, c, d = info->dimensions, comp[3];
  gpointer line = reader_line (reader, info);

  video_components (info, comp);
  for (y = 0; y < height; y++) {
    finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, line, planes,
        strides, 0, y, width);
    if (info->format == GST_KMEANS_SAMPLE_U16) {
      const guint16 *px = line;

      /* Exact for the 8-bit values widened to 16 (v * 257). */
      for (x = 0; x < width; x++, dst += d)
        for (c = 0; c < d; c++)
          dst[c] = px[UNPACKED_COMPONENT (x, comp[c])] / 257.0f;
    } else {
      const guint8 *px = line;

      for (x = 0; x < width; x++, dst += d)
        for (c = 0; c < d; c++)
          dst[c] = px[UNPACKED_COMPONENT (x, comp[c])];
    }
  }
}

/* A frame of the caps' default layout at @data. */
static void
default_frame_to_f32 (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, const guint8 * data, gfloat * dst)
{
  gpointer planes[GST_VIDEO_MAX_PLANES] = { NULL, };
  guint p;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&info->video); p++)
    planes[p] = (gpointer) (data + GST_VIDEO_INFO_PLANE_OFFSET (&info->video,
            p));
  video_to_f32 (reader, info, planes, info->video.stride, dst);
}

/* Bytes of one row of plane @p, and its rows, for the caps' size. */
static void
plane_extent (const GstKMeansPointsInfo * info, guint p, gsize * row_bytes,
    guint * rows)
{
  const GstVideoFormatInfo *finfo = info->video.finfo;
  gint comp[GST_VIDEO_MAX_COMPONENTS];
  gint width = GST_VIDEO_INFO_WIDTH (&info->video);

  gst_video_format_info_component (finfo, p, comp);
  *rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0],
      GST_VIDEO_INFO_HEIGHT (&info->video));
  /* Pixels that share bytes (GRAY10_LE32: 3 in 32 bits) have no pixel
   * stride; their default stride is exactly the bytes of a row. */
  if (GST_VIDEO_FORMAT_INFO_IS_COMPLEX (finfo)
      || GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]) == 0)
    *row_bytes = GST_VIDEO_INFO_PLANE_STRIDE (&info->video, p);
  else
    *row_bytes = (gsize) GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]) *
        GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0], width);
}

/* Whether the planes of the mapped @frame, with its strides, hold the
 * rows of the caps within what each plane's mapping covers. */
static gboolean
frame_planes_fit (const GstKMeansPointsInfo * info, const GstVideoFrame * frame)
{
  guint p;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame); p++) {
    const GstMapInfo *map = &frame->map[p];
    const guint8 *data = frame->data[p];
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
    gsize row_bytes, skip;
    guint rows;

    if (map->data == NULL || data < map->data || data > map->data + map->size)
      return FALSE;
    skip = data - map->data;
    plane_extent (info, p, &row_bytes, &rows);
    if (stride < 0 || (gsize) stride < row_bytes
        || (guint64) stride * (rows - 1) + row_bytes > map->size - skip)
      return FALSE;
  }
  return TRUE;
}

/* gst_video_frame_map() with a GstVideoMeta trusts it: what it describes
 * must be checked first (it asserts the format and size) and after (it
 * does not check that the planes lie within the buffer). */
static gboolean
map_frame_with_meta (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, GstBuffer * buffer,
    const GstVideoMeta * meta, GstMapFlags flags, GstVideoFrame * frame)
{
  if (meta->format != GST_VIDEO_INFO_FORMAT (&info->video)
      || meta->n_planes != GST_VIDEO_INFO_N_PLANES (&info->video)
      || meta->width < (guint) GST_VIDEO_INFO_WIDTH (&info->video)
      || meta->height < (guint) GST_VIDEO_INFO_HEIGHT (&info->video)) {
    reader->last_frame_problem = "its GstVideoMeta describes another format "
        "or a smaller frame than the caps";
    return FALSE;
  }
  if (!gst_video_frame_map (frame, &info->video, buffer, flags)) {
    reader->last_frame_problem = "its GstVideoMeta describes planes that "
        "could not be mapped";
    return FALSE;
  }
  if (!frame_planes_fit (info, frame)) {
    gst_video_frame_unmap (frame);
    reader->last_frame_problem = "its GstVideoMeta places rows outside the "
        "buffer, or has strides shorter than a row";
    return FALSE;
  }
  return TRUE;
}

static gboolean
map_frame (GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstBuffer * buffer, GstMapFlags flags, GstVideoFrame * frame)
{
  const GstVideoMeta *meta = gst_buffer_get_video_meta (buffer);

  reader->last_frame_problem = NULL;
  if (meta != NULL)
    return map_frame_with_meta (reader, info, buffer, meta, flags, frame);
  /* Without a meta the layout is the caps' default, and so is the size. */
  if (gst_buffer_get_size (buffer) != GST_VIDEO_INFO_SIZE (&info->video))
    return FALSE;
  if (!gst_video_frame_map (frame, &info->video, buffer, flags)) {
    reader->last_frame_problem = "it could not be mapped";
    return FALSE;
  }
  return TRUE;
}

/* The centers as the components the format unpacks to (8 or 16 bits),
 * rounded and clamped; K rows of D. */
static guint16 *
centers_to_components (const GstKMeansPointsInfo * info,
    const gfloat * centers, guint k)
{
  gsize i, n = (gsize) k * info->dimensions;
  gboolean wide = info->format == GST_KMEANS_SAMPLE_U16;
  gfloat scale = wide ? 257.0f : 1.0f, max = wide ? 65535.0f : 255.0f;
  guint16 *colours = g_new (guint16, n);

  for (i = 0; i < n; i++) {
    gfloat v = centers[i] * scale;

    colours[i] = !(v > 0) ? 0 : v >= max ? (guint16) max : (guint16) lrintf (v);
  }
  return colours;
}

void
gst_kmeans_points_write_frame (const GstKMeansPointsInfo * info,
    GstVideoFrame * frame, const gint32 * idx, const gfloat * centers, guint k)
{
  const GstVideoFormatInfo *finfo;
  guint16 *colours;
  guint width, height, x, y, c, d, comp[3];
  gpointer line;

  g_return_if_fail (info->media == GST_KMEANS_MEDIA_VIDEO);

  finfo = frame->info.finfo;
  width = GST_VIDEO_INFO_WIDTH (&info->video);
  height = GST_VIDEO_INFO_HEIGHT (&info->video);
  d = info->dimensions;
  colours = centers_to_components (info, centers, k);
  line = g_malloc (unpacked_line_size (info));
  /* With a column selection only the chosen components change. */
  video_components (info, comp);

  for (y = 0; y < height; y++) {
    /* Unpacked first, so that what is not colour is packed back. */
    finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, line, frame->data,
        frame->info.stride, 0, y, width);
    for (x = 0; x < width; x++, idx++) {
      const guint16 *colour = colours + (gsize) * idx * d;

      for (c = 0; c < d; c++) {
        if (info->format == GST_KMEANS_SAMPLE_U16)
          ((guint16 *) line)[UNPACKED_COMPONENT (x, comp[c])] = colour[c];
        else
          ((guint8 *) line)[UNPACKED_COMPONENT (x, comp[c])] =
              (guint8) colour[c];
      }
    }
    finfo->pack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, line, 0, frame->data,
        frame->info.stride, frame->info.chroma_site, y, width);
  }
  g_free (line);
  g_free (colours);
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
    default_frame_to_f32 (reader, info, data, dst);
  else if (info->n_runs > 0)
    select_columns_to_f32 (info, data, rows, dst);
  else
    s16_to_f32 (data, rows * info->dimensions, dst);
  *n_rows = rows;
  return dst;
}

static void
begin_read (GstKMeansPointsReader * reader, gsize * n_rows,
    GstKMeansReadStatus * status)
{
  *n_rows = 0;
  *status = GST_KMEANS_READ_OK;
  reader->last_bad_rows = 0;
  reader->last_first_bad_row = 0;
  reader->last_frame_problem = NULL;
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
  row_size = value_size * gst_kmeans_points_info_record_values (info);
  begin_read (reader, n_rows, status);

  if (info->format == GST_KMEANS_SAMPLE_S16
      || info->media == GST_KMEANS_MEDIA_VIDEO)
    return read_integer_samples (reader, info, data, size, n_rows, status);

  if (row_size == 0 || size % row_size != 0) {
    reader->bad_buffers++;
    *status = GST_KMEANS_READ_PARTIAL_ROW;
    return NULL;
  }
  rows = size / row_size;
  if (rows == 0)
    return NULL;

  if (info->n_runs > 0) {
    /* Only the chosen columns are points: NaN elsewhere is no matter. */
    dst = reader_scratch (reader, rows, d);
    select_columns_to_f32 (info, data, rows, dst);
    kept = f32_keep_finite_rows (reader, dst, rows, d, dst);
  } else if (info->format == GST_KMEANS_SAMPLE_F32) {
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

const gfloat *
gst_kmeans_points_read_frame (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, GstBuffer * buffer, GstMapFlags flags,
    GstVideoFrame * frame, gsize * n_rows, GstKMeansReadStatus * status)
{
  gsize rows;
  gfloat *dst;

  g_return_val_if_fail (reader != NULL && info != NULL, NULL);
  g_return_val_if_fail (info->media == GST_KMEANS_MEDIA_VIDEO, NULL);
  g_return_val_if_fail (GST_IS_BUFFER (buffer) && frame != NULL, NULL);
  g_return_val_if_fail (n_rows != NULL && status != NULL, NULL);

  begin_read (reader, n_rows, status);
  if (!map_frame (reader, info, buffer, flags, frame)) {
    reader->bad_buffers++;
    *status = GST_KMEANS_READ_PARTIAL_ROW;
    return NULL;
  }
  rows = gst_kmeans_points_info_frame_pixels (info);
  dst = reader_scratch (reader, rows, info->dimensions);
  video_to_f32 (reader, info, frame->data, frame->info.stride, dst);
  *n_rows = rows;
  return dst;
}

const gfloat *
gst_kmeans_points_read_buffer (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, GstBuffer * buffer,
    const GstMapInfo * map, gsize * n_rows, GstKMeansReadStatus * status)
{
  GstVideoFrame frame;
  const gfloat *rows;

  g_return_val_if_fail (info != NULL, NULL);

  if (info->media != GST_KMEANS_MEDIA_VIDEO) {
    g_return_val_if_fail (map != NULL, NULL);
    return gst_kmeans_points_read (reader, info, map->data, map->size,
        n_rows, status);
  }
  /* The pixels are converted: the frame need not stay mapped. */
  rows = gst_kmeans_points_read_frame (reader, info, buffer, GST_MAP_READ,
      &frame, n_rows, status);
  if (*status == GST_KMEANS_READ_OK)
    gst_video_frame_unmap (&frame);
  return rows;
}

gboolean
gst_kmeans_points_map_buffer (const GstKMeansPointsInfo * info,
    GstBuffer * buffer, GstMapInfo * map)
{
  g_return_val_if_fail (info != NULL && GST_IS_BUFFER (buffer), FALSE);
  g_return_val_if_fail (map != NULL, FALSE);

  if (info->media != GST_KMEANS_MEDIA_VIDEO)
    return gst_buffer_map (buffer, map, GST_MAP_READ);
  /* No memory: gst_buffer_unmap() has nothing to release. */
  memset (map, 0, sizeof (*map));
  map->size = gst_buffer_get_size (buffer);
  return TRUE;
}

gsize
gst_kmeans_points_buffer_count (const GstKMeansPointsInfo * info,
    GstBuffer * buffer)
{
  g_return_val_if_fail (info != NULL && GST_IS_BUFFER (buffer), 0);

  if (info->media == GST_KMEANS_MEDIA_VIDEO
      && gst_buffer_get_video_meta (buffer) != NULL)
    return gst_kmeans_points_info_frame_pixels (info);
  return gst_kmeans_points_info_count (info, gst_buffer_get_size (buffer));
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
  guint width = GST_VIDEO_INFO_WIDTH (&info->video);
  guint height = GST_VIDEO_INFO_HEIGHT (&info->video);

  ensure_debug_category ();

  *n_skipped = partial ? (size + row - 1) / row : reader->last_bad_rows;
  if (partial && video)
    *n_skipped = gst_kmeans_points_info_frame_pixels (info);

  if (policy == GST_KMEANS_ON_BAD_INPUT_ERROR) {
    if (partial && video && reader->last_frame_problem != NULL)
      GST_ELEMENT_ERROR (element, STREAM, FORMAT,
          ("video buffer of %" G_GSIZE_FORMAT " bytes is not one %ux%u %s "
              "frame: %s", size, width, height, info->format_name,
              reader->last_frame_problem), (NULL));
    else if (partial && video)
      GST_ELEMENT_ERROR (element, STREAM, FORMAT,
          ("video buffer of %" G_GSIZE_FORMAT " bytes is not one %ux%u %s "
              "frame (%" G_GSIZE_FORMAT " bytes)", size, width, height,
              info->format_name, GST_VIDEO_INFO_SIZE (&info->video)),
          ("a buffer without GstVideoMeta has the caps' default layout (%d "
              "bytes a row in plane 0) and exactly its size",
              GST_VIDEO_INFO_PLANE_STRIDE (&info->video, 0)));
    else if (partial)
      GST_ELEMENT_ERROR (element, STREAM, FORMAT,
          ("buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of "
              "%u-dimensional %s points (%" G_GSIZE_FORMAT " bytes each)",
              size, gst_kmeans_points_info_record_values (info),
              gst_kmeans_points_info_format_name (info), row),
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

/* ------------------------------------------------------ column selection */

void
gst_kmeans_columns_install_property (GObjectClass * klass, guint prop_id)
{
  g_object_class_install_property (klass, prop_id,
      g_param_spec_string ("columns", "Columns",
          "Values of each record that make up a point, in the order given: "
          "0-based indices and inclusive ranges, e.g. \"1-3,7\", none twice "
          "(audio: channels; video: colour components, R=0 G=1 B=2, or "
          "gray=0).  The model's dimensions are the number chosen.  Empty: "
          "every value", NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

gboolean
gst_kmeans_points_apply_columns (GstElement * element,
    GstKMeansPointsInfo * info, gchar * const *columns, const GstCaps * caps)
{
  GError *err = NULL;
  gchar *spec;
  gboolean ok;

  ensure_debug_category ();
  GST_OBJECT_LOCK (element);
  spec = g_strdup (*columns);
  GST_OBJECT_UNLOCK (element);

  ok = gst_kmeans_points_info_select_columns (info, spec, &err);
  if (!ok) {
    GST_ELEMENT_ERROR (element, STREAM, FORMAT,
        ("Cannot select columns: %s.", err->message),
        ("property columns=\"%s\", input caps %" GST_PTR_FORMAT, spec, caps));
    g_error_free (err);
  }
  g_free (spec);
  return ok;
}

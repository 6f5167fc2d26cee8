/* Fuzzes reading a buffer of points, gst_kmeans_points_read_buffer(), the
 * first thing every point consumer does with the bytes it gets, for every
 * media it takes: points (F32LE, F64LE, NNStreamer tensors), raw audio
 * (F32LE, S16LE) and raw video (packed RGB family, GRAY8, and some of the
 * formats read through the video library's unpacking: GRAY16_LE,
 * RGBA64_LE, RGB16, planar GBR), video with or without a GstVideoMeta.
 * The reader's settings come from real caps through
 * gst_kmeans_points_info_from_caps(), as in an element.
 *
 * Input: byte 0 picks the media and format (bits 0-3), whether the data
 * is one byte off alignment (bit 4), for video whether the payload is cut
 * or zero-padded to exactly one frame (bit 5) and whether the buffer has
 * a GstVideoMeta (bit 6); byte 1 gives D (or the video width, bits 0-5,
 * and the meta's stride, bits 6-7), byte 2 the video height (bits 0-5)
 * and the meta's offset (bits 6-7); the rest is the buffer.  It is read
 * twice with the same reader, as a stream of buffers would be.
 *
 * Promises checked, against a plain recount of the input: a size that is
 * not whole points (for video: not one whole frame of the default layout,
 * or a meta whose rows do not lie within the buffer) gives no point and
 * PARTIAL_ROW; otherwise exactly the points whose values are all finite
 * come back, in order, with the values the format defines (float as is,
 * double rounded to float, S16 / 32768, a pixel's R, G, B bytes, 16-bit
 * components / 257, 5- and 6-bit ones widened by repeating their top
 * bits), and the status and counters say how many were left out. */
#include <math.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "fuzz.h"
#include "kmeanselements.h"

typedef enum
{
  VALUE_F32,
  VALUE_F64,
  VALUE_S16,
  VALUE_U8,                     /* video from here on */
  VALUE_U16,
  VALUE_RGB565
} ValueType;

/* A media the reader takes; for video, where R, G and B sit: in which
 * plane, at which byte of a pixel. */
typedef struct
{
  const gchar *caps;            /* printf format: D or width, height */
  ValueType type;
  guint pixel_stride;           /* video only */
  guint channels;               /* video only */
  guint offset[3];              /* video only */
  guint n_planes;               /* video only: 0 means 1 */
  guint plane[3];               /* video only */
} Media;

static const Media media[] = {
  {"application/x-points, format=F32LE, dimensions=%u", VALUE_F32},
  {"application/x-points, format=F64LE, dimensions=%u", VALUE_F64},
  {"other/tensors, format=static, num_tensors=1, types=float32, "
        "dimensions=(string)%u:1", VALUE_F32},
  {"audio/x-raw, format=F32LE, layout=interleaved, rate=8000, channels=%u",
      VALUE_F32},
  {"audio/x-raw, format=S16LE, layout=interleaved, rate=8000, channels=%u",
      VALUE_S16},
  {"video/x-raw, format=RGB, width=%u, height=%u", VALUE_U8, 3, 3, {0, 1, 2}},
  {"video/x-raw, format=BGR, width=%u, height=%u", VALUE_U8, 3, 3, {2, 1, 0}},
  {"video/x-raw, format=RGBx, width=%u, height=%u", VALUE_U8, 4, 3, {0, 1, 2}},
  {"video/x-raw, format=BGRA, width=%u, height=%u", VALUE_U8, 4, 3, {2, 1, 0}},
  {"video/x-raw, format=xRGB, width=%u, height=%u", VALUE_U8, 4, 3, {1, 2, 3}},
  {"video/x-raw, format=ABGR, width=%u, height=%u", VALUE_U8, 4, 3, {3, 2, 1}},
  {"video/x-raw, format=GRAY8, width=%u, height=%u", VALUE_U8, 1, 1, {0}},
  {"video/x-raw, format=GRAY16_LE, width=%u, height=%u", VALUE_U16, 2, 1,
      {0}},
  {"video/x-raw, format=RGBA64_LE, width=%u, height=%u", VALUE_U16, 8, 3,
      {0, 2, 4}},
  {"video/x-raw, format=RGB16, width=%u, height=%u", VALUE_RGB565, 2, 3,
      {0, 0, 0}},
  {"video/x-raw, format=GBR, width=%u, height=%u", VALUE_U8, 1, 3, {0, 0, 0},
      3, {2, 0, 1}},
};

/* The meta's stride beyond the default (the last: one byte short of a
 * row where the default has no padding), and its offset (the last: past
 * any buffer here). */
static const gint meta_stride_delta[] = { 0, 8, 61, -1 };
static const gsize meta_offset[] = { 0, 4, 1, 1 << 20 };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  return 0;
}

static const guint value_bytes[] = { 4, 8, 2 };

static gboolean
is_video (const Media * m)
{
  return m->type >= VALUE_U8;
}

/* Value @j of the point starting at @p, as the format defines it. */
static gfloat
value_at (const guint8 * p, guint j, ValueType type)
{
  gfloat f;
  gdouble v;

  switch (type) {
    case VALUE_F32:
      memcpy (&f, p + 4 * j, 4);
      return f;
    case VALUE_F64:
      memcpy (&v, p + 8 * j, 8);
      return (gfloat) v;
    case VALUE_S16:
    default:
      return (gint16) (p[2 * j] | (p[2 * j + 1] << 8)) / 32768.0f;
  }
}

/* Component @j of the pixel at @px. */
static gfloat
pixel_value (const Media * m, const guint8 * px, guint j)
{
  guint word;

  switch (m->type) {
    case VALUE_U16:
      return (px[m->offset[j]] | (px[m->offset[j] + 1] << 8)) / 257.0f;
    case VALUE_RGB565:
      word = px[0] | (px[1] << 8);
      if (j == 0)
        return ((word >> 8) & 0xf8) | (word >> 13);
      if (j == 1)
        return ((word >> 3) & 0xfc) | ((word >> 9) & 0x3);
      return ((word << 3) & 0xf8) | ((word >> 2) & 0x7);
    case VALUE_U8:
    default:
      return px[m->offset[j]];
  }
}

/* The points of @data the slow obvious way: their start, one by one. */
typedef struct
{
  const Media *m;
  guint d, width, height, n_planes;
  gboolean meta;
  gsize offset[3];              /* of each plane */
  gint stride;                  /* of every plane */
  gsize frame_end;              /* where the last plane ends */
} Layout;

static gsize
row_bytes (const Layout * l)
{
  return (gsize) l->width * l->m->pixel_stride;
}

static gboolean
whole_points (const Layout * l, gsize size, gsize * total)
{
  guint p;

  if (!is_video (l->m)) {
    *total = size / (l->d * value_bytes[l->m->type]);
    return size % (l->d * value_bytes[l->m->type]) == 0;
  }
  *total = (gsize) l->width * l->height;
  if (!l->meta)
    return size == l->frame_end;
  if (l->stride < 0 || (gsize) l->stride < row_bytes (l))
    return FALSE;
  for (p = 0; p < l->n_planes; p++)
    if (l->offset[p] + (gsize) l->stride * (l->height - 1) + row_bytes (l) >
        size)
      return FALSE;
  return TRUE;
}

static void
point_values (const Layout * l, const guint8 * data, gsize r, gfloat * out)
{
  guint j;

  if (is_video (l->m)) {
    gsize x = r % l->width, y = r / l->width;

    for (j = 0; j < l->d; j++) {
      const guint8 *px = data + l->offset[l->m->plane[j]] + y * l->stride
          + x * l->m->pixel_stride;

      out[j] = pixel_value (l->m, px, j);
    }
    return;
  }
  for (j = 0; j < l->d; j++)
    out[j] = value_at (data + r * l->d * value_bytes[l->m->type], j,
        l->m->type);
}

static void
check_points (const Layout * l, const guint8 * data, gsize size,
    const gfloat * rows, gsize n_rows, GstKMeansReadStatus status)
{
  gfloat want[4096];
  gsize total, r, kept = 0;
  guint j;

  if (!whole_points (l, size, &total)) {
    fuzz_check (status == GST_KMEANS_READ_PARTIAL_ROW && n_rows == 0);
    return;
  }
  for (r = 0; r < total; r++) {
    gboolean finite = TRUE;

    point_values (l, data, r, want);
    for (j = 0; j < l->d; j++)
      finite &= isfinite (want[j]);
    if (!finite)
      continue;
    fuzz_check (kept < n_rows);
    fuzz_check (memcmp (rows + kept * l->d, want, l->d * sizeof (gfloat))
        == 0);
    kept++;
  }
  fuzz_check (kept == n_rows);
  fuzz_check ((status == GST_KMEANS_READ_NON_FINITE) == (kept < total));
  fuzz_check (status != GST_KMEANS_READ_PARTIAL_ROW);
}

/* GStreamer's default layout (rows padded to 4 bytes, planes one after
 * the other), or the one the meta will describe. */
static void
video_layout (const guint8 * data, Layout * l)
{
  gint default_stride = GST_ROUND_UP_4 (row_bytes (l));
  gsize start = 0;
  guint p;

  l->n_planes = MAX (l->m->n_planes, 1);
  l->meta = (data[0] & 64) != 0;
  l->stride = default_stride;
  if (l->meta) {
    l->stride += meta_stride_delta[data[1] >> 6];
    start = meta_offset[data[2] >> 6];
  }
  for (p = 0; p < l->n_planes; p++)
    l->offset[p] = start + p * (gsize) MAX (l->stride, 0) * l->height;
  l->frame_end = l->offset[l->n_planes - 1] +
      (gsize) MAX (l->stride, 0) * l->height;
}

/* The reader's settings, from the caps an element would negotiate. */
static void
layout_from_input (const guint8 * data, Layout * l, GstKMeansPointsInfo * info)
{
  gchar *str;
  GstCaps *caps;
  GError *err = NULL;

  memset (l, 0, sizeof (*l));
  l->m = &media[(data[0] & 15) % G_N_ELEMENTS (media)];
  if (is_video (l->m)) {
    l->width = 1 + data[1] % 64;
    l->height = 1 + data[2] % 64;
    l->d = l->m->channels;
    video_layout (data, l);
    str = g_strdup_printf (l->m->caps, l->width, l->height);
  } else {
    l->d = 1 + data[1] % 32;
    str = g_strdup_printf (l->m->caps, l->d);
  }
  caps = gst_caps_from_string (str);
  fuzz_check (caps != NULL);
  if (!gst_kmeans_points_info_from_caps (info, caps, &err))
    fuzz_fail ("%s refused: %s", str, err->message);
  fuzz_check (info->dimensions == l->d);
  if (is_video (l->m) && !l->meta)
    fuzz_check (GST_VIDEO_INFO_SIZE (&info->video) == l->frame_end);
  gst_caps_unref (caps);
  g_free (str);
}

/* @payload as a buffer, with the meta @l describes. */
static GstBuffer *
buffer_from_payload (const Layout * l, const GstKMeansPointsInfo * info,
    const guint8 * payload, gsize len)
{
  GstBuffer *buf = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
      (gpointer) payload, len, 0, len, NULL, NULL);
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 0, };
  guint p;

  if (l->meta) {
    for (p = 0; p < l->n_planes; p++) {
      offsets[p] = l->offset[p];
      strides[p] = l->stride;
    }
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (&info->video), l->width, l->height,
        l->n_planes, offsets, strides);
  }
  return buf;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstKMeansPointsReader reader;
  GstKMeansPointsInfo info;
  Layout l;
  guint8 *copy;
  const guint8 *payload;
  GstBuffer *buf;
  GstMapInfo map;
  gsize len, pass;
  guint64 bad_rows = 0, bad_buffers = 0;

  if (size < 3)
    return 0;
  layout_from_input (data, &l, &info);
  len = size - 3;
  /* Exactly one frame, so video gets past the size check. */
  if (is_video (l.m) && (data[0] & 32))
    len = MIN (l.frame_end, 1 << 20);
  /* GstBuffer memory is usually aligned, but a sub-buffer need not be. */
  copy = g_malloc0 (len + 1);
  payload = copy + ((data[0] & 16) ? 1 : 0);
  memcpy ((guint8 *) payload, data + 3, MIN (len, size - 3));
  buf = buffer_from_payload (&l, &info, payload, len);
  fuzz_check (gst_buffer_map (buf, &map, GST_MAP_READ));
  fuzz_check (map.data == payload);

  gst_kmeans_points_reader_init (&reader);
  for (pass = 0; pass < 2; pass++) {
    GstKMeansReadStatus status;
    gsize n_rows = 12345, total;
    const gfloat *rows = gst_kmeans_points_read_buffer (&reader, &info, buf,
        &map, &n_rows, &status);

    fuzz_check ((rows != NULL) == (n_rows > 0));
    check_points (&l, payload, len, rows, n_rows, status);
    if (!whole_points (&l, len, &total))
      bad_buffers++;
    else
      bad_rows += total - n_rows;
    fuzz_check (reader.bad_rows == bad_rows);
    fuzz_check (reader.bad_buffers == bad_buffers);
  }
  gst_kmeans_points_reader_clear (&reader);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  g_free (copy);
  return 0;
}

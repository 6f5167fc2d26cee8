/* Fuzzes reading a buffer of points, gst_kmeans_points_read(), the first
 * thing every point consumer does with the bytes it gets, for every
 * media it takes: points (F32LE, F64LE, NNStreamer tensors), raw audio
 * (F32LE, S16LE) and raw video (packed RGB family, GRAY8).  The reader's
 * settings come from real caps through gst_kmeans_points_info_from_caps(),
 * as in an element.
 *
 * Input: byte 0 picks the media and format (bits 0-3), whether the data
 * is one byte off alignment (bit 4) and, for video, whether the payload
 * is cut or zero-padded to exactly one frame (bit 5); byte 1 gives D (or
 * the video width), byte 2 the video height; the rest is the buffer.  It
 * is read twice with the same reader, as a stream of buffers would be.
 *
 * Promises checked, against a plain recount of the input: a size that is
 * not whole points (for video: not one whole frame) gives no point and
 * PARTIAL_ROW; otherwise exactly the points whose values are all finite
 * come back, in order, with the values the format defines (float as is,
 * double rounded to float, S16 / 32768, a pixel's R, G, B bytes), and the
 * status and counters say how many were left out. */
#include <math.h>
#include <string.h>
#include <gst/gst.h>

#include "fuzz.h"
#include "kmeanselements.h"

typedef enum
{
  VALUE_F32,
  VALUE_F64,
  VALUE_S16,
  VALUE_U8
} ValueType;

/* A media the reader takes; for video, where R, G and B sit in a pixel. */
typedef struct
{
  const gchar *caps;            /* printf format: D or width, height */
  ValueType type;
  guint pixel_stride;           /* video only */
  guint channels;               /* video only */
  guint offset[3];              /* video only */
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
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  return 0;
}

static const guint value_bytes[] = { 4, 8, 2, 1 };

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
      return (gint16) (p[2 * j] | (p[2 * j + 1] << 8)) / 32768.0f;
    case VALUE_U8:
    default:
      return p[j];
  }
}

/* The points of @data the slow obvious way: their start, one by one. */
typedef struct
{
  const Media *m;
  guint d, width, height;
  gsize stride;
} Layout;

static gboolean
whole_points (const Layout * l, gsize size, gsize * total)
{
  if (l->m->type == VALUE_U8) {
    *total = (gsize) l->width * l->height;
    return size == l->stride * l->height;
  }
  *total = size / (l->d * value_bytes[l->m->type]);
  return size % (l->d * value_bytes[l->m->type]) == 0;
}

static void
point_values (const Layout * l, const guint8 * data, gsize r, gfloat * out)
{
  guint j;

  if (l->m->type == VALUE_U8) {
    const guint8 *px = data + (r / l->width) * l->stride
        + (r % l->width) * l->m->pixel_stride;

    for (j = 0; j < l->d; j++)
      out[j] = px[l->m->offset[j]];
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

/* The reader's settings, from the caps an element would negotiate. */
static void
layout_from_input (const guint8 * data, Layout * l,
    GstKMeansPointsInfo * info)
{
  gchar *str;
  GstCaps *caps;
  GError *err = NULL;

  l->m = &media[(data[0] & 15) % G_N_ELEMENTS (media)];
  if (l->m->type == VALUE_U8) {
    l->width = 1 + data[1] % 64;
    l->height = 1 + data[2] % 64;
    l->d = l->m->channels;
    l->stride = GST_ROUND_UP_4 (l->width * l->m->pixel_stride);
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
  gst_caps_unref (caps);
  g_free (str);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstKMeansPointsReader reader;
  GstKMeansPointsInfo info;
  Layout l;
  guint8 *copy;
  const guint8 *payload;
  gsize len, pass;
  guint64 bad_rows = 0, bad_buffers = 0;

  if (size < 3)
    return 0;
  layout_from_input (data, &l, &info);
  len = size - 3;
  /* Exactly one frame, so video gets past the size check. */
  if (l.m->type == VALUE_U8 && (data[0] & 32))
    len = l.stride * l.height;
  /* GstBuffer memory is usually aligned, but a sub-buffer need not be. */
  copy = g_malloc0 (len + 1);
  payload = copy + ((data[0] & 16) ? 1 : 0);
  memcpy ((guint8 *) payload, data + 3, MIN (len, size - 3));

  gst_kmeans_points_reader_init (&reader);
  for (pass = 0; pass < 2; pass++) {
    GstKMeansReadStatus status;
    gsize n_rows = 12345, total;
    const gfloat *rows = gst_kmeans_points_read (&reader, &info, payload,
        len, &n_rows, &status);

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
  g_free (copy);
  return 0;
}

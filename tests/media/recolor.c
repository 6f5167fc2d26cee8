/* The k-means elements on raw video and audio, with GstHarness:
 * kmeans-assign output=recolor (each pixel in its center's colour, in
 * place, in every format, alpha and padding kept, rounding and clamping,
 * 16-bit, narrower and planar formats), its refusals, assignments of
 * pixels, kmeans-score of a frame, kmeans-train learning exact colours and
 * audio frames while passing the very same buffers on, and all of them on
 * frames whose GstVideoMeta pads the rows beyond GStreamer's default. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "../elements/kmeans-test-helpers.h"

static gfloat *centers_of (GstElement * train, guint * k, guint * d);

static void
push_model (GstHarness * h, guint k, guint d, const gfloat * centers)
{
  push_model_full (h, k, d, KM_METRIC_SQUARED_EUCLIDEAN, centers, 1);
}

static gchar *
video_caps (const gchar * format, gint w, gint h)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, w, h);
}

/* ------------------------------------------------------------ recolor */

/* Two colours, dark red and light blue, and pixels near each. */
static const gfloat two_colours[] = { 120, 10, 20, 40, 160, 230 };

static void
pixel_colour (gint x, gint y, guint8 rgb[3])
{
  gboolean red = (x + y) % 3 == 0;

  rgb[0] = (red ? 120 : 40) + x - y;
  rgb[1] = (red ? 10 : 160) + y;
  rgb[2] = (red ? 20 : 230) - x;
}

/* Every format: channels at their bytes, alpha/padding kept, the row
 * padding untouched, the same caps out, the same memory. */
GST_START_TEST (test_recolor_formats)
{
  static const gchar *formats[] = {
    "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
    "ABGR",
  };
  const gint w = 5, h = 3;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    const gchar *f = formats[i];
    guint bpp = strlen (f);
    gint off[3] = { strchr (f, 'R') - f, strchr (f, 'G') - f,
      strchr (f, 'B') - f
    };
    gsize stride = GST_ROUND_UP_4 (w * bpp), size = stride * h;
    GstHarness *hn = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
    gchar *caps_str = video_caps (f, w, h);
    GstCaps *caps, *want;
    GstBuffer *in, *out;
    GstMapInfo map;
    const guint8 *in_data;
    guint8 *frame;
    gint x, y, c;

    frame = g_malloc (size);
    memset (frame, 0x77, size);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        guint8 rgb[3];

        pixel_colour (x, y, rgb);
        for (c = 0; c < 3; c++)
          frame[y * stride + x * bpp + off[c]] = rgb[c];
      }

    gst_harness_set_src_caps_str (hn, caps_str);
    push_model (hn, 2, 3, two_colours);
    in = gst_buffer_new_wrapped (frame, size);
    fail_unless (gst_buffer_map (in, &map, GST_MAP_READ));
    in_data = map.data;
    gst_buffer_unmap (in, &map);
    fail_unless_equals_int (gst_harness_push (hn, in), GST_FLOW_OK);

    out = gst_harness_pull (hn);
    fail_unless (out != NULL);
    caps = gst_pad_get_current_caps (hn->sinkpad);
    want = gst_caps_from_string (caps_str);
    fail_unless (gst_caps_is_equal (caps, want), "%s: %" GST_PTR_FORMAT, f,
        caps);
    gst_caps_unref (caps);
    gst_caps_unref (want);

    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    /* Written where it was: a writable frame is not copied. */
    fail_unless (map.data == in_data, "%s: the frame was copied", f);
    fail_unless_equals_int (map.size, size);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        const guint8 *px = map.data + y * stride + x * bpp;
        gboolean red = (x + y) % 3 == 0;
        gint b;

        for (c = 0; c < 3; c++)
          fail_unless_equals_int (px[off[c]], two_colours[(red ? 0 : 3) + c]);
        for (b = 0; b < (gint) bpp; b++)
          if (b != off[0] && b != off[1] && b != off[2])
            fail_unless_equals_int (px[b], 0x77);
      }
    for (y = 0; y < h; y++)
      for (x = w * bpp; x < (gint) stride; x++)
        fail_unless_equals_int (map.data[y * stride + x], 0x77);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
    g_free (caps_str);
    gst_harness_teardown (hn);
  }
}

GST_END_TEST;

/* Centers are rounded to the nearest value and clamped to 0..255. */
GST_START_TEST (test_recolor_round_and_clamp)
{
  static const gfloat centers[] = { -20, 127.4f, 300, 9.6f, 255.2f, 0.5f };
  static const guint8 want[] = { 0, 127, 255, 10, 255, 0 };
  guint8 frame[8] = { 0, 120, 250, 0, 10, 250, 10, 0 };
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  GstBuffer *out;
  GstMapInfo map;
  gint c;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGBx,width=2,"
      "height=1,framerate=30/1");
  push_model (h, 2, 3, centers);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, sizeof (frame))), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  for (c = 0; c < 3; c++) {
    fail_unless_equals_int (map.data[c], want[c]);
    fail_unless_equals_int (map.data[4 + c], want[3 + c]);
  }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* GRAY8: one dimension; rows of 3 pixels padded to 4 bytes. */
GST_START_TEST (test_recolor_gray)
{
  static const gfloat levels[] = { 30, 220 };
  guint8 frame[8] = { 10, 200, 130, 0x55, 120, 240, 0, 0x55 };
  static const guint8 want[8] = { 30, 220, 220, 0x55, 30, 220, 30, 0x55 };
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  GstBuffer *out;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=3,"
      "height=2,framerate=30/1");
  push_model (h, 2, 1, levels);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, sizeof (frame))), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_memcmp (out, 0, want, sizeof (want)), 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A frame that is not writable is copied, and the original left alone. */
GST_START_TEST (test_recolor_shared_frame)
{
  static const gfloat levels[] = { 30, 220 };
  guint8 frame[4] = { 10, 200, 130, 0 };
  static const guint8 want[4] = { 30, 220, 220 };
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  GstBuffer *in = gst_buffer_new_memdup (frame, sizeof (frame)), *out;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=3,"
      "height=1,framerate=30/1");
  push_model (h, 2, 1, levels);
  gst_buffer_ref (in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != in);
  fail_unless_equals_int (gst_buffer_memcmp (out, 0, want, 3), 0);
  fail_unless_equals_int (gst_buffer_memcmp (in, 0, frame, 3), 0);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_recolor_refusals)
{
  static const gfloat flat[] = { 0, 0 };
  guint8 frame[12] = { 0, };
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstMessage *msg;

  /* Points are not a picture. */
  h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  gst_harness_set_src_caps_str (h,
      "application/x-points,format=F32LE,dimensions=3");
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, sizeof (frame))),
      GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);

  /* A 2-D model cannot colour RGB pixels. */
  h = element_harness ("kmeans-assign", bus, "output", 2, NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=1,"
      "height=1,framerate=30/1");
  push_model (h, 1, 2, flat);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, 4)), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_recolor_before_model)
{
  guint8 frame[16] = { 0, };
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  guint64 dropped;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=2,"
      "height=2,framerate=30/1");
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, sizeof (frame))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  g_object_get (h->element, "dropped-points", &dropped, NULL);
  fail_unless_equals_uint64 (dropped, 4);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---------------------------------------------- padded and deep frames */

/* 63 RGB pixels a row, rows 256 bytes apart (GStreamer's default would be
 * 192), as a GstVideoMeta says; the padding holds 0x77.  Pixel (x, y) is
 * near dark red or light blue, as pixel_colour() says, or (@flat) exactly
 * one of two_colours. */
#define PADDED_W 63
#define PADDED_H 4
#define PADDED_STRIDE 256

static gboolean
padded_is_red (gint x, gint y)
{
  return (x % 20 + y) % 3 == 0;
}

static GstBuffer *
padded_frame (gboolean flat)
{
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { PADDED_STRIDE, };
  guint8 *data = g_malloc (PADDED_STRIDE * PADDED_H);
  GstBuffer *buf;
  gint x, y;

  memset (data, 0x77, PADDED_STRIDE * PADDED_H);
  for (y = 0; y < PADDED_H; y++)
    for (x = 0; x < PADDED_W; x++) {
      guint8 *px = data + y * PADDED_STRIDE + 3 * x;
      gint c;

      pixel_colour (x % 20, y, px);
      for (c = 0; flat && c < 3; c++)
        px[c] = two_colours[(padded_is_red (x, y) ? 0 : 3) + c];
    }
  buf = gst_buffer_new_wrapped (data, PADDED_STRIDE * PADDED_H);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_RGB, PADDED_W, PADDED_H, 1, offsets, strides);
  return buf;
}

static const gchar padded_caps[] = "video/x-raw,format=RGB,width=63,height=4,"
    "framerate=30/1";

/* The pixels of @buf are the two colours, each where its pixel was; the
 * meta is still the padded one and the padding is untouched. */
static void
check_padded_recolored (GstBuffer * buf)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  GstMapInfo map;
  gint x, y, c;

  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->stride[0], PADDED_STRIDE);
  fail_unless_equals_int (meta->offset[0], 0);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, PADDED_STRIDE * PADDED_H);
  for (y = 0; y < PADDED_H; y++) {
    for (x = 0; x < PADDED_W; x++) {
      gboolean red = padded_is_red (x, y);

      for (c = 0; c < 3; c++)
        fail_unless_equals_int (map.data[y * PADDED_STRIDE + 3 * x + c],
            two_colours[(red ? 0 : 3) + c]);
    }
    for (x = 3 * PADDED_W; x < PADDED_STRIDE; x++)
      fail_unless_equals_int (map.data[y * PADDED_STRIDE + x], 0x77);
  }
  gst_buffer_unmap (buf, &map);
}

/* Recolored where the meta says, in place; a shared frame is copied with
 * its meta and left alone. */
GST_START_TEST (test_recolor_padded_stride)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  GstBuffer *in = padded_frame (FALSE), *out, *orig;
  GstMapInfo map;
  const guint8 *in_data;

  gst_harness_set_src_caps_str (h, padded_caps);
  push_model (h, 2, 3, two_colours);
  fail_unless (gst_buffer_map (in, &map, GST_MAP_READ));
  in_data = map.data;
  gst_buffer_unmap (in, &map);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless (map.data == in_data, "the frame was copied");
  gst_buffer_unmap (out, &map);
  check_padded_recolored (out);
  gst_buffer_unref (out);

  orig = padded_frame (FALSE);
  in = gst_buffer_ref (orig);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != orig);
  check_padded_recolored (out);
  in = padded_frame (FALSE);
  fail_unless (gst_buffer_map (in, &map, GST_MAP_READ));
  fail_unless_equals_int (gst_buffer_memcmp (orig, 0, map.data, map.size), 0);
  gst_buffer_unmap (in, &map);
  gst_buffer_unref (in);
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* kmeans-train learns the two exact colours (were the padding read, the
 * centers would not be those), and passes the frames on untouched (the
 * first three, its init sample, once the model is chosen). */
GST_START_TEST (test_train_padded_stride)
{
  GstHarness *h = element_harness ("kmeans-train", NULL, "num-clusters", 2,
      "init", 1, NULL);
  GstBuffer *in[4];
  gfloat *centers;
  guint f, k, d, c;

  gst_harness_set_src_caps_str (h, padded_caps);
  for (f = 0; f < 4; f++) {
    in[f] = padded_frame (TRUE);
    fail_unless_equals_int (gst_harness_push (h, in[f]), GST_FLOW_OK);
  }
  for (f = 0; f < 4; f++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless (out == in[f]);
    fail_unless (gst_buffer_get_video_meta (out) != NULL);
    gst_buffer_unref (out);
  }
  centers = centers_of (h->element, &k, &d);
  fail_unless_equals_int (k, 2);
  fail_unless_equals_int (d, 3);
  /* The red one has the larger R. */
  f = centers[0] > centers[3] ? 0 : 1;
  for (c = 0; c < 3; c++) {
    fail_unless_equals_float (centers[3 * f + c], two_colours[c]);
    fail_unless_equals_float (centers[3 * (1 - f) + c], two_colours[3 + c]);
  }
  g_free (centers);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* One record per pixel of a padded frame, and its score. */
GST_START_TEST (test_assign_and_score_padded_stride)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  GstBuffer *out;
  GstMapInfo map;
  guint64 points;
  gint x, y;

  gst_harness_set_src_caps_str (h, padded_caps);
  push_model (h, 2, 3, two_colours);
  fail_unless_equals_int (gst_harness_push (h, padded_frame (FALSE)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, PADDED_W * PADDED_H * 8);
  for (y = 0; y < PADDED_H; y++)
    for (x = 0; x < PADDED_W; x++) {
      gboolean red = padded_is_red (x, y);

      fail_unless_equals_int (GST_READ_UINT32_LE (map.data + 8 * (y *
                  PADDED_W + x)), red ? 0 : 1);
    }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = element_harness ("kmeans-score", NULL, NULL);
  gst_harness_set_src_caps_str (h, padded_caps);
  push_model (h, 2, 3, two_colours);
  fail_unless_equals_int (gst_harness_push (h, padded_frame (FALSE)),
      GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  g_object_get (h->element, "num-points", &points, NULL);
  fail_unless_equals_uint64 (points, PADDED_W * PADDED_H);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Pushes the one-row @frame of @format through output=recolor with the
 * 1-D or 3-D @centers and returns what came out. */
static GstBuffer *
recolor_row (const gchar * format, gint width, guint d, const gfloat * centers,
    const guint8 * frame, gsize size)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 2, NULL);
  gchar *caps = video_caps (format, width, 1);
  GstBuffer *out;

  gst_harness_set_src_caps_str (h, caps);
  push_model (h, 2, d, centers);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, size)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_get_size (out), size);
  gst_harness_teardown (h);
  g_free (caps);
  return out;
}

/* Deeper formats take the centers times 257 (0..255 is 0..65535), rounded
 * and clamped; alpha is kept. */
GST_START_TEST (test_recolor_16_bits)
{
  static const gfloat levels[] = { 30, 220.5f };
  static const gfloat colours[] = { 10, 20.2f, 30, 300, 128, -4 };
  guint8 gray[8], rgba[16];
  GstBuffer *out;
  GstMapInfo map;

  GST_WRITE_UINT16_LE (gray, 1000);
  GST_WRITE_UINT16_LE (gray + 2, 60000);
  GST_WRITE_UINT16_LE (gray + 4, 7000);
  GST_WRITE_UINT16_LE (gray + 6, 0xffff);
  out = recolor_row ("GRAY16_LE", 4, 1, levels, gray, sizeof (gray));
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data), 30 * 257);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 2), 56668);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 4), 30 * 257);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 6), 56668);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);

  /* Pixel 0 near (10, 20, 30), pixel 1 near (255, 128, 0). */
  GST_WRITE_UINT16_LE (rgba + 0, 2000);
  GST_WRITE_UINT16_LE (rgba + 2, 5000);
  GST_WRITE_UINT16_LE (rgba + 4, 8000);
  GST_WRITE_UINT16_LE (rgba + 6, 0x1234);
  GST_WRITE_UINT16_LE (rgba + 8, 65000);
  GST_WRITE_UINT16_LE (rgba + 10, 33000);
  GST_WRITE_UINT16_LE (rgba + 12, 100);
  GST_WRITE_UINT16_LE (rgba + 14, 0xfedc);
  out = recolor_row ("RGBA64_LE", 2, 3, colours, rgba, sizeof (rgba));
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 0), 10 * 257);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 2), 5191);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 4), 30 * 257);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 6), 0x1234);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 8), 65535);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 10), 128 * 257);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 12), 0);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 14), 0xfedc);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
}

GST_END_TEST;

/* Narrower components are packed by the video library, which keeps the
 * top bits: RGB16's 5-6-5, BGR10A2_LE's 10 bits (its 2 alpha bits kept),
 * and planar GBR. */
GST_START_TEST (test_recolor_packed_and_planar)
{
  static const gfloat colours[] = { 255, 0, 130, 0, 255, 0 };
  guint8 rgb16[4], bgr10a2[4], gbr[12];
  GstBuffer *out;
  GstMapInfo map;
  guint32 word;

  GST_WRITE_UINT16_LE (rgb16, 0xf800);  /* red: center 0 */
  GST_WRITE_UINT16_LE (rgb16 + 2, 0x07e0);      /* green: center 1 */
  out = recolor_row ("RGB16", 2, 3, colours, rgb16, sizeof (rgb16));
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data),
      (31 << 11) | (0 << 5) | (130 >> 3));
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 2), 63 << 5);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);

  /* Near red, with alpha 2: (R 1000, G 10, B 500). */
  GST_WRITE_UINT32_LE (bgr10a2, (2u << 30) | (1000u << 20) | (10 << 10) | 500);
  out = recolor_row ("BGR10A2_LE", 1, 3, colours, bgr10a2, sizeof (bgr10a2));
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  word = GST_READ_UINT32_LE (map.data);
  fail_unless_equals_int (word >> 30, 2);
  fail_unless_equals_int ((word >> 20) & 0x3ff, 0x3ff);
  fail_unless_equals_int ((word >> 10) & 0x3ff, 0);
  fail_unless_equals_int (word & 0x3ff, (130 * 257) >> 6);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);

  /* Planes G, B, R of 2 pixels, rows padded to 4 bytes: pixel 0 red-ish,
   * pixel 1 green-ish. */
  memset (gbr, 0x55, sizeof (gbr));
  gbr[0] = 20;
  gbr[1] = 250;
  gbr[4] = 100;
  gbr[5] = 10;
  gbr[8] = 240;
  gbr[9] = 5;
  out = recolor_row ("GBR", 2, 3, colours, gbr, sizeof (gbr));
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_int (map.data[8], 255);
  fail_unless_equals_int (map.data[0], 0);
  fail_unless_equals_int (map.data[4], 130);
  fail_unless_equals_int (map.data[9], 0);
  fail_unless_equals_int (map.data[1], 255);
  fail_unless_equals_int (map.data[5], 0);
  fail_unless_equals_int (map.data[2], 0x55);
  fail_unless_equals_int (map.data[7], 0x55);
  fail_unless_equals_int (map.data[11], 0x55);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
}

GST_END_TEST;

/* ------------------------------------------- the other outputs, score */

/* One record per pixel, in pixel order; row padding is not a pixel. */
GST_START_TEST (test_assignments_of_pixels)
{
  static const gfloat levels[] = { 0, 100, 200 };
  guint8 frame[8] = { 190, 5, 120, 0xff, 60, 99, 201, 0xff };
  static const gint32 want_idx[] = { 2, 0, 1, 1, 1, 2 };
  static const gfloat want_dist[] = { 100, 25, 400, 1600, 1, 1 };
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  GstBuffer *out;
  GstMapInfo map;
  guint i;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=3,"
      "height=2,framerate=30/1");
  push_model (h, 3, 1, levels);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, sizeof (frame))), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, 6 * 8);
  for (i = 0; i < 6; i++) {
    guint32 bits = GST_READ_UINT32_LE (map.data + 8 * i + 4);
    gfloat d;

    memcpy (&d, &bits, 4);
    fail_unless_equals_int ((gint32) GST_READ_UINT32_LE (map.data + 8 * i),
        want_idx[i]);
    fail_unless_equals_float (d, want_dist[i]);
  }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The score of a frame is the sum over its pixels, and it passes on. */
GST_START_TEST (test_score_of_frame)
{
  static const gfloat levels[] = { 0, 100, 200 };
  guint8 frame[8] = { 190, 5, 120, 0xff, 60, 99, 201, 0xff };
  GstHarness *h = element_harness ("kmeans-score", NULL, NULL);
  GstBuffer *in = gst_buffer_new_memdup (frame, sizeof (frame)), *out;
  guint64 points;
  gdouble score;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=3,"
      "height=2,framerate=30/1");
  push_model (h, 3, 1, levels);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out == in);
  gst_buffer_unref (out);
  g_object_get (h->element, "score", &score, "num-points", &points, NULL);
  fail_unless_equals_uint64 (points, 6);
  fail_unless_equals_float (score, 100 + 25 + 400 + 1600 + 1 + 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---------------------------------------------------------- training */

static gfloat *
centers_of (GstElement * train, guint * k, guint * d)
{
  GValue v = G_VALUE_INIT;
  gfloat *out;
  guint i, j;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (train), "centers", &v);
  *k = gst_value_array_get_size (&v);
  *d = *k ? gst_value_array_get_size (gst_value_array_get_value (&v, 0)) : 0;
  out = g_new (gfloat, *k * *d);
  for (i = 0; i < *k; i++)
    for (j = 0; j < *d; j++)
      out[i * *d + j] = g_value_get_double (gst_value_array_get_value
          (gst_value_array_get_value (&v, i), j));
  g_value_unset (&v);
  return out;
}

static gint
compare_floats (gconstpointer a, gconstpointer b)
{
  gfloat x = *(const gfloat *) a, y = *(const gfloat *) b;

  return x < y ? -1 : x > y;
}

/* Two flat colours in BGRx: kmeans-train finds exactly those, in R, G, B
 * order, and every frame leaves untouched, in order. */
GST_START_TEST (test_train_learns_colours)
{
  GstHarness *h = element_harness ("kmeans-train", NULL, "num-clusters", 2,
      "init", 1, NULL);
  guint8 frame[4 * 4 * 2];
  GstBuffer *in[4];
  guint f, i, k, d;
  gfloat *centers;

  for (i = 0; i < 8; i++) {
    gboolean first = i % 3 == 0;

    frame[4 * i + 0] = first ? 30 : 250;        /* B */
    frame[4 * i + 1] = first ? 20 : 128;        /* G */
    frame[4 * i + 2] = first ? 10 : 5;  /* R */
    frame[4 * i + 3] = 0x99;
  }
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=4,"
      "height=2,framerate=30/1");
  for (f = 0; f < 4; f++) {
    in[f] = gst_buffer_new_memdup (frame, sizeof (frame));
    fail_unless_equals_int (gst_harness_push (h, in[f]), GST_FLOW_OK);
  }
  for (f = 0; f < 4; f++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless (out == in[f]);
    fail_unless_equals_int (gst_buffer_memcmp (out, 0, frame,
            sizeof (frame)), 0);
    gst_buffer_unref (out);
  }
  centers = centers_of (h->element, &k, &d);
  fail_unless_equals_int (k, 2);
  fail_unless_equals_int (d, 3);
  if (centers[0] > centers[3]) {
    gfloat tmp[3];

    memcpy (tmp, centers, sizeof (tmp));
    memcpy (centers, centers + 3, sizeof (tmp));
    memcpy (centers + 3, tmp, sizeof (tmp));
  }
  fail_unless_equals_float (centers[0], 5);
  fail_unless_equals_float (centers[1], 128);
  fail_unless_equals_float (centers[2], 250);
  fail_unless_equals_float (centers[3], 10);
  fail_unless_equals_float (centers[4], 20);
  fail_unless_equals_float (centers[5], 30);
  g_free (centers);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Stereo S16 frames that are one of four corners: exactly those four,
 * scaled to [-1, 1). */
GST_START_TEST (test_train_learns_audio_frames)
{
  static const gint16 corners[4][2] = {
    {16384, -8192}, {-16384, -8192}, {16384, 8192}, {-16384, 8192},
  };
  GstHarness *h = element_harness ("kmeans-train", NULL, "num-clusters", 4,
      "init", 1, NULL);
  gfloat *centers, xs[4], ys[4];
  guint8 bytes[64 * 4];
  GstBuffer *in[3];
  guint i, k, d;

  for (i = 0; i < 64; i++) {
    const gint16 *c = corners[(i * 7 + i / 5) % 4];

    GST_WRITE_UINT16_LE (bytes + 4 * i, (guint16) c[0]);
    GST_WRITE_UINT16_LE (bytes + 4 * i + 2, (guint16) c[1]);
  }
  gst_harness_set_src_caps_str (h, "audio/x-raw,format=S16LE,"
      "layout=interleaved,rate=8000,channels=2");
  /* The three buffers are the init sample: they leave behind the model. */
  for (i = 0; i < 3; i++) {
    in[i] = gst_buffer_new_memdup (bytes, sizeof (bytes));
    fail_unless_equals_int (gst_harness_push (h, in[i]), GST_FLOW_OK);
  }
  for (i = 0; i < 3; i++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless (out == in[i]);
    gst_buffer_unref (out);
  }
  centers = centers_of (h->element, &k, &d);
  fail_unless_equals_int (k, 4);
  fail_unless_equals_int (d, 2);
  for (i = 0; i < 4; i++) {
    xs[i] = centers[2 * i];
    ys[i] = centers[2 * i + 1];
  }
  qsort (xs, 4, sizeof (gfloat), compare_floats);
  qsort (ys, 4, sizeof (gfloat), compare_floats);
  fail_unless_equals_float (xs[0], -0.5f);
  fail_unless_equals_float (xs[1], -0.5f);
  fail_unless_equals_float (xs[2], 0.5f);
  fail_unless_equals_float (xs[3], 0.5f);
  fail_unless_equals_float (ys[0], -0.25f);
  fail_unless_equals_float (ys[3], 0.25f);
  for (i = 0; i < 4; i++) {
    guint j;

    for (j = 0; j < i; j++)
      fail_if (centers[2 * i] == centers[2 * j]
          && centers[2 * i + 1] == centers[2 * j + 1], "centers %u and %u "
          "are the same corner", i, j);
  }
  g_free (centers);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
recolor_suite (void)
{
  Suite *s = suite_create ("media-elements");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_recolor_formats);
  tcase_add_test (tc, test_recolor_round_and_clamp);
  tcase_add_test (tc, test_recolor_gray);
  tcase_add_test (tc, test_recolor_shared_frame);
  tcase_add_test (tc, test_recolor_refusals);
  tcase_add_test (tc, test_recolor_before_model);
  tcase_add_test (tc, test_recolor_padded_stride);
  tcase_add_test (tc, test_train_padded_stride);
  tcase_add_test (tc, test_assign_and_score_padded_stride);
  tcase_add_test (tc, test_recolor_16_bits);
  tcase_add_test (tc, test_recolor_packed_and_planar);
  tcase_add_test (tc, test_assignments_of_pixels);
  tcase_add_test (tc, test_score_of_frame);
  tcase_add_test (tc, test_train_learns_colours);
  tcase_add_test (tc, test_train_learns_audio_frames);
  return s;
}

GST_CHECK_MAIN (recolor);

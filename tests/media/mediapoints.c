/* Raw video and audio read as points by the shared glue: caps parsing for
 * every accepted format, pixels read through row padding in R, G, B order
 * whatever the byte order (alpha and padding never leak in), frames of the
 * wrong size refused with a message naming the frame, S16 audio scaled,
 * F32 audio read in place, and the element templates that take them. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "../elements/kmeans-test-helpers.h"

static const gchar *video_formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "GRAY8",
};

static GstKMeansPointsInfo
video_info (const gchar * format, gint width, gint height)
{
  gchar *str = g_strdup_printf ("video/x-raw, format=%s, width=%d, "
      "height=%d, framerate=30/1", format, width, height);
  GstKMeansPointsInfo info;
  GError *err = NULL;

  fail_unless (info_from_string (str, &info, &err), "%s: %s", str,
      err ? err->message : "");
  g_free (str);
  return info;
}

/* Bytes per pixel and where a channel sits, worked out from the format's
 * name (packed formats name their bytes in memory order), independently
 * of the glue's own table. */
static guint
name_pixel_bytes (const gchar * format)
{
  return strcmp (format, "GRAY8") == 0 ? 1 : strlen (format);
}

static gint
name_offset (const gchar * format, gchar channel)
{
  const gchar *at = strchr (format, channel);

  return at ? at - format : -1;
}

GST_START_TEST (test_video_caps)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (video_formats); i++) {
    const gchar *f = video_formats[i];
    guint bpp = name_pixel_bytes (f);
    GstKMeansPointsInfo info = video_info (f, 5, 3);

    fail_unless_equals_int (info.media, GST_KMEANS_MEDIA_VIDEO);
    fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_U8);
    fail_unless_equals_string (info.format_name, f);
    fail_unless_equals_int (info.dimensions, bpp == 1 ? 1 : 3);
    fail_unless_equals_int (info.pixel_stride, bpp);
    /* GStreamer pads packed rows to 4 bytes. */
    fail_unless_equals_int (info.stride, GST_ROUND_UP_4 (5 * bpp));
    fail_unless_equals_int (info.frame_size, info.stride * 3);
    fail_unless_equals_int (gst_kmeans_points_info_count (&info,
            info.frame_size), 15);
    fail_unless_equals_int (gst_kmeans_points_info_count (&info,
            info.frame_size + 1), 0);
  }
}

GST_END_TEST;

GST_START_TEST (test_video_read)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (video_formats); i++) {
    const gchar *f = video_formats[i];
    const gint w = 5, h = 3;
    GstKMeansPointsInfo info = video_info (f, w, h);
    guint bpp = name_pixel_bytes (f), d = info.dimensions;
    gint off_r = name_offset (f, 'R'), off_g = name_offset (f, 'G');
    gint off_b = name_offset (f, 'B');
    GstKMeansPointsReader r;
    GstKMeansReadStatus status;
    const gfloat *rows;
    guint8 *frame;
    gsize n = 0;
    gint x, y;

    /* Alpha, padding and row padding hold values no channel has. */
    frame = g_malloc (info.frame_size);
    memset (frame, 0xee, info.frame_size);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        guint8 *px = frame + y * info.stride + x * bpp;

        if (bpp == 1) {
          px[0] = 10 * y + x;
          continue;
        }
        px[off_r] = 10 * y + x;
        px[off_g] = 100 + 10 * y + x;
        px[off_b] = 200 + 10 * y + x;
      }

    gst_kmeans_points_reader_init (&r);
    rows = gst_kmeans_points_read (&r, &info, frame, info.frame_size, &n,
        &status);
    fail_unless_equals_int (status, GST_KMEANS_READ_OK);
    fail_unless_equals_int (n, w * h);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        const gfloat *p = rows + (y * w + x) * d;

        fail_unless_equals_float (p[0], 10 * y + x);
        if (d == 3) {
          fail_unless_equals_float (p[1], 100 + 10 * y + x);
          fail_unless_equals_float (p[2], 200 + 10 * y + x);
        }
      }

    /* Any other size is not a frame: no points, counted. */
    rows = gst_kmeans_points_read (&r, &info, frame, info.frame_size - 1, &n,
        &status);
    fail_unless (rows == NULL);
    fail_unless_equals_int (n, 0);
    fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);
    fail_unless_equals_int (r.bad_buffers, 1);
    gst_kmeans_points_reader_clear (&r);
    g_free (frame);
  }
}

GST_END_TEST;

/* The error for a frame of the wrong size names the frame it expected. */
GST_START_TEST (test_video_wrong_size_message)
{
  GstKMeansPointsInfo info = video_info ("RGB", 5, 3);
  GstElement *e = gst_element_factory_make ("identity", NULL);
  GstBus *bus = gst_bus_new ();
  GstKMeansPointsReader r;
  GstKMeansReadStatus status;
  GstMessage *msg;
  GError *err = NULL;
  gboolean warned = FALSE;
  guint8 frame[48] = { 0, };
  guint64 skipped = 0;
  gsize n;

  gst_element_set_bus (e, bus);
  gst_kmeans_points_reader_init (&r);
  gst_kmeans_points_read (&r, &info, frame, 45, &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);
  fail_if (gst_kmeans_points_report_bad (e, &r, &info, status, 45,
          GST_KMEANS_ON_BAD_INPUT_ERROR, &warned, &skipped));
  fail_unless_equals_int (skipped, 15);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "45 bytes is not one 5x3 RGB frame "
          "(48 bytes)") != NULL, "message: %s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* skip: a warning, every pixel of the frame counted. */
  fail_unless (gst_kmeans_points_report_bad (e, &r, &info, status, 45,
          GST_KMEANS_ON_BAD_INPUT_SKIP, &warned, &skipped));
  fail_unless (warned);
  fail_unless_equals_int (skipped, 15);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  gst_kmeans_points_reader_clear (&r);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_audio_caps)
{
  static const gchar *refused[] = {
    "audio/x-raw, format=F32LE, channels=2",
    "audio/x-raw, format=F32LE, layout=non-interleaved, rate=8000, "
        "channels=2",
    "audio/x-raw, format=U8, layout=interleaved, rate=8000, channels=2",
    "audio/x-raw, format=S16LE, layout=interleaved, channels=2",
    "audio/x-raw, format=S16LE, layout=interleaved, rate=8000, channels=0",
    "video/x-raw, format=I420, width=4, height=4, framerate=0/1",
    "video/x-raw, format=RGB, height=4, framerate=0/1",
  };
  GstKMeansPointsInfo info;
  GError *err = NULL;
  guint i;

  fail_unless (info_from_string ("audio/x-raw, format=F32LE, "
          "layout=interleaved, rate=48000, channels=2, channel-mask=(bitmask)0x3",
          &info, &err));
  fail_unless_equals_int (info.media, GST_KMEANS_MEDIA_AUDIO);
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_F32);
  fail_unless_equals_int (info.dimensions, 2);
  fail_unless_equals_int (gst_kmeans_points_info_count (&info, 80), 10);

  fail_unless (info_from_string ("audio/x-raw, format=S16LE, "
          "layout=interleaved, rate=8000, channels=3", &info, &err));
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_S16);
  fail_unless_equals_string (info.format_name, "S16LE");
  fail_unless_equals_int (info.dimensions, 3);
  fail_unless_equals_int (gst_kmeans_points_info_count (&info, 60), 10);

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    GstKMeansPointsInfo untouched = info;

    fail_if (info_from_string (refused[i], &info, &err), "accepted %s",
        refused[i]);
    fail_unless (err != NULL);
    g_clear_error (&err);
    /* A refusal leaves what the caller had. */
    fail_unless_equals_int (info.media, untouched.media);
    fail_unless_equals_int (info.format, untouched.format);
    fail_unless_equals_int (info.dimensions, untouched.dimensions);
  }
}

GST_END_TEST;

GST_START_TEST (test_audio_read)
{
  const gint16 s16[] = { -32768, 16384, 0, 32767, 1, -1 };
  const gfloat f32[] = { 0.25f, -0.5f, 1.0f, 0.0f };
  GstKMeansPointsInfo info;
  GstKMeansPointsReader r;
  GstKMeansReadStatus status;
  const gfloat *rows;
  guint8 bytes[sizeof (s16)];
  GError *err = NULL;
  guint i;
  gsize n;

  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    GST_WRITE_UINT16_LE (bytes + 2 * i, (guint16) s16[i]);

  fail_unless (info_from_string ("audio/x-raw, format=S16LE, "
          "layout=interleaved, rate=8000, channels=2", &info, &err));
  gst_kmeans_points_reader_init (&r);
  rows = gst_kmeans_points_read (&r, &info, bytes, sizeof (bytes), &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_OK);
  fail_unless_equals_int (n, 3);
  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    fail_unless_equals_float (rows[i], s16[i] / 32768.0f);
  fail_unless_equals_float (rows[0], -1.0f);
  fail_unless (rows[3] < 1.0f);

  /* Half an audio frame. */
  rows = gst_kmeans_points_read (&r, &info, bytes, sizeof (bytes) - 2, &n,
      &status);
  fail_unless (rows == NULL);
  fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);

  /* F32 audio is read where it lies. */
  fail_unless (info_from_string ("audio/x-raw, format=F32LE, "
          "layout=interleaved, rate=8000, channels=2", &info, &err));
  rows = gst_kmeans_points_read (&r, &info, (const guint8 *) f32,
      sizeof (f32), &n, &status);
  fail_unless (rows == f32);
  fail_unless_equals_int (n, 2);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

/* Every element that reads points takes raw video and audio. */
GST_START_TEST (test_element_templates)
{
  static const gchar *elements[] = {
    "kmeans-train", "kmeans-assign", "kmeans-score", "kmeans-viz",
  };
  GstCaps *video = gst_caps_from_string ("video/x-raw, format=BGRx, "
      "width=64, height=48, framerate=30/1");
  GstCaps *audio = gst_caps_from_string ("audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=44100, channels=2");
  GstCaps *media = gst_caps_from_string (GST_KMEANS_MEDIA_SINK_CAPS);
  guint i;

  fail_unless_equals_int (gst_caps_get_size (media), 4);
  for (i = 0; i < G_N_ELEMENTS (elements); i++) {
    GstElement *e = gst_element_factory_make (elements[i], NULL);
    GstPad *sink;

    fail_unless (e != NULL, "no %s", elements[i]);
    sink = gst_element_get_static_pad (e, "sink");
    fail_unless (gst_pad_query_accept_caps (sink, video), "%s", elements[i]);
    fail_unless (gst_pad_query_accept_caps (sink, audio), "%s", elements[i]);
    gst_object_unref (sink);
    gst_object_unref (e);
  }
  gst_caps_unref (media);
  gst_caps_unref (video);
  gst_caps_unref (audio);
}

GST_END_TEST;

static Suite *
mediapoints_suite (void)
{
  Suite *s = suite_create ("media-points");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_caps);
  tcase_add_test (tc, test_video_read);
  tcase_add_test (tc, test_video_wrong_size_message);
  tcase_add_test (tc, test_audio_caps);
  tcase_add_test (tc, test_audio_read);
  tcase_add_test (tc, test_element_templates);
  return s;
}

GST_CHECK_MAIN (mediapoints);

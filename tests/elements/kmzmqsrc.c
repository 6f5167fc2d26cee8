/* gst-kmeans: kmzmqsrc tests, against real libzmq sockets.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "../zmq/zmq-test-helpers.h"

#define POINTS_CAPS \
    "application/x-points, format=(string)F32LE, dimensions=(int)2"
#define NONE64 G_GUINT64_CONSTANT (0xffffffffffffffff)

/* The two examples of schemas/zmq-framing.md, byte for byte. */
static const guint8 example_header[] = {
  0x47, 0x5a, 0x4d, 0x51, 0x01, 0x02, 0x00, 0x00,
  0xcd, 0xab, 0x34, 0x12, 0x3d, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0x80, 0xb2, 0xe6, 0x0e, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '/', 'x', '-', 'p',
  'o', 'i', 'n', 't', 's', ',', ' ', 'f', 'o', 'r', 'm', 'a', 't', '=', '(',
  's', 't', 'r', 'i', 'n', 'g', ')', 'F', '3', '2', 'L', 'E', ',', ' ', 'd',
  'i', 'm', 'e', 'n', 's', 'i', 'o', 'n', 's', '=', '(', 'i', 'n', 't', ')',
  '2'
};

static const guint8 example_eos[] = {
  0x47, 0x5a, 0x4d, 0x51, 0x01, 0x01, 0x00, 0x00,
  0xcd, 0xab, 0x34, 0x12, 0x00, 0x00, 0x00, 0x00,
  0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

G_STATIC_ASSERT (sizeof (example_header) == 125);
G_STATIC_ASSERT (sizeof (example_eos) == GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE);

/* ------------------------------------------------------------ header */

GST_START_TEST (test_header_schema_examples)
{
  GstKmZmqFrameHeader h;
  GError *err = NULL;
  guint8 out[sizeof (example_header)];

  fail_unless (gst_km_zmq_frame_header_parse (example_header,
          sizeof (example_header), &h, &err));
  fail_unless (err == NULL);
  fail_unless_equals_int (h.version, 1);
  fail_unless_equals_int (h.flags, GST_KM_ZMQ_FRAME_FLAG_DISCONT);
  fail_unless_equals_uint64 (h.stream_id, 0x1234abcd);
  fail_unless_equals_uint64 (h.sequence, 0);
  fail_unless_equals_uint64 (h.pts, 0);
  fail_unless_equals_uint64 (h.dts, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (h.duration, 250 * GST_MSECOND);
  fail_unless_equals_uint64 (h.offset, 0);
  fail_unless_equals_uint64 (h.offset_end, 4);
  fail_unless_equals_int (h.caps_len, strlen (POINTS_CAPS));
  fail_unless (memcmp (h.caps, POINTS_CAPS, h.caps_len) == 0);

  /* Writing what was read gives the documented bytes back. */
  fail_unless_equals_int (gst_km_zmq_frame_header_size (&h), sizeof (out));
  gst_km_zmq_frame_header_write (&h, out);
  fail_unless (memcmp (out, example_header, sizeof (out)) == 0);

  fail_unless (gst_km_zmq_frame_header_parse (example_eos, sizeof (example_eos),
          &h, NULL));
  fail_unless_equals_int (h.flags, GST_KM_ZMQ_FRAME_FLAG_EOS);
  fail_unless_equals_uint64 (h.sequence, 5);
  fail_unless_equals_uint64 (h.pts, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (h.offset_end, NONE64);
  fail_unless_equals_int (h.caps_len, 0);
  fail_unless (h.caps == NULL);
}

GST_END_TEST;

static void
expect_parse_error (const guint8 * data, gsize size, gint code)
{
  GstKmZmqFrameHeader h;
  GError *err = NULL;

  fail_if (gst_km_zmq_frame_header_parse (data, size, &h, &err));
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, GST_KM_ZMQ_FRAME_ERROR, code),
      "expected code %d, got %d: %s", code, err->code, err->message);
  g_error_free (err);
}

GST_START_TEST (test_header_parse_rejects)
{
  guint8 buf[sizeof (example_header) + 1];

  expect_parse_error (NULL, 0, GST_KM_ZMQ_FRAME_ERROR_TRUNCATED);
  expect_parse_error (example_header, 10, GST_KM_ZMQ_FRAME_ERROR_TRUNCATED);
  expect_parse_error (example_header, 63, GST_KM_ZMQ_FRAME_ERROR_TRUNCATED);
  /* Caps cut short. */
  expect_parse_error (example_header, sizeof (example_header) - 1,
      GST_KM_ZMQ_FRAME_ERROR_TRUNCATED);
  /* One byte too many after the caps. */
  memcpy (buf, example_header, sizeof (example_header));
  buf[sizeof (example_header)] = 'x';
  expect_parse_error (buf, sizeof (buf), GST_KM_ZMQ_FRAME_ERROR_BAD_SIZE);

  memcpy (buf, example_header, sizeof (example_header));
  buf[0] = 'X';
  expect_parse_error (buf, sizeof (example_header),
      GST_KM_ZMQ_FRAME_ERROR_BAD_MAGIC);

  memcpy (buf, example_header, sizeof (example_header));
  buf[4] = 2;
  expect_parse_error (buf, sizeof (example_header),
      GST_KM_ZMQ_FRAME_ERROR_BAD_VERSION);

  /* A caps length that would overflow size arithmetic if trusted. */
  memcpy (buf, example_header, sizeof (example_header));
  GST_WRITE_UINT32_LE (buf + 12, 0xffffffff);
  expect_parse_error (buf, sizeof (example_header),
      GST_KM_ZMQ_FRAME_ERROR_TRUNCATED);

  memcpy (buf, example_header, sizeof (example_header));
  buf[70] = '\0';
  expect_parse_error (buf, sizeof (example_header),
      GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS);

  memcpy (buf, example_header, sizeof (example_header));
  buf[70] = 0xff;
  expect_parse_error (buf, sizeof (example_header),
      GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS);
}

GST_END_TEST;

/* Every prefix and every single-byte change of a valid header parses to
 * either a header whose caps lie inside the frame, or a clean error. */
GST_START_TEST (test_header_parse_mutations)
{
  guint8 buf[sizeof (example_header)];
  gsize i, size;
  guint v;

  for (size = 0; size <= sizeof (example_header); size++) {
    GstKmZmqFrameHeader h;
    GError *err = NULL;
    gboolean ok =
        gst_km_zmq_frame_header_parse (example_header, size, &h, &err);

    fail_unless (ok == (size == sizeof (example_header)));
    fail_unless (ok == (err == NULL));
    g_clear_error (&err);
  }

  for (i = 0; i < sizeof (buf); i++) {
    for (v = 0; v < 256; v += 17) {
      GstKmZmqFrameHeader h;
      GError *err = NULL;

      memcpy (buf, example_header, sizeof (buf));
      buf[i] ^= (guint8) (v | 1);
      if (gst_km_zmq_frame_header_parse (buf, sizeof (buf), &h, &err)) {
        fail_unless (err == NULL);
        fail_unless (h.caps_len == sizeof (buf) - 64);
        fail_unless (h.caps_len == 0 || (h.caps == (gchar *) buf + 64));
      } else {
        fail_unless (err != NULL && err->domain == GST_KM_ZMQ_FRAME_ERROR);
        g_error_free (err);
      }
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_key_file)
{
  gchar *dir = g_dir_make_tmp ("zmqkeys-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "cert", NULL);
  gchar public_key[41], secret_key[41];
  gchar *pub = NULL, *sec = NULL, *text;
  GError *err = NULL;

  fail_unless_equals_int (zmq_curve_keypair (public_key, secret_key), 0);

  /* A ZeroMQ certificate as zcert (and pyzmq) write it. */
  text = g_strdup_printf ("#   ****  Generated by CZMQ  ****\n"
      "metadata\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
      public_key, secret_key);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
  g_free (text);
  fail_unless (gst_km_zmq_read_key_file (path, &pub, &sec, &err));
  fail_unless_equals_string (pub, public_key);
  fail_unless_equals_string (sec, secret_key);
  g_free (pub);
  g_free (sec);

  /* The short form, public part only. */
  text = g_strdup_printf ("public=%s\n", public_key);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
  g_free (text);
  fail_unless (gst_km_zmq_read_key_file (path, &pub, &sec, &err));
  fail_unless_equals_string (pub, public_key);
  fail_unless (sec == NULL);
  g_free (pub);

  fail_unless (g_file_set_contents (path, "nothing here\n", -1, NULL));
  fail_if (gst_km_zmq_read_key_file (path, &pub, &sec, &err));
  fail_unless (err != NULL);
  g_clear_error (&err);

  g_unlink (path);
  fail_if (gst_km_zmq_read_key_file (path, &pub, &sec, &err));
  fail_unless (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT));
  g_clear_error (&err);

  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* ----------------------------------------------------------- helpers */

static GstHarness *
new_src (const gchar * endpoint, const gchar * socket_type,
    const gchar * framing)
{
  GstHarness *h = gst_harness_new ("kmzmqsrc");

  g_object_set (h->element, "endpoint", endpoint, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "socket-type", socket_type);
  gst_util_set_object_arg (G_OBJECT (h->element), "framing", framing);
  return h;
}

static void
set_points_caps (GstHarness * h)
{
  GstCaps *caps = gst_caps_from_string (POINTS_CAPS);

  g_object_set (h->element, "caps", caps, NULL);
  gst_caps_unref (caps);
}

/* Caps for raw messages of any size (points caps make kmzmqsrc drop a
 * message that is not whole points). */
static void
set_bytes_caps (GstHarness * h)
{
  GstCaps *caps = gst_caps_new_empty_simple ("application/octet-stream");

  g_object_set (h->element, "caps", caps, NULL);
  gst_caps_unref (caps);
}

/* A SUB socket only gets what is published after its subscription has
 * reached the publisher: publish probes until one arrives, then a marker,
 * and drop everything up to the marker.  @topic may be NULL. */
static void
sync_subscriber (void *pub, GstHarness * h, const gchar * topic,
    gboolean gst_framing)
{
  GBytes *parts[3];
  guint n = 0, i;
  gint64 end = g_get_monotonic_time () + WAIT_US;
  GstBuffer *buf = NULL;

  if (topic)
    parts[n++] = g_bytes_new_static (topic, strlen (topic));
  if (gst_framing)
    parts[n++] = make_header (0, 99, 0, GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, NONE64, NONE64, POINTS_CAPS);
  parts[n++] = g_bytes_new_static ("probe", 5);

  while (buf == NULL && g_get_monotonic_time () < end) {
    send_bytes_parts (pub, n, parts);
    buf = pull_buffer (h, 10 * 1000);
  }
  fail_unless (buf != NULL, "the subscriber never got a message");
  gst_buffer_unref (buf);

  g_bytes_unref (parts[n - 1]);
  parts[n - 1] = g_bytes_new_static ("sync", 4);
  if (gst_framing) {
    g_bytes_unref (parts[n - 2]);
    parts[n - 2] = make_header (0, 99, 1, GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, NONE64, NONE64, POINTS_CAPS);
  }
  send_bytes_parts (pub, n, parts);
  for (;;) {
    gboolean is_sync;

    buf = pull_buffer (h, WAIT_US);
    fail_unless (buf != NULL, "the marker never came");
    is_sync = buffer_equals (buf, "sync", 4);
    gst_buffer_unref (buf);
    if (is_sync)
      break;
  }
  for (i = 0; i < n; i++)
    g_bytes_unref (parts[i]);
}

/* --------------------------------------------------------------- raw */

GST_START_TEST (test_raw_pull)
{
  TestPeer *push = test_peer_bind (ZMQ_PUSH);
  const gfloat a[] = { 1, 2, 3, 4 }, b[] = { 5, 6 }, c[] = { 7, 8, 9, 10 };
  const gfloat *msgs[] = { a, b, c };
  const gsize sizes[] = { sizeof (a), sizeof (b), sizeof (c) };
  GstCaps *expected = gst_caps_from_string (POINTS_CAPS), *caps;
  GstHarness *h = new_src (push->endpoint, "pull", "raw");
  guint i;

  set_points_caps (h);
  gst_harness_play (h);

  for (i = 0; i < 3; i++)
    send_one (push->sock, msgs[i], sizes[i]);
  for (i = 0; i < 3; i++) {
    GstBuffer *buf = pull_buffer (h, WAIT_US);

    fail_unless (buf != NULL);
    fail_unless (buffer_equals (buf, msgs[i], sizes[i]));
    /* Not live: a raw message has no timestamp. */
    fail_if (GST_BUFFER_PTS_IS_VALID (buf));
    gst_buffer_unref (buf);
  }
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL && gst_caps_is_equal (caps, expected));
  gst_caps_unref (caps);

  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "bytes-in"), 40);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "bytes-out"), 40);
  fail_unless_equals_uint64 (stat_u64 (h->element, "malformed"), 0);

  gst_harness_teardown (h);
  gst_caps_unref (expected);
  test_peer_free (push);
}

GST_END_TEST;

GST_START_TEST (test_raw_live_timestamps)
{
  TestPeer *push = test_peer_bind (ZMQ_PUSH);
  GstHarness *h = new_src (push->endpoint, "pull", "raw");
  GstBuffer *buf;

  g_object_set (h->element, "is-live", TRUE, NULL);
  set_points_caps (h);
  gst_harness_play (h);

  send_one (push->sock, "12345678", 8);
  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL);
  /* The running time of arrival, on the harness' test clock. */
  fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
  gst_buffer_unref (buf);

  gst_harness_teardown (h);
  test_peer_free (push);
}

GST_END_TEST;

GST_START_TEST (test_raw_sub_topic)
{
  TestPeer *pub = test_peer_bind (ZMQ_PUB);
  GstHarness *h = new_src (pub->endpoint, "sub", "raw");
  const void *other[] = { "zzz", "nope" }, *data1[] = { "pts", "data1" };
  const void *topic_only[] = { "pts" }, *data2[] = { "pts", "data2" };
  const gsize other_sizes[] = { 3, 4 }, data_sizes[] = { 3, 5 };
  const gsize topic_sizes[] = { 3 };
  GstBuffer *buf;

  g_object_set (h->element, "topic", "pts", NULL);
  set_bytes_caps (h);
  gst_harness_play (h);
  sync_subscriber (pub->sock, h, "pts", FALSE);

  send_parts (pub->sock, 2, other, other_sizes);
  send_parts (pub->sock, 2, data1, data_sizes);
  send_parts (pub->sock, 1, topic_only, topic_sizes);
  send_parts (pub->sock, 2, data2, data_sizes);

  /* The other topic was filtered, the topic frame removed. */
  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL && buffer_equals (buf, "data1", 5));
  gst_buffer_unref (buf);
  /* A topic with nothing after it is malformed, and skipped. */
  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL && buffer_equals (buf, "data2", 5));
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (stat_u64 (h->element, "malformed"), 1);

  gst_harness_teardown (h);
  test_peer_free (pub);
}

GST_END_TEST;

GST_START_TEST (test_pull_topic_mismatch_dropped)
{
  TestPeer *push = test_peer_bind (ZMQ_PUSH);
  GstHarness *h = new_src (push->endpoint, "pull", "raw");
  const void *other[] = { "zzz", "nope" }, *mine[] = { "pts", "yes" };
  const gsize sizes[] = { 3, 4 }, mine_sizes[] = { 3, 3 };
  GstBuffer *buf;

  g_object_set (h->element, "topic", "pts", NULL);
  set_bytes_caps (h);
  gst_harness_play (h);

  send_parts (push->sock, 2, other, sizes);
  send_parts (push->sock, 2, mine, mine_sizes);
  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL && buffer_equals (buf, "yes", 3));
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "malformed"), 0);

  gst_harness_teardown (h);
  test_peer_free (push);
}

GST_END_TEST;

/* --------------------------------------------------------- gst framing */

GST_START_TEST (test_gst_framing)
{
  TestPeer *push = test_peer_bind (ZMQ_PUSH);
  GstHarness *h = new_src (push->endpoint, "pull", "gst");
  const gchar *caps4 =
      "application/x-points, format=(string)F32LE, dimensions=(int)4";
  GstCaps *expected2 = gst_caps_from_string (POINTS_CAPS);
  GstCaps *expected4 = gst_caps_from_string (caps4), *caps;
  GBytes *msg[5];
  GstBuffer *buf;
  GstEvent *ev;
  const GstSegment *segment;
  guint i;

  gst_harness_play (h);

  msg[0] = make_header (GST_KM_ZMQ_FRAME_FLAG_DISCONT, 7, 0, GST_SECOND,
      GST_CLOCK_TIME_NONE, GST_SECOND / 2, 0, 2, POINTS_CAPS);
  msg[1] = g_bytes_new_static ("0123456789abcdef", 16);
  send_bytes_parts (push->sock, 2, msg);
  g_bytes_unref (msg[0]);

  /* One memory per payload frame. */
  msg[0] = make_header (GST_KM_ZMQ_FRAME_FLAG_DELTA_UNIT, 7, 1,
      3 * GST_SECOND / 2, 14 * GST_SECOND / 10, GST_SECOND / 2, 2, 4,
      POINTS_CAPS);
  msg[2] = g_bytes_new_static ("ABCDEFGH", 8);
  msg[3] = g_bytes_new_static ("IJKL", 4);
  msg[4] = g_bytes_new_static ("MNOP", 4);
  {
    GBytes *parts[] = { msg[0], msg[2], msg[3], msg[4] };
    send_bytes_parts (push->sock, 4, parts);
  }
  g_bytes_unref (msg[0]);

  /* New caps. */
  msg[0] = make_header (0, 7, 2, 2 * GST_SECOND, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE, NONE64, NONE64, caps4);
  send_bytes_parts (push->sock, 2, msg);
  g_bytes_unref (msg[0]);

  msg[0] = make_header (GST_KM_ZMQ_FRAME_FLAG_EOS, 7, 3, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, NONE64, NONE64, NULL);
  send_bytes_parts (push->sock, 1, msg);
  g_bytes_unref (msg[0]);

  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL);
  fail_unless (buffer_equals (buf, "0123456789abcdef", 16));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), GST_SECOND / 2);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 0);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), 2);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);

  /* The sender's caps; a segment starting at the first timestamp, so
   * running time starts at 0. */
  ev = wait_event (h, GST_EVENT_CAPS);
  fail_unless (ev != NULL);
  gst_event_parse_caps (ev, &caps);
  fail_unless (gst_caps_is_equal (caps, expected2));
  gst_event_unref (ev);
  ev = wait_event (h, GST_EVENT_SEGMENT);
  fail_unless (ev != NULL);
  gst_event_parse_segment (ev, &segment);
  fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
  fail_unless_equals_uint64 (segment->start, GST_SECOND);
  fail_unless_equals_uint64 (segment->time, GST_SECOND);
  fail_unless_equals_uint64 (segment->base, 0);
  gst_event_unref (ev);

  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL);
  fail_unless_equals_int (gst_buffer_n_memory (buf), 3);
  fail_unless (buffer_equals (buf, "ABCDEFGHIJKLMNOP", 16));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 3 * GST_SECOND / 2);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), 14 * GST_SECOND / 10);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);

  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), GST_BUFFER_OFFSET_NONE);
  gst_buffer_unref (buf);
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (gst_caps_is_equal (caps, expected4));
  gst_caps_unref (caps);

  /* The EOS header ends the stream. */
  ev = wait_event (h, GST_EVENT_EOS);
  fail_unless (ev != NULL);
  gst_event_unref (ev);

  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 4);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "bytes-out"), 48);
  fail_unless_equals_uint64 (stat_u64 (h->element, "malformed"), 0);

  for (i = 1; i < 5; i++)
    g_bytes_unref (msg[i]);
  gst_caps_unref (expected2);
  gst_caps_unref (expected4);
  gst_harness_teardown (h);
  test_peer_free (push);
}

GST_END_TEST;

/* Sends a gst-framed message of one payload frame, @data. */
static void
send_framed (void *sock, guint32 stream, guint64 seq, const gchar * caps,
    const gchar * data)
{
  GBytes *parts[2];

  parts[0] = make_header (0, stream, seq, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, NONE64, NONE64, caps);
  parts[1] = g_bytes_new_static (data, strlen (data));
  send_bytes_parts (sock, 2, parts);
  g_bytes_unref (parts[0]);
  g_bytes_unref (parts[1]);
}

static void
expect_buffer (GstHarness * h, const gchar * data, gboolean discont)
{
  GstBuffer *buf = pull_buffer (h, WAIT_US);

  fail_unless (buf != NULL);
  fail_unless (buffer_equals (buf, data, strlen (data)), "not \"%s\"", data);
  fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DISCONT), discont);
  gst_buffer_unref (buf);
}

GST_START_TEST (test_sequence_gap_counted)
{
  TestPeer *pub = test_peer_bind (ZMQ_PUB);
  GstHarness *h = new_src (pub->endpoint, "sub", "gst");

  gst_harness_play (h);
  /* Stream 99, sequences 0 and 1. */
  sync_subscriber (pub->sock, h, NULL, TRUE);

  send_framed (pub->sock, 99, 2, POINTS_CAPS, "a");
  send_framed (pub->sock, 99, 5, POINTS_CAPS, "b");     /* 3 and 4 lost */
  send_framed (pub->sock, 99, 6, POINTS_CAPS, "c");
  /* Another sender: no gap. */
  send_framed (pub->sock, 42, 1000, POINTS_CAPS, "d");
  send_framed (pub->sock, 99, 7, POINTS_CAPS, "e");
  expect_buffer (h, "a", FALSE);
  expect_buffer (h, "b", TRUE);
  expect_buffer (h, "c", FALSE);
  expect_buffer (h, "d", FALSE);
  expect_buffer (h, "e", FALSE);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped"), 2);

  gst_harness_teardown (h);
  test_peer_free (pub);
}

GST_END_TEST;

GST_START_TEST (test_malformed_counted)
{
  TestPeer *push = test_peer_bind (ZMQ_PUSH);
  GstHarness *h = new_src (push->endpoint, "pull", "gst");
  GBytes *parts[2], *header, *many[20];
  gchar *deep;
  guint8 *bad;
  gsize size;
  guint i, n_bad = 0;
  const void *many_data[20];
  gsize many_sizes[20];
  GstBuffer *buf;

  gst_harness_play (h);
  header = make_header (0, 1, 0, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE, NONE64, NONE64, POINTS_CAPS);

  /* Garbage. */
  send_one (push->sock, "hello", 5);
  n_bad++;
  /* A truncated header. */
  send_one (push->sock, g_bytes_get_data (header, NULL), 30);
  n_bad++;
  /* A future version. */
  bad = g_bytes_unref_to_data (g_bytes_ref (header), &size);
  bad[4] = 9;
  send_one (push->sock, bad, size);
  g_free (bad);
  n_bad++;
  /* Caps length beyond the frame. */
  bad = g_bytes_unref_to_data (g_bytes_ref (header), &size);
  GST_WRITE_UINT32_LE (bad + 12, 1000);
  send_one (push->sock, bad, size);
  g_free (bad);
  n_bad++;
  /* Caps that do not parse, and caps that are not fixed. */
  parts[1] = g_bytes_new_static ("xx", 2);
  parts[0] = make_header (0, 1, 1, 0, 0, 0, 0, 0, "application/x-points, "
      "format=(string)");
  send_bytes_parts (push->sock, 2, parts);
  g_bytes_unref (parts[0]);
  n_bad++;
  parts[0] = make_header (0, 1, 2, 0, 0, 0, 0, 0, "application/x-points, "
      "dimensions=(int)[ 1, 4 ]");
  send_bytes_parts (push->sock, 2, parts);
  g_bytes_unref (parts[0]);
  n_bad++;
  /* Nested deep enough to overflow GStreamer's recursive caps parser. */
  deep = g_strnfill (200000, '{');
  memcpy (deep, "a, b=", 5);
  parts[0] = make_header (0, 1, 3, 0, 0, 0, 0, 0, deep);
  send_bytes_parts (push->sock, 2, parts);
  g_bytes_unref (parts[0]);
  g_free (deep);
  n_bad++;
  /* EOS with a payload. */
  parts[0] = make_header (GST_KM_ZMQ_FRAME_FLAG_EOS, 1, 3, 0, 0, 0, 0, 0, NULL);
  send_bytes_parts (push->sock, 2, parts);
  g_bytes_unref (parts[0]);
  n_bad++;
  /* More than 16 payload frames. */
  many[0] = g_bytes_ref (header);
  for (i = 1; i < 20; i++)
    many[i] = g_bytes_new_static ("p", 1);
  for (i = 0; i < 20; i++)
    many_data[i] = g_bytes_get_data (many[i], &many_sizes[i]);
  send_parts (push->sock, 20, many_data, many_sizes);
  for (i = 0; i < 20; i++)
    g_bytes_unref (many[i]);
  n_bad++;

  /* The stream goes on after all of them. */
  parts[0] = header;
  send_bytes_parts (push->sock, 2, parts);
  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL && buffer_equals (buf, "xx", 2));
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (stat_u64 (h->element, "malformed"), n_bad);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), n_bad + 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 1);

  g_bytes_unref (parts[1]);
  g_bytes_unref (header);
  gst_harness_teardown (h);
  test_peer_free (push);
}

GST_END_TEST;

/* ----------------------------------------------------- messages, stop */

/* A peer whose caps downstream refuses loses those messages, counted,
 * with one warning; it cannot stop the stream or change its caps. */
GST_START_TEST (test_refused_caps_skipped)
{
  TestPeer *push = test_peer_bind (ZMQ_PUSH);
  GstHarness *h = new_src (push->endpoint, "pull", "gst");
  GstBus *bus = gst_bus_new ();
  GstCaps *expected, *current;
  GstMessage *msg;
  GError *error = NULL;
  guint warnings = 0;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_sink_caps_str (h, POINTS_CAPS);
  gst_harness_play (h);

  /* Refused before any caps were accepted. */
  send_framed (push->sock, 1, 0,
      "application/x-points, format=(string)F32LE, dimensions=(int)3", "r0");
  send_framed (push->sock, 1, 2, POINTS_CAPS, "a1");
  /* Refused after: the stream keeps its caps, also for a message without
   * caps.  The same string again is not even parsed. */
  send_framed (push->sock, 1, 3,
      "application/x-points, format=(string)F64LE, dimensions=(int)2", "r1");
  send_framed (push->sock, 1, 4,
      "application/x-points, format=(string)F64LE, dimensions=(int)2", "r2");
  send_framed (push->sock, 1, 5, NULL, "a2");
  send_framed (push->sock, 1, 6, POINTS_CAPS, "a3");

  expect_buffer (h, "a1", TRUE);        /* the first after start */
  expect_buffer (h, "a2", FALSE);
  expect_buffer (h, "a3", FALSE);
  fail_unless_equals_uint64 (stat_u64 (h->element, "malformed"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 3);

  expected = gst_caps_from_string (POINTS_CAPS);
  current = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (current != NULL && gst_caps_is_equal (current, expected));
  gst_caps_unref (current);
  gst_caps_unref (expected);

  while ((msg = gst_bus_pop (bus)) != NULL) {
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "error posted");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &error, NULL);
      fail_unless (g_error_matches (error, GST_STREAM_ERROR,
              GST_STREAM_ERROR_FORMAT));
      g_clear_error (&error);
      warnings++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (warnings, 1);

  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  test_peer_free (push);
}

GST_END_TEST;

/* A bound kmzmqsrc that nobody sends to, with a bus. */
static GstHarness *
idle_src (GstBus ** bus, guint64 timeout)
{
  GstHarness *h = new_src ("tcp://127.0.0.1:*", "pull", "gst");

  g_object_set (h->element, "bind", TRUE, "timeout", timeout, NULL);
  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  gst_harness_play (h);
  return h;
}

/* Messages hold the element and the element holds the bus: break the
 * cycle before tearing down. */
static void
teardown_with_bus (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
}

static GstMessage *
wait_timeout_message (GstBus * bus)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_ELEMENT);

  fail_unless (msg != NULL, "no element message");
  fail_unless (gst_message_has_name (msg, "GstKmZmqSrcTimeout"));
  return msg;
}

GST_START_TEST (test_timeout_message)
{
  GstBus *bus;
  GstHarness *h = idle_src (&bus, 50 * GST_MSECOND);
  gchar *last = NULL;
  guint i;

  g_object_get (h->element, "last-endpoint", &last, NULL);
  fail_unless (last != NULL && g_str_has_prefix (last, "tcp://127.0.0.1:"));
  fail_if (g_str_has_suffix (last, ":*"));
  g_free (last);

  /* Posted again and again while nothing comes. */
  for (i = 0; i < 2; i++) {
    GstMessage *msg = wait_timeout_message (bus);
    guint64 timeout = 0;

    fail_unless (gst_structure_get_uint64 (gst_message_get_structure (msg),
            "timeout", &timeout));
    fail_unless_equals_uint64 (timeout, 50 * GST_MSECOND);
    fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
    gst_message_unref (msg);
  }

  teardown_with_bus (h, bus);
}

GST_END_TEST;

GST_START_TEST (test_stop_while_blocked)
{
  GstBus *bus;
  GstHarness *h = idle_src (&bus, 20 * GST_MSECOND);
  GstMessage *msg;

  /* A timeout message shows create() is waiting; then wait forever. */
  msg = wait_timeout_message (bus);
  gst_message_unref (msg);
  g_object_set (h->element, "timeout", (guint64) 0, NULL);
  g_usleep (100 * 1000);

  assert_stops_in_bound (h->element);

  teardown_with_bus (h, bus);
}

GST_END_TEST;

GST_START_TEST (test_restart_same_port)
{
  void *ctx = zmq_ctx_new ();
  GstHarness *h = new_src ("tcp://127.0.0.1:*", "pull", "raw");
  gchar *endpoint = NULL;
  guint run;

  g_object_set (h->element, "bind", TRUE, NULL);
  set_bytes_caps (h);
  gst_harness_play (h);
  g_object_get (h->element, "last-endpoint", &endpoint, NULL);
  fail_unless (endpoint != NULL);

  /* Stopping releases the port: the same endpoint binds again. */
  for (run = 0; run < 3; run++) {
    void *push = test_socket (ctx, ZMQ_PUSH);
    GstBuffer *buf;

    if (run > 0) {
      g_object_set (h->element, "endpoint", endpoint, NULL);
      fail_unless_equals_int (gst_element_set_state (h->element,
              GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    }
    fail_unless_equals_int (zmq_connect (push, endpoint), 0);
    send_one (push, "run", 3);
    buf = pull_buffer (h, WAIT_US);
    fail_unless (buf != NULL && buffer_equals (buf, "run", 3));
    gst_buffer_unref (buf);
    /* Stats start again at each start. */
    fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 1);
    zmq_close (push);
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  }

  gst_harness_teardown (h);
  g_free (endpoint);
  zmq_ctx_term (ctx);
}

GST_END_TEST;

/* ------------------------------------------------------------- errors */

static void
expect_endpoint_error (const gchar * endpoint, gboolean bind, gint code)
{
  GstElement *src = gst_element_factory_make ("kmzmqsrc", NULL);
  gchar *debug;

  fail_unless (src != NULL);
  g_object_set (src, "endpoint", endpoint, "bind", bind, NULL);
  debug = expect_start_error (src, GST_RESOURCE_ERROR, code);
  fail_unless (debug != NULL && *debug != '\0');
  g_free (debug);
  gst_object_unref (src);
}

GST_START_TEST (test_bad_endpoints)
{
  expect_endpoint_error (NULL, FALSE, GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("", FALSE, GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("tcp://127.0.0.1:99999", FALSE,
      GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("tcp://127.0.0.1:99999", TRUE,
      GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("tcp://127.0.0.1", FALSE, GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("tcp://127.0.0.1:*", FALSE,
      GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("foo://bar", FALSE, GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("inproc://points", TRUE, GST_RESOURCE_ERROR_SETTINGS);
  expect_endpoint_error ("tcp://127.0.0.1:5555,,tcp://127.0.0.1:5556",
      FALSE, GST_RESOURCE_ERROR_SETTINGS);
  /* Well-formed but unusable: open errors. */
  expect_endpoint_error ("tcp://no-such-host.invalid:5555", FALSE,
      GST_RESOURCE_ERROR_OPEN_READ);
  expect_endpoint_error ("ipc:///nonexistent-dir/points.ipc", TRUE,
      GST_RESOURCE_ERROR_OPEN_READ);
  /* TEST-NET-1 (RFC 5737) is never a local address. */
  expect_endpoint_error ("tcp://192.0.2.1:5555", TRUE,
      GST_RESOURCE_ERROR_OPEN_READ);
}

GST_END_TEST;

GST_START_TEST (test_bind_conflict)
{
  TestPeer *other = test_peer_bind (ZMQ_PUSH);
  GstElement *src = gst_element_factory_make ("kmzmqsrc", NULL);
  gchar *debug;

  g_object_set (src, "endpoint", other->endpoint, "bind", TRUE, NULL);
  debug = expect_start_error (src, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  fail_unless (strstr (debug, zmq_strerror (EADDRINUSE)) != NULL, "%s", debug);
  fail_unless (strstr (debug, other->endpoint) != NULL, "%s", debug);
  g_free (debug);

  gst_object_unref (src);
  test_peer_free (other);
}

GST_END_TEST;

/* -------------------------------------------------------------- CURVE */

typedef struct
{
  gchar public_key[41];
  gchar secret_key[41];
} KeyPair;

static void
keypair_new (KeyPair * kp)
{
  fail_unless_equals_int (zmq_curve_keypair (kp->public_key,
          kp->secret_key), 0);
}

/* A libzmq PUB that is the CURVE server with @server's keys. */
static void *
curve_pub_server (void *ctx, const KeyPair * server, gchar ** endpoint)
{
  void *pub = test_socket (ctx, ZMQ_PUB);
  gint one = 1;

  zmq_setsockopt (pub, ZMQ_CURVE_SERVER, &one, sizeof (one));
  zmq_setsockopt (pub, ZMQ_CURVE_SECRETKEY, server->secret_key, 40);
  *endpoint = bind_any_port (pub);
  return pub;
}

/* Publishes for WATCH_US and checks nothing reached @h. */
static void
expect_nothing (void *pub, GstHarness * h)
{
  gint64 end = g_get_monotonic_time () + WATCH_US;

  while (g_get_monotonic_time () < end) {
    GstBuffer *buf;

    send_one (pub, "secret", 6);
    buf = pull_buffer (h, 10 * 1000);
    fail_unless (buf == NULL, "a message got through");
  }
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 0);
}

GST_START_TEST (test_curve_client)
{
  void *ctx = zmq_ctx_new ();
  KeyPair server, impostor;
  gchar *endpoint;
  void *pub;
  GstHarness *h;

  keypair_new (&server);
  keypair_new (&impostor);
  pub = curve_pub_server (ctx, &server, &endpoint);

  /* The right server key: messages flow. */
  h = new_src (endpoint, "sub", "raw");
  g_object_set (h->element, "curve-server-key", server.public_key, NULL);
  gst_harness_play (h);
  sync_subscriber (pub, h, NULL, FALSE);
  gst_harness_teardown (h);

  /* A wrong server key: nothing, ever. */
  h = new_src (endpoint, "sub", "raw");
  g_object_set (h->element, "curve-server-key", impostor.public_key, NULL);
  gst_harness_play (h);
  expect_nothing (pub, h);
  gst_harness_teardown (h);

  /* No CURVE at all: the server does not talk to it. */
  h = new_src (endpoint, "sub", "raw");
  gst_harness_play (h);
  expect_nothing (pub, h);
  gst_harness_teardown (h);

  g_free (endpoint);
  zmq_close (pub);
  zmq_ctx_term (ctx);
}

GST_END_TEST;

/* A libzmq PUSH client of @server_public with @client's keys. */
static void *
curve_push_client (void *ctx, const gchar * server_public,
    const KeyPair * client, const gchar * endpoint)
{
  void *push = test_socket (ctx, ZMQ_PUSH);

  zmq_setsockopt (push, ZMQ_CURVE_SERVERKEY, server_public, 40);
  zmq_setsockopt (push, ZMQ_CURVE_PUBLICKEY, client->public_key, 40);
  zmq_setsockopt (push, ZMQ_CURVE_SECRETKEY, client->secret_key, 40);
  fail_unless_equals_int (zmq_connect (push, endpoint), 0);
  return push;
}

GST_START_TEST (test_curve_allowed_clients)
{
  void *ctx = zmq_ctx_new ();
  KeyPair server, friend, stranger;
  gchar *allowed, *endpoint = NULL;
  void *good, *bad;
  GstHarness *h = new_src ("tcp://127.0.0.1:*", "pull", "raw");
  GstBuffer *buf;

  keypair_new (&server);
  keypair_new (&friend);
  keypair_new (&stranger);
  allowed = g_strdup_printf ("%s, %s", server.public_key, friend.public_key);
  g_object_set (h->element, "bind", TRUE, "curve-server", TRUE,
      "curve-secret-key", server.secret_key, "curve-allowed-clients",
      allowed, NULL);
  gst_harness_play (h);
  g_object_get (h->element, "last-endpoint", &endpoint, NULL);

  /* The stranger knows the server key, but is not listed. */
  bad = curve_push_client (ctx, server.public_key, &stranger, endpoint);
  fail_unless (wait_stat (h->element, "clients-rejected", 1) >= 1);
  /* Refused at the handshake, the PUSH usually has no pipe left to queue
   * on; whether it takes the message or not, none may arrive. */
  zmq_send (bad, "intruder", 8, ZMQ_DONTWAIT);

  good = curve_push_client (ctx, server.public_key, &friend, endpoint);
  send_one (good, "friend", 6);
  buf = pull_buffer (h, WAIT_US);
  fail_unless (buf != NULL && buffer_equals (buf, "friend", 6));
  gst_buffer_unref (buf);
  buf = pull_buffer (h, WATCH_US);
  fail_unless (buf == NULL, "the stranger got through");
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 1);

  gst_harness_teardown (h);
  g_free (allowed);
  g_free (endpoint);
  zmq_close (good);
  zmq_close (bad);
  zmq_ctx_term (ctx);
}

GST_END_TEST;

static void
expect_curve_error (const gchar * first_property, ...)
{
  GstElement *src = gst_element_factory_make ("kmzmqsrc", NULL);
  va_list args;
  gchar *debug;

  g_object_set (src, "endpoint", "tcp://127.0.0.1:*", "bind", TRUE, NULL);
  va_start (args, first_property);
  g_object_set_valist (G_OBJECT (src), first_property, args);
  va_end (args);
  debug = expect_start_error (src, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS);
  g_free (debug);
  gst_object_unref (src);
}

GST_START_TEST (test_curve_settings_errors)
{
  KeyPair kp, other;
  GstElement *src;
  gchar *debug;

  keypair_new (&kp);
  keypair_new (&other);
  /* Keys but no role: it would run unencrypted. */
  expect_curve_error ("curve-secret-key", kp.secret_key, NULL);
  expect_curve_error ("curve-server", TRUE, NULL);
  expect_curve_error ("curve-server", TRUE, "curve-secret-key", "tooshort",
      NULL);
  expect_curve_error ("curve-server-key", "not a z85 key at all, no", NULL);
  expect_curve_error ("curve-server", TRUE, "curve-secret-key",
      kp.secret_key, "curve-server-key", other.public_key, NULL);
  expect_curve_error ("curve-allowed-clients", other.public_key, NULL);
  expect_curve_error ("curve-server", TRUE, "curve-secret-key",
      kp.secret_key, "curve-public-key", other.public_key, NULL);

  src = gst_element_factory_make ("kmzmqsrc", NULL);
  g_object_set (src, "endpoint", "tcp://127.0.0.1:*", "bind", TRUE,
      "curve-server", TRUE, "curve-key-file", "/nonexistent/server.key", NULL);
  debug = expect_start_error (src, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (debug);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
kmzmqsrc_suite (void)
{
  Suite *s = suite_create ("kmzmqsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_header_schema_examples);
  tcase_add_test (tc, test_header_parse_rejects);
  tcase_add_test (tc, test_header_parse_mutations);
  tcase_add_test (tc, test_key_file);
  tcase_add_test (tc, test_raw_pull);
  tcase_add_test (tc, test_raw_live_timestamps);
  tcase_add_test (tc, test_raw_sub_topic);
  tcase_add_test (tc, test_pull_topic_mismatch_dropped);
  tcase_add_test (tc, test_gst_framing);
  tcase_add_test (tc, test_sequence_gap_counted);
  tcase_add_test (tc, test_malformed_counted);
  tcase_add_test (tc, test_refused_caps_skipped);
  tcase_add_test (tc, test_timeout_message);
  tcase_add_test (tc, test_stop_while_blocked);
  tcase_add_test (tc, test_restart_same_port);
  tcase_add_test (tc, test_bad_endpoints);
  tcase_add_test (tc, test_bind_conflict);
  tcase_add_test (tc, test_curve_client);
  tcase_add_test (tc, test_curve_allowed_clients);
  tcase_add_test (tc, test_curve_settings_errors);
  return s;
}

GST_CHECK_MAIN (kmzmqsrc);

/* gst-kmeans: kmzmqsink tests, against real libzmq sockets and kmzmqsrc.
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

/* The harness starts a sink as soon as it has it: configure the element
 * first, finish with start_sink(). */
static GstElement *
new_sink (const gchar * endpoint, const gchar * socket_type,
    const gchar * framing)
{
  GstElement *sink = gst_element_factory_make ("kmzmqsink", NULL);

  fail_unless (sink != NULL);
  /* The harness runs a test clock: do not wait on it. */
  g_object_set (sink, "endpoint", endpoint, "sync", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (sink), "socket-type", socket_type);
  gst_util_set_object_arg (G_OBJECT (sink), "framing", framing);
  return sink;
}

static GstHarness *
start_sink (GstElement * sink)
{
  GstHarness *h = gst_harness_new_with_element (sink, "sink", NULL);

  gst_object_unref (sink);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  return h;
}

static gchar *
last_endpoint (GstHarness * h)
{
  gchar *endpoint = NULL;

  g_object_get (h->element, "last-endpoint", &endpoint, NULL);
  fail_unless (endpoint != NULL);
  fail_if (strchr (endpoint, '*') != NULL);
  return endpoint;
}

static GstBuffer *
points_buffer (const gchar * a, const gchar * b, GstClockTime pts,
    GstClockTime dts, GstClockTime duration, guint64 offset)
{
  GstBuffer *buf = gst_buffer_new ();

  /* Static strings: wrapped read-only, never freed. */
  gst_buffer_append_memory (buf, gst_memory_new_wrapped
      (GST_MEMORY_FLAG_READONLY, (gpointer) a, strlen (a), 0, strlen (a),
          NULL, NULL));
  if (b != NULL)
    gst_buffer_append_memory (buf, gst_memory_new_wrapped
        (GST_MEMORY_FLAG_READONLY, (gpointer) b, strlen (b), 0, strlen (b),
            NULL, NULL));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_DURATION (buf) = duration;
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + 1;
  return buf;
}

static GstKmZmqFrameHeader
parse_header_frame (GBytes * frame)
{
  GstKmZmqFrameHeader header;
  GError *err = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  fail_unless (gst_km_zmq_frame_header_parse (data, size, &header, &err),
      "%s", err ? err->message : "");
  return header;
}

/* ------------------------------------------------------------- raw/pub */

GST_START_TEST (test_raw_pub_topic)
{
  void *ctx = zmq_ctx_new ();
  void *sub = test_socket (ctx, ZMQ_SUB);
  GstElement *el = new_sink ("tcp://127.0.0.1:*", "pub", "raw");
  GstHarness *h;
  GPtrArray *msg;
  gchar *endpoint;

  g_object_set (el, "topic", "pts", "wait-for-subscriber", TRUE, NULL);
  h = start_sink (el);
  endpoint = last_endpoint (h);
  fail_unless_equals_int (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "pts", 3), 0);
  fail_unless_equals_int (zmq_connect (sub, endpoint), 0);

  /* Held until the subscription is there: nothing is lost. */
  fail_unless_equals_int (gst_harness_push (h, points_buffer ("first", NULL,
              0, GST_CLOCK_TIME_NONE, 10, 0)), GST_FLOW_OK);
  /* Two memories: raw sends them as one frame. */
  fail_unless_equals_int (gst_harness_push (h, points_buffer ("sec", "ond",
              10, GST_CLOCK_TIME_NONE, 10, 1)), GST_FLOW_OK);

  msg = recv_message (sub, WAIT_US);
  fail_unless (msg != NULL && msg->len == 2);
  fail_unless (bytes_equal_str (msg->pdata[0], "pts"));
  fail_unless (bytes_equal_str (msg->pdata[1], "first"));
  g_ptr_array_unref (msg);
  msg = recv_message (sub, WAIT_US);
  fail_unless (msg != NULL && msg->len == 2);
  fail_unless (bytes_equal_str (msg->pdata[1], "second"));
  g_ptr_array_unref (msg);

  /* Raw framing has no end-of-stream message. */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  msg = recv_message (sub, WATCH_US);
  fail_unless (msg == NULL);

  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 2);
  fail_unless_equals_uint64 (stat_u64 (h->element, "bytes-in"), 11);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 2);
  fail_unless_equals_uint64 (stat_u64 (h->element, "bytes-out"), 3 + 5 + 3 + 6);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped"), 0);

  gst_harness_teardown (h);
  g_free (endpoint);
  zmq_close (sub);
  zmq_ctx_term (ctx);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  GstBuffer *buffer;
  GstFlowReturn ret;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;

  job->ret = gst_harness_push (job->h, job->buffer);
  return NULL;
}

/* A subscriber to another topic does not count: the first message waits
 * until one to ours comes. */
GST_START_TEST (test_wait_for_subscriber_topic)
{
  void *ctx = zmq_ctx_new ();
  void *other = test_socket (ctx, ZMQ_SUB), *mine = test_socket (ctx, ZMQ_SUB);
  GstElement *el = new_sink ("tcp://127.0.0.1:*", "pub", "gst");
  GstHarness *h;
  PushJob job = { NULL, NULL, GST_FLOW_ERROR };
  GThread *thread;
  GPtrArray *msg;
  gchar *endpoint;

  g_object_set (el, "topic", "pts", "wait-for-subscriber", TRUE, NULL);
  h = job.h = start_sink (el);
  endpoint = last_endpoint (h);
  zmq_setsockopt (other, ZMQ_SUBSCRIBE, "zzz", 3);
  zmq_connect (other, endpoint);

  job.buffer = points_buffer ("data", NULL, 0, 0, 1, 0);
  thread = g_thread_new ("push", push_thread, &job);
  fail_unless_equals_uint64 (wait_stat (h->element, "messages-in", 1), 1);
  g_usleep (WATCH_US);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 0);

  zmq_setsockopt (mine, ZMQ_SUBSCRIBE, "p", 1);
  zmq_connect (mine, endpoint);
  g_thread_join (thread);
  fail_unless_equals_int (job.ret, GST_FLOW_OK);
  msg = recv_message (mine, WAIT_US);
  fail_unless (msg != NULL && msg->len == 3);
  fail_unless (bytes_equal_str (msg->pdata[0], "pts"));
  fail_unless (bytes_equal_str (msg->pdata[2], "data"));
  g_ptr_array_unref (msg);
  fail_unless (recv_message (other, 0) == NULL);

  gst_harness_teardown (h);
  g_free (endpoint);
  zmq_close (other);
  zmq_close (mine);
  zmq_ctx_term (ctx);
}

GST_END_TEST;

/* --------------------------------------------------------- gst framing */

GST_START_TEST (test_gst_push_header)
{
  TestPeer *pull = test_peer_bind (ZMQ_PULL);
  GstElement *el = new_sink (pull->endpoint, "push", "gst");
  GstCaps *caps = gst_caps_from_string (POINTS_CAPS);
  gchar *caps_str = gst_caps_to_string (caps);
  GstKmZmqFrameHeader header;
  GstHarness *h;
  GstBuffer *buf;
  GPtrArray *msg;
  guint32 stream;

  g_object_set (el, "bind", FALSE, NULL);
  h = start_sink (el);

  buf = points_buffer ("AAAABBBB", "CCCC", GST_SECOND, GST_SECOND / 2,
      GST_SECOND / 4, 40);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, points_buffer ("DDDD", NULL,
              GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
              41)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  /* header, then one frame per memory */
  msg = recv_message (pull->sock, WAIT_US);
  fail_unless (msg != NULL);
  fail_unless_equals_int (msg->len, 3);
  header = parse_header_frame (msg->pdata[0]);
  fail_unless_equals_int (header.flags, GST_KM_ZMQ_FRAME_FLAG_DISCONT |
      GST_KM_ZMQ_FRAME_FLAG_HEADER);
  fail_unless_equals_uint64 (header.sequence, 0);
  fail_unless_equals_uint64 (header.pts, GST_SECOND);
  fail_unless_equals_uint64 (header.dts, GST_SECOND / 2);
  fail_unless_equals_uint64 (header.duration, GST_SECOND / 4);
  fail_unless_equals_uint64 (header.offset, 40);
  fail_unless_equals_uint64 (header.offset_end, 41);
  fail_unless_equals_int (header.caps_len, strlen (caps_str));
  fail_unless (memcmp (header.caps, caps_str, header.caps_len) == 0);
  stream = header.stream_id;
  fail_unless (bytes_equal_str (msg->pdata[1], "AAAABBBB"));
  fail_unless (bytes_equal_str (msg->pdata[2], "CCCC"));
  g_ptr_array_unref (msg);

  /* Caps again in every message; no timestamps stay none. */
  msg = recv_message (pull->sock, WAIT_US);
  fail_unless (msg != NULL && msg->len == 2);
  header = parse_header_frame (msg->pdata[0]);
  fail_unless_equals_uint64 (header.sequence, 1);
  fail_unless_equals_uint64 (header.stream_id, stream);
  fail_unless_equals_uint64 (header.pts, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (header.flags, 0);
  fail_unless_equals_int (header.caps_len, strlen (caps_str));
  g_ptr_array_unref (msg);

  /* EOS: a header alone, flagged. */
  msg = recv_message (pull->sock, WAIT_US);
  fail_unless (msg != NULL && msg->len == 1);
  header = parse_header_frame (msg->pdata[0]);
  fail_unless_equals_int (header.flags, GST_KM_ZMQ_FRAME_FLAG_EOS);
  fail_unless_equals_uint64 (header.sequence, 2);
  fail_unless_equals_uint64 (header.stream_id, stream);
  g_ptr_array_unref (msg);

  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 3);

  gst_harness_teardown (h);
  g_free (caps_str);
  gst_caps_unref (caps);
  test_peer_free (pull);
}

GST_END_TEST;

/* ------------------------------------------------- blocking, dropping */

GST_START_TEST (test_block_false_drops)
{
  gchar *dir, *endpoint = ipc_endpoint_new (&dir);
  GstElement *el = new_sink (endpoint, "push", "gst");
  GstHarness *h;
  guint i;

  /* Nobody binds the endpoint. */
  g_object_set (el, "bind", FALSE, "block", FALSE, NULL);
  h = start_sink (el);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (gst_harness_push (h, points_buffer ("x", NULL, i,
                i, 1, i)), GST_FLOW_OK);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-in"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 0);

  gst_harness_teardown (h);
  ipc_endpoint_free (endpoint, dir);
}

GST_END_TEST;

GST_START_TEST (test_stop_while_blocked)
{
  gchar *dir, *endpoint = ipc_endpoint_new (&dir);
  GstElement *el = new_sink (endpoint, "push", "gst");
  GstHarness *h;
  PushJob job = { NULL, NULL, GST_FLOW_OK };
  GThread *thread;

  g_object_set (el, "bind", FALSE, NULL);
  h = job.h = start_sink (el);

  /* Nobody to push to: render waits. */
  job.buffer = points_buffer ("stuck", NULL, 0, 0, 1, 0);
  thread = g_thread_new ("push", push_thread, &job);
  fail_unless_equals_uint64 (wait_stat (h->element, "messages-in", 1), 1);
  g_usleep (100 * 1000);

  assert_stops_in_bound (h->element);
  g_thread_join (thread);
  fail_unless_equals_int (job.ret, GST_FLOW_FLUSHING);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 0);

  gst_harness_teardown (h);
  ipc_endpoint_free (endpoint, dir);
}

GST_END_TEST;

/* PLAYING -> PAUSED -> PLAYING while render waits: the buffer is kept
 * and sent once a peer comes, as GstBaseSink wants. */
GST_START_TEST (test_pause_while_blocked)
{
  void *ctx = zmq_ctx_new ();
  void *pull = test_socket (ctx, ZMQ_PULL);
  gchar *dir, *endpoint = ipc_endpoint_new (&dir);
  GstElement *el = new_sink (endpoint, "push", "raw");
  GstHarness *h;
  PushJob job = { NULL, NULL, GST_FLOW_ERROR };
  GThread *thread;
  GPtrArray *msg;

  g_object_set (el, "bind", FALSE, NULL);
  h = job.h = start_sink (el);
  job.buffer = points_buffer ("kept", NULL, 0, 0, 1, 0);
  thread = g_thread_new ("push", push_thread, &job);
  fail_unless_equals_uint64 (wait_stat (h->element, "messages-in", 1), 1);

  gst_element_set_state (h->element, GST_STATE_PAUSED);
  g_usleep (100 * 1000);
  gst_element_set_state (h->element, GST_STATE_PLAYING);
  fail_unless_equals_uint64 (stat_u64 (h->element, "messages-out"), 0);

  fail_unless_equals_int (zmq_bind (pull, endpoint), 0);
  g_thread_join (thread);
  fail_unless_equals_int (job.ret, GST_FLOW_OK);
  msg = recv_message (pull, WAIT_US);
  fail_unless (msg != NULL && msg->len == 1);
  fail_unless (bytes_equal_str (msg->pdata[0], "kept"));
  g_ptr_array_unref (msg);

  gst_harness_teardown (h);
  zmq_close (pull);
  zmq_ctx_term (ctx);
  ipc_endpoint_free (endpoint, dir);
}

GST_END_TEST;

/* -------------------------------------------------- kmzmqsink -> kmzmqsrc */

static GstHarness *
new_src (const gchar * endpoint, const gchar * socket_type)
{
  GstHarness *h = gst_harness_new ("kmzmqsrc");

  g_object_set (h->element, "endpoint", endpoint, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "socket-type", socket_type);
  return h;
}

/* Pushes three timestamped buffers and EOS into @sink and checks @src
 * gives them back with caps, timestamps, flags and EOS. */
static void
check_round_trip (GstHarness * sink, GstHarness * src)
{
  const gchar *data[] = { "one.", "two..", "three." };
  GstCaps *expected = gst_caps_from_string (POINTS_CAPS), *caps;
  GstEvent *ev;
  guint i;

  for (i = 0; i < 3; i++) {
    GstBuffer *buf = points_buffer (data[i], NULL, i * GST_SECOND,
        GST_CLOCK_TIME_NONE, GST_SECOND, 10 * i);

    if (i == 1)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless_equals_int (gst_harness_push (sink, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (sink, gst_event_new_eos ()));

  for (i = 0; i < 3; i++) {
    GstBuffer *buf = pull_buffer (src, WAIT_US);

    fail_unless (buf != NULL, "buffer %u missing", i);
    fail_unless (buffer_equals (buf, data[i], strlen (data[i])));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * GST_SECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), GST_CLOCK_TIME_NONE);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), GST_SECOND);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 10 * i);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), 10 * i + 1);
    fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (buf,
            GST_BUFFER_FLAG_DELTA_UNIT), i == 1);
    gst_buffer_unref (buf);
  }
  caps = gst_pad_get_current_caps (src->sinkpad);
  fail_unless (caps != NULL && gst_caps_is_equal (caps, expected));
  gst_caps_unref (caps);
  ev = wait_event (src, GST_EVENT_EOS);
  fail_unless (ev != NULL, "no EOS");
  gst_event_unref (ev);

  fail_unless_equals_uint64 (stat_u64 (sink->element, "messages-out"), 4);
  fail_unless_equals_uint64 (stat_u64 (src->element, "messages-in"), 4);
  fail_unless_equals_uint64 (stat_u64 (src->element, "malformed"), 0);
  fail_unless_equals_uint64 (stat_u64 (src->element, "dropped"), 0);
  gst_caps_unref (expected);
}

static void
round_trip_push_pull (const gchar * bind_endpoint)
{
  GstHarness *sink = start_sink (new_sink (bind_endpoint, "push", "gst"));
  GstHarness *src;
  gchar *endpoint;

  endpoint = last_endpoint (sink);
  src = new_src (endpoint, "pull");
  gst_harness_play (src);

  check_round_trip (sink, src);

  gst_harness_teardown (src);
  gst_harness_teardown (sink);
  g_free (endpoint);
}

GST_START_TEST (test_round_trip_tcp)
{
  round_trip_push_pull ("tcp://127.0.0.1:*");
}

GST_END_TEST;

GST_START_TEST (test_round_trip_ipc)
{
  gchar *dir, *endpoint = ipc_endpoint_new (&dir);

  round_trip_push_pull (endpoint);
  ipc_endpoint_free (endpoint, dir);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_pub_sub)
{
  GstElement *el = new_sink ("tcp://127.0.0.1:*", "pub", "gst");
  GstHarness *sink, *src;
  gchar *endpoint;

  g_object_set (el, "wait-for-subscriber", TRUE, "topic", "points", NULL);
  sink = start_sink (el);
  endpoint = last_endpoint (sink);
  src = new_src (endpoint, "sub");
  g_object_set (src->element, "topic", "points", NULL);
  gst_harness_play (src);

  check_round_trip (sink, src);

  gst_harness_teardown (src);
  gst_harness_teardown (sink);
  g_free (endpoint);
}

GST_END_TEST;

/* -------------------------------------------------------------- CURVE */

static void
write_file (const gchar * path, const gchar * format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
  g_free (text);
}

GST_START_TEST (test_curve_round_trip)
{
  gchar server_public[41], server_secret[41], other_public[41],
      other_secret[41];
  gchar *dir = g_dir_make_tmp ("zmqcurve-XXXXXX", NULL);
  gchar *server_cert = g_build_filename (dir, "server.key", NULL);
  gchar *client_cert = g_build_filename (dir, "server.pub", NULL);
  GstElement *el = new_sink ("tcp://127.0.0.1:*", "pub", "gst");
  GstHarness *sink, *src;
  gchar *endpoint;
  void *ctx = zmq_ctx_new ();
  void *plain;
  gint64 end;

  zmq_curve_keypair (server_public, server_secret);
  zmq_curve_keypair (other_public, other_secret);
  /* The server's certificate as zcert writes it; the client's copy holds
   * the public key only. */
  write_file (server_cert, "metadata\ncurve\n    public-key = \"%s\"\n"
      "    secret-key = \"%s\"\n", server_public, server_secret);
  write_file (client_cert, "public=%s\n", server_public);

  g_object_set (el, "curve-server", TRUE, "curve-key-file", server_cert,
      "wait-for-subscriber", TRUE, NULL);
  sink = start_sink (el);
  endpoint = last_endpoint (sink);

  /* With the server key: everything arrives. */
  src = new_src (endpoint, "sub");
  g_object_set (src->element, "curve-server-key-file", client_cert, NULL);
  gst_harness_play (src);
  check_round_trip (sink, src);
  gst_harness_teardown (src);
  gst_harness_teardown (sink);

  /* A wrong server key, and no CURVE at all: nothing arrives. */
  el = new_sink (endpoint, "pub", "gst");
  g_object_set (el, "curve-server", TRUE, "curve-secret-key", server_secret,
      NULL);
  sink = start_sink (el);
  src = new_src (endpoint, "sub");
  g_object_set (src->element, "curve-server-key", other_public, NULL);
  gst_harness_play (src);
  plain = test_socket (ctx, ZMQ_SUB);
  zmq_setsockopt (plain, ZMQ_SUBSCRIBE, "", 0);
  zmq_connect (plain, endpoint);

  end = g_get_monotonic_time () + WATCH_US;
  while (g_get_monotonic_time () < end) {
    fail_unless_equals_int (gst_harness_push (sink, points_buffer ("secret",
                NULL, 0, 0, 1, 0)), GST_FLOW_OK);
    fail_unless (pull_buffer (src, 10 * 1000) == NULL);
    fail_unless (recv_message (plain, 0) == NULL);
  }
  fail_unless_equals_uint64 (stat_u64 (src->element, "messages-in"), 0);

  gst_harness_teardown (src);
  gst_harness_teardown (sink);
  zmq_close (plain);
  zmq_ctx_term (ctx);
  g_unlink (server_cert);
  g_unlink (client_cert);
  g_rmdir (dir);
  g_free (server_cert);
  g_free (client_cert);
  g_free (dir);
  g_free (endpoint);
}

GST_END_TEST;

/* ------------------------------------------------------------- errors */

GST_START_TEST (test_bind_conflict)
{
  TestPeer *other = test_peer_bind (ZMQ_PULL);
  GstElement *sink = gst_element_factory_make ("kmzmqsink", NULL);
  gchar *debug;

  g_object_set (sink, "endpoint", other->endpoint, NULL);
  debug = expect_start_error (sink, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_WRITE);
  fail_unless (strstr (debug, zmq_strerror (EADDRINUSE)) != NULL, "%s", debug);
  g_free (debug);

  gst_object_unref (sink);
  test_peer_free (other);
}

GST_END_TEST;

GST_START_TEST (test_bad_endpoints)
{
  const gchar *settings[] = { "", "tcp://127.0.0.1:65536", "udp://x:1",
    "inproc://points", "tcp://:5555"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    GstElement *sink = gst_element_factory_make ("kmzmqsink", NULL);
    gchar *debug;

    g_object_set (sink, "endpoint", settings[i], NULL);
    debug = expect_start_error (sink, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS);
    g_free (debug);
    gst_object_unref (sink);
  }
}

GST_END_TEST;

static Suite *
kmzmqsink_suite (void)
{
  Suite *s = suite_create ("kmzmqsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_raw_pub_topic);
  tcase_add_test (tc, test_wait_for_subscriber_topic);
  tcase_add_test (tc, test_gst_push_header);
  tcase_add_test (tc, test_block_false_drops);
  tcase_add_test (tc, test_stop_while_blocked);
  tcase_add_test (tc, test_pause_while_blocked);
  tcase_add_test (tc, test_round_trip_tcp);
  tcase_add_test (tc, test_round_trip_ipc);
  tcase_add_test (tc, test_round_trip_pub_sub);
  tcase_add_test (tc, test_curve_round_trip);
  tcase_add_test (tc, test_bind_conflict);
  tcase_add_test (tc, test_bad_endpoints);
  return s;
}

GST_CHECK_MAIN (kmzmqsink);

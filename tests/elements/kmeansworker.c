/* gst-kmeans: tests of the kmeans-worker element that need no kmeans-hub:
 * a fake hub here is a real ZeroMQ ROUTER socket in a thread, answering
 * as scripted (tests/distributed/ trains with the real hub).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <zmq.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "kmeans.h"
#include "kmstats.h"
#include "kmhubproto.h"

#define CAPS_F32_2D \
    "application/x-points, format=(string)F32LE, dimensions=(int)2"
#define WORKER_ID 7
#define HUB_VERSION 3
#define HUB_ROUND 5
#define REASON "this hub trains 5 clusters"
/* A guard against a hang, not a measure: the worker answers at once. */
#define POP_TIMEOUT_US (60 * G_USEC_PER_SEC)

static const gfloat hub_centers[] = { 0, 0, 10, 0 };

/* ----------------------------------------------------------- fake hub */

typedef enum
{
  HUB_REFUSE,                   /* HELLO -> REFUSED */
  HUB_SILENT,                   /* records, never answers */
  HUB_MODEL,                    /* HELLO -> MODEL, STATS -> the next MODEL */
  HUB_STALL,                    /* HELLO -> MODEL, STATS unanswered */
  HUB_CONVERGED                 /* STATS -> the same version, round closed */
} HubBehaviour;

typedef struct
{
  KmHubMsgType type;
  guint32 worker;
  GBytes *body;                 /* the frame after the header, or NULL */
} HubMsg;

typedef struct
{
  void *context;
  void *socket;
  gchar *endpoint;
  GThread *thread;
  gint stop;
  HubBehaviour behaviour;
  guint init_points;            /* > 0: HELLO -> SEND-INIT of that many */
  gboolean garbage_first;       /* before the first MODEL: 2 bad messages */
  GAsyncQueue *received;        /* HubMsg */
} FakeHub;

static void
hub_msg_free (HubMsg * msg)
{
  g_clear_pointer (&msg->body, g_bytes_unref);
  g_free (msg);
}

static void
send_frames (FakeHub * hub, GBytes * peer, KmHubMsgType type,
    const guint8 * a, gsize a_len, const guint8 * b, gsize b_len)
{
  guint8 header[KM_HUB_HEADER_SIZE];
  gsize peer_len;
  const void *peer_id = g_bytes_get_data (peer, &peer_len);

  km_hub_header_write (header, type, 0);
  fail_unless (zmq_send (hub->socket, peer_id, peer_len, ZMQ_SNDMORE) >= 0);
  fail_unless (zmq_send (hub->socket, header, sizeof (header),
          a ? ZMQ_SNDMORE : 0) >= 0);
  if (a)
    fail_unless (zmq_send (hub->socket, a, a_len, b ? ZMQ_SNDMORE : 0) >= 0);
  if (b)
    fail_unless (zmq_send (hub->socket, b, b_len, 0) >= 0);
}

static KmModel *
hub_model (guint d, guint64 version)
{
  static const gfloat centers3[] = { 0, 0, 0, 10, 0, 0 };
  KmModel *model = km_model_new (2, d, KM_METRIC_SQUARED_EUCLIDEAN,
      d == 2 ? hub_centers : centers3, version, NULL);

  fail_unless (model != NULL);
  return model;
}

static void
send_model (FakeHub * hub, GBytes * peer, guint d, guint64 version,
    guint64 next_round)
{
  KmHubControl control = { KM_HUB_MODE_SYNC, 1, next_round, 0 };
  guint8 control_bytes[KM_HUB_CONTROL_SIZE];
  KmModel *model = hub_model (d, version);
  guint8 *record;
  gsize len;

  km_hub_control_write (control_bytes, &control);
  record = km_model_serialize (model, &len);
  send_frames (hub, peer, KM_HUB_MSG_MODEL, control_bytes,
      sizeof (control_bytes), record, len);
  g_free (record);
  km_model_unref (model);
}

/* Malformed (bad magic) and unusable (a model of 3 dimensions): both
 * must be dropped and counted. */
static void
send_garbage (FakeHub * hub, GBytes * peer)
{
  static const guint8 junk[KM_HUB_HEADER_SIZE] = "XXXXjunkjunkjunk";
  gsize peer_len;
  const void *peer_id = g_bytes_get_data (peer, &peer_len);

  fail_unless (zmq_send (hub->socket, peer_id, peer_len, ZMQ_SNDMORE) >= 0);
  fail_unless (zmq_send (hub->socket, junk, sizeof (junk), 0) >= 0);
  send_model (hub, peer, 3, HUB_VERSION, HUB_ROUND);
}

static void
answer_hello (FakeHub * hub, GBytes * peer)
{
  if (hub->behaviour == HUB_REFUSE) {
    send_frames (hub, peer, KM_HUB_MSG_REFUSED, (const guint8 *) REASON,
        strlen (REASON), NULL, 0);
  } else if (hub->init_points > 0) {
    KmHubSendInit req = { hub->init_points, 0, 2, 0 };
    guint8 body[KM_HUB_SEND_INIT_SIZE];

    km_hub_send_init_write (body, &req);
    send_frames (hub, peer, KM_HUB_MSG_SEND_INIT, body, sizeof (body), NULL, 0);
  } else {
    if (hub->garbage_first)
      send_garbage (hub, peer);
    hub->garbage_first = FALSE;
    send_model (hub, peer, 2, HUB_VERSION, HUB_ROUND);
  }
}

static void
answer (FakeHub * hub, GBytes * peer, const HubMsg * msg)
{
  KmStats *stats;

  if (hub->behaviour == HUB_SILENT)
    return;
  switch (msg->type) {
    case KM_HUB_MSG_HELLO:
      answer_hello (hub, peer);
      break;
    case KM_HUB_MSG_INIT:
      hub->init_points = 0;
      send_model (hub, peer, 2, HUB_VERSION, HUB_ROUND);
      break;
    case KM_HUB_MSG_STATS:
      if (hub->behaviour == HUB_STALL)
        break;
      stats = km_stats_deserialize (g_bytes_get_data (msg->body, NULL),
          g_bytes_get_size (msg->body), NULL);
      fail_unless (stats != NULL);
      send_model (hub, peer, 2, km_stats_get_model_version (stats) +
          (hub->behaviour == HUB_CONVERGED ? 0 : 1),
          km_stats_get_round (stats) + 1);
      km_stats_free (stats);
      break;
    default:
      break;
  }
}

static GBytes *
receive_frame (void *socket, gboolean * more)
{
  zmq_msg_t frame;
  GBytes *bytes;

  zmq_msg_init (&frame);
  fail_unless (zmq_msg_recv (&frame, socket, 0) >= 0);
  bytes = g_bytes_new (zmq_msg_data (&frame), zmq_msg_size (&frame));
  *more = zmq_msg_more (&frame);
  zmq_msg_close (&frame);
  return bytes;
}

/* Reads one [peer, header, body?] message, records it and answers. */
static void
hub_handle_one (FakeHub * hub)
{
  HubMsg *msg = g_new0 (HubMsg, 1);
  KmHubHeader header;
  GBytes *peer, *head;
  gboolean more;

  peer = receive_frame (hub->socket, &more);
  fail_unless (more);
  head = receive_frame (hub->socket, &more);
  fail_unless (km_hub_header_read (g_bytes_get_data (head, NULL),
          g_bytes_get_size (head), &header, NULL));
  g_bytes_unref (head);
  msg->type = header.type;
  msg->worker = header.worker;
  if (more)
    msg->body = receive_frame (hub->socket, &more);
  fail_if (more, "a worker message of more than one body frame");

  answer (hub, peer, msg);
  g_bytes_unref (peer);
  g_async_queue_push (hub->received, msg);
}

static gpointer
hub_thread (gpointer data)
{
  FakeHub *hub = data;

  while (!g_atomic_int_get (&hub->stop)) {
    zmq_pollitem_t item = { hub->socket, 0, ZMQ_POLLIN, 0 };

    if (zmq_poll (&item, 1, 20) > 0)
      hub_handle_one (hub);
  }
  return NULL;
}

static FakeHub *
fake_hub_new (HubBehaviour behaviour, guint init_points, gboolean garbage_first)
{
  FakeHub *hub = g_new0 (FakeHub, 1);
  gchar endpoint[256];
  size_t size = sizeof (endpoint);
  gint linger = 0;

  hub->behaviour = behaviour;
  hub->init_points = init_points;
  hub->garbage_first = garbage_first;
  hub->received = g_async_queue_new_full ((GDestroyNotify) hub_msg_free);
  hub->context = zmq_ctx_new ();
  hub->socket = zmq_socket (hub->context, ZMQ_ROUTER);
  fail_unless (zmq_setsockopt (hub->socket, ZMQ_LINGER, &linger,
          sizeof (linger)) == 0);
  fail_unless (zmq_bind (hub->socket, "tcp://127.0.0.1:*") == 0);
  fail_unless (zmq_getsockopt (hub->socket, ZMQ_LAST_ENDPOINT, endpoint,
          &size) == 0);
  hub->endpoint = g_strdup (endpoint);
  hub->thread = g_thread_new ("fake-hub", hub_thread, hub);
  return hub;
}

static void
fake_hub_free (FakeHub * hub)
{
  g_atomic_int_set (&hub->stop, 1);
  g_thread_join (hub->thread);
  zmq_close (hub->socket);
  zmq_ctx_term (hub->context);
  g_async_queue_unref (hub->received);
  g_free (hub->endpoint);
  g_free (hub);
}

/* The next message the hub got, of @type (others before it are
 * skipped: resent HELLOs). */
static HubMsg *
fake_hub_pop (FakeHub * hub, KmHubMsgType type)
{
  for (;;) {
    HubMsg *msg = g_async_queue_timeout_pop (hub->received, POP_TIMEOUT_US);

    fail_unless (msg != NULL, "the hub got no %s", km_hub_msg_type_name (type));
    if (msg->type == type)
      return msg;
    hub_msg_free (msg);
  }
}

/* ------------------------------------------------------------ helpers */

static GstElement *
new_worker (GstBus * bus, const gchar * first_property, ...)
{
  GstElement *worker = gst_element_factory_make ("kmeans-worker", NULL);
  va_list args;

  fail_unless (worker != NULL);
  if (first_property) {
    va_start (args, first_property);
    g_object_set_valist (G_OBJECT (worker), first_property, args);
    va_end (args);
  }
  if (bus)
    gst_element_set_bus (worker, bus);
  return worker;
}

static GstHarness *
start_harness (GstElement * worker)
{
  GstHarness *h = gst_harness_new_with_element (worker, "sink", "src");

  gst_object_unref (worker);
  gst_harness_set_src_caps_str (h, CAPS_F32_2D);
  return h;
}

static GstBuffer *
points_buffer (const gfloat * values, gsize n_values)
{
  return gst_buffer_new_memdup (values, n_values * sizeof (gfloat));
}

static guint64
get_u64 (GstElement * e, const gchar * name)
{
  guint64 v;

  g_object_get (e, name, &v, NULL);
  return v;
}

/* Queued messages hold refs on the element, which holds the bus. */
static void
drop_bus (GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

/* What the worker must send for @n points against the hub's model. */
static GBytes *
expected_stats (guint64 version, guint64 round, const gfloat * points, gsize n)
{
  KmModel *model = hub_model (2, version);
  KmStats *stats = km_stats_new_for_model (model, WORKER_ID, round);
  guint8 *data;
  gsize len;

  fail_unless (km_stats_accumulate (stats, model, points, n, NULL));
  data = km_stats_serialize (stats, &len);
  km_stats_free (stats);
  km_model_unref (model);
  return g_bytes_new_take (data, len);
}

static void
check_stats (FakeHub * hub, guint64 version, guint64 round,
    const gfloat * points, gsize n)
{
  HubMsg *msg = fake_hub_pop (hub, KM_HUB_MSG_STATS);
  GBytes *expected = expected_stats (version, round, points, n);
  KmStats *stats;

  fail_unless_equals_int (msg->worker, WORKER_ID);
  stats = km_stats_deserialize (g_bytes_get_data (msg->body, NULL),
      g_bytes_get_size (msg->body), NULL);
  fail_unless (stats != NULL);
  fail_unless_equals_uint64 (km_stats_get_model_version (stats), version);
  fail_unless_equals_uint64 (km_stats_get_round (stats), round);
  fail_unless_equals_uint64 (km_stats_get_points (stats), n);
  km_stats_free (stats);
  fail_unless (g_bytes_equal (msg->body, expected));
  g_bytes_unref (expected);
  hub_msg_free (msg);
}

/* The version of the newest model event that reached the harness. */
static guint64
last_model_event_version (GstHarness * h)
{
  guint64 version = 0;
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (gst_event_has_name (ev, "kmeans-model"))
      fail_unless (gst_structure_get_uint64 (gst_event_get_structure (ev),
              "version", &version));
    gst_event_unref (ev);
  }
  return version;
}

static void
check_round_message (GstBus * bus, guint64 round, guint64 version,
    guint64 points)
{
  GstMessage *msg;
  const GstStructure *s;
  guint id = 0;
  guint64 v = 0;

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "kmeans-worker"));
  fail_unless (gst_structure_get_uint (s, "worker-id", &id));
  fail_unless_equals_int (id, WORKER_ID);
  fail_unless (gst_structure_get_uint64 (s, "round", &v));
  fail_unless_equals_uint64 (v, round);
  fail_unless (gst_structure_get_uint64 (s, "model-version", &v));
  fail_unless_equals_uint64 (v, version);
  fail_unless (gst_structure_get_uint64 (s, "points", &v));
  fail_unless_equals_uint64 (v, points);
  gst_message_unref (msg);
}

/* -------------------------------------------------------------- tests */

GST_START_TEST (test_properties)
{
  GstElement *worker = new_worker (NULL, NULL);
  GEnumValue *bad;
  GParamSpec *pspec;
  gchar *endpoint;
  guint u;
  gint i;
  gboolean b;

  g_object_get (worker, "worker-id", &u, NULL);
  fail_unless_equals_int (u, 0);
  g_object_get (worker, "num-clusters", &u, NULL);
  fail_unless_equals_int (u, 0);
  g_object_get (worker, "batch-size", &u, NULL);
  fail_unless_equals_int (u, 0);
  g_object_get (worker, "resend-interval", &u, NULL);
  fail_unless_equals_int (u, 1000);
  g_object_get (worker, "bind", &b, NULL);
  fail_if (b);
  g_object_get (worker, "post-messages", &b, NULL);
  fail_unless (b);
  g_object_get (worker, "linger", &i, "endpoint", &endpoint, NULL);
  fail_unless_equals_int (i, 1000);
  fail_unless (endpoint == NULL);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (worker),
      "on-bad-input");
  g_object_get (worker, "on-bad-input", &i, NULL);
  bad = g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class, i);
  fail_unless_equals_string (bad->value_nick, "skip");
  fail_unless_equals_uint64 (get_u64 (worker, "model-version"), 0);
  fail_unless_equals_uint64 (get_u64 (worker, "rounds"), 0);
  fail_unless_equals_uint64 (get_u64 (worker, "points"), 0);
  fail_unless_equals_uint64 (get_u64 (worker, "init-points"), 0);
  fail_unless_equals_uint64 (get_u64 (worker, "skipped-points"), 0);
  fail_unless_equals_uint64 (get_u64 (worker, "dropped-messages"), 0);

  g_object_set (worker, "worker-id", 42, "num-clusters", 5, "batch-size",
      64, "resend-interval", 250, "endpoint", "tcp://127.0.0.1:5600", NULL);
  g_object_get (worker, "worker-id", &u, NULL);
  fail_unless_equals_int (u, 42);
  g_object_get (worker, "num-clusters", &u, NULL);
  fail_unless_equals_int (u, 5);
  g_object_get (worker, "batch-size", &u, NULL);
  fail_unless_equals_int (u, 64);
  g_object_get (worker, "resend-interval", &u, NULL);
  fail_unless_equals_int (u, 250);
  g_free (endpoint);
  g_object_get (worker, "endpoint", &endpoint, NULL);
  fail_unless_equals_string (endpoint, "tcp://127.0.0.1:5600");
  g_free (endpoint);
  gst_object_unref (worker);
}

GST_END_TEST;

/* worker-id 0 draws an id at start, readable afterwards. */
GST_START_TEST (test_random_worker_id)
{
  GstElement *worker = new_worker (NULL, "endpoint",
      "ipc:///nonexistent-kmeans-dir/hub.ipc", NULL);
  gchar *last = NULL;
  guint id = 0;

  fail_unless_equals_int (gst_element_set_state (worker, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (worker, "worker-id", &id, "last-endpoint", &last, NULL);
  fail_unless (id != 0);
  fail_unless (last != NULL);
  fail_unless_equals_int (gst_element_set_state (worker, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_free (last);
  gst_object_unref (worker);
}

GST_END_TEST;

GST_START_TEST (test_no_endpoint_is_an_error)
{
  GstBus *bus = gst_bus_new ();
  GstElement *worker = new_worker (bus, NULL);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_element_set_state (worker, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  fail_unless (strstr (err->message, "endpoint") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (worker, GST_STATE_NULL);
  gst_object_unref (worker);
  drop_bus (bus);
}

GST_END_TEST;

static GstPadProbeReturn
note_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_async_queue_push (data, GINT_TO_POINTER (1));
  return GST_PAD_PROBE_REMOVE;
}

static GstElement *
worker_pipeline (const gchar * endpoint, GstElement ** worker)
{
  gchar *desc = g_strdup_printf ("kmeans-testsrc ! kmeans-worker name=w "
      "worker-id=%u endpoint=%s ! fakesink", WORKER_ID, endpoint);
  GstElement *pipeline = gst_parse_launch (desc, NULL);

  fail_unless (pipeline != NULL);
  g_free (desc);
  *worker = gst_bin_get_by_name (GST_BIN (pipeline), "w");
  return pipeline;
}

/* Nothing answers: the worker waits in its handshake, and setting the
 * pipeline to NULL wakes it (a hang would fail the test by its timeout). */
GST_START_TEST (test_shutdown_while_hub_absent)
{
  GAsyncQueue *arrived = g_async_queue_new ();
  GstElement *worker, *pipeline =
      worker_pipeline ("ipc:///nonexistent-kmeans-dir/hub.ipc", &worker);
  GstPad *pad = gst_element_get_static_pad (worker, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, note_buffer,
      g_async_queue_ref (arrived), (GDestroyNotify) g_async_queue_unref);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (g_async_queue_timeout_pop (arrived, POP_TIMEOUT_US) != NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64 (get_u64 (worker, "model-version"), 0);
  fail_unless_equals_uint64 (get_u64 (worker, "rounds"), 0);

  gst_object_unref (pad);
  gst_object_unref (worker);
  gst_object_unref (pipeline);
  g_async_queue_unref (arrived);
}

GST_END_TEST;

/* A hub that gets the HELLO but never answers: same. */
GST_START_TEST (test_shutdown_while_hub_silent)
{
  FakeHub *hub = fake_hub_new (HUB_SILENT, 0, FALSE);
  GstElement *worker, *pipeline = worker_pipeline (hub->endpoint, &worker);
  HubMsg *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = fake_hub_pop (hub, KM_HUB_MSG_HELLO);
  fail_unless_equals_int (msg->worker, WORKER_ID);
  hub_msg_free (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64 (get_u64 (worker, "model-version"), 0);

  gst_object_unref (worker);
  gst_object_unref (pipeline);
  fake_hub_free (hub);
}

GST_END_TEST;

/* A synchronous hub that gives its model and then never closes the round:
 * the worker waits for the next model, and NULL wakes it. */
GST_START_TEST (test_shutdown_while_waiting_for_round)
{
  FakeHub *hub = fake_hub_new (HUB_STALL, 0, FALSE);
  GstElement *worker, *pipeline = worker_pipeline (hub->endpoint, &worker);
  HubMsg *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = fake_hub_pop (hub, KM_HUB_MSG_STATS);
  hub_msg_free (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64 (get_u64 (worker, "model-version"), HUB_VERSION);
  fail_unless_equals_uint64 (get_u64 (worker, "rounds"), 1);

  gst_object_unref (worker);
  gst_object_unref (pipeline);
  fake_hub_free (hub);
}

GST_END_TEST;

GST_START_TEST (test_refused_is_an_error)
{
  static const gfloat points[] = { 1, 0, 2, 0 };
  FakeHub *hub = fake_hub_new (HUB_REFUSE, 0, FALSE);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_worker (bus, "endpoint", hub->endpoint,
          "worker-id", WORKER_ID, NULL));
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_harness_push (h, points_buffer (points,
              G_N_ELEMENTS (points))), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  fail_unless (strstr (err->message, REASON) != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 0);

  gst_harness_teardown (h);
  drop_bus (bus);
  fake_hub_free (hub);
}

GST_END_TEST;

/* Each buffer is a round (batch-size 0, the hub's sync-interval 1): the
 * STATS the hub gets are exactly km_stats_accumulate of the buffer's
 * finite points against the model in force, with the hub's round
 * numbers; the bad messages before the model are dropped and counted. */
GST_START_TEST (test_rounds_carry_the_statistics)
{
  static const gfloat pts_a[] = { 1, 0, 2, 0, 9, 1, 11, -1 };
  static const gfloat pts_b[] = { 0, 1, NAN, 0, 8, 0, 12, 0 };
  static const gfloat pts_b_finite[] = { 0, 1, 8, 0, 12, 0 };
  FakeHub *hub = fake_hub_new (HUB_MODEL, 0, TRUE);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_worker (bus, "endpoint", hub->endpoint,
          "worker-id", WORKER_ID, NULL));
  HubMsg *msg;

  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts_a,
              G_N_ELEMENTS (pts_a))), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  check_stats (hub, HUB_VERSION, HUB_ROUND, pts_a, 4);
  /* The round was waited for: the buffer leaves after the model that
   * includes it. */
  fail_unless_equals_uint64 (last_model_event_version (h), HUB_VERSION + 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "dropped-messages"), 2);

  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts_b,
              G_N_ELEMENTS (pts_b))), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  check_stats (hub, HUB_VERSION + 1, HUB_ROUND + 1, pts_b_finite, 3);
  fail_unless_equals_uint64 (last_model_event_version (h), HUB_VERSION + 2);

  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"),
      HUB_VERSION + 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "rounds"), 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 7);
  fail_unless_equals_uint64 (get_u64 (h->element, "skipped-points"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "init-points"), 0);
  check_round_message (bus, HUB_ROUND, HUB_VERSION, 4);
  check_round_message (bus, HUB_ROUND + 1, HUB_VERSION + 1, 3);

  /* EOS: nothing left to send, no new model, BYE. */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (last_model_event_version (h), 0);
  msg = fake_hub_pop (hub, KM_HUB_MSG_BYE);
  fail_unless (msg->body == NULL);
  hub_msg_free (msg);
  fail_unless_equals_uint64 (get_u64 (h->element, "rounds"), 2);

  gst_harness_teardown (h);
  drop_bus (bus);
  fake_hub_free (hub);
}

GST_END_TEST;

/* A hub without a model asks for points: the first ones of the buffer go
 * to its initialisation only, the rest to the first round; a partial
 * batch is sent at EOS. */
GST_START_TEST (test_init_points_then_round)
{
  static const gfloat points[] = { 1, 0, 2, 0, 9, 1, 11, -1, 3, 3 };
  FakeHub *hub = fake_hub_new (HUB_MODEL, 3, FALSE);
  GstHarness *h = start_harness (new_worker (NULL, "endpoint", hub->endpoint,
          "worker-id", WORKER_ID, "batch-size", 4,
          /* EOS waits for the model this long at most: a hang guard. */
          "resend-interval", 60000, NULL));
  HubMsg *msg;
  gfloat *init;
  gsize n = 0;

  fail_unless_equals_int (gst_harness_push (h, points_buffer (points,
              G_N_ELEMENTS (points))), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  msg = fake_hub_pop (hub, KM_HUB_MSG_INIT);
  init = km_hub_init_points_read (g_bytes_get_data (msg->body, NULL),
      g_bytes_get_size (msg->body), 2, &n, NULL);
  fail_unless (init != NULL);
  fail_unless_equals_int (n, 3);
  fail_unless (memcmp (init, points, 6 * sizeof (gfloat)) == 0);
  g_free (init);
  hub_msg_free (msg);
  fail_unless_equals_uint64 (get_u64 (h->element, "init-points"), 3);
  /* Two points left: half a batch, not sent before EOS. */
  fail_unless_equals_uint64 (get_u64 (h->element, "rounds"), 0);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  check_stats (hub, HUB_VERSION, HUB_ROUND, points + 6, 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "rounds"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 2);
  /* The model that includes the last round came within resend-interval. */
  fail_unless_equals_uint64 (last_model_event_version (h), HUB_VERSION + 1);

  gst_harness_teardown (h);
  fake_hub_free (hub);
}

GST_END_TEST;

/* A converged synchronous hub closes rounds without a new version: the
 * round's control frame, not the version, tells the worker to go on. */
GST_START_TEST (test_round_closed_without_new_version)
{
  static const gfloat pts[] = { 1, 0, 2, 0, 9, 1 };
  FakeHub *hub = fake_hub_new (HUB_CONVERGED, 0, FALSE);
  GstHarness *h = start_harness (new_worker (NULL, "endpoint", hub->endpoint,
          "worker-id", WORKER_ID, NULL));

  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts,
              G_N_ELEMENTS (pts))), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  check_stats (hub, HUB_VERSION, HUB_ROUND, pts, 3);
  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts,
              G_N_ELEMENTS (pts))), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  check_stats (hub, HUB_VERSION, HUB_ROUND + 1, pts, 3);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"),
      HUB_VERSION);
  fail_unless_equals_uint64 (get_u64 (h->element, "rounds"), 2);

  gst_harness_teardown (h);
  fake_hub_free (hub);
}

GST_END_TEST;

static Suite *
kmeansworker_suite (void)
{
  Suite *s = suite_create ("kmeansworker");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_random_worker_id);
  tcase_add_test (tc, test_no_endpoint_is_an_error);
  tcase_add_test (tc, test_shutdown_while_hub_absent);
  tcase_add_test (tc, test_shutdown_while_hub_silent);
  tcase_add_test (tc, test_shutdown_while_waiting_for_round);
  tcase_add_test (tc, test_refused_is_an_error);
  tcase_add_test (tc, test_rounds_carry_the_statistics);
  tcase_add_test (tc, test_init_points_then_round);
  tcase_add_test (tc, test_round_closed_without_new_version);
  return s;
}

GST_CHECK_MAIN (kmeansworker);

/* gst-kmeans: helpers shared by the kmzmqsrc and kmzmqsink element tests.
 *
 * Real libzmq sockets stand in for the "other program"; nothing is mocked.
 * Every wait is bounded (a failed test ends, it does not hang) and no
 * assertion depends on how fast anything runs.
 */
#ifndef __ZMQ_TEST_HELPERS_H__
#define __ZMQ_TEST_HELPERS_H__

#include <string.h>
#include <glib/gstdio.h>
#include <zmq.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "zmqcurve.h"
#include "zmqframing.h"

/* How long a test waits for something that should happen. */
#define WAIT_US (20 * G_USEC_PER_SEC)
/* How long a test watches for something that must not happen. */
#define WATCH_US (G_USEC_PER_SEC / 2)
#define POLL_US 5000

/* Binds @sock to a free loopback port; returns the endpoint. */
static inline gchar *
bind_any_port (void *sock)
{
  gchar endpoint[256];
  gsize len = sizeof (endpoint);

  fail_unless_equals_int (zmq_bind (sock, "tcp://127.0.0.1:*"), 0);
  fail_unless_equals_int (zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, endpoint,
          &len), 0);
  return g_strdup (endpoint);
}

/* An ipc:// endpoint in a fresh temporary folder, removed by
 * ipc_endpoint_free(). */
static inline gchar *
ipc_endpoint_new (gchar ** dir)
{
  *dir = g_dir_make_tmp ("zmqtest-XXXXXX", NULL);
  fail_unless (*dir != NULL);
  return g_strdup_printf ("ipc://%s/sock", *dir);
}

static inline void
ipc_endpoint_free (gchar * endpoint, gchar * dir)
{
  gchar *path = g_build_filename (dir, "sock", NULL);

  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  g_free (endpoint);
}

static inline void *
test_socket (void *ctx, gint type)
{
  void *sock = zmq_socket (ctx, type);
  gint linger = 0, send_timeout = WAIT_US / 1000;

  fail_unless (sock != NULL);
  zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof (linger));
  /* A send nobody takes fails the test instead of hanging it. */
  zmq_setsockopt (sock, ZMQ_SNDTIMEO, &send_timeout, sizeof (send_timeout));
  return sock;
}

/* A libzmq socket of @type in a context of its own, bound to a free
 * loopback port: the "other program" of most tests. */
typedef struct
{
  void *ctx;
  void *sock;
  gchar *endpoint;
} TestPeer;

static inline TestPeer *
test_peer_bind (gint type)
{
  TestPeer *peer = g_new0 (TestPeer, 1);

  peer->ctx = zmq_ctx_new ();
  peer->sock = test_socket (peer->ctx, type);
  peer->endpoint = bind_any_port (peer->sock);
  return peer;
}

static inline void
test_peer_free (TestPeer * peer)
{
  g_free (peer->endpoint);
  zmq_close (peer->sock);
  zmq_ctx_term (peer->ctx);
  g_free (peer);
}

/* Sends a message of @n frames. */
static inline void
send_parts (void *sock, guint n, const void *const *data, const gsize * sizes)
{
  guint i;

  for (i = 0; i < n; i++)
    fail_unless (zmq_send (sock, data[i], sizes[i],
            i + 1 < n ? ZMQ_SNDMORE : 0) >= 0, "zmq_send: %s",
        zmq_strerror (errno));
}

static inline void
send_one (void *sock, const void *data, gsize size)
{
  send_parts (sock, 1, &data, &size);
}

/* Receives one whole message (frames as GBytes), waiting at most WAIT_US;
 * NULL when nothing came.  @wait_us 0 means don't wait. */
static inline GPtrArray *
recv_message (void *sock, gint64 wait_us)
{
  GPtrArray *frames;
  zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
  gint more = 1;

  if (zmq_poll (&item, 1, wait_us / 1000) <= 0)
    return NULL;
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  while (more) {
    zmq_msg_t msg;
    gsize more_size = sizeof (more);

    zmq_msg_init (&msg);
    fail_unless (zmq_msg_recv (&msg, sock, 0) >= 0);
    g_ptr_array_add (frames, g_bytes_new (zmq_msg_data (&msg),
            zmq_msg_size (&msg)));
    zmq_getsockopt (sock, ZMQ_RCVMORE, &more, &more_size);
    zmq_msg_close (&msg);
  }
  return frames;
}

static inline gboolean
bytes_equal_str (GBytes * bytes, const gchar * str)
{
  gsize size;
  const gchar *data = g_bytes_get_data (bytes, &size);

  return size == strlen (str) && memcmp (data, str, size) == 0;
}

/* A framing header (schemas/zmq-framing.md) as bytes. */
static inline GBytes *
make_header (guint8 flags, guint32 stream, guint64 sequence, GstClockTime pts,
    GstClockTime dts, GstClockTime duration, guint64 offset,
    guint64 offset_end, const gchar * caps)
{
  GstKmZmqFrameHeader h = { 0, };
  guint8 *data;

  h.flags = flags;
  h.stream_id = stream;
  h.sequence = sequence;
  h.pts = pts;
  h.dts = dts;
  h.duration = duration;
  h.offset = offset;
  h.offset_end = offset_end;
  h.caps = caps;
  h.caps_len = caps ? strlen (caps) : 0;
  data = g_malloc (gst_km_zmq_frame_header_size (&h));
  gst_km_zmq_frame_header_write (&h, data);
  return g_bytes_new_take (data, gst_km_zmq_frame_header_size (&h));
}

static inline void
send_bytes_parts (void *sock, guint n, GBytes ** parts)
{
  const void *data[8];
  gsize sizes[8];
  guint i;

  g_assert (n <= 8);
  for (i = 0; i < n; i++)
    data[i] = g_bytes_get_data (parts[i], &sizes[i]);
  send_parts (sock, n, data, sizes);
}

/* Pulls one buffer, waiting at most WAIT_US (gst_harness_pull waits a
 * fixed minute). */
static inline GstBuffer *
pull_buffer (GstHarness * h, gint64 wait_us)
{
  gint64 end = g_get_monotonic_time () + wait_us;

  for (;;) {
    GstBuffer *buf = gst_harness_try_pull (h);

    if (buf != NULL || g_get_monotonic_time () > end)
      return buf;
    g_usleep (POLL_US);
  }
}

/* Waits (bounded) for an event of @type on the harness, dropping others. */
static inline GstEvent *
wait_event (GstHarness * h, GstEventType type)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  while (g_get_monotonic_time () < end) {
    GstEvent *ev = gst_harness_try_pull_event (h);

    if (ev == NULL) {
      g_usleep (POLL_US);
      continue;
    }
    if (GST_EVENT_TYPE (ev) == type)
      return ev;
    gst_event_unref (ev);
  }
  return NULL;
}

static inline gboolean
buffer_equals (GstBuffer * buf, const void *data, gsize size)
{
  return gst_buffer_get_size (buf) == size
      && gst_buffer_memcmp (buf, 0, data, size) == 0;
}

static inline guint64
stat_u64 (GstElement * element, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no field %s",
      field);
  gst_structure_free (s);
  return v;
}

/* Waits (bounded) until the element's stats field reaches @min. */
static inline guint64
wait_stat (GstElement * element, const gchar * field, guint64 min)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  guint64 v;

  while ((v = stat_u64 (element, field)) < min
      && g_get_monotonic_time () < end)
    g_usleep (POLL_US);
  return v;
}

/* The functional promise "stopping never hangs": bounded generously so
 * that only an element stuck in ZeroMQ fails it. */
#define STOP_BOUND_US (2 * G_USEC_PER_SEC)

/* Stops @element and checks it took less than STOP_BOUND_US. */
static inline void
assert_stops_in_bound (GstElement * element)
{
  gint64 start, elapsed;

  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  elapsed = g_get_monotonic_time () - start;
  GST_INFO ("stopped in %" G_GINT64_FORMAT " us", elapsed);
  fail_unless (elapsed < STOP_BOUND_US, "stopping took %" G_GINT64_FORMAT
      " us", elapsed);
}

/* Starts @element alone with a bus and expects the start to fail with an
 * error of @domain / @code; returns the error's debug string. */
static inline gchar *
expect_start_error (GstElement * element, GQuark domain, gint code)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (element, bus);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == domain && err->code == code,
      "expected %s %d, got %s %d: %s (%s)", g_quark_to_string (domain), code,
      g_quark_to_string (err->domain), err->code, err->message, debug);
  fail_unless (err->message != NULL && *err->message != '\0');
  GST_INFO ("error as expected: %s (%s)", err->message, debug);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  return debug;
}

#endif /* __ZMQ_TEST_HELPERS_H__ */

/* gst-kmeans: send buffers over ZeroMQ.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-kmzmqsink
 * @title: kmzmqsink
 * @see_also: kmzmqsrc, udpsink, tcpclientsink
 *
 * kmzmqsink sends every buffer as one ZeroMQ message on a PUB or PUSH socket
 * (#GstKmZmqSink:socket-type).  It binds #GstKmZmqSink:endpoint (several may
 * be given, comma-separated) or, with #GstKmZmqSink:bind=false, connects to
 * them.  Each element has its own ZeroMQ context, so `inproc://`
 * endpoints are refused: use `ipc://` on one host, `tcp://` between
 * hosts.  With a wildcard port (`tcp://127.0.0.1:*`) the port chosen is
 * in #GstKmZmqSink:last-endpoint once the element is started.
 *
 * Connecting is asynchronous: a peer that is not there yet is not an
 * error, ZeroMQ keeps trying.  What can never work fails the start with an
 * error message: a malformed endpoint or tcp port (RESOURCE/SETTINGS), a
 * host name that does not resolve, an address that cannot be bound or is
 * in use (RESOURCE/OPEN_WRITE), invalid CURVE settings
 * (RESOURCE/SETTINGS).  A failed send is RESOURCE/WRITE.
 *
 * PUB hands every message to every subscriber of its topic and never
 * blocks: ZeroMQ drops messages for a subscriber that is
 * #GstKmZmqSink:send-hwm messages behind (a receiving kmzmqsrc with gst
 * framing counts them as `dropped`), and everything sent before a
 * subscriber has joined; #GstKmZmqSink:wait-for-subscriber holds the first
 * message until a subscriber to the topic is there.  PUSH gives each
 * message to one connected puller, in turn, and waits when none is
 * connected or all are #GstKmZmqSink:send-hwm behind; with
 * #GstKmZmqSink:block=false it drops the buffer instead (counted as
 * `dropped`).
 *
 * ## Framing
 *
 * With #GstKmZmqSink:framing `gst` (the default, for a kmzmqsrc in another
 * pipeline) every message is `[topic] header payload...`: the header
 * (byte layout in `schemas/zmq-framing.md`) carries the caps, PTS, DTS,
 * duration, offsets, buffer flags and a sequence number, and each memory
 * of the buffer is one payload frame, sent without copying.  The caps
 * travel in every message, so a subscriber that joins late or a puller
 * that gets every other message still knows them; a receiver only parses
 * them again when they change.  On EOS a header-only message flagged EOS
 * is sent, which ends the receiving kmzmqsrc's stream too.  Stopping the
 * pipeline without EOS sends nothing.
 *
 * Serialized custom downstream events (custom-downstream, its sticky
 * variant and custom-both: what a pipeline puts in-band, such as the
 * `kmeans-model` event of kmeans-train) travel too, as event messages in
 * stream order: their structure serialized, without the fields that have
 * no string form (pointers, boxed types).  The receiving kmzmqsrc pushes
 * each one before the buffer that followed it, so a remote element sees
 * the events where the sender's stream had them.  #GstKmZmqSink:events
 * chooses them by name (`*`, the default: all; `""`: none).  Event messages
 * are flagged so that receivers from before them drop them as malformed.
 *
 * With `raw` a message is exactly the buffer's bytes in one frame (a
 * buffer of several memories is merged first), for any ZeroMQ program to
 * read; caps, timestamps and EOS are not sent.
 *
 * A #GstKmZmqSink:topic is sent as a separate first frame in both
 * framings, so ZeroMQ subscribers can filter on it.
 *
 * Like any sink, kmzmqsink renders each buffer at its running time
 * (#GstBaseSink:sync), so a file or a non-live source is sent at the pace
 * of its timestamps; set sync=false to send as fast as buffers come.
 *
 * Stopping waits at most #GstKmZmqSink:linger milliseconds for queued
 * messages (the final EOS included) to leave; a render blocked on a PUSH
 * socket with nobody to take the message is woken by unlock() at once.
 *
 * ## Security
 *
 * For CURVE encryption one side is the server: set #GstKmZmqSink:curve-server
 * and #GstKmZmqSink:curve-secret-key (or #GstKmZmqSink:curve-key-file) there,
 * and #GstKmZmqSink:curve-server-key (the server's public key) on every
 * client.  A client that connects with a wrong server key gets nothing,
 * and an eavesdropper sees only ciphertext.  A binding PUB is usually the
 * server; to serve only known subscribers list their public keys in
 * #GstKmZmqSink:curve-allowed-clients.  Without CURVE anybody who reaches the
 * endpoint can subscribe.
 *
 * ## Statistics
 *
 * #GstKmZmqSink:stats is a #GstStructure named `application/x-zmq-stats`:
 *
 * * #guint64 `messages-in`: buffers rendered.
 * * #guint64 `bytes-in`: bytes of those buffers.
 * * #guint64 `messages-out`: ZeroMQ messages queued for sending, the EOS
 *   message included.
 * * #guint64 `bytes-out`: bytes of those messages, every frame counted.
 * * #guint64 `dropped`: buffers and events dropped because
 *   #GstKmZmqSink:block is false and the socket could take nothing (PUB
 *   drops silently inside ZeroMQ and is not counted here).
 * * #guint64 `events-out`: event messages queued for sending (also in
 *   `messages-out`).
 * * #guint64 `clients-rejected`: CURVE clients refused by
 *   #GstKmZmqSink:curve-allowed-clients.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=20 points-per-buffer=16 ! \
 *     kmzmqsink endpoint=ipc:///tmp/points-push.ipc socket-type=push bind=false
 * gst-launch-1.0 kmzmqsrc endpoint=ipc:///tmp/points-push.ipc socket-type=pull \
 *     bind=true ! fakesink silent=false -v
 * ]| Two pipelines (start them in either order): the pusher waits for the
 * puller, sends twenty buffers with their caps and timestamps and then
 * EOS, so both end by themselves.
 * |[
 * gst-launch-1.0 kmeans-testsrc is-live=true points-per-second=40 \
 *     points-per-buffer=4 num-buffers=10 ! \
 *     kmzmqsink endpoint=ipc:///tmp/points-pub.ipc wait-for-subscriber=true
 * gst-launch-1.0 kmzmqsrc endpoint=ipc:///tmp/points-pub.ipc ! \
 *     fakesink dump=true
 * ]| Publishes ten buffers of four points, ten a second, once a subscriber
 * is there; the subscriber prints them and ends at the EOS.  More
 * subscribers may join (they get what is sent after they join) or use
 * tcp:// from other hosts.
 * |[
 * gst-launch-1.0 kmeans-testsrc is-live=true num-buffers=20 \
 *     points-per-buffer=50 ! kmzmqsink framing=raw topic=points \
 *     endpoint=ipc:///tmp/points-raw.ipc
 * pipelines/zmq-subscribe.py --endpoint ipc:///tmp/points-raw.ipc \
 *     --topic points --dtype float32 --dimensions 2
 * ]| One second of points, fifty every 50 ms; plain ZeroMQ subscribers
 * such as this Python one get `[points][float32 rows]` messages.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "gstkmzmqsink.h"
#include "zmqbufferflags.h"
#include "zmqframing.h"
#include "zmqsocket.h"

GST_DEBUG_CATEGORY_STATIC (gst_km_zmq_sink_debug);
#define GST_CAT_DEFAULT gst_km_zmq_sink_debug

typedef enum
{
  GST_KM_ZMQ_SINK_SOCKET_PUB,
  GST_KM_ZMQ_SINK_SOCKET_PUSH
} GstKmZmqSinkSocketType;

#define DEFAULT_BIND                TRUE
#define DEFAULT_SOCKET_TYPE         GST_KM_ZMQ_SINK_SOCKET_PUB
#define DEFAULT_SEND_HWM            GST_KM_ZMQ_DEFAULT_HWM
#define DEFAULT_BLOCK               TRUE
#define DEFAULT_WAIT_FOR_SUBSCRIBER FALSE
/* Every serialized custom downstream event. */
#define DEFAULT_EVENTS              "*"

#define STATS_NAME                  "application/x-zmq-stats"

/* topic + header + one frame per memory */
#define MAX_FRAMES                  (2 + GST_KM_ZMQ_MAX_PAYLOAD_FRAMES)

enum
{
  PROP_SOCKET_TYPE = GST_KM_ZMQ_PROP_LAST,
  PROP_SEND_HWM,
  PROP_BLOCK,
  PROP_WAIT_FOR_SUBSCRIBER,
  PROP_EVENTS,
  PROP_STATS
};

typedef struct
{
  guint64 messages_in;
  guint64 bytes_in;
  guint64 messages_out;
  guint64 bytes_out;
  guint64 dropped;
  guint64 events_out;
  guint64 clients_rejected;     /* final count, once stopped */
} GstKmZmqSinkStats;

struct _GstKmZmqSink
{
  GstBaseSink parent;

  /* Properties, under the object lock. */
  GstKmZmqSettings settings;
  GstKmZmqSinkSocketType socket_type;
  gboolean block;
  gboolean wait_for_subscriber;
  gchar *events;

  /* Under the object lock: read by get_property from any thread. */
  GstKmZmqSinkStats stats;
  GstKmZmqConnection *live_conn;        /* &conn while started: live counters */
  gchar *last_endpoint;

  /* Streaming state.  start() and stop() run on the application thread,
   * render() and event() on the streaming thread; GstBaseSink never runs
   * them at the same time, so the socket is used by one thread at once. */
  GstKmZmqSettings active;      /* snapshot of the settings at start */
  gboolean active_block;
  gchar **active_events;        /* names to send; NULL: all; empty: none */
  gboolean xpub;                /* PUB that reads subscriptions */
  gboolean have_subscriber;
  GstKmZmqConnection conn;
  GCancellable *cancellable;    /* unlock() cancels it: wakes zmq_poll */
  gchar *caps_str;              /* of the current caps, for the header */
  gsize caps_len;               /* strlen (caps_str), 0 without caps */
  guint32 stream_id;
  guint64 sequence;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define gst_km_zmq_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKmZmqSink, gst_km_zmq_sink, GST_TYPE_BASE_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_km_zmq_sink_debug, "kmzmqsink", 0,
        "ZeroMQ sink"));
GST_ELEMENT_REGISTER_DEFINE (km_zmq_sink, "kmzmqsink", GST_RANK_NONE,
    GST_TYPE_KM_ZMQ_SINK);

static void gst_km_zmq_sink_finalize (GObject * object);
static void gst_km_zmq_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_km_zmq_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_km_zmq_sink_start (GstBaseSink * bsink);
static gboolean gst_km_zmq_sink_stop (GstBaseSink * bsink);
static gboolean gst_km_zmq_sink_unlock (GstBaseSink * bsink);
static gboolean gst_km_zmq_sink_unlock_stop (GstBaseSink * bsink);
static gboolean gst_km_zmq_sink_set_caps (GstBaseSink * bsink, GstCaps * caps);
static gboolean gst_km_zmq_sink_event (GstBaseSink * bsink, GstEvent * event);
static GstFlowReturn gst_km_zmq_sink_render (GstBaseSink * bsink,
    GstBuffer * buffer);

#define GST_TYPE_KM_ZMQ_SINK_SOCKET_TYPE (gst_km_zmq_sink_socket_type_get_type ())
static GType
gst_km_zmq_sink_socket_type_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KM_ZMQ_SINK_SOCKET_PUB, "PUB: every subscriber of the topic gets "
          "every message; never blocks", "pub"},
    {GST_KM_ZMQ_SINK_SOCKET_PUSH, "PUSH: each message goes to one puller, in "
          "turn; waits for a puller", "push"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKmZmqSinkSocketType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
gst_km_zmq_sink_class_init (GstKmZmqSinkClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseSinkClass *basesink_class = (GstBaseSinkClass *) klass;

  gobject_class->set_property = gst_km_zmq_sink_set_property;
  gobject_class->get_property = gst_km_zmq_sink_get_property;
  gobject_class->finalize = gst_km_zmq_sink_finalize;

  gst_km_zmq_install_properties (gobject_class, DEFAULT_BIND, FALSE);
  g_object_class_install_property (gobject_class, PROP_SOCKET_TYPE,
      g_param_spec_enum ("socket-type", "Socket type",
          "ZeroMQ socket type: pub (to SUB) or push (to PULL)",
          GST_TYPE_KM_ZMQ_SINK_SOCKET_TYPE, DEFAULT_SOCKET_TYPE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SEND_HWM,
      g_param_spec_int ("send-hwm", "Send high-water mark",
          "Messages queued per peer before PUB drops more for that peer or "
          "PUSH waits; 0 = no limit", 0, G_MAXINT, DEFAULT_SEND_HWM,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BLOCK,
      g_param_spec_boolean ("block", "Block",
          "Wait when PUSH has no puller or all are full (FALSE: drop the "
          "buffer and count it in stats)", DEFAULT_BLOCK,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_SUBSCRIBER,
      g_param_spec_boolean ("wait-for-subscriber", "Wait for subscriber",
          "PUB: hold the first message until a subscriber to the topic is "
          "connected, so it is not lost (PUSH always waits for a puller)",
          DEFAULT_WAIT_FOR_SUBSCRIBER, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_EVENTS,
      g_param_spec_string ("events", "Events",
          "gst framing: the serialized custom downstream events to send, "
          "in stream order, as a comma-separated list of their names; "
          "\"*\" sends all of them, \"\" none", DEFAULT_EVENTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since start: messages-in, bytes-in, messages-out, "
          "bytes-out, dropped, events-out, clients-rejected (all guint64)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "ZeroMQ sink",
      "Sink/Network",
      "Sends buffers on a ZeroMQ PUB or PUSH socket, with caps, timestamps "
      "and EOS for kmzmqsrc, or raw", "gst-kmeans developers");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_stop);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_unlock_stop);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_set_caps);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_event);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_km_zmq_sink_render);

  gst_type_mark_as_plugin_api (GST_TYPE_KM_ZMQ_SINK_SOCKET_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KM_ZMQ_FRAMING, 0);
}

static void
gst_km_zmq_sink_init (GstKmZmqSink * self)
{
  gst_km_zmq_settings_init (&self->settings, DEFAULT_BIND);
  self->settings.hwm = DEFAULT_SEND_HWM;
  self->socket_type = DEFAULT_SOCKET_TYPE;
  self->block = DEFAULT_BLOCK;
  self->wait_for_subscriber = DEFAULT_WAIT_FOR_SUBSCRIBER;
  self->events = g_strdup (DEFAULT_EVENTS);
  self->cancellable = g_cancellable_new ();
}

static void
gst_km_zmq_sink_finalize (GObject * object)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (object);

  gst_km_zmq_settings_clear (&self->settings);
  g_free (self->last_endpoint);
  g_free (self->events);
  g_object_unref (self->cancellable);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_km_zmq_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (object);

  GST_OBJECT_LOCK (self);
  if (gst_km_zmq_settings_set_property (&self->settings, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_SOCKET_TYPE:
      self->socket_type = g_value_get_enum (value);
      break;
    case PROP_SEND_HWM:
      self->settings.hwm = g_value_get_int (value);
      break;
    case PROP_BLOCK:
      self->block = g_value_get_boolean (value);
      break;
    case PROP_WAIT_FOR_SUBSCRIBER:
      self->wait_for_subscriber = g_value_get_boolean (value);
      break;
    case PROP_EVENTS:
      g_free (self->events);
      self->events = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Called with the object lock held. */
static GstStructure *
stats_new (GstKmZmqSink * self)
{
  return gst_structure_new (STATS_NAME,
      "messages-in", G_TYPE_UINT64, self->stats.messages_in,
      "bytes-in", G_TYPE_UINT64, self->stats.bytes_in,
      "messages-out", G_TYPE_UINT64, self->stats.messages_out,
      "bytes-out", G_TYPE_UINT64, self->stats.bytes_out,
      "dropped", G_TYPE_UINT64, self->stats.dropped,
      "events-out", G_TYPE_UINT64, self->stats.events_out,
      "clients-rejected", G_TYPE_UINT64, self->live_conn ?
      gst_km_zmq_connection_get_rejected (self->live_conn) :
      self->stats.clients_rejected, NULL);
}

static void
gst_km_zmq_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (object);

  GST_OBJECT_LOCK (self);
  if (gst_km_zmq_settings_get_property (&self->settings, self->last_endpoint,
          prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_SOCKET_TYPE:
      g_value_set_enum (value, self->socket_type);
      break;
    case PROP_SEND_HWM:
      g_value_set_int (value, self->settings.hwm);
      break;
    case PROP_BLOCK:
      g_value_set_boolean (value, self->block);
      break;
    case PROP_WAIT_FOR_SUBSCRIBER:
      g_value_set_boolean (value, self->wait_for_subscriber);
      break;
    case PROP_EVENTS:
      g_value_set_string (value, self->events);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, stats_new (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The events property as a list of names: NULL for "*" (all), empty for
 * "" (none). */
static gchar **
event_names_from_string (const gchar * events)
{
  gchar **names = g_strsplit (events ? events : "", ",", -1);
  guint i, n = 0;

  for (i = 0; names[i] != NULL; i++) {
    g_strstrip (names[i]);
    if (strcmp (names[i], "*") == 0) {
      g_strfreev (names);
      return NULL;
    }
    if (*names[i] == '\0')
      g_free (names[i]);
    else
      names[n++] = names[i];
  }
  names[n] = NULL;
  return names;
}

static gboolean
gst_km_zmq_sink_start (GstBaseSink * bsink)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);
  gint zmq_type;
  GError *error = NULL;
  gchar *debug = NULL;

  GST_OBJECT_LOCK (self);
  gst_km_zmq_settings_copy (&self->active, &self->settings);
  /* XPUB is PUB that also hands us the subscriptions it gets. */
  self->xpub = self->socket_type == GST_KM_ZMQ_SINK_SOCKET_PUB
      && self->wait_for_subscriber;
  zmq_type = self->socket_type == GST_KM_ZMQ_SINK_SOCKET_PUSH ? ZMQ_PUSH :
      self->xpub ? ZMQ_XPUB : ZMQ_PUB;
  self->active_block = self->block;
  self->active_events = event_names_from_string (self->events);
  memset (&self->stats, 0, sizeof (self->stats));
  GST_OBJECT_UNLOCK (self);

  self->have_subscriber = FALSE;
  if (!gst_km_zmq_connection_open (&self->conn, &self->active, zmq_type, FALSE,
          self->cancellable, &error, &debug)) {
    GST_KM_ZMQ_POST_ERROR (self, error, debug);
    g_error_free (error);
    g_free (debug);
    gst_km_zmq_settings_clear (&self->active);
    g_clear_pointer (&self->active_events, g_strfreev);
    return FALSE;
  }

  /* Lets receivers tell this run's sequence numbers from another's. */
  self->stream_id = g_random_int ();
  self->sequence = 0;

  GST_OBJECT_LOCK (self);
  g_free (self->last_endpoint);
  self->last_endpoint = g_strdup (self->conn.last_endpoint);
  self->live_conn = &self->conn;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "%s %s, stream %08x", self->active.bind ? "bound" :
      "connected to", self->conn.last_endpoint, self->stream_id);
  return TRUE;
}

static gboolean
gst_km_zmq_sink_stop (GstBaseSink * bsink)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);

  /* last-endpoint and stats stay readable after the stream. */
  GST_OBJECT_LOCK (self);
  self->stats.clients_rejected =
      gst_km_zmq_connection_get_rejected (&self->conn);
  self->live_conn = NULL;
  GST_OBJECT_UNLOCK (self);

  /* Waits at most the linger time for queued messages. */
  gst_km_zmq_connection_close (&self->conn);
  g_clear_pointer (&self->caps_str, g_free);
  self->caps_len = 0;
  g_clear_pointer (&self->active_events, g_strfreev);
  gst_km_zmq_settings_clear (&self->active);
  return TRUE;
}

/* Runs on another thread than render(): only signal, never touch the
 * socket. */
static gboolean
gst_km_zmq_sink_unlock (GstBaseSink * bsink)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);

  GST_LOG_OBJECT (self, "waking the streaming thread");
  g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static gboolean
gst_km_zmq_sink_unlock_stop (GstBaseSink * bsink)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);

  g_cancellable_reset (self->cancellable);
  return TRUE;
}

static gboolean
gst_km_zmq_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);

  g_free (self->caps_str);
  self->caps_str = gst_caps_to_string (caps);
  self->caps_len = strlen (self->caps_str);
  GST_DEBUG_OBJECT (self, "caps for the header: %s", self->caps_str);
  return TRUE;
}

/* ------------------------------------------------------------- frames */

typedef struct
{
  GstMemory *memory;
  GstMapInfo map;
} MappedMemory;

/* ZeroMQ calls this, possibly from its I/O thread, once sent. */
static void
release_mapped_memory (void *data, void *hint)
{
  MappedMemory *mm = hint;

  gst_memory_unmap (mm->memory, &mm->map);
  gst_memory_unref (mm->memory);
  g_free (mm);
}

/* A frame pointing at @memory (taken) without copying it. */
static gboolean
frame_from_memory (zmq_msg_t * frame, GstMemory * memory)
{
  MappedMemory *mm;

  if (gst_memory_get_sizes (memory, NULL, NULL) == 0) {
    gst_memory_unref (memory);
    return zmq_msg_init (frame) == 0;
  }
  mm = g_new (MappedMemory, 1);
  mm->memory = memory;
  if (!gst_memory_map (memory, &mm->map, GST_MAP_READ)) {
    gst_memory_unref (memory);
    g_free (mm);
    return FALSE;
  }
  if (zmq_msg_init_data (frame, mm->map.data, mm->map.size,
          release_mapped_memory, mm) != 0) {
    release_mapped_memory (NULL, mm);
    return FALSE;
  }
  return TRUE;
}

static void
frame_from_bytes (zmq_msg_t * frame, const void *data, gsize size)
{
  zmq_msg_init_size (frame, size);
  if (size > 0)
    memcpy (zmq_msg_data (frame), data, size);
}

static void
frame_from_header (zmq_msg_t * frame, const GstKmZmqFrameHeader * header)
{
  zmq_msg_init_size (frame, gst_km_zmq_frame_header_size (header));
  gst_km_zmq_frame_header_write (header, zmq_msg_data (frame));
}

static void
header_init (GstKmZmqSink * self, GstKmZmqFrameHeader * header)
{
  memset (header, 0, sizeof (*header));
  header->stream_id = self->stream_id;
  header->sequence = self->sequence++;
  header->pts = header->dts = header->duration = GST_CLOCK_TIME_NONE;
  header->offset = header->offset_end = GST_BUFFER_OFFSET_NONE;
}

/* The topic frame, when there is a topic; returns how many were made. */
static guint
make_topic_frame (GstKmZmqSink * self, zmq_msg_t * frames)
{
  const gchar *topic = self->active.topic;

  if (topic == NULL || *topic == '\0')
    return 0;
  frame_from_bytes (&frames[0], topic, strlen (topic));
  return 1;
}

/* Topic and header frames; returns how many were made. */
static guint
make_envelope (GstKmZmqSink * self, GstBuffer * buffer, zmq_msg_t * frames)
{
  guint n = make_topic_frame (self, frames);

  if (self->active.framing == GST_KM_ZMQ_FRAMING_GST) {
    GstKmZmqFrameHeader header;

    header_init (self, &header);
    if (buffer != NULL) {
      header.flags = gst_km_zmq_frame_flags_from_buffer (buffer);
      header.pts = GST_BUFFER_PTS (buffer);
      header.dts = GST_BUFFER_DTS (buffer);
      header.duration = GST_BUFFER_DURATION (buffer);
      header.offset = GST_BUFFER_OFFSET (buffer);
      header.offset_end = GST_BUFFER_OFFSET_END (buffer);
      header.caps = self->caps_str;
      header.caps_len = self->caps_len;
    } else {
      header.flags = GST_KM_ZMQ_FRAME_FLAG_EOS;
    }
    frame_from_header (&frames[n++], &header);
  }
  return n;
}

/* Payload frames after frames[n]; FALSE if a memory cannot be mapped. */
static gboolean
make_payload (GstKmZmqSink * self, GstBuffer * buffer, zmq_msg_t * frames,
    guint * n)
{
  guint i, n_mem = gst_buffer_n_memory (buffer);

  /* raw: one frame, as plain programs expect; merging copies only when
   * the buffer has several memories. */
  if (self->active.framing == GST_KM_ZMQ_FRAMING_RAW) {
    if (n_mem == 0)
      return zmq_msg_init (&frames[(*n)++]) == 0;
    if (!frame_from_memory (&frames[*n], gst_buffer_get_all_memory (buffer)))
      return FALSE;
    (*n)++;
    return TRUE;
  }
  for (i = 0; i < n_mem; i++) {
    if (!frame_from_memory (&frames[*n], gst_buffer_get_memory (buffer, i)))
      return FALSE;
    (*n)++;
  }
  return TRUE;
}

static void
close_frames (zmq_msg_t * frames, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    zmq_msg_close (&frames[i]);
}

/* ----------------------------------------------------------- sending */

typedef enum
{
  SEND_OK,
  SEND_FULL,                    /* block is off and nobody can take it */
  SEND_FLUSHING,
  SEND_ERROR                    /* posted */
} SendResult;

static SendResult
post_send_error (GstKmZmqSink * self, gint err)
{
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
      ("Could not send to the ZeroMQ endpoint \"%s\".",
          self->conn.last_endpoint), ("zmq_msg_send failed: %s",
          zmq_strerror (err)));
  return SEND_ERROR;
}

/* A subscription message is 0x01 then the prefix; it matches when the
 * prefix starts our topic. */
static gboolean
subscription_matches (GstKmZmqSink * self, zmq_msg_t * msg)
{
  const guint8 *data = zmq_msg_data (msg);
  gsize size = zmq_msg_size (msg);
  const gchar *topic = self->active.topic ? self->active.topic : "";

  return size >= 1 && data[0] == 1 && size - 1 <= strlen (topic)
      && memcmp (data + 1, topic, size - 1) == 0;
}

/* Reads what XPUB queued (subscribe / unsubscribe messages), so the queue
 * does not grow, noting the first subscription to our topic. */
static void
read_subscriptions (GstKmZmqSink * self)
{
  zmq_msg_t msg;

  zmq_msg_init (&msg);
  while (zmq_msg_recv (&msg, self->conn.socket, ZMQ_DONTWAIT) >= 0) {
    if (!self->have_subscriber && subscription_matches (self, &msg)) {
      GST_INFO_OBJECT (self, "a subscriber is connected");
      self->have_subscriber = TRUE;
    }
  }
  zmq_msg_close (&msg);
}

static SendResult
wait_for_subscriber (GstKmZmqSink * self)
{
  read_subscriptions (self);
  while (!self->have_subscriber) {
    GST_LOG_OBJECT (self, "waiting for a subscriber");
    switch (gst_km_zmq_wait (self->conn.socket, ZMQ_POLLIN,
            self->conn.cancel_fd, -1)) {
      case GST_KM_ZMQ_WAIT_READY:
      case GST_KM_ZMQ_WAIT_TIMEOUT:
        break;
      case GST_KM_ZMQ_WAIT_CANCELLED:
        return SEND_FLUSHING;
      case GST_KM_ZMQ_WAIT_ERROR:
        return post_send_error (self, errno);
    }
    read_subscriptions (self);
  }
  return SEND_OK;
}

/* The first frame decides: ZeroMQ takes the rest of a message it has
 * started, so only that one may have to wait. */
static SendResult
send_first_frame (GstKmZmqSink * self, zmq_msg_t * frame, gint flags)
{
  for (;;) {
    gint err;

    if (zmq_msg_send (frame, self->conn.socket, flags | ZMQ_DONTWAIT) >= 0)
      return SEND_OK;
    err = errno;
    if (err == EINTR)
      continue;
    if (err != EAGAIN)
      return post_send_error (self, err);
    if (!self->active_block)
      return SEND_FULL;

    GST_LOG_OBJECT (self, "waiting for a peer to take the message");
    switch (gst_km_zmq_wait (self->conn.socket, ZMQ_POLLOUT,
            self->conn.cancel_fd, -1)) {
      case GST_KM_ZMQ_WAIT_READY:
      case GST_KM_ZMQ_WAIT_TIMEOUT:
        break;
      case GST_KM_ZMQ_WAIT_CANCELLED:
        return SEND_FLUSHING;
      case GST_KM_ZMQ_WAIT_ERROR:
        return post_send_error (self, errno);
    }
  }
}

/* Sends frames[0..n).  Sent frames are left empty; on FULL or FLUSHING
 * nothing was sent and the frames are intact for a retry. */
static SendResult
send_frames (GstKmZmqSink * self, zmq_msg_t * frames, guint n)
{
  gsize bytes = 0;
  SendResult res;
  guint i;

  for (i = 0; i < n; i++)
    bytes += zmq_msg_size (&frames[i]);

  if (self->xpub) {
    res = wait_for_subscriber (self);
    if (res != SEND_OK)
      return res;
  }
  res = send_first_frame (self, &frames[0], n > 1 ? ZMQ_SNDMORE : 0);
  if (res != SEND_OK)
    return res;
  for (i = 1; i < n; i++) {
    while (zmq_msg_send (&frames[i], self->conn.socket,
            i + 1 < n ? ZMQ_SNDMORE : 0) < 0) {
      if (errno != EINTR)
        return post_send_error (self, errno);
    }
  }

  GST_OBJECT_LOCK (self);
  self->stats.messages_out++;
  self->stats.bytes_out += bytes;
  GST_OBJECT_UNLOCK (self);
  return SEND_OK;
}

/* send_frames(), retried when a state change to PAUSED interrupted it,
 * once basesink's preroll wait returns; a flush ends that wait: FLUSHING
 * with its result in *preroll_ret (OK otherwise). */
static SendResult
send_frames_after_preroll (GstKmZmqSink * self, zmq_msg_t * frames, guint n,
    GstFlowReturn * preroll_ret)
{
  SendResult res;

  *preroll_ret = GST_FLOW_OK;
  while ((res = send_frames (self, frames, n)) == SEND_FLUSHING) {
    *preroll_ret = gst_base_sink_wait_preroll (GST_BASE_SINK (self));
    if (*preroll_ret != GST_FLOW_OK)
      break;
  }
  return res;
}

static void
count_dropped (GstKmZmqSink * self)
{
  GST_OBJECT_LOCK (self);
  self->stats.dropped++;
  GST_OBJECT_UNLOCK (self);
}

static GstFlowReturn
gst_km_zmq_sink_render (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);
  zmq_msg_t frames[MAX_FRAMES];
  GstFlowReturn ret;
  SendResult res;
  guint n;

  GST_OBJECT_LOCK (self);
  self->stats.messages_in++;
  self->stats.bytes_in += gst_buffer_get_size (buffer);
  GST_OBJECT_UNLOCK (self);

  n = make_envelope (self, buffer, frames);
  if (!make_payload (self, buffer, frames, &n)) {
    close_frames (frames, n);
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, (NULL),
        ("Could not map a memory of %" GST_PTR_FORMAT, buffer));
    return GST_FLOW_ERROR;
  }

  res = send_frames_after_preroll (self, frames, n, &ret);
  switch (res) {
    case SEND_OK:
      break;
    case SEND_FULL:
      GST_DEBUG_OBJECT (self, "no peer can take %" GST_PTR_FORMAT
          ": dropped", buffer);
      count_dropped (self);
      break;
    case SEND_FLUSHING:
      GST_DEBUG_OBJECT (self, "flushing while waiting to send");
      break;
    case SEND_ERROR:
      ret = GST_FLOW_ERROR;
      break;
  }
  close_frames (frames, n);
  return ret;
}

/* The header-only EOS message of gst framing; best effort when flushing
 * or when nobody can take it without blocking. */
static void
send_eos (GstKmZmqSink * self)
{
  zmq_msg_t frames[2];
  guint n = make_envelope (self, NULL, frames);

  switch (send_frames (self, frames, n)) {
    case SEND_OK:
      GST_INFO_OBJECT (self, "sent EOS");
      break;
    case SEND_FULL:
    case SEND_FLUSHING:
      GST_WARNING_OBJECT (self, "could not send EOS: no peer takes it");
      break;
    case SEND_ERROR:
      break;
  }
  close_frames (frames, n);
}

/* ------------------------------------------------------------ events */

static gboolean
event_kind (GstEvent * event, GstKmZmqEventKind * kind)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      *kind = GST_KM_ZMQ_EVENT_KIND_CUSTOM_DOWNSTREAM;
      return TRUE;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
      *kind = GST_KM_ZMQ_EVENT_KIND_CUSTOM_DOWNSTREAM_STICKY;
      return TRUE;
    case GST_EVENT_CUSTOM_BOTH:
      *kind = GST_KM_ZMQ_EVENT_KIND_CUSTOM_BOTH;
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
event_selected (GstKmZmqSink * self, const GstStructure * s)
{
  return self->active_events == NULL
      || g_strv_contains ((const gchar * const *) self->active_events,
      gst_structure_get_name (s));
}

/* Pointers, and boxed types without a string form, mean something only
 * inside this process: such fields stay behind. */
static gboolean
keep_serializable_field (GQuark field, GValue * value, gpointer user_data)
{
  gchar *str;

  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value))) {
    case G_TYPE_STRING:
    case G_TYPE_BOOLEAN:
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
      /* Always serialize; a large string is not written twice. */
      return TRUE;
    case G_TYPE_POINTER:
      return FALSE;
    default:
      break;
  }
  str = gst_value_serialize (value);
  g_free (str);
  if (str == NULL)
    GST_LOG ("field %s of type %s has no string form: not sent",
        g_quark_to_string (field), G_VALUE_TYPE_NAME (value));
  return str != NULL;
}

static gchar *
event_structure_string (const GstStructure * s)
{
  GstStructure *copy = gst_structure_copy (s);
  gchar *str;

  gst_structure_filter_and_map_in_place (copy, keep_serializable_field, NULL);
  str = gst_structure_serialize (copy, GST_SERIALIZE_FLAG_NONE);
  gst_structure_free (copy);
  return str;
}

static void
free_string (void *data, void *hint)
{
  g_free (data);
}

/* [topic] header kind structure; returns how many frames were made. */
static guint
make_event_frames (GstKmZmqSink * self, GstEvent * event,
    GstKmZmqEventKind kind, zmq_msg_t * frames)
{
  const gchar *kind_name = gst_km_zmq_event_kind_name (kind);
  gchar *str = event_structure_string (gst_event_get_structure (event));
  GstKmZmqFrameHeader header;
  guint n = make_topic_frame (self, frames);

  header_init (self, &header);
  header.flags = GST_KM_ZMQ_FRAME_FLAGS_EVENT_MESSAGE;
  header.pts = GST_EVENT_TIMESTAMP (event);
  frame_from_header (&frames[n++], &header);
  frame_from_bytes (&frames[n++], kind_name, strlen (kind_name));
  /* Handed over without a copy: a model event can be megabytes. */
  zmq_msg_init_data (&frames[n++], str, strlen (str), free_string, NULL);
  return n;
}

/* gst framing: a serialized custom event as an event message, in stream
 * order (basesink calls event() between the renders of the buffers
 * around it).  Waits like a buffer when nobody can take it. */
static void
send_event (GstKmZmqSink * self, GstEvent * event)
{
  zmq_msg_t frames[2 + GST_KM_ZMQ_EVENT_PAYLOAD_FRAMES];
  GstKmZmqEventKind kind;
  GstFlowReturn preroll_ret;
  SendResult res;
  guint n;

  if (gst_event_get_structure (event) == NULL || !event_kind (event, &kind)
      || !event_selected (self, gst_event_get_structure (event)))
    return;

  n = make_event_frames (self, event, kind, frames);
  /* The event goes on downstream whatever happened to its message. */
  res = send_frames_after_preroll (self, frames, n, &preroll_ret);
  switch (res) {
    case SEND_OK:
      GST_DEBUG_OBJECT (self, "sent event %" GST_PTR_FORMAT, event);
      GST_OBJECT_LOCK (self);
      self->stats.events_out++;
      GST_OBJECT_UNLOCK (self);
      break;
    case SEND_FULL:
      GST_DEBUG_OBJECT (self, "no peer can take event %" GST_PTR_FORMAT
          ": dropped", event);
      count_dropped (self);
      break;
    case SEND_FLUSHING:
      GST_DEBUG_OBJECT (self, "flushing while waiting to send an event");
      break;
    case SEND_ERROR:
      break;
  }
  close_frames (frames, n);
}

static gboolean
gst_km_zmq_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstKmZmqSink *self = GST_KM_ZMQ_SINK (bsink);

  if (self->active.framing == GST_KM_ZMQ_FRAMING_GST) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      send_eos (self);
    else if (GST_EVENT_IS_SERIALIZED (event))
      send_event (self, event);
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

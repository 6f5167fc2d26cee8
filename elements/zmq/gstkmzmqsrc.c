/* gst-kmeans: receive buffers from ZeroMQ.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-kmzmqsrc
 * @title: kmzmqsrc
 * @see_also: kmzmqsink, udpsrc, tcpclientsrc
 *
 * kmzmqsrc receives messages from a ZeroMQ SUB or PULL socket
 * (#GstKmZmqSrc:socket-type) and pushes them downstream as buffers.  It
 * connects to #GstKmZmqSrc:endpoint (several may be given, comma-separated)
 * or, with #GstKmZmqSrc:bind, listens on them.  Each element has its own
 * ZeroMQ context, so `inproc://` endpoints are refused: use `ipc://`
 * between pipelines of one host, `tcp://` between hosts.
 *
 * Connecting is asynchronous: a peer that is not there yet is not an
 * error, ZeroMQ keeps trying (#GstKmZmqSrc:timeout tells when nothing
 * comes).  What can never work fails the start with an error message: a
 * malformed endpoint or tcp port (RESOURCE/SETTINGS), a host name that
 * does not resolve, an address that cannot be bound or is in use
 * (RESOURCE/OPEN_READ), invalid CURVE settings (RESOURCE/SETTINGS).
 *
 * ## Framing
 *
 * With #GstKmZmqSrc:framing `gst` (the default) every message is
 * `[topic] header [payload...]` as written by kmzmqsink (byte layout in
 * `schemas/zmq-framing.md`): the header restores the caps, PTS, DTS,
 * duration, offsets and buffer flags the sender had, and a header-only
 * message flagged EOS ends the stream (create returns EOS; with several
 * senders on one socket, the first EOS ends it).  The payload
 * frames become the memories of one buffer.  Since a header carries the
 * sender's caps, #GstKmZmqSrc:caps is only used for messages without caps.
 * Event messages carry the sender's serialized custom downstream events
 * (the in-band model of kmeans-train among them): each is re-created and
 * pushed downstream in stream order, before the buffer that followed it
 * (those that arrive before the first buffer go right after its caps and
 * segment).
 * kmzmqsink puts its caps in every message; other senders may send them
 * only with their first, so a subscriber that joins late can see capless
 * messages before any caps are known: those are dropped and counted as
 * `dropped`, with one warning message, until a message brings caps.
 *
 * With `raw` each message is one buffer, as any ZeroMQ program sends it:
 * no caps travel, so set #GstKmZmqSrc:caps; there are no timestamps either
 * (see below) and no end of stream.  When those caps are
 * `application/x-points`, a message that is not a whole number of points
 * (D values of the format) is dropped and counted as malformed, with one
 * warning message, so that no peer can stop the pipeline with a stray
 * message.
 *
 * With a #GstKmZmqSrc:topic the first frame of every message is the topic
 * and is removed; a SUB socket subscribes to it (ZeroMQ matches it as a
 * prefix), a PULL socket drops messages whose first frame does not start
 * with it (counted as `dropped`).  Without a topic a SUB socket takes
 * everything; with gst framing a leading frame that is not a header is
 * still recognised as a topic and skipped, with raw framing it would be
 * taken as payload: set the topic on both sides.
 *
 * Malformed messages (a bad or truncated header, an unknown version, caps
 * that do not parse or are not fixed, EOS with a payload, a topic frame
 * with nothing after it, more than 16 payload frames, an event message
 * whose kind is unknown or whose structure is larger than
 * #GstKmZmqSrc:max-event-size, not UTF-8, nested too deep or does not
 * parse) are dropped,
 * logged with GST_WARNING and counted in #GstKmZmqSrc:stats; they never
 * stop the stream.  So are messages whose caps downstream refuses (say a
 * peer sending points of another dimension than the model's): the
 * stream keeps the caps it had, and the first refusal posts a warning
 * message, so no peer can stop the pipeline by sending odd caps.  ZeroMQ
 * itself disconnects a peer whose frame is larger than
 * #GstKmZmqSrc:max-message-size.
 *
 * ## Timestamps
 *
 * gst framing: the buffers keep the sender's PTS/DTS/duration (its
 * buffer times, normally stream time from 0).  kmzmqsrc opens a TIME
 * segment starting at the first timestamp it receives, so running time
 * starts at 0 with the first buffer; with #GstKmZmqSrc:is-live the segment
 * base is the running time at which that first message arrived, so
 * later buffers keep the sender's pacing on the receiver's clock.  When
 * timestamps jump backwards (the sender restarted) a new segment starts
 * there, continuing the running time.
 *
 * raw framing: with #GstKmZmqSrc:is-live each buffer's PTS is the running
 * time at which it arrived, as a live network source does; otherwise
 * buffers have no timestamps (set #GstBaseSrc:do-timestamp to stamp them).
 *
 * Payload memory is ZeroMQ's own message memory, without copying, when it
 * is 8-byte aligned (in practice: frames larger than ZeroMQ's 8 KiB read
 * batch); otherwise the payload is copied once into aligned memory, so
 * downstream can always read float32/float64 values in place.
 *
 * ## Stopping
 *
 * kmzmqsrc waits in zmq_poll() on its socket and on a wake-up descriptor
 * that unlock() signals, so a state change to READY or NULL returns at
 * once even when no message ever comes.  The socket is created in start,
 * used only by the streaming thread and closed in stop; #GstKmZmqSrc:linger
 * bounds how long closing may wait.
 *
 * ## Security
 *
 * CURVE encrypts and authenticates the connection.  The CURVE server
 * (usually the binding side) sets #GstKmZmqSrc:curve-server and its
 * #GstKmZmqSrc:curve-secret-key (or #GstKmZmqSrc:curve-key-file); a client
 * sets #GstKmZmqSrc:curve-server-key to the server's public key and then
 * receives nothing unless the peer holds the matching secret key.  An
 * eavesdropper sees only ciphertext.  A server admits any client that
 * knows its public key, which is not a secret; to admit only known
 * publishers list their public keys in #GstKmZmqSrc:curve-allowed-clients
 * (enforced by a ZAP handler on this element's context; refused clients
 * are logged and counted as `clients-rejected`).  Without CURVE anybody
 * who can reach the endpoint can inject messages.
 *
 * ## Messages
 *
 * With #GstKmZmqSrc:timeout > 0 the element posts an element message named
 * `GstKmZmqSrcTimeout` each time that long passes without any message, then
 * keeps waiting.  Its field:
 *
 * * #guint64 `timeout`: the timeout that elapsed, in nanoseconds.
 *
 * ## Statistics
 *
 * #GstKmZmqSrc:stats is a #GstStructure named `application/x-zmq-stats`:
 *
 * * #guint64 `messages-in`: ZeroMQ messages received (all, even malformed).
 * * #guint64 `bytes-in`: bytes of those messages, every frame counted.
 * * #guint64 `messages-out`: buffers pushed downstream.
 * * #guint64 `bytes-out`: payload bytes of those buffers.
 * * #guint64 `malformed`: messages dropped as malformed.
 * * #guint64 `dropped`: messages known lost: gaps in the sequence numbers of
 *   gst framing on a SUB socket (a PUB sender or this SUB socket hit its
 *   high-water mark; messages that arrived malformed are not counted
 *   again here), on PULL messages whose topic did not match, and gst-framed
 *   messages without caps that arrive before any caps are known.
 * * #guint64 `events-out`: events re-created from event messages and pushed
 *   downstream.
 * * #guint64 `clients-rejected`: CURVE clients refused by
 *   #GstKmZmqSrc:curve-allowed-clients.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 kmzmqsrc endpoint=ipc:///tmp/points.ipc socket-type=pull \
 *     bind=true ! fakesink dump=true
 * gst-launch-1.0 kmeans-testsrc num-buffers=5 points-per-buffer=2 ! \
 *     kmzmqsink endpoint=ipc:///tmp/points.ipc socket-type=push bind=false
 * ]| Two pipelines: the second sends five buffers of points with their caps
 * and timestamps, then EOS; the first prints them and ends with EOS too.
 * Between hosts use tcp://, e.g. endpoint=tcp://0.0.0.0:5556 on the
 * receiver and endpoint=tcp://receiver-host:5556 on the sender.
 * |[
 * gst-launch-1.0 kmzmqsrc endpoint=ipc:///tmp/raw-points.ipc framing=raw \
 *     caps="application/x-points,format=F32LE,dimensions=2" num-buffers=10 ! \
 *     fakesink dump=true
 * pipelines/zmq-publish-points.py --endpoint ipc:///tmp/raw-points.ipc
 * ]| Subscribes to a plain ZeroMQ publisher that binds and sends raw
 * float32 points; the caps say what the bytes are.
 * |[
 * gst-launch-1.0 -m kmzmqsrc endpoint=ipc:///tmp/late.ipc framing=raw \
 *     timeout=500000000 num-buffers=1 \
 *     caps=application/x-points,format=F32LE,dimensions=2 ! fakesink
 * pipelines/zmq-publish-points.py --endpoint ipc:///tmp/late.ipc --delay 2
 * ]| Prints a GstKmZmqSrcTimeout element message every half second until the
 * publisher starts two seconds later.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "gstkmzmqsrc.h"
#include "zmqbufferflags.h"
#include "zmqframing.h"
#include "zmqsocket.h"
#include "zmqsrcevents.h"

GST_DEBUG_CATEGORY_STATIC (gst_km_zmq_src_debug);
#define GST_CAT_DEFAULT gst_km_zmq_src_debug

typedef enum
{
  GST_KM_ZMQ_SRC_SOCKET_SUB,
  GST_KM_ZMQ_SRC_SOCKET_PULL
} GstKmZmqSrcSocketType;

#define DEFAULT_BIND                FALSE
#define DEFAULT_SOCKET_TYPE         GST_KM_ZMQ_SRC_SOCKET_SUB
#define DEFAULT_RECEIVE_HWM         GST_KM_ZMQ_DEFAULT_HWM
#define DEFAULT_MAX_MESSAGE_SIZE    GST_KM_ZMQ_DEFAULT_MAX_MESSAGE_SIZE
#define DEFAULT_CAPS                NULL
#define DEFAULT_IS_LIVE             FALSE
#define DEFAULT_TIMEOUT             0
/* A model event of 3 million float32 values, in base64, still fits. */
#define DEFAULT_MAX_EVENT_SIZE      (16 * 1024 * 1024)

#define TIMEOUT_MESSAGE_NAME        "GstKmZmqSrcTimeout"
#define STATS_NAME                  "application/x-zmq-stats"

/* topic + header + payload */
#define MAX_FRAMES                  (2 + GST_KM_ZMQ_MAX_PAYLOAD_FRAMES)
/* Senders whose sequence numbers are followed at once. */
#define MAX_TRACKED_STREAMS         16
#define PAYLOAD_ALIGN               8

enum
{
  PROP_SOCKET_TYPE = GST_KM_ZMQ_PROP_LAST,
  PROP_RECEIVE_HWM,
  PROP_MAX_MESSAGE_SIZE,
  PROP_CAPS,
  PROP_IS_LIVE,
  PROP_TIMEOUT,
  PROP_MAX_EVENT_SIZE,
  PROP_STATS
};

typedef struct
{
  guint64 messages_in;
  guint64 bytes_in;
  guint64 messages_out;
  guint64 bytes_out;
  guint64 malformed;
  guint64 dropped;
  guint64 events_out;
  guint64 clients_rejected;     /* final count, once stopped */
} GstKmZmqSrcStats;

typedef struct
{
  guint32 stream_id;
  guint64 next_sequence;
  gboolean used;
} TrackedStream;

struct _GstKmZmqSrc
{
  GstPushSrc parent;

  /* Properties, under the object lock. */
  GstKmZmqSettings settings;
  GstKmZmqSrcSocketType socket_type;
  GstCaps *caps;
  guint64 timeout;
  guint max_event_size;

  /* Under the object lock: read by get_property from any thread. */
  GstKmZmqSrcStats stats;
  GstKmZmqConnection *live_conn;        /* &conn while started: live counters */
  gchar *last_endpoint;
  GstCaps *stream_caps;         /* caps of the last header */

  /* Streaming state.  start() and stop() run on the application thread,
   * create() on the streaming thread; GstBaseSrc never runs them at the
   * same time, so the socket is only ever used by one thread at once. */
  GstKmZmqSettings active;      /* snapshot of the settings at start */
  GstKmZmqSrcSocketType active_type;
  gboolean active_live;         /* is-live at start */
  GstKmZmqConnection conn;
  GCancellable *cancellable;    /* unlock() cancels it: wakes zmq_poll */
  zmq_msg_t frames[MAX_FRAMES];
  gchar *stream_caps_str;       /* caps string of the last header */
  gchar *rejected_caps_str;     /* last malformed caps string, not reparsed */
  gboolean warned_refused_caps; /* the one warning message was posted */
  gboolean warned_capless;      /* ... for messages before any caps */
  gboolean warned_partial;      /* ... for raw messages of partial records */
  gsize raw_record_size;        /* raw framing: bytes of one record, or 0 */
  guint64 unparsed_since_header;        /* malformed since the last header */
  GstSegment segment;           /* the segment announced, gst framing */
  gboolean have_segment;
  gboolean discont_pending;     /* a gap before an event message */
  gsize active_max_event_size;
  gchar *rejected_event_str;    /* last malformed structure, not reparsed */
  GstKmSrcEvents events;        /* the stream's events (zmqsrcevents.h) */
  TrackedStream streams[MAX_TRACKED_STREAMS];
  guint next_stream_slot;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define gst_km_zmq_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKmZmqSrc, gst_km_zmq_src, GST_TYPE_PUSH_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_km_zmq_src_debug, "kmzmqsrc", 0,
        "ZeroMQ source"));
GST_ELEMENT_REGISTER_DEFINE (km_zmq_src, "kmzmqsrc", GST_RANK_NONE,
    GST_TYPE_KM_ZMQ_SRC);

static void gst_km_zmq_src_finalize (GObject * object);
static void gst_km_zmq_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_km_zmq_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstCaps *gst_km_zmq_src_get_caps (GstBaseSrc * bsrc, GstCaps * filter);
static gboolean gst_km_zmq_src_start (GstBaseSrc * bsrc);
static gboolean gst_km_zmq_src_stop (GstBaseSrc * bsrc);
static gboolean gst_km_zmq_src_unlock (GstBaseSrc * bsrc);
static gboolean gst_km_zmq_src_unlock_stop (GstBaseSrc * bsrc);
static GstFlowReturn gst_km_zmq_src_create (GstPushSrc * psrc,
    GstBuffer ** outbuf);
static void count_event_pushed (gpointer user_data);

#define GST_TYPE_KM_ZMQ_SRC_SOCKET_TYPE (gst_km_zmq_src_socket_type_get_type ())
static GType
gst_km_zmq_src_socket_type_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KM_ZMQ_SRC_SOCKET_SUB, "SUB: receive what publishers send to all "
          "subscribers of the topic", "sub"},
    {GST_KM_ZMQ_SRC_SOCKET_PULL, "PULL: receive a share of what pushers "
          "distribute among their pullers", "pull"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKmZmqSrcSocketType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
gst_km_zmq_src_class_init (GstKmZmqSrcClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseSrcClass *basesrc_class = (GstBaseSrcClass *) klass;
  GstPushSrcClass *pushsrc_class = (GstPushSrcClass *) klass;

  gobject_class->set_property = gst_km_zmq_src_set_property;
  gobject_class->get_property = gst_km_zmq_src_get_property;
  gobject_class->finalize = gst_km_zmq_src_finalize;

  gst_km_zmq_install_properties (gobject_class, DEFAULT_BIND, TRUE);
  g_object_class_install_property (gobject_class, PROP_SOCKET_TYPE,
      g_param_spec_enum ("socket-type", "Socket type",
          "ZeroMQ socket type: sub (from PUB) or pull (from PUSH)",
          GST_TYPE_KM_ZMQ_SRC_SOCKET_TYPE, DEFAULT_SOCKET_TYPE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RECEIVE_HWM,
      g_param_spec_int ("receive-hwm", "Receive high-water mark",
          "Messages queued per peer before ZeroMQ drops more (SUB) or stops "
          "reading (PULL); 0 = no limit", 0, G_MAXINT, DEFAULT_RECEIVE_HWM,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_int64 ("max-message-size", "Maximum message size",
          "Largest frame accepted, in bytes; ZeroMQ disconnects a peer that "
          "sends a larger one (-1 = no limit)", -1, G_MAXINT64,
          DEFAULT_MAX_MESSAGE_SIZE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CAPS,
      g_param_spec_boxed ("caps", "Caps",
          "Caps of the buffers when the messages do not say (raw framing, "
          "or gst-framed messages without caps)", GST_TYPE_CAPS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source: produce only in PLAYING, timestamp on the "
          "pipeline clock", DEFAULT_IS_LIVE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Post a " TIMEOUT_MESSAGE_NAME " element message after this many "
          "nanoseconds without a message (0 = never)", 0, G_MAXUINT64,
          DEFAULT_TIMEOUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_EVENT_SIZE,
      g_param_spec_uint ("max-event-size", "Maximum event size",
          "gst framing: largest event structure accepted, in bytes; larger "
          "event messages are dropped as malformed", 0, G_MAXUINT,
          DEFAULT_MAX_EVENT_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since start: messages-in, bytes-in, messages-out, "
          "bytes-out, malformed, dropped, events-out, clients-rejected (all "
          "guint64)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "ZeroMQ source",
      "Source/Network",
      "Receives buffers from a ZeroMQ SUB or PULL socket, with caps, "
      "timestamps and EOS when framed by kmzmqsink", "gst-kmeans developers");

  basesrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_km_zmq_src_get_caps);
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_km_zmq_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_km_zmq_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_km_zmq_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_km_zmq_src_unlock_stop);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_km_zmq_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_KM_ZMQ_SRC_SOCKET_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KM_ZMQ_FRAMING, 0);
}

static void
gst_km_zmq_src_init (GstKmZmqSrc * self)
{
  gst_km_zmq_settings_init (&self->settings, DEFAULT_BIND);
  self->settings.hwm = DEFAULT_RECEIVE_HWM;
  self->settings.max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->socket_type = DEFAULT_SOCKET_TYPE;
  self->caps = DEFAULT_CAPS;
  self->timeout = DEFAULT_TIMEOUT;
  self->max_event_size = DEFAULT_MAX_EVENT_SIZE;
  self->cancellable = g_cancellable_new ();
  gst_km_src_events_init (&self->events, GST_BASE_SRC_PAD (self),
      count_event_pushed, self);

  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (self), DEFAULT_IS_LIVE);
}

static void
gst_km_zmq_src_finalize (GObject * object)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (object);

  gst_km_zmq_settings_clear (&self->settings);
  gst_clear_caps (&self->caps);
  g_free (self->last_endpoint);
  g_object_unref (self->cancellable);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_km_zmq_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (object);

  /* gst_base_src_set_live takes the object lock itself. */
  if (prop_id == PROP_IS_LIVE) {
    gst_base_src_set_live (GST_BASE_SRC (self), g_value_get_boolean (value));
    return;
  }

  GST_OBJECT_LOCK (self);
  if (gst_km_zmq_settings_set_property (&self->settings, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_SOCKET_TYPE:
      self->socket_type = g_value_get_enum (value);
      break;
    case PROP_RECEIVE_HWM:
      self->settings.hwm = g_value_get_int (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->settings.max_message_size = g_value_get_int64 (value);
      break;
    case PROP_CAPS:
      gst_caps_replace (&self->caps, g_value_get_boxed (value));
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_MAX_EVENT_SIZE:
      self->max_event_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Called with the object lock held. */
static GstStructure *
stats_new (GstKmZmqSrc * self)
{
  return gst_structure_new (STATS_NAME,
      "messages-in", G_TYPE_UINT64, self->stats.messages_in,
      "bytes-in", G_TYPE_UINT64, self->stats.bytes_in,
      "messages-out", G_TYPE_UINT64, self->stats.messages_out,
      "bytes-out", G_TYPE_UINT64, self->stats.bytes_out,
      "malformed", G_TYPE_UINT64, self->stats.malformed,
      "dropped", G_TYPE_UINT64, self->stats.dropped,
      "events-out", G_TYPE_UINT64, self->stats.events_out,
      "clients-rejected", G_TYPE_UINT64, self->live_conn ?
      gst_km_zmq_connection_get_rejected (self->live_conn) :
      self->stats.clients_rejected, NULL);
}

static void
gst_km_zmq_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (object);

  if (prop_id == PROP_IS_LIVE) {
    g_value_set_boolean (value, gst_base_src_is_live (GST_BASE_SRC (self)));
    return;
  }

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
    case PROP_RECEIVE_HWM:
      g_value_set_int (value, self->settings.hwm);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_int64 (value, self->settings.max_message_size);
      break;
    case PROP_CAPS:
      gst_value_set_caps (value, self->caps);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_MAX_EVENT_SIZE:
      g_value_set_uint (value, self->max_event_size);
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

/* The header's caps once known, else the caps property, else anything. */
static GstCaps *
gst_km_zmq_src_get_caps (GstBaseSrc * bsrc, GstCaps * filter)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (bsrc);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  if (self->stream_caps != NULL)
    caps = gst_caps_ref (self->stream_caps);
  else if (self->caps != NULL)
    caps = gst_caps_ref (self->caps);
  else
    caps = gst_caps_new_any ();
  GST_OBJECT_UNLOCK (self);

  if (filter != NULL) {
    GstCaps *intersection = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (caps);
    caps = intersection;
  }
  return caps;
}

static gint
zmq_socket_type (GstKmZmqSrcSocketType type)
{
  return type == GST_KM_ZMQ_SRC_SOCKET_PULL ? ZMQ_PULL : ZMQ_SUB;
}

/* Bytes of one record when @caps describe a stream of fixed-size
 * records, 0 when a message may have any size.  Rows of
 * application/x-points (D values of F32LE or F64LE) are the one such
 * layout ZeroMQ peers send raw. */
static gsize
record_size_from_caps (const GstCaps * caps)
{
  const GstStructure *s;
  const gchar *format;
  gint d;

  if (caps == NULL || gst_caps_get_size (caps) != 1)
    return 0;
  s = gst_caps_get_structure (caps, 0);
  format = gst_structure_get_string (s, "format");
  if (!gst_structure_has_name (s, "application/x-points") || format == NULL
      || !gst_structure_get_int (s, "dimensions", &d) || d <= 0)
    return 0;
  if (strcmp (format, "F32LE") == 0)
    return (gsize) d *4;
  if (strcmp (format, "F64LE") == 0)
    return (gsize) d *8;
  return 0;
}

static gboolean
gst_km_zmq_src_start (GstBaseSrc * bsrc)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (bsrc);
  GError *error = NULL;
  gchar *debug = NULL;
  guint i;

  GST_OBJECT_LOCK (self);
  gst_km_zmq_settings_copy (&self->active, &self->settings);
  self->active_type = self->socket_type;
  memset (&self->stats, 0, sizeof (self->stats));
  gst_clear_caps (&self->stream_caps);
  self->raw_record_size = record_size_from_caps (self->caps);
  self->active_max_event_size = self->max_event_size;
  GST_OBJECT_UNLOCK (self);
  /* Read once: gst_base_src_is_live takes the object lock. */
  self->active_live = gst_base_src_is_live (bsrc);

  if (!gst_km_zmq_connection_open (&self->conn, &self->active,
          zmq_socket_type (self->active_type), TRUE, self->cancellable, &error,
          &debug)) {
    GST_KM_ZMQ_POST_ERROR (self, error, debug);
    g_error_free (error);
    g_free (debug);
    gst_km_zmq_settings_clear (&self->active);
    return FALSE;
  }

  for (i = 0; i < MAX_FRAMES; i++)
    zmq_msg_init (&self->frames[i]);
  self->have_segment = FALSE;
  self->discont_pending = FALSE;
  self->warned_refused_caps = FALSE;
  self->warned_capless = FALSE;
  self->warned_partial = FALSE;
  self->unparsed_since_header = 0;
  memset (self->streams, 0, sizeof (self->streams));
  self->next_stream_slot = 0;

  GST_OBJECT_LOCK (self);
  g_free (self->last_endpoint);
  self->last_endpoint = g_strdup (self->conn.last_endpoint);
  self->live_conn = &self->conn;
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "%s %s", self->active.bind ? "bound" : "connected to",
      self->conn.last_endpoint);
  return TRUE;
}

static gboolean
gst_km_zmq_src_stop (GstBaseSrc * bsrc)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (bsrc);
  guint i;

  /* last-endpoint and stats stay readable after the stream. */
  GST_OBJECT_LOCK (self);
  self->stats.clients_rejected =
      gst_km_zmq_connection_get_rejected (&self->conn);
  self->live_conn = NULL;
  gst_clear_caps (&self->stream_caps);
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < MAX_FRAMES; i++)
    zmq_msg_close (&self->frames[i]);
  gst_km_zmq_connection_close (&self->conn);
  g_clear_pointer (&self->stream_caps_str, g_free);
  g_clear_pointer (&self->rejected_caps_str, g_free);
  g_clear_pointer (&self->rejected_event_str, g_free);
  gst_km_src_events_reset (&self->events);
  gst_km_zmq_settings_clear (&self->active);
  return TRUE;
}

/* Runs on another thread than create(): only signal, never touch the
 * socket. */
static gboolean
gst_km_zmq_src_unlock (GstBaseSrc * bsrc)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (bsrc);

  GST_LOG_OBJECT (self, "waking the streaming thread");
  g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static gboolean
gst_km_zmq_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (bsrc);

  g_cancellable_reset (self->cancellable);
  return TRUE;
}

static void
post_timeout (GstKmZmqSrc * self, guint64 timeout)
{
  GstStructure *s = gst_structure_new (TIMEOUT_MESSAGE_NAME,
      "timeout", G_TYPE_UINT64, timeout, NULL);

  GST_DEBUG_OBJECT (self, "no message for %" GST_TIME_FORMAT,
      GST_TIME_ARGS (timeout));
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Blocks until a message is readable, posting a timeout message each
 * time the timeout passes.  FLUSHING when unlock() woke us. */
static GstFlowReturn
wait_for_message (GstKmZmqSrc * self)
{
  for (;;) {
    guint64 timeout;
    glong timeout_ms;

    GST_OBJECT_LOCK (self);
    timeout = self->timeout;
    GST_OBJECT_UNLOCK (self);
    if (timeout == 0)
      timeout_ms = -1;
    else
      timeout_ms = (glong) MIN ((timeout + GST_MSECOND - 1) / GST_MSECOND,
          G_MAXINT);

    switch (gst_km_zmq_wait (self->conn.socket, ZMQ_POLLIN,
            self->conn.cancel_fd, timeout_ms)) {
      case GST_KM_ZMQ_WAIT_READY:
        return GST_FLOW_OK;
      case GST_KM_ZMQ_WAIT_CANCELLED:
        GST_DEBUG_OBJECT (self, "unlocked while waiting");
        return GST_FLOW_FLUSHING;
      case GST_KM_ZMQ_WAIT_TIMEOUT:
        post_timeout (self, timeout);
        break;
      case GST_KM_ZMQ_WAIT_ERROR:
        GST_KM_ZMQ_POST_WAIT_ERROR (self, self->conn.last_endpoint, errno);
        return GST_FLOW_ERROR;
    }
  }
}

/* Receives all frames of one message into self->frames (extra frames
 * beyond MAX_FRAMES are discarded and flagged by *too_many).  *n_frames
 * is 0 when nothing was there after all. */
static GstFlowReturn
receive_message (GstKmZmqSrc * self, guint * n_frames, gboolean * too_many)
{
  gsize bytes = 0;

  if (gst_km_zmq_receive_frames (self->conn.socket, self->frames, MAX_FRAMES,
          n_frames, too_many, &bytes) < 0) {
    GST_KM_ZMQ_POST_RECEIVE_ERROR (self, self->conn.last_endpoint, errno);
    return GST_FLOW_ERROR;
  }
  if (*n_frames == 0)
    return GST_FLOW_OK;
  GST_OBJECT_LOCK (self);
  self->stats.messages_in++;
  self->stats.bytes_in += bytes;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "message of %u frames, %" G_GSIZE_FORMAT " bytes",
      *n_frames, bytes);
  return GST_FLOW_OK;
}

static void
release_frames (GstKmZmqSrc * self, guint n_frames)
{
  guint i;

  /* Close and re-init: a moved-out frame is already empty. */
  for (i = 0; i < n_frames; i++) {
    zmq_msg_close (&self->frames[i]);
    zmq_msg_init (&self->frames[i]);
  }
}

static void
count_malformed (GstKmZmqSrc * self, const gchar * why)
{
  GST_WARNING_OBJECT (self, "dropping malformed message: %s", why);
  GST_OBJECT_LOCK (self);
  self->stats.malformed++;
  GST_OBJECT_UNLOCK (self);
}

static void
count_dropped (GstKmZmqSrc * self, guint64 n)
{
  GST_OBJECT_LOCK (self);
  self->stats.dropped += n;
  GST_OBJECT_UNLOCK (self);
}

static void
free_zmq_msg (gpointer data)
{
  zmq_msg_close (data);
  g_free (data);
}

static gboolean
is_payload_aligned (zmq_msg_t * frame)
{
  return ((guintptr) zmq_msg_data (frame)) % PAYLOAD_ALIGN == 0;
}

static GstMemory *
memory_copy_aligned (const void *data, gsize size)
{
  GstAllocationParams params;
  GstMemory *mem;
  GstMapInfo map;

  GST_LOG ("payload frame of %" G_GSIZE_FORMAT " bytes is not %d-byte "
      "aligned: copying it", size, PAYLOAD_ALIGN);
  gst_allocation_params_init (&params);
  params.align = PAYLOAD_ALIGN - 1;
  mem = gst_allocator_alloc (NULL, size, &params);
  gst_memory_map (mem, &map, GST_MAP_WRITE);
  memcpy (map.data, data, size);
  gst_memory_unmap (mem, &map);
  return mem;
}

/* One payload frame as a GstMemory: ZeroMQ's memory itself when aligned,
 * else an aligned copy.  The frame is left empty or untouched. */
static GstMemory *
memory_from_frame (zmq_msg_t * frame)
{
  gsize size = zmq_msg_size (frame);
  zmq_msg_t *owned;
  GstMemory *mem;

  /* The usual case below ZeroMQ's 8 KiB read batch: copied straight from
   * the frame, which release_frames() closes, without moving it to the
   * heap first.  Moving keeps the alignment (zmq_msg_t and the heap are
   * both pointer-aligned), so what is unaligned here stays so. */
  if (!is_payload_aligned (frame))
    return memory_copy_aligned (zmq_msg_data (frame), size);

  owned = g_new (zmq_msg_t, 1);
  zmq_msg_init (owned);
  zmq_msg_move (owned, frame);
  /* Small messages live inside zmq_msg_t: ask for the data after moving. */
  if (is_payload_aligned (owned))
    return gst_memory_new_wrapped (0, zmq_msg_data (owned), size, 0, size,
        owned, free_zmq_msg);
  mem = memory_copy_aligned (zmq_msg_data (owned), size);
  free_zmq_msg (owned);
  return mem;
}

static GstBuffer *
buffer_from_frames (GstKmZmqSrc * self, guint first, guint n_frames)
{
  GstBuffer *buffer = gst_buffer_new ();
  guint i;

  for (i = first; i < n_frames; i++) {
    if (zmq_msg_size (&self->frames[i]) == 0)
      continue;
    gst_buffer_append_memory (buffer, memory_from_frame (&self->frames[i]));
  }
  return buffer;
}

static void
count_pushed (GstKmZmqSrc * self, GstBuffer * buffer)
{
  GST_OBJECT_LOCK (self);
  self->stats.messages_out++;
  self->stats.bytes_out += gst_buffer_get_size (buffer);
  GST_OBJECT_UNLOCK (self);
}

static GstClockTime
current_running_time (GstKmZmqSrc * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  return now > base ? now - base : 0;
}

static gboolean
frame_starts_with (zmq_msg_t * frame, const gchar * prefix)
{
  gsize len = strlen (prefix);

  return zmq_msg_size (frame) >= len
      && memcmp (zmq_msg_data (frame), prefix, len) == 0;
}

static gboolean
frame_is_header (zmq_msg_t * frame)
{
  /* Compared bytewise: the frame need not be aligned. */
  return zmq_msg_size (frame) >= 4
      && memcmp (zmq_msg_data (frame), "GZMQ", 4) == 0;
}

/* Index of the first frame after the topic; G_MAXUINT when the message
 * is for another topic. */
static guint
skip_topic (GstKmZmqSrc * self, guint n_frames)
{
  const gchar *topic = self->active.topic;

  if (topic != NULL && *topic != '\0') {
    /* SUB filtered on it already; PULL did not. */
    if (n_frames == 0 || !frame_starts_with (&self->frames[0], topic))
      return G_MAXUINT;
    return 1;
  }
  /* A publisher's topic we did not subscribe to by name. */
  if (self->active.framing == GST_KM_ZMQ_FRAMING_GST && n_frames >= 2
      && !frame_is_header (&self->frames[0])
      && frame_is_header (&self->frames[1]))
    return 1;
  return 0;
}

/* Raw messages carry no caps of their own: with record caps (points), one
 * that is not a whole number of records could only be garbage or a
 * broken peer.  It is dropped as malformed, with one warning message,
 * rather than handed on to stop the pipeline downstream. */
static gboolean
whole_records (GstKmZmqSrc * self, guint first, guint n_frames)
{
  gsize size = 0;
  guint i;

  if (self->raw_record_size == 0)
    return TRUE;
  for (i = first; i < n_frames; i++)
    size += zmq_msg_size (&self->frames[i]);
  if (size % self->raw_record_size == 0)
    return TRUE;

  count_malformed (self, "raw message not a whole number of records");
  if (!self->warned_partial) {
    self->warned_partial = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropping messages that are not a whole number of points."),
        ("a raw message of %" G_GSIZE_FORMAT " bytes is not a whole number "
            "of %" G_GSIZE_FORMAT "-byte records of the caps property; such "
            "messages are counted as malformed in stats", size,
            self->raw_record_size));
  }
  return FALSE;
}

static GstFlowReturn
raw_message_to_buffer (GstKmZmqSrc * self, guint first, guint n_frames,
    GstBuffer ** outbuf)
{
  GstBuffer *buffer;

  if (first >= n_frames) {
    count_malformed (self, "no payload frame after the topic");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (n_frames - first > GST_KM_ZMQ_MAX_PAYLOAD_FRAMES) {
    count_malformed (self, "more than 16 payload frames");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (!whole_records (self, first, n_frames))
    return GST_FLOW_CUSTOM_SUCCESS;
  buffer = buffer_from_frames (self, first, n_frames);
  if (self->active_live)
    GST_BUFFER_PTS (buffer) = current_running_time (self);
  *outbuf = buffer;
  return GST_FLOW_OK;
}

/* Follows the sender's sequence numbers on SUB, where every message of a
 * stream should arrive: a gap means messages were lost (high-water mark).
 * PULL only gets its share, so gaps mean nothing there.  TRUE on a gap. */
static gboolean
track_sequence (GstKmZmqSrc * self, const GstKmZmqFrameHeader * header)
{
  TrackedStream *slot = NULL;
  gboolean gap = FALSE;
  guint i;

  if (self->active_type != GST_KM_ZMQ_SRC_SOCKET_SUB)
    return FALSE;

  for (i = 0; i < MAX_TRACKED_STREAMS && slot == NULL; i++)
    if (self->streams[i].used
        && self->streams[i].stream_id == header->stream_id)
      slot = &self->streams[i];

  if (slot == NULL) {
    slot = &self->streams[self->next_stream_slot];
    self->next_stream_slot = (self->next_stream_slot + 1) % MAX_TRACKED_STREAMS;
    slot->used = TRUE;
    slot->stream_id = header->stream_id;
  } else if (header->sequence > slot->next_sequence) {
    guint64 missing = header->sequence - slot->next_sequence;
    /* Messages that arrived but whose header did not parse were counted
     * as malformed already: only the rest are lost. */
    guint64 lost = missing - MIN (missing, self->unparsed_since_header);

    GST_WARNING_OBJECT (self, "%" G_GUINT64_FORMAT " messages of stream "
        "%08x missing before sequence %" G_GUINT64_FORMAT ", %"
        G_GUINT64_FORMAT " of them malformed", missing, header->stream_id,
        header->sequence, missing - lost);
    count_dropped (self, lost);
    gap = TRUE;
  }
  slot->next_sequence = header->sequence + 1;
  self->unparsed_since_header = 0;
  return gap;
}

/* TRUE when the @len bytes at @text are exactly @str. */
static gboolean
same_string (const gchar * str, const gchar * text, gsize len)
{
  return str != NULL && strlen (str) == len && memcmp (str, text, len) == 0;
}

/* GStreamer 1.22 leaks a little on some malformed caps and structure
 * strings: the last one refused is kept in @slot (taking @str) so that a
 * peer repeating it is not parsed (and leaked on) per message. */
static void
remember_rejected (gchar ** slot, gchar * str)
{
  g_free (*slot);
  *slot = str;
}

/* Downstream refused a peer's caps: drop the message rather than stop the
 * pipeline (any peer could).  Takes @str. */
static void
refuse_downstream_caps (GstKmZmqSrc * self, gchar * str, GstCaps * caps)
{
  gchar *why = g_strdup_printf ("downstream does not accept caps \"%s\"",
      str);

  count_malformed (self, why);
  g_free (why);
  if (!self->warned_refused_caps) {
    self->warned_refused_caps = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropping messages whose caps downstream does not accept."),
        ("caps %" GST_PTR_FORMAT " refused; such messages are dropped and "
            "counted as malformed in stats, the stream keeps its caps", caps));
  }
  remember_rejected (&self->rejected_caps_str, str);
}

/* Asked before sending the caps event: a refused sticky caps event would
 * only fail the next buffer (not-negotiated), stopping the stream. */
static gboolean
downstream_accepts (GstKmZmqSrc * self, GstCaps * caps)
{
  GstPad *pad = GST_BASE_SRC_PAD (self);

  return !gst_pad_is_linked (pad) || gst_pad_peer_query_accept_caps (pad, caps);
}

/* TRUE once the stream has caps: from a header, or the caps property. */
static gboolean
have_caps (GstKmZmqSrc * self)
{
  gboolean have;

  GST_OBJECT_LOCK (self);
  have = self->stream_caps != NULL || self->caps != NULL;
  GST_OBJECT_UNLOCK (self);
  return have;
}

/* The framing lets a sender leave caps out after its first message, so a
 * subscriber that joins late may see capless messages first.  Nothing
 * downstream could read them: they are dropped and counted until a
 * message brings caps, with one warning, and the stream goes on. */
static GstFlowReturn
drop_capless (GstKmZmqSrc * self)
{
  GST_DEBUG_OBJECT (self, "dropping a message without caps: none known yet");
  count_dropped (self, 1);
  if (!self->warned_capless) {
    self->warned_capless = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropping messages that arrive before their caps are known."),
        ("a message without caps came before any with caps and the caps "
            "property is not set; such messages are counted as dropped in "
            "stats until a message carries caps"));
  }
  return GST_FLOW_CUSTOM_SUCCESS;
}

/* Applies the header's caps when they changed.  CUSTOM_SUCCESS (skip)
 * when they are malformed or refused downstream, or when there are none
 * and none are known yet. */
static GstFlowReturn
apply_header_caps (GstKmZmqSrc * self, const GstKmZmqFrameHeader * header)
{
  GstCaps *caps;
  gchar *str;

  if (header->caps_len == 0)
    return have_caps (self) ? GST_FLOW_OK : drop_capless (self);
  if (same_string (self->stream_caps_str, header->caps, header->caps_len))
    return GST_FLOW_OK;
  if (same_string (self->rejected_caps_str, header->caps, header->caps_len)) {
    count_malformed (self, "the same malformed or refused caps again");
    return GST_FLOW_CUSTOM_SUCCESS;
  }

  str = g_strndup (header->caps, header->caps_len);
  caps = gst_caps_from_string (str);
  if (caps == NULL || !gst_caps_is_fixed (caps)) {
    gchar *why = g_strdup_printf ("caps \"%s\" %s", str, caps ? "are not "
        "fixed" : "do not parse");

    count_malformed (self, why);
    g_free (why);
    remember_rejected (&self->rejected_caps_str, str);
    gst_clear_caps (&caps);
    return GST_FLOW_CUSTOM_SUCCESS;
  }

  if (!downstream_accepts (self, caps)) {
    refuse_downstream_caps (self, str, caps);
    gst_caps_unref (caps);
    return GST_FLOW_CUSTOM_SUCCESS;
  }

  GST_DEBUG_OBJECT (self, "sender caps now %" GST_PTR_FORMAT, caps);
  g_free (self->stream_caps_str);
  self->stream_caps_str = str;
  GST_OBJECT_LOCK (self);
  gst_caps_replace (&self->stream_caps, caps);
  GST_OBJECT_UNLOCK (self);
  /* Sticky: a failure to push shows on the buffer, as not-negotiated. */
  gst_base_src_set_caps (GST_BASE_SRC (self), caps);
  gst_caps_unref (caps);
  return GST_FLOW_OK;
}

/* Announces a segment that starts at the first timestamp, and again when
 * timestamps go back (a restarted sender), keeping running time going. */
static void
update_segment (GstKmZmqSrc * self, GstClockTime start, GstClockTime end)
{
  if (!self->have_segment || start < self->segment.start) {
    GstClockTime base;
    GstSegment segment;

    if (self->active_live)
      base = current_running_time (self);
    else if (self->have_segment)
      base = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME,
          self->segment.position);
    else
      base = 0;
    if (!GST_CLOCK_TIME_IS_VALID (base))
      base = 0;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    segment.start = segment.time = segment.position = start;
    segment.base = base;
    GST_DEBUG_OBJECT (self, "new segment %" GST_SEGMENT_FORMAT, &segment);
    gst_base_src_new_segment (GST_BASE_SRC (self), &segment);
    self->segment = segment;
    self->have_segment = TRUE;
  }
  if (GST_CLOCK_TIME_IS_VALID (end) && end > self->segment.position)
    self->segment.position = end;
  else if (start > self->segment.position)
    self->segment.position = start;
}

static void
restore_timing (GstKmZmqSrc * self, GstBuffer * buffer,
    const GstKmZmqFrameHeader * header)
{
  GstClockTime start = header->pts;

  GST_BUFFER_PTS (buffer) = header->pts;
  GST_BUFFER_DTS (buffer) = header->dts;
  GST_BUFFER_DURATION (buffer) = header->duration;
  GST_BUFFER_OFFSET (buffer) = header->offset;
  GST_BUFFER_OFFSET_END (buffer) = header->offset_end;

  if (GST_CLOCK_TIME_IS_VALID (header->dts)
      && (!GST_CLOCK_TIME_IS_VALID (start) || header->dts < start))
    start = header->dts;
  if (GST_CLOCK_TIME_IS_VALID (start))
    update_segment (self, start, GST_CLOCK_TIME_IS_VALID (header->pts)
        && GST_CLOCK_TIME_IS_VALID (header->duration) ?
        header->pts + header->duration : GST_CLOCK_TIME_NONE);
}

/* ------------------------------------------------------ event messages */

static void
count_event_pushed (gpointer user_data)
{
  GstKmZmqSrc *self = user_data;

  GST_OBJECT_LOCK (self);
  self->stats.events_out++;
  GST_OBJECT_UNLOCK (self);
}

static GstEventType
event_type_of_kind (GstKmZmqEventKind kind)
{
  switch (kind) {
    case GST_KM_ZMQ_EVENT_KIND_CUSTOM_DOWNSTREAM:
      return GST_EVENT_CUSTOM_DOWNSTREAM;
    case GST_KM_ZMQ_EVENT_KIND_CUSTOM_DOWNSTREAM_STICKY:
      return GST_EVENT_CUSTOM_DOWNSTREAM_STICKY;
    case GST_KM_ZMQ_EVENT_KIND_CUSTOM_BOTH:
    default:
      return GST_EVENT_CUSTOM_BOTH;
  }
}

/* The structure of an event message, checked before GStreamer's parser
 * sees it; NULL (counted as malformed) when it is not one whole
 * structure.  A string refused once is not parsed again (see
 * remember_rejected). */
static GstStructure *
event_structure_from_frame (GstKmZmqSrc * self, zmq_msg_t * frame)
{
  const guint8 *data = zmq_msg_data (frame);
  gsize size = zmq_msg_size (frame);
  GError *error = NULL;
  GstStructure *s;
  gchar *str, *end = NULL;

  if (!gst_km_zmq_event_structure_check (data, size,
          self->active_max_event_size, &error)) {
    count_malformed (self, error->message);
    g_error_free (error);
    return NULL;
  }
  if (same_string (self->rejected_event_str, (const gchar *) data, size)) {
    count_malformed (self, "the same malformed event structure again");
    return NULL;
  }
  str = g_strndup ((const gchar *) data, size);
  s = gst_structure_from_string (str, &end);
  if (s == NULL || end == NULL || *end != '\0') {
    count_malformed (self, s ? "trailing bytes after the event structure" :
        "event structure does not parse");
    g_clear_pointer (&s, gst_structure_free);
    remember_rejected (&self->rejected_event_str, str);
    return NULL;
  }
  g_free (str);
  return s;
}

/* [topic] header kind structure: the event is re-created and sent
 * downstream in stream order.  Always CUSTOM_SUCCESS: nothing to push as
 * a buffer. */
static GstFlowReturn
event_message (GstKmZmqSrc * self, const GstKmZmqFrameHeader * header,
    guint first, guint n_frames)
{
  GstKmZmqEventKind kind;
  GError *error = NULL;
  GstStructure *s;
  GstEvent *event;

  if ((header->flags & GST_KM_ZMQ_FRAME_FLAGS_EVENT_MESSAGE) !=
      GST_KM_ZMQ_FRAME_FLAGS_EVENT_MESSAGE) {
    count_malformed (self, "event flag without the EOS flag");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (header->caps_len != 0) {
    count_malformed (self, "event message with caps");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (n_frames - first != GST_KM_ZMQ_EVENT_PAYLOAD_FRAMES) {
    count_malformed (self, "event message without exactly a kind and a "
        "structure frame");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (!gst_km_zmq_event_kind_parse (zmq_msg_data (&self->frames[first]),
          zmq_msg_size (&self->frames[first]), &kind, &error)) {
    count_malformed (self, error->message);
    g_error_free (error);
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  s = event_structure_from_frame (self, &self->frames[first + 1]);
  if (s == NULL)
    return GST_FLOW_CUSTOM_SUCCESS;

  event = gst_event_new_custom (event_type_of_kind (kind), s);
  GST_EVENT_TIMESTAMP (event) = header->pts;
  gst_km_src_events_send (&self->events, event);
  return GST_FLOW_CUSTOM_SUCCESS;
}

static GstFlowReturn
framed_message_to_buffer (GstKmZmqSrc * self, guint first, guint n_frames,
    GstBuffer ** outbuf)
{
  GstKmZmqFrameHeader header;
  GError *error = NULL;
  GstBuffer *buffer;
  GstFlowReturn ret;
  gboolean gap;

  if (first >= n_frames) {
    count_malformed (self, "no header frame after the topic");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (!gst_km_zmq_frame_header_parse (zmq_msg_data (&self->frames[first]),
          zmq_msg_size (&self->frames[first]), &header, &error)) {
    count_malformed (self, error->message);
    g_error_free (error);
    self->unparsed_since_header++;
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (n_frames - first - 1 > GST_KM_ZMQ_MAX_PAYLOAD_FRAMES) {
    count_malformed (self, "more than 16 payload frames");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  gap = track_sequence (self, &header);

  /* Before EOS: an event message has that bit too. */
  if (header.flags & GST_KM_ZMQ_FRAME_FLAG_EVENT) {
    self->discont_pending |= gap;
    return event_message (self, &header, first + 1, n_frames);
  }
  if (header.flags & GST_KM_ZMQ_FRAME_FLAG_EOS) {
    if (first + 1 < n_frames) {
      count_malformed (self, "EOS message with a payload");
      return GST_FLOW_CUSTOM_SUCCESS;
    }
    GST_INFO_OBJECT (self, "end of stream %08x from the sender",
        header.stream_id);
    gst_km_src_events_release (&self->events);
    return GST_FLOW_EOS;
  }

  ret = apply_header_caps (self, &header);
  if (ret != GST_FLOW_OK)
    return ret;

  buffer = buffer_from_frames (self, first + 1, n_frames);
  gst_km_zmq_frame_flags_to_buffer (header.flags, buffer);
  if (gap || self->discont_pending)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  self->discont_pending = FALSE;
  restore_timing (self, buffer, &header);
  *outbuf = buffer;
  return GST_FLOW_OK;
}

/* OK with a buffer, EOS, an error, or CUSTOM_SUCCESS to skip. */
static GstFlowReturn
message_to_buffer (GstKmZmqSrc * self, guint n_frames, gboolean too_many,
    GstBuffer ** outbuf)
{
  guint first;

  if (too_many) {
    count_malformed (self, "more than 16 payload frames");
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  first = skip_topic (self, n_frames);
  if (first == G_MAXUINT) {
    GST_DEBUG_OBJECT (self, "dropping a message for another topic");
    count_dropped (self, 1);
    return GST_FLOW_CUSTOM_SUCCESS;
  }
  if (self->active.framing == GST_KM_ZMQ_FRAMING_RAW)
    return raw_message_to_buffer (self, first, n_frames, outbuf);
  return framed_message_to_buffer (self, first, n_frames, outbuf);
}

static GstFlowReturn
gst_km_zmq_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstKmZmqSrc *self = GST_KM_ZMQ_SRC (psrc);

  for (;;) {
    GstFlowReturn ret;
    guint n_frames;
    gboolean too_many;

    ret = wait_for_message (self);
    if (ret != GST_FLOW_OK)
      return ret;
    ret = receive_message (self, &n_frames, &too_many);
    if (ret != GST_FLOW_OK)
      return ret;
    if (n_frames == 0)
      continue;

    ret = message_to_buffer (self, n_frames, too_many, outbuf);
    release_frames (self, n_frames);
    if (ret == GST_FLOW_CUSTOM_SUCCESS)
      continue;
    if (ret == GST_FLOW_OK) {
      count_pushed (self, *outbuf);
      /* Pushed after basesrc's segment, before our next create(). */
      gst_km_src_events_buffer_out (&self->events);
    }
    return ret;
  }
}

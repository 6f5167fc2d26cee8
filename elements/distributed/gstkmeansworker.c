/* gst-kmeans: streaming k-means clustering for GStreamer
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 */

/**
 * SECTION:element-kmeans-worker
 * @title: kmeans-worker
 * @see_also: kmeans-hub, kmeans-train
 *
 * kmeans-worker trains one k-means model together with other pipelines:
 * the model is held by a kmeans-hub, each worker sees its own share of the
 * points.  Like kmeans-train it is a passthrough analyzer: every buffer
 * leaves unchanged, and each model it gets from the hub goes downstream
 * as the sticky `kmeans-model` event before the next buffer, so a
 * kmeans-assign or kmeans-score after it follows the shared model.
 *
 * The worker connects a ZeroMQ DEALER socket to the hub's
 * #GstKMeansWorker:endpoint and speaks the protocol of
 * `schemas/hub-protocol.md`:
 *
 * - with the first buffer it introduces itself (HELLO: the dimension of
 *   its points, and #GstKMeansWorker:num-clusters when set), again every
 *   #GstKMeansWorker:resend-interval until the hub answers.  A hub that
 *   cannot use it (other dimension, k or metric) refuses it: an error
 *   with the hub's reason stops the stream.  A hub without a model yet
 *   asks for points: the worker sends up to that many of its current
 *   points, which serve the hub's initialisation only;
 * - once it has the model, every #GstKMeansWorker:batch-size points make a
 *   batch (0: every buffer is one), whose points are assigned to the
 *   model's centers and added up per center (docs/algorithm.md §10).
 *   After the hub's sync-interval batches the sums go to the hub as one
 *   contribution (a round);
 * - a synchronous hub applies a round once every worker contributed: the
 *   worker waits for the model of the next version (or, from a hub that
 *   has converged, the same model with the round closed in its control
 *   frame), sending its contribution again every
 *   #GstKMeansWorker:resend-interval (the hub recognises a contribution
 *   it has).  An asynchronous hub applies each
 *   contribution at once: the worker goes on, taking the newest model that
 *   has arrived between rounds;
 * - at EOS it sends its partial round, waits up to
 *   #GstKMeansWorker:resend-interval for the model that includes it, and
 *   says goodbye before EOS leaves.
 *
 * Waiting for the hub blocks the stream (so points are not read faster
 * than the model is trained); a flush or a state change to READY ends the
 * wait at once.  A hub that is not there yet is no error: ZeroMQ connects
 * when it comes.  Messages from the hub that break the protocol, or carry
 * a model of another dimension (or of another k than
 * #GstKMeansWorker:num-clusters), are dropped, counted in
 * #GstKMeansWorker:dropped-messages and logged.
 *
 * Points holding NaN or Inf, and buffers that are not a whole number of
 * points, are handled as #GstKMeansWorker:on-bad-input says (by default
 * skipped and counted in #GstKMeansWorker:skipped-points).  Raw video and
 * audio are points as for kmeans-train, and #GstKMeansWorker:columns
 * takes some values of each record as kmeans-train's does (the hub's
 * model has that many dimensions).
 *
 * Every worker of one hub needs its own #GstKMeansWorker:worker-id; the
 * default, 0, draws a random one at start.  The CURVE properties secure
 * the connection as for kmzmqsrc (the hub is the CURVE server).
 *
 * ## Messages
 *
 * When #GstKMeansWorker:post-messages is %TRUE, an element message
 * `kmeans-worker` is posted for each round sent (not for its resends):
 *
 * - #guint `worker-id`: this worker's id.
 * - #guint64 `round`: the round number of the contribution.
 * - #guint64 `model-version`: the version of the model its points were
 *   assigned to.
 * - #guint64 `points`: the points in the round.
 * - #gdouble `loss`: the sum of their distances to their centers.
 *
 * ## Example launch line
 *
 * A worker and its hub in one pipeline; on many machines each runs in its
 * own gst-launch-1.0 (see kmeans-hub), the workers' endpoint naming the
 * hub.  The worker's ten buffers make ten rounds, after which the hub
 * ends:
 * |[
 * gst-launch-1.0 kmeans-hub endpoint=tcp://127.0.0.1:5602 num-clusters=4 \
 *     initial-centers-value="<<-5.0,-5.0>,<5.0,-5.0>,<-5.0,5.0>,<5.0,5.0>>" \
 *     max-rounds=10 ! fakesink \
 *   kmeans-testsrc num-buffers=10 seed=1 ! \
 *     kmeans-worker endpoint=tcp://127.0.0.1:5602 worker-id=1 ! fakesink async=false
 * ]|
 * (fakesink async=false: the hub is a live source, see kmeans-hub.)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

#include "gstkmeansworker.h"
#include "kmeanselements.h"
#include "kmhubproto.h"
#include "zmqsocket.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_worker_debug);
#define GST_CAT_DEFAULT gst_kmeans_worker_debug

#define MAX_BATCH_SIZE (1u << 24)
/* A hub message has at most a header and two frames (MODEL). */
#define MAX_FRAMES 3
#define MAX_RESEND_INTERVAL 3600000

#define DEFAULT_WORKER_ID 0
#define DEFAULT_NUM_CLUSTERS 0
#define DEFAULT_BATCH_SIZE 0
/* Points come from outside: a bad one is skipped and counted, not fatal. */
#define DEFAULT_ON_BAD_INPUT GST_KMEANS_ON_BAD_INPUT_SKIP
#define DEFAULT_RESEND_INTERVAL 1000
#define DEFAULT_POST_MESSAGES TRUE

enum
{
  PROP_WORKER_ID = GST_KM_ZMQ_PROP_LAST,
  PROP_NUM_CLUSTERS,
  PROP_BATCH_SIZE,
  PROP_ON_BAD_INPUT,
  PROP_RESEND_INTERVAL,
  PROP_POST_MESSAGES,
  PROP_MODEL_VERSION,
  PROP_ROUNDS,
  PROP_POINTS,
  PROP_INIT_POINTS,
  PROP_SKIPPED_POINTS,
  PROP_DROPPED_MESSAGES,
  PROP_UNSENT_POINTS,
  PROP_COLUMNS
};

/* Settings the streaming thread re-reads for every buffer. */
typedef struct
{
  GstKMeansOnBadInput on_bad_input;
  guint resend_interval;        /* ms */
  gboolean post_messages;
} LiveSettings;

/* A round sent, for the counters and the message once it has left. */
typedef struct
{
  guint64 round;
  guint64 version;
  guint64 points;
  gdouble loss;
} RoundInfo;

struct _GstKMeansWorker
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  GstKmZmqSettings settings;
  gchar *last_endpoint;
  guint32 worker_id;
  guint num_clusters;
  guint batch_size;
  LiveSettings live;
  gchar *columns;

  /* read-only state, under the object lock */
  guint32 active_id;            /* the id in use (drawn when 0 is set) */
  guint64 model_version;
  guint64 rounds;
  guint64 points;
  guint64 init_points;
  guint64 skipped_points;
  guint64 dropped_messages;
  guint64 unsent_points;

  /* streaming state, set up in start() and on caps */
  GCancellable *cancellable;    /* wakes a wait: flush, PAUSED -> READY */
  GstKmZmqSettings active;
  GstKmZmqConnection conn;
  gboolean connected;
  guint32 id;
  guint k_wanted;               /* 0: any */
  guint batch_rows;
  LiveSettings now;             /* snapshot for the buffer being handled */
  GstKMeansPointsInfo info;
  gboolean have_info;
  GstKMeansPointsReader reader;
  gboolean warned_bad_input;
  gfloat *batch;                /* batch_rows x d points being gathered */
  gsize batch_fill;
  KmModel *model;               /* the hub's, NULL before the first */
  KmHubControl control;         /* what came with it */
  KmModel *pushed_model;        /* last model sent downstream */
  KmStats *stats;               /* the round being gathered */
  guint round_batches;
  guint64 next_round;
  GBytes *pending;              /* STATS sent, no newer model yet */
  RoundInfo pending_info;
  gboolean pending_counted;
  gboolean hello_sent;
  gboolean bye_sent;
  gboolean refused;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

#define gst_kmeans_worker_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansWorker, gst_kmeans_worker,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_worker_debug, "kmeans-worker", 0,
        "k-means worker of a kmeans-hub"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_worker, "kmeans-worker", GST_RANK_NONE,
    GST_TYPE_KMEANS_WORKER);

static void gst_kmeans_worker_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_worker_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_kmeans_worker_finalize (GObject * object);

static GstStateChangeReturn gst_kmeans_worker_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_kmeans_worker_start (GstBaseTransform * trans);
static gboolean gst_kmeans_worker_stop (GstBaseTransform * trans);
static gboolean gst_kmeans_worker_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_kmeans_worker_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_kmeans_worker_transform_ip (GstBaseTransform *
    trans, GstBuffer * buf);

static void
install_counter (GObjectClass * gobject_class, guint prop_id,
    const gchar * name, const gchar * nick, const gchar * blurb)
{
  g_object_class_install_property (gobject_class, prop_id,
      g_param_spec_uint64 (name, nick, blurb, 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_kmeans_worker_class_init (GstKMeansWorkerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_kmeans_worker_set_property;
  gobject_class->get_property = gst_kmeans_worker_get_property;
  gobject_class->finalize = gst_kmeans_worker_finalize;

  /* endpoint, bind, linger, curve-*, last-endpoint */
  gst_km_zmq_install_connection_properties (gobject_class, FALSE);

  /**
   * GstKMeansWorker:worker-id:
   *
   * The id the hub knows this worker by; every worker of a hub needs its
   * own, and keeping it across restarts lets the hub recognise a
   * contribution sent again.  0 draws a random non-zero id at start,
   * which this property then reads back.
   */
  g_object_class_install_property (gobject_class, PROP_WORKER_ID,
      g_param_spec_uint ("worker-id", "Worker id",
          "Id of this worker at the hub, unique among its workers (0 = a "
          "random non-zero id drawn at start, readable afterwards)", 0,
          G_MAXUINT32, DEFAULT_WORKER_ID, rw | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_NUM_CLUSTERS,
      g_param_spec_uint ("num-clusters", "Number of clusters",
          "Number of centers this worker insists on: a hub training another "
          "k refuses it (0 = whatever the hub trains)", 0, KM_MAX_CLUSTERS,
          DEFAULT_NUM_CLUSTERS, rw | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "Points per batch (0 = one batch per buffer); the hub's "
          "sync-interval batches make a round, a partial one is sent at EOS",
          0, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE, rw | GST_PARAM_MUTABLE_READY));

  gst_kmeans_columns_install_property (gobject_class, PROP_COLUMNS);

  g_object_class_install_property (gobject_class, PROP_ON_BAD_INPUT,
      g_param_spec_enum ("on-bad-input", "On bad input",
          "What to do with points holding NaN/Inf and with buffers that are "
          "not a whole number of points: skip them (counted in "
          "skipped-points, the first with a warning) or post an error that "
          "stops the stream", GST_TYPE_KMEANS_ON_BAD_INPUT,
          DEFAULT_ON_BAD_INPUT, rw | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_RESEND_INTERVAL,
      g_param_spec_uint ("resend-interval", "Resend interval",
          "Milliseconds without an answer after which a HELLO or a "
          "synchronous round's statistics are sent again; also how long "
          "EOS waits for the model that includes the last round", 1,
          MAX_RESEND_INTERVAL, DEFAULT_RESEND_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a kmeans-worker element message for each round sent",
          DEFAULT_POST_MESSAGES, rw | GST_PARAM_MUTABLE_PLAYING));

  install_counter (gobject_class, PROP_MODEL_VERSION, "model-version",
      "Model version", "Version of the hub's model in use (0 = none yet)");
  install_counter (gobject_class, PROP_ROUNDS, "rounds", "Rounds",
      "Rounds of statistics sent to the hub (resends not counted)");
  install_counter (gobject_class, PROP_POINTS, "points", "Points",
      "Points contributed to the hub in the rounds sent");
  install_counter (gobject_class, PROP_INIT_POINTS, "init-points",
      "Initialisation points", "Points sent for the hub's initialisation "
      "(these are not contributed to a round)");
  install_counter (gobject_class, PROP_SKIPPED_POINTS, "skipped-points",
      "Skipped points", "Points dropped by on-bad-input=skip (the "
      "default): those holding NaN/Inf, plus every point of buffers "
      "dropped for not holding whole points");
  install_counter (gobject_class, PROP_DROPPED_MESSAGES, "dropped-messages",
      "Dropped messages", "Messages from the hub dropped as malformed or "
      "unusable (bad header or record, a model of another dimension or k)");
  install_counter (gobject_class, PROP_UNSENT_POINTS, "unsent-points",
      "Unsent points", "Points of asynchronous rounds dropped because no "
      "hub was connected when they were due (a synchronous round waits "
      "instead)");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "K-means worker",
      "Filter/Analyzer",
      "Contributes the statistics of a stream of points to the k-means "
      "model of a kmeans-hub, passing the points through and sending the "
      "hub's model downstream", "gst-kmeans developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kmeans_worker_change_state);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_worker_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_worker_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_kmeans_worker_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_kmeans_worker_sink_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_kmeans_worker_transform_ip);
  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = TRUE;

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_worker_init (GstKMeansWorker * self)
{
  gst_km_zmq_settings_init (&self->settings, FALSE);
  self->worker_id = DEFAULT_WORKER_ID;
  self->num_clusters = DEFAULT_NUM_CLUSTERS;
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->live.on_bad_input = DEFAULT_ON_BAD_INPUT;
  self->live.resend_interval = DEFAULT_RESEND_INTERVAL;
  self->live.post_messages = DEFAULT_POST_MESSAGES;
  self->cancellable = g_cancellable_new ();
  self->conn.cancel_fd = -1;
  gst_kmeans_points_reader_init (&self->reader);

  /* An analyzer: buffers go through untouched. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
clear_round_state (GstKMeansWorker * self)
{
  g_clear_pointer (&self->stats, km_stats_free);
  g_clear_pointer (&self->pending, g_bytes_unref);
  self->round_batches = 0;
  self->pending_counted = FALSE;
}

static void
reset_stream_state (GstKMeansWorker * self)
{
  clear_round_state (self);
  g_clear_pointer (&self->model, km_model_unref);
  g_clear_pointer (&self->pushed_model, km_model_unref);
  g_clear_pointer (&self->batch, g_free);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_kmeans_points_reader_init (&self->reader);
  memset (&self->control, 0, sizeof (self->control));
  self->batch_fill = 0;
  self->have_info = FALSE;
  self->warned_bad_input = FALSE;
  self->next_round = 0;
  self->hello_sent = FALSE;
  self->bye_sent = FALSE;
  self->refused = FALSE;
}

static void
gst_kmeans_worker_finalize (GObject * object)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (object);

  reset_stream_state (self);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_km_zmq_settings_clear (&self->settings);
  gst_km_zmq_settings_clear (&self->active);
  g_free (self->last_endpoint);
  g_free (self->columns);
  g_object_unref (self->cancellable);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_kmeans_worker_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (object);

  GST_OBJECT_LOCK (self);
  if (gst_km_zmq_settings_set_property (&self->settings, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_WORKER_ID:
      self->worker_id = g_value_get_uint (value);
      break;
    case PROP_NUM_CLUSTERS:
      self->num_clusters = g_value_get_uint (value);
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint (value);
      break;
    case PROP_ON_BAD_INPUT:
      self->live.on_bad_input = g_value_get_enum (value);
      break;
    case PROP_RESEND_INTERVAL:
      self->live.resend_interval = g_value_get_uint (value);
      break;
    case PROP_POST_MESSAGES:
      self->live.post_messages = g_value_get_boolean (value);
      break;
    case PROP_COLUMNS:
      g_free (self->columns);
      self->columns = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kmeans_worker_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (object);

  GST_OBJECT_LOCK (self);
  if (gst_km_zmq_settings_get_property (&self->settings, self->last_endpoint,
          prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_WORKER_ID:
      g_value_set_uint (value,
          self->worker_id ? self->worker_id : self->active_id);
      break;
    case PROP_NUM_CLUSTERS:
      g_value_set_uint (value, self->num_clusters);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_ON_BAD_INPUT:
      g_value_set_enum (value, self->live.on_bad_input);
      break;
    case PROP_RESEND_INTERVAL:
      g_value_set_uint (value, self->live.resend_interval);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->live.post_messages);
      break;
    case PROP_COLUMNS:
      g_value_set_string (value, self->columns);
      break;
    case PROP_MODEL_VERSION:
      g_value_set_uint64 (value, self->model_version);
      break;
    case PROP_ROUNDS:
      g_value_set_uint64 (value, self->rounds);
      break;
    case PROP_POINTS:
      g_value_set_uint64 (value, self->points);
      break;
    case PROP_INIT_POINTS:
      g_value_set_uint64 (value, self->init_points);
      break;
    case PROP_SKIPPED_POINTS:
      g_value_set_uint64 (value, self->skipped_points);
      break;
    case PROP_DROPPED_MESSAGES:
      g_value_set_uint64 (value, self->dropped_messages);
      break;
    case PROP_UNSENT_POINTS:
      g_value_set_uint64 (value, self->unsent_points);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------ sending */

typedef enum
{
  SEND_OK,
  SEND_AGAIN,                   /* not queued: no hub connected (yet) */
  SEND_FAILED                   /* an error was posted */
} SendResult;

/* One message: the header and @body (NULL: none), never blocking.  The
 * DEALER queues only for a connected hub (ZMQ_IMMEDIATE), so AGAIN means
 * the hub is not there: the caller sends again later. */
static SendResult
send_message (GstKMeansWorker * self, KmHubMsgType type, const guint8 * body,
    gsize body_len)
{
  guint8 header[KM_HUB_HEADER_SIZE];
  GstKmZmqFrame frames[2] = { {header, sizeof (header)}, {body, body_len}
  };
  gint err;

  km_hub_header_write (header, type, self->id);
  if (gst_km_zmq_send_frames (self->conn.socket, frames, body ? 2 : 1,
          ZMQ_DONTWAIT) < 0) {
    if (errno == EAGAIN)
      return SEND_AGAIN;
    goto failed;
  }
  GST_LOG_OBJECT (self, "sent %s (%" G_GSIZE_FORMAT " bytes)",
      km_hub_msg_type_name (type), body ? body_len : 0);
  return SEND_OK;

failed:
  err = errno;
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
      ("Could not send to the hub at \"%s\".", self->conn.last_endpoint),
      ("zmq_send of %s failed: %s", km_hub_msg_type_name (type),
          zmq_strerror (err)));
  return SEND_FAILED;
}

static void
send_bye (GstKMeansWorker * self)
{
  if (!self->connected || !self->hello_sent || self->bye_sent || self->refused)
    return;
  self->bye_sent = TRUE;
  if (send_message (self, KM_HUB_MSG_BYE, NULL, 0) != SEND_OK)
    GST_DEBUG_OBJECT (self, "BYE not sent: no hub connected");
}

/* ---------------------------------------------------------- receiving */

/* A message from the hub, checked. */
typedef struct
{
  KmHubMsgType type;
  KmHubControl control;         /* MODEL */
  KmModel *model;               /* MODEL */
  KmHubSendInit send_init;      /* SEND-INIT */
  gchar *reason;                /* REFUSED */
} HubReply;

static void
hub_reply_clear (HubReply * reply)
{
  g_clear_pointer (&reply->model, km_model_unref);
  g_clear_pointer (&reply->reason, g_free);
}

static gboolean
check_frames (const HubReply * reply, guint n_frames, guint expected,
    GError ** error)
{
  if (n_frames == expected)
    return TRUE;
  g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
      "%s with %u frames, not %u", km_hub_msg_type_name (reply->type),
      n_frames, expected);
  return FALSE;
}

/* A model the stream can use: its dimension, and num-clusters when set. */
static gboolean
check_model_fits (GstKMeansWorker * self, KmModel * model, GError ** error)
{
  guint k = km_model_get_k (model), d = km_model_get_d (model);

  if (d != self->info.dimensions) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "model of %u dimensions, the points have %u", d, self->info.dimensions);
    return FALSE;
  }
  if (self->k_wanted != 0 && k != self->k_wanted) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "model of %u clusters, num-clusters is %u", k, self->k_wanted);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_model (GstKMeansWorker * self, zmq_msg_t * frames, HubReply * reply,
    GError ** error)
{
  if (!km_hub_control_read (zmq_msg_data (&frames[1]),
          zmq_msg_size (&frames[1]), &reply->control, error))
    return FALSE;
  reply->model = km_model_deserialize (zmq_msg_data (&frames[2]),
      zmq_msg_size (&frames[2]), error);
  return reply->model && check_model_fits (self, reply->model, error);
}

static gboolean
parse_send_init (GstKMeansWorker * self, zmq_msg_t * frames,
    HubReply * reply, GError ** error)
{
  if (!km_hub_send_init_read (zmq_msg_data (&frames[1]),
          zmq_msg_size (&frames[1]), &reply->send_init, error))
    return FALSE;
  if (reply->send_init.d != 0 && reply->send_init.d != self->info.dimensions) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "send-init for %u dimensions, the points have %u",
        reply->send_init.d, self->info.dimensions);
    return FALSE;
  }
  return TRUE;
}

/* Checks the frames of a message from the hub against the protocol. */
static gboolean
parse_reply (GstKMeansWorker * self, zmq_msg_t * frames, guint n_frames,
    HubReply * reply, GError ** error)
{
  KmHubHeader header;

  if (!km_hub_header_read (zmq_msg_data (&frames[0]),
          zmq_msg_size (&frames[0]), &header, error))
    return FALSE;
  reply->type = header.type;
  if (header.worker != 0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "%s with worker id %u: the hub's are 0",
        km_hub_msg_type_name (header.type), header.worker);
    return FALSE;
  }
  switch (header.type) {
    case KM_HUB_MSG_MODEL:
      return check_frames (reply, n_frames, 3, error)
          && parse_model (self, frames, reply, error);
    case KM_HUB_MSG_SEND_INIT:
      return check_frames (reply, n_frames, 2, error)
          && parse_send_init (self, frames, reply, error);
    case KM_HUB_MSG_REFUSED:
      if (!check_frames (reply, n_frames, 2, error))
        return FALSE;
      reply->reason = km_hub_reason_read (zmq_msg_data (&frames[1]),
          zmq_msg_size (&frames[1]));
      return TRUE;
    default:
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "%s is not a message for a worker",
          km_hub_msg_type_name (header.type));
      return FALSE;
  }
}

/* An asynchronous round that found no hub: its points are lost to the
 * model, so they are counted (and the first loss said). */
static void
count_unsent (GstKMeansWorker * self)
{
  gboolean first;

  GST_OBJECT_LOCK (self);
  first = self->unsent_points == 0;
  self->unsent_points += self->pending_info.points;
  GST_OBJECT_UNLOCK (self);
  if (first)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("No hub was connected at %s: a round of %" G_GUINT64_FORMAT
            " points was not contributed.", self->active.endpoint,
            self->pending_info.points),
        ("asynchronous rounds are not held back; counted in unsent-points"));
  else
    GST_INFO_OBJECT (self, "round %" G_GUINT64_FORMAT " not sent: no hub "
        "connected", self->pending_info.round);
}

static void
count_dropped (GstKMeansWorker * self, const gchar * why)
{
  GST_WARNING_OBJECT (self, "dropping a message from the hub: %s", why);
  GST_OBJECT_LOCK (self);
  self->dropped_messages++;
  GST_OBJECT_UNLOCK (self);
}

typedef enum
{
  RECV_NONE,                    /* nothing waiting */
  RECV_REPLY,
  RECV_DROPPED,
  RECV_FAILED                   /* an error was posted */
} RecvResult;

/* Reads every frame of one message (none waiting: RECV_NONE); frames
 * beyond MAX_FRAMES are read and thrown away (*too_many). */
static RecvResult
receive_frames (GstKMeansWorker * self, zmq_msg_t * frames, guint * n_frames,
    gboolean * too_many)
{
  if (gst_km_zmq_receive_frames (self->conn.socket, frames, MAX_FRAMES,
          n_frames, too_many, NULL) < 0) {
    GST_KM_ZMQ_POST_RECEIVE_ERROR (self, self->conn.last_endpoint, errno);
    return RECV_FAILED;
  }
  return *n_frames == 0 ? RECV_NONE : RECV_REPLY;
}

/* The next message from the hub, without waiting. */
static RecvResult
receive_reply (GstKMeansWorker * self, HubReply * reply)
{
  zmq_msg_t frames[MAX_FRAMES];
  GError *err = NULL;
  gboolean too_many = FALSE;
  RecvResult res;
  guint i, n = 0;

  for (i = 0; i < MAX_FRAMES; i++)
    zmq_msg_init (&frames[i]);
  res = receive_frames (self, frames, &n, &too_many);
  if (res == RECV_REPLY && too_many) {
    count_dropped (self, "a message of more frames than any of the hub's");
    res = RECV_DROPPED;
  } else if (res == RECV_REPLY && !parse_reply (self, frames, n, reply, &err)) {
    hub_reply_clear (reply);
    count_dropped (self, err->message);
    g_error_free (err);
    res = RECV_DROPPED;
  }
  for (i = 0; i < MAX_FRAMES; i++)
    zmq_msg_close (&frames[i]);
  return res;
}

/* ------------------------------------------------------------ the model */

static void
adopt_model (GstKMeansWorker * self, HubReply * reply)
{
  guint64 version = km_model_get_version (reply->model);

  GST_INFO_OBJECT (self, "model version %" G_GUINT64_FORMAT " (%u clusters) "
      "from the hub: %s, %u batches per round, next round %" G_GUINT64_FORMAT,
      version, km_model_get_k (reply->model),
      reply->control.mode == KM_HUB_MODE_SYNC ? "synchronous" :
      "asynchronous", reply->control.sync_interval, reply->control.next_round);
  g_clear_pointer (&self->model, km_model_unref);
  self->model = g_steal_pointer (&reply->model);
  self->control = reply->control;
  /* A round number is never given twice, even if the hub forgot ours. */
  self->next_round = MAX (self->next_round, reply->control.next_round);
  /* A round's points are all assigned to one model. */
  g_clear_pointer (&self->stats, km_stats_free);
  self->round_batches = 0;

  GST_OBJECT_LOCK (self);
  self->model_version = version;
  GST_OBJECT_UNLOCK (self);
}

/* The hub asks for initialisation points again: it lost its model (a
 * restart without checkpoint).  Back to the handshake; a pending round
 * is dropped by the wait that got the request. */
static void
forget_model (GstKMeansWorker * self)
{
  if (!self->model)
    return;
  GST_WARNING_OBJECT (self, "the hub has no model any more: starting over");
  g_clear_pointer (&self->model, km_model_unref);
  g_clear_pointer (&self->stats, km_stats_free);
  self->round_batches = 0;
  GST_OBJECT_LOCK (self);
  self->model_version = 0;
  GST_OBJECT_UNLOCK (self);
}

static void
post_refused (GstKMeansWorker * self, const gchar * reason)
{
  self->refused = TRUE;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("The hub at \"%s\" refused this worker: %s",
          self->conn.last_endpoint, reason),
      ("worker %u, %u-dimensional points, num-clusters %u", self->id,
          self->info.dimensions, self->k_wanted));
}

/* Sends the newest model downstream before the buffer (or EOS) that
 * follows it. */
static void
publish_model (GstKMeansWorker * self)
{
  if (!self->model || self->model == self->pushed_model)
    return;
  GST_LOG_OBJECT (self, "sending model version %" G_GUINT64_FORMAT
      " downstream", km_model_get_version (self->model));
  if (!gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
          gst_kmeans_model_event_new (self->model)))
    GST_DEBUG_OBJECT (self, "downstream did not take the model event");
  g_clear_pointer (&self->pushed_model, km_model_unref);
  self->pushed_model = km_model_ref (self->model);
}

/* -------------------------------------------------------- conversation */

typedef enum
{
  REPLY_CONTINUE,               /* keep waiting */
  REPLY_DONE,                   /* what was waited for came */
  REPLY_ERROR                   /* an error was posted */
} ReplyResult;

typedef ReplyResult (*ReplyFunc) (GstKMeansWorker * self, HubReply * reply,
    gpointer data);

/* What a conversation sends, and how often it went. */
typedef struct
{
  KmHubMsgType type;
  const guint8 *body;
  gsize len;
  guint sends;
} Outgoing;

/* Hands every message waiting to @func until it is done. */
static GstFlowReturn
handle_incoming (GstKMeansWorker * self, ReplyFunc func, gpointer data,
    gboolean * done)
{
  for (;;) {
    HubReply reply = { 0, };
    ReplyResult res;

    switch (receive_reply (self, &reply)) {
      case RECV_NONE:
        return GST_FLOW_OK;
      case RECV_FAILED:
        return GST_FLOW_ERROR;
      case RECV_DROPPED:
        continue;
      case RECV_REPLY:
        break;
    }
    GST_LOG_OBJECT (self, "received %s", km_hub_msg_type_name (reply.type));
    res = func (self, &reply, data);
    hub_reply_clear (&reply);
    if (res == REPLY_ERROR)
      return GST_FLOW_ERROR;
    if (res == REPLY_DONE) {
      *done = TRUE;
      return GST_FLOW_OK;
    }
  }
}

static glong
timeout_ms_until (gint64 wake, gint64 now)
{
  if (wake == G_MAXINT64)
    return -1;
  if (wake <= now)
    return 0;
  return (glong) MIN ((wake - now + 999) / 1000, G_MAXINT);
}

/* Sends @out (NULL: nothing) at once and again every resend-interval, and
 * hands what the hub sends to @func, until @func is done (*done), the
 * monotonic @deadline passes (-1: none; now: send once and take what is
 * there) or the wait is cancelled (FLUSHING). */
static GstFlowReturn
converse (GstKMeansWorker * self, Outgoing * out, gint64 deadline,
    ReplyFunc func, gpointer data, gboolean * done)
{
  const gint64 interval = (gint64) self->now.resend_interval * 1000;
  gint64 next_send = out ? g_get_monotonic_time () : G_MAXINT64;
  gboolean unsent = FALSE;
  GstFlowReturn ret;

  *done = FALSE;
  for (;;) {
    gint64 now = g_get_monotonic_time (), wake;
    gshort events = ZMQ_POLLIN;

    if (out && now >= next_send) {
      switch (send_message (self, out->type, out->body, out->len)) {
        case SEND_OK:
          out->sends++;
          unsent = FALSE;
          next_send = now + interval;
          break;
        case SEND_AGAIN:
          unsent = TRUE;
          break;
        case SEND_FAILED:
          return GST_FLOW_ERROR;
      }
    }
    ret = handle_incoming (self, func, data, done);
    if (ret != GST_FLOW_OK || *done)
      return ret;
    if (deadline >= 0 && now >= deadline)
      return GST_FLOW_OK;

    /* Unsent: try again as soon as a hub connects. */
    if (unsent)
      events |= ZMQ_POLLOUT;
    wake = unsent ? now + interval : next_send;
    if (deadline >= 0)
      wake = MIN (wake, deadline);
    switch (gst_km_zmq_wait (self->conn.socket, events, self->conn.cancel_fd,
            timeout_ms_until (wake, now))) {
      case GST_KM_ZMQ_WAIT_READY:
      case GST_KM_ZMQ_WAIT_TIMEOUT:
        break;
      case GST_KM_ZMQ_WAIT_CANCELLED:
        GST_DEBUG_OBJECT (self, "woken while waiting for the hub");
        return GST_FLOW_FLUSHING;
      case GST_KM_ZMQ_WAIT_ERROR:
        GST_KM_ZMQ_POST_WAIT_ERROR (self, self->conn.last_endpoint, errno);
        return GST_FLOW_ERROR;
    }
  }
}

/* ------------------------------------------------------------ handshake */

/* The points of the buffer being handled not used yet. */
typedef struct
{
  const gfloat *rows;
  gsize n;
} Rows;

static ReplyResult
send_init_points (GstKMeansWorker * self, const KmHubSendInit * send_init,
    Rows * rows)
{
  const guint d = self->info.dimensions;
  gsize m = MIN ((gsize) send_init->points, rows->n), len;
  guint8 *body;
  SendResult res;

  /* Nothing to give now: the next buffer's points will be. */
  if (m == 0)
    return REPLY_DONE;
  body = km_hub_init_points_write (rows->rows, m, d, &len);
  res = send_message (self, KM_HUB_MSG_INIT, body, len);
  g_free (body);
  if (res == SEND_FAILED)
    return REPLY_ERROR;
  if (res == SEND_OK) {
    GST_DEBUG_OBJECT (self, "sent %" G_GSIZE_FORMAT " points of %u asked "
        "for the hub's initialisation", m, send_init->points);
    rows->rows += m * d;
    rows->n -= m;
    GST_OBJECT_LOCK (self);
    self->init_points += m;
    GST_OBJECT_UNLOCK (self);
  }
  return REPLY_CONTINUE;
}

static ReplyResult
handshake_reply (GstKMeansWorker * self, HubReply * reply, gpointer data)
{
  switch (reply->type) {
    case KM_HUB_MSG_MODEL:
      adopt_model (self, reply);
      return REPLY_DONE;
    case KM_HUB_MSG_SEND_INIT:
      return send_init_points (self, &reply->send_init, data);
    case KM_HUB_MSG_REFUSED:
      post_refused (self, reply->reason);
      return REPLY_ERROR;
    default:
      return REPLY_CONTINUE;
  }
}

/* HELLO until the hub gives its model, or asks for more initialisation
 * points than @rows has left. */
static GstFlowReturn
handshake (GstKMeansWorker * self, Rows * rows)
{
  KmHubHello hello = { self->info.dimensions,
    self->k_wanted ? self->k_wanted : KM_HUB_ANY, KM_HUB_ANY
  };
  guint8 body[KM_HUB_HELLO_SIZE];
  Outgoing out = { KM_HUB_MSG_HELLO, body, sizeof (body), 0 };
  GstFlowReturn ret;
  gboolean done;

  km_hub_hello_write (body, &hello);
  ret = converse (self, &out, -1, handshake_reply, rows, &done);
  if (out.sends > 0)
    self->hello_sent = TRUE;
  return ret;
}

/* ---------------------------------------------------------------- rounds */

/* Whether a model answers our round: a newer version than the one the
 * round was computed against, or one whose control frame has moved past
 * the round (the hub closed it without a new version: converged, or it
 * had the round already).  Anything else, e.g. the same model again while
 * the round is open, answers nothing. */
static gboolean
model_answers_round (const HubReply * reply, const RoundInfo * round)
{
  return km_model_get_version (reply->model) > round->version
      || reply->control.next_round > round->round;
}

/* Waiting for the model that answers our round. */
static ReplyResult
await_reply (GstKMeansWorker * self, HubReply * reply, gpointer data)
{
  const RoundInfo *round = data;

  switch (reply->type) {
    case KM_HUB_MSG_MODEL:
      if (!model_answers_round (reply, round)) {
        GST_LOG_OBJECT (self, "model version %" G_GUINT64_FORMAT " ignored: "
            "waiting for the answer to round %" G_GUINT64_FORMAT,
            km_model_get_version (reply->model), round->round);
        return REPLY_CONTINUE;
      }
      adopt_model (self, reply);
      return REPLY_DONE;
    case KM_HUB_MSG_SEND_INIT:
      forget_model (self);
      return REPLY_DONE;
    case KM_HUB_MSG_REFUSED:
      post_refused (self, reply->reason);
      return REPLY_ERROR;
    default:
      return REPLY_CONTINUE;
  }
}

/* Asynchronous, between rounds: the newest model that has arrived. */
static ReplyResult
drain_reply (GstKMeansWorker * self, HubReply * reply, gpointer data)
{
  switch (reply->type) {
    case KM_HUB_MSG_MODEL:
      if (!self->model || km_model_get_version (reply->model) >
          km_model_get_version (self->model))
        adopt_model (self, reply);
      return REPLY_CONTINUE;
    case KM_HUB_MSG_SEND_INIT:
      forget_model (self);
      return REPLY_CONTINUE;
    case KM_HUB_MSG_REFUSED:
      post_refused (self, reply->reason);
      return REPLY_ERROR;
    default:
      return REPLY_CONTINUE;
  }
}

/* The pending round has left: counted once, its message posted. */
static void
note_round_sent (GstKMeansWorker * self)
{
  const RoundInfo *info = &self->pending_info;

  if (self->pending_counted)
    return;
  self->pending_counted = TRUE;
  GST_DEBUG_OBJECT (self, "round %" G_GUINT64_FORMAT " sent: %"
      G_GUINT64_FORMAT " points against version %" G_GUINT64_FORMAT,
      info->round, info->points, info->version);
  GST_OBJECT_LOCK (self);
  self->rounds++;
  self->points += info->points;
  GST_OBJECT_UNLOCK (self);
  if (!self->now.post_messages)
    return;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("kmeans-worker",
              "worker-id", G_TYPE_UINT, self->id,
              "round", G_TYPE_UINT64, info->round,
              "model-version", G_TYPE_UINT64, info->version,
              "points", G_TYPE_UINT64, info->points,
              "loss", G_TYPE_DOUBLE, info->loss, NULL)));
}

/* Sends the pending round and waits as the hub's mode says: synchronous,
 * for the next model (resending); asynchronous, not at all; at EOS, up to
 * resend-interval.  A flush leaves it pending, to resume. */
static GstFlowReturn
await_pending (GstKMeansWorker * self, gboolean at_eos)
{
  gboolean async = self->control.mode == KM_HUB_MODE_ASYNC;
  RoundInfo round = self->pending_info;
  Outgoing out = { KM_HUB_MSG_STATS, NULL, 0, 0 };
  GBytes *pending = g_bytes_ref (self->pending);
  gint64 deadline = -1;
  GstFlowReturn ret;
  gboolean done;

  out.body = g_bytes_get_data (pending, &out.len);
  if (at_eos)
    deadline = g_get_monotonic_time () +
        (gint64) self->now.resend_interval * 1000;
  else if (async)
    deadline = g_get_monotonic_time ();
  ret = converse (self, &out, deadline, async && !at_eos ? drain_reply :
      await_reply, &round, &done);
  g_bytes_unref (pending);
  if (out.sends > 0)
    note_round_sent (self);
  else if (ret == GST_FLOW_OK)
    count_unsent (self);
  if (ret == GST_FLOW_OK && !done && !async && !at_eos)
    return ret;
  if (ret != GST_FLOW_FLUSHING)
    clear_round_state (self);
  return ret;
}

/* The round gathered so far becomes the pending contribution. */
static GstFlowReturn
send_round (GstKMeansWorker * self, gboolean at_eos)
{
  KmStats *stats = g_steal_pointer (&self->stats);
  guint8 *data;
  gsize len;

  data = km_stats_serialize (stats, &len);
  g_clear_pointer (&self->pending, g_bytes_unref);
  self->pending = g_bytes_new_take (data, len);
  self->pending_counted = FALSE;
  self->pending_info.round = km_stats_get_round (stats);
  self->pending_info.version = km_stats_get_model_version (stats);
  self->pending_info.points = km_stats_get_points (stats);
  self->pending_info.loss = km_stats_get_loss (stats);
  self->next_round = self->pending_info.round + 1;
  self->round_batches = 0;
  km_stats_free (stats);
  return await_pending (self, at_eos);
}

/* Adds a batch to the round against the current model. */
static gboolean
accumulate (GstKMeansWorker * self, const gfloat * rows, gsize n)
{
  GError *err = NULL;

  if (!self->stats)
    self->stats = km_stats_new_for_model (self->model, self->id,
        self->next_round);
  if (km_stats_accumulate (self->stats, self->model, rows, n, &err))
    return TRUE;
  GST_ELEMENT_ERROR (self, STREAM, FAILED,
      ("Could not add a batch of %" G_GSIZE_FORMAT " points to the round.",
          n), ("km_stats_accumulate: %s", err->message));
  g_error_free (err);
  return FALSE;
}

static GstFlowReturn
add_batch (GstKMeansWorker * self, const gfloat * rows, gsize n)
{
  if (n == 0)
    return GST_FLOW_OK;
  if (!accumulate (self, rows, n))
    return GST_FLOW_ERROR;
  if (++self->round_batches < self->control.sync_interval)
    return GST_FLOW_OK;
  return send_round (self, FALSE);
}

/* The next batch of @rows: straight from them when whole, else gathered
 * across buffers. */
static GstFlowReturn
feed_next_batch (GstKMeansWorker * self, Rows * rows)
{
  const gsize d = self->info.dimensions, b = self->batch_rows;
  const gfloat *p = rows->rows;
  gsize take;

  if (b == 0 || (self->batch_fill == 0 && rows->n >= b)) {
    take = b == 0 ? rows->n : b;
    rows->rows += take * d;
    rows->n -= take;
    return add_batch (self, p, take);
  }
  take = MIN (b - self->batch_fill, rows->n);
  memcpy (self->batch + self->batch_fill * d, p, take * d * sizeof (gfloat));
  self->batch_fill += take;
  rows->rows += take * d;
  rows->n -= take;
  if (self->batch_fill < b)
    return GST_FLOW_OK;
  self->batch_fill = 0;
  return add_batch (self, self->batch, b);
}

/* Uses @rows: for the hub's initialisation while it has no model, then in
 * batches; a pending round (a flush interrupted its wait) goes first. */
static GstFlowReturn
consume_rows (GstKMeansWorker * self, Rows * rows)
{
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK) {
    if (self->pending) {
      ret = await_pending (self, FALSE);
    } else if (rows->n == 0) {
      break;
    } else if (!self->model) {
      ret = handshake (self, rows);
      if (!self->model)
        break;
    } else {
      ret = feed_next_batch (self, rows);
    }
  }
  return ret;
}

/* ------------------------------------------------------------ streaming */

static void
take_live_settings (GstKMeansWorker * self)
{
  GST_OBJECT_LOCK (self);
  self->now = self->live;
  GST_OBJECT_UNLOCK (self);
}

/* Applies the bad-input policy to what the reader reported: an error, or
 * the bad points (a partial-row buffer: all of it) counted and dropped. */
static GstFlowReturn
handle_bad_input (GstKMeansWorker * self, GstKMeansReadStatus status,
    gsize size)
{
  guint64 skipped = 0;

  if (!gst_kmeans_points_report_bad (GST_ELEMENT (self), &self->reader,
          &self->info, status, size, self->now.on_bad_input,
          &self->warned_bad_input, &skipped))
    return GST_FLOW_ERROR;
  GST_OBJECT_LOCK (self);
  self->skipped_points += skipped;
  GST_OBJECT_UNLOCK (self);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_kmeans_worker_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (trans);
  GstKMeansReadStatus status = GST_KMEANS_READ_OK;
  GstFlowReturn ret = GST_FLOW_OK;
  Rows rows = { NULL, 0 };
  GstMapInfo map;

  if (G_UNLIKELY (!self->connected || !self->have_info))
    return GST_FLOW_NOT_NEGOTIATED;
  if (G_UNLIKELY (self->refused))
    return GST_FLOW_ERROR;

  take_live_settings (self);
  if (!gst_kmeans_points_map_buffer (&self->info, buf, &map)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map buffer %" GST_PTR_FORMAT " for reading", buf));
    return GST_FLOW_ERROR;
  }
  rows.rows = gst_kmeans_points_read_buffer (&self->reader, &self->info, buf,
      &map, &rows.n, &status);
  if (status != GST_KMEANS_READ_OK)
    ret = handle_bad_input (self, status, map.size);
  if (ret == GST_FLOW_OK && status != GST_KMEANS_READ_PARTIAL_ROW)
    ret = consume_rows (self, &rows);
  gst_buffer_unmap (buf, &map);

  /* Before returning, so the event precedes this buffer downstream. */
  publish_model (self);
  return ret;
}

/* Sends the partial round, waits a little for the model that includes
 * it, and says goodbye, before EOS leaves. */
static void
finish_stream (GstKMeansWorker * self)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->connected || self->refused)
    return;
  take_live_settings (self);
  if (self->pending) {
    ret = await_pending (self, TRUE);
  } else if (self->model) {
    if (self->batch_fill > 0 && !accumulate (self, self->batch,
            self->batch_fill))
      ret = GST_FLOW_ERROR;
    self->batch_fill = 0;
    if (ret == GST_FLOW_OK && self->stats
        && km_stats_get_points (self->stats) > 0)
      ret = send_round (self, TRUE);
  }
  if (ret != GST_FLOW_OK)
    GST_DEBUG_OBJECT (self, "last round: %s", gst_flow_get_name (ret));
  publish_model (self);
  send_bye (self);
}

static gboolean
gst_kmeans_worker_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* From another thread: wake the streaming thread's wait. */
      g_cancellable_cancel (self->cancellable);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_cancellable_reset (self->cancellable);
      break;
    case GST_EVENT_EOS:
      finish_stream (self);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstStateChangeReturn
gst_kmeans_worker_change_state (GstElement * element, GstStateChange transition)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (element);

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      g_cancellable_reset (self->cancellable);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Before the pads deactivate, which waits for the streaming thread. */
      g_cancellable_cancel (self->cancellable);
      break;
    default:
      break;
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* ---------------------------------------------------------------- caps */

static gboolean
allocate_batch (GstKMeansWorker * self, guint d)
{
  guint64 floats = (guint64) self->batch_rows * d;

  g_clear_pointer (&self->batch, g_free);
  self->batch_fill = 0;
  if (self->batch_rows == 0)
    return TRUE;
  if (floats <= KM_MAX_MODEL_FLOATS)
    self->batch = g_try_new (gfloat, floats);
  if (self->batch)
    return TRUE;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("batch-size %u is too large for %u-dimensional points.",
          self->batch_rows, d),
      ("batch-size x dimensions = %" G_GUINT64_FORMAT " floats: above "
          "the limit of %" G_GUINT64_FORMAT " or out of memory", floats,
          KM_MAX_MODEL_FLOATS));
  return FALSE;
}

static gboolean
gst_kmeans_worker_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (trans);
  GstKMeansPointsInfo info;
  GError *err = NULL;

  if (!gst_kmeans_points_info_from_caps (&info, incaps, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Unsupported points format: %s", err->message),
        ("caps %" GST_PTR_FORMAT, incaps));
    g_error_free (err);
    return FALSE;
  }
  if (!gst_kmeans_points_apply_columns (GST_ELEMENT (self), &info,
          &self->columns, incaps))
    return FALSE;
  if (self->model && info.dimensions != km_model_get_d (self->model)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Points have %u dimensions but the hub's model has %u.",
            info.dimensions, km_model_get_d (self->model)),
        ("new caps %" GST_PTR_FORMAT " refused: the dimensions of a "
            "model cannot change mid-stream", incaps));
    return FALSE;
  }
  if ((!self->have_info || info.dimensions != self->info.dimensions)
      && !allocate_batch (self, info.dimensions))
    return FALSE;

  GST_DEBUG_OBJECT (self, "%u-dimensional %s points", info.dimensions,
      gst_kmeans_points_info_format_name (&info));
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

/* ----------------------------------------------------------- start/stop */

static guint32
draw_worker_id (void)
{
  guint32 id;

  do {
    id = g_random_int ();
  } while (id == 0);
  return id;
}

static void
take_settings (GstKMeansWorker * self)
{
  GST_OBJECT_LOCK (self);
  gst_km_zmq_settings_clear (&self->active);
  gst_km_zmq_settings_copy (&self->active, &self->settings);
  self->id = self->worker_id ? self->worker_id : draw_worker_id ();
  self->active_id = self->id;
  self->k_wanted = self->num_clusters;
  self->batch_rows = self->batch_size;
  self->model_version = 0;
  self->rounds = self->points = self->init_points = 0;
  self->skipped_points = self->dropped_messages = self->unsent_points = 0;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_kmeans_worker_start (GstBaseTransform * trans)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (trans);
  GError *error = NULL;
  gchar *debug = NULL;

  reset_stream_state (self);
  take_settings (self);
  if (!self->active.endpoint || !*self->active.endpoint) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No hub endpoint: set the endpoint property to the hub's address, "
            "e.g. endpoint=tcp://127.0.0.1:5600."), ("endpoint is not set"));
    return FALSE;
  }
  if (!gst_km_zmq_connection_open (&self->conn, &self->active, ZMQ_DEALER,
          FALSE, self->cancellable, &error, &debug)) {
    GST_KM_ZMQ_POST_ERROR (self, error, debug);
    g_error_free (error);
    g_free (debug);
    return FALSE;
  }
  self->connected = TRUE;

  GST_OBJECT_LOCK (self);
  g_free (self->last_endpoint);
  self->last_endpoint = g_strdup (self->conn.last_endpoint);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "worker %u %s %s", self->id,
      self->active.bind ? "bound to" : "connected to",
      self->conn.last_endpoint);
  return TRUE;
}

static gboolean
gst_kmeans_worker_stop (GstBaseTransform * trans)
{
  GstKMeansWorker *self = GST_KMEANS_WORKER (trans);

  if (self->connected) {
    send_bye (self);
    gst_km_zmq_connection_close (&self->conn);
    self->connected = FALSE;
  }
  /* The counters, model-version and last-endpoint stay readable. */
  reset_stream_state (self);
  return TRUE;
}

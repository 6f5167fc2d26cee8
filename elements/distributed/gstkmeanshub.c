/* gst-kmeans: kmeans-hub, the master copy of a model trained by many
 * kmeans-worker pipelines.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-kmeans-hub
 * @title: kmeans-hub
 * @see_also: kmeans-worker, kmeans-train, kmzmqsink
 *
 * kmeans-hub holds the master copy of a k-means model that many
 * pipelines, on one machine or many, train together.  Each of those runs
 * a kmeans-worker on its share of the points (a PUSH/PULL fan-out shares
 * them fairly); the worker assigns its batches to the hub's current model,
 * adds them up per center, and sends the sums to the hub every
 * #GstKMeansHub:sync-interval batches.  The hub merges the sums of all
 * workers of a round, applies the estimator's update once to their union
 * (docs/algorithm.md §10), checkpoints, and sends the new model to every
 * worker, and downstream.
 *
 * Downstream, each new model version is a `kmeans-model` event followed by
 * one buffer of `application/x-points, format=F32LE, dimensions=D`
 * holding its k centers: `kmeans-hub ! kmeans-format ! kmzmqsink` publishes
 * every global model, and `kmeans-hub ! kmzmqsink` carries it to remote
 * kmeans-assign elements.
 *
 * The training settings are kmeans-train's (num-clusters, init,
 * distance-metric, mini-batch, steps-per-sync, decay-factor, relative-
 * tolerance, checkpoint-location, ...) and mean the same, with a round of
 * all workers in place of a batch.  #GstKMeansHub:mode chooses
 * synchronous rounds, which are exact (the centers and counts one
 * kmeans-train would reach if it were fed, per round, the union of the
 * workers' batches), or asynchronous ones, where each contribution is
 * applied as it arrives if it was computed against a model at most
 * #GstKMeansHub:max-staleness versions old.
 *
 * Random and k-means++ initialisation run once, here, on the first
 * #GstKMeansHub:init-size points the workers send (each of
 * #GstKMeansHub:init-trials runs refined by #GstKMeansHub:init-refine
 * Lloyd iterations on them, as in kmeans-train); a checkpoint at
 * #GstKMeansHub:checkpoint-location is resumed from when it exists.
 *
 * Faults: a worker that stops answering leaves the round after
 * #GstKMeansHub:sync-timeout and rejoins when it speaks again; a
 * contribution sent twice is applied once; a worker whose points do not
 * fit the model is refused with a reason (REFUSED); with
 * curve-allowed-clients only the listed CURVE keys get in.  Malformed
 * messages are dropped and counted; no worker can stop the hub.  The
 * messages are schemas/hub-protocol.md, so any program can be a worker.
 *
 * After each round the hub posts an element message named `kmeans-hub`:
 *
 * * #guint64 `round`: rounds applied since the start.
 * * #guint64 `model-version`, `step`: of the new model.
 * * #guint `contributions`: workers merged into this round.
 * * #guint `members`: workers taking part when it closed.
 * * #guint64 `points`: points in the round.
 * * #gdouble `loss`: the round's loss (sum of the points' distances).
 * * #gboolean `timed-out`: the round closed by #GstKMeansHub:sync-timeout.
 * * #guint64 `merge-time`: nanoseconds spent merging and applying it.
 *
 * ## Example launch line
 *
 * A hub and two workers in one pipeline (on many machines, each chain is
 * its own gst-launch-1.0 with the hub's address as the workers'
 * endpoint); it prints the given model and one model per round:
 * |[
 * gst-launch-1.0 kmeans-hub endpoint=tcp://127.0.0.1:5600 num-clusters=4 \
 *     initial-centers-value="<<-5.0,-5.0>,<5.0,-5.0>,<-5.0,5.0>,<5.0,5.0>>" \
 *     max-rounds=10 ! kmeans-format emit-model=true ! fdsink fd=1 \
 *   kmeans-testsrc num-buffers=10 seed=1 ! \
 *     kmeans-worker endpoint=tcp://127.0.0.1:5600 worker-id=1 ! fakesink async=false \
 *   kmeans-testsrc num-buffers=10 seed=2 ! \
 *     kmeans-worker endpoint=tcp://127.0.0.1:5600 worker-id=2 ! fakesink async=false
 * ]|
 * The workers' sinks have async=false: the hub is a live source, and a sink
 * waiting to preroll on a worker that waits for the hub would hold up the
 * state change.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <time.h>
#include <string.h>
#include <zmq.h>

#include "gstkmeanshub.h"
#include "kmeanselements.h"
#include "gstkmeanstrainsettings.h"
#include "kmhubproto.h"
#include "kmstats.h"
#include "zmqsocket.h"
#include "zmqsrcevents.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_hub_debug);
#define GST_CAT_DEFAULT gst_kmeans_hub_debug

#define DEFAULT_MODE KM_HUB_MODE_SYNC
#define DEFAULT_SYNC_INTERVAL 1
#define DEFAULT_SYNC_TIMEOUT 10000
#define DEFAULT_MAX_STALENESS 4
#define DEFAULT_INIT_SIZE 1024
#define DEFAULT_DIMENSIONS 0
#define DEFAULT_CHECKPOINT_INTERVAL 1
#define DEFAULT_MAX_ROUNDS 0
#define DEFAULT_POST_MESSAGES TRUE
#define DEFAULT_JOIN_WINDOW 2000
/* After max-rounds the hub still answers for this long before EOS: a
 * worker whose last model was lost on the way resends its round within
 * its resend-interval (1 s by default) and gets the final model, and a
 * model just sent is read before the connection closes.  The loss is the
 * worker's: its DEALER sets ZMQ_IMMEDIATE (zmqsocket.c), and libzmq
 * terminates such a socket's pipe at once when its connection drops
 * (session_base_t::reconnect), taking a message that came with the
 * hub's FIN.  Without the grace, a hub and two workers in three processes
 * on a loaded 2-core machine lost a final model in 3 of 43 runs (a
 * capture showed all 11 models on both connections, the last 82 us
 * before the hub's FIN; the stuck worker logged 10); without the grace
 * and without ZMQ_IMMEDIATE in 0 of 40; with the grace in 0 of 15. */
#define EOS_GRACE_US (1500 * G_TIME_SPAN_MILLISECOND)
/* Frames of a message the hub reads: routing id, header, two bodies. */
#define MAX_FRAMES 4

enum
{
  PROP_MODE = GST_KM_ZMQ_PROP_LAST,
  PROP_SYNC_INTERVAL,
  PROP_SYNC_TIMEOUT,
  PROP_MAX_STALENESS,
  PROP_INIT_SIZE,
  PROP_DIMENSIONS,
  PROP_CHECKPOINT_INTERVAL,
  PROP_MAX_ROUNDS,
  PROP_POST_MESSAGES,
  PROP_JOIN_WINDOW,
  PROP_MODEL_VERSION,
  PROP_ROUNDS,
  PROP_MEMBERS,
  PROP_CONTRIBUTIONS,
  PROP_DUPLICATES,
  PROP_STALE,
  PROP_REFUSED,
  PROP_DROPPED_MESSAGES,
  PROP_POINTS,
  PROP_BYTES_RECEIVED,
  PROP_BUSY_TIME,
  PROP_REJECTED_CLIENTS,
  PROP_CENTERS,
  PROP_COUNTS,
  PROP_TRAIN_FIRST
};

/* One worker, known by its id. */
typedef struct
{
  guint32 id;
  GBytes *routing_id;           /* of its newest message */
  gint64 last_seen;             /* monotonic us */
  guint64 last_round;           /* the last round of it applied */
  gboolean member;              /* takes part in synchronous rounds */
  KmStats *contribution;        /* to the open synchronous round */
} HubWorker;

/* What the read-only properties show, under the object lock. */
typedef struct
{
  guint64 model_version;
  guint64 rounds;
  guint members;
  guint64 contributions;
  guint64 duplicates;
  guint64 stale;
  guint64 refused;
  guint64 dropped;
  guint64 points;
  guint64 bytes_received;
  guint64 busy_ns;
} HubCounters;

struct _GstKMeansHub
{
  GstPushSrc parent;

  /* properties, under the object lock */
  GstKmZmqSettings settings;
  GstKMeansTrainSettings train;
  KmHubMode mode;
  guint sync_interval;
  guint sync_timeout;           /* ms */
  guint max_staleness;
  guint init_size;
  guint dimensions;
  guint checkpoint_interval;
  guint64 max_rounds;
  gboolean post_messages;
  guint join_window;            /* ms */
  gchar *last_endpoint;
  HubCounters counters;
  KmModel *shown_model;         /* what centers and counts show */
  GstKmZmqConnection *live_conn;        /* &conn while started */
  guint64 rejected_clients;     /* kept after stop */

  /* streaming state, from start() to stop() */
  GstKmZmqSettings active;
  GstKMeansTrainSettings active_train;
  KmHubControl control;         /* as sent with every model */
  guint64 active_max_rounds;
  guint active_checkpoint_interval;
  gint64 timeout_us;
  gint64 join_end;              /* monotonic us: start + join-window */
  gint64 eos_at;                /* max-rounds reached: EOS then (0: not) */
  GstKmZmqConnection conn;
  GCancellable *cancellable;    /* unlock() cancels it: wakes zmq_poll */
  zmq_msg_t frames[MAX_FRAMES];
  guint d;                      /* 0 until known */
  KmTrainer *trainer;
  KmModel *model;               /* newest model, NULL before init */
  GBytes *model_record;         /* its bytes, made once per version */
  GHashTable *workers;          /* id -> HubWorker */
  gint64 round_started;         /* first contribution of the open round */
  guint open_contributions;
  GArray *init_points;          /* floats gathered for initialisation */
  guint rounds_since_save;
  gboolean publish_pending;     /* a model not yet sent downstream */
  KmModel *pushed_model;
  gboolean caps_set;
  GstKmSrcEvents events;        /* model events (zmqsrcevents.h) */
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-points, format = (string) F32LE, "
        "dimensions = (int) [ 1, 65536 ]"));

#define gst_kmeans_hub_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansHub, gst_kmeans_hub, GST_TYPE_PUSH_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_hub_debug, "kmeans-hub", 0,
        "master model of distributed k-means training"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_hub, "kmeans-hub", GST_RANK_NONE,
    GST_TYPE_KMEANS_HUB);

GType
gst_kmeans_hub_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {KM_HUB_MODE_SYNC, "Rounds wait for every worker (exact)", "sync"},
    {KM_HUB_MODE_ASYNC, "Contributions are applied as they arrive",
        "async"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstKMeansHubMode",
            values));
  return type;
}

static void gst_kmeans_hub_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_hub_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_kmeans_hub_finalize (GObject * object);
static gboolean gst_kmeans_hub_start (GstBaseSrc * bsrc);
static gboolean gst_kmeans_hub_stop (GstBaseSrc * bsrc);
static gboolean gst_kmeans_hub_unlock (GstBaseSrc * bsrc);
static gboolean gst_kmeans_hub_unlock_stop (GstBaseSrc * bsrc);
static gboolean gst_kmeans_hub_negotiate (GstBaseSrc * bsrc);
static GstFlowReturn gst_kmeans_hub_create (GstPushSrc * psrc,
    GstBuffer ** buf);

#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)
#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void
install_round_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "sync: a round waits for every worker (or sync-timeout) and is "
          "exact; async: each contribution is applied as it arrives",
          GST_TYPE_KMEANS_HUB_MODE, DEFAULT_MODE,
          RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SYNC_INTERVAL,
      g_param_spec_uint ("sync-interval", "Sync interval",
          "Batches each worker adds up before sending them (with "
          "steps-per-sync N > 1 a round is one iteration: N batches)", 1,
          G_MAXUINT32, DEFAULT_SYNC_INTERVAL, RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SYNC_TIMEOUT,
      g_param_spec_uint ("sync-timeout", "Sync timeout",
          "Milliseconds a synchronous round waits for the workers after its "
          "first contribution; a worker that misses it leaves the rounds "
          "until it speaks again", 1, G_MAXINT32, DEFAULT_SYNC_TIMEOUT,
          RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_STALENESS,
      g_param_spec_uint ("max-staleness", "Max staleness",
          "async: how many versions older than the hub's the model of a "
          "contribution may be (older ones are refused, counted in stale)",
          0, G_MAXUINT32, DEFAULT_MAX_STALENESS, RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INIT_SIZE,
      g_param_spec_uint ("init-size", "Init size",
          "Points the workers send for random or kmeans++ initialisation "
          "(at least num-clusters are taken)", 1, G_MAXINT32,
          DEFAULT_INIT_SIZE, RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DIMENSIONS,
      g_param_spec_uint ("dimensions", "Dimensions",
          "Dimensions of the points (0: from the checkpoint, or the first "
          "worker); workers of other dimensions are refused", 0,
          KM_MAX_DIMENSIONS, DEFAULT_DIMENSIONS, RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CHECKPOINT_INTERVAL,
      g_param_spec_uint ("checkpoint-interval", "Checkpoint interval",
          "Rounds between checkpoints (1: after every round, which keeps a "
          "restarted hub from applying a round twice)", 1, G_MAXUINT,
          DEFAULT_CHECKPOINT_INTERVAL, RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_ROUNDS,
      g_param_spec_uint64 ("max-rounds", "Max rounds",
          "End the stream (EOS) after this many rounds since start, still "
          "answering the workers for 1.5 s so that each gets the last model "
          "(0: never)", 0, G_MAXUINT64, DEFAULT_MAX_ROUNDS,
          RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a kmeans-hub element message after every round",
          DEFAULT_POST_MESSAGES, RW | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_JOIN_WINDOW,
      g_param_spec_uint ("join-window", "Join window",
          "Milliseconds after start in which a synchronous round also waits "
          "for workers not heard from yet (after a hub restart they resend "
          "within their resend-interval)", 0, G_MAXINT32, DEFAULT_JOIN_WINDOW,
          RW | GST_PARAM_MUTABLE_READY));
}

static void
install_counter_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_MODEL_VERSION,
      g_param_spec_uint64 ("model-version", "Model version",
          "Version of the master model (0 before initialisation)", 0,
          G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_ROUNDS,
      g_param_spec_uint64 ("rounds", "Rounds",
          "Rounds (synchronous) or contributions (asynchronous) applied "
          "since start", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_MEMBERS,
      g_param_spec_uint ("members", "Members",
          "Workers taking part in the rounds now", 0, G_MAXUINT, 0, RO));
  g_object_class_install_property (gobject_class, PROP_CONTRIBUTIONS,
      g_param_spec_uint64 ("contributions", "Contributions",
          "Statistics merged since start", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_DUPLICATES,
      g_param_spec_uint64 ("duplicates", "Duplicates",
          "Contributions received again (same worker and round) and ignored",
          0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_STALE,
      g_param_spec_uint64 ("stale", "Stale",
          "Contributions computed against a model too old to apply "
          "(answered with the current model)", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_REFUSED,
      g_param_spec_uint64 ("refused", "Refused",
          "Workers or contributions refused for a k, d or metric that does "
          "not fit the model", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_DROPPED_MESSAGES,
      g_param_spec_uint64 ("dropped-messages", "Dropped messages",
          "Malformed messages dropped", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_POINTS,
      g_param_spec_uint64 ("points", "Points",
          "Points of the contributions applied since start", 0, G_MAXUINT64,
          0, RO));
  g_object_class_install_property (gobject_class, PROP_BYTES_RECEIVED,
      g_param_spec_uint64 ("bytes-received", "Bytes received",
          "Bytes of the messages received since start", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_BUSY_TIME,
      g_param_spec_uint64 ("busy-time", "Busy time",
          "CPU nanoseconds the hub's thread spent since start on messages, "
          "rounds and models (reading, merging, applying, checkpointing, "
          "answering; waiting costs none)", 0, G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_REJECTED_CLIENTS,
      g_param_spec_uint64 ("rejected-clients", "Rejected clients",
          "Connections refused by curve-allowed-clients since start", 0,
          G_MAXUINT64, 0, RO));
  g_object_class_install_property (gobject_class, PROP_CENTERS,
      gst_kmeans_centers_param_spec ("centers", "Centers",
          "Centers of the master model: k rows of d doubles (empty before "
          "initialisation)", RO));
  g_object_class_install_property (gobject_class, PROP_COUNTS,
      gst_param_spec_array ("counts", "Counts",
          "Per-center counts of the master model: the (decayed) weights in "
          "mini-batch, the last round's cluster sizes in full batch (empty "
          "before initialisation)",
          g_param_spec_double ("count", "Count", "Weight of one center",
              0.0, G_MAXDOUBLE, 0.0, RO), RO));
}

static void
gst_kmeans_hub_class_init (GstKMeansHubClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_kmeans_hub_set_property;
  gobject_class->get_property = gst_kmeans_hub_get_property;
  gobject_class->finalize = gst_kmeans_hub_finalize;

  gst_km_zmq_install_connection_properties (gobject_class, TRUE);
  gst_kmeans_train_settings_install (gobject_class, PROP_TRAIN_FIRST, "round");
  install_round_properties (gobject_class);
  install_counter_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "K-means hub",
      "Source/Analyzer",
      "Holds the master model that kmeans-worker pipelines train together "
      "over ZeroMQ: merges their statistics, checkpoints, and sends each "
      "new model to the workers and downstream", "gst-kmeans developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_hub_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_hub_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_kmeans_hub_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_kmeans_hub_unlock_stop);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_kmeans_hub_negotiate);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_kmeans_hub_create);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_HUB_MODE, 0);
}

static void
hub_worker_free (HubWorker * w)
{
  g_clear_pointer (&w->routing_id, g_bytes_unref);
  g_clear_pointer (&w->contribution, km_stats_free);
  g_free (w);
}

static void
gst_kmeans_hub_init (GstKMeansHub * self)
{
  gst_km_zmq_settings_init (&self->settings, TRUE);
  gst_kmeans_train_settings_init (&self->train);
  gst_kmeans_train_settings_init (&self->active_train);
  /* Init points are gathered here (init-size); rounds carry no points. */
  gst_kmeans_train_settings_without_points (&self->train);
  gst_kmeans_train_settings_without_points (&self->active_train);
  self->mode = DEFAULT_MODE;
  self->sync_interval = DEFAULT_SYNC_INTERVAL;
  self->sync_timeout = DEFAULT_SYNC_TIMEOUT;
  self->max_staleness = DEFAULT_MAX_STALENESS;
  self->init_size = DEFAULT_INIT_SIZE;
  self->dimensions = DEFAULT_DIMENSIONS;
  self->checkpoint_interval = DEFAULT_CHECKPOINT_INTERVAL;
  self->max_rounds = DEFAULT_MAX_ROUNDS;
  self->post_messages = DEFAULT_POST_MESSAGES;
  gst_km_src_events_init (&self->events, GST_BASE_SRC_PAD (self), NULL, NULL);
  self->join_window = DEFAULT_JOIN_WINDOW;
  self->cancellable = g_cancellable_new ();
  self->workers = g_hash_table_new_full (g_direct_hash, g_direct_equal,
      NULL, (GDestroyNotify) hub_worker_free);

  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp (GST_BASE_SRC (self), TRUE);
}

static void
gst_kmeans_hub_finalize (GObject * object)
{
  GstKMeansHub *self = GST_KMEANS_HUB (object);

  gst_km_zmq_settings_clear (&self->settings);
  gst_kmeans_train_settings_clear (&self->train);
  gst_kmeans_train_settings_clear (&self->active_train);
  g_free (self->last_endpoint);
  g_clear_pointer (&self->shown_model, km_model_unref);
  g_object_unref (self->cancellable);
  g_hash_table_unref (self->workers);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static gboolean
set_round_property (GstKMeansHub * self, guint prop_id, const GValue * value)
{
  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_SYNC_INTERVAL:
      self->sync_interval = g_value_get_uint (value);
      break;
    case PROP_SYNC_TIMEOUT:
      self->sync_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_STALENESS:
      self->max_staleness = g_value_get_uint (value);
      break;
    case PROP_INIT_SIZE:
      self->init_size = g_value_get_uint (value);
      break;
    case PROP_DIMENSIONS:
      self->dimensions = g_value_get_uint (value);
      break;
    case PROP_CHECKPOINT_INTERVAL:
      self->checkpoint_interval = g_value_get_uint (value);
      break;
    case PROP_MAX_ROUNDS:
      self->max_rounds = g_value_get_uint64 (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_JOIN_WINDOW:
      self->join_window = g_value_get_uint (value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

static void
gst_kmeans_hub_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansHub *self = GST_KMEANS_HUB (object);
  gboolean known;

  GST_OBJECT_LOCK (self);
  known = gst_km_zmq_settings_set_property (&self->settings, prop_id, value)
      || gst_kmeans_train_settings_set_property (&self->train,
      PROP_TRAIN_FIRST, prop_id, value)
      || set_round_property (self, prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static gboolean
get_round_property (GstKMeansHub * self, guint prop_id, GValue * value)
{
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_SYNC_INTERVAL:
      g_value_set_uint (value, self->sync_interval);
      break;
    case PROP_SYNC_TIMEOUT:
      g_value_set_uint (value, self->sync_timeout);
      break;
    case PROP_MAX_STALENESS:
      g_value_set_uint (value, self->max_staleness);
      break;
    case PROP_INIT_SIZE:
      g_value_set_uint (value, self->init_size);
      break;
    case PROP_DIMENSIONS:
      g_value_set_uint (value, self->dimensions);
      break;
    case PROP_CHECKPOINT_INTERVAL:
      g_value_set_uint (value, self->checkpoint_interval);
      break;
    case PROP_MAX_ROUNDS:
      g_value_set_uint64 (value, self->max_rounds);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_JOIN_WINDOW:
      g_value_set_uint (value, self->join_window);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

static gboolean
get_counter_property (const HubCounters * c, guint prop_id, GValue * value)
{
  switch (prop_id) {
    case PROP_MODEL_VERSION:
      g_value_set_uint64 (value, c->model_version);
      break;
    case PROP_ROUNDS:
      g_value_set_uint64 (value, c->rounds);
      break;
    case PROP_MEMBERS:
      g_value_set_uint (value, c->members);
      break;
    case PROP_CONTRIBUTIONS:
      g_value_set_uint64 (value, c->contributions);
      break;
    case PROP_DUPLICATES:
      g_value_set_uint64 (value, c->duplicates);
      break;
    case PROP_STALE:
      g_value_set_uint64 (value, c->stale);
      break;
    case PROP_REFUSED:
      g_value_set_uint64 (value, c->refused);
      break;
    case PROP_DROPPED_MESSAGES:
      g_value_set_uint64 (value, c->dropped);
      break;
    case PROP_POINTS:
      g_value_set_uint64 (value, c->points);
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, c->bytes_received);
      break;
    case PROP_BUSY_TIME:
      g_value_set_uint64 (value, c->busy_ns);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

/* centers and counts: outside the object lock, from a model reference. */
static gboolean
get_model_property (GstKMeansHub * self, guint prop_id, GValue * value)
{
  KmModel *model;

  if (prop_id != PROP_CENTERS && prop_id != PROP_COUNTS)
    return FALSE;
  GST_OBJECT_LOCK (self);
  model = self->shown_model ? km_model_ref (self->shown_model) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (model == NULL)
    return TRUE;
  if (prop_id == PROP_CENTERS)
    gst_kmeans_value_set_centers (value, km_model_get_centers (model),
        km_model_get_k (model), km_model_get_d (model));
  else if (km_model_get_counts (model) != NULL)
    gst_kmeans_value_set_doubles (value, km_model_get_counts (model),
        km_model_get_k (model));
  km_model_unref (model);
  return TRUE;
}

static void
gst_kmeans_hub_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstKMeansHub *self = GST_KMEANS_HUB (object);
  gboolean known;

  if (get_model_property (self, prop_id, value))
    return;

  GST_OBJECT_LOCK (self);
  if (prop_id == PROP_REJECTED_CLIENTS) {
    g_value_set_uint64 (value, self->live_conn ?
        gst_km_zmq_connection_get_rejected (self->live_conn) :
        self->rejected_clients);
    GST_OBJECT_UNLOCK (self);
    return;
  }
  known = gst_km_zmq_settings_get_property (&self->settings,
      self->last_endpoint, prop_id, value)
      || gst_kmeans_train_settings_get_property (&self->train,
      PROP_TRAIN_FIRST, prop_id, value)
      || get_round_property (self, prop_id, value)
      || get_counter_property (&self->counters, prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

/* ------------------------------------------------------------ counters */

#define COUNT(self, field, n) G_STMT_START { \
    GST_OBJECT_LOCK (self); \
    (self)->counters.field += (n); \
    GST_OBJECT_UNLOCK (self); \
  } G_STMT_END

static guint
count_members (GstKMeansHub * self)
{
  GHashTableIter iter;
  HubWorker *w;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->workers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & w))
    n += w->member ? 1 : 0;
  return n;
}

static void
update_members (GstKMeansHub * self)
{
  guint n = count_members (self);

  GST_OBJECT_LOCK (self);
  self->counters.members = n;
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------- sending */

static void
send_to (GstKMeansHub * self, HubWorker * w, KmHubMsgType type,
    const GstKmZmqFrame * body, guint n_body)
{
  GstKmZmqFrame frames[4];
  guint8 header[KM_HUB_HEADER_SIZE];
  gsize id_len;
  guint i;

  g_return_if_fail (n_body <= 2);
  km_hub_header_write (header, type, 0);
  frames[0].data = g_bytes_get_data (w->routing_id, &id_len);
  frames[0].size = id_len;
  frames[1].data = header;
  frames[1].size = sizeof (header);
  for (i = 0; i < n_body; i++)
    frames[2 + i] = body[i];
  /* ROUTER drops what a gone or full peer cannot take: never blocks. */
  if (gst_km_zmq_send_frames (self->conn.socket, frames, 2 + n_body,
          ZMQ_DONTWAIT) < 0)
    GST_DEBUG_OBJECT (self, "%s to worker %u not sent: %s",
        km_hub_msg_type_name (type), w->id, zmq_strerror (errno));
}

static void
send_refused (GstKMeansHub * self, HubWorker * w, const gchar * reason)
{
  GstKmZmqFrame body = { reason, MIN (strlen (reason), KM_HUB_MAX_REASON) };

  GST_WARNING_OBJECT (self, "worker %u refused: %s", w->id, reason);
  COUNT (self, refused, 1);
  send_to (self, w, KM_HUB_MSG_REFUSED, &body, 1);
}

static guint
init_points_wanted (GstKMeansHub * self)
{
  guint want = MAX (self->init_size, self->active_train.num_clusters);
  guint have = self->init_points->len / MAX (self->d, 1);

  return want > have ? want - have : 1;
}

static void
send_init_request (GstKMeansHub * self, HubWorker * w)
{
  guint8 data[KM_HUB_SEND_INIT_SIZE];
  KmHubSendInit req = {
    init_points_wanted (self), self->d, self->active_train.num_clusters,
    self->active_train.metric
  };
  GstKmZmqFrame body = { data, sizeof (data) };

  km_hub_send_init_write (data, &req);
  send_to (self, w, KM_HUB_MSG_SEND_INIT, &body, 1);
}

static void
send_model (GstKMeansHub * self, HubWorker * w)
{
  guint8 control[KM_HUB_CONTROL_SIZE];
  KmHubControl c = self->control;
  GstKmZmqFrame body[2];
  gsize len;

  c.next_round = w->last_round + 1;
  km_hub_control_write (control, &c);
  body[0].data = control;
  body[0].size = sizeof (control);
  body[1].data = g_bytes_get_data (self->model_record, &len);
  body[1].size = len;
  send_to (self, w, KM_HUB_MSG_MODEL, body, 2);
}

/* The answer to a worker that waits for the hub: the model, or a request
 * for initialisation points. */
static void
send_state (GstKMeansHub * self, HubWorker * w)
{
  if (self->model != NULL)
    send_model (self, w);
  else
    send_init_request (self, w);
}

static void
send_model_to_members (GstKMeansHub * self)
{
  GHashTableIter iter;
  HubWorker *w;

  g_hash_table_iter_init (&iter, self->workers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & w)) {
    if (w->member)
      send_model (self, w);
  }
}

/* ------------------------------------------------------ the model */

static void
post_structure (GstKMeansHub * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
save_checkpoint (GstKMeansHub * self)
{
  const gchar *location = self->active_train.checkpoint_location;
  GError *err = NULL;

  if (location == NULL || location[0] == '\0')
    return TRUE;
  if (++self->rounds_since_save < self->active_checkpoint_interval)
    return TRUE;
  if (!km_trainer_save (self->trainer, location, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write the k-means checkpoint \"%s\".", location),
        ("km_trainer_save failed: %s", err->message));
    g_error_free (err);
    return FALSE;
  }
  self->rounds_since_save = 0;
  return TRUE;
}

/* Takes the trainer's newest model: its bytes for the workers, the
 * properties, and a pending push downstream. */
static void
refresh_model (GstKMeansHub * self)
{
  KmModel *model = km_trainer_get_model (self->trainer);
  guint8 *bytes;
  gsize len;

  if (model == NULL || model == self->model) {
    g_clear_pointer (&model, km_model_unref);
    return;
  }
  g_clear_pointer (&self->model, km_model_unref);
  self->model = model;
  g_clear_pointer (&self->model_record, g_bytes_unref);
  bytes = km_model_serialize (model, &len);
  self->model_record = g_bytes_new_take (bytes, len);
  self->publish_pending = TRUE;
  GST_OBJECT_LOCK (self);
  self->counters.model_version = km_model_get_version (model);
  g_clear_pointer (&self->shown_model, km_model_unref);
  self->shown_model = km_model_ref (model);
  GST_OBJECT_UNLOCK (self);
}

/* --------------------------------------------------- initialisation */

/* @d 0: the checkpoint's or the given centers'. */
static gboolean
create_trainer (GstKMeansHub * self, guint d)
{
  gboolean resumed = FALSE;

  self->trainer = gst_kmeans_train_settings_create_trainer (&self->active_train,
      GST_ELEMENT (self), d, &resumed);
  if (self->trainer == NULL)
    return FALSE;
  d = km_trainer_get_config (self->trainer)->d;
  self->d = d;
  if (km_trainer_is_initialized (self->trainer))
    refresh_model (self);
  GST_INFO_OBJECT (self, "trainer for %u dimensions%s", d,
      resumed ? ", resumed from the checkpoint" : "");
  return TRUE;
}

static void
initialise_from_points (GstKMeansHub * self)
{
  gsize n = self->init_points->len / self->d;
  GError *err = NULL;
  KmFeedResult res;

  res =
      km_trainer_feed (self->trainer, (const gfloat *) self->init_points->data,
      n, NULL, &err);
  if (res == KM_FEED_ERROR) {
    GST_WARNING_OBJECT (self, "initialisation from %" G_GSIZE_FORMAT
        " points failed: %s", n, err->message);
    g_error_free (err);
  }
  g_array_set_size (self->init_points, 0);
  if (!km_trainer_is_initialized (self->trainer))
    return;
  GST_INFO_OBJECT (self, "initialised from %" G_GSIZE_FORMAT " points", n);
  refresh_model (self);
  send_model_to_members (self);
}

/* ------------------------------------------------------------ rounds */

static gint
compare_worker_ids (gconstpointer a, gconstpointer b)
{
  const HubWorker *wa = *(HubWorker * const *) a;
  const HubWorker *wb = *(HubWorker * const *) b;

  return wa->id < wb->id ? -1 : wa->id > wb->id;
}

/* The open round's contributions, in worker-id order: a merge order that
 * does not depend on arrival. */
static GPtrArray *
contributors_in_order (GstKMeansHub * self)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  HubWorker *w;

  g_hash_table_iter_init (&iter, self->workers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & w)) {
    if (w->contribution != NULL)
      g_ptr_array_add (list, w);
  }
  g_ptr_array_sort (list, compare_worker_ids);
  return list;
}

static void
post_round (GstKMeansHub * self, const KmStats * merged, guint contributions,
    gboolean timed_out, gint64 merge_us)
{
  gboolean post;
  guint64 rounds;

  GST_OBJECT_LOCK (self);
  post = self->post_messages;
  rounds = self->counters.rounds;
  GST_OBJECT_UNLOCK (self);
  if (!post || self->model == NULL)
    return;
  post_structure (self, gst_structure_new ("kmeans-hub",
          "round", G_TYPE_UINT64, rounds,
          "model-version", G_TYPE_UINT64, km_model_get_version (self->model),
          "step", G_TYPE_UINT64, km_model_get_step (self->model),
          "contributions", G_TYPE_UINT, contributions,
          "members", G_TYPE_UINT, count_members (self),
          "points", G_TYPE_UINT64, km_stats_get_points (merged),
          "loss", G_TYPE_DOUBLE, km_stats_get_loss (merged),
          "timed-out", G_TYPE_BOOLEAN, timed_out,
          "merge-time", G_TYPE_UINT64, (guint64) merge_us * 1000, NULL));
}

/* Applies @stats (merged, or one asynchronous contribution) as one step;
 * FALSE only when the checkpoint could not be written. */
static gboolean
apply_round (GstKMeansHub * self, const KmStats * stats, guint64 max_lag,
    guint contributions, gboolean timed_out, gint64 started_us)
{
  GError *err = NULL;
  KmFeedResult res;

  res = km_trainer_apply_stats (self->trainer, stats, max_lag, NULL, &err);
  if (res == KM_FEED_ERROR) {
    GST_WARNING_OBJECT (self, "round not applied: %s", err->message);
    g_error_free (err);
    return TRUE;
  }
  GST_OBJECT_LOCK (self);
  self->counters.rounds++;
  self->counters.contributions += contributions;
  self->counters.points += km_stats_get_points (stats);
  GST_OBJECT_UNLOCK (self);
  refresh_model (self);
  /* Saved before it is announced: no one hears of a version a restarted
   * hub would not have. */
  if (res != KM_FEED_SKIPPED && !save_checkpoint (self))
    return FALSE;
  post_round (self, stats, contributions, timed_out,
      g_get_monotonic_time () - started_us);
  return TRUE;
}

static gboolean
close_round (GstKMeansHub * self, gboolean timed_out)
{
  GPtrArray *list = contributors_in_order (self);
  gint64 started = g_get_monotonic_time ();
  KmStats *merged = NULL;
  GHashTableIter iter;
  HubWorker *w;
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < list->len; i++) {
    GError *err = NULL;

    w = g_ptr_array_index (list, i);
    if (merged == NULL)
      merged = km_stats_copy (w->contribution);
    else if (!km_stats_merge (merged, w->contribution, &err)) {
      /* Checked on arrival: only a sum beyond 2^53 points gets here. */
      GST_WARNING_OBJECT (self, "contribution of worker %u left out: %s",
          w->id, err->message);
      g_error_free (err);
    }
    w->last_round = km_stats_get_round (w->contribution);
    g_clear_pointer (&w->contribution, km_stats_free);
  }
  g_ptr_array_unref (list);

  /* Members that let the round time out leave until they speak again. */
  g_hash_table_iter_init (&iter, self->workers);
  while (timed_out && g_hash_table_iter_next (&iter, NULL, (gpointer *) & w)) {
    if (w->member && w->last_seen < self->round_started) {
      GST_INFO_OBJECT (self, "worker %u missed the round: no longer a member",
          w->id);
      w->member = FALSE;
    }
  }
  if (merged != NULL)
    ok = apply_round (self, merged, 0, self->open_contributions, timed_out,
        started);
  g_clear_pointer (&merged, km_stats_free);
  self->open_contributions = 0;
  self->round_started = 0;
  update_members (self);
  send_model_to_members (self);
  return ok;
}

/* Every member contributed, and the join window is over. */
static gboolean
round_is_complete (GstKMeansHub * self)
{
  GHashTableIter iter;
  HubWorker *w;

  if (g_get_monotonic_time () < self->join_end)
    return FALSE;
  g_hash_table_iter_init (&iter, self->workers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & w)) {
    if (w->member && w->contribution == NULL)
      return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------- messages */

static HubWorker *
lookup_worker (GstKMeansHub * self, guint32 id, const zmq_msg_t * routing)
{
  HubWorker *w = g_hash_table_lookup (self->workers, GUINT_TO_POINTER (id));

  if (w == NULL) {
    w = g_new0 (HubWorker, 1);
    w->id = id;
    g_hash_table_insert (self->workers, GUINT_TO_POINTER (id), w);
    GST_INFO_OBJECT (self, "worker %u appeared", id);
  }
  /* A restarted worker comes back with a new routing id. */
  g_clear_pointer (&w->routing_id, g_bytes_unref);
  w->routing_id = g_bytes_new (zmq_msg_data ((zmq_msg_t *) routing),
      zmq_msg_size ((zmq_msg_t *) routing));
  w->last_seen = g_get_monotonic_time ();
  return w;
}

/* NULL when the worker can train this hub's model, else why not. */
static gchar *
why_not_fit (GstKMeansHub * self, guint d, guint k, guint metric)
{
  const GstKMeansTrainSettings *t = &self->active_train;

  if (self->d != 0 && d != self->d)
    return g_strdup_printf ("the worker's points have %u dimensions, the "
        "hub's model %u", d, self->d);
  if (k != KM_HUB_ANY && k != t->num_clusters)
    return g_strdup_printf ("the worker wants %u clusters, the hub trains %u",
        k, t->num_clusters);
  if (metric != KM_HUB_ANY && metric != (guint) t->metric)
    return g_strdup_printf ("the worker wants metric %u, the hub trains %u",
        metric, t->metric);
  return NULL;
}

static gboolean
handle_hello (GstKMeansHub * self, HubWorker * w, const zmq_msg_t * body)
{
  KmHubHello hello;
  GError *err = NULL;
  gchar *why;

  if (!km_hub_hello_read (zmq_msg_data ((zmq_msg_t *) body),
          zmq_msg_size ((zmq_msg_t *) body), &hello, &err)) {
    why = g_strdup_printf ("malformed hello: %s", err->message);
    send_refused (self, w, why);
    g_free (why);
    g_error_free (err);
    return TRUE;
  }
  why = why_not_fit (self, hello.d, hello.k, hello.metric);
  if (why != NULL) {
    send_refused (self, w, why);
    g_free (why);
    return TRUE;
  }
  if (self->trainer == NULL && !create_trainer (self, hello.d))
    return FALSE;
  w->member = TRUE;
  update_members (self);
  send_state (self, w);
  return TRUE;
}

static gboolean
handle_init (GstKMeansHub * self, HubWorker * w, const zmq_msg_t * body)
{
  GError *err = NULL;
  gfloat *points;
  gsize n, take;
  guint want;

  if (self->trainer == NULL) {
    /* It never said hello (or the hub restarted): ask again. */
    COUNT (self, dropped, 1);
    return TRUE;
  }
  w->member = TRUE;
  if (self->model != NULL) {
    send_model (self, w);
    return TRUE;
  }
  points = km_hub_init_points_read (zmq_msg_data ((zmq_msg_t *) body),
      zmq_msg_size ((zmq_msg_t *) body), self->d, &n, &err);
  if (points == NULL) {
    GST_WARNING_OBJECT (self, "init points of worker %u dropped: %s", w->id,
        err->message);
    g_error_free (err);
    COUNT (self, dropped, 1);
    send_init_request (self, w);
    return TRUE;
  }
  want = init_points_wanted (self);
  take = MIN (n, want);
  g_array_append_vals (self->init_points, points, take * self->d);
  g_free (points);
  if (take == want)
    initialise_from_points (self);
  if (self->model == NULL)
    send_init_request (self, w);
  return TRUE;
}

/* TRUE when @stats can be merged into this hub's model, otherwise the
 * worker was answered. */
static gboolean
stats_fit (GstKMeansHub * self, HubWorker * w, const KmStats * stats)
{
  gchar *why;

  if (self->model == NULL) {
    send_init_request (self, w);
    return FALSE;
  }
  why = why_not_fit (self, km_stats_get_d (stats), km_stats_get_k (stats),
      km_stats_get_metric (stats));
  if (why != NULL) {
    send_refused (self, w, why);
    g_free (why);
    return FALSE;
  }
  if (km_stats_get_round (stats) <= w->last_round
      || (w->contribution != NULL
          && km_stats_get_round (w->contribution) ==
          km_stats_get_round (stats))) {
    GST_DEBUG_OBJECT (self, "worker %u round %" G_GUINT64_FORMAT " again: "
        "ignored", w->id, km_stats_get_round (stats));
    COUNT (self, duplicates, 1);
    if (w->contribution == NULL)
      send_model (self, w);
    return FALSE;
  }
  return TRUE;
}

static gboolean
take_sync_contribution (GstKMeansHub * self, HubWorker * w, KmStats * stats)
{
  guint64 version = km_model_get_version (self->model);

  if (km_stats_get_model_version (stats) != version || w->contribution != NULL) {
    GST_DEBUG_OBJECT (self, "worker %u: statistics of version %"
        G_GUINT64_FORMAT " at version %" G_GUINT64_FORMAT ": stale", w->id,
        km_stats_get_model_version (stats), version);
    COUNT (self, stale, 1);
    km_stats_free (stats);
    if (w->contribution == NULL)
      send_model (self, w);
    return TRUE;
  }
  w->contribution = stats;
  w->member = TRUE;
  if (self->open_contributions++ == 0)
    self->round_started = g_get_monotonic_time ();
  if (round_is_complete (self))
    return close_round (self, FALSE);
  return TRUE;
}

static gboolean
take_async_contribution (GstKMeansHub * self, HubWorker * w, KmStats * stats)
{
  guint64 version = km_model_get_version (self->model);
  guint64 lag = version - MIN (version, km_stats_get_model_version (stats));
  gboolean ok = TRUE;

  w->member = TRUE;
  if (km_stats_get_model_version (stats) > version
      || lag > self->control.max_staleness) {
    COUNT (self, stale, 1);
  } else {
    w->last_round = km_stats_get_round (stats);
    ok = apply_round (self, stats, lag, 1, FALSE, g_get_monotonic_time ());
  }
  km_stats_free (stats);
  send_model (self, w);
  return ok;
}

static gboolean
handle_stats (GstKMeansHub * self, HubWorker * w, const zmq_msg_t * body)
{
  GError *err = NULL;
  KmStats *stats;

  stats = km_stats_deserialize (zmq_msg_data ((zmq_msg_t *) body),
      zmq_msg_size ((zmq_msg_t *) body), &err);
  if (stats == NULL) {
    GST_WARNING_OBJECT (self, "statistics of worker %u dropped: %s", w->id,
        err->message);
    g_error_free (err);
    COUNT (self, dropped, 1);
    return TRUE;
  }
  if (km_stats_get_worker (stats) != w->id) {
    GST_WARNING_OBJECT (self, "statistics of worker %u sent by worker %u: "
        "dropped", km_stats_get_worker (stats), w->id);
    COUNT (self, dropped, 1);
    km_stats_free (stats);
    return TRUE;
  }
  if (!stats_fit (self, w, stats)) {
    km_stats_free (stats);
    return TRUE;
  }
  if (self->control.mode == KM_HUB_MODE_SYNC)
    return take_sync_contribution (self, w, stats);
  return take_async_contribution (self, w, stats);
}

static gboolean
handle_bye (GstKMeansHub * self, HubWorker * w)
{
  GST_INFO_OBJECT (self, "worker %u left", w->id);
  w->member = FALSE;
  update_members (self);
  /* The round may have been waiting for it only. */
  if (self->open_contributions > 0 && round_is_complete (self))
    return close_round (self, FALSE);
  return TRUE;
}

/* Number of body frames each message type has. */
static guint
body_frames_of (KmHubMsgType type)
{
  switch (type) {
    case KM_HUB_MSG_HELLO:
    case KM_HUB_MSG_INIT:
    case KM_HUB_MSG_STATS:
      return 1;
    case KM_HUB_MSG_BYE:
      return 0;
    default:
      return G_MAXUINT;         /* hub -> worker types: not for us */
  }
}

static gboolean
dispatch (GstKMeansHub * self, guint n_frames, gboolean * fatal)
{
  KmHubHeader header;
  GError *err = NULL;
  HubWorker *w;

  *fatal = FALSE;
  if (n_frames < 2 || !km_hub_header_read (zmq_msg_data (&self->frames[1]),
          zmq_msg_size (&self->frames[1]), &header, &err)) {
    GST_DEBUG_OBJECT (self, "message dropped: %s",
        err ? err->message : "no header frame");
    g_clear_error (&err);
    return FALSE;
  }
  if (header.worker == 0 || n_frames - 2 != body_frames_of (header.type)) {
    GST_DEBUG_OBJECT (self, "%s message of worker %u with %u frames dropped",
        km_hub_msg_type_name (header.type), header.worker, n_frames);
    return FALSE;
  }
  w = lookup_worker (self, header.worker, &self->frames[0]);
  switch (header.type) {
    case KM_HUB_MSG_HELLO:
      *fatal = !handle_hello (self, w, &self->frames[2]);
      break;
    case KM_HUB_MSG_INIT:
      *fatal = !handle_init (self, w, &self->frames[2]);
      break;
    case KM_HUB_MSG_STATS:
      *fatal = !handle_stats (self, w, &self->frames[2]);
      break;
    case KM_HUB_MSG_BYE:
      *fatal = !handle_bye (self, w);
      break;
    default:
      break;
  }
  return TRUE;
}

/* Reads and handles the messages that are there.  GST_FLOW_OK when
 * there are no more, or a model is ready to go downstream. */
static GstFlowReturn
handle_messages (GstKMeansHub * self)
{
  GstFlowReturn ret = GST_FLOW_OK;

  while (!self->publish_pending) {
    guint n = 0;
    gsize bytes = 0;
    gboolean too_many, fatal = FALSE;

    if (gst_km_zmq_receive_frames (self->conn.socket, self->frames,
            MAX_FRAMES, &n, &too_many, &bytes) < 0) {
      GST_KM_ZMQ_POST_RECEIVE_ERROR (self, self->conn.last_endpoint, errno);
      ret = GST_FLOW_ERROR;
      break;
    }
    if (n == 0)
      break;
    COUNT (self, bytes_received, bytes);
    if (too_many || !dispatch (self, n, &fatal))
      COUNT (self, dropped, 1);
    if (fatal) {
      ret = GST_FLOW_ERROR;
      break;
    }
  }
  return ret;
}

/* ------------------------------------------------------ downstream */

static gboolean
set_caps_once (GstKMeansHub * self)
{
  GstCaps *caps;
  gboolean ok;

  if (self->caps_set)
    return TRUE;
  caps = gst_caps_new_simple ("application/x-points",
      "format", G_TYPE_STRING, "F32LE", "dimensions", G_TYPE_INT, self->d,
      NULL);
  ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);
  gst_caps_unref (caps);
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream does not take %u-dimensional points.", self->d), (NULL));
    return FALSE;
  }
  self->caps_set = TRUE;
  return TRUE;
}

/* The model event, then its centers as a buffer of points. */
static GstFlowReturn
output_model (GstKMeansHub * self, GstBuffer ** buf)
{
  KmModel *model = self->model;
  gsize size = (gsize) km_model_get_k (model) * km_model_get_d (model) * 4;

  if (!set_caps_once (self))
    return GST_FLOW_NOT_NEGOTIATED;
  /* Held until the buffer below went out after basesrc's segment. */
  gst_km_src_events_send (&self->events, gst_kmeans_model_event_new (model));
  *buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_fill (*buf, 0, km_model_get_centers (model), size);
  GST_BUFFER_OFFSET (*buf) = km_model_get_version (model);
  g_clear_pointer (&self->pushed_model, km_model_unref);
  self->pushed_model = km_model_ref (model);
  self->publish_pending = FALSE;
  gst_km_src_events_buffer_out (&self->events);
  return GST_FLOW_OK;
}

/* Milliseconds to wait for messages: until the open round times out, or
 * its join window ends, or the end of the stream is due. */
static glong
wait_ms (GstKMeansHub * self)
{
  gint64 now = g_get_monotonic_time (), until;

  if (self->eos_at != 0)
    return self->eos_at <=
        now ? 0 : (glong) ((self->eos_at - now + 999) / 1000);

  if (self->open_contributions == 0)
    return -1;
  until = self->round_started + self->timeout_us;
  if (now < self->join_end)
    until = MIN (until, self->join_end);
  return until <= now ? 0 : (glong) ((until - now + 999) / 1000);
}

/* The open round closes now: by its timeout (*timed_out), or complete
 * once the join window is over. */
static gboolean
round_is_due (GstKMeansHub * self, gboolean * timed_out)
{
  *timed_out = FALSE;
  if (self->open_contributions == 0)
    return FALSE;
  if (g_get_monotonic_time () >= self->round_started + self->timeout_us) {
    *timed_out = TRUE;
    return TRUE;
  }
  return round_is_complete (self);
}

static gboolean
rounds_done (GstKMeansHub * self)
{
  guint64 rounds;

  GST_OBJECT_LOCK (self);
  rounds = self->counters.rounds;
  GST_OBJECT_UNLOCK (self);
  return self->active_max_rounds != 0 && rounds >= self->active_max_rounds;
}

/* CPU time of the calling thread: what the hub costs, whatever else the
 * machine runs (waiting in zmq_poll costs none). */
static guint64
thread_cpu_ns (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static GstFlowReturn
run_until_output (GstKMeansHub * self, GstBuffer ** buf)
{
  for (;;) {
    GstFlowReturn ret;
    gboolean timed_out;

    if (self->publish_pending)
      return output_model (self, buf);
    if (rounds_done (self) && self->eos_at == 0)
      self->eos_at = g_get_monotonic_time () + EOS_GRACE_US;
    if (self->eos_at != 0 && g_get_monotonic_time () >= self->eos_at)
      return GST_FLOW_EOS;
    if (self->eos_at == 0 && round_is_due (self, &timed_out)
        && !close_round (self, timed_out))
      return GST_FLOW_ERROR;
    if (self->publish_pending)
      continue;

    switch (gst_km_zmq_wait (self->conn.socket, ZMQ_POLLIN,
            self->conn.cancel_fd, wait_ms (self))) {
      case GST_KM_ZMQ_WAIT_READY:
        ret = handle_messages (self);
        if (ret != GST_FLOW_OK)
          return ret;
        break;
      case GST_KM_ZMQ_WAIT_TIMEOUT:
        break;
      case GST_KM_ZMQ_WAIT_CANCELLED:
        return GST_FLOW_FLUSHING;
      case GST_KM_ZMQ_WAIT_ERROR:
        GST_KM_ZMQ_POST_WAIT_ERROR (self, self->conn.last_endpoint, errno);
        return GST_FLOW_ERROR;
    }
  }
}

static GstFlowReturn
gst_kmeans_hub_create (GstPushSrc * psrc, GstBuffer ** buf)
{
  GstKMeansHub *self = GST_KMEANS_HUB (psrc);
  guint64 started = thread_cpu_ns ();
  GstFlowReturn ret = run_until_output (self, buf);

  COUNT (self, busy_ns, thread_cpu_ns () - started);
  return ret;
}

/* Caps are set once the dimension is known, before the first model. */
static gboolean
gst_kmeans_hub_negotiate (GstBaseSrc * bsrc)
{
  return TRUE;
}

/* ------------------------------------------------------- start, stop */

static void
take_settings (GstKMeansHub * self)
{
  GST_OBJECT_LOCK (self);
  gst_km_zmq_settings_copy (&self->active, &self->settings);
  gst_kmeans_train_settings_copy (&self->train, &self->active_train);
  self->control.mode = self->mode;
  /* With N > 1 a round is one iteration of N batches (§10.1). */
  self->control.sync_interval = self->train.steps_per_sync > 1 ?
      self->train.steps_per_sync : self->sync_interval;
  self->control.max_staleness = self->max_staleness;
  self->control.next_round = 0;
  self->timeout_us = (gint64) self->sync_timeout * 1000;
  self->join_end = g_get_monotonic_time () + (gint64) self->join_window * 1000;
  self->active_max_rounds = self->max_rounds;
  self->active_checkpoint_interval = self->checkpoint_interval;
  memset (&self->counters, 0, sizeof (self->counters));
  g_clear_pointer (&self->shown_model, km_model_unref);
  GST_OBJECT_UNLOCK (self);
}

static gboolean
open_socket (GstKMeansHub * self)
{
  GError *error = NULL;
  gchar *debug = NULL;

  if (self->active.endpoint == NULL || self->active.endpoint[0] == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("kmeans-hub needs an endpoint to bind, e.g. "
            "endpoint=tcp://0.0.0.0:5600."), (NULL));
    return FALSE;
  }
  if (!gst_km_zmq_connection_open (&self->conn, &self->active, ZMQ_ROUTER,
          TRUE, self->cancellable, &error, &debug)) {
    GST_KM_ZMQ_POST_ERROR (self, error, debug);
    g_error_free (error);
    g_free (debug);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  g_free (self->last_endpoint);
  self->last_endpoint = g_strdup (self->conn.last_endpoint);
  self->live_conn = &self->conn;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "%s %s", self->active.bind ? "bound" :
      "connected to", self->conn.last_endpoint);
  return TRUE;
}

static void
reset_stream_state (GstKMeansHub * self)
{
  g_hash_table_remove_all (self->workers);
  g_clear_pointer (&self->trainer, km_trainer_free);
  g_clear_pointer (&self->model, km_model_unref);
  g_clear_pointer (&self->pushed_model, km_model_unref);
  g_clear_pointer (&self->model_record, g_bytes_unref);
  g_clear_pointer (&self->init_points, g_array_unref);
  gst_km_src_events_reset (&self->events);
  self->d = 0;
  self->round_started = 0;
  self->eos_at = 0;
  self->open_contributions = 0;
  self->rounds_since_save = 0;
  self->publish_pending = FALSE;
  self->caps_set = FALSE;
}

static gboolean
gst_kmeans_hub_start (GstBaseSrc * bsrc)
{
  GstKMeansHub *self = GST_KMEANS_HUB (bsrc);
  guint i;

  take_settings (self);
  reset_stream_state (self);
  self->init_points = g_array_new (FALSE, FALSE, sizeof (gfloat));
  if (!gst_kmeans_train_settings_validate (&self->active_train,
          GST_ELEMENT (self)))
    goto failed;
  /* Known before any worker: the property, the checkpoint, given centers.
   * Otherwise the first worker's hello tells. */
  if ((self->dimensions != 0
          || gst_kmeans_train_settings_knows_dimensions (&self->active_train))
      && !create_trainer (self, self->dimensions))
    goto failed;
  if (!open_socket (self))
    goto failed;
  for (i = 0; i < MAX_FRAMES; i++)
    zmq_msg_init (&self->frames[i]);
  return TRUE;

failed:
  reset_stream_state (self);
  gst_km_zmq_settings_clear (&self->active);
  return FALSE;
}

static gboolean
gst_kmeans_hub_stop (GstBaseSrc * bsrc)
{
  GstKMeansHub *self = GST_KMEANS_HUB (bsrc);
  guint i;

  GST_OBJECT_LOCK (self);
  self->rejected_clients = gst_km_zmq_connection_get_rejected (&self->conn);
  self->live_conn = NULL;
  GST_OBJECT_UNLOCK (self);
  for (i = 0; i < MAX_FRAMES; i++)
    zmq_msg_close (&self->frames[i]);
  gst_km_zmq_connection_close (&self->conn);
  reset_stream_state (self);
  gst_km_zmq_settings_clear (&self->active);
  return TRUE;
}

/* Runs on another thread than create(): only signal. */
static gboolean
gst_kmeans_hub_unlock (GstBaseSrc * bsrc)
{
  g_cancellable_cancel (GST_KMEANS_HUB (bsrc)->cancellable);
  return TRUE;
}

static gboolean
gst_kmeans_hub_unlock_stop (GstBaseSrc * bsrc)
{
  g_cancellable_reset (GST_KMEANS_HUB (bsrc)->cancellable);
  return TRUE;
}

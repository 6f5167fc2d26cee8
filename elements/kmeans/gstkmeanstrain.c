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
 * SECTION:element-kmeans-train
 * @title: kmeans-train
 *
 * kmeans-train learns k-means cluster centers from the stream of points
 * that flows through it.  It is a passthrough analyzer, like level: every
 * buffer leaves unchanged (the very same buffer, never copied or written),
 * and the model it trains is published three ways:
 *
 * - in-band, as a sticky serialized custom event named `kmeans-model`
 *   pushed downstream before the first buffer that follows each update
 *   (kmeans-assign and kmeans-score switch model when it reaches them);
 * - in the read-only properties #GstKMeansTrain:centers,
 *   #GstKMeansTrain:counts, #GstKMeansTrain:steps and friends;
 * - in a checkpoint file (#GstKMeansTrain:checkpoint-location) that a later
 *   run resumes from and that kmeans-assign can watch.
 *
 * Training follows TensorFlow's KMeans estimator.  Every
 * #GstKMeansTrain:batch-size points make one mini-batch step (0, the
 * default, makes one step per buffer).  With a batch size B the points
 * are gathered across buffers until B are there; a partial batch left at
 * EOS is trained on as one smaller step.  Random and kmeans++
 * initialisation choose the centers from a sample of the first
 * #GstKMeansTrain:init-size points (by default three first batches),
 * each of #GstKMeansTrain:init-trials runs refined by
 * #GstKMeansTrain:init-refine Lloyd iterations on the sample; the sample
 * is not trained on.  Buffers that arrive before the first model wait in
 * the element and leave right after it, in order, so downstream elements
 * see every point with a model (this delays them by the sample).  The
 * hold happens once, at the start, so it is not reported as latency: in
 * a live pipeline the held buffers reach a synchronising sink late;
 * there init-size=0 shortens the hold to the first batch, and given
 * centers or a checkpoint avoid it.  Given
 * centers
 * (#GstKMeansTrain:initial-centers or
 * #GstKMeansTrain:initial-centers-value) need no batch.
 *
 * When #GstKMeansTrain:checkpoint-location names an existing file, training
 * resumes from it (centers, counts, step, random state) and any given
 * initial centers are ignored; a damaged checkpoint, or one written with
 * other num-clusters, dimensions, distance-metric or mode, is an error and
 * the file is left untouched.  A checkpoint is written every
 * #GstKMeansTrain:checkpoint-interval steps, every
 * #GstKMeansTrain:checkpoint-interval-time of (monotonic) wall time, at EOS
 * and when the element stops, each time only if the model changed since
 * the last write and only once initialisation is complete.  Writing is
 * atomic: a failed write leaves the previous checkpoint intact, and a
 * crash leaves either the previous or the new checkpoint, whole, so it
 * loses at most the steps since the last checkpoint.  The file is created
 * owner-only (mode 0600); a symbolic link at the location is read through
 * when resuming but never written through (the new file replaces the
 * link).
 *
 * Points holding NaN or Inf, and buffers whose size is not a whole number
 * of points, are handled as #GstKMeansTrain:on-bad-input says.  Points come
 * from outside, so by default (`skip`) they are skipped: the first skip
 * posts a warning message, every one is logged and counted in
 * #GstKMeansTrain:skipped-points (and #GstKMeansTrain:skipped-buffers for
 * buffers dropped whole) and in the progress messages, and the stream goes
 * on.  `error` is the strict choice: an error that stops the stream.
 * Either way the buffer itself passes unchanged; a skipped point never
 * reaches the centers.
 *
 * When #GstKMeansTrain:relative-tolerance is met the centers stop changing;
 * the points keep flowing.
 *
 * Raw media are point streams too.  In `video/x-raw` (every RGB and gray
 * format of the video library, packed or planar: RGB, BGRx, GRAY8, RGB16,
 * GBR, ARGB64, GRAY16_LE, ...) every pixel is a point: its R, G, B values
 * (whatever the layout; alpha and padding ignored), or its gray value, as
 * floats on the 0..255 scale (formats deeper than 8 bits divided by 257,
 * so 0xffff is 255), so the centers are colours.  Frames are read through
 * their GstVideoMeta (padded strides, plane offsets) when they have one.
 * In interleaved `audio/x-raw` every audio frame is a point of `channels`
 * dimensions: F32LE as it is, S16LE scaled by 1/32768 to [-1, 1).
 *
 * #GstKMeansTrain:columns makes a point of some values of each record
 * only, so a wide stream (a label and features) needs no element of its
 * own: 0-based indices and inclusive ranges (`1-3,7`), in the order given
 * (`2,0` swaps), none twice; audio channels, or video colour components
 * (R=0, G=1, B=2; gray 0).  The model's dimensions are the number chosen;
 * a NaN in a column left out is no bad input.  A selection the input's
 * caps do not have (a column past the last, one twice) is an error naming
 * the input's columns.  kmeans-assign, -score, -viz and -worker have the
 * same property.
 *
 * ## Messages
 *
 * When #GstKMeansTrain:post-messages is %TRUE, the element posts element
 * messages on the bus.
 *
 * `kmeans-train`, every #GstKMeansTrain:progress-interval steps:
 *
 * - #GstClockTime `timestamp`: the timestamp of the buffer that completed
 *   the step (for the partial batch trained at EOS, the last buffer).
 * - #GstClockTime `stream-time`: the stream time of that buffer.
 * - #GstClockTime `running-time`: the running time of that buffer.
 * - #guint64 `step`: the global training step, counted across resumes.
 * - #gdouble `loss`: the batch loss before the update, the sum of the
 *   distances of the batch's points to their nearest center (squared
 *   Euclidean, or 1 - cos for cosine).
 * - #guint64 `batch-points`: the points in the batch.
 * - #guint64 `points`: the points trained on, counted across resumes.
 * - #guint64 `skipped-points`: the points skipped as bad input since the
 *   element started (#GstKMeansTrain:skipped-points).
 * - #guint64 `skipped-buffers`: the buffers among them dropped whole
 *   (#GstKMeansTrain:skipped-buffers).
 * - #guint64 `model-version`: the version of the model after the update.
 * - #guint64 `reassignments`: the starved centers moved so far
 *   (#GstKMeansTrain:reassignments).
 *
 * `kmeans-reassigned`, after a step that moved starved centers
 * (#GstKMeansTrain:reassignment-ratio):
 *
 * - #guint64 `step`: the step.
 * - #guint `centers`: the centers it moved.
 * - #guint64 `reassignments`: the centers moved so far, counted across
 *   resumes.
 *
 * `kmeans-initialized`, once the initial centers are chosen or given:
 *
 * - #guint64 `step`: the global step (0 unless resumed).
 * - #guint `clusters`: k.
 * - #guint `dimensions`: d.
 *
 * `kmeans-checkpoint`, after each checkpoint written:
 *
 * - #gchararray `location`: the file written.
 * - #guint64 `step`: the global step saved.
 * - #guint64 `model-version`: the model version saved.
 * - #GstClockTime `running-time`: the running time of the last buffer
 *   (#GST_CLOCK_TIME_NONE when written on stop).
 *
 * `kmeans-converged`, once, when the relative tolerance is met:
 *
 * - #guint64 `step`: the step that met it.
 * - #gdouble `loss`: its batch loss.
 * - #gdouble `relative-change`: |loss - previous loss| / (1 + |previous
 *   loss|), the previous loss coming from the checkpoint on the first
 *   step after a resume.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m kmeans-testsrc num-buffers=100 ! kmeans-train num-clusters=4 checkpoint-location=/tmp/km.ckpt ! fakesink
 * ]| trains four centers on synthetic points, prints the progress messages
 * and leaves the model in /tmp/km.ckpt; running it again resumes from there.
 * |[
 * gst-launch-1.0 filesrc location=pts.f32 blocksize=800 ! application/x-points,format=F32LE,dimensions=2 ! kmeans-train num-clusters=3 init=kmeans++ batch-size=256 ! fakesink
 * ]| trains on a file of raw little-endian float32 pairs.
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=5 ! video/x-raw,format=RGBx,width=160,height=120 ! kmeans-train num-clusters=8 init=kmeans++ ! fakesink
 * ]| learns the eight main colours of a test pattern: every pixel is a
 * 3-D point.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

#include "gstkmeanstrain.h"
#include "kmeanselements.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_train_debug);
#define GST_CAT_DEFAULT gst_kmeans_train_debug

#define MAX_BATCH_SIZE (1u << 24)

#define DEFAULT_BATCH_SIZE 0
/* Points come from outside: a bad one is skipped and counted, not fatal. */
#define DEFAULT_ON_BAD_INPUT GST_KMEANS_ON_BAD_INPUT_SKIP
#define DEFAULT_CHECKPOINT_INTERVAL 100
#define DEFAULT_CHECKPOINT_INTERVAL_TIME (600 * GST_SECOND)
#define DEFAULT_POST_MESSAGES TRUE
#define DEFAULT_PROGRESS_INTERVAL 10

enum
{
  PROP_0,
  /* num-clusters .. checkpoint-location: GstKMeansTrainProp from here */
  PROP_TRAIN_SETTINGS,
  PROP_BATCH_SIZE = PROP_TRAIN_SETTINGS + GST_KMEANS_TRAIN_N_PROPS,
  PROP_ON_BAD_INPUT,
  PROP_CHECKPOINT_INTERVAL,
  PROP_CHECKPOINT_INTERVAL_TIME,
  PROP_POST_MESSAGES,
  PROP_PROGRESS_INTERVAL,
  PROP_CENTERS,
  PROP_COUNTS,
  PROP_STEPS,
  PROP_MODEL_VERSION,
  PROP_POINTS,
  PROP_CONVERGED,
  PROP_SKIPPED_POINTS,
  PROP_SKIPPED_BUFFERS,
  PROP_COLUMNS,
  PROP_REASSIGNMENTS
};

/* Settings the streaming thread may re-read for every buffer. */
typedef struct
{
  GstKMeansOnBadInput on_bad_input;
  gboolean post_messages;
  guint progress_interval;
  guint checkpoint_interval;
  GstClockTime checkpoint_interval_time;
} LiveSettings;

struct _GstKMeansTrain
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  GstKMeansTrainSettings settings;
  guint batch_size;
  LiveSettings live;
  gchar *columns;

  /* read-only state, under the object lock */
  KmModel *model;               /* newest snapshot, NULL before init */
  guint64 steps;
  guint64 points;
  gboolean converged;
  guint64 skipped_points;
  guint64 skipped_buffers;
  guint64 reassignments;

  /* streaming state, set up in start() and on caps */
  GstKMeansTrainSettings snapshot;      /* the settings at start */
  KmConfig cfg;                 /* the trainer's, or the snapshot's before */
  guint batch_rows;             /* snapshot of batch-size */
  gboolean trainer_from_caps;   /* created on caps, may be recreated */
  gboolean fed;                 /* the trainer has seen points */
  KmTrainer *trainer;
  GstKMeansPointsInfo info;
  gboolean have_info;
  GstKMeansPointsReader reader;
  gfloat *batch;                /* batch_rows x d rows being gathered */
  gsize batch_fill;
  KmModel *pushed_model;        /* last model sent downstream */
  GQueue held;                  /* buffers before the first model */
  gboolean dirty;               /* changed since the last checkpoint */
  guint steps_since_save;
  gint64 last_save_us;
  guint64 points_trained;
  guint64 points_skipped;
  guint64 buffers_skipped;
  gboolean warned_bad_input;    /* the first skip posted a warning */
  GstClockTime timestamp;       /* of the buffer being handled */
  GstClockTime stream_time;
  GstClockTime running_time;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

#define gst_kmeans_train_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansTrain, gst_kmeans_train,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_train_debug, "kmeans-train", 0,
        "streaming k-means training"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_train, "kmeans-train", GST_RANK_NONE,
    GST_TYPE_KMEANS_TRAIN);

static void gst_kmeans_train_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_train_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_kmeans_train_finalize (GObject * object);

static gboolean gst_kmeans_train_start (GstBaseTransform * trans);
static gboolean gst_kmeans_train_stop (GstBaseTransform * trans);
static gboolean gst_kmeans_train_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_kmeans_train_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_kmeans_train_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void
gst_kmeans_train_class_init (GstKMeansTrainClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_kmeans_train_set_property;
  gobject_class->get_property = gst_kmeans_train_get_property;
  gobject_class->finalize = gst_kmeans_train_finalize;

  gst_kmeans_train_settings_install (gobject_class, PROP_TRAIN_SETTINGS, NULL);

  /**
   * GstKMeansTrain:batch-size:
   *
   * Points per training step.  0 makes one step per buffer, whatever its
   * size.  Otherwise points are gathered across buffers until a batch is
   * full; the partial batch left at EOS is trained on as one smaller step.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "Points per training step (0 = one step per buffer); a partial "
          "batch at EOS is trained on too", 0, MAX_BATCH_SIZE,
          DEFAULT_BATCH_SIZE, rw | GST_PARAM_MUTABLE_READY));

  gst_kmeans_columns_install_property (gobject_class, PROP_COLUMNS);

  g_object_class_install_property (gobject_class, PROP_ON_BAD_INPUT,
      g_param_spec_enum ("on-bad-input", "On bad input",
          "What to do with points holding NaN/Inf and with buffers that are "
          "not a whole number of points: skip them (counted in "
          "skipped-points, the first with a warning) or post an error that "
          "stops the stream", GST_TYPE_KMEANS_ON_BAD_INPUT,
          DEFAULT_ON_BAD_INPUT, rw | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_CHECKPOINT_INTERVAL,
      g_param_spec_uint ("checkpoint-interval", "Checkpoint interval",
          "Training steps between checkpoints (0 = not by steps)", 0,
          G_MAXUINT, DEFAULT_CHECKPOINT_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class,
      PROP_CHECKPOINT_INTERVAL_TIME, g_param_spec_uint64
      ("checkpoint-interval-time", "Checkpoint interval time",
          "Nanoseconds of wall time between checkpoints (0 = not by time)",
          0, G_MAXUINT64, DEFAULT_CHECKPOINT_INTERVAL_TIME,
          rw | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post kmeans-train, kmeans-initialized, kmeans-checkpoint and "
          "kmeans-converged element messages on the bus",
          DEFAULT_POST_MESSAGES, rw | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_PROGRESS_INTERVAL,
      g_param_spec_uint ("progress-interval", "Progress interval",
          "Training steps between kmeans-train progress messages", 1,
          G_MAXUINT, DEFAULT_PROGRESS_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstKMeansTrain:centers:
   *
   * The current centers, a #GstValueArray of k rows, each a #GstValueArray
   * of d doubles; empty before initialisation.  For cosine with
   * mini-batch and steps-per-sync=1 the stored centers are not unit length
   * (TensorFlow's convention); assignment normalises them.
   */
  g_object_class_install_property (gobject_class, PROP_CENTERS,
      gst_kmeans_centers_param_spec ("centers", "Centers",
          "Current centers: k rows of d doubles (empty before "
          "initialisation)", ro));

  g_object_class_install_property (gobject_class, PROP_COUNTS,
      gst_param_spec_array ("counts", "Counts",
          "Per-center counts of the current model: the (decayed) weights in "
          "mini-batch, the last batch's cluster sizes in full batch (empty "
          "before initialisation)",
          g_param_spec_double ("count", "Count", "Weight of one center",
              -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, ro), ro));

  g_object_class_install_property (gobject_class, PROP_STEPS,
      g_param_spec_uint64 ("steps", "Steps",
          "Training steps made, counted across resumes", 0, G_MAXUINT64, 0,
          ro));

  g_object_class_install_property (gobject_class, PROP_MODEL_VERSION,
      g_param_spec_uint64 ("model-version", "Model version",
          "Version of the current model, one more with every update "
          "(0 before initialisation)", 0, G_MAXUINT64, 0, ro));

  g_object_class_install_property (gobject_class, PROP_POINTS,
      g_param_spec_uint64 ("points", "Points",
          "Points trained on, counted across resumes (points used for "
          "initialisation excluded)", 0, G_MAXUINT64, 0, ro));

  g_object_class_install_property (gobject_class, PROP_REASSIGNMENTS,
      g_param_spec_uint64 ("reassignments", "Reassignments",
          "Starved centers moved to a point by reassignment-ratio, counted "
          "across resumes", 0, G_MAXUINT64, 0, ro));

  g_object_class_install_property (gobject_class, PROP_CONVERGED,
      g_param_spec_boolean ("converged", "Converged",
          "Whether the relative tolerance was met and updates stopped",
          FALSE, ro));

  g_object_class_install_property (gobject_class, PROP_SKIPPED_POINTS,
      g_param_spec_uint64 ("skipped-points", "Skipped points",
          "Points dropped by on-bad-input=skip (the default): those holding "
          "NaN/Inf, plus every point (the partial one included) of buffers "
          "dropped for not holding whole points", 0, G_MAXUINT64, 0, ro));

  g_object_class_install_property (gobject_class, PROP_SKIPPED_BUFFERS,
      g_param_spec_uint64 ("skipped-buffers", "Skipped buffers",
          "Buffers dropped whole by on-bad-input=skip because their size "
          "is not a whole number of points", 0, G_MAXUINT64, 0, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "K-means trainer",
      "Filter/Analyzer",
      "Trains k-means cluster centers on a stream of points, passing the "
      "points through and sending the model downstream",
      "gst-kmeans developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_train_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_train_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_kmeans_train_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_kmeans_train_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_kmeans_train_transform_ip);
  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = TRUE;

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_train_init (GstKMeansTrain * self)
{
  gst_kmeans_train_settings_init (&self->settings);
  gst_kmeans_train_settings_init (&self->snapshot);
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->live.on_bad_input = DEFAULT_ON_BAD_INPUT;
  self->live.post_messages = DEFAULT_POST_MESSAGES;
  self->live.progress_interval = DEFAULT_PROGRESS_INTERVAL;
  self->live.checkpoint_interval = DEFAULT_CHECKPOINT_INTERVAL;
  self->live.checkpoint_interval_time = DEFAULT_CHECKPOINT_INTERVAL_TIME;

  gst_kmeans_points_reader_init (&self->reader);
  g_queue_init (&self->held);

  /* An analyzer: buffers go through untouched. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_kmeans_train_finalize (GObject * object)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (object);

  gst_kmeans_train_settings_clear (&self->settings);
  gst_kmeans_train_settings_clear (&self->snapshot);
  g_clear_pointer (&self->model, km_model_unref);
  g_clear_pointer (&self->pushed_model, km_model_unref);
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_buffer_unref);
  g_clear_pointer (&self->trainer, km_trainer_free);
  g_free (self->batch);
  g_free (self->columns);
  gst_kmeans_points_reader_clear (&self->reader);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_kmeans_train_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (object);

  GST_OBJECT_LOCK (self);
  if (gst_kmeans_train_settings_set_property (&self->settings,
          PROP_TRAIN_SETTINGS, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint (value);
      break;
    case PROP_ON_BAD_INPUT:
      self->live.on_bad_input = g_value_get_enum (value);
      break;
    case PROP_CHECKPOINT_INTERVAL:
      self->live.checkpoint_interval = g_value_get_uint (value);
      break;
    case PROP_CHECKPOINT_INTERVAL_TIME:
      self->live.checkpoint_interval_time = g_value_get_uint64 (value);
      break;
    case PROP_POST_MESSAGES:
      self->live.post_messages = g_value_get_boolean (value);
      break;
    case PROP_PROGRESS_INTERVAL:
      self->live.progress_interval = g_value_get_uint (value);
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
gst_kmeans_train_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (object);
  KmModel *model;

  /* The model is immutable: hold a ref and build big values unlocked. */
  switch (prop_id) {
    case PROP_CENTERS:
      GST_OBJECT_LOCK (self);
      model = self->model ? km_model_ref (self->model) : NULL;
      GST_OBJECT_UNLOCK (self);
      if (model) {
        gst_kmeans_value_set_centers (value, km_model_get_centers (model),
            km_model_get_k (model), km_model_get_d (model));
        km_model_unref (model);
      }
      return;
    case PROP_COUNTS:
      GST_OBJECT_LOCK (self);
      model = self->model ? km_model_ref (self->model) : NULL;
      GST_OBJECT_UNLOCK (self);
      if (model && km_model_get_counts (model))
        gst_kmeans_value_set_doubles (value, km_model_get_counts (model),
            km_model_get_k (model));
      g_clear_pointer (&model, km_model_unref);
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  if (gst_kmeans_train_settings_get_property (&self->settings,
          PROP_TRAIN_SETTINGS, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_ON_BAD_INPUT:
      g_value_set_enum (value, self->live.on_bad_input);
      break;
    case PROP_CHECKPOINT_INTERVAL:
      g_value_set_uint (value, self->live.checkpoint_interval);
      break;
    case PROP_CHECKPOINT_INTERVAL_TIME:
      g_value_set_uint64 (value, self->live.checkpoint_interval_time);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->live.post_messages);
      break;
    case PROP_PROGRESS_INTERVAL:
      g_value_set_uint (value, self->live.progress_interval);
      break;
    case PROP_COLUMNS:
      g_value_set_string (value, self->columns);
      break;
    case PROP_STEPS:
      g_value_set_uint64 (value, self->steps);
      break;
    case PROP_MODEL_VERSION:
      g_value_set_uint64 (value,
          self->model ? km_model_get_version (self->model) : 0);
      break;
    case PROP_POINTS:
      g_value_set_uint64 (value, self->points);
      break;
    case PROP_REASSIGNMENTS:
      g_value_set_uint64 (value, self->reassignments);
      break;
    case PROP_CONVERGED:
      g_value_set_boolean (value, self->converged);
      break;
    case PROP_SKIPPED_POINTS:
      g_value_set_uint64 (value, self->skipped_points);
      break;
    case PROP_SKIPPED_BUFFERS:
      g_value_set_uint64 (value, self->skipped_buffers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------ messages */

static void
post_structure (GstKMeansTrain * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
post_initialized (GstKMeansTrain * self, const LiveSettings * live)
{
  const KmConfig *cfg = km_trainer_get_config (self->trainer);

  GST_INFO_OBJECT (self, "initialised %u centers of %u dimensions at step %"
      G_GUINT64_FORMAT, cfg->k, cfg->d, km_trainer_get_step (self->trainer));
  if (!live->post_messages)
    return;
  post_structure (self, gst_structure_new ("kmeans-initialized",
          "step", G_TYPE_UINT64, km_trainer_get_step (self->trainer),
          "clusters", G_TYPE_UINT, cfg->k,
          "dimensions", G_TYPE_UINT, cfg->d, NULL));
}

static void
post_progress (GstKMeansTrain * self, const KmStepInfo * info, guint64 version)
{
  post_structure (self, gst_structure_new ("kmeans-train",
          "timestamp", G_TYPE_UINT64, self->timestamp,
          "stream-time", G_TYPE_UINT64, self->stream_time,
          "running-time", G_TYPE_UINT64, self->running_time,
          "step", G_TYPE_UINT64, info->step,
          "loss", G_TYPE_DOUBLE, info->loss,
          "batch-points", G_TYPE_UINT64, (guint64) info->num_points,
          "points", G_TYPE_UINT64, self->points_trained,
          "skipped-points", G_TYPE_UINT64, self->points_skipped,
          "skipped-buffers", G_TYPE_UINT64, self->buffers_skipped,
          "model-version", G_TYPE_UINT64, version,
          "reassignments", G_TYPE_UINT64,
          km_trainer_get_reassignments (self->trainer), NULL));
}

static void
post_reassigned (GstKMeansTrain * self, const KmStepInfo * info,
    const LiveSettings * live)
{
  guint64 total = km_trainer_get_reassignments (self->trainer);

  GST_DEBUG_OBJECT (self, "step %" G_GUINT64_FORMAT ": %u starved centers "
      "moved to points of the batch (%" G_GUINT64_FORMAT " so far)",
      info->step, info->reassigned, total);
  if (!live->post_messages)
    return;
  post_structure (self, gst_structure_new ("kmeans-reassigned",
          "step", G_TYPE_UINT64, info->step,
          "centers", G_TYPE_UINT, info->reassigned,
          "reassignments", G_TYPE_UINT64, total, NULL));
}

static void
post_converged (GstKMeansTrain * self, const KmStepInfo * info,
    gdouble relative_change, const LiveSettings * live)
{
  GST_INFO_OBJECT (self, "converged at step %" G_GUINT64_FORMAT
      ": loss %g, relative change %g below the tolerance; the centers stay "
      "as they are", info->step, info->loss, relative_change);
  if (!live->post_messages)
    return;
  post_structure (self, gst_structure_new ("kmeans-converged",
          "step", G_TYPE_UINT64, info->step,
          "loss", G_TYPE_DOUBLE, info->loss,
          "relative-change", G_TYPE_DOUBLE, relative_change, NULL));
}

/* ---------------------------------------------------------- checkpoint */

static guint64
trainer_model_version (GstKMeansTrain * self)
{
  KmModel *model = km_trainer_get_model (self->trainer);
  guint64 version = 0;

  if (model) {
    version = km_model_get_version (model);
    km_model_unref (model);
  }
  return version;
}

/* Saves when there is something new to save; FALSE after posting an error. */
static gboolean
save_checkpoint (GstKMeansTrain * self, gboolean post_messages,
    GstClockTime running_time)
{
  const gchar *location = self->snapshot.checkpoint_location;
  GError *err = NULL;
  guint64 step, version;

  if (!location || !self->trainer || !self->dirty)
    return TRUE;
  /* A checkpoint must hold a usable model: wait for initialisation. */
  if (!km_trainer_is_initialized (self->trainer))
    return TRUE;

  if (!km_trainer_save (self->trainer, location, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write the k-means checkpoint \"%s\".", location),
        ("km_trainer_save failed: %s", err->message));
    g_error_free (err);
    return FALSE;
  }

  self->dirty = FALSE;
  self->steps_since_save = 0;
  self->last_save_us = g_get_monotonic_time ();
  step = km_trainer_get_step (self->trainer);
  version = trainer_model_version (self);
  GST_DEBUG_OBJECT (self, "checkpoint at step %" G_GUINT64_FORMAT
      " written to %s", step, location);

  if (post_messages) {
    post_structure (self, gst_structure_new ("kmeans-checkpoint",
            "location", G_TYPE_STRING, location,
            "step", G_TYPE_UINT64, step,
            "model-version", G_TYPE_UINT64, version,
            "running-time", G_TYPE_UINT64, running_time, NULL));
  }
  return TRUE;
}

static gboolean
checkpoint_time_is_due (GstKMeansTrain * self, const LiveSettings * live)
{
  gint64 elapsed_us;

  if (live->checkpoint_interval_time == 0 || !self->dirty)
    return FALSE;
  elapsed_us = g_get_monotonic_time () - self->last_save_us;
  return (guint64) elapsed_us >= live->checkpoint_interval_time / GST_USECOND;
}

/* -------------------------------------------------------- publication */

/* Refreshes the read-only properties from the trainer; returns the
 * current model (a new ref, NULL before initialisation). */
static KmModel *
refresh_properties (GstKMeansTrain * self)
{
  KmModel *model = NULL, *old;
  guint64 steps = 0;
  gboolean converged = FALSE;

  if (self->trainer) {
    model = km_trainer_get_model (self->trainer);
    steps = km_trainer_get_step (self->trainer);
    converged = km_trainer_is_converged (self->trainer);
  }

  GST_OBJECT_LOCK (self);
  old = self->model;
  self->model = model ? km_model_ref (model) : NULL;
  self->steps = steps;
  self->points = self->points_trained;
  self->reassignments = self->trainer ?
      km_trainer_get_reassignments (self->trainer) : 0;
  self->converged = converged;
  self->skipped_points = self->points_skipped;
  self->skipped_buffers = self->buffers_skipped;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&old, km_model_unref);

  return model;
}

/* Refreshes the properties and, when the model changed, sends it
 * downstream; called from the streaming thread before the buffer (or
 * EOS) it applies to leaves. */
static void
publish_model (GstKMeansTrain * self)
{
  KmModel *model = refresh_properties (self);

  if (model && model != self->pushed_model) {
    GST_LOG_OBJECT (self, "sending model version %" G_GUINT64_FORMAT
        " downstream", km_model_get_version (model));
    if (!gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
            gst_kmeans_model_event_new (model)))
      GST_DEBUG_OBJECT (self, "downstream did not take the model event");
    g_clear_pointer (&self->pushed_model, km_model_unref);
    self->pushed_model = km_model_ref (model);
  }
  g_clear_pointer (&model, km_model_unref);
}

/* ------------------------------------------------------------ training */

static gboolean
report_feed_error (GstKMeansTrain * self, GError * err, gsize n)
{
  if (!err)
    err = g_error_new_literal (KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "no reason given");
  if (g_error_matches (err, KM_ERROR, KM_ERROR_BATCH_TOO_SMALL)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("kmeans++ initialisation needs at least %u points in its first "
            "batch but got %" G_GSIZE_FORMAT "; raise batch-size or use "
            "init=random.", self->cfg.k, n), ("%s", err->message));
  } else {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("k-means training failed on a batch of %" G_GSIZE_FORMAT
            " points.", n), ("km_trainer_feed: %s", err->message));
  }
  g_error_free (err);
  return FALSE;
}

static void
on_step (GstKMeansTrain * self, const KmStepInfo * info, gboolean converged,
    const LiveSettings * live)
{
  self->points_trained = km_trainer_get_points (self->trainer);
  self->dirty = TRUE;
  self->steps_since_save++;

  GST_LOG_OBJECT (self, "step %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT
      " points, loss %g", info->step, info->num_points, info->loss);

  if (info->reassigned > 0)
    post_reassigned (self, info, live);
  if (live->post_messages && info->step % live->progress_interval == 0)
    post_progress (self, info, trainer_model_version (self));

  /* The trainer's relative change: from the saved loss after a resume. */
  if (converged)
    post_converged (self, info, info->relative_change, live);
}

/* One km_trainer_feed() and its consequences; FALSE after an error. */
static gboolean
feed_batch (GstKMeansTrain * self, const gfloat * rows, gsize n,
    const LiveSettings * live)
{
  KmStepInfo info = { 0, };
  GError *err = NULL;
  KmFeedResult res;

  res = km_trainer_feed (self->trainer, rows, n, &info, &err);
  switch (res) {
    case KM_FEED_INIT:
      GST_DEBUG_OBJECT (self, "%" G_GSIZE_FORMAT " points used for "
          "initialisation, %u of %u centers chosen", n,
          info.initialized_centers, self->cfg.k);
      if (km_trainer_is_initialized (self->trainer)) {
        self->dirty = TRUE;
        post_initialized (self, live);
      }
      return TRUE;
    case KM_FEED_TRAINED:
      on_step (self, &info, FALSE, live);
      break;
    case KM_FEED_CONVERGED:
      on_step (self, &info, TRUE, live);
      break;
    case KM_FEED_SKIPPED:
      GST_LOG_OBJECT (self, "converged: %" G_GSIZE_FORMAT " points not "
          "trained on", n);
      return TRUE;
    case KM_FEED_ERROR:
    default:
      return report_feed_error (self, err, n);
  }

  if (live->checkpoint_interval > 0
      && self->steps_since_save >= live->checkpoint_interval)
    return save_checkpoint (self, live->post_messages, self->running_time);
  return TRUE;
}

/* Feeds @n rows, one step per buffer or per batch-size rows.  Full
 * batches are fed straight from @rows; only the remainder is copied. */
static gboolean
consume_rows (GstKMeansTrain * self, const gfloat * rows, gsize n,
    const LiveSettings * live)
{
  const gsize d = self->cfg.d;
  const gsize b = self->batch_rows;

  if (n > 0)
    self->fed = TRUE;
  if (b == 0)
    return n == 0 || feed_batch (self, rows, n, live);

  while (n > 0) {
    gsize take;

    if (self->batch_fill == 0 && n >= b) {
      if (!feed_batch (self, rows, b, live))
        return FALSE;
      rows += b * d;
      n -= b;
      continue;
    }
    take = MIN (b - self->batch_fill, n);
    memcpy (self->batch + self->batch_fill * d, rows,
        take * d * sizeof (gfloat));
    self->batch_fill += take;
    rows += take * d;
    n -= take;
    if (self->batch_fill == b) {
      self->batch_fill = 0;
      if (!feed_batch (self, self->batch, b, live))
        return FALSE;
    }
  }
  return TRUE;
}

/* ---------------------------------------------------------- bad input */

/* Applies the bad-input policy to what the reader reported: an error, or
 * the bad points (a partial-row buffer: all of it) counted and dropped. */
static GstFlowReturn
handle_bad_input (GstKMeansTrain * self, const LiveSettings * live,
    GstKMeansReadStatus status, gsize size)
{
  guint64 skipped;

  if (!gst_kmeans_points_report_bad (GST_ELEMENT (self), &self->reader,
          &self->info, status, size, live->on_bad_input,
          &self->warned_bad_input, &skipped))
    return GST_FLOW_ERROR;

  if (status == GST_KMEANS_READ_PARTIAL_ROW)
    self->buffers_skipped++;
  self->points_skipped += skipped;
  return GST_FLOW_OK;
}

/* ---------------------------------------------------------- streaming */

static void
take_live_settings (GstKMeansTrain * self, LiveSettings * live)
{
  GST_OBJECT_LOCK (self);
  *live = self->live;
  GST_OBJECT_UNLOCK (self);
}

static void
note_buffer_times (GstKMeansTrain * self, GstBuffer * buf)
{
  const GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  GstClockTime ts = GST_BUFFER_PTS (buf);

  self->timestamp = ts;
  self->stream_time = self->running_time = GST_CLOCK_TIME_NONE;
  if (segment->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (ts)) {
    self->stream_time =
        gst_segment_to_stream_time (segment, GST_FORMAT_TIME, ts);
    self->running_time =
        gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
  }
}

/* Sends the buffers held before the first model, in order, after it. */
static GstFlowReturn
push_held (GstKMeansTrain * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *held;

  if (!g_queue_is_empty (&self->held))
    GST_DEBUG_OBJECT (self, "sending the %u buffers held for the first model",
        g_queue_get_length (&self->held));
  while ((held = g_queue_pop_head (&self->held)) != NULL) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), held);
    else
      gst_buffer_unref (held);
  }
  return ret;
}

/* Until the trainer has a model, buffers wait for it: downstream then
 * assigns every point, also those of an init sample of several batches. */
static GstFlowReturn
hold_until_initialized (GstKMeansTrain * self, GstBuffer * buf)
{
  if (!km_trainer_is_initialized (self->trainer)) {
    g_queue_push_tail (&self->held, gst_buffer_ref (buf));
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  return push_held (self);
}

static GstFlowReturn
gst_kmeans_train_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (trans);
  GstKMeansReadStatus status = GST_KMEANS_READ_OK;
  GstFlowReturn ret = GST_FLOW_OK;
  LiveSettings live;
  const gfloat *rows;
  gsize n = 0;
  GstMapInfo map;

  if (G_UNLIKELY (!self->trainer || !self->have_info))
    return GST_FLOW_NOT_NEGOTIATED;

  take_live_settings (self, &live);
  note_buffer_times (self, buf);

  if (!gst_kmeans_points_map_buffer (&self->info, buf, &map)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map buffer %" GST_PTR_FORMAT " for reading", buf));
    return GST_FLOW_ERROR;
  }

  rows = gst_kmeans_points_read_buffer (&self->reader, &self->info, buf,
      &map, &n, &status);
  if (status != GST_KMEANS_READ_OK)
    ret = handle_bad_input (self, &live, status, map.size);

  if (ret == GST_FLOW_OK && status != GST_KMEANS_READ_PARTIAL_ROW
      && !consume_rows (self, rows, n, &live))
    ret = GST_FLOW_ERROR;
  gst_buffer_unmap (buf, &map);

  if (ret == GST_FLOW_OK && checkpoint_time_is_due (self, &live)
      && !save_checkpoint (self, live.post_messages, self->running_time))
    ret = GST_FLOW_ERROR;

  /* Before returning, so the event precedes this buffer downstream. */
  publish_model (self);
  if (ret == GST_FLOW_OK)
    ret = hold_until_initialized (self, buf);
  return ret;
}

/* A stream shorter than init-size is initialised from what it gathered;
 * FALSE after posting an error. */
static gboolean
flush_init_sample (GstKMeansTrain * self, const LiveSettings * live)
{
  GError *err = NULL;

  if (km_trainer_is_initialized (self->trainer))
    return TRUE;
  if (!km_trainer_flush_init (self->trainer, &err))
    return report_feed_error (self, err, 0);
  if (km_trainer_is_initialized (self->trainer)) {
    GST_DEBUG_OBJECT (self, "EOS: initialised from the points gathered for "
        "init-size");
    self->dirty = TRUE;
    post_initialized (self, live);
  }
  return TRUE;
}

/* Trains on what is left of the last batch and saves, before EOS leaves. */
static void
finish_stream (GstKMeansTrain * self)
{
  LiveSettings live;

  if (!self->trainer)
    return;

  /* The partial batch reports the times of the last buffer it holds. */
  take_live_settings (self, &live);
  if (self->batch_fill > 0) {
    gsize fill = self->batch_fill;

    GST_DEBUG_OBJECT (self, "EOS: training on the last %" G_GSIZE_FORMAT
        " points as a partial batch", fill);
    self->batch_fill = 0;
    if (!feed_batch (self, self->batch, fill, &live))
      goto done;
  }
  if (!flush_init_sample (self, &live))
    goto done;
  save_checkpoint (self, live.post_messages, self->running_time);

done:
  publish_model (self);
  /* With a model or, if initialisation failed, without one: never lost. */
  push_held (self);
}

static gboolean
gst_kmeans_train_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    finish_stream (self);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    g_queue_clear_full (&self->held, (GDestroyNotify) gst_buffer_unref);
  else if (GST_EVENT_IS_SERIALIZED (event))
    /* Held buffers keep their place before a caps or segment change. */
    push_held (self);

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ---------------------------------------------------------------- caps */

static gboolean
allocate_batch (GstKMeansTrain * self)
{
  guint64 floats = (guint64) self->batch_rows * self->cfg.d;

  g_clear_pointer (&self->batch, g_free);
  self->batch_fill = 0;
  if (self->batch_rows == 0)
    return TRUE;

  if (floats > KM_MAX_MODEL_FLOATS)
    goto too_large;
  self->batch = g_try_new (gfloat, floats);
  if (!self->batch)
    goto too_large;
  return TRUE;

too_large:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("batch-size %u is too large for %u-dimensional points.",
            self->batch_rows, self->cfg.d),
        ("batch-size x dimensions = %" G_GUINT64_FORMAT " floats: above "
            "the limit of %" G_GUINT64_FORMAT " or out of memory", floats,
            KM_MAX_MODEL_FLOATS));
    return FALSE;
  }
}

/* The trainer is made from the settings: the config follows it. */
static void
use_trainer (GstKMeansTrain * self, KmTrainer * trainer)
{
  g_clear_pointer (&self->trainer, km_trainer_free);
  self->trainer = trainer;
  self->cfg = *km_trainer_get_config (trainer);
  /* Restored from a checkpoint, 0 otherwise. */
  self->points_trained = km_trainer_get_points (trainer);
}

static gboolean
gst_kmeans_train_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (trans);
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

  if (self->trainer && info.dimensions != self->cfg.d) {
    if (!self->trainer_from_caps || self->fed) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("Points have %u dimensions but the model has %u.",
              info.dimensions, self->cfg.d),
          ("new caps %" GST_PTR_FORMAT " refused: the dimensions of a "
              "model cannot change mid-stream", incaps));
      return FALSE;
    }
    g_clear_pointer (&self->trainer, km_trainer_free);
    g_clear_pointer (&self->batch, g_free);
  }

  if (!self->trainer) {
    KmTrainer *trainer = gst_kmeans_train_settings_new_trainer
        (&self->snapshot, GST_ELEMENT (self), info.dimensions);

    if (!trainer)
      return FALSE;
    use_trainer (self, trainer);
    self->trainer_from_caps = TRUE;
  }
  if (!self->batch && self->batch_rows > 0 && !allocate_batch (self))
    return FALSE;

  GST_DEBUG_OBJECT (self, "%u-dimensional %s points%s", info.dimensions,
      gst_kmeans_points_info_format_name (&info),
      info.is_tensors ? " (tensors)" : "");
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

/* ----------------------------------------------------------- start/stop */

static void
take_settings (GstKMeansTrain * self)
{
  GST_OBJECT_LOCK (self);
  gst_kmeans_train_settings_copy (&self->settings, &self->snapshot);
  self->batch_rows = self->batch_size;
  GST_OBJECT_UNLOCK (self);
  gst_kmeans_train_settings_to_config (&self->snapshot, 0, &self->cfg);
}

/* A checkpoint to resume or given centers: the trainer is made now, its
 * dimensions those of the model. */
static gboolean
start_trainer (GstKMeansTrain * self)
{
  gboolean resumed = FALSE;
  LiveSettings live;
  KmTrainer *trainer;

  trainer = gst_kmeans_train_settings_create_trainer (&self->snapshot,
      GST_ELEMENT (self), 0, &resumed);
  if (!trainer)
    return FALSE;
  use_trainer (self, trainer);

  if (resumed) {
    GST_INFO_OBJECT (self, "resumed from %s at step %" G_GUINT64_FORMAT,
        self->snapshot.checkpoint_location,
        km_trainer_get_step (self->trainer));
    return TRUE;
  }
  take_live_settings (self, &live);
  post_initialized (self, &live);
  self->dirty = TRUE;
  return TRUE;
}

static void
reset_stream_state (GstKMeansTrain * self)
{
  g_clear_pointer (&self->trainer, km_trainer_free);
  g_clear_pointer (&self->pushed_model, km_model_unref);
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_buffer_unref);
  g_clear_pointer (&self->batch, g_free);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_kmeans_points_reader_init (&self->reader);
  self->batch_fill = 0;
  self->have_info = FALSE;
  self->trainer_from_caps = FALSE;
  self->fed = FALSE;
  self->dirty = FALSE;
  self->steps_since_save = 0;
  self->last_save_us = g_get_monotonic_time ();
  self->points_trained = 0;
  self->points_skipped = 0;
  self->buffers_skipped = 0;
  self->warned_bad_input = FALSE;
  self->timestamp = self->stream_time = self->running_time =
      GST_CLOCK_TIME_NONE;
}

static gboolean
gst_kmeans_train_start (GstBaseTransform * trans)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (trans);
  KmModel *model;
  gboolean ok = TRUE;

  reset_stream_state (self);
  take_settings (self);

  /* Otherwise the trainer waits for caps to tell the dimensions. */
  if (!gst_kmeans_train_settings_validate (&self->snapshot, GST_ELEMENT (self)))
    ok = FALSE;
  else if (gst_kmeans_train_settings_knows_dimensions (&self->snapshot))
    ok = start_trainer (self);

  if (!ok) {
    reset_stream_state (self);
    return FALSE;
  }

  /* Properties show a resumed or given model at once; it goes downstream
   * before the first buffer. */
  model = refresh_properties (self);
  g_clear_pointer (&model, km_model_unref);
  return TRUE;
}

static gboolean
gst_kmeans_train_stop (GstBaseTransform * trans)
{
  GstKMeansTrain *self = GST_KMEANS_TRAIN (trans);
  LiveSettings live;
  KmModel *model;

  take_live_settings (self, &live);
  save_checkpoint (self, live.post_messages, GST_CLOCK_TIME_NONE);
  /* Keep the final model readable from the properties after stopping. */
  model = refresh_properties (self);
  g_clear_pointer (&model, km_model_unref);
  reset_stream_state (self);
  return TRUE;
}

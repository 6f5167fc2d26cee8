/* gst-kmeans: kmeans-score, clustering loss of a point stream.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-kmeans-score
 * @title: kmeans-score
 *
 * kmeans-score measures how well a k-means model fits a point stream, the
 * streaming counterpart of the TensorFlow KMeans estimator's `score`: for
 * each point it finds the nearest center and adds the distance to it, the
 * metric's own distance (`‖x − c‖²`, clamped at 0, for squared Euclidean,
 * so the score is the SSE; `1 − x̂·ĉ` for cosine; never a square root).
 * Buffers pass through untouched (the element works in place, without a
 * copy).  Besides `application/x-points` and NNStreamer's `other/tensors`
 * it scores raw media: every pixel of `video/x-raw` (any RGB or gray
 * format, packed or planar; its R, G, B or gray values on the 0..255
 * scale, through its GstVideoMeta when it has one) and every audio frame
 * of interleaved `audio/x-raw` (F32LE, or S16LE scaled to [-1, 1)) is a
 * point.  #GstKMeansScore:columns takes only some values of each record
 * (`1-3,7`; audio channels, video colour components R=0, G=1, B=2), as
 * for kmeans-train; the model has that many dimensions.
 *
 * Like `level`, when #GstKMeansScore:post-messages is %TRUE it posts an
 * element message named `kmeans-score` after each #GstKMeansScore:interval
 * of stream time, and also after #GstKMeansScore:interval-points points
 * when that is not 0.  The message's structure holds these fields:
 *
 * * #GstClockTime `timestamp`: the timestamp of the first buffer of the
 *   interval.
 * * #GstClockTime `stream-time`: the stream time of that timestamp.
 * * #GstClockTime `running-time`: the running time of that timestamp.
 * * #GstClockTime `duration`: from `timestamp` to the end of the last
 *   buffer of the interval (its timestamp plus its duration, or its
 *   timestamp when it has no duration).
 * * #guint64 `num-points`: points scored in the interval.
 * * #guint64 `skipped-points`: points of the interval's buffers skipped as
 *   bad input, not scored (see #GstKMeansScore:on-bad-input).
 * * #gdouble `score`: the sum of their distances to the nearest center.
 * * #gdouble `mean`: `score` / `num-points`, 0 when there were none.
 * * #guint64 `model-version`: the version of the model the interval's last
 *   points were scored with (0: none).
 * * #GstValueArray of #guint64 `cluster-counts`: points assigned to each of
 *   the K clusters.
 * * #GstValueArray of #gdouble `cluster-scores`: the sum of the distances
 *   of the points assigned to each cluster.
 * * #gboolean `final`: %TRUE on the message posted at EOS.
 *
 * The time fields are #GST_CLOCK_TIME_NONE when the buffers carry no
 * timestamps.  Such a stream is split by #GstKMeansScore:interval-points
 * only, and when that is 0 the one message comes at EOS.  A buffer always
 * counts whole in one interval.  An interval is posted as soon as the end
 * of its last buffer reaches `timestamp + interval`; a buffer without a
 * duration that starts at or after that point first ends the interval and
 * then opens the next one.  At EOS the partial interval left is posted with
 * `final` = %TRUE before EOS goes on downstream (always, even when it holds
 * no point).  A flush discards the partial interval.  Buffers that pass
 * before any model belong to no interval.
 *
 * Each such structure also travels downstream in-band, as a serialized
 * custom downstream event with the same name and fields, just before the
 * buffer that ended the interval (or before EOS), so that `kmeans-format`
 * can publish scores with the data.
 *
 * The element properties #GstKMeansScore:score and #GstKMeansScore:num-points
 * hold the totals since the element started.
 *
 * ## Evaluation file
 *
 * The estimator's `evaluate()` leaves its metrics in `eval_dir`; here
 * #GstKMeansScore:eval-location names a file that gets one `score` JSON
 * document per line (the bytes kmeans-format writes for the message,
 * schemas/score.schema.json) and nothing else.  It is opened for
 * appending when the element starts (created when missing), so runs add to
 * it; a directory, a FIFO or a device is refused with an error, and so is
 * a file that cannot be opened.  Each line goes out with one write(), so a
 * reader never sees half of one; a failed write posts an error, stops the
 * stream and removes what part of the line it wrote.  With
 * #GstKMeansScore:eval-per=interval (the default) each line is an interval
 * as posted on the bus, also when #GstKMeansScore:post-messages is %FALSE.
 * With eval-per=model-version each line covers all the points scored with
 * one model version (consecutive buffers, one K), written when a buffer
 * comes with another model and at EOS (`final` = %TRUE); a version that
 * scored no buffer gets no line.
 *
 * How the fields relate to the estimator (TensorFlow 2.4's KMeans and
 * Estimator.evaluate documentation; docs/algorithm.md §5): its
 * training-step `loss` is the sum of the min distances over one batch,
 * which is `score` here for an interval of one batch
 * (#GstKMeansScore:interval-points = the batch size).  `evaluate()` returns `loss` and `score`, both the mean over the
 * evaluated batches of those per-batch sums (so they depend on the batch
 * size): the mean of `score` over such lines.  The Estimator documents
 * `average_loss` (mean loss per sample) for canned estimators; the KMeans
 * estimator does not report it, and its per-point counterpart is `mean`
 * (`score` / `num_points`), over a whole model version with
 * eval-per=model-version.  `global_step` corresponds to `model_version`,
 * one more with every training update.
 *
 * ## The model
 *
 * Each buffer is scored with the model in force when it arrives.  The model
 * comes in-band, from a `kmeans-train` upstream (its sticky `kmeans-model`
 * event, forwarded downstream), or from a checkpoint file named by
 * #GstKMeansScore:model-location, checked for replacement every
 * #GstKMeansScore:model-poll-interval and reloaded when it changed.  Each
 * (re)load posts an element message named `kmeans-model-loaded` with these
 * fields:
 *
 * * #gchararray `location`: the checkpoint file.
 * * #guint64 `model-version`: the version of the loaded model.
 * * #guint64 `step`: the training step the model was saved at.
 * * #guint `clusters`: K.
 * * #guint `dimensions`: D.
 *
 * A model loaded from the file is also sent downstream as the in-band
 * `kmeans-model` event, before the next buffer.
 * When both sources are used, the model that arrived last is the one in
 * force.  A new model with another K first ends the current interval (its
 * message is posted with `final` = %FALSE).  A checkpoint that exists but
 * cannot be read when the element starts is an error.  While running, a new
 * version of the file that cannot be used, damaged or of another dimension
 * than the stream, is rejected: a warning names the file and the problem
 * (e.g. "model has dimension 5, the stream has 3"; one warning per
 * distinct problem), #GstKMeansScore:rejected-models counts it, no
 * `kmeans-model-loaded` is posted and the current model stays.  The
 * checkpoint present at start is loaded before the caps are known; if it
 * does not fit the negotiated stream, the first buffer stops the stream
 * with an error naming the file, as an unreadable one does at start.  An
 * in-band model of another dimension is an error too.  Points that arrive
 * before any model are not scored and are counted in
 * #GstKMeansScore:dropped-points (their buffers still pass through), or
 * stop the stream, as #GstKMeansScore:on-no-model says.
 *
 * Points come from outside, so bad input does not stop the stream by
 * default: rows holding NaN or Inf, and buffers that are not a whole number
 * of rows, are skipped unscored (the buffers still pass), the first skip
 * posts a warning message, and every one is logged and counted in
 * #GstKMeansScore:skipped-points and in the interval's `skipped-points`.
 * #GstKMeansScore:on-bad-input=error is the strict choice: an error that
 * ends the stream.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m kmeans-testsrc num-buffers=100 ! \
 *     kmeans-train num-clusters=3 ! kmeans-score ! fakesink
 * ]| prints a `kmeans-score` message for every second of generated points
 * as the model trains, and a final one at the end.
 * |[
 * gst-launch-1.0 -m filesrc location=points.f32 blocksize=800 ! \
 *     application/x-points,format=F32LE,dimensions=2 ! \
 *     kmeans-score model-location=model.kmc interval-points=1000 ! fakesink
 * ]| scores a raw float32 file of 2-D points against a saved checkpoint,
 * with a message every 1000 points (the file has no timestamps).
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=30 ! kmeans-train num-clusters=3 ! \
 *     kmeans-score eval-location=/tmp/eval.jsonl eval-per=model-version ! \
 *     fakesink
 * ]| appends to /tmp/eval.jsonl one `score` line per model version trained
 * (30 here, one per buffer), the last with `final` = true.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

#include "kmeans.h"
#include "kmeanselements.h"
#include "gstkmeansjson.h"
#include "gstkmeansscore.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_score_debug);
#define GST_CAT_DEFAULT gst_kmeans_score_debug

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

/* The model properties are the base class's; ours come after them. */
enum
{
  PROP_POST_MESSAGES = GST_KMEANS_MODEL_FILTER_N_PROPS,
  PROP_INTERVAL,
  PROP_INTERVAL_POINTS,
  PROP_SCORE,
  PROP_NUM_POINTS,
  PROP_EVAL_LOCATION,
  PROP_EVAL_PER,
};

#define DEFAULT_POST_MESSAGES TRUE
#define DEFAULT_INTERVAL GST_SECOND
#define DEFAULT_INTERVAL_POINTS 0
#define DEFAULT_EVAL_LOCATION NULL
#define DEFAULT_EVAL_PER GST_KMEANS_SCORE_EVAL_PER_INTERVAL

/* When a document goes to eval-location. */
typedef enum
{
  GST_KMEANS_SCORE_EVAL_PER_INTERVAL,
  GST_KMEANS_SCORE_EVAL_PER_MODEL_VERSION
} GstKMeansScoreEvalPer;

static GType
gst_kmeans_score_eval_per_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_SCORE_EVAL_PER_INTERVAL,
        "One document per interval, the kmeans-score message", "interval"},
    {GST_KMEANS_SCORE_EVAL_PER_MODEL_VERSION,
        "One document per model version, its points", "model-version"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        gst_kmeans_register_enum ("GstKMeansScoreEvalPer", values));
  return type;
}

/* What one message reports. */
typedef struct
{
  gboolean open;                /* some buffer was accounted */
  GstClockTime start;           /* timestamp of its first timed buffer */
  GstClockTime end;             /* end of its last timed buffer */
  guint64 num_points;
  guint64 skipped_points;
  gdouble score;
  guint k;
  guint64 *counts;              /* k */
  gdouble *scores;              /* k */
  guint64 model_version;
} GstKMeansScoreInterval;

struct _GstKMeansScore
{
  GstKMeansModelFilter parent;

  /* Properties, under the object lock. */
  gboolean post_messages;
  guint64 interval;
  guint64 interval_points;

  gchar *eval_location;
  GstKMeansScoreEvalPer eval_per;

  /* Totals: written by the streaming thread under the object lock, read
   * by get_property. */
  gdouble score;
  guint64 num_points;

  /* The evaluation file, opened in start() (-1: none, or closed after an
   * error), with the settings it was opened with. */
  gint eval_fd;
  gchar *eval_path;
  GstKMeansScoreEvalPer eval_mode;
  GstKMeansScoreInterval eval_iv;       /* eval-per=model-version */

  /* Streaming-thread state, set up in start() and freed in stop(). */
  KmWorkspace *ws;
  gint32 *idx;                  /* per-point scratch, grown on demand */
  gfloat *dist;
  gsize scratch_rows;
  GstKMeansScoreInterval iv;
};

#define gst_kmeans_score_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansScore, gst_kmeans_score,
    GST_TYPE_KMEANS_MODEL_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_score_debug, "kmeans-score", 0,
        "k-means score of a point stream"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_score, "kmeans-score", GST_RANK_NONE,
    GST_TYPE_KMEANS_SCORE);

static void gst_kmeans_score_finalize (GObject * object);
static void gst_kmeans_score_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_score_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_kmeans_score_start (GstBaseTransform * trans);
static gboolean gst_kmeans_score_stop (GstBaseTransform * trans);
static gboolean gst_kmeans_score_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_kmeans_score_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void
gst_kmeans_score_class_init (GstKMeansScoreClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstKMeansModelFilterClass *filter_class =
      GST_KMEANS_MODEL_FILTER_CLASS (klass);
  static const GstKMeansModelBlurbs model_blurbs = {
    .on_no_model = "What to do with points that arrive before any model: "
        "leave them unscored (counted in dropped-points) or post an error",
    .on_bad_input = "What to do with partial rows and rows holding NaN or "
        "Inf: skip them unscored (counted in skipped-points, the first with "
        "a warning) or post an error that stops the stream",
    .dropped_points = "Points left unscored because no model was there yet",
  };

  gobject_class->finalize = gst_kmeans_score_finalize;
  gobject_class->set_property = gst_kmeans_score_set_property;
  gobject_class->get_property = gst_kmeans_score_get_property;

  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Whether to post a 'kmeans-score' element message on the bus for "
          "each passed interval", DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
          "Interval of stream time between message posts (in nanoseconds), "
          "measured on buffer timestamps", 1, G_MAXUINT64, DEFAULT_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INTERVAL_POINTS,
      g_param_spec_uint64 ("interval-points", "Interval points",
          "Also post a message once an interval holds this many scored "
          "points (0: off)", 0, G_MAXUINT64, DEFAULT_INTERVAL_POINTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstKMeansScore:model-location:
   *
   * Checkpoint file (written by kmeans-train) to take the model from.  It
   * is reloaded when replaced; a `kmeans-model` event arriving later still
   * takes over until the file changes again.
   */
  gst_kmeans_model_filter_class_install_properties (filter_class,
      &model_blurbs);
  g_object_class_install_property (gobject_class, PROP_SCORE,
      g_param_spec_double ("score", "Score",
          "Sum of the distances of all scored points to their nearest "
          "center since the element started", 0, G_MAXDOUBLE, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_NUM_POINTS,
      g_param_spec_uint64 ("num-points", "Number of points",
          "Points scored since the element started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstKMeansScore:eval-location:
   *
   * File to append one `score` JSON document per line to, as
   * #GstKMeansScore:eval-per says (the estimator's `eval_dir`).  Opened
   * when the element starts; must be a regular file or not exist yet.
   */
  g_object_class_install_property (gobject_class, PROP_EVAL_LOCATION,
      g_param_spec_string ("eval-location", "Evaluation file",
          "File to append one 'score' JSON document per line to (created "
          "when missing; NULL: none); must be a regular file",
          DEFAULT_EVAL_LOCATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_EVAL_PER,
      g_param_spec_enum ("eval-per", "Evaluation per",
          "When to append a document to eval-location: for each interval "
          "(the kmeans-score message) or for each model version (all the "
          "points scored with it)", gst_kmeans_score_eval_per_get_type (),
          DEFAULT_EVAL_PER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "K-means score", "Filter/Analyzer",
      "Posts the k-means score (sum of distances to the nearest center) of "
      "a point stream per interval", "gst-kmeans developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_score_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_score_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_kmeans_score_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_kmeans_score_transform_ip);
  /* Buffers before any model still pass, unscored. */
  filter_class->pass_without_model = TRUE;
}

static void
gst_kmeans_score_init (GstKMeansScore * self)
{
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->interval = DEFAULT_INTERVAL;
  self->interval_points = DEFAULT_INTERVAL_POINTS;
  self->eval_per = DEFAULT_EVAL_PER;
  self->eval_fd = -1;
  self->iv.start = self->iv.end = GST_CLOCK_TIME_NONE;
  self->eval_iv.start = self->eval_iv.end = GST_CLOCK_TIME_NONE;

  /* Only reads the points: buffers go through untouched. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_kmeans_score_finalize (GObject * object)
{
  g_free (GST_KMEANS_SCORE (object)->eval_location);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_kmeans_score_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansScore *self = GST_KMEANS_SCORE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint64 (value);
      break;
    case PROP_INTERVAL_POINTS:
      self->interval_points = g_value_get_uint64 (value);
      break;
    case PROP_EVAL_LOCATION:
      g_free (self->eval_location);
      self->eval_location = g_value_dup_string (value);
      break;
    case PROP_EVAL_PER:
      self->eval_per = g_value_get_enum (value);
      break;
    default:
      GST_OBJECT_UNLOCK (self);
      G_OBJECT_CLASS (parent_class)->set_property (object, prop_id, value,
          pspec);
      return;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kmeans_score_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansScore *self = GST_KMEANS_SCORE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval);
      break;
    case PROP_INTERVAL_POINTS:
      g_value_set_uint64 (value, self->interval_points);
      break;
    case PROP_SCORE:
      g_value_set_double (value, self->score);
      break;
    case PROP_NUM_POINTS:
      g_value_set_uint64 (value, self->num_points);
      break;
    case PROP_EVAL_LOCATION:
      g_value_set_string (value, self->eval_location);
      break;
    case PROP_EVAL_PER:
      g_value_set_enum (value, self->eval_per);
      break;
    default:
      GST_OBJECT_UNLOCK (self);
      G_OBJECT_CLASS (parent_class)->get_property (object, prop_id, value,
          pspec);
      return;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------ interval */

/* Empties the interval, keeping room for @k clusters. */
static void
interval_reset (GstKMeansScoreInterval * iv, guint k)
{
  if (k != iv->k) {
    iv->counts = g_renew (guint64, iv->counts, k);
    iv->scores = g_renew (gdouble, iv->scores, k);
    iv->k = k;
  }
  if (k > 0) {
    memset (iv->counts, 0, k * sizeof (guint64));
    memset (iv->scores, 0, k * sizeof (gdouble));
  }
  iv->open = FALSE;
  iv->start = iv->end = GST_CLOCK_TIME_NONE;
  iv->num_points = 0;
  iv->skipped_points = 0;
  iv->score = 0;
}

static void
interval_clear (GstKMeansScoreInterval * iv)
{
  g_clear_pointer (&iv->counts, g_free);
  g_clear_pointer (&iv->scores, g_free);
  iv->k = 0;
  interval_reset (iv, 0);
}

static void
value_set_uint64s (GValue * value, const guint64 * v, guint n)
{
  GValue item = G_VALUE_INIT;
  guint i;

  gst_value_array_init (value, n);
  g_value_init (&item, G_TYPE_UINT64);
  for (i = 0; i < n; i++) {
    g_value_set_uint64 (&item, v[i]);
    gst_value_array_append_value (value, &item);
  }
  g_value_unset (&item);
}

/* The `kmeans-score` structure of @iv: the message, the in-band event and
 * the eval-location document all carry it. */
static GstStructure *
interval_structure (GstKMeansScore * self, GstKMeansScoreInterval * iv,
    gboolean final)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  GValue counts = G_VALUE_INIT, scores = G_VALUE_INIT;
  GstStructure *s;

  if (GST_CLOCK_TIME_IS_VALID (iv->start)) {
    if (trans->segment.format == GST_FORMAT_TIME) {
      running_time = gst_segment_to_running_time (&trans->segment,
          GST_FORMAT_TIME, iv->start);
      stream_time = gst_segment_to_stream_time (&trans->segment,
          GST_FORMAT_TIME, iv->start);
    }
    duration = iv->end - iv->start;
  }

  s = gst_structure_new ("kmeans-score",
      "timestamp", G_TYPE_UINT64, iv->start,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      "duration", G_TYPE_UINT64, duration,
      "num-points", G_TYPE_UINT64, iv->num_points,
      "skipped-points", G_TYPE_UINT64, iv->skipped_points,
      "score", G_TYPE_DOUBLE, iv->score,
      "mean", G_TYPE_DOUBLE,
      iv->num_points ? iv->score / (gdouble) iv->num_points : 0.0,
      "model-version", G_TYPE_UINT64, iv->model_version, NULL);

  value_set_uint64s (&counts, iv->counts, iv->k);
  gst_structure_take_value (s, "cluster-counts", &counts);
  gst_value_array_init (&scores, iv->k);
  gst_kmeans_value_set_doubles (&scores, iv->scores, iv->k);
  gst_structure_take_value (s, "cluster-scores", &scores);
  gst_structure_set (s, "final", G_TYPE_BOOLEAN, final, NULL);

  return s;
}

/* --------------------------------------------------------- eval file */

/* Appends the `score` document of @s to eval-location as one line.  The
 * first failure posts an error and closes the file. */
static gboolean
eval_append (GstKMeansScore * self, const GstStructure * s)
{
  GError *error = NULL;
  gchar *line;
  gboolean ok;

  if (self->eval_fd < 0)
    return self->eval_path == NULL;

  line = gst_kmeans_json_from_structure (s);
  ok = gst_kmeans_json_lines_append (self->eval_fd, self->eval_path, line,
      strlen (line), &error);
  g_free (line);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to eval-location \"%s\".", self->eval_path),
        ("%s", error->message));
    g_error_free (error);
    close (self->eval_fd);
    self->eval_fd = -1;
  }
  return ok;
}

/* eval-per=model-version: writes the document of the version collected so
 * far (when it scored a buffer) and starts collecting anew. */
static gboolean
eval_end_version (GstKMeansScore * self, gboolean final)
{
  GstKMeansScoreInterval *iv = &self->eval_iv;
  gboolean ok = TRUE;

  if (iv->open) {
    GstStructure *s = interval_structure (self, iv, final);

    ok = eval_append (self, s);
    gst_structure_free (s);
  }
  interval_reset (iv, iv->k);
  return ok;
}

/* Posts the interval (when it saw a buffer, or always when @final), writes
 * it to eval-location when that goes per interval, and starts a new one.
 * FALSE when the write failed. */
static gboolean
end_interval (GstKMeansScore * self, gboolean final)
{
  gboolean post, write, ok = TRUE;

  GST_OBJECT_LOCK (self);
  post = self->post_messages;
  GST_OBJECT_UNLOCK (self);
  write = self->eval_fd >= 0
      && self->eval_mode == GST_KMEANS_SCORE_EVAL_PER_INTERVAL;

  if ((post || write) && (self->iv.open || final)) {
    GstStructure *s = interval_structure (self, &self->iv, final);

    GST_DEBUG_OBJECT (self, "interval of %" G_GUINT64_FORMAT " points, "
        "score %g%s", self->iv.num_points, self->iv.score,
        final ? " (final)" : "");
    if (write)
      ok = eval_append (self, s);
    if (post) {
      /* The same figures travel in-band as well, so elements downstream
       * (kmeans-format) can publish them with the data. */
      gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_copy (s)));
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), s));
    } else {
      gst_structure_free (s);
    }
  }
  interval_reset (&self->iv, self->iv.k);
  return ok;
}

/* Extends @iv over @buf's time span. */
static void
interval_cover (GstKMeansScoreInterval * iv, GstBuffer * buf)
{
  GstClockTime ts = GST_BUFFER_PTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return;
  if (!GST_CLOCK_TIME_IS_VALID (iv->start))
    iv->start = ts;
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    ts += GST_BUFFER_DURATION (buf);
  if (!GST_CLOCK_TIME_IS_VALID (iv->end) || ts > iv->end)
    iv->end = ts;
}

/* Adds the @n points just scored with @model (their clusters and
 * distances in the scratch arrays) and @skipped ones to @iv. */
static void
interval_add (GstKMeansScore * self, GstKMeansScoreInterval * iv,
    KmModel * model, gsize n, guint64 skipped, gdouble sum)
{
  gsize i;

  iv->open = TRUE;
  iv->num_points += n;
  iv->skipped_points += skipped;
  iv->score += sum;
  iv->model_version = km_model_get_version (model);
  for (i = 0; i < n; i++) {
    iv->counts[self->idx[i]]++;
    iv->scores[self->idx[i]] += self->dist[i];
  }
}

/* eval-per=model-version: a buffer scored with another model than the
 * collected one first writes the collected version out. */
static gboolean
eval_account (GstKMeansScore * self, GstBuffer * buf, KmModel * model,
    gsize n, guint64 skipped, gdouble sum)
{
  GstKMeansScoreInterval *iv = &self->eval_iv;
  guint k = km_model_get_k (model);
  gboolean ok = TRUE;

  if (iv->open && (iv->model_version != km_model_get_version (model)
          || iv->k != k))
    ok = eval_end_version (self, FALSE);
  if (iv->k != k)
    interval_reset (iv, k);
  interval_cover (iv, buf);
  interval_add (self, iv, model, n, skipped, sum);
  return ok;
}

/* Adds @n scored points of @buf, and the @skipped ones left out of it, to
 * the interval, ending it when its time or point budget is spent.  FALSE
 * when writing to eval-location failed. */
static gboolean
account (GstKMeansScore * self, GstBuffer * buf,
    KmModel * model, gsize n, guint64 skipped, gdouble sum)
{
  GstKMeansScoreInterval *iv = &self->iv;
  GstClockTime ts = GST_BUFFER_PTS (buf);
  guint64 interval, interval_points;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  interval = self->interval;
  interval_points = self->interval_points;
  self->score += sum;
  self->num_points += n;
  GST_OBJECT_UNLOCK (self);

  /* Per-cluster figures only add up under one K. */
  if (km_model_get_k (model) != iv->k) {
    ok &= end_interval (self, FALSE);
    interval_reset (iv, km_model_get_k (model));
  }

  /* Time ran out before this buffer (untimed durations or a gap). */
  if (GST_CLOCK_TIME_IS_VALID (ts) && GST_CLOCK_TIME_IS_VALID (iv->start)
      && ts - iv->start >= interval)
    ok &= end_interval (self, FALSE);
  interval_cover (iv, buf);
  interval_add (self, iv, model, n, skipped, sum);
  if (self->eval_fd >= 0
      && self->eval_mode == GST_KMEANS_SCORE_EVAL_PER_MODEL_VERSION)
    ok &= eval_account (self, buf, model, n, skipped, sum);

  if ((GST_CLOCK_TIME_IS_VALID (iv->start) && iv->end - iv->start >= interval)
      || (interval_points > 0 && iv->num_points >= interval_points))
    ok &= end_interval (self, FALSE);
  return ok;
}

/* ------------------------------------------------------------- states */

static void
release (GstKMeansScore * self)
{
  g_clear_pointer (&self->ws, km_workspace_free);
  g_clear_pointer (&self->idx, g_free);
  g_clear_pointer (&self->dist, g_free);
  interval_clear (&self->iv);
  interval_clear (&self->eval_iv);
  self->scratch_rows = 0;
  if (self->eval_fd >= 0)
    close (self->eval_fd);
  self->eval_fd = -1;
  g_clear_pointer (&self->eval_path, g_free);
}

/* Opens eval-location, when set, for appending. */
static gboolean
eval_open (GstKMeansScore * self)
{
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  self->eval_path = g_strdup (self->eval_location);
  self->eval_mode = self->eval_per;
  GST_OBJECT_UNLOCK (self);

  if (self->eval_path == NULL)
    return TRUE;
  self->eval_fd = gst_kmeans_json_lines_open (self->eval_path, &error);
  if (self->eval_fd < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open eval-location \"%s\" for appending.",
            self->eval_path), ("%s", error->message));
    g_error_free (error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_kmeans_score_start (GstBaseTransform * trans)
{
  GstKMeansScore *self = GST_KMEANS_SCORE (trans);

  GST_OBJECT_LOCK (self);
  self->score = 0;
  self->num_points = 0;
  GST_OBJECT_UNLOCK (self);

  self->ws = km_workspace_new ();
  interval_reset (&self->iv, 0);
  interval_reset (&self->eval_iv, 0);

  if (!eval_open (self)
      || !GST_BASE_TRANSFORM_CLASS (parent_class)->start (trans)) {
    release (self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_kmeans_score_stop (GstBaseTransform * trans)
{
  release (GST_KMEANS_SCORE (trans));
  return GST_BASE_TRANSFORM_CLASS (parent_class)->stop (trans);
}

static gboolean
gst_kmeans_score_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstKMeansScore *self = GST_KMEANS_SCORE (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      /* A failed write has posted its error; EOS still goes on. */
      end_interval (self, TRUE);
      eval_end_version (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      interval_reset (&self->iv, self->iv.k);
      interval_reset (&self->eval_iv, self->eval_iv.k);
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ---------------------------------------------------------- streaming */

static void
ensure_scratch (GstKMeansScore * self, gsize rows)
{
  if (rows <= self->scratch_rows)
    return;
  self->idx = g_renew (gint32, self->idx, rows);
  self->dist = g_renew (gfloat, self->dist, rows);
  self->scratch_rows = rows;
}

static GstFlowReturn
gst_kmeans_score_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstKMeansScore *self = GST_KMEANS_SCORE (trans);
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  const gfloat *points;
  gdouble sum = 0;
  GstMapInfo map;
  gsize n = 0;
  KmModel *model;
  GstFlowReturn ret;

  /* Without a model the buffer passes unscored. */
  ret = gst_kmeans_model_filter_model_for_buffer (filter, buf, &model);
  if (ret != GST_FLOW_OK || model == NULL)
    return ret;

  if (!gst_kmeans_points_map_buffer (gst_kmeans_model_filter_get_info
          (filter), buf, &map))
    goto map_failed;

  if (!gst_kmeans_model_filter_read_points (filter, buf, &map, &points, &n)) {
    gst_buffer_unmap (buf, &map);
    return GST_FLOW_ERROR;
  }

  if (n > 0) {
    ensure_scratch (self, n);
    sum = km_model_assign (model, points, n, self->idx, self->dist, self->ws);
  }
  gst_buffer_unmap (buf, &map);

  if (!account (self, buf, model, n,
          gst_kmeans_model_filter_get_buffer_skipped (filter), sum))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;

map_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not map a buffer of %" G_GSIZE_FORMAT " bytes",
            gst_buffer_get_size (buf)));
    return GST_FLOW_ERROR;
  }
}

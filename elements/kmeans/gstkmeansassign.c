/* gst-kmeans: kmeans-assign, nearest cluster of each point.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-kmeans-assign
 * @title: kmeans-assign
 *
 * kmeans-assign labels every point of a point stream with its nearest
 * k-means center, like the TensorFlow KMeans estimator's `cluster_index`
 * (with #GstKMeansAssign:output=assignments) or `all_distances` (with
 * #GstKMeansAssign:output=distances) predictions.
 *
 * ## Input
 *
 * `application/x-points` (F32LE or F64LE rows of D values) or NNStreamer's
 * `other/tensors` (one float32/float64 tensor of dimensions `D:N`).  F32
 * input is read in place, without a copy.  Raw media are point streams
 * too: in `video/x-raw` (packed RGB family or GRAY8) every pixel is a
 * point, its R, G, B values (or its gray value) as 0..255; in interleaved
 * `audio/x-raw` (F32LE, or S16LE scaled to [-1, 1)) every audio frame is
 * a point of `channels` dimensions.
 *
 * ## Output
 *
 * * `assignments` (default): caps `application/x-kmeans-assignments,
 *   clusters=(int)K`; one 8-byte little-endian record per input point:
 *   #gint32 `cluster` (the index of the nearest center, ties going to the
 *   lowest index) followed by #gfloat `distance`.
 * * `distances`: caps `application/x-points, format=F32LE, dimensions=K`;
 *   K little-endian floats per input point, the distance to each center.
 * * `recolor` (raw video input only): the same caps as the input; every
 *   pixel takes the colour of its nearest center (rounded, clamped to
 *   0..255) in the frame's own format, alpha and padding bytes kept: live
 *   colour quantization, or segmentation, of video.  The frame is
 *   rewritten in place (copied first only when it is not writable).  A
 *   frame of the wrong size skipped as bad input passes unchanged.
 *
 * Distances are the model metric's own, never a square root:
 * `‖x − c‖²` (squared Euclidean, clamped at 0) or `1 − x̂·ĉ` (cosine, with
 * x̂ and ĉ the L2-normalised point and center).
 *
 * Output buffers keep the PTS, DTS, duration and offset of the input
 * buffer they come from.  A point skipped as bad input (see
 * #GstKMeansAssign:on-bad-input) produces no record, so the output then
 * holds fewer records than the input held rows; a buffer left with no
 * record at all is dropped and the next output buffer is marked DISCONT.
 *
 * ## The model
 *
 * The model comes in-band, from a `kmeans-train` upstream: its sticky
 * `kmeans-model` event switches the model for every buffer that follows
 * it (the event is forwarded downstream).  Or it comes from a checkpoint
 * file named by #GstKMeansAssign:model-location, which is checked for
 * replacement every #GstKMeansAssign:model-poll-interval and reloaded when
 * it changed; each (re)load posts an element message named
 * `kmeans-model-loaded` with these fields:
 *
 * * #gchararray `location`: the checkpoint file.
 * * #guint64 `model-version`: the version of the loaded model.
 * * #guint64 `step`: the training step the model was saved at.
 * * #guint `clusters`: K.
 * * #guint `dimensions`: D.
 *
 * A model loaded from the file is also sent downstream as the in-band
 * `kmeans-model` event, before the next output buffer, so `kmeans-format`
 * can tag results with its version.
 * When both sources are used, the model that arrived last is the one in
 * force.  A checkpoint that exists but cannot be read when the element
 * starts is an error; a damaged replacement while running posts a warning
 * and the current model stays.  Points that arrive before any model are
 * dropped and counted in #GstKMeansAssign:dropped-points, or stop the
 * stream, as #GstKMeansAssign:on-no-model says.  A model whose dimension is
 * not the stream's is an error.
 *
 * The number of clusters K is only known once a model is there.  Until
 * then the src caps are provisional (K fixated to what downstream prefers,
 * 1 by default); they are renegotiated with the model's K before the first
 * output buffer and again whenever a new model changes K.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=100 ! \
 *     kmeans-train num-clusters=3 ! kmeans-assign ! fakesink dump=true
 * ]| trains on generated points and dumps each point's cluster and
 * distance as it goes.
 * |[
 * gst-launch-1.0 filesrc location=points.f32 blocksize=800 ! \
 *     application/x-points,format=F32LE,dimensions=2 ! \
 *     kmeans-assign model-location=model.kmc output=distances ! \
 *     filesink location=distances.f32
 * ]| writes, for each 2-D point of a raw float32 file, its distance to
 * every center of a saved checkpoint.
 * |[
 * gst-launch-1.0 videotestsrc pattern=smpte num-buffers=10 ! \
 *     video/x-raw,format=RGB,width=320,height=240 ! \
 *     kmeans-train num-clusters=6 init=kmeans++ ! \
 *     kmeans-assign output=recolor ! videoconvert ! pngenc ! \
 *     multifilesink location=/tmp/smpte-6-colours-%02d.png
 * ]| quantizes the SMPTE colour bars to the six colours learned from them
 * as the frames pass, and writes each frame as a picture.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

#include "kmeans.h"
#include "kmeanselements.h"
#include "gstkmeansassign.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_assign_debug);
#define GST_CAT_DEFAULT gst_kmeans_assign_debug

#define ASSIGNMENTS_SRC_CAPS \
    GST_KMEANS_ASSIGNMENTS_MEDIA_TYPE ", clusters = (int) [ 1, MAX ]"
#define DISTANCES_SRC_CAPS \
    GST_KMEANS_POINTS_MEDIA_TYPE ", format = (string) F32LE, " \
    "dimensions = (int) [ 1, 65536 ]"
/* Largest K the distances output can carry as a point dimension. */
#define MAX_DISTANCES_CLUSTERS 65536

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (ASSIGNMENTS_SRC_CAPS "; " DISTANCES_SRC_CAPS "; "
        GST_KMEANS_VIDEO_CAPS));

static GstStaticCaps recolor_caps = GST_STATIC_CAPS (GST_KMEANS_VIDEO_CAPS);

enum
{
  PROP_0,
  PROP_OUTPUT,
  PROP_MODEL_LOCATION,
  PROP_MODEL_POLL_INTERVAL,
  PROP_ON_NO_MODEL,
  PROP_ON_BAD_INPUT,
  PROP_MODEL_VERSION,
  PROP_DROPPED_POINTS,
  PROP_SKIPPED_POINTS,
};

#define DEFAULT_OUTPUT GST_KMEANS_ASSIGN_OUTPUT_ASSIGNMENTS
#define DEFAULT_MODEL_LOCATION NULL
#define DEFAULT_MODEL_POLL_INTERVAL (500 * GST_MSECOND)
#define DEFAULT_ON_NO_MODEL GST_KMEANS_NO_MODEL_DROP
#define DEFAULT_ON_BAD_INPUT GST_KMEANS_ON_BAD_INPUT_ERROR

struct _GstKMeansAssign
{
  GstBaseTransform parent;

  /* Properties, under the object lock. */
  GstKMeansAssignOutput output;
  gchar *model_location;
  guint64 model_poll_interval;
  GstKMeansNoModel on_no_model;
  GstKMeansOnBadInput on_bad_input;

  /* Counters and the model in force: written by the streaming thread
   * under the object lock, read by get_property and transform_caps. */
  guint64 dropped_points;
  guint64 skipped_points;
  KmModel *model;

  /* Streaming-thread state, set up in start() and freed in stop(). */
  GstKMeansPointsInfo info;
  gboolean have_info;
  GstKMeansAssignOutput out_mode;
  guint out_k;                  /* K in the negotiated src caps */
  GstKMeansPointsReader reader;
  GstKMeansModelFile model_file;
  gboolean announce_model;      /* a file-loaded model not yet sent downstream */
  KmWorkspace *ws;
  gint32 *idx;                  /* per-point scratch, grown on demand */
  gfloat *dist;
  gsize scratch_rows;
  guint8 *colours;              /* recolor: K x D center bytes */
  gsize colours_size;
  gboolean warned_bad_input;
};

G_DEFINE_TYPE_WITH_CODE (GstKMeansAssign, gst_kmeans_assign,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_assign_debug, "kmeans-assign", 0,
        "k-means nearest-center assignment"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_assign, "kmeans-assign", GST_RANK_NONE,
    GST_TYPE_KMEANS_ASSIGN);

GType
gst_kmeans_assign_output_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_ASSIGN_OUTPUT_ASSIGNMENTS,
        "Nearest cluster and its distance per point", "assignments"},
    {GST_KMEANS_ASSIGN_OUTPUT_DISTANCES,
        "Distance to every center per point", "distances"},
    {GST_KMEANS_ASSIGN_OUTPUT_RECOLOR,
          "Raw video: each pixel replaced by its nearest center's colour",
        "recolor"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKMeansAssignOutput", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_kmeans_assign_finalize (GObject * object);
static void gst_kmeans_assign_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_assign_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_kmeans_assign_start (GstBaseTransform * trans);
static gboolean gst_kmeans_assign_stop (GstBaseTransform * trans);
static GstCaps *gst_kmeans_assign_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter);
static gboolean gst_kmeans_assign_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_kmeans_assign_decide_allocation (GstBaseTransform * trans,
    GstQuery * query);
static gboolean gst_kmeans_assign_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size, GstCaps * othercaps,
    gsize * othersize);
static gboolean gst_kmeans_assign_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_kmeans_assign_submit_input_buffer (GstBaseTransform *
    trans, gboolean is_discont, GstBuffer * buf);
static GstFlowReturn gst_kmeans_assign_transform (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer * outbuf);
static GstFlowReturn gst_kmeans_assign_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void
gst_kmeans_assign_class_init (GstKMeansAssignClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->finalize = gst_kmeans_assign_finalize;
  gobject_class->set_property = gst_kmeans_assign_set_property;
  gobject_class->get_property = gst_kmeans_assign_get_property;

  /**
   * GstKMeansAssign:output:
   *
   * What to produce per point: its nearest cluster and the distance to it,
   * or the distances to all K centers; or, for raw video, the frame with
   * every pixel in its nearest center's colour.
   */
  g_object_class_install_property (gobject_class, PROP_OUTPUT,
      g_param_spec_enum ("output", "Output",
          "What to produce for each point: its nearest cluster and distance "
          "(application/x-kmeans-assignments), the distance to every "
          "center (application/x-points of dimension K), or, for raw "
          "video, the frame with each pixel in its center's colour",
          GST_TYPE_KMEANS_ASSIGN_OUTPUT, DEFAULT_OUTPUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansAssign:model-location:
   *
   * Checkpoint file (written by kmeans-train) to take the model from.  It
   * is reloaded when replaced; a `kmeans-model` event arriving later still
   * takes over until the file changes again.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_LOCATION,
      g_param_spec_string ("model-location", "Model location",
          "Checkpoint file to load the model from, reloaded when replaced "
          "(NULL: only take the model from upstream kmeans-model events)",
          DEFAULT_MODEL_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MODEL_POLL_INTERVAL,
      g_param_spec_uint64 ("model-poll-interval", "Model poll interval",
          "How often to check model-location for a new checkpoint, in "
          "nanoseconds (0: before every buffer)", 0, G_MAXUINT64,
          DEFAULT_MODEL_POLL_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ON_NO_MODEL,
      g_param_spec_enum ("on-no-model", "On no model",
          "What to do with points that arrive before any model: drop them "
          "(counted in dropped-points) or post an error",
          GST_TYPE_KMEANS_NO_MODEL, DEFAULT_ON_NO_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ON_BAD_INPUT,
      g_param_spec_enum ("on-bad-input", "On bad input",
          "What to do with partial rows and rows holding NaN or Inf: post "
          "an error, or skip them (counted in skipped-points; a skipped "
          "point gets no output record)",
          GST_TYPE_KMEANS_ON_BAD_INPUT, DEFAULT_ON_BAD_INPUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODEL_VERSION,
      g_param_spec_uint64 ("model-version", "Model version",
          "Version of the model in force (0: no model yet)", 0, G_MAXUINT64,
          0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_DROPPED_POINTS,
      g_param_spec_uint64 ("dropped-points", "Dropped points",
          "Points dropped because no model was there yet", 0, G_MAXUINT64,
          0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SKIPPED_POINTS,
      g_param_spec_uint64 ("skipped-points", "Skipped points",
          "Points skipped as bad input (partial rows, NaN or Inf) with "
          "on-bad-input=skip", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "K-means assign", "Filter/Analyzer",
      "Labels each point with its nearest k-means center and the distance "
      "to it, or with its distance to every center", "gst-kmeans developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_assign_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_assign_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_kmeans_assign_set_caps);
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_decide_allocation);
  trans_class->transform_size =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform_size);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_kmeans_assign_sink_event);
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_submit_input_buffer);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ASSIGN_OUTPUT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_NO_MODEL, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_assign_init (GstKMeansAssign * self)
{
  self->output = DEFAULT_OUTPUT;
  self->model_location = g_strdup (DEFAULT_MODEL_LOCATION);
  self->model_poll_interval = DEFAULT_MODEL_POLL_INTERVAL;
  self->on_no_model = DEFAULT_ON_NO_MODEL;
  self->on_bad_input = DEFAULT_ON_BAD_INPUT;

  gst_kmeans_points_reader_init (&self->reader);
  gst_kmeans_model_file_init (&self->model_file);
}

static void
gst_kmeans_assign_finalize (GObject * object)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (object);

  g_free (self->model_location);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_kmeans_model_file_clear (&self->model_file);

  G_OBJECT_CLASS (gst_kmeans_assign_parent_class)->finalize (object);
}

static void
gst_kmeans_assign_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_OUTPUT:
      self->output = g_value_get_enum (value);
      break;
    case PROP_MODEL_LOCATION:
      g_free (self->model_location);
      self->model_location = g_value_dup_string (value);
      break;
    case PROP_MODEL_POLL_INTERVAL:
      self->model_poll_interval = g_value_get_uint64 (value);
      break;
    case PROP_ON_NO_MODEL:
      self->on_no_model = g_value_get_enum (value);
      break;
    case PROP_ON_BAD_INPUT:
      self->on_bad_input = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kmeans_assign_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_OUTPUT:
      g_value_set_enum (value, self->output);
      break;
    case PROP_MODEL_LOCATION:
      g_value_set_string (value, self->model_location);
      break;
    case PROP_MODEL_POLL_INTERVAL:
      g_value_set_uint64 (value, self->model_poll_interval);
      break;
    case PROP_ON_NO_MODEL:
      g_value_set_enum (value, self->on_no_model);
      break;
    case PROP_ON_BAD_INPUT:
      g_value_set_enum (value, self->on_bad_input);
      break;
    case PROP_MODEL_VERSION:
      g_value_set_uint64 (value,
          self->model ? km_model_get_version (self->model) : 0);
      break;
    case PROP_DROPPED_POINTS:
      g_value_set_uint64 (value, self->dropped_points);
      break;
    case PROP_SKIPPED_POINTS:
      g_value_set_uint64 (value, self->skipped_points);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Makes @model (transfer full, may be NULL) the model in force.  A change
 * of K needs new src caps: mark the pad so that base transform
 * renegotiates before the next output buffer. */
static void
gst_kmeans_assign_set_model (GstKMeansAssign * self, KmModel * model)
{
  KmModel *old;

  GST_OBJECT_LOCK (self);
  old = self->model;
  self->model = model;
  GST_OBJECT_UNLOCK (self);

  if (model) {
    GST_INFO_OBJECT (self, "model version %" G_GUINT64_FORMAT " in force: "
        "k=%u d=%u", km_model_get_version (model), km_model_get_k (model),
        km_model_get_d (model));
    if (self->out_mode != GST_KMEANS_ASSIGN_OUTPUT_RECOLOR &&
        km_model_get_k (model) != self->out_k)
      gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
  }
  if (old)
    km_model_unref (old);
}

/* Takes the watched file's model when it was (re)loaded; it is announced
 * downstream before the next buffer, as an in-band model would be. */
static void
gst_kmeans_assign_poll_model_file (GstKMeansAssign * self)
{
  KmModel *model;
  guint64 interval;

  if (self->model_file.location == NULL)
    return;

  GST_OBJECT_LOCK (self);
  interval = self->model_poll_interval;
  GST_OBJECT_UNLOCK (self);

  model = gst_kmeans_model_file_update (&self->model_file,
      GST_ELEMENT (self), interval);
  if (model) {
    gst_kmeans_assign_set_model (self, model);
    self->announce_model = TRUE;
  }
}

/* Sends a model that came from a file downstream as the in-band model
 * event, so that elements after this one (kmeans-format) know it too. */
static void
gst_kmeans_assign_announce_model (GstBaseTransform * trans)
{
  GstKMeansAssign *self = (GstKMeansAssign *) trans;
  KmModel *model = NULL;

  if (!self->announce_model)
    return;
  self->announce_model = FALSE;

  GST_OBJECT_LOCK (self);
  if (self->model)
    model = km_model_ref (self->model);
  GST_OBJECT_UNLOCK (self);

  if (model) {
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (trans),
        gst_kmeans_model_event_new (model));
    km_model_unref (model);
  }
}

static void
gst_kmeans_assign_release (GstKMeansAssign * self)
{
  gst_kmeans_assign_set_model (self, NULL);
  gst_kmeans_model_file_clear (&self->model_file);
  gst_kmeans_model_file_init (&self->model_file);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_kmeans_points_reader_init (&self->reader);
  g_clear_pointer (&self->ws, km_workspace_free);
  g_clear_pointer (&self->idx, g_free);
  g_clear_pointer (&self->dist, g_free);
  self->scratch_rows = 0;
  g_clear_pointer (&self->colours, g_free);
  self->colours_size = 0;
  self->have_info = FALSE;
  self->out_k = 0;
}

static gboolean
gst_kmeans_assign_start (GstBaseTransform * trans)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  KmModel *model;
  gboolean ok;
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->model_location);
  self->out_mode = self->output;
  self->dropped_points = 0;
  self->skipped_points = 0;
  GST_OBJECT_UNLOCK (self);

  self->ws = km_workspace_new ();
  self->warned_bad_input = FALSE;

  ok = gst_kmeans_model_file_start (&self->model_file, GST_ELEMENT (self),
      location, &model);
  g_free (location);
  if (!ok) {
    gst_kmeans_assign_release (self);
    return FALSE;
  }
  if (model) {
    gst_kmeans_assign_set_model (self, model);
    self->announce_model = TRUE;
  }
  return TRUE;
}

static gboolean
gst_kmeans_assign_stop (GstBaseTransform * trans)
{
  gst_kmeans_assign_release (GST_KMEANS_ASSIGN (trans));
  return TRUE;
}

/* Src caps for the model in force; while there is none K is left open and
 * fixated provisionally. */
static GstCaps *
gst_kmeans_assign_src_caps (GstKMeansAssign * self)
{
  GstKMeansAssignOutput output;
  guint k;

  GST_OBJECT_LOCK (self);
  output = self->output;
  k = self->model ? km_model_get_k (self->model) : 0;
  GST_OBJECT_UNLOCK (self);

  if (output == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES) {
    if (k == 0)
      return gst_caps_from_string (DISTANCES_SRC_CAPS);
    if (k > MAX_DISTANCES_CLUSTERS)
      return gst_caps_new_empty ();
    return gst_kmeans_points_caps_new (k);
  }
  if (k == 0)
    return gst_caps_from_string (ASSIGNMENTS_SRC_CAPS);
  return gst_caps_new_simple (GST_KMEANS_ASSIGNMENTS_MEDIA_TYPE,
      "clusters", G_TYPE_INT, (gint) k, NULL);
}

static GstCaps *
gst_kmeans_assign_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  GstKMeansAssignOutput output;
  GstCaps *res;

  if (gst_caps_is_empty (caps))
    return gst_caps_new_empty ();

  GST_OBJECT_LOCK (self);
  output = self->output;
  GST_OBJECT_UNLOCK (self);

  /* Recolored video has the caps it came with. */
  if (output == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR) {
    GstCaps *video = gst_static_caps_get (&recolor_caps);

    res = gst_caps_intersect (caps, video);
    gst_caps_unref (video);
  } else if (direction == GST_PAD_SINK) {
    /* Any point stream gives the same output; the output only depends
     * on the model and the output mode. */
    res = gst_kmeans_assign_src_caps (self);
  } else {
    res = gst_static_pad_template_get_caps (&sink_template);
  }

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  GST_DEBUG_OBJECT (self, "%s caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

static gboolean
gst_kmeans_assign_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  GstStructure *s = gst_caps_get_structure (outcaps, 0);
  GError *err = NULL;
  gint k = 0;

  if (!gst_kmeans_points_info_from_caps (&self->info, incaps, &err))
    goto bad_input_caps;

  /* Recolor rewrites the frame in place; the other outputs are new. */
  gst_base_transform_set_in_place (trans,
      self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR);
  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR) {
    self->have_info = TRUE;
    GST_DEBUG_OBJECT (self, "recoloring %ux%u %s video", self->info.width,
        self->info.height, self->info.format_name);
    return TRUE;
  }

  if (!gst_structure_get_int (s, "clusters", &k) &&
      !gst_structure_get_int (s, "dimensions", &k))
    goto bad_output_caps;

  self->have_info = TRUE;
  self->out_k = k;
  GST_DEBUG_OBJECT (self, "%u-dimensional input, output %" GST_PTR_FORMAT,
      self->info.dimensions, outcaps);
  return TRUE;

bad_input_caps:
  {
    GST_WARNING_OBJECT (self, "unusable input caps %" GST_PTR_FORMAT ": %s",
        incaps, err->message);
    g_clear_error (&err);
    return FALSE;
  }
bad_output_caps:
  {
    GST_WARNING_OBJECT (self, "no K in output caps %" GST_PTR_FORMAT, outcaps);
    return FALSE;
  }
}

/* The output size follows the number of points in each buffer, so a
 * pool of fixed-size buffers cannot serve it: allocate each buffer. */
static gboolean
gst_kmeans_assign_decide_allocation (GstBaseTransform * trans, GstQuery * query)
{
  while (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_remove_nth_allocation_pool (query, 0);

  return
      GST_BASE_TRANSFORM_CLASS
      (gst_kmeans_assign_parent_class)->decide_allocation (trans, query);
}

static gsize
gst_kmeans_assign_record_bytes (GstKMeansAssign * self)
{
  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES)
    return (gsize) self->out_k * sizeof (gfloat);
  return sizeof (GstKMeansAssignment);
}

/* Room for one record per whole input row; transform() shrinks the
 * buffer when rows are skipped. */
static gboolean
gst_kmeans_assign_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size, GstCaps * othercaps,
    gsize * othersize)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);

  if (direction != GST_PAD_SINK || !self->have_info)
    return FALSE;

  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR)
    *othersize = size;
  else
    *othersize = gst_kmeans_points_info_count (&self->info, size) *
        gst_kmeans_assign_record_bytes (self);
  return TRUE;
}

static gboolean
gst_kmeans_assign_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  KmModel *model = NULL;

  if (gst_kmeans_model_event_parse (event, &model)) {
    GST_DEBUG_OBJECT (self, "in-band model version %" G_GUINT64_FORMAT,
        km_model_get_version (model));
    gst_kmeans_assign_set_model (self, model);
  }

  return
      GST_BASE_TRANSFORM_CLASS (gst_kmeans_assign_parent_class)->sink_event
      (trans, event);
}

/* Points of @size bytes came before any model. */
static GstFlowReturn
gst_kmeans_assign_handle_no_model (GstKMeansAssign * self, gsize size)
{
  GstKMeansNoModel policy;
  guint64 rows = gst_kmeans_points_info_count (&self->info, size);

  GST_OBJECT_LOCK (self);
  policy = self->on_no_model;
  if (policy == GST_KMEANS_NO_MODEL_DROP)
    self->dropped_points += rows;
  GST_OBJECT_UNLOCK (self);

  if (policy == GST_KMEANS_NO_MODEL_ERROR) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("no model yet: points arrived before any k-means model."),
        ("%" G_GUINT64_FORMAT " points arrived before a kmeans-model event "
            "or a checkpoint at '%s'", rows,
            GST_STR_NULL (self->model_file.location)));
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (self, "no model yet, dropped %" G_GUINT64_FORMAT " points",
      rows);
  return GST_BASE_TRANSFORM_FLOW_DROPPED;
}

/* The model must read points of the stream's dimension, and K must fit
 * the output caps. */
static gboolean
gst_kmeans_assign_check_model (GstKMeansAssign * self, KmModel * model)
{
  guint k = km_model_get_k (model);

  if (!gst_kmeans_model_check_dimensions (GST_ELEMENT (self), model,
          self->info.dimensions))
    return FALSE;
  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES &&
      k > MAX_DISTANCES_CLUSTERS) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The k-means model has %u clusters; output=distances supports at "
            "most %u.", k, MAX_DISTANCES_CLUSTERS),
        ("K=%u does not fit application/x-points dimensions", k));
    return FALSE;
  }
  return TRUE;
}

/* Before base transform sees a buffer: pick up a replaced checkpoint (so
 * that renegotiation for a new K happens right away), and deal with
 * points that have no usable model. */
static GstFlowReturn
gst_kmeans_assign_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * buf)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);

  gst_kmeans_assign_poll_model_file (self);
  gst_kmeans_assign_announce_model (trans);

  /* Without caps, let base transform report not-negotiated. */
  if (self->have_info) {
    GstFlowReturn ret = GST_FLOW_OK;

    if (self->model == NULL)
      ret = gst_kmeans_assign_handle_no_model (self, gst_buffer_get_size (buf));
    else if (!gst_kmeans_assign_check_model (self, self->model))
      ret = GST_FLOW_ERROR;
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      return ret;
    }
  }

  return
      GST_BASE_TRANSFORM_CLASS
      (gst_kmeans_assign_parent_class)->submit_input_buffer (trans, is_discont,
      buf);
}

/* Applies the bad-input policy to what the reader reported.  Returns
 * FALSE after posting an error. */
static gboolean
gst_kmeans_assign_handle_bad_input (GstKMeansAssign * self,
    GstKMeansReadStatus status, gsize size)
{
  return gst_kmeans_points_handle_bad (GST_ELEMENT (self), &self->reader,
      &self->info, status, size, &self->on_bad_input, &self->warned_bad_input,
      &self->skipped_points);
}

static void
gst_kmeans_assign_ensure_scratch (GstKMeansAssign * self, gsize rows)
{
  if (rows <= self->scratch_rows)
    return;
  self->idx = g_renew (gint32, self->idx, rows);
  self->dist = g_renew (gfloat, self->dist, rows);
  self->scratch_rows = rows;
}

/* Interleaves the records; restrict pointers (the output cannot alias
 * the scratch) let the compiler vectorise it. */
static void
write_records (guint8 * restrict out, const gint32 * restrict idx,
    const gfloat * restrict dist, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++) {
    guint32 dist_bits;

    memcpy (&dist_bits, &dist[i], sizeof (dist_bits));
    GST_WRITE_UINT32_LE (out + i * sizeof (GstKMeansAssignment),
        (guint32) idx[i]);
    GST_WRITE_UINT32_LE (out + i * sizeof (GstKMeansAssignment) + 4, dist_bits);
  }
}

static void
gst_kmeans_assign_write_assignments (GstKMeansAssign * self, KmModel * model,
    const gfloat * points, gsize n, guint8 * out)
{
  gst_kmeans_assign_ensure_scratch (self, n);
  km_model_assign (model, points, n, self->idx, self->dist, self->ws);
  write_records (out, self->idx, self->dist, n);
}

static void
gst_kmeans_assign_write_distances (GstKMeansAssign * self, KmModel * model,
    const gfloat * points, gsize n, guint8 * out)
{
  km_model_distances (model, points, n, (gfloat *) out, self->ws);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  {
    guint32 *v = (guint32 *) out;
    gsize i;

    for (i = 0; i < n * km_model_get_k (model); i++)
      v[i] = GUINT32_TO_LE (v[i]);
  }
#endif
}

static GstFlowReturn
gst_kmeans_assign_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  KmModel *model = self->model;
  GstMapInfo in_map, out_map;
  GstKMeansReadStatus status;
  const gfloat *points;
  gsize n = 0, out_size;

  /* Only when caps were first negotiated inside base transform's submit,
   * after the checks there. */
  if (G_UNLIKELY (model == NULL))
    return gst_kmeans_assign_handle_no_model (self,
        gst_buffer_get_size (inbuf));
  if (G_UNLIKELY (!gst_kmeans_assign_check_model (self, model)))
    return GST_FLOW_ERROR;
  if (G_UNLIKELY (km_model_get_k (model) != self->out_k))
    goto not_negotiated;

  if (!gst_buffer_map (inbuf, &in_map, GST_MAP_READ))
    goto map_failed;

  points = gst_kmeans_points_read (&self->reader, &self->info, in_map.data,
      in_map.size, &n, &status);
  if (status != GST_KMEANS_READ_OK &&
      !gst_kmeans_assign_handle_bad_input (self, status, in_map.size)) {
    gst_buffer_unmap (inbuf, &in_map);
    return GST_FLOW_ERROR;
  }

  if (n == 0) {
    gst_buffer_unmap (inbuf, &in_map);
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }

  out_size = n * gst_kmeans_assign_record_bytes (self);
  if (gst_buffer_get_size (outbuf) < out_size ||
      !gst_buffer_map (outbuf, &out_map, GST_MAP_WRITE)) {
    gst_buffer_unmap (inbuf, &in_map);
    goto map_failed;
  }

  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES)
    gst_kmeans_assign_write_distances (self, model, points, n, out_map.data);
  else
    gst_kmeans_assign_write_assignments (self, model, points, n, out_map.data);

  gst_buffer_unmap (outbuf, &out_map);
  gst_buffer_unmap (inbuf, &in_map);
  gst_buffer_set_size (outbuf, out_size);

  GST_LOG_OBJECT (self, "assigned %" G_GSIZE_FORMAT " points with model "
      "version %" G_GUINT64_FORMAT, n, km_model_get_version (model));
  return GST_FLOW_OK;

not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("model has K=%u but the src caps carry %u", km_model_get_k (model),
            self->out_k));
    return GST_FLOW_NOT_NEGOTIATED;
  }
map_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not map a buffer of %" G_GSIZE_FORMAT " bytes",
            gst_buffer_get_size (inbuf)));
    return GST_FLOW_ERROR;
  }
}

/* The centers as pixel values, K rows of D bytes. */
static const guint8 *
gst_kmeans_assign_center_colours (GstKMeansAssign * self, KmModel * model)
{
  const gfloat *centers = km_model_get_centers (model);
  gsize i, n = (gsize) km_model_get_k (model) * km_model_get_d (model);

  if (n > self->colours_size) {
    self->colours = g_renew (guint8, self->colours, n);
    self->colours_size = n;
  }
  for (i = 0; i < n; i++)
    self->colours[i] = (guint8) CLAMP (lrintf (centers[i]), 0, 255);
  return self->colours;
}

/* Writes each pixel's center colour over its colour channels; alpha and
 * padding bytes stay as they were. */
static void
recolor_frame (const GstKMeansPointsInfo * info, guint8 * frame,
    const gint32 * idx, const guint8 * colours)
{
  guint x, y, c, d = info->dimensions;

  for (y = 0; y < info->height; y++) {
    guint8 *px = frame + y * info->stride;

    for (x = 0; x < info->width; x++, px += info->pixel_stride, idx++) {
      const guint8 *colour = colours + (gsize) * idx * d;

      for (c = 0; c < d; c++)
        px[info->channel_offset[c]] = colour[c];
    }
  }
}

/* output=recolor: base transform made @buf writable. */
static GstFlowReturn
gst_kmeans_assign_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  KmModel *model = self->model;
  GstKMeansReadStatus status;
  const gfloat *points;
  GstMapInfo map;
  gsize n = 0;

  if (G_UNLIKELY (model == NULL))
    return gst_kmeans_assign_handle_no_model (self, gst_buffer_get_size (buf));
  if (G_UNLIKELY (!gst_kmeans_assign_check_model (self, model)))
    return GST_FLOW_ERROR;

  if (!gst_buffer_map (buf, &map, GST_MAP_READWRITE))
    goto map_failed;

  points = gst_kmeans_points_read (&self->reader, &self->info, map.data,
      map.size, &n, &status);
  if (status != GST_KMEANS_READ_OK &&
      !gst_kmeans_assign_handle_bad_input (self, status, map.size)) {
    gst_buffer_unmap (buf, &map);
    return GST_FLOW_ERROR;
  }

  if (n > 0) {
    gst_kmeans_assign_ensure_scratch (self, n);
    km_model_assign (model, points, n, self->idx, NULL, self->ws);
    recolor_frame (&self->info, map.data, self->idx,
        gst_kmeans_assign_center_colours (self, model));
  }
  gst_buffer_unmap (buf, &map);

  GST_LOG_OBJECT (self, "recolored %" G_GSIZE_FORMAT " pixels with model "
      "version %" G_GUINT64_FORMAT, n, km_model_get_version (model));
  return GST_FLOW_OK;

map_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not map a buffer of %" G_GSIZE_FORMAT " bytes for writing",
            gst_buffer_get_size (buf)));
    return GST_FLOW_ERROR;
  }
}

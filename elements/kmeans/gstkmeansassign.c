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
 * too: in `video/x-raw` (any RGB or gray format of the video library,
 * packed or planar, of any depth) every pixel is a point, its R, G, B
 * values (or its gray value) on the 0..255 scale, read through the
 * frame's GstVideoMeta when it has one; in interleaved `audio/x-raw`
 * (F32LE, or S16LE scaled to [-1, 1)) every audio frame is a point of
 * `channels` dimensions.  #GstKMeansAssign:columns takes only some values
 * of each record (`1-3,7`; audio channels, video colour components R=0,
 * G=1, B=2), as for kmeans-train; the model has that many dimensions.
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
 *   0..255; times 257 for formats deeper than 8 bits) in the frame's own
 *   format and layout, alpha and padding kept: live colour quantization,
 *   or segmentation, of video.  The frame is rewritten in place (copied
 *   first only when it is not writable), so a GstVideoMeta goes on with
 *   it.  A buffer that is not a frame, skipped as bad input, passes
 *   unchanged.  With #GstKMeansAssign:columns only the chosen components
 *   take the center's values (columns=2 on RGB: blue), the others keep
 *   the pixel's.
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
 * Points come from outside, so bad input does not stop the stream by
 * default: rows holding NaN or Inf, and buffers that are not a whole number
 * of rows, are skipped, the first skip posts a warning message, and every
 * one is logged and counted in #GstKMeansAssign:skipped-points.
 * #GstKMeansAssign:on-bad-input=error is the strict choice: an error that
 * ends the stream.
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
 * starts is an error.  While running, a new version of the file that
 * cannot be used, damaged or not fitting the stream (another dimension, or
 * with output=distances more than 65536 clusters), is rejected: a warning
 * names the file and the problem (e.g. "model has dimension 5, the stream
 * has 3"; one warning per distinct problem),
 * #GstKMeansAssign:rejected-models counts it, no `kmeans-model-loaded` is
 * posted and the current model stays.  The checkpoint present at start is
 * loaded before the caps are known; if it does not fit the negotiated
 * stream, the first buffer stops the stream with an error naming the file,
 * as an unreadable one does at start.  An in-band model that does not fit
 * the stream is an error too.  Points that arrive before any model are
 * dropped and counted in #GstKMeansAssign:dropped-points, or stop the
 * stream, as #GstKMeansAssign:on-no-model says.
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

/* The model properties are the base class's; ours come after them. */
enum
{
  PROP_OUTPUT = GST_KMEANS_MODEL_FILTER_N_PROPS,
  PROP_DISTANCE,
};

#define DEFAULT_OUTPUT GST_KMEANS_ASSIGN_OUTPUT_ASSIGNMENTS
#define DEFAULT_DISTANCE GST_KMEANS_ASSIGN_DISTANCE_METRIC

struct _GstKMeansAssign
{
  GstKMeansModelFilter parent;

  /* Properties, under the object lock. */
  GstKMeansAssignOutput output;
  GstKMeansAssignDistance distance;

  /* Streaming-thread state, set up in start() and freed in stop(). */
  GstKMeansAssignOutput out_mode;
  GstKMeansAssignDistance out_distance;
  guint out_k;                  /* K in the negotiated src caps */
  KmWorkspace *ws;
  gint32 *idx;                  /* per-point scratch, grown on demand */
  gfloat *dist;
  gsize scratch_rows;
  GstBufferPool *pool;          /* output buffers, pool_size bytes each */
  gsize pool_size;
};

#define gst_kmeans_assign_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansAssign, gst_kmeans_assign,
    GST_TYPE_KMEANS_MODEL_FILTER,
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

GType
gst_kmeans_assign_distance_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_ASSIGN_DISTANCE_METRIC,
        "The metric's own: squared Euclidean, or 1 - cos", "metric"},
    {GST_KMEANS_ASSIGN_DISTANCE_EUCLIDEAN,
        "Euclidean, as scikit-learn's transform (cosine: between the "
          "unit vectors, sqrt(2 (1 - cos)))", "euclidean"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKMeansAssignDistance", values);

    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_kmeans_assign_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_assign_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_kmeans_assign_start (GstBaseTransform * trans);
static gboolean gst_kmeans_assign_stop (GstBaseTransform * trans);
static GstCaps *gst_kmeans_assign_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter);
static gboolean gst_kmeans_assign_set_info (GstKMeansModelFilter * filter,
    GstCaps * incaps, const GstKMeansPointsInfo * info, GstCaps * outcaps);
static void gst_kmeans_assign_model_changed (GstKMeansModelFilter * filter,
    KmModel * model);
static gboolean gst_kmeans_assign_check_model (GstKMeansModelFilter * filter,
    KmModel * model, GError ** error);
static gboolean gst_kmeans_assign_decide_allocation (GstBaseTransform * trans,
    GstQuery * query);
static GstFlowReturn gst_kmeans_assign_prepare_output_buffer (GstBaseTransform
    * trans, GstBuffer * input, GstBuffer ** outbuf);
static gboolean gst_kmeans_assign_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size, GstCaps * othercaps,
    gsize * othersize);
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
  GstKMeansModelFilterClass *filter_class =
      GST_KMEANS_MODEL_FILTER_CLASS (klass);
  static const GstKMeansModelBlurbs model_blurbs = {
    .on_no_model = "What to do with points that arrive before any model: "
        "drop them (counted in dropped-points) or post an error",
    .on_bad_input = "What to do with partial rows and rows holding NaN or "
        "Inf: skip them (counted in skipped-points, the first with a "
        "warning; a skipped point gets no output record) or post an error "
        "that stops the stream",
    .dropped_points = "Points dropped because no model was there yet",
  };

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
   * GstKMeansAssign:distance:
   *
   * Which distance the assignments' `distance` field and output=distances
   * report: the metric's own (the estimator's: squared Euclidean, or
   * 1 − cos), or the Euclidean distance, as scikit-learn's `transform()`
   * and `KMeans` distances are (for a cosine model, the distance between
   * the unit vectors, √(2 (1 − cos))).  The nearest center is the same
   * either way.
   */
  g_object_class_install_property (gobject_class, PROP_DISTANCE,
      g_param_spec_enum ("distance", "Distance",
          "Distance reported: the metric's own (squared Euclidean, or 1 - "
          "cos) or Euclidean (its square root; for cosine sqrt(2 (1 - "
          "cos)), the distance between the unit vectors)",
          GST_TYPE_KMEANS_ASSIGN_DISTANCE, DEFAULT_DISTANCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansAssign:model-location:
   *
   * Checkpoint file (written by kmeans-train) to take the model from.  It
   * is reloaded when replaced; a `kmeans-model` event arriving later still
   * takes over until the file changes again.
   */
  gst_kmeans_model_filter_class_install_properties (filter_class,
      &model_blurbs);

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
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_decide_allocation);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_prepare_output_buffer);
  trans_class->transform_size =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform_size);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_kmeans_assign_set_info);
  filter_class->model_changed =
      GST_DEBUG_FUNCPTR (gst_kmeans_assign_model_changed);
  filter_class->check_model = GST_DEBUG_FUNCPTR (gst_kmeans_assign_check_model);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ASSIGN_OUTPUT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ASSIGN_DISTANCE, 0);
}

static void
gst_kmeans_assign_init (GstKMeansAssign * self)
{
  self->output = DEFAULT_OUTPUT;
  self->distance = DEFAULT_DISTANCE;
}

static void
gst_kmeans_assign_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (object);

  switch (prop_id) {
    case PROP_OUTPUT:
      GST_OBJECT_LOCK (self);
      self->output = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_DISTANCE:
      GST_OBJECT_LOCK (self);
      self->distance = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_CLASS (parent_class)->set_property (object, prop_id, value,
          pspec);
      break;
  }
}

static void
gst_kmeans_assign_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (object);

  switch (prop_id) {
    case PROP_OUTPUT:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->output);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_DISTANCE:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->distance);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_CLASS (parent_class)->get_property (object, prop_id, value,
          pspec);
      break;
  }
}

/* A change of K needs new src caps: mark the pad so that base transform
 * renegotiates before the next output buffer. */
static void
gst_kmeans_assign_model_changed (GstKMeansModelFilter * filter, KmModel * model)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (filter);

  if (model && self->out_mode != GST_KMEANS_ASSIGN_OUTPUT_RECOLOR &&
      km_model_get_k (model) != self->out_k)
    gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
}

static void
release_pool (GstKMeansAssign * self)
{
  if (self->pool == NULL)
    return;
  gst_buffer_pool_set_active (self->pool, FALSE);
  gst_clear_object (&self->pool);
  self->pool_size = 0;
}

static void
release (GstKMeansAssign * self)
{
  release_pool (self);
  g_clear_pointer (&self->ws, km_workspace_free);
  g_clear_pointer (&self->idx, g_free);
  g_clear_pointer (&self->dist, g_free);
  self->scratch_rows = 0;
  self->out_k = 0;
}

static gboolean
gst_kmeans_assign_start (GstBaseTransform * trans)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);

  /* Set before the base class loads a checkpoint: model_changed reads it. */
  GST_OBJECT_LOCK (self);
  self->out_mode = self->output;
  self->out_distance = self->distance;
  GST_OBJECT_UNLOCK (self);
  self->ws = km_workspace_new ();

  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->start (trans)) {
    release (self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_kmeans_assign_stop (GstBaseTransform * trans)
{
  release (GST_KMEANS_ASSIGN (trans));
  return GST_BASE_TRANSFORM_CLASS (parent_class)->stop (trans);
}

/* Src caps for the model in force; while there is none K is left open and
 * fixated provisionally. */
static GstCaps *
src_caps (GstKMeansAssign * self)
{
  KmModel *model = gst_kmeans_model_filter_dup_model (GST_KMEANS_MODEL_FILTER
      (self));
  GstKMeansAssignOutput output;
  guint k = 0;

  if (model) {
    k = km_model_get_k (model);
    km_model_unref (model);
  }
  GST_OBJECT_LOCK (self);
  output = self->output;
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
    res = src_caps (self);
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
gst_kmeans_assign_set_info (GstKMeansModelFilter * filter, GstCaps * incaps,
    const GstKMeansPointsInfo * info, GstCaps * outcaps)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (filter);
  GstStructure *s = gst_caps_get_structure (outcaps, 0);
  gint k = 0;

  /* Recolor rewrites the frame in place; the other outputs are new. */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self),
      self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR);
  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR) {
    GST_DEBUG_OBJECT (self, "recoloring %dx%d %s video",
        GST_VIDEO_INFO_WIDTH (&info->video),
        GST_VIDEO_INFO_HEIGHT (&info->video), info->format_name);
    return TRUE;
  }

  if (!gst_structure_get_int (s, "clusters", &k) &&
      !gst_structure_get_int (s, "dimensions", &k))
    goto bad_output_caps;

  self->out_k = k;
  GST_DEBUG_OBJECT (self, "%u-dimensional input, output %" GST_PTR_FORMAT,
      info->dimensions, outcaps);
  return TRUE;

bad_output_caps:
  {
    GST_WARNING_OBJECT (self, "no K in output caps %" GST_PTR_FORMAT, outcaps);
    return FALSE;
  }
}

/* The output size follows the number of points in each buffer, so a
 * downstream pool of fixed-size buffers cannot serve it: the element
 * keeps its own (prepare_output_buffer). */
static gboolean
gst_kmeans_assign_decide_allocation (GstBaseTransform * trans, GstQuery * query)
{
  while (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_remove_nth_allocation_pool (query, 0);

  return
      GST_BASE_TRANSFORM_CLASS (parent_class)->decide_allocation (trans, query);
}

/* A pool of buffers of at least @size bytes: grown (replaced) when a
 * larger buffer comes, so that a steady stream allocates nothing. */
static gboolean
ensure_pool (GstKMeansAssign * self, gsize size)
{
  GstBufferPool *pool;
  GstStructure *config;

  if (self->pool != NULL && size <= self->pool_size)
    return TRUE;
  release_pool (self);
  pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, NULL, (guint) size, 2, 0);
  if (size > G_MAXUINT || !gst_buffer_pool_set_config (pool, config)
      || !gst_buffer_pool_set_active (pool, TRUE)) {
    GST_DEBUG_OBJECT (self, "no pool of %" G_GSIZE_FORMAT "-byte buffers",
        size);
    gst_object_unref (pool);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "output buffers from a pool of %" G_GSIZE_FORMAT
      " bytes each", size);
  self->pool = pool;
  self->pool_size = size;
  return TRUE;
}

/* Labels and distances go into pooled buffers shrunk to the records of
 * each input buffer; recolor writes the frame in place. */
static GstFlowReturn
gst_kmeans_assign_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * input, GstBuffer ** outbuf)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  GstBaseTransformClass *klass = GST_BASE_TRANSFORM_GET_CLASS (trans);
  GstFlowReturn ret;
  gsize size = 0;

  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR
      || !gst_kmeans_assign_transform_size (trans, GST_PAD_SINK, NULL,
          gst_buffer_get_size (input), NULL, &size) || size == 0
      || !ensure_pool (self, size))
    return GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer
        (trans, input, outbuf);

  ret = gst_buffer_pool_acquire_buffer (self->pool, outbuf, NULL);
  if (ret != GST_FLOW_OK)
    return ret;
  gst_buffer_set_size (*outbuf, size);
  if (klass->copy_metadata && !klass->copy_metadata (trans, input, *outbuf))
    GST_DEBUG_OBJECT (self, "could not copy the metadata of %" GST_PTR_FORMAT,
        input);
  return GST_FLOW_OK;
}

static gsize
record_bytes (GstKMeansAssign * self)
{
  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES)
    return (gsize) self->out_k * sizeof (gfloat);
  return sizeof (GstKMeansAssignment);
}

/* Room for one record per whole input row (per pixel of a frame, whatever
 * padding its GstVideoMeta describes); transform() shrinks the buffer when
 * rows are skipped. */
static gboolean
gst_kmeans_assign_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size, GstCaps * othercaps,
    gsize * othersize)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  const GstKMeansPointsInfo *info =
      gst_kmeans_model_filter_get_info (GST_KMEANS_MODEL_FILTER (self));

  if (direction != GST_PAD_SINK || info == NULL)
    return FALSE;

  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_RECOLOR)
    *othersize = size;
  else if (info->media == GST_KMEANS_MEDIA_VIDEO)
    *othersize = gst_kmeans_points_info_frame_pixels (info) *
        record_bytes (self);
  else
    *othersize = gst_kmeans_points_info_count (info, size) *
        record_bytes (self);
  return TRUE;
}

/* K must fit the output caps (the base class checked D, and reports a
 * refusal: a warning for a replacement checkpoint, else an error). */
static gboolean
gst_kmeans_assign_check_model (GstKMeansModelFilter * filter, KmModel * model,
    GError ** error)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (filter);
  guint k = km_model_get_k (model);

  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES &&
      k > MAX_DISTANCES_CLUSTERS) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "model has %u clusters, output=distances carries at most %u", k,
        MAX_DISTANCES_CLUSTERS);
    return FALSE;
  }
  return TRUE;
}

static void
ensure_scratch (GstKMeansAssign * self, gsize rows)
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

/* distance=euclidean: the metric's distances (clamped at 0) in place as
 * Euclidean ones: √d, or for cosine √(2d) (‖x̂ − ĉ‖² = 2 (1 − cos)). */
static void
to_euclidean (const GstKMeansAssign * self, KmModel * model, gfloat * dist,
    gsize n)
{
  gfloat scale;
  gsize i;

  if (self->out_distance != GST_KMEANS_ASSIGN_DISTANCE_EUCLIDEAN)
    return;
  scale = km_model_get_metric (model) == KM_METRIC_COSINE ? 2.0f : 1.0f;
  for (i = 0; i < n; i++)
    dist[i] = sqrtf (scale * dist[i]);
}

static void
write_assignments (GstKMeansAssign * self, KmModel * model,
    const gfloat * points, gsize n, guint8 * out)
{
  ensure_scratch (self, n);
  km_model_assign (model, points, n, self->idx, self->dist, self->ws);
  to_euclidean (self, model, self->dist, n);
  write_records (out, self->idx, self->dist, n);
}

static void
write_distances (GstKMeansAssign * self, KmModel * model,
    const gfloat * points, gsize n, guint8 * out)
{
  /* Host floats are F32LE: the common library builds on little-endian
   * hosts only. */
  km_model_distances (model, points, n, (gfloat *) out, self->ws);
  to_euclidean (self, model, (gfloat *) out, n * km_model_get_k (model));
}

static GstFlowReturn
gst_kmeans_assign_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  GstMapInfo in_map, out_map;
  const gfloat *points;
  gsize n = 0, out_size;
  KmModel *model;
  GstFlowReturn ret;

  ret = gst_kmeans_model_filter_model_for_buffer (filter, inbuf, &model);
  if (G_UNLIKELY (ret != GST_FLOW_OK))
    return ret;
  if (G_UNLIKELY (km_model_get_k (model) != self->out_k))
    goto not_negotiated;

  if (!gst_kmeans_points_map_buffer (gst_kmeans_model_filter_get_info
          (filter), inbuf, &in_map))
    goto map_failed;

  if (!gst_kmeans_model_filter_read_points (filter, inbuf, &in_map, &points,
          &n)) {
    gst_buffer_unmap (inbuf, &in_map);
    return GST_FLOW_ERROR;
  }

  if (n == 0) {
    gst_buffer_unmap (inbuf, &in_map);
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }

  out_size = n * record_bytes (self);
  if (gst_buffer_get_size (outbuf) < out_size ||
      !gst_buffer_map (outbuf, &out_map, GST_MAP_WRITE)) {
    gst_buffer_unmap (inbuf, &in_map);
    goto map_failed;
  }

  if (self->out_mode == GST_KMEANS_ASSIGN_OUTPUT_DISTANCES)
    write_distances (self, model, points, n, out_map.data);
  else
    write_assignments (self, model, points, n, out_map.data);

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

/* output=recolor: base transform made @buf writable; the frame is
 * rewritten where it lies, in the layout its GstVideoMeta (or the caps)
 * gives, so the buffer goes on with the same meta.  A buffer that is not
 * a frame, skipped as bad input, passes unchanged. */
static GstFlowReturn
gst_kmeans_assign_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstKMeansAssign *self = GST_KMEANS_ASSIGN (trans);
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  const GstKMeansPointsInfo *info = gst_kmeans_model_filter_get_info (filter);
  GstKMeansReadStatus status;
  GstVideoFrame frame;
  const gfloat *points;
  gsize n = 0;
  KmModel *model;
  GstFlowReturn ret;

  ret = gst_kmeans_model_filter_model_for_buffer (filter, buf, &model);
  if (G_UNLIKELY (ret != GST_FLOW_OK))
    return ret;

  points = gst_kmeans_points_read_frame (gst_kmeans_model_filter_get_reader
      (filter), info, buf, GST_MAP_READWRITE, &frame, &n, &status);
  if (status != GST_KMEANS_READ_OK)
    return gst_kmeans_model_filter_handle_bad_input (filter, status,
        gst_buffer_get_size (buf)) ? GST_FLOW_OK : GST_FLOW_ERROR;

  ensure_scratch (self, n);
  km_model_assign (model, points, n, self->idx, NULL, self->ws);
  gst_kmeans_points_write_frame (info, &frame, self->idx,
      km_model_get_centers (model), km_model_get_k (model));
  gst_video_frame_unmap (&frame);

  GST_LOG_OBJECT (self, "recolored %" G_GSIZE_FORMAT " pixels with model "
      "version %" G_GUINT64_FORMAT, n, km_model_get_version (model));
  return GST_FLOW_OK;
}

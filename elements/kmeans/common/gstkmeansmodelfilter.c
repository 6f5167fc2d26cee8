/* gst-kmeans: GstKMeansModelFilter, the base of the transforms that consume a k-means model (kmeans-assign, kmeans-score).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstkmeansmodelfilter
 * @title: GstKMeansModelFilter
 * @short_description: Base class for transforms that consume a k-means model
 *
 * #GstKMeansModelFilter is the abstract base of kmeans-assign and
 * kmeans-score: a #GstBaseTransform that reads a point stream (any caps
 * gst_kmeans_points_info_from_caps() parses) with a k-means model.  It
 * does everything about the model, so that a subclass only processes
 * points:
 *
 * * the properties `model-location`, `model-poll-interval`, `on-no-model`,
 *   `on-bad-input`, `model-version`, `dropped-points`, `skipped-points` and
 *   `rejected-models`,
 *   which the subclass installs with its own blurbs in its class_init with
 *   gst_kmeans_model_filter_class_install_properties(), and numbers its own
 *   properties from %GST_KMEANS_MODEL_FILTER_N_PROPS;
 * * the model itself: the sticky in-band `kmeans-model` event (taken in
 *   sink_event, then forwarded), or the checkpoint file named by
 *   `model-location`, loaded at start (an error when it exists but cannot
 *   be read) and, once the caps are known, polled every
 *   `model-poll-interval` before each buffer.  A new version of the file
 *   that is damaged, of another dimension than the stream, or refused by
 *   #GstKMeansModelFilterClass.check_model() is rejected: a warning naming
 *   the file and the problem, counted in `rejected-models`, and the current
 *   model stays (gst_kmeans_model_file_update()).  Each (re)load that is
 *   used posts the element message `kmeans-model-loaded`
 *   (gst_kmeans_post_model_loaded()) and is sent downstream as the in-band
 *   event before the next buffer.  The model that arrived last is in force;
 *   #GstKMeansModelFilterClass.model_changed() tells the subclass;
 * * before each buffer is processed: a buffer with no model yet is dropped
 *   or passed on unprocessed (#GstKMeansModelFilterClass.pass_without_model)
 *   with its points counted, or an error, as `on-no-model` says; a model in
 *   force that does not fit the stream is an error: an in-band model of
 *   another dimension, the checkpoint loaded at start (before the caps were
 *   known; the error names the file), or any model after the caps changed;
 * * the input caps, parsed into a #GstKMeansPointsInfo
 *   (gst_kmeans_model_filter_get_info(); the subclass sees new caps in
 *   #GstKMeansModelFilterClass.set_info()), and reading points under
 *   `on-bad-input` (gst_kmeans_model_filter_read_points(), or another
 *   gst_kmeans_points_read_*() with gst_kmeans_model_filter_get_reader()
 *   and gst_kmeans_model_filter_handle_bad_input());
 * * letting go of the model, the file and the reader at stop.
 *
 * A subclass implements transform() or transform_ip() and starts them with
 * gst_kmeans_model_filter_model_for_buffer().  It leaves set_caps to this
 * class (set_info is its hook); when it overrides start, stop, sink_event
 * or submit_input_buffer it chains up to this class's.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmeansmodelfilter.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_model_filter_debug);
#define GST_CAT_DEFAULT gst_kmeans_model_filter_debug

/* The shared properties take the ids from here up to
 * GST_KMEANS_MODEL_FILTER_N_PROPS - 1. */
#define FIRST_PROP_ID 1
#define PROP_COLUMNS (FIRST_PROP_ID + GST_KMEANS_MODEL_N_PROPS)

typedef struct
{
  /* Properties and counters, under the object lock. */
  GstKMeansModelSettings settings;
  gchar *columns;
  /* The model in force: written by the streaming thread under the object
   * lock, read by get_property and gst_kmeans_model_filter_dup_model(). */
  KmModel *model;

  /* Streaming-thread state. */
  GstKMeansPointsInfo info;
  gboolean have_info;
  GstKMeansPointsReader reader;
  gboolean warned_bad_input;
  GstKMeansModelFile model_file;
  gboolean announce_model;      /* a file-loaded model not yet sent downstream */
  gboolean no_model_counted;    /* on-no-model already applied to this buffer */
  guint64 buffer_skipped;       /* points of this buffer skipped as bad input */
} GstKMeansModelFilterPrivate;

#define gst_kmeans_model_filter_parent_class parent_class
G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstKMeansModelFilter,
    gst_kmeans_model_filter, GST_TYPE_BASE_TRANSFORM,
    G_ADD_PRIVATE (GstKMeansModelFilter);
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_model_filter_debug,
        "kmeans-model-filter", 0, "k-means model-consuming transforms"));

#define GET_PRIV(filter) \
    ((GstKMeansModelFilterPrivate *) \
        gst_kmeans_model_filter_get_instance_private (filter))

static void gst_kmeans_model_filter_finalize (GObject * object);
static void gst_kmeans_model_filter_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_kmeans_model_filter_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static gboolean gst_kmeans_model_filter_start (GstBaseTransform * trans);
static gboolean gst_kmeans_model_filter_stop (GstBaseTransform * trans);
static gboolean gst_kmeans_model_filter_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_kmeans_model_filter_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn
gst_kmeans_model_filter_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * buf);

static void
gst_kmeans_model_filter_class_init (GstKMeansModelFilterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->finalize = gst_kmeans_model_filter_finalize;
  gobject_class->set_property = gst_kmeans_model_filter_set_property;
  gobject_class->get_property = gst_kmeans_model_filter_get_property;

  trans_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_model_filter_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_model_filter_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_kmeans_model_filter_set_caps);
  trans_class->sink_event =
      GST_DEBUG_FUNCPTR (gst_kmeans_model_filter_sink_event);
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_kmeans_model_filter_submit_input_buffer);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_MODEL_FILTER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_NO_MODEL, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_model_filter_init (GstKMeansModelFilter * filter)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);

  gst_kmeans_model_settings_init (&priv->settings);
  gst_kmeans_points_reader_init (&priv->reader);
  gst_kmeans_model_file_init (&priv->model_file);
}

static void
gst_kmeans_model_filter_finalize (GObject * object)
{
  GstKMeansModelFilterPrivate *priv =
      GET_PRIV (GST_KMEANS_MODEL_FILTER (object));

  gst_kmeans_model_settings_clear (&priv->settings);
  g_free (priv->columns);
  gst_kmeans_points_reader_clear (&priv->reader);
  gst_kmeans_model_file_clear (&priv->model_file);
  g_clear_pointer (&priv->model, km_model_unref);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

void
gst_kmeans_model_filter_class_install_properties (GstKMeansModelFilterClass *
    klass, const GstKMeansModelBlurbs * blurbs)
{
  GstKMeansModelBlurbs all = *blurbs;

  /* Every model filter has all seven; these two read the same in each. */
  if (all.model_version == NULL)
    all.model_version = "Version of the model in force (0: no model yet)";
  if (all.skipped_points == NULL)
    all.skipped_points = "Points skipped as bad input (partial rows, NaN or "
        "Inf) with on-bad-input=skip, the default";
  gst_kmeans_model_install_properties (G_OBJECT_CLASS (klass), FIRST_PROP_ID,
      &all);
  gst_kmeans_columns_install_property (G_OBJECT_CLASS (klass), PROP_COLUMNS);
}

static void
gst_kmeans_model_filter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansModelFilterPrivate *priv =
      GET_PRIV (GST_KMEANS_MODEL_FILTER (object));
  gboolean known;

  GST_OBJECT_LOCK (object);
  known = gst_kmeans_model_settings_set_property (&priv->settings,
      FIRST_PROP_ID, prop_id, value);
  if (prop_id == PROP_COLUMNS) {
    g_free (priv->columns);
    priv->columns = g_value_dup_string (value);
    known = TRUE;
  }
  GST_OBJECT_UNLOCK (object);

  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_kmeans_model_filter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansModelFilterPrivate *priv =
      GET_PRIV (GST_KMEANS_MODEL_FILTER (object));
  gboolean known;

  GST_OBJECT_LOCK (object);
  known = gst_kmeans_model_settings_get_property (&priv->settings,
      priv->model, FIRST_PROP_ID, prop_id, value);
  if (prop_id == PROP_COLUMNS) {
    g_value_set_string (value, priv->columns);
    known = TRUE;
  }
  GST_OBJECT_UNLOCK (object);

  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

/* --------------------------------------------------------------- model */

/* Makes @model (transfer full, may be NULL) the model in force. */
static void
set_model (GstKMeansModelFilter * filter, KmModel * model)
{
  GstKMeansModelFilterClass *klass = GST_KMEANS_MODEL_FILTER_GET_CLASS (filter);
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  KmModel *old;

  GST_OBJECT_LOCK (filter);
  old = priv->model;
  priv->model = model;
  GST_OBJECT_UNLOCK (filter);

  if (model)
    GST_INFO_OBJECT (filter, "model version %" G_GUINT64_FORMAT " in force: "
        "k=%u d=%u", km_model_get_version (model), km_model_get_k (model),
        km_model_get_d (model));
  if (klass->model_changed)
    klass->model_changed (filter, model);
  if (old)
    km_model_unref (old);
}

/* A model from the file is in force: it is announced downstream before
 * the next buffer, as an in-band model would be. */
static void
take_file_model (GstKMeansModelFilter * filter, KmModel * model)
{
  set_model (filter, model);
  GET_PRIV (filter)->announce_model = TRUE;
}

/* The subclass's test of a model of the stream's dimension. */
static gboolean
subclass_accepts_model (GstElement * element, KmModel * model, GError ** error)
{
  GstKMeansModelFilterClass *klass = GST_KMEANS_MODEL_FILTER_GET_CLASS
      (element);

  return klass->check_model == NULL
      || klass->check_model (GST_KMEANS_MODEL_FILTER (element), model, error);
}

/* Only with caps: a replacement is checked against the stream before it
 * is put in force. */
static void
poll_model_file (GstKMeansModelFilter * filter)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  KmModel *model;

  if (!priv->have_info)
    return;
  model = gst_kmeans_model_settings_poll (&priv->settings, &priv->model_file,
      GST_ELEMENT (filter), priv->info.dimensions, subclass_accepts_model);
  if (model)
    take_file_model (filter, model);
}

/* Sends a model that came from a file downstream as the in-band model
 * event, so that elements after this one (kmeans-format) know it too. */
static void
send_file_model_downstream (GstKMeansModelFilter * filter)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  KmModel *model;

  if (!priv->announce_model)
    return;
  priv->announce_model = FALSE;

  model = gst_kmeans_model_filter_dup_model (filter);
  if (model) {
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (filter),
        gst_kmeans_model_event_new (model));
    km_model_unref (model);
  }
}

KmModel *
gst_kmeans_model_filter_dup_model (GstKMeansModelFilter * filter)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  KmModel *model = NULL;

  GST_OBJECT_LOCK (filter);
  if (priv->model)
    model = km_model_ref (priv->model);
  GST_OBJECT_UNLOCK (filter);
  return model;
}

static gboolean
gst_kmeans_model_filter_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  KmModel *model = NULL;

  if (gst_kmeans_model_event_parse (event, &model)) {
    GST_DEBUG_OBJECT (filter, "in-band model version %" G_GUINT64_FORMAT,
        km_model_get_version (model));
    set_model (filter, model);
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ------------------------------------------------------------- states */

static void
release (GstKMeansModelFilter * filter)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);

  set_model (filter, NULL);
  gst_kmeans_model_file_clear (&priv->model_file);
  gst_kmeans_model_file_init (&priv->model_file);
  gst_kmeans_points_reader_clear (&priv->reader);
  gst_kmeans_points_reader_init (&priv->reader);
  priv->have_info = FALSE;
  priv->announce_model = FALSE;
}

static gboolean
gst_kmeans_model_filter_start (GstBaseTransform * trans)
{
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  KmModel *model;

  priv->warned_bad_input = FALSE;
  if (!gst_kmeans_model_settings_start (&priv->settings, &priv->model_file,
          GST_ELEMENT (filter), &model)) {
    release (filter);
    return FALSE;
  }
  if (model)
    take_file_model (filter, model);
  return TRUE;
}

static gboolean
gst_kmeans_model_filter_stop (GstBaseTransform * trans)
{
  release (GST_KMEANS_MODEL_FILTER (trans));
  return TRUE;
}

/* --------------------------------------------------------------- caps */

static gboolean
gst_kmeans_model_filter_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  GstKMeansModelFilterClass *klass = GST_KMEANS_MODEL_FILTER_GET_CLASS (filter);
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  GstKMeansPointsInfo info;
  GError *err = NULL;

  if (!gst_kmeans_points_info_from_caps (&info, incaps, &err)) {
    GST_WARNING_OBJECT (filter, "unusable input caps %" GST_PTR_FORMAT ": %s",
        incaps, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  if (!gst_kmeans_points_apply_columns (GST_ELEMENT (filter), &info,
          &priv->columns, incaps))
    return FALSE;
  if (klass->set_info && !klass->set_info (filter, incaps, &info, outcaps))
    return FALSE;

  priv->info = info;
  priv->have_info = TRUE;
  return TRUE;
}

const GstKMeansPointsInfo *
gst_kmeans_model_filter_get_info (GstKMeansModelFilter * filter)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);

  return priv->have_info ? &priv->info : NULL;
}

/* ---------------------------------------------------------- streaming */

/* Points of @buf came before any model. */
static GstFlowReturn
handle_no_model (GstKMeansModelFilter * filter, GstBuffer * buf)
{
  GstKMeansModelFilterClass *klass = GST_KMEANS_MODEL_FILTER_GET_CLASS (filter);
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  guint64 rows = gst_kmeans_points_buffer_count (&priv->info, buf);
  GstKMeansNoModel policy;

  GST_OBJECT_LOCK (filter);
  policy = priv->settings.on_no_model;
  if (policy == GST_KMEANS_NO_MODEL_DROP)
    priv->settings.dropped_points += rows;
  GST_OBJECT_UNLOCK (filter);

  if (policy == GST_KMEANS_NO_MODEL_ERROR) {
    GST_ELEMENT_ERROR (filter, STREAM, FAILED,
        ("no model yet: points arrived before any k-means model."),
        ("%" G_GUINT64_FORMAT " points arrived before a kmeans-model event "
            "or a checkpoint at '%s'", rows,
            GST_STR_NULL (priv->model_file.location)));
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (filter, "no model yet, %" G_GUINT64_FORMAT " points %s",
      rows, klass->pass_without_model ? "not processed" : "dropped");
  return klass->pass_without_model ? GST_FLOW_OK :
      GST_BASE_TRANSFORM_FLOW_DROPPED;
}

/* Applies on-no-model, the dimension check and the subclass's. */
static GstFlowReturn
check_buffer_model (GstKMeansModelFilter * filter, GstBuffer * buf,
    KmModel ** model)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);

  *model = priv->model;
  if (*model == NULL)
    return handle_no_model (filter, buf);
  if (!gst_kmeans_model_check_in_force (GST_ELEMENT (filter),
          &priv->model_file, *model, priv->info.dimensions,
          subclass_accepts_model))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

/* Before base transform sees a buffer: pick up a replaced checkpoint (so
 * that renegotiation for a new model happens right away), and deal with
 * points that have no usable model. */
static GstFlowReturn
gst_kmeans_model_filter_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * buf)
{
  GstKMeansModelFilter *filter = GST_KMEANS_MODEL_FILTER (trans);
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);

  poll_model_file (filter);
  send_file_model_downstream (filter);

  /* Without caps, let base transform report not-negotiated; should it
   * negotiate them now, model_for_buffer() applies the checks. */
  priv->no_model_counted = FALSE;
  priv->buffer_skipped = 0;
  if (priv->have_info) {
    KmModel *model;
    GstFlowReturn ret = check_buffer_model (filter, buf, &model);

    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      return ret;
    }
    priv->no_model_counted = model == NULL;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->submit_input_buffer (trans,
      is_discont, buf);
}

GstFlowReturn
gst_kmeans_model_filter_model_for_buffer (GstKMeansModelFilter * filter,
    GstBuffer * buf, KmModel ** model)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);

  *model = NULL;
  if (G_UNLIKELY (!priv->have_info))
    return GST_FLOW_NOT_NEGOTIATED;
  /* Only a class that passes such buffers gets them here. */
  if (priv->model == NULL && priv->no_model_counted)
    return GST_FLOW_OK;
  /* The caps may have changed since submit_input_buffer: check again. */
  return check_buffer_model (filter, buf, model);
}

GstKMeansPointsReader *
gst_kmeans_model_filter_get_reader (GstKMeansModelFilter * filter)
{
  return &GET_PRIV (filter)->reader;
}

gboolean
gst_kmeans_model_filter_handle_bad_input (GstKMeansModelFilter * filter,
    GstKMeansReadStatus status, gsize size)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  GstKMeansOnBadInput policy;
  guint64 skipped = 0;

  GST_OBJECT_LOCK (filter);
  policy = priv->settings.on_bad_input;
  GST_OBJECT_UNLOCK (filter);

  if (!gst_kmeans_points_report_bad (GST_ELEMENT (filter), &priv->reader,
          &priv->info, status, size, policy, &priv->warned_bad_input, &skipped))
    return FALSE;

  GST_OBJECT_LOCK (filter);
  priv->settings.skipped_points += skipped;
  GST_OBJECT_UNLOCK (filter);
  priv->buffer_skipped += skipped;
  return TRUE;
}

guint64
gst_kmeans_model_filter_get_buffer_skipped (GstKMeansModelFilter * filter)
{
  return GET_PRIV (filter)->buffer_skipped;
}

gboolean
gst_kmeans_model_filter_read_points (GstKMeansModelFilter * filter,
    GstBuffer * buf, const GstMapInfo * map, const gfloat ** points,
    gsize * n_points)
{
  GstKMeansModelFilterPrivate *priv = GET_PRIV (filter);
  GstKMeansReadStatus status;

  *n_points = 0;
  *points = gst_kmeans_points_read_buffer (&priv->reader, &priv->info, buf,
      map, n_points, &status);
  return status == GST_KMEANS_READ_OK
      || gst_kmeans_model_filter_handle_bad_input (filter, status, map->size);
}

/* gst-kmeans: the in-band model event kmeans-train sends downstream, a checkpoint file watched for replacement, and the properties of the elements that consume a model (kmeans-assign, -score, -viz).
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_MODEL_H__
#define __GST_KMEANS_MODEL_H__

#include <gst/gst.h>
#include "kmeans.h"
#include "gstkmeanspoints.h"
#include "gstkmeansproperties.h"

G_BEGIN_DECLS

/* ------------------------------------------------------ the model event */

/* KmModel as a boxed type (ref / unref), named GstKMeansModel. */
typedef KmModel GstKMeansModel;
GType gst_kmeans_model_get_type (void);
#define GST_TYPE_KMEANS_MODEL (gst_kmeans_model_get_type ())

/* The metric's name on the wire and in JSON documents:
 * "squared-euclidean" or "cosine" (the enum's nicks). */
const gchar *gst_kmeans_model_metric_nick (KmModel * model);

#define GST_KMEANS_MODEL_EVENT_NAME "kmeans-model"

/* A serialized, sticky custom downstream event named "kmeans-model" with
 * fields: model (GstKMeansModel boxed), version (guint64), step
 * (guint64), clusters (guint), dimensions (guint), metric (string), and
 * the model's data, so that it survives serialization (kmzmqsink ->
 * kmzmqsrc): centers (base64 of k*d little-endian float32) and, when the
 * model has counts, counts (base64 of k little-endian float64); see
 * schemas/model-event.md.  Sticky, so a downstream element linked late or
 * after a flush still gets the newest model before the next buffer. */
GstEvent *gst_kmeans_model_event_new (KmModel * model);

/* TRUE if @event is a model event holding a model; then *model is a new
 * reference: the boxed model itself when the event has one (in process),
 * else a model rebuilt from the data fields, which are checked as outside
 * input (shape within the core's limits, exact sizes, finite centers,
 * finite non-negative counts).  FALSE for other events and for a model
 * event that fails a check (logged as a warning). */
gboolean gst_kmeans_model_event_parse (GstEvent * event, KmModel ** model);

/* ---------------------------------------------- watched checkpoint file */

typedef struct
{
  gchar *location;
  KmModel *model;
  guint64 file_id[4];           /* dev, ino, size, mtime of what was loaded */
  gint64 last_check;            /* monotonic us */
  gchar *last_error;            /* reported already; not repeated */
} GstKMeansModelFile;

void gst_kmeans_model_file_init (GstKMeansModelFile * mf);
void gst_kmeans_model_file_clear (GstKMeansModelFile * mf);
void gst_kmeans_model_file_set_location (GstKMeansModelFile * mf,
    const gchar * location);

/* Stats the file at most every @interval_us and reloads it when it was
 * replaced or changed.  Sets *reloaded when a new model was loaded.
 * FALSE with @error when the file exists but cannot be used (the old
 * model stays; that version of the file is not retried, a replacement
 * is).  A missing file is not an error until a model is needed. */
gboolean gst_kmeans_model_file_poll (GstKMeansModelFile * mf,
    gint64 interval_us, gboolean * reloaded, GError ** error);

/* What kmeans-assign, -score and -viz do with their model-location at
 * start, before the stream's caps are known: watch @location (nothing to
 * do when NULL or empty) and load it now.  FALSE after posting an error
 * when the file exists but cannot be read.  Otherwise TRUE, with *model
 * the loaded model (a new reference; "kmeans-model-loaded" posted), or
 * NULL while there is no file yet.  Whether that model fits the stream is
 * checked with the model in force, before each buffer
 * (gst_kmeans_model_check_in_force(): an error naming the file). */
gboolean gst_kmeans_model_file_start (GstKMeansModelFile * mf,
    GstElement * element, const gchar * location, KmModel ** model);

/* An element's own test of a model of the stream's dimension: FALSE with
 * @error (a lower-case phrase, e.g. "model has 70000 clusters, ...") when
 * @model cannot serve its stream all the same. */
typedef gboolean (*GstKMeansModelFitFunc) (GstElement * element,
    KmModel * model, GError ** error);

/* TRUE when @model can serve a stream of @dimensions-dimensional points:
 * it has that dimension and @fit (may be NULL) takes it.  Otherwise FALSE
 * with @error (GST_STREAM_ERROR_FORMAT), e.g. "model has dimension 5, the
 * stream has 3". */
gboolean gst_kmeans_model_fits (GstElement * element, KmModel * model,
    guint dimensions, GstKMeansModelFitFunc fit, GError ** error);

/* What kmeans-assign, -score and -viz do with a watched file while
 * running, once the stream's caps are known: polls it at most every
 * @interval (ns).  A new version of the file that loads and fits the
 * stream (gst_kmeans_model_fits() with @dimensions and @fit) is returned
 * (a new reference) after posting "kmeans-model-loaded", for the element
 * to put in force.  A new version that cannot be used, damaged or not
 * fitting, is rejected: a warning naming the file and the problem (once
 * per distinct problem), *rejected set (may be NULL), NULL returned, no
 * "kmeans-model-loaded"; the current model stays and that version is not
 * retried (a replacement is).  A file that cannot be looked at also posts
 * a warning, but is no version and is tried again. */
KmModel *gst_kmeans_model_file_update (GstKMeansModelFile * mf,
    GstElement * element, GstClockTime interval, guint dimensions,
    GstKMeansModelFitFunc fit, gboolean * rejected);

/* Before a buffer: FALSE after posting an error when @model, the model in
 * force, cannot serve a stream of @dimensions (gst_kmeans_model_fits()
 * with @fit).  The error names the file of @mf (may be NULL) when the
 * model came from it: a checkpoint present at start that does not fit
 * the negotiated stream stops it, as one that cannot be read does. */
gboolean gst_kmeans_model_check_in_force (GstElement * element,
    const GstKMeansModelFile * mf, KmModel * model, guint dimensions,
    GstKMeansModelFitFunc fit);

/* Posts "kmeans-model-loaded": location (string), model-version, step
 * (guint64), clusters, dimensions (guint). */
void gst_kmeans_post_model_loaded (GstElement * element,
    const gchar * location, KmModel * model);

/* ------------------------------------------ the model-consumer properties */

/* The properties kmeans-assign, -score and -viz share, numbered from the
 * first property id the element reserves for them. */
typedef enum
{
  GST_KMEANS_MODEL_PROP_LOCATION,       /* model-location */
  GST_KMEANS_MODEL_PROP_POLL_INTERVAL,  /* model-poll-interval */
  GST_KMEANS_MODEL_PROP_ON_NO_MODEL,    /* on-no-model */
  GST_KMEANS_MODEL_PROP_ON_BAD_INPUT,   /* on-bad-input */
  GST_KMEANS_MODEL_PROP_VERSION,        /* model-version */
  GST_KMEANS_MODEL_PROP_DROPPED_POINTS, /* dropped-points */
  GST_KMEANS_MODEL_PROP_SKIPPED_POINTS, /* skipped-points */
  GST_KMEANS_MODEL_PROP_REJECTED_MODELS,        /* rejected-models */
  GST_KMEANS_MODEL_N_PROPS
} GstKMeansModelProp;

#define GST_KMEANS_MODEL_DEFAULT_POLL_INTERVAL (500 * GST_MSECOND)
/* Points come from outside (files, the network): bad ones are skipped and
 * counted, not fatal, unless on-bad-input=error asks for strictness. */
#define GST_KMEANS_MODEL_DEFAULT_ON_BAD_INPUT GST_KMEANS_ON_BAD_INPUT_SKIP

/* The blurbs that say what the element does with the points (static
 * strings).  A NULL one leaves its property out: kmeans-viz has neither
 * on-no-model nor dropped-points. */
typedef struct
{
  const gchar *on_no_model;
  const gchar *on_bad_input;
  const gchar *model_version;
  const gchar *dropped_points;
  const gchar *skipped_points;
} GstKMeansModelBlurbs;

/* Installs the shared properties on @klass, property GST_KMEANS_MODEL_PROP_x
 * with id @first_prop_id + x; model-location, model-poll-interval and
 * rejected-models always, the others when @blurbs names them. */
void gst_kmeans_model_install_properties (GObjectClass * klass,
    guint first_prop_id, const GstKMeansModelBlurbs * blurbs);

/* What the shared properties read and write; the element keeps it under
 * its object lock.  The counters are written by the streaming thread. */
typedef struct
{
  gchar *location;
  guint64 poll_interval;        /* ns */
  GstKMeansNoModel on_no_model;
  GstKMeansOnBadInput on_bad_input;
  guint64 dropped_points;
  guint64 skipped_points;
  guint64 rejected_models;
} GstKMeansModelSettings;

/* The properties' defaults. */
void gst_kmeans_model_settings_init (GstKMeansModelSettings * settings);
void gst_kmeans_model_settings_clear (GstKMeansModelSettings * settings);

/* An element's set_property / get_property for the shared properties,
 * called with its object lock held: FALSE when @prop_id is none of them.
 * @model is the model in force (NULL: none), for model-version. */
gboolean gst_kmeans_model_settings_set_property (GstKMeansModelSettings *
    settings, guint first_prop_id, guint prop_id, const GValue * value);
gboolean gst_kmeans_model_settings_get_property (const GstKMeansModelSettings
    * settings, KmModel * model, guint first_prop_id, guint prop_id,
    GValue * value);

/* At start (takes the object lock): zeroes the counters, then
 * gst_kmeans_model_file_start() on model-location. */
gboolean gst_kmeans_model_settings_start (GstKMeansModelSettings * settings,
    GstKMeansModelFile * mf, GstElement * element, KmModel ** model);

/* Before a buffer, once the caps are known (takes the object lock):
 * gst_kmeans_model_file_update() every model-poll-interval, a rejected
 * version counted in rejected-models.  The new model (a new reference) or
 * NULL. */
KmModel *gst_kmeans_model_settings_poll (GstKMeansModelSettings * settings,
    GstKMeansModelFile * mf, GstElement * element, guint dimensions,
    GstKMeansModelFitFunc fit);

G_END_DECLS

#endif /* __GST_KMEANS_MODEL_H__ */

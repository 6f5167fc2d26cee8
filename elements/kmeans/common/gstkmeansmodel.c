/* gst-kmeans: the in-band model event kmeans-train sends downstream, and a checkpoint file watched for replacement (kmeans-assign, -score, -viz).
 *
 * See gstkmeansmodel.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "gstkmeansmodel.h"

/* ---------------------------------------------------------- model event */

G_DEFINE_BOXED_TYPE (GstKMeansModel, gst_kmeans_model, km_model_ref,
    km_model_unref);

static const gchar *
metric_nick (KmMetric metric)
{
  return metric == KM_METRIC_COSINE ? "cosine" : "squared-euclidean";
}

GstEvent *
gst_kmeans_model_event_new (KmModel * model)
{
  GstStructure *s;

  g_return_val_if_fail (model != NULL, NULL);

  s = gst_structure_new (GST_KMEANS_MODEL_EVENT_NAME,
      "model", GST_TYPE_KMEANS_MODEL, model,
      "version", G_TYPE_UINT64, km_model_get_version (model),
      "step", G_TYPE_UINT64, km_model_get_step (model),
      "clusters", G_TYPE_UINT, km_model_get_k (model),
      "dimensions", G_TYPE_UINT, km_model_get_d (model),
      "metric", G_TYPE_STRING, metric_nick (km_model_get_metric (model)), NULL);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

gboolean
gst_kmeans_model_event_parse (GstEvent * event, KmModel ** model)
{
  const GstStructure *s;

  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);
  g_return_val_if_fail (model != NULL, FALSE);

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY
      || !gst_event_has_name (event, GST_KMEANS_MODEL_EVENT_NAME))
    return FALSE;

  s = gst_event_get_structure (event);
  *model = NULL;
  return gst_structure_get (s, "model", GST_TYPE_KMEANS_MODEL, model, NULL)
      && *model != NULL;
}

/* ------------------------------------------------- watched checkpoint file */

void
gst_kmeans_model_file_init (GstKMeansModelFile * mf)
{
  memset (mf, 0, sizeof (*mf));
}

void
gst_kmeans_model_file_clear (GstKMeansModelFile * mf)
{
  g_free (mf->location);
  g_free (mf->last_error);
  if (mf->model)
    km_model_unref (mf->model);
  memset (mf, 0, sizeof (*mf));
}

void
gst_kmeans_model_file_set_location (GstKMeansModelFile * mf,
    const gchar * location)
{
  gchar *old = mf->location;

  mf->location = g_strdup (location);
  g_free (old);
  memset (mf->file_id, 0, sizeof (mf->file_id));
  mf->last_check = 0;
}

static void
file_identity (const struct stat *st, guint64 id[4])
{
  id[0] = st->st_dev;
  id[1] = st->st_ino;
  id[2] = st->st_size;
  id[3] = (guint64) st->st_mtim.tv_sec * G_GUINT64_CONSTANT (1000000000)
      + st->st_mtim.tv_nsec;
}

gboolean
gst_kmeans_model_file_poll (GstKMeansModelFile * mf, gint64 interval_us,
    gboolean * reloaded, GError ** error)
{
  struct stat st;
  guint64 id[4];
  gint64 now;
  KmModel *model;

  g_return_val_if_fail (mf != NULL && reloaded != NULL, FALSE);

  *reloaded = FALSE;
  if (mf->location == NULL)
    return TRUE;

  now = g_get_monotonic_time ();
  if (mf->last_check != 0 && now - mf->last_check < interval_us)
    return TRUE;
  mf->last_check = now;

  if (stat (mf->location, &st) != 0) {
    if (errno == ENOENT)
      return TRUE;
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "cannot read model file \"%s\": %s", mf->location, g_strerror (errno));
    return FALSE;
  }

  file_identity (&st, id);
  if (memcmp (id, mf->file_id, sizeof (id)) == 0)
    return TRUE;
  /* Remember this version even if it fails to load, so a broken file is
   * reported once, not on every buffer; a fixed replacement is new again. */
  memcpy (mf->file_id, id, sizeof (id));

  model = km_checkpoint_load_model (mf->location, error);
  if (model == NULL)
    return FALSE;

  if (mf->model)
    km_model_unref (mf->model);
  mf->model = model;
  *reloaded = TRUE;
  return TRUE;
}

void
gst_kmeans_post_model_loaded (GstElement * element, const gchar * location,
    KmModel * model)
{
  GstStructure *s;

  s = gst_structure_new ("kmeans-model-loaded",
      "location", G_TYPE_STRING, location,
      "model-version", G_TYPE_UINT64, km_model_get_version (model),
      "step", G_TYPE_UINT64, km_model_get_step (model),
      "clusters", G_TYPE_UINT, km_model_get_k (model),
      "dimensions", G_TYPE_UINT, km_model_get_d (model), NULL);
  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

gboolean
gst_kmeans_model_file_start (GstKMeansModelFile * mf, GstElement * element,
    const gchar * location, KmModel ** model)
{
  GError *err = NULL;
  gboolean reloaded = FALSE;

  *model = NULL;
  if (location == NULL || *location == '\0')
    return TRUE;

  gst_kmeans_model_file_set_location (mf, location);
  if (!gst_kmeans_model_file_poll (mf, 0, &reloaded, &err)) {
    GST_ELEMENT_ERROR (element, RESOURCE, READ,
        ("Could not read the k-means checkpoint \"%s\".", location),
        ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  if (!reloaded || mf->model == NULL) {
    GST_INFO_OBJECT (element, "no checkpoint at %s yet", location);
    return TRUE;
  }
  gst_kmeans_post_model_loaded (element, location, mf->model);
  *model = km_model_ref (mf->model);
  return TRUE;
}

gboolean
gst_kmeans_model_check_dimensions (GstElement * element, KmModel * model,
    guint dimensions)
{
  guint d = km_model_get_d (model);

  if (d == dimensions)
    return TRUE;

  GST_ELEMENT_ERROR (element, STREAM, FORMAT,
      ("The k-means model has %u dimensions but the points have %u.",
          d, dimensions),
      ("model version %" G_GUINT64_FORMAT " is %u-dimensional, the stream "
          "%u-dimensional", km_model_get_version (model), d, dimensions));
  return FALSE;
}

KmModel *
gst_kmeans_model_file_update (GstKMeansModelFile * mf, GstElement * element,
    GstClockTime interval)
{
  GError *err = NULL;
  gboolean reloaded = FALSE;

  if (mf->location == NULL)
    return NULL;

  if (!gst_kmeans_model_file_poll (mf,
          (gint64) MIN (interval / GST_USECOND, G_MAXINT64), &reloaded, &err)) {
    if (g_strcmp0 (err->message, mf->last_error) != 0) {
      GST_ELEMENT_WARNING (element, RESOURCE, READ,
          ("Could not reload the k-means checkpoint \"%s\"; keeping the "
              "current model.", mf->location), ("%s", err->message));
      g_free (mf->last_error);
      mf->last_error = g_strdup (err->message);
    }
    g_clear_error (&err);
    return NULL;
  }
  if (!reloaded || mf->model == NULL)
    return NULL;

  g_clear_pointer (&mf->last_error, g_free);
  gst_kmeans_post_model_loaded (element, mf->location, mf->model);
  return km_model_ref (mf->model);
}

/* gst-kmeans: the in-band model event kmeans-train sends downstream, a checkpoint file watched for replacement, and the properties of the elements that consume a model (kmeans-assign, -score, -viz).
 *
 * See gstkmeansmodel.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "gstkmeansmodel.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_model_debug);
#define GST_CAT_DEFAULT gst_kmeans_model_debug

/* A static library has no plugin_init: registered on first use. */
static void
ensure_debug_category (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered)) {
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_model_debug, "kmeans-model", 0,
        "k-means model files and their checks");
    g_once_init_leave (&registered, 1);
  }
}

/* ---------------------------------------------------------- model event */

/* Registered once per process, by whichever plugin comes first (see
 * gst_kmeans_register_enum): a model event from kmeans-hub (kmdist) is
 * read by kmeans-assign (kmeans) with the same type. */
GType
gst_kmeans_model_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_type_from_name ("GstKMeansModel");

    if (t == 0)
      t = g_boxed_type_register_static ("GstKMeansModel",
          (GBoxedCopyFunc) km_model_ref, (GBoxedFreeFunc) km_model_unref);
    g_once_init_leave (&type, t);
  }
  return type;
}

const gchar *
gst_kmeans_model_metric_nick (KmModel * model)
{
  return km_model_get_metric (model) == KM_METRIC_COSINE ? "cosine" :
      "squared-euclidean";
}

static gboolean
metric_from_nick (const gchar * nick, KmMetric * metric)
{
  if (g_strcmp0 (nick, "squared-euclidean") == 0)
    *metric = KM_METRIC_SQUARED_EUCLIDEAN;
  else if (g_strcmp0 (nick, "cosine") == 0)
    *metric = KM_METRIC_COSINE;
  else
    return FALSE;
  return TRUE;
}

/* The wire is little endian (schemas/model-event.md): on a big-endian
 * host each value of @size bytes is reversed in place. */
static void
values_to_from_le (guint8 * data, gsize n, gsize size)
{
#if G_BYTE_ORDER == G_BIG_ENDIAN
  gsize i, j;

  for (i = 0; i < n; i++) {
    guint8 *v = data + i * size;

    for (j = 0; j < size / 2; j++) {
      guint8 t = v[j];

      v[j] = v[size - 1 - j];
      v[size - 1 - j] = t;
    }
  }
#endif
}

static gchar *
base64_le_from_values (const void *values, gsize n, gsize size)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return g_base64_encode (values, n * size);
#else
  guint8 *le = g_memdup2 (values, n * size);
  gchar *text;

  values_to_from_le (le, n, size);
  text = g_base64_encode (le, n * size);
  g_free (le);
  return text;
#endif
}

/* Sets @field of @s to @str, taken: no copy of a string of megabytes. */
static void
take_string (GstStructure * s, const gchar * field, gchar * str)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, str);
  gst_structure_take_value (s, field, &value);
}

GstEvent *
gst_kmeans_model_event_new (KmModel * model)
{
  guint k, d;
  gchar *centers;
  GstStructure *s;

  g_return_val_if_fail (model != NULL, NULL);

  k = km_model_get_k (model);
  d = km_model_get_d (model);
  centers = base64_le_from_values (km_model_get_centers (model),
      (gsize) k * d, sizeof (gfloat));
  s = gst_structure_new (GST_KMEANS_MODEL_EVENT_NAME,
      "model", GST_TYPE_KMEANS_MODEL, model,
      "version", G_TYPE_UINT64, km_model_get_version (model),
      "step", G_TYPE_UINT64, km_model_get_step (model),
      "clusters", G_TYPE_UINT, k,
      "dimensions", G_TYPE_UINT, d,
      "metric", G_TYPE_STRING, gst_kmeans_model_metric_nick (model), NULL);
  take_string (s, "centers", centers);
  if (km_model_get_counts (model) != NULL)
    take_string (s, "counts",
        base64_le_from_values (km_model_get_counts (model), k,
            sizeof (gdouble)));
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

/* Strict base64 (RFC 4648 alphabet, padded): g_base64_decode() skips what
 * it does not know, so it would take garbage. */
static gboolean
is_base64 (const gchar * text, gsize len, gsize * decoded_len)
{
  gsize i, pad = 0;

  if (len % 4 != 0)
    return FALSE;
  for (i = 0; i < len; i++) {
    gchar c = text[i];

    if (c == '=' && i + 2 >= len && pad < 2) {
      pad++;
    } else if (pad > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/')) {
      return FALSE;
    }
  }
  *decoded_len = len / 4 * 3 - pad;
  return TRUE;
}

/* The @n values of @size bytes that base64 field @field of @s holds, in
 * host order; NULL with @error unless it holds exactly that many. */
static gpointer
values_from_base64_le (const GstStructure * s, const gchar * field, gsize n,
    gsize size, GError ** error)
{
  const gchar *text = gst_structure_get_string (s, field);
  gsize len, want = n * size, got;
  guchar *data;

  if (text == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "no string field \"%s\"", field);
    return NULL;
  }
  len = strlen (text);
  if (!is_base64 (text, len, &got)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "field \"%s\" is not base64", field);
    return NULL;
  }
  if (got != want) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "field \"%s\" holds %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT
        " values need %" G_GSIZE_FORMAT, field, got, n, want);
    return NULL;
  }
  data = g_base64_decode (text, &got);
  values_to_from_le (data, n, size);
  return data;
}

static gboolean
all_finite (const gfloat * centers, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (!isfinite (centers[i]))
      return FALSE;
  return TRUE;
}

static gboolean
all_finite_counts (const gdouble * counts, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (!isfinite (counts[i]) || counts[i] < 0)
      return FALSE;
  return TRUE;
}

/* The shape fields, checked against the core's limits before any size is
 * computed from them. */
static gboolean
shape_from_fields (const GstStructure * s, guint * k, guint * d,
    KmMetric * metric, GError ** error)
{
  if (!gst_structure_get_uint (s, "clusters", k)
      || !gst_structure_get_uint (s, "dimensions", d)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "no clusters or dimensions (guint)");
    return FALSE;
  }
  if (*k == 0 || *d == 0 || *k > KM_MAX_CLUSTERS || *d > KM_MAX_DIMENSIONS
      || (guint64) * k * *d > KM_MAX_MODEL_FLOATS) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "%u clusters of dimension %u are not a model this build takes", *k, *d);
    return FALSE;
  }
  if (!metric_from_nick (gst_structure_get_string (s, "metric"), metric)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "metric is neither squared-euclidean nor cosine");
    return FALSE;
  }
  return TRUE;
}

/* A model event that crossed a process boundary has lost its pointer:
 * the model is rebuilt from the data fields, which are outside input. */
static KmModel *
model_from_fields (const GstStructure * s, GError ** error)
{
  KmModel *model = NULL;
  gfloat *centers = NULL;
  gdouble *counts = NULL;
  guint64 version, step;
  KmMetric metric;
  guint k, d;

  if (!shape_from_fields (s, &k, &d, &metric, error))
    return NULL;
  if (!gst_structure_get_uint64 (s, "version", &version)
      || !gst_structure_get_uint64 (s, "step", &step)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "no version or step (guint64)");
    return NULL;
  }
  centers = values_from_base64_le (s, "centers", (gsize) k * d,
      sizeof (gfloat), error);
  if (centers == NULL)
    goto out;
  if (!all_finite (centers, (gsize) k * d)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "centers hold a NaN or an infinity");
    goto out;
  }
  if (gst_structure_has_field (s, "counts")) {
    counts = values_from_base64_le (s, "counts", k, sizeof (gdouble), error);
    if (counts == NULL)
      goto out;
    if (!all_finite_counts (counts, k)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "counts hold a negative value, a NaN or an infinity");
      goto out;
    }
  }
  model = km_model_new_full (k, d, metric, centers, counts, version, step,
      error);
out:
  g_free (centers);
  g_free (counts);
  return model;
}

gboolean
gst_kmeans_model_event_parse (GstEvent * event, KmModel ** model)
{
  const GstStructure *s;
  GError *error = NULL;

  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);
  g_return_val_if_fail (model != NULL, FALSE);

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY
      || !gst_event_has_name (event, GST_KMEANS_MODEL_EVENT_NAME))
    return FALSE;

  s = gst_event_get_structure (event);
  *model = NULL;
  /* In process: the model itself, no copy. */
  if (gst_structure_has_field (s, "model"))
    return gst_structure_get (s, "model", GST_TYPE_KMEANS_MODEL, model, NULL)
        && *model != NULL;

  *model = model_from_fields (s, &error);
  if (*model == NULL) {
    ensure_debug_category ();
    GST_WARNING ("ignoring a kmeans-model event that holds no usable model: "
        "%s", error->message);
    g_error_free (error);
    return FALSE;
  }
  return TRUE;
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

/* Loads the file when it is a version not seen yet.  TRUE with *model the
 * new model, or NULL when the file is unchanged, missing or not due for a
 * look.  FALSE with @error when it cannot be used; *new_version then says
 * whether that was a new version (now remembered, so it is reported once
 * and not retried) rather than a file that could not be looked at. */
static gboolean
model_file_read_new (GstKMeansModelFile * mf, gint64 interval_us,
    KmModel ** model, gboolean * new_version, GError ** error)
{
  struct stat st;
  guint64 id[4];
  gint64 now;

  *model = NULL;
  *new_version = FALSE;
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
  *new_version = TRUE;

  *model = km_checkpoint_load_model (mf->location, error);
  return *model != NULL;
}

static void
model_file_take (GstKMeansModelFile * mf, KmModel * model)
{
  if (mf->model)
    km_model_unref (mf->model);
  mf->model = model;
}

gboolean
gst_kmeans_model_file_poll (GstKMeansModelFile * mf, gint64 interval_us,
    gboolean * reloaded, GError ** error)
{
  KmModel *model;
  gboolean new_version;

  g_return_val_if_fail (mf != NULL && reloaded != NULL, FALSE);

  *reloaded = FALSE;
  if (!model_file_read_new (mf, interval_us, &model, &new_version, error))
    return FALSE;
  if (model == NULL)
    return TRUE;

  model_file_take (mf, model);
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

  ensure_debug_category ();
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
gst_kmeans_model_fits (GstElement * element, KmModel * model,
    guint dimensions, GstKMeansModelFitFunc fit, GError ** error)
{
  guint d = km_model_get_d (model);

  if (d != dimensions) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "model has dimension %u, the stream has %u", d, dimensions);
    return FALSE;
  }
  return fit == NULL || fit (element, model, error);
}

gboolean
gst_kmeans_model_check_in_force (GstElement * element,
    const GstKMeansModelFile * mf, KmModel * model, guint dimensions,
    GstKMeansModelFitFunc fit)
{
  const gchar *location = mf && model == mf->model ? mf->location : NULL;
  guint d = km_model_get_d (model);
  GError *err = NULL;

  if (G_LIKELY (gst_kmeans_model_fits (element, model, dimensions, fit, &err)))
    return TRUE;

  ensure_debug_category ();
  if (d != dimensions && location != NULL)
    GST_ELEMENT_ERROR (element, STREAM, FORMAT,
        ("The k-means model in \"%s\" has %u dimensions but the points "
            "have %u.", location, d, dimensions),
        ("model version %" G_GUINT64_FORMAT " of the checkpoint, loaded "
            "before the caps were known: %s", km_model_get_version (model),
            err->message));
  else if (d != dimensions)
    GST_ELEMENT_ERROR (element, STREAM, FORMAT,
        ("The k-means model has %u dimensions but the points have %u.",
            d, dimensions),
        ("model version %" G_GUINT64_FORMAT " is %u-dimensional, the stream "
            "%u-dimensional", km_model_get_version (model), d, dimensions));
  else
    GST_ELEMENT_ERROR (element, STREAM, FORMAT,
        ("The k-means model cannot be used for this stream: %s.",
            err->message), ("model version %" G_GUINT64_FORMAT "%s%s",
            km_model_get_version (model), location ? " of " : "",
            location ? location : ""));
  g_error_free (err);
  return FALSE;
}

/* Warns about a version of the file that cannot be used, once per
 * distinct problem: a writer that keeps failing the same way does not
 * flood the bus. */
static void
model_file_warn (GstKMeansModelFile * mf, GstElement * element,
    const GError * err, gboolean unfit)
{
  if (g_strcmp0 (err->message, mf->last_error) == 0) {
    GST_INFO_OBJECT (element, "again: %s", err->message);
    return;
  }
  if (unfit)
    GST_ELEMENT_WARNING (element, STREAM, FORMAT,
        ("Not using the k-means checkpoint \"%s\": %s; keeping the current "
            "model.", mf->location, err->message),
        ("the replacement does not fit the stream; rejected-models counts "
            "it"));
  else
    GST_ELEMENT_WARNING (element, RESOURCE, READ,
        ("Could not reload the k-means checkpoint \"%s\"; keeping the "
            "current model.", mf->location), ("%s", err->message));
  g_free (mf->last_error);
  mf->last_error = g_strdup (err->message);
}

KmModel *
gst_kmeans_model_file_update (GstKMeansModelFile * mf, GstElement * element,
    GstClockTime interval, guint dimensions, GstKMeansModelFitFunc fit,
    gboolean * rejected)
{
  GError *err = NULL;
  gboolean new_version = FALSE;
  KmModel *model = NULL;

  if (rejected)
    *rejected = FALSE;
  if (mf->location == NULL)
    return NULL;

  ensure_debug_category ();
  if (!model_file_read_new (mf,
          (gint64) MIN (interval / GST_USECOND, G_MAXINT64), &model,
          &new_version, &err)) {
    model_file_warn (mf, element, err, FALSE);
    g_clear_error (&err);
    if (rejected)
      *rejected = new_version;
    return NULL;
  }
  if (model == NULL)
    return NULL;

  /* Checked before it is announced: an unusable replacement must leave
   * the pipeline as it was. */
  if (!gst_kmeans_model_fits (element, model, dimensions, fit, &err)) {
    GST_WARNING_OBJECT (element, "rejecting model version %" G_GUINT64_FORMAT
        " of %s: %s", km_model_get_version (model), mf->location, err->message);
    model_file_warn (mf, element, err, TRUE);
    g_clear_error (&err);
    km_model_unref (model);
    if (rejected)
      *rejected = TRUE;
    return NULL;
  }

  model_file_take (mf, model);
  g_clear_pointer (&mf->last_error, g_free);
  gst_kmeans_post_model_loaded (element, mf->location, model);
  return km_model_ref (model);
}

/* ------------------------------------------ the model-consumer properties */

#define RW_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)
#define RO_FLAGS (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void
install_counter (GObjectClass * klass, guint prop_id, const gchar * name,
    const gchar * nick, const gchar * blurb)
{
  g_object_class_install_property (klass, prop_id,
      g_param_spec_uint64 (name, nick, blurb, 0, G_MAXUINT64, 0, RO_FLAGS));
}

void
gst_kmeans_model_install_properties (GObjectClass * klass,
    guint first_prop_id, const GstKMeansModelBlurbs * blurbs)
{
  /* Checkpoint file (written by kmeans-train) to take the model from.  It
   * is reloaded when replaced; a `kmeans-model` event arriving later still
   * takes over until the file changes again. */
  g_object_class_install_property (klass,
      first_prop_id + GST_KMEANS_MODEL_PROP_LOCATION,
      g_param_spec_string ("model-location", "Model location",
          "Checkpoint file to load the model from, reloaded when replaced "
          "(NULL: only take the model from upstream kmeans-model events)",
          NULL, RW_FLAGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (klass,
      first_prop_id + GST_KMEANS_MODEL_PROP_POLL_INTERVAL,
      g_param_spec_uint64 ("model-poll-interval", "Model poll interval",
          "How often to check model-location for a new checkpoint, in "
          "nanoseconds (0: before every buffer)", 0, G_MAXUINT64,
          GST_KMEANS_MODEL_DEFAULT_POLL_INTERVAL,
          RW_FLAGS | GST_PARAM_MUTABLE_PLAYING));
  /* The same in every model consumer: the check is this file's. */
  install_counter (klass,
      first_prop_id + GST_KMEANS_MODEL_PROP_REJECTED_MODELS,
      "rejected-models", "Rejected models",
      "Versions of the model-location file found while running that were "
      "not used: damaged, or not fitting the stream (another dimension, or "
      "a K the output cannot carry); the current model stayed, and a "
      "warning named the file and each new kind of problem");
  if (blurbs->on_no_model)
    g_object_class_install_property (klass,
        first_prop_id + GST_KMEANS_MODEL_PROP_ON_NO_MODEL,
        g_param_spec_enum ("on-no-model", "On no model", blurbs->on_no_model,
            GST_TYPE_KMEANS_NO_MODEL, GST_KMEANS_NO_MODEL_DROP,
            RW_FLAGS | GST_PARAM_MUTABLE_PLAYING));
  if (blurbs->on_bad_input)
    g_object_class_install_property (klass,
        first_prop_id + GST_KMEANS_MODEL_PROP_ON_BAD_INPUT,
        g_param_spec_enum ("on-bad-input", "On bad input",
            blurbs->on_bad_input, GST_TYPE_KMEANS_ON_BAD_INPUT,
            GST_KMEANS_MODEL_DEFAULT_ON_BAD_INPUT,
            RW_FLAGS | GST_PARAM_MUTABLE_PLAYING));
  if (blurbs->model_version)
    install_counter (klass, first_prop_id + GST_KMEANS_MODEL_PROP_VERSION,
        "model-version", "Model version", blurbs->model_version);
  if (blurbs->dropped_points)
    install_counter (klass,
        first_prop_id + GST_KMEANS_MODEL_PROP_DROPPED_POINTS,
        "dropped-points", "Dropped points", blurbs->dropped_points);
  if (blurbs->skipped_points)
    install_counter (klass,
        first_prop_id + GST_KMEANS_MODEL_PROP_SKIPPED_POINTS,
        "skipped-points", "Skipped points", blurbs->skipped_points);
}

void
gst_kmeans_model_settings_init (GstKMeansModelSettings * settings)
{
  memset (settings, 0, sizeof (*settings));
  settings->poll_interval = GST_KMEANS_MODEL_DEFAULT_POLL_INTERVAL;
  settings->on_no_model = GST_KMEANS_NO_MODEL_DROP;
  settings->on_bad_input = GST_KMEANS_MODEL_DEFAULT_ON_BAD_INPUT;
}

void
gst_kmeans_model_settings_clear (GstKMeansModelSettings * settings)
{
  g_clear_pointer (&settings->location, g_free);
}

gboolean
gst_kmeans_model_settings_set_property (GstKMeansModelSettings * settings,
    guint first_prop_id, guint prop_id, const GValue * value)
{
  if (prop_id < first_prop_id)
    return FALSE;

  switch (prop_id - first_prop_id) {
    case GST_KMEANS_MODEL_PROP_LOCATION:
      g_free (settings->location);
      settings->location = g_value_dup_string (value);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_POLL_INTERVAL:
      settings->poll_interval = g_value_get_uint64 (value);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_ON_NO_MODEL:
      settings->on_no_model = g_value_get_enum (value);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_ON_BAD_INPUT:
      settings->on_bad_input = g_value_get_enum (value);
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
gst_kmeans_model_settings_get_property (const GstKMeansModelSettings *
    settings, KmModel * model, guint first_prop_id, guint prop_id,
    GValue * value)
{
  if (prop_id < first_prop_id)
    return FALSE;

  switch (prop_id - first_prop_id) {
    case GST_KMEANS_MODEL_PROP_LOCATION:
      g_value_set_string (value, settings->location);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_POLL_INTERVAL:
      g_value_set_uint64 (value, settings->poll_interval);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_ON_NO_MODEL:
      g_value_set_enum (value, settings->on_no_model);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_ON_BAD_INPUT:
      g_value_set_enum (value, settings->on_bad_input);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_VERSION:
      g_value_set_uint64 (value, model ? km_model_get_version (model) : 0);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_DROPPED_POINTS:
      g_value_set_uint64 (value, settings->dropped_points);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_SKIPPED_POINTS:
      g_value_set_uint64 (value, settings->skipped_points);
      return TRUE;
    case GST_KMEANS_MODEL_PROP_REJECTED_MODELS:
      g_value_set_uint64 (value, settings->rejected_models);
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
gst_kmeans_model_settings_start (GstKMeansModelSettings * settings,
    GstKMeansModelFile * mf, GstElement * element, KmModel ** model)
{
  gchar *location;
  gboolean ok;

  GST_OBJECT_LOCK (element);
  location = g_strdup (settings->location);
  settings->dropped_points = 0;
  settings->skipped_points = 0;
  settings->rejected_models = 0;
  GST_OBJECT_UNLOCK (element);

  ok = gst_kmeans_model_file_start (mf, element, location, model);
  g_free (location);
  return ok;
}

KmModel *
gst_kmeans_model_settings_poll (GstKMeansModelSettings * settings,
    GstKMeansModelFile * mf, GstElement * element, guint dimensions,
    GstKMeansModelFitFunc fit)
{
  guint64 interval;
  gboolean rejected;
  KmModel *model;

  if (mf->location == NULL)
    return NULL;

  GST_OBJECT_LOCK (element);
  interval = settings->poll_interval;
  GST_OBJECT_UNLOCK (element);

  model = gst_kmeans_model_file_update (mf, element, interval, dimensions,
      fit, &rejected);
  if (rejected) {
    GST_OBJECT_LOCK (element);
    settings->rejected_models++;
    GST_OBJECT_UNLOCK (element);
  }
  return model;
}

/* gst-kmeans: the training settings of kmeans-train, shared with the
 * elements that hold a trainer too.
 *
 * See gstkmeanstrainsettings.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmeansproperties.h"
#include "gstkmeanstrainsettings.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_train_settings_debug);
#define GST_CAT_DEFAULT gst_kmeans_train_settings_debug

#define DEFAULT_NUM_CLUSTERS 2
#define DEFAULT_INIT KM_INIT_RANDOM
#define DEFAULT_INITIAL_CENTERS NULL
#define DEFAULT_DISTANCE_METRIC KM_METRIC_SQUARED_EUCLIDEAN
#define DEFAULT_SEED 0
#define DEFAULT_MINI_BATCH TRUE
#define DEFAULT_STEPS_PER_SYNC 1
#define DEFAULT_KMEANS_PLUS_PLUS_RETRIES -1
#define DEFAULT_RELATIVE_TOLERANCE 0.0
#define DEFAULT_DECAY_FACTOR 1.0
#define DEFAULT_HALF_LIFE 0.0
#define DEFAULT_TIME_UNIT KM_TIME_UNIT_BATCHES
#define DEFAULT_CHECKPOINT_LOCATION NULL
/* docs/algorithm.md §1.4: measured to give the best clusters; the
 * estimator's values are with-replacement, 1, 0 and 0. */
#define DEFAULT_INIT_SAMPLING KM_INIT_SAMPLING_WITHOUT_REPLACEMENT
/* Measured (docs/algorithm.md §3.7): best of 5 on the sample. */
#define DEFAULT_INIT_TRIALS 5
/* Measured (docs/algorithm.md §3.8): 10 Lloyd iterations per trial. */
#define DEFAULT_INIT_REFINE 10
#define DEFAULT_INITIAL_WEIGHT 1.0
/* -1: three first batches, scikit-learn's 3 x batch_size (§3.6). */
#define DEFAULT_INIT_SIZE -1
#define INIT_SIZE_BATCHES 3
#define DEFAULT_REASSIGNMENT_RATIO 0.01
#define DEFAULT_REASSIGNMENT_SAMPLING KM_REASSIGN_SAMPLING_DISTANCE

/* A static library has no plugin_init: registered on first use. */
static void
ensure_debug_category (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered)) {
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_train_settings_debug,
        "kmeans-train-settings", 0,
        "k-means training settings, their checkpoint and initial centers");
    g_once_init_leave (&registered, 1);
  }
}

/* ------------------------------------------------------------ values */

void
gst_kmeans_train_settings_init (GstKMeansTrainSettings * s)
{
  s->num_clusters = DEFAULT_NUM_CLUSTERS;
  s->init = DEFAULT_INIT;
  s->initial_centers = g_strdup (DEFAULT_INITIAL_CENTERS);
  s->initial_centers_value = (GValue) G_VALUE_INIT;
  g_value_init (&s->initial_centers_value, GST_TYPE_ARRAY);
  s->metric = DEFAULT_DISTANCE_METRIC;
  s->seed = DEFAULT_SEED;
  s->mini_batch = DEFAULT_MINI_BATCH;
  s->steps_per_sync = DEFAULT_STEPS_PER_SYNC;
  s->kmeans_plus_plus_retries = DEFAULT_KMEANS_PLUS_PLUS_RETRIES;
  s->relative_tolerance = DEFAULT_RELATIVE_TOLERANCE;
  s->decay_factor = DEFAULT_DECAY_FACTOR;
  s->half_life = DEFAULT_HALF_LIFE;
  s->time_unit = DEFAULT_TIME_UNIT;
  s->checkpoint_location = g_strdup (DEFAULT_CHECKPOINT_LOCATION);
  s->init_sampling = DEFAULT_INIT_SAMPLING;
  s->init_trials = DEFAULT_INIT_TRIALS;
  s->init_refine = DEFAULT_INIT_REFINE;
  s->initial_weight = DEFAULT_INITIAL_WEIGHT;
  s->init_size = DEFAULT_INIT_SIZE;
  s->reassignment_ratio = DEFAULT_REASSIGNMENT_RATIO;
  s->reassignment_sampling = DEFAULT_REASSIGNMENT_SAMPLING;
}

void
gst_kmeans_train_settings_without_points (GstKMeansTrainSettings * s)
{
  s->init_size = 0;
  s->reassignment_ratio = 0.0;
}

void
gst_kmeans_train_settings_clear (GstKMeansTrainSettings * s)
{
  g_clear_pointer (&s->initial_centers, g_free);
  if (G_IS_VALUE (&s->initial_centers_value))
    g_value_unset (&s->initial_centers_value);
  g_clear_pointer (&s->checkpoint_location, g_free);
}

void
gst_kmeans_train_settings_copy (const GstKMeansTrainSettings * src,
    GstKMeansTrainSettings * dest)
{
  gchar *initial_centers = dest->initial_centers;
  gchar *checkpoint_location = dest->checkpoint_location;
  GValue centers_value = dest->initial_centers_value;

  /* Scalars by assignment; the three owned values copied over. */
  *dest = *src;
  dest->initial_centers_value = centers_value;
  g_value_copy (&src->initial_centers_value, &dest->initial_centers_value);
  dest->initial_centers = g_strdup (src->initial_centers);
  dest->checkpoint_location = g_strdup (src->checkpoint_location);
  g_free (initial_centers);
  g_free (checkpoint_location);
}

/* -------------------------------------------------------- properties */

GParamSpec *
gst_kmeans_centers_param_spec (const gchar * name, const gchar * nick,
    const gchar * blurb, GParamFlags flags)
{
  GParamSpec *value_spec, *row_spec;

  value_spec = g_param_spec_double ("value", "Value", "One coordinate",
      -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, flags);
  row_spec = gst_param_spec_array ("center", "Center",
      "One center: d coordinates", value_spec, flags);
  return gst_param_spec_array (name, nick, blurb, row_spec, flags);
}

/* Interned, so a built blurb lives as long as the class, as
 * G_PARAM_STATIC_STRINGS asks; frees @text. */
static const gchar *
intern_blurb (gchar * text)
{
  const gchar *interned = g_intern_string (text);

  g_free (text);
  return interned;
}

static void
install (GObjectClass * klass, guint first_prop_id, GstKMeansTrainProp prop,
    GParamSpec * pspec)
{
  g_object_class_install_property (klass, first_prop_id + prop, pspec);
}

static void
install_initialisation (GObjectClass * klass, guint first, GParamFlags flags)
{
  install (klass, first, GST_KMEANS_TRAIN_PROP_NUM_CLUSTERS,
      g_param_spec_uint ("num-clusters", "Number of clusters",
          "Number of centers to train (k)", 1, KM_MAX_CLUSTERS,
          DEFAULT_NUM_CLUSTERS, flags));

  /**
   * GstKMeansTrain:init:
   *
   * How the initial centers are chosen.  random takes the points of the
   * init sample (all of them while fewer than k are needed, otherwise k
   * drawn as #GstKMeansTrain:init-sampling says); kmeans++ runs k-means++
   * on the init sample, which must hold at least num-clusters points.  The
   * init sample is the first batch, or the first
   * #GstKMeansTrain:init-size points when the first batch is smaller; file
   * uses
   * #GstKMeansTrain:initial-centers.  Ignored when resuming from a
   * checkpoint or when #GstKMeansTrain:initial-centers-value is set.
   */
  install (klass, first, GST_KMEANS_TRAIN_PROP_INIT,
      g_param_spec_enum ("init", "Initialisation",
          "How the initial centers are chosen", GST_TYPE_KMEANS_INIT,
          DEFAULT_INIT, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS,
      g_param_spec_string ("initial-centers", "Initial centers file",
          "Text file of initial centers for init=file: one center per line, "
          "values separated by commas or spaces, '#' comments; it must hold "
          "num-clusters lines", DEFAULT_INITIAL_CENTERS, flags));

  /**
   * GstKMeansTrain:initial-centers-value:
   *
   * Initial centers given by the application, as a #GstValueArray of
   * num-clusters rows, each a #GstValueArray of d doubles, e.g.
   * `"<<0.0,0.0>,<5.0,5.0>>"`.  When not empty it takes the place of
   * #GstKMeansTrain:init and #GstKMeansTrain:initial-centers, as if
   * init=file had been given these centers.  Ignored when resuming from a
   * checkpoint.
   */
  install (klass, first, GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS_VALUE,
      gst_kmeans_centers_param_spec ("initial-centers-value",
          "Initial centers value",
          "Initial centers as an array of num-clusters rows of doubles; when "
          "not empty it overrides init and initial-centers", flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_DISTANCE_METRIC,
      g_param_spec_enum ("distance-metric", "Distance metric",
          "Distance used to assign points to centers", GST_TYPE_KMEANS_METRIC,
          DEFAULT_DISTANCE_METRIC, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_INIT_SAMPLING,
      g_param_spec_enum ("init-sampling", "Init sampling",
          "How init=random draws k rows from a larger sample: "
          "without-replacement never repeats a point (with-replacement is "
          "the TF estimator's)", GST_TYPE_KMEANS_INIT_SAMPLING,
          DEFAULT_INIT_SAMPLING, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_INIT_TRIALS,
      g_param_spec_uint ("init-trials", "Init trials",
          "Times random or kmeans++ initialisation runs on its sample; the "
          "centers that leave the sample the smallest total distance are "
          "kept (1 = the TF estimator: one run)", 1, KM_MAX_INIT_TRIALS,
          DEFAULT_INIT_TRIALS, flags));

  /**
   * GstKMeansTrain:init-refine:
   *
   * Lloyd iterations each initialisation trial runs on its sample before
   * the trials are compared: every sample point to its nearest center,
   * every center to the mean of its points, until no point changes
   * center (docs/algorithm.md §3.8).  The trial of least total distance
   * after refinement is kept.
   */
  install (klass, first, GST_KMEANS_TRAIN_PROP_INIT_REFINE,
      g_param_spec_uint ("init-refine", "Init refinement",
          "Lloyd iterations each random or kmeans++ trial runs on its "
          "sample before the trials are compared; stops early when no "
          "point changes center (0 = none, the TF estimator)", 0,
          KM_MAX_INIT_REFINE, DEFAULT_INIT_REFINE, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_INITIAL_WEIGHT,
      g_param_spec_double ("initial-weight", "Initial weight",
          "Count each initial center (given or chosen) starts with in "
          "mini-batch with steps-per-sync=1, as if it were that many points "
          "(1 = the TF estimator; 0 = scikit-learn: the first points replace "
          "it)", 0.0, G_MAXDOUBLE, DEFAULT_INITIAL_WEIGHT, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the random numbers used by initialisation; the same seed "
          "and input give the same centers", 0, G_MAXUINT64, DEFAULT_SEED,
          flags));
}

/* @what names a step (kmeans-train: a step on a batch) where it matters. */
static void
install_updates (GObjectClass * klass, guint first, const gchar * what,
    GParamFlags flags)
{
  const gchar *step = what ? what : "step";
  const gchar *batch = what ? what : "batch";

  install (klass, first, GST_KMEANS_TRAIN_PROP_MINI_BATCH,
      g_param_spec_boolean ("mini-batch", "Mini-batch",
          intern_blurb (g_strconcat ("Update with per-center running means "
                  "(TRUE), or make one full Lloyd step on each ", batch,
                  " (FALSE)", NULL)), DEFAULT_MINI_BATCH, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_STEPS_PER_SYNC,
      g_param_spec_uint ("steps-per-sync", "Steps per sync",
          intern_blurb (g_strconcat ("Mini-batch ", step, "s accumulated in "
                  "a working copy before the centers used for assignment "
                  "are replaced by it (1 = every ", step, ")", NULL)),
          1, G_MAXUINT, DEFAULT_STEPS_PER_SYNC, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_KMEANS_PLUS_PLUS_RETRIES,
      g_param_spec_int ("kmeans-plus-plus-retries", "k-means++ retries",
          "Extra candidates drawn per center by kmeans++ init, the best "
          "kept; negative means 2 + floor(ln k)", -1, G_MAXINT,
          DEFAULT_KMEANS_PLUS_PLUS_RETRIES, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_RELATIVE_TOLERANCE,
      g_param_spec_double ("relative-tolerance", "Relative tolerance",
          intern_blurb (g_strconcat ("Stop updating once |loss - previous "
                  "loss| / (1 + |previous loss|) falls below this between "
                  "two ", step, "s (0 = never stop)", NULL)), 0.0, G_MAXDOUBLE,
          DEFAULT_RELATIVE_TOLERANCE, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_DECAY_FACTOR,
      g_param_spec_double ("decay-factor", "Decay factor",
          "Weight kept by past points per time-unit (1 = no forgetting); "
          "overridden by half-life", 0.0, 1.0, DEFAULT_DECAY_FACTOR, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_HALF_LIFE,
      g_param_spec_double ("half-life", "Half-life",
          "Time-units after which past points weigh half; when > 0 it sets "
          "decay-factor to 0.5^(1/half-life) (0 = unset)", 0.0, G_MAXDOUBLE,
          DEFAULT_HALF_LIFE, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_TIME_UNIT,
      g_param_spec_enum ("time-unit", "Time unit",
          intern_blurb (g_strconcat ("Unit the decay applies per: a ", batch,
                  " or a point", NULL)), GST_TYPE_KMEANS_TIME_UNIT,
          DEFAULT_TIME_UNIT, flags));
}

/* The rules that need the points themselves, not only their sums. */
static void
install_point_rules (GObjectClass * klass, guint first, GParamFlags flags)
{
  /**
   * GstKMeansTrain:init-size:
   *
   * Points random and kmeans++ initialisation choose from, gathered across
   * buffers and batches (at most init-size x dimensions floats are kept):
   * a first batch of at least that many points is the sample by itself.
   * -1, the default, gathers three first batches (scikit-learn's
   * 3 x batch_size).  The gathered points are used for initialisation
   * only, like the estimator's first batch; training starts with the next
   * batch.  A stream that ends before the sample is complete is
   * initialised from what was gathered, with #GstKMeansTrain:init-refine
   * Lloyd iterations over it.  0 = the first batch only (the TF
   * estimator).  See docs/algorithm.md §3.6.
   */
  install (klass, first, GST_KMEANS_TRAIN_PROP_INIT_SIZE,
      g_param_spec_int ("init-size", "Init size",
          "Points random and kmeans++ init choose from, gathered across "
          "buffers (a larger first batch is used whole); they are not "
          "trained on (-1 = three first batches, 0 = the first batch, the "
          "TF estimator)", -1, G_MAXINT32, DEFAULT_INIT_SIZE, flags));

  /**
   * GstKMeansTrain:reassignment-ratio:
   *
   * In mini-batch with steps-per-sync=1, every 10 x num-clusters points,
   * a center whose count is below this fraction of the largest count is
   * moved to a point of the current batch and given the smallest count of
   * the others, at most a tenth of the centers at a time
   * (docs/algorithm.md §2.6).  Each move is counted in
   * #GstKMeansTrain:reassignments and posted as `kmeans-reassigned`.
   * 0 = never (the TF estimator).  No effect in full batch or with
   * steps-per-sync > 1.
   */
  install (klass, first, GST_KMEANS_TRAIN_PROP_REASSIGNMENT_RATIO,
      g_param_spec_double ("reassignment-ratio", "Reassignment ratio",
          "Mini-batch, steps-per-sync=1: a center whose count falls below "
          "this fraction of the largest is moved to a point of the batch "
          "(0 = never, the TF estimator)", 0.0, G_MAXDOUBLE,
          DEFAULT_REASSIGNMENT_RATIO, flags));

  install (klass, first, GST_KMEANS_TRAIN_PROP_REASSIGNMENT_SAMPLING,
      g_param_spec_enum ("reassignment-sampling", "Reassignment sampling",
          "How the point a starved center moves to is drawn from the batch",
          GST_TYPE_KMEANS_REASSIGNMENT_SAMPLING,
          DEFAULT_REASSIGNMENT_SAMPLING, flags));
}

void
gst_kmeans_train_settings_install (GObjectClass * klass, guint first_prop_id,
    const gchar * what)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  install_initialisation (klass, first_prop_id, flags);
  install_updates (klass, first_prop_id, what, flags);
  if (what == NULL)
    install_point_rules (klass, first_prop_id, flags);

  install (klass, first_prop_id, GST_KMEANS_TRAIN_PROP_CHECKPOINT_LOCATION,
      g_param_spec_string ("checkpoint-location", "Checkpoint location",
          "File the training state is saved to, and resumed from when it "
          "exists (NULL = no checkpoints)", DEFAULT_CHECKPOINT_LOCATION,
          flags));

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_INIT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_METRIC, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_TIME_UNIT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_INIT_SAMPLING, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_REASSIGNMENT_SAMPLING, 0);
}

/* The property of @prop_id, or -1 if it is none of these. */
static gint
settings_prop (guint first_prop_id, guint prop_id)
{
  if (prop_id < first_prop_id
      || prop_id - first_prop_id >= GST_KMEANS_TRAIN_N_PROPS)
    return -1;
  return (gint) (prop_id - first_prop_id);
}

gboolean
gst_kmeans_train_settings_set_property (GstKMeansTrainSettings * s,
    guint first_prop_id, guint prop_id, const GValue * value)
{
  switch (settings_prop (first_prop_id, prop_id)) {
    case GST_KMEANS_TRAIN_PROP_NUM_CLUSTERS:
      s->num_clusters = g_value_get_uint (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT:
      s->init = g_value_get_enum (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS:
      g_free (s->initial_centers);
      s->initial_centers = g_value_dup_string (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS_VALUE:
      g_value_copy (value, &s->initial_centers_value);
      break;
    case GST_KMEANS_TRAIN_PROP_DISTANCE_METRIC:
      s->metric = g_value_get_enum (value);
      break;
    case GST_KMEANS_TRAIN_PROP_SEED:
      s->seed = g_value_get_uint64 (value);
      break;
    case GST_KMEANS_TRAIN_PROP_MINI_BATCH:
      s->mini_batch = g_value_get_boolean (value);
      break;
    case GST_KMEANS_TRAIN_PROP_STEPS_PER_SYNC:
      s->steps_per_sync = g_value_get_uint (value);
      break;
    case GST_KMEANS_TRAIN_PROP_KMEANS_PLUS_PLUS_RETRIES:
      s->kmeans_plus_plus_retries = g_value_get_int (value);
      break;
    case GST_KMEANS_TRAIN_PROP_RELATIVE_TOLERANCE:
      s->relative_tolerance = g_value_get_double (value);
      break;
    case GST_KMEANS_TRAIN_PROP_DECAY_FACTOR:
      s->decay_factor = g_value_get_double (value);
      break;
    case GST_KMEANS_TRAIN_PROP_HALF_LIFE:
      s->half_life = g_value_get_double (value);
      break;
    case GST_KMEANS_TRAIN_PROP_TIME_UNIT:
      s->time_unit = g_value_get_enum (value);
      break;
    case GST_KMEANS_TRAIN_PROP_CHECKPOINT_LOCATION:
      g_free (s->checkpoint_location);
      s->checkpoint_location = g_value_dup_string (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_TRIALS:
      s->init_trials = g_value_get_uint (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_REFINE:
      s->init_refine = g_value_get_uint (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_SAMPLING:
      s->init_sampling = g_value_get_enum (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INITIAL_WEIGHT:
      s->initial_weight = g_value_get_double (value);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_SIZE:
      s->init_size = g_value_get_int (value);
      break;
    case GST_KMEANS_TRAIN_PROP_REASSIGNMENT_RATIO:
      s->reassignment_ratio = g_value_get_double (value);
      break;
    case GST_KMEANS_TRAIN_PROP_REASSIGNMENT_SAMPLING:
      s->reassignment_sampling = g_value_get_enum (value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_kmeans_train_settings_get_property (const GstKMeansTrainSettings * s,
    guint first_prop_id, guint prop_id, GValue * value)
{
  switch (settings_prop (first_prop_id, prop_id)) {
    case GST_KMEANS_TRAIN_PROP_NUM_CLUSTERS:
      g_value_set_uint (value, s->num_clusters);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT:
      g_value_set_enum (value, s->init);
      break;
    case GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS:
      g_value_set_string (value, s->initial_centers);
      break;
    case GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS_VALUE:
      g_value_copy (&s->initial_centers_value, value);
      break;
    case GST_KMEANS_TRAIN_PROP_DISTANCE_METRIC:
      g_value_set_enum (value, s->metric);
      break;
    case GST_KMEANS_TRAIN_PROP_SEED:
      g_value_set_uint64 (value, s->seed);
      break;
    case GST_KMEANS_TRAIN_PROP_MINI_BATCH:
      g_value_set_boolean (value, s->mini_batch);
      break;
    case GST_KMEANS_TRAIN_PROP_STEPS_PER_SYNC:
      g_value_set_uint (value, s->steps_per_sync);
      break;
    case GST_KMEANS_TRAIN_PROP_KMEANS_PLUS_PLUS_RETRIES:
      g_value_set_int (value, s->kmeans_plus_plus_retries);
      break;
    case GST_KMEANS_TRAIN_PROP_RELATIVE_TOLERANCE:
      g_value_set_double (value, s->relative_tolerance);
      break;
    case GST_KMEANS_TRAIN_PROP_DECAY_FACTOR:
      g_value_set_double (value, s->decay_factor);
      break;
    case GST_KMEANS_TRAIN_PROP_HALF_LIFE:
      g_value_set_double (value, s->half_life);
      break;
    case GST_KMEANS_TRAIN_PROP_TIME_UNIT:
      g_value_set_enum (value, s->time_unit);
      break;
    case GST_KMEANS_TRAIN_PROP_CHECKPOINT_LOCATION:
      g_value_set_string (value, s->checkpoint_location);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_TRIALS:
      g_value_set_uint (value, s->init_trials);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_REFINE:
      g_value_set_uint (value, s->init_refine);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_SAMPLING:
      g_value_set_enum (value, s->init_sampling);
      break;
    case GST_KMEANS_TRAIN_PROP_INITIAL_WEIGHT:
      g_value_set_double (value, s->initial_weight);
      break;
    case GST_KMEANS_TRAIN_PROP_INIT_SIZE:
      g_value_set_int (value, s->init_size);
      break;
    case GST_KMEANS_TRAIN_PROP_REASSIGNMENT_RATIO:
      g_value_set_double (value, s->reassignment_ratio);
      break;
    case GST_KMEANS_TRAIN_PROP_REASSIGNMENT_SAMPLING:
      g_value_set_enum (value, s->reassignment_sampling);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------ config */

static gboolean
centers_value_is_set (const GstKMeansTrainSettings * s)
{
  return gst_value_array_get_size (&s->initial_centers_value) > 0;
}

/* The config as the properties say, init untouched. */
static void
fill_config (const GstKMeansTrainSettings * s, guint d, KmConfig * cfg)
{
  km_config_init (cfg);
  cfg->k = s->num_clusters;
  cfg->d = d;
  cfg->metric = s->metric;
  cfg->init = s->init;
  cfg->mini_batch = s->mini_batch;
  cfg->steps_per_sync = s->steps_per_sync;
  cfg->kmeans_plus_plus_retries = s->kmeans_plus_plus_retries;
  cfg->relative_tolerance = s->relative_tolerance;
  cfg->decay_factor = s->half_life > 0.0 ?
      km_decay_from_half_life (s->half_life) : s->decay_factor;
  cfg->time_unit = s->time_unit;
  cfg->seed = s->seed;
  cfg->init_sampling = s->init_sampling;
  cfg->init_trials = s->init_trials;
  cfg->init_refine = s->init_refine;
  cfg->initial_count = s->initial_weight;
  cfg->init_size = MAX (s->init_size, 0);
  cfg->init_batches = s->init_size < 0 ? INIT_SIZE_BATCHES : 0;
  cfg->reassignment_ratio = s->reassignment_ratio;
  cfg->reassignment_sampling = s->reassignment_sampling;
}

void
gst_kmeans_train_settings_to_config (const GstKMeansTrainSettings * s,
    guint d, KmConfig * cfg)
{
  fill_config (s, d, cfg);
  if (centers_value_is_set (s))
    cfg->init = KM_INIT_GIVEN;
}

gboolean
gst_kmeans_train_settings_validate (const GstKMeansTrainSettings * s,
    GstElement * element)
{
  GError *err = NULL;
  KmConfig probe;

  ensure_debug_category ();
  /* d is known only from caps; any valid d checks the rest now. */
  fill_config (s, 1, &probe);
  if (km_config_validate (&probe, &err))
    return TRUE;
  GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
      ("Invalid k-means settings: %s", err->message),
      ("km_config_validate: %s", err->message));
  g_error_free (err);
  return FALSE;
}

/* ----------------------------------------------------------- trainer */

static KmTrainer *
trainer_for (const KmConfig * cfg, GstElement * element)
{
  GError *err = NULL;
  KmTrainer *trainer = km_trainer_new (cfg, &err);

  if (!trainer) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("Invalid k-means settings for %u-dimensional points: %s", cfg->d,
            err->message), ("km_trainer_new: %s", err->message));
    g_error_free (err);
  }
  return trainer;
}

KmTrainer *
gst_kmeans_train_settings_new_trainer (const GstKMeansTrainSettings * s,
    GstElement * element, guint d)
{
  KmConfig cfg;

  ensure_debug_category ();
  fill_config (s, d, &cfg);
  return trainer_for (&cfg, element);
}

static gboolean
checkpoint_exists (const GstKMeansTrainSettings * s)
{
  return s->checkpoint_location
      && g_file_test (s->checkpoint_location, G_FILE_TEST_EXISTS);
}

gboolean
gst_kmeans_train_settings_knows_dimensions (const GstKMeansTrainSettings * s)
{
  return checkpoint_exists (s) || centers_value_is_set (s)
      || s->init == KM_INIT_GIVEN;
}

static void
post_resume_error (GstElement * element, const gchar * location, GError * err)
{
  if (g_error_matches (err, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH)) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("The checkpoint \"%s\" does not match the settings: %s",
            location, err->message), ("%s", err->message));
  } else {
    GST_ELEMENT_ERROR (element, RESOURCE, READ,
        ("Could not resume from the checkpoint \"%s\": %s",
            location, err->message), ("%s", err->message));
  }
  g_error_free (err);
}

/* The dimensions of the checkpoint's model, 0 after posting an error. */
static guint
checkpoint_dimensions (const gchar * location, GstElement * element)
{
  GError *err = NULL;
  KmModel *model = km_checkpoint_load_model (location, &err);
  guint d;

  if (!model) {
    post_resume_error (element, location, err);
    return 0;
  }
  d = km_model_get_d (model);
  km_model_unref (model);
  return d;
}

/* Resumes; init stays as set, since the checkpoint records it. */
static KmTrainer *
resume_from_checkpoint (const GstKMeansTrainSettings * s,
    GstElement * element, guint d)
{
  const gchar *location = s->checkpoint_location;
  GError *err = NULL;
  KmTrainer *trainer;
  KmConfig cfg;

  /* Unless the stream says, the model tells the dimensions. */
  if (d == 0 && (d = checkpoint_dimensions (location, element)) == 0)
    return NULL;
  fill_config (s, d, &cfg);
  trainer = trainer_for (&cfg, element);
  if (trainer && !km_trainer_load (trainer, location, &err)) {
    post_resume_error (element, location, err);
    g_clear_pointer (&trainer, km_trainer_free);
  }
  return trainer;
}

/* Flattens a GstValueArray of rows of numbers into k*d floats. */
static gfloat *
centers_from_value (const GValue * value, guint * k, guint * d, GError ** error)
{
  gfloat *centers = NULL;
  guint row, column;

  if (gst_kmeans_value_get_centers (value, KM_MAX_CLUSTERS,
          KM_MAX_MODEL_FLOATS, &centers, k, d, &row, &column))
    return centers;
  if (column == G_MAXUINT)
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "row %u is not an array of the same number of values as row 0", row);
  else
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "value %u of row %u is not a finite number", column, row);
  return NULL;
}

/* The given initial centers, from initial-centers-value or the init=file
 * file (knows_dimensions says one applies); NULL after posting an
 * error. */
static gfloat *
load_given_centers (const GstKMeansTrainSettings * s, GstElement * element,
    guint * k, guint * d)
{
  const gchar *file = s->initial_centers;
  GError *err = NULL;
  gfloat *centers;
  const gchar *source;

  if (centers_value_is_set (s)) {
    source = "initial-centers-value";
    centers = centers_from_value (&s->initial_centers_value, k, d, &err);
  } else if (!file || !*file) {
    GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
        ("init=file needs an initial-centers file."),
        ("initial-centers is not set"));
    return NULL;
  } else {
    source = file;
    centers = km_centers_load_text (file, k, d, &err);
  }

  if (!centers) {
    GST_ELEMENT_ERROR (element, RESOURCE, READ,
        ("Could not read the initial centers from %s.", source),
        ("%s", err->message));
    g_error_free (err);
    return NULL;
  }
  if (*k != s->num_clusters) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("The initial centers in %s are %u but num-clusters is %u.", source,
            *k, s->num_clusters), ("%u centers of %u dimensions", *k, *d));
    g_free (centers);
    return NULL;
  }
  return centers;
}

/* A trainer initialised with the given centers; @d, when not 0, must be
 * theirs. */
static KmTrainer *
start_with_given_centers (const GstKMeansTrainSettings * s,
    GstElement * element, guint d)
{
  KmTrainer *trainer = NULL;
  GError *err = NULL;
  gfloat *centers;
  guint k = 0, centers_d = 0;
  KmConfig cfg;

  centers = load_given_centers (s, element, &k, &centers_d);
  if (!centers)
    return NULL;
  gst_kmeans_train_settings_to_config (s, d ? d : centers_d, &cfg);
  trainer = trainer_for (&cfg, element);
  if (trainer && !km_trainer_set_centers (trainer, centers, k, centers_d, &err)) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("The initial centers cannot be used: %s", err->message),
        ("km_trainer_set_centers: %s", err->message));
    g_error_free (err);
    g_clear_pointer (&trainer, km_trainer_free);
  }
  g_free (centers);
  return trainer;
}

KmTrainer *
gst_kmeans_train_settings_create_trainer (const GstKMeansTrainSettings * s,
    GstElement * element, guint d, gboolean * resumed)
{
  ensure_debug_category ();
  *resumed = FALSE;

  /* A checkpoint takes precedence over any initial centers. */
  if (checkpoint_exists (s)) {
    *resumed = TRUE;
    return resume_from_checkpoint (s, element, d);
  }
  if (centers_value_is_set (s) || s->init == KM_INIT_GIVEN)
    return start_with_given_centers (s, element, d);
  if (d == 0) {
    GST_ELEMENT_ERROR (element, CORE, FAILED,
        ("The dimensions of the points are not known yet."),
        ("no checkpoint to resume and no initial centers given"));
    return NULL;
  }
  return gst_kmeans_train_settings_new_trainer (s, element, d);
}

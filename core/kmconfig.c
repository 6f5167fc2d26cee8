/* gst-kmeans core: configuration defaults and validation. */
#include <math.h>

#include "kmprivate.h"

GQuark
km_error_quark (void)
{
  return g_quark_from_static_string ("km-error-quark");
}

void
km_config_init (KmConfig * cfg)
{
  g_return_if_fail (cfg != NULL);

  memset (cfg, 0, sizeof (*cfg));
  cfg->k = 2;
  cfg->d = 0;
  cfg->metric = KM_METRIC_SQUARED_EUCLIDEAN;
  cfg->init = KM_INIT_RANDOM;
  cfg->mini_batch = TRUE;
  cfg->steps_per_sync = 1;
  cfg->kmeans_plus_plus_retries = 2;
  cfg->relative_tolerance = 0.0;
  cfg->decay_factor = 1.0;
  cfg->time_unit = KM_TIME_UNIT_BATCHES;
  cfg->seed = 0;
  cfg->initial_count = 1.0;
  cfg->init_size = 0;
  cfg->init_sampling = KM_INIT_SAMPLING_WITH_REPLACEMENT;
  cfg->reassignment_ratio = 0.0;
  cfg->reassignment_sampling = KM_REASSIGN_SAMPLING_DISTANCE;
  cfg->init_trials = 1;
  cfg->init_batches = 0;
  cfg->init_refine = 0;
}

static gboolean
validate_sizes (const KmConfig * cfg, GError ** error)
{
  if (cfg->k == 0 || cfg->d == 0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "num-clusters (%u) and dimensions (%u) must both be at least 1",
        cfg->k, cfg->d);
    return FALSE;
  }
  if (cfg->k > KM_MAX_CLUSTERS) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "num-clusters %u is above the limit of %u", cfg->k, KM_MAX_CLUSTERS);
    return FALSE;
  }
  if (cfg->d > KM_MAX_DIMENSIONS) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "dimensions %u is above the limit of %u", cfg->d, KM_MAX_DIMENSIONS);
    return FALSE;
  }
  if ((guint64) cfg->k * cfg->d > KM_MAX_MODEL_FLOATS) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "num-clusters x dimensions = %" G_GUINT64_FORMAT
        " is above the limit of %" G_GUINT64_FORMAT " values",
        (guint64) cfg->k * cfg->d, (guint64) KM_MAX_MODEL_FLOATS);
    return FALSE;
  }
  return TRUE;
}

gboolean
km_shape_validate (guint k, guint d, GError ** error)
{
  KmConfig cfg;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  return validate_sizes (&cfg, error);
}

static gboolean
validate_enums (const KmConfig * cfg, GError ** error)
{
  if ((guint) cfg->metric > KM_METRIC_COSINE) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "unknown distance metric %d", (gint) cfg->metric);
    return FALSE;
  }
  if ((guint) cfg->init > KM_INIT_GIVEN) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "unknown initialisation %d", (gint) cfg->init);
    return FALSE;
  }
  if ((guint) cfg->time_unit > KM_TIME_UNIT_POINTS) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "unknown time unit %d", (gint) cfg->time_unit);
    return FALSE;
  }
  if ((guint) cfg->init_sampling > KM_INIT_SAMPLING_WITHOUT_REPLACEMENT
      || (guint) cfg->reassignment_sampling > KM_REASSIGN_SAMPLING_DISTANCE) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "unknown init sampling %d or reassignment sampling %d",
        (gint) cfg->init_sampling, (gint) cfg->reassignment_sampling);
    return FALSE;
  }
  return TRUE;
}

/* §2.6, §3.6: the init sample must fit the model limits (it is held in
 * memory and in the checkpoint). */
static gboolean
validate_quality (const KmConfig * cfg, GError ** error)
{
  if (cfg->init_trials < 1 || cfg->init_trials > KM_MAX_INIT_TRIALS) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "init trials %u must be in 1..%u", cfg->init_trials,
        KM_MAX_INIT_TRIALS);
    return FALSE;
  }
  if (cfg->init_batches > KM_MAX_INIT_BATCHES
      || cfg->init_refine > KM_MAX_INIT_REFINE) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "init batches %u must be in 0..%u and init refinement %u in 0..%u",
        cfg->init_batches, KM_MAX_INIT_BATCHES, cfg->init_refine,
        KM_MAX_INIT_REFINE);
    return FALSE;
  }
  if (!isfinite (cfg->reassignment_ratio) || cfg->reassignment_ratio < 0.0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "reassignment ratio %g must be finite and >= 0",
        cfg->reassignment_ratio);
    return FALSE;
  }
  if ((guint64) MAX (cfg->init_size, cfg->k) * cfg->d > KM_MAX_MODEL_FLOATS) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "init-size %u x dimensions %u is above the limit of %"
        G_GUINT64_FORMAT " values", cfg->init_size, cfg->d,
        (guint64) KM_MAX_MODEL_FLOATS);
    return FALSE;
  }
  return TRUE;
}

static gboolean
validate_decay (const KmConfig * cfg, GError ** error)
{
  if (!isfinite (cfg->decay_factor) || cfg->decay_factor < 0.0
      || cfg->decay_factor > 1.0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "decay factor %g is outside [0, 1]", cfg->decay_factor);
    return FALSE;
  }
  if (cfg->decay_factor < 1.0 && !cfg->mini_batch) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "decay factor %g needs mini-batch training: full batch replaces "
        "the centers every step and has nothing to forget", cfg->decay_factor);
    return FALSE;
  }
  if (cfg->decay_factor < 1.0 && cfg->steps_per_sync > 1) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "decay factor %g needs steps-per-sync = 1 (it is %u): with a "
        "working copy the counts restart at every sync",
        cfg->decay_factor, cfg->steps_per_sync);
    return FALSE;
  }
  if (!isfinite (cfg->initial_count) || cfg->initial_count < 0.0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "initial count %g must be finite and >= 0", cfg->initial_count);
    return FALSE;
  }
  return TRUE;
}

gboolean
km_config_validate (const KmConfig * cfg, GError ** error)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!validate_sizes (cfg, error) || !validate_enums (cfg, error))
    return FALSE;
  if (cfg->steps_per_sync == 0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "steps-per-sync must be at least 1");
    return FALSE;
  }
  if (isnan (cfg->relative_tolerance)) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "relative tolerance is NaN");
    return FALSE;
  }
  return validate_decay (cfg, error) && validate_quality (cfg, error);
}

gdouble
km_decay_from_half_life (gdouble half_life)
{
  g_return_val_if_fail (half_life > 0.0, 1.0);

  return exp (log (0.5) / half_life);
}

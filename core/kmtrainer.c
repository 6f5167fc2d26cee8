/* gst-kmeans core: the training state machine.  docs/algorithm.md states
 * its rules (§2, §3, §6); the § below are that document's sections.
 *
 * Initialisation consumes batches until k rows are chosen (those batches
 * are not trained on); every later batch is one step: assign with the
 * master centers, take the pre-update loss, update by mode. */
#include <math.h>

#include "kmprivate.h"

/* Spark splits a dying cluster with a relative perturbation of 1e-14,
 * which is below float32 resolution: both halves would be the same
 * center and never separate.  1e-6 is a few float ulps. */
#define KM_SPLIT_PERTURBATION 1e-6
#define KM_DYING_WEIGHT_RATIO 1e-8
#define KM_FULL_BATCH_EPSILON 1e-6f
/* §2.6: a check runs once per 10·k points (scikit-learn's cadence) and
 * moves at most a tenth of the centers (at least one). */
#define KM_REASSIGN_POINTS_PER_CENTER 10
#define KM_REASSIGN_MAX_SHARE 10

static gsize
model_floats (const KmTrainer * trainer)
{
  return (gsize) trainer->cfg.k * trainer->cfg.d;
}

KmTrainer *
km_trainer_new (const KmConfig * cfg, GError ** error)
{
  KmTrainer *trainer;
  gsize kd;

  g_return_val_if_fail (cfg != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!km_config_validate (cfg, error))
    return NULL;

  trainer = g_new0 (KmTrainer, 1);
  trainer->cfg = *cfg;
  kd = model_floats (trainer);
  km_rng_seed (&trainer->rng, cfg->seed);
  trainer->master = g_new0 (gfloat, kd);
  trainer->counts = g_new0 (gdouble, cfg->k);
  if (km_config_has_working_copy (cfg)) {
    trainer->working = g_new0 (gfloat, kd);
    trainer->master_counts = g_new0 (gdouble, cfg->k);
  } else {
    trainer->master_counts = trainer->counts;
  }
  trainer->update_in_steps = cfg->steps_per_sync;
  km_dist_init (&trainer->dist, cfg->k, cfg->d, cfg->metric);
  trainer->ws = km_workspace_new ();
  return trainer;
}

void
km_trainer_free (KmTrainer * trainer)
{
  if (trainer == NULL)
    return;
  if (trainer->master_counts != trainer->counts)
    g_free (trainer->master_counts);
  g_free (trainer->counts);
  g_free (trainer->master);
  g_free (trainer->working);
  g_free (trainer->init_buffer);
  km_dist_clear (&trainer->dist);
  g_clear_pointer (&trainer->snapshot, km_model_unref);
  km_workspace_free (trainer->ws);
  g_free (trainer);
}

const KmConfig *
km_trainer_get_config (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, NULL);
  return &trainer->cfg;
}

gboolean
km_trainer_is_initialized (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, FALSE);
  return trainer->initialized;
}

gboolean
km_trainer_is_converged (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, FALSE);
  return trainer->converged;
}

guint64
km_trainer_get_step (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, 0);
  return trainer->step;
}

guint64
km_trainer_get_points (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, 0);
  return trainer->points;
}

guint64
km_trainer_get_reassignments (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, 0);
  return trainer->reassignments;
}

guint64
km_trainer_get_kmeans_plus_plus_draws (const KmTrainer * trainer)
{
  g_return_val_if_fail (trainer != NULL, 0);
  return trainer->kpp_draws;
}

/* The master changed: new version, distances prepared again. */
static void
master_changed (KmTrainer * trainer)
{
  trainer->version++;
  trainer->model_step = trainer->step;
  km_dist_prepare (&trainer->dist, trainer->master);
}

static void
fill_counts (gdouble * counts, guint k, gdouble value)
{
  guint j;

  for (j = 0; j < k; j++)
    counts[j] = value;
}

/* All k rows chosen: set up the counts and the working copy (§3.1). */
static void
finish_init (KmTrainer * trainer)
{
  const KmConfig *cfg = &trainer->cfg;

  trainer->initialized = TRUE;
  trainer->initialized_rows = cfg->k;
  if (cfg->mini_batch && cfg->steps_per_sync == 1)
    fill_counts (trainer->counts, cfg->k, cfg->initial_count);
  else
    fill_counts (trainer->counts, cfg->k, 0.0);
  if (trainer->working != NULL) {
    memcpy (trainer->working, trainer->master,
        model_floats (trainer) * sizeof (gfloat));
    fill_counts (trainer->master_counts, cfg->k, 0.0);
  }
  trainer->update_in_steps = cfg->steps_per_sync;
  master_changed (trainer);
}

/* §3.6: the sample is freed once the rows are chosen. */
static void
drop_init_buffer (KmTrainer * trainer)
{
  g_clear_pointer (&trainer->init_buffer, g_free);
  trainer->init_capacity = 0;
  trainer->init_buffered = 0;
}

gboolean
km_trainer_set_centers (KmTrainer * trainer, const gfloat * centers,
    guint k, guint d, GError ** error)
{
  const KmConfig *cfg;

  g_return_val_if_fail (trainer != NULL, FALSE);
  g_return_val_if_fail (centers != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cfg = &trainer->cfg;
  if (trainer->initialized) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "initial centers can only be set before initialisation is done");
    return FALSE;
  }
  if (k != cfg->k || d != cfg->d) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "initial centers are %u x %u but num-clusters is %u and "
        "dimensions is %u", k, d, cfg->k, cfg->d);
    return FALSE;
  }
  memcpy (trainer->master, centers, model_floats (trainer) * sizeof (gfloat));
  if (cfg->metric == KM_METRIC_COSINE)
    km_normalize_rows (trainer->master, trainer->master, k, d);
  drop_init_buffer (trainer);
  finish_init (trainer);
  return TRUE;
}

/* One run of the init rule: @remaining rows of @n prepared points into
 * @dst (§3.2, §3.3); the rows it chose. */
static gsize
run_init_rule (KmTrainer * trainer, const gfloat * x, gsize n,
    guint remaining, gfloat * dst)
{
  const KmConfig *cfg = &trainer->cfg;

  if (cfg->init == KM_INIT_KMEANS_PLUS_PLUS) {
    km_init_kmeans_plus_plus (x, n, cfg->d, remaining,
        cfg->kmeans_plus_plus_retries, &trainer->rng, dst, trainer->ws,
        &trainer->kpp_draws);
    return remaining;
  }
  return km_init_random (x, n, cfg->d, remaining, cfg->init_sampling,
      &trainer->rng, dst, trainer->ws);
}

/* The sample's potential under @k candidate rows: the sum of each
 * point's distance to its nearest row (§3.7). */
static gdouble
sample_potential (KmTrainer * trainer, const gfloat * x, gsize n,
    const gfloat * rows, guint k)
{
  KmModel *model = km_model_new (k, trainer->cfg.d, trainer->cfg.metric,
      rows, 0, NULL);
  gdouble potential;

  if (model == NULL)
    return INFINITY;
  potential = km_model_assign (model, x, n, NULL, NULL, trainer->ws);
  km_model_unref (model);
  return potential;
}

/* One trial on the sample: the init rule, then its Lloyd refinement
 * (§3.8); the sample's potential under the rows it gives. */
static gdouble
run_trial (KmTrainer * trainer, const gfloat * x, gsize n, guint remaining,
    gfloat * dst)
{
  const KmConfig *cfg = &trainer->cfg;

  run_init_rule (trainer, x, n, remaining, dst);
  if (cfg->init_refine > 0)
    return km_init_refine (x, n, cfg->d, remaining, cfg->metric,
        cfg->init_refine, dst, trainer->ws);
  return sample_potential (trainer, x, n, dst, remaining);
}

/* §3.7: with init_trials > 1 and the whole model to choose, the rule runs
 * that many times on the same sample, the random numbers going on from
 * one trial to the next, and the rows of least potential are kept (the
 * first on ties).  One trial without refinement is the estimator's rule. */
static gsize
choose_all_rows (KmTrainer * trainer, const gfloat * x, gsize n,
    guint remaining, gfloat * dst)
{
  const KmConfig *cfg = &trainer->cfg;
  gsize floats = (gsize) remaining * cfg->d;
  gdouble best;
  gfloat *cand;
  guint t;

  if ((cfg->init_trials <= 1 && cfg->init_refine == 0)
      || trainer->initialized_rows > 0 || n <= remaining)
    return run_init_rule (trainer, x, n, remaining, dst);
  best = run_trial (trainer, x, n, remaining, dst);
  cand = g_new (gfloat, floats);
  for (t = 1; t < cfg->init_trials; t++) {
    gdouble potential = run_trial (trainer, x, n, remaining, cand);

    if (potential < best) {
      best = potential;
      memcpy (dst, cand, floats * sizeof (gfloat));
    }
  }
  g_free (cand);
  return remaining;
}

/* Chooses the missing rows from @n prepared points (§3.2, §3.3). */
static KmFeedResult
choose_rows (KmTrainer * trainer, const gfloat * x, gsize n, GError ** error)
{
  const KmConfig *cfg = &trainer->cfg;
  guint remaining = cfg->k - trainer->initialized_rows;
  gfloat *dst = trainer->master + (gsize) trainer->initialized_rows * cfg->d;
  gsize got = 0;

  switch (cfg->init) {
    case KM_INIT_GIVEN:
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "initialisation is 'given' but no initial centers were set");
      return KM_FEED_ERROR;
    case KM_INIT_KMEANS_PLUS_PLUS:
      if (n < remaining) {
        g_set_error (error, KM_ERROR, KM_ERROR_BATCH_TOO_SMALL,
            "kmeans++ initialisation needs a first batch of at least %u "
            "points (one per center still to choose) but got %"
            G_GSIZE_FORMAT, remaining, n);
        return KM_FEED_ERROR;
      }
      got = choose_all_rows (trainer, x, n, remaining, dst);
      break;
    case KM_INIT_RANDOM:
    default:
      got = choose_all_rows (trainer, x, n, remaining, dst);
      break;
  }
  trainer->initialized_rows += got;
  if (trainer->initialized_rows == cfg->k)
    finish_init (trainer);
  return KM_FEED_INIT;
}

/* §3.6: appends up to what the sample still misses of @n prepared points. */
static void
gather_init_points (KmTrainer * trainer, const gfloat * x, gsize n,
    gsize target)
{
  const guint d = trainer->cfg.d;
  gsize take;

  if (trainer->init_buffered >= target)
    return;
  if (trainer->init_capacity < target) {
    trainer->init_buffer = g_renew (gfloat, trainer->init_buffer, target * d);
    trainer->init_capacity = target;
  }
  take = MIN (n, target - trainer->init_buffered);
  memcpy (trainer->init_buffer + trainer->init_buffered * d, x,
      take * d * sizeof (gfloat));
  trainer->init_buffered += take;
}

/* The gathered sample chooses the rows; kept when that fails. */
static KmFeedResult
choose_from_buffer (KmTrainer * trainer, GError ** error)
{
  KmFeedResult res = choose_rows (trainer, trainer->init_buffer,
      trainer->init_buffered, error);

  if (res != KM_FEED_ERROR)
    drop_init_buffer (trainer);
  return res;
}

/* §3.6: the points the init sample is gathered up to, 0 when the batch
 * of @n points is the sample (TF).  With init_batches, the first batch
 * fed sets it once (after a resume, the first batch fed then). */
static gsize
init_target (KmTrainer * trainer, gsize n)
{
  const KmConfig *cfg = &trainer->cfg;
  const guint remaining = cfg->k - trainer->initialized_rows;

  if (cfg->init == KM_INIT_GIVEN)
    return 0;
  if (cfg->init_size > 0)
    return MAX (cfg->init_size, remaining);
  if (cfg->init_batches <= 1)
    return 0;
  if (trainer->init_target == 0) {
    /* At most what keeps one assignment of the sample near 2^30
     * multiply-adds (the init runs several), and the limit a sample is
     * held to; never less than the batch. */
    guint64 want = (guint64) cfg->init_batches * MAX (n, remaining);
    guint64 cap = MIN (KM_INIT_AUTO_WORK / ((guint64) cfg->k * cfg->d),
        KM_MAX_MODEL_FLOATS / cfg->d);

    trainer->init_target = MAX (n, MIN (want, cap));
  }
  return trainer->init_target;
}

static KmFeedResult
feed_init (KmTrainer * trainer, const gfloat * points, gsize n, GError ** error)
{
  const KmConfig *cfg = &trainer->cfg;
  gsize target = init_target (trainer, n);
  const gfloat *x;

  /* A sample resumed under init_size 0 is still the sample. */
  if (target == 0 && trainer->init_buffered > 0)
    target = trainer->init_buffered;
  /* Cosine: the samplers run squared Euclidean on the unit rows. */
  x = km_prepare_points (cfg->metric, points, n, cfg->d, trainer->ws);
  /* A first batch at least as large as the sample is the sample. */
  if (target == 0 || (trainer->init_buffered == 0 && n >= target))
    return choose_rows (trainer, x, n, error);
  gather_init_points (trainer, x, n, target);
  if (trainer->init_buffered >= target)
    return choose_from_buffer (trainer, error);
  return KM_FEED_INIT;
}

gboolean
km_trainer_flush_init (KmTrainer * trainer, GError ** error)
{
  g_return_val_if_fail (trainer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (trainer->initialized || trainer->init_buffered == 0)
    return TRUE;
  return choose_from_buffer (trainer, error) != KM_FEED_ERROR;
}

/* §2.3: the working copy becomes the master and the counts restart. */
static void
sync_master (KmTrainer * trainer)
{
  const KmConfig *cfg = &trainer->cfg;

  memcpy (trainer->master, trainer->working,
      model_floats (trainer) * sizeof (gfloat));
  if (cfg->metric == KM_METRIC_COSINE)
    km_normalize_rows (trainer->master, trainer->master, cfg->k, cfg->d);
  memcpy (trainer->master_counts, trainer->counts, cfg->k * sizeof (gdouble));
  fill_counts (trainer->counts, cfg->k, 0.0);
  master_changed (trainer);
}

/* §2.3: the sync runs before the assignment of steps N+1, 2N+1, ... */
static void
sync_if_due (KmTrainer * trainer)
{
  if (trainer->update_in_steps > 0) {
    trainer->update_in_steps--;
    return;
  }
  trainer->update_in_steps = (gint64) trainer->cfg.steps_per_sync - 1;
  sync_master (trainer);
}

/* §5.3; TRUE when this step's loss meets the tolerance. */
static gboolean
tolerance_met (KmTrainer * trainer, gdouble loss)
{
  gdouble tol = trainer->cfg.relative_tolerance;
  gboolean met = FALSE;

  /* Python truthiness in TF's hook: no or a zero previous loss skips. */
  if (tol > 0.0 && trainer->have_prev_loss && trainer->prev_loss != 0.0)
    met = fabs (loss - trainer->prev_loss) / (1.0 + fabs (trainer->prev_loss))
        < tol;
  trainer->prev_loss = loss;
  trainer->have_prev_loss = TRUE;
  return met;
}

/* Adds @n points to the per-cluster sums and counts, in one pass, in
 * point order (each coordinate's sum is the same sequence of double adds
 * whichever version runs, and continues the sequence already in @sums):
 * one chunk of the accumulation. */
static void
accumulate_rows (guint d, const gfloat * x, gsize n,
    const gint32 * idx, gdouble * sums, gdouble * cnt)
{
  gsize i;
  guint t;

  for (i = 0; i < n; i++) {
    gdouble *restrict s = sums + (gsize) idx[i] * d;
    const gfloat *restrict p = x + i * d;

    for (t = 0; t < d; t++)
      s[t] += p[t];
    cnt[idx[i]] += 1.0;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define KM_TARGET_AVX512 __attribute__ ((target ("avx512f,avx2,fma")))

/* Up to 7 dimensions: one vector add per point into a row of 8 doubles
 * per cluster, coordinates in lanes 0..d-1 and the count in the last
 * lane (3 up to 3 dimensions, else 7), so a point costs one
 * load-add-store instead of d + 1 dependent scalar adds (@pad: k rows of
 * 8 doubles of scratch, loaded from @sums and @cnt so that the sequence
 * of adds continues theirs).  From 8 on, the rows are added 8 doubles at
 * a time. */
KM_TARGET_AVX512 static void
accumulate_avx512 (guint k, guint d, const gfloat * x, gsize n,
    const gint32 * idx, gdouble * sums, gdouble * cnt, gdouble * pad)
{
  gsize i;
  guint j, t, count_lane;

  if (d >= 8) {
    const __mmask16 tail = (__mmask16) ((1u << (d % 8)) - 1);

    for (i = 0; i < n; i++) {
      gdouble *s = sums + (gsize) idx[i] * d;
      const gfloat *p = x + i * d;

      for (t = 0; t + 8 <= d; t += 8)
        _mm512_storeu_pd (s + t, _mm512_add_pd (_mm512_loadu_pd (s + t),
                _mm512_cvtps_pd (_mm256_loadu_ps (p + t))));
      if (tail != 0)
        _mm512_mask_storeu_pd (s + t, (__mmask8) tail,
            _mm512_add_pd (_mm512_maskz_loadu_pd ((__mmask8) tail, s + t),
                _mm512_cvtps_pd (_mm512_castps512_ps256
                    (_mm512_maskz_loadu_ps (tail, p + t)))));
      cnt[idx[i]] += 1.0;
    }
    return;
  }

  count_lane = d <= 3 ? 3 : 7;
  memset (pad, 0, (gsize) k * 8 * sizeof (gdouble));
  for (j = 0; j < k; j++) {
    for (t = 0; t < d; t++)
      pad[(gsize) j * 8 + t] = sums[(gsize) j * d + t];
    pad[(gsize) j * 8 + count_lane] = cnt[j];
  }
  if (d <= 3) {
    /* 256-bit rows (count in lane 3): 512-bit stores are split on some
     * CPUs and then do not forward to the next point's load of the row. */
    const __m128i coords = _mm_cmpgt_epi32 (_mm_set1_epi32 (d),
        _mm_setr_epi32 (0, 1, 2, 3));
    const __m128 one = _mm_set1_ps (1.0f);
    const __m128 zero = _mm_setzero_ps ();

    /* Points whose 16 bytes lie within @x (the last float or floats are
     * the next point's). */
    const gsize whole = n * d >= 4 ? (n * d - 4) / d + 1 : 0;

    /* A plain 16-byte load with the count's 1 blended into lane 3 (and 0s
     * past d): one instruction less than a masked load and an add.  The
     * points at the end, which have no 16 bytes, are loaded masked. */
    for (i = 0; i < n; i++) {
      gdouble *s = pad + (gsize) idx[i] * 8;
      __m128 v;

      if (i < whole) {
        v = _mm_loadu_ps (x + i * d);
        if (d < 3)
          v = _mm_blendv_ps (zero, v, _mm_castsi128_ps (coords));
      } else {
        v = _mm_maskload_ps (x + i * d, coords);
      }
      v = _mm_blend_ps (v, one, 8);
      _mm256_storeu_pd (s, _mm256_add_pd (_mm256_loadu_pd (s),
              _mm256_cvtps_pd (v)));
    }
  } else {
    const __mmask16 coords = (__mmask16) ((1u << d) - 1);
    const __m512d one = _mm512_mask_blend_pd (0x80, _mm512_setzero_pd (),
        _mm512_set1_pd (1.0));

    for (i = 0; i < n; i++) {
      gdouble *s = pad + (gsize) idx[i] * 8;
      __m512d p = _mm512_cvtps_pd (_mm512_castps512_ps256
          (_mm512_maskz_loadu_ps (coords, x + i * d)));

      _mm512_storeu_pd (s, _mm512_add_pd (_mm512_loadu_pd (s),
              _mm512_add_pd (p, one)));
    }
  }
  for (j = 0; j < k; j++) {
    for (t = 0; t < d; t++)
      sums[(gsize) j * d + t] = pad[(gsize) j * 8 + t];
    cnt[j] = pad[(gsize) j * 8 + count_lane];
  }
}

/* dst[i] += src[i] for @n doubles, 8 at a time. */
KM_TARGET_AVX512 static void
add_doubles_avx512 (gdouble * dst, const gdouble * src, gsize n)
{
  gsize i;

  for (i = 0; i + 8 <= n; i += 8)
    _mm512_storeu_pd (dst + i, _mm512_add_pd (_mm512_loadu_pd (dst + i),
            _mm512_loadu_pd (src + i)));
  for (; i < n; i++)
    dst[i] += src[i];
}
#endif

/* dst[i] += src[i] for @n doubles: elementwise, so the same bits on any
 * kernel. */
static void
add_doubles (KmIsa isa, gdouble * restrict dst, const gdouble * restrict src,
    gsize n)
{
  gsize i;

#if defined(__x86_64__) && defined(__GNUC__)
  if (isa == KM_ISA_AVX512) {
    add_doubles_avx512 (dst, src, n);
    return;
  }
#endif
  for (i = 0; i < n; i++)
    dst[i] += src[i];
}

/* Adds @n points in order to @sums and @cnt on the kernel @isa. */
static void
accumulate_in_order (KmIsa isa, guint k, guint d, const gfloat * x, gsize n,
    const gint32 * idx, gdouble * sums, gdouble * cnt, KmWorkspace * ws)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa == KM_ISA_AVX512) {
    gdouble *pad = d >= 8 ? NULL : km_workspace_get (ws, KM_WS_SUMS_PAD,
        (gsize) k * 8 * sizeof (gdouble));

    accumulate_avx512 (k, d, x, n, idx, sums, cnt, pad);
    return;
  }
#endif
  accumulate_rows (d, x, n, idx, sums, cnt);
}

/* Partial sums held at once: a window of up to 64 chunks in 4 MiB. */
#define KM_ACC_MAX_WINDOW 64
#define KM_ACC_PARTIALS_BYTES ((gsize) 4 << 20)

void
km_accumulation_begin (KmAccumulation * acc, KmIsa isa, guint k, guint d,
    gdouble * sums, gdouble * cnt, KmWorkspace * ws)
{
  const gsize row = (gsize) k * d + k;

  acc->isa = isa;
  acc->k = k;
  acc->d = d;
  acc->sums = sums;
  acc->cnt = cnt;
  acc->chunk = row <= KM_ACC_MAX_ROW ? KM_ACC_CHUNK : G_MAXSIZE;
  acc->window = (guint) CLAMP (KM_ACC_PARTIALS_BYTES / sizeof (gdouble) / row,
      1, KM_ACC_MAX_WINDOW);
  acc->partials = acc->chunk == G_MAXSIZE ? NULL : km_workspace_get (ws,
      KM_WS_ACC_PARTIALS, acc->window * row * sizeof (gdouble));
}

static gdouble *
chunk_partial (const KmAccumulation * acc, gsize c)
{
  return acc->partials + (c % acc->window) * ((gsize) acc->k * acc->d + acc->k);
}

void
km_accumulation_add_chunk (const KmAccumulation * acc, gsize c,
    gboolean start, const gfloat * x, gsize m, const gint32 * idx,
    KmWorkspace * ws)
{
  const gsize kd = (gsize) acc->k * acc->d;
  gdouble *sums = acc->sums, *cnt = acc->cnt;

  if (c > 0) {
    sums = chunk_partial (acc, c);
    cnt = sums + kd;
    if (start)
      memset (sums, 0, (kd + acc->k) * sizeof (gdouble));
  }
  accumulate_in_order (acc->isa, acc->k, acc->d, x, m, idx, sums, cnt, ws);
}

void
km_accumulation_merge (const KmAccumulation * acc, gsize first, gsize end)
{
  const gsize kd = (gsize) acc->k * acc->d;
  gsize c;

  for (c = MAX (first, 1); c < end; c++) {
    const gdouble *p = chunk_partial (acc, c);

    add_doubles (acc->isa, acc->sums, p, kd);
    add_doubles (acc->isa, acc->cnt, p + kd, acc->k);
  }
}

void
km_accumulate_add (KmIsa isa, guint k, guint d, const gfloat * x, gsize n,
    const gint32 * idx, gdouble * sums, gdouble * cnt, KmWorkspace * ws)
{
  KmAccumulation acc;
  gsize c, first;

  km_accumulation_begin (&acc, isa, k, d, sums, cnt, ws);
  for (c = 0, first = 0; first < n; c++, first += acc.chunk) {
    km_accumulation_add_chunk (&acc, c, TRUE, x + first * d,
        MIN (acc.chunk, n - first), idx + first, ws);
    km_accumulation_merge (&acc, c, c + 1);
  }
}

/* c_j <- (w_j c_j + sum_j) / (w_j + m_j) for clusters with points: TF's
 * mini-batch rule (§2.2, §2.3) and Spark's update after the discount
 * (§6.2). */
static void
apply_running_mean (gfloat * centers, gdouble * weights, const gdouble * sums,
    const gdouble * cnt, guint k, guint d)
{
  guint j, t;

  for (j = 0; j < k; j++) {
    gfloat *c = centers + (gsize) j * d;
    const gdouble *s = sums + (gsize) j * d;
    gdouble w = weights[j], total;

    if (cnt[j] == 0.0)
      continue;
    total = w + cnt[j];
    for (t = 0; t < d; t++)
      c[t] = (gfloat) ((w * c[t] + s[t]) / total);
    weights[j] = total;
  }
}

/* §2.4: one Lloyd step, summed in double and stored as float32 like TF;
 * an empty cluster becomes 0. */
static void
apply_full_batch (KmTrainer * trainer, const gdouble * sums,
    const gdouble * cnt)
{
  const guint k = trainer->cfg.k, d = trainer->cfg.d;
  guint j, t;

  for (j = 0; j < k; j++) {
    gfloat *c = trainer->master + (gsize) j * d;
    const gdouble *s = sums + (gsize) j * d;
    gfloat denom = (gfloat) cnt[j] + KM_FULL_BATCH_EPSILON;

    /* Divided in double: a float32 sum of large finite points can
     * overflow where their mean does not. */
    for (t = 0; t < d; t++)
      c[t] = (gfloat) (s[t] / denom);
    trainer->counts[j] = cnt[j];
  }
  if (trainer->cfg.metric == KM_METRIC_COSINE)
    km_normalize_rows (trainer->master, trainer->master, k, d);
}

/* §6.2: every weight decays, whether its cluster got points or not. */
static void
apply_discount (KmTrainer * trainer, guint64 n)
{
  const KmConfig *cfg = &trainer->cfg;
  gdouble discount = cfg->time_unit == KM_TIME_UNIT_POINTS ?
      pow (cfg->decay_factor, (gdouble) n) : cfg->decay_factor;
  guint j;

  for (j = 0; j < cfg->k; j++)
    trainer->counts[j] *= discount;
}

/* §6.3: a cluster whose weight fell below 1e-8 of the largest takes half
 * of the largest cluster, which is split in two close centers. */
static void
split_dying_cluster (KmTrainer * trainer)
{
  const guint k = trainer->cfg.k, d = trainer->cfg.d;
  gdouble *w = trainer->counts;
  guint j, t, largest = 0, smallest = 0;
  gfloat *cl, *cs;

  for (j = 1; j < k; j++) {
    if (w[j] > w[largest])
      largest = j;
    if (w[j] < w[smallest])
      smallest = j;
  }
  if (!(w[smallest] < KM_DYING_WEIGHT_RATIO * w[largest]))
    return;

  w[largest] = w[smallest] = (w[largest] + w[smallest]) / 2.0;
  cl = trainer->master + largest * (gsize) d;
  cs = trainer->master + smallest * (gsize) d;
  for (t = 0; t < d; t++) {
    gdouble x = cl[t];
    gdouble p = KM_SPLIT_PERTURBATION * MAX (fabs (x), 1.0);

    /* Clamped, so a center at the edge of float32 stays finite. */
    cl[t] = (gfloat) CLAMP (x + p, -G_MAXFLOAT, G_MAXFLOAT);
    cs[t] = (gfloat) CLAMP (x - p, -G_MAXFLOAT, G_MAXFLOAT);
  }
}

/* Step 6 of §2.1, by mode, from the batch's per-cluster sums and counts
 * (@n points in all). */
static void
update_centers (KmTrainer * trainer, const gdouble * sums,
    const gdouble * cnt, guint64 n)
{
  const KmConfig *cfg = &trainer->cfg;

  if (!cfg->mini_batch) {
    apply_full_batch (trainer, sums, cnt);
  } else if (trainer->working != NULL) {
    apply_running_mean (trainer->working, trainer->counts, sums, cnt,
        cfg->k, cfg->d);
  } else if (cfg->decay_factor < 1.0) {
    apply_discount (trainer, n);
    apply_running_mean (trainer->master, trainer->counts, sums, cnt,
        cfg->k, cfg->d);
    split_dying_cluster (trainer);
  } else {
    apply_running_mean (trainer->master, trainer->counts, sums, cnt,
        cfg->k, cfg->d);
  }
}

static gboolean
all_finite (const gfloat * v, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

/* Finite points give finite means on every update path; should a step
 * still produce a non-finite center, it is undone from @backup (the
 * centers it updated, then the k counts), so that a model or checkpoint
 * that cannot be loaded back is never published. */
static gboolean
update_is_finite (KmTrainer * trainer, const gfloat * backup, GError ** error)
{
  const gsize floats = model_floats (trainer);
  gfloat *centers = trainer->working ? trainer->working : trainer->master;

  if (all_finite (centers, floats))
    return TRUE;
  memcpy (centers, backup, floats * sizeof (gfloat));
  memcpy (trainer->counts, backup + floats, trainer->cfg.k * sizeof (gdouble));
  g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
      "training step %" G_GUINT64_FORMAT " gave non-finite centers (points "
      "too large for float32?); the step was refused and the model kept",
      trainer->step + 1);
  return FALSE;
}

static gfloat *
backup_update_target (KmTrainer * trainer)
{
  const gsize floats = model_floats (trainer);
  const gsize count_bytes = trainer->cfg.k * sizeof (gdouble);
  gfloat *backup = km_workspace_get (trainer->ws, KM_WS_BACKUP,
      floats * sizeof (gfloat) + count_bytes);

  memcpy (backup, trainer->working ? trainer->working : trainer->master,
      floats * sizeof (gfloat));
  memcpy (backup + floats, trainer->counts, count_bytes);
  return backup;
}

/* Steps 5 to 7 of §2.1 on a step's loss and per-cluster sums: the
 * tolerance, the update, and its undoing (tolerance state included) when
 * it is not finite. */
static KmFeedResult
update_step (KmTrainer * trainer, gdouble loss, const gdouble * sums,
    const gdouble * cnt, guint64 n, GError ** error)
{
  gboolean converged, had_prev_loss = trainer->have_prev_loss;
  gdouble prev_loss = trainer->prev_loss;
  gfloat *backup;

  converged = tolerance_met (trainer, loss);
  backup = backup_update_target (trainer);
  update_centers (trainer, sums, cnt, n);
  if (!update_is_finite (trainer, backup, error)) {
    trainer->have_prev_loss = had_prev_loss;
    trainer->prev_loss = prev_loss;
    return KM_FEED_ERROR;
  }
  return converged ? KM_FEED_CONVERGED : KM_FEED_TRAINED;
}

/* §2.6: the rule applies to the one copy of mini-batch N = 1, and runs
 * on the steps whose points cross a multiple of 10·k (every step while a
 * count is 0), @before being the points trained on before the step. */
static gboolean
reassignment_is_due (const KmTrainer * trainer, guint64 before, gsize n)
{
  const KmConfig *cfg = &trainer->cfg;
  guint64 period = (guint64) KM_REASSIGN_POINTS_PER_CENTER * cfg->k;
  guint j;

  if (!(cfg->reassignment_ratio > 0.0) || !cfg->mini_batch
      || trainer->working != NULL)
    return FALSE;
  if (before / period != (before + n) / period)
    return TRUE;
  for (j = 0; j < cfg->k; j++)
    if (trainer->counts[j] == 0.0)
      return TRUE;
  return FALSE;
}

/* The starved centers, smallest count first (lowest index on ties), at
 * most @cap of them, into @out; returns how many. */
static guint
find_starved (const gdouble * counts, guint k, gdouble ratio, guint cap,
    guint * out)
{
  gdouble largest = 0.0;
  guint j, m = 0, a, b;

  for (j = 0; j < k; j++)
    largest = MAX (largest, counts[j]);
  for (j = 0; j < k; j++) {
    if (!(counts[j] < ratio * largest))
      continue;
    /* Insertion into the sorted list; what falls past @cap is dropped. */
    for (a = m; a > 0 && counts[out[a - 1]] > counts[j]; a--);
    if (a >= cap)
      continue;
    for (b = MIN (m, cap - 1); b > a; b--)
      out[b] = out[b - 1];
    out[a] = j;
    m = MIN (m + 1, cap);
  }
  return m;
}

/* Uniform among the points not picked yet (one is left: at most n are
 * picked). */
static gsize
draw_unpicked (const guint8 * picked, gsize n, KmRng * rng)
{
  gsize i, unpicked = 0;
  guint64 r;

  for (i = 0; i < n; i++)
    unpicked += !picked[i];
  r = km_rng_uniform_int (rng, MAX (unpicked, 1));
  for (i = 0; i < n; i++) {
    if (picked[i])
      continue;
    if (r-- == 0)
      return i;
  }
  return 0;
}

/* One batch point for a reassigned center, not picked before: weighted by
 * @w (zeroed once picked), or uniform over the unpicked when every weight
 * is 0 (uniform sampling passes all-ones weights). */
static gsize
pick_point (gdouble * w, gsize n, KmRng * rng, const guint8 * picked)
{
  gdouble total = 0.0;
  gsize i, last = n;

  for (i = 0; i < n; i++)
    total += w[i];
  if (total > 0.0) {
    gdouble u = km_rng_uniform (rng) * total;

    for (i = 0; i < n; i++) {
      if (w[i] <= 0.0)
        continue;
      last = i;
      if (u < w[i])
        break;
      u -= w[i];
    }
    /* Rounding can run u past the end: the last weighted point then. */
    return i < n ? i : last;
  }
  return draw_unpicked (picked, n, rng);
}

/* §2.6: moves the starved centers to points of the batch @x (@dist: their
 * distances to the nearest master center before the update); each gets
 * the smallest count of the centers that stay.  Returns how many moved. */
static guint
reassign_starved (KmTrainer * trainer, const gfloat * x, gsize n,
    const gfloat * dist)
{
  const KmConfig *cfg = &trainer->cfg;
  const guint d = cfg->d;
  guint cap = MIN ((cfg->k + KM_REASSIGN_MAX_SHARE - 1) /
      KM_REASSIGN_MAX_SHARE, cfg->k - 1);
  guint8 *mem, *picked, *moved;
  guint *starved, m, a, j;
  gdouble *w, rest = G_MAXDOUBLE;
  gsize i;

  cap = MIN (cap, (guint) MIN (n, G_MAXUINT));
  if (cap == 0)
    return 0;
  mem = km_workspace_get (trainer->ws, KM_WS_REASSIGN,
      n * (sizeof (gdouble) + 1) + cfg->k * (sizeof (guint) + 1));
  w = (gdouble *) mem;
  starved = (guint *) (w + n);
  moved = (guint8 *) (starved + cfg->k);
  picked = moved + cfg->k;
  m = find_starved (trainer->counts, cfg->k, cfg->reassignment_ratio, cap,
      starved);
  if (m == 0)
    return 0;

  memset (moved, 0, cfg->k);
  memset (picked, 0, n);
  for (a = 0; a < m; a++)
    moved[starved[a]] = 1;
  for (j = 0; j < cfg->k; j++)
    if (!moved[j])
      rest = MIN (rest, trainer->counts[j]);
  for (i = 0; i < n; i++)
    w[i] = cfg->reassignment_sampling == KM_REASSIGN_SAMPLING_DISTANCE ?
        dist[i] : 1.0;
  for (a = 0; a < m; a++) {
    gsize s = pick_point (w, n, &trainer->rng, picked);

    w[s] = 0.0;
    picked[s] = 1;
    memcpy (trainer->master + (gsize) starved[a] * d, x + s * d,
        d * sizeof (gfloat));
    trainer->counts[starved[a]] = rest;
  }
  trainer->reassignments += m;
  return m;
}

static KmFeedResult
train_step (KmTrainer * trainer, const gfloat * points, gsize n, gdouble * loss,
    guint * reassigned, GError ** error)
{
  const KmConfig *cfg = &trainer->cfg;
  const guint64 before = trainer->points;
  const gfloat *x;
  gint32 *idx;
  gfloat *dist = NULL;
  gdouble *sums, *cnt;
  KmAccumulation acc;
  KmFeedResult res;
  gboolean reassign;

  x = km_prepare_points (cfg->metric, points, n, cfg->d, trainer->ws);
  if (trainer->working != NULL)
    sync_if_due (trainer);

  /* The assignment's distances weigh the reassignment draw: no extra pass
   * over the batch. */
  reassign = reassignment_is_due (trainer, before, n);
  if (reassign)
    dist = km_workspace_get (trainer->ws, KM_WS_DIST, n * sizeof (gfloat));
  idx = km_workspace_get (trainer->ws, KM_WS_IDX, n * sizeof (gint32));
  sums = km_workspace_get (trainer->ws, KM_WS_SUMS,
      model_floats (trainer) * sizeof (gdouble));
  cnt = km_workspace_get (trainer->ws, KM_WS_CNT, cfg->k * sizeof (gdouble));
  memset (sums, 0, model_floats (trainer) * sizeof (gdouble));
  memset (cnt, 0, cfg->k * sizeof (gdouble));
  /* Summed while the assignment has the points in cache. */
  km_accumulation_begin (&acc, trainer->dist.isa, cfg->k, cfg->d, sums, cnt,
      trainer->ws);
  *loss = km_dist_assign_accumulate (&trainer->dist, x, n, idx, dist, &acc,
      trainer->ws);

  res = update_step (trainer, *loss, sums, cnt, n, error);
  if (res == KM_FEED_ERROR)
    return res;
  if (reassign)
    *reassigned = reassign_starved (trainer, x, n, dist);
  trainer->points += n;
  trainer->step++;
  if (trainer->working == NULL)
    master_changed (trainer);
  if (res == KM_FEED_CONVERGED)
    trainer->converged = TRUE;
  return res;
}

/* docs/algorithm.md §10: a round's statistics as one step (one
 * iteration of N steps, synced at once, with a working copy). */
KmFeedResult
km_trainer_apply_round (KmTrainer * trainer, gdouble loss,
    const gdouble * sums, const gdouble * cnt, guint64 n, GError ** error)
{
  KmFeedResult res;

  if (trainer->converged || n == 0)
    return KM_FEED_SKIPPED;
  res = update_step (trainer, loss, sums, cnt, n, error);
  if (res == KM_FEED_ERROR)
    return res;
  /* No reassignment (§2.6): a round brings sums, not points. */
  trainer->points += n;
  if (trainer->working != NULL) {
    trainer->step += trainer->cfg.steps_per_sync;
    trainer->update_in_steps = trainer->cfg.steps_per_sync;
    sync_master (trainer);
  } else {
    trainer->step++;
    master_changed (trainer);
  }
  if (res == KM_FEED_CONVERGED)
    trainer->converged = TRUE;
  return res;
}

KmFeedResult
km_trainer_feed (KmTrainer * trainer, const gfloat * points, gsize n,
    KmStepInfo * info, GError ** error)
{
  KmFeedResult res;
  gdouble loss = 0.0, prev_loss = trainer ? trainer->prev_loss : 0.0;
  gboolean had_prev_loss = trainer ? trainer->have_prev_loss : FALSE;
  guint reassigned = 0;

  g_return_val_if_fail (trainer != NULL, KM_FEED_ERROR);
  g_return_val_if_fail (points != NULL || n == 0, KM_FEED_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, KM_FEED_ERROR);

  if (n > G_MAXSIZE / sizeof (gdouble) / trainer->cfg.d) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "a batch of %" G_GSIZE_FORMAT " points of dimension %u is too large",
        n, trainer->cfg.d);
    res = KM_FEED_ERROR;
  } else if (n == 0) {
    res = KM_FEED_SKIPPED;
  } else if (!trainer->initialized) {
    res = feed_init (trainer, points, n, error);
  } else if (trainer->converged) {
    res = KM_FEED_SKIPPED;
  } else {
    res = train_step (trainer, points, n, &loss, &reassigned, error);
  }

  if (info != NULL) {
    gboolean stepped = res == KM_FEED_TRAINED || res == KM_FEED_CONVERGED;

    info->step = trainer->step;
    info->loss = loss;
    info->num_points = n;
    info->initialized_centers = trainer->initialized_rows;
    /* From the trainer's own previous loss, which a checkpoint restores. */
    info->relative_change = km_step_relative_change (stepped, loss,
        had_prev_loss, prev_loss);
    info->reassigned = reassigned;
  }
  return res;
}

KmModel *
km_trainer_get_model (KmTrainer * trainer)
{
  const KmConfig *cfg;

  g_return_val_if_fail (trainer != NULL, NULL);

  if (!trainer->initialized)
    return NULL;
  if (trainer->snapshot != NULL
      && trainer->snapshot->version == trainer->version)
    return km_model_ref (trainer->snapshot);

  cfg = &trainer->cfg;
  g_clear_pointer (&trainer->snapshot, km_model_unref);
  /* The config was validated, so this cannot fail. */
  trainer->snapshot = km_model_new_full (cfg->k, cfg->d, cfg->metric,
      trainer->master, trainer->master_counts, trainer->version,
      trainer->model_step, NULL);
  return km_model_ref (trainer->snapshot);
}

/* Update rules of docs/algorithm.md §2.2-2.4, its worked examples
 * §8.1-8.3 and the model snapshots of §2.5 (counts, versions,
 * caching). */
#include "kmtest.h"

static KmConfig
config (guint k, guint d, gboolean mini_batch, guint steps_per_sync)
{
  KmConfig cfg;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.mini_batch = mini_batch;
  cfg.steps_per_sync = steps_per_sync;
  cfg.init = KM_INIT_GIVEN;
  return cfg;
}

static gdouble
feed_loss (KmTrainer * t, const gfloat * x, gsize n, KmFeedResult expect)
{
  KmStepInfo info;
  GError *error = NULL;
  KmFeedResult r = km_trainer_feed (t, x, n, &info, &error);

  g_assert_no_error (error);
  g_assert_cmpint (r, ==, expect);
  g_assert_cmpuint (info.num_points, ==, n);
  return info.loss;
}

/* §8.1, mini-batch N = 1: counts start at 1, exact running mean. */
static void
test_micro_n1 (void)
{
  KmConfig cfg = config (1, 2, TRUE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 0, 0 }, b1[] = { 2, 0, 4, 0 }, b2[] = { 5, 0 };
  KmModel *m;

  kmt_set_centers (t, c0);
  g_assert_cmpfloat (feed_loss (t, b1, 2, KM_FEED_TRAINED), ==, 4 + 16);
  m = km_trainer_get_model (t);
  g_assert_cmpfloat (km_model_get_centers (m)[0], ==, 2.0f);
  g_assert_cmpfloat (km_model_get_centers (m)[1], ==, 0.0f);
  g_assert_cmpfloat (km_model_get_counts (m)[0], ==, 3.0);
  km_model_unref (m);

  g_assert_cmpfloat (feed_loss (t, b2, 1, KM_FEED_TRAINED), ==, 9);
  m = km_trainer_get_model (t);
  g_assert_cmpfloat (km_model_get_centers (m)[0], ==, 2.75f);
  g_assert_cmpfloat (km_model_get_centers (m)[1], ==, 0.0f);
  g_assert_cmpfloat (km_model_get_counts (m)[0], ==, 4.0);
  g_assert_cmpuint (km_model_get_step (m), ==, 2);
  km_model_unref (m);
  km_trainer_free (t);
}

/* §8.2, N = 2: working copy, counts from 0, sync before assign. */
static void
test_micro_n2 (void)
{
  KmConfig cfg = config (1, 2, TRUE, 2);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 0, 0 }, b1[] = { 2, 0, 4, 0 }, b2[] = { 6, 0 };
  const gfloat b3[] = { 1, 0 };
  KmModel *m;

  kmt_set_centers (t, c0);
  g_assert_cmpint (t->update_in_steps, ==, 2);

  g_assert_cmpfloat (feed_loss (t, b1, 2, KM_FEED_TRAINED), ==, 20);
  g_assert_cmpint (t->update_in_steps, ==, 1);
  g_assert_cmpfloat (t->working[0], ==, 3.0f);
  g_assert_cmpfloat (t->counts[0], ==, 2.0);
  g_assert_cmpfloat (t->master[0], ==, 0.0f);

  g_assert_cmpfloat (feed_loss (t, b2, 1, KM_FEED_TRAINED), ==, 36);
  g_assert_cmpint (t->update_in_steps, ==, 0);
  g_assert_cmpfloat (t->working[0], ==, 4.0f);
  g_assert_cmpfloat (t->counts[0], ==, 3.0);
  m = km_trainer_get_model (t);
  g_assert_cmpfloat (km_model_get_centers (m)[0], ==, 0.0f);
  g_assert_cmpuint (km_model_get_version (m), ==, 1);
  km_model_unref (m);

  /* s3: sync first, so the loss is against the new master [4, 0]. */
  g_assert_cmpfloat (feed_loss (t, b3, 1, KM_FEED_TRAINED), ==, 9);
  g_assert_cmpint (t->update_in_steps, ==, 1);
  g_assert_cmpfloat (t->master[0], ==, 4.0f);
  g_assert_cmpfloat (t->working[0], ==, 1.0f);
  g_assert_cmpfloat (t->counts[0], ==, 1.0);
  m = km_trainer_get_model (t);
  g_assert_cmpfloat (km_model_get_centers (m)[0], ==, 4.0f);
  g_assert_cmpuint (km_model_get_version (m), ==, 2);
  /* The model's counts are those of the iteration behind the master. */
  g_assert_cmpfloat (km_model_get_counts (m)[0], ==, 3.0);
  km_model_unref (m);
  km_trainer_free (t);
}

/* §8.3, full batch: sum / (cnt + 1e-6) in float, empty cluster -> 0. */
static void
test_micro_full_batch (void)
{
  KmConfig cfg = config (3, 2, FALSE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 0, 0, 10, 0, 50, 50 };
  const gfloat b[] = { 1, 0, 3, 0, 9, 0 };
  volatile gfloat eps = 1e-6f;
  KmModel *m;
  const gfloat *c;

  kmt_set_centers (t, c0);
  /* The spec's text says 1+1+1 = 3, but [3,0] is at distance 9 from
   * [0,0] (and 49 from [10,0]): the pre-update loss is 1+9+1. */
  g_assert_cmpfloat (feed_loss (t, b, 3, KM_FEED_TRAINED), ==, 11);
  m = km_trainer_get_model (t);
  c = km_model_get_centers (m);
  g_assert_cmpfloat (c[0], ==, 4.0f / (2.0f + eps));
  g_assert_cmpfloat (c[1], ==, 0.0f);
  g_assert_cmpfloat (c[2], ==, 9.0f / (1.0f + eps));
  g_assert_cmpfloat (c[3], ==, 0.0f);
  g_assert_cmpfloat (c[4], ==, 0.0f);
  g_assert_cmpfloat (c[5], ==, 0.0f);
  g_assert_cmpfloat (c[0], !=, 2.0f);   /* the bias is visible in float */
  g_assert_cmpfloat (km_model_get_counts (m)[0], ==, 2.0);
  g_assert_cmpfloat (km_model_get_counts (m)[1], ==, 1.0);
  g_assert_cmpfloat (km_model_get_counts (m)[2], ==, 0.0);
  km_model_unref (m);
  km_trainer_free (t);
}

/* §2.3: with N > 1 the master changes only before steps N+1, 2N+1, ... */
static void
test_sync_timing (void)
{
  const guint N = 3;
  KmConfig cfg = config (2, 2, TRUE, N);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 0, 0, 100, 100 };
  KmRng rng;
  guint step;
  gfloat prev[4];

  km_rng_seed (&rng, 7);
  kmt_set_centers (t, c0);
  memcpy (prev, t->master, sizeof (prev));
  for (step = 1; step <= 4 * N + 1; step++) {
    gfloat *x = kmt_gaussian_matrix (&rng, 8, 2, 30.0);
    gboolean sync = step > 1 && (step - 1) % N == 0;
    KmModel *m;

    kmt_feed (t, x, 8);
    m = km_trainer_get_model (t);
    g_assert_cmpint (memcmp (prev, t->master, sizeof (prev)) != 0, ==, sync);
    g_assert_cmpuint (km_model_get_version (m), ==, 1 + (step - 1) / N);
    memcpy (prev, t->master, sizeof (prev));
    km_model_unref (m);
    g_free (x);
  }
  km_trainer_free (t);
}

/* At the end of an iteration the working copy is the mean of the points
 * assigned (against the frozen master) during the iteration. */
static void
test_iteration_is_lloyd (void)
{
  const guint N = 4, B = 16, k = 3, d = 5;
  KmConfig cfg = config (k, d, TRUE, N);
  KmTrainer *t = kmt_trainer_new (&cfg);
  KmRng rng;
  gfloat *c0, *x;
  gdouble sums[3 * 5] = { 0 }, cnt[3] = { 0 };
  guint s, i, j, u;

  km_rng_seed (&rng, 11);
  c0 = kmt_gaussian_matrix (&rng, k, d, 1.0);
  x = kmt_gaussian_matrix (&rng, N * B, d, 1.0);
  kmt_set_centers (t, c0);
  for (s = 0; s < N; s++)
    kmt_feed (t, x + (gsize) s * B * d, B);
  for (i = 0; i < N * B; i++) {
    guint best = 0;

    for (j = 1; j < k; j++)
      if (kmt_sqdist (x + i * d, c0 + j * d, d) <
          kmt_sqdist (x + i * d, c0 + best * d, d))
        best = j;
    for (u = 0; u < d; u++)
      sums[best * d + u] += x[i * d + u];
    cnt[best] += 1;
  }
  for (j = 0; j < k; j++) {
    g_assert_cmpfloat (t->counts[j], ==, cnt[j]);
    for (u = 0; u < d; u++)
      kmt_assert_close (t->working[j * d + u],
          cnt[j] > 0 ? sums[j * d + u] / cnt[j] : c0[j * d + u], 1e-5, 1e-5);
  }
  g_free (c0);
  g_free (x);
  km_trainer_free (t);
}

/* Reference for §2.2 computed independently, compared on random data,
 * once on the loop path and once on the GEMM path of the distances. */
static void
check_n1_against_reference (guint k, guint d)
{
  KmConfig cfg = config (k, d, TRUE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  KmRng rng;
  gfloat *c, *ref;
  gdouble *n = g_new (gdouble, k);
  guint step, i, j, u;
  const guint B = 37;

  km_rng_seed (&rng, k * 1000 + d);
  c = kmt_gaussian_matrix (&rng, k, d, 3.0);
  ref = g_memdup2 (c, sizeof (gfloat) * k * d);
  for (j = 0; j < k; j++)
    n[j] = 1.0;
  kmt_set_centers (t, c);
  for (step = 0; step < 20; step++) {
    gfloat *x = kmt_gaussian_matrix (&rng, B, d, 3.0);
    gdouble *sums = g_new0 (gdouble, (gsize) k * d), *m = g_new0 (gdouble, k);
    gdouble loss = 0.0, got;

    for (i = 0; i < B; i++) {
      guint best = 0;

      for (j = 1; j < k; j++)
        if (kmt_sqdist (x + i * d, ref + j * d, d) <
            kmt_sqdist (x + i * d, ref + best * d, d))
          best = j;
      loss += kmt_sqdist (x + i * d, ref + best * d, d);
      m[best] += 1;
      for (u = 0; u < d; u++)
        sums[best * d + u] += x[i * d + u];
    }
    got = feed_loss (t, x, B, KM_FEED_TRAINED);
    kmt_assert_close (got, loss, 1e-4, 1e-5);
    for (j = 0; j < k; j++) {
      if (m[j] == 0)
        continue;
      for (u = 0; u < d; u++)
        ref[j * d + u] = (gfloat) ((n[j] * ref[j * d + u] + sums[j * d + u])
            / (n[j] + m[j]));
      n[j] += m[j];
    }
    g_free (x);
    g_free (sums);
    g_free (m);
  }
  kmt_assert_floats_close (t->master, ref, (gsize) k * d, 1e-5, 1e-5);
  for (j = 0; j < k; j++)
    g_assert_cmpfloat (t->counts[j], ==, n[j]);
  g_free (c);
  g_free (ref);
  g_free (n);
  km_trainer_free (t);
}

static void
test_n1_reference_small (void)
{
  check_n1_against_reference (4, 3);
}

static void
test_n1_reference_gemm (void)
{
  check_n1_against_reference (16, 64);
}

/* Counts start at 1: after many batches the center is the mean of the
 * initial center and all points. */
static void
test_running_mean_includes_initial_center (void)
{
  KmConfig cfg = config (1, 3, TRUE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 10, -10, 5 };
  gdouble sum[3] = { 10, -10, 5 }, n = 1;
  KmRng rng;
  guint s, i, u;

  km_rng_seed (&rng, 3);
  kmt_set_centers (t, c0);
  for (s = 0; s < 30; s++) {
    gsize b = 1 + s % 7;
    gfloat *x = kmt_gaussian_matrix (&rng, b, 3, 2.0);

    kmt_feed (t, x, b);
    for (i = 0; i < b; i++)
      for (u = 0; u < 3; u++)
        sum[u] += x[i * 3 + u];
    n += b;
    g_free (x);
  }
  for (u = 0; u < 3; u++)
    kmt_assert_close (t->master[u], sum[u] / n, 1e-5, 1e-5);
  g_assert_cmpfloat (t->counts[0], ==, n);
  km_trainer_free (t);
}

/* §4.2: cosine N = 1 keeps the stored center unnormalised; predictions
 * use its normalised version. */
static void
test_cosine_n1_unnormalised (void)
{
  KmConfig cfg = config (2, 2, TRUE, 1);
  KmTrainer *t;
  const gfloat c0[] = { 2, 0, 0, 3 }, x[] = { 1, 1 };
  gfloat probe[2], dist;
  gint32 idx;
  KmModel *m;
  const gfloat *c;
  gdouble norm;

  cfg.metric = KM_METRIC_COSINE;
  t = kmt_trainer_new (&cfg);
  kmt_set_centers (t, c0);
  /* Initial centers are normalised. */
  g_assert_cmpfloat (t->master[0], ==, 1.0f);
  g_assert_cmpfloat (t->master[3], ==, 1.0f);
  /* [1,1] ties between the two: lowest index. */
  kmt_assert_close (feed_loss (t, x, 1, KM_FEED_TRAINED), 1 - G_SQRT2 / 2,
      1e-6, 0);
  m = km_trainer_get_model (t);
  c = km_model_get_centers (m);
  kmt_assert_close (c[0], (1 + G_SQRT2 / 2) / 2, 1e-6, 0);
  kmt_assert_close (c[1], (G_SQRT2 / 2) / 2, 1e-6, 0);
  norm = sqrt ((gdouble) c[0] * c[0] + (gdouble) c[1] * c[1]);
  g_assert_cmpfloat (norm, <, 0.95);
  /* A point along the stored center is at distance 0 from it. */
  probe[0] = c[0] * 7;
  probe[1] = c[1] * 7;
  km_model_assign (m, probe, 1, &idx, &dist, NULL);
  g_assert_cmpint (idx, ==, 0);
  kmt_assert_close (dist, 0.0, 1e-6, 0);
  km_model_unref (m);
  km_trainer_free (t);
}

static gdouble
row_norm (const gfloat * c, guint d)
{
  gfloat z[64] = { 0 };

  return sqrt (kmt_sqdist (c, z, d));
}

/* Cosine full batch and N > 1: the master is kept unit length. */
static void
test_cosine_normalised_modes (void)
{
  KmRng rng;
  guint mode, s, j;

  km_rng_seed (&rng, 5);
  for (mode = 0; mode < 2; mode++) {
    KmConfig cfg = config (3, 4, mode == 1, mode == 1 ? 2 : 1);
    KmTrainer *t;
    gfloat *c0 = kmt_gaussian_matrix (&rng, 3, 4, 5.0);

    cfg.metric = KM_METRIC_COSINE;
    t = kmt_trainer_new (&cfg);
    kmt_set_centers (t, c0);
    for (s = 0; s < 7; s++) {
      gfloat *x = kmt_gaussian_matrix (&rng, 20, 4, 5.0);

      kmt_feed (t, x, 20);
      for (j = 0; j < 3; j++) {
        gdouble nm = row_norm (t->master + j * 4, 4);

        /* An empty full-batch cluster is the zero vector. */
        g_assert_true (fabs (nm - 1.0) < 1e-6 || nm == 0.0);
      }
      g_free (x);
    }
    if (mode == 1) {
      /* The working copy is a mean of unit vectors: shorter than 1. */
      for (j = 0; j < 3; j++)
        g_assert_cmpfloat (row_norm (t->working + j * 4, 4), <, 0.999999);
    }
    g_free (c0);
    km_trainer_free (t);
  }
}

/* The loss is the pre-update sum of min distances from the master. */
static void
test_loss_is_pre_update (void)
{
  guint mode;
  KmRng rng;

  km_rng_seed (&rng, 9);
  for (mode = 0; mode < 3; mode++) {
    KmConfig cfg = config (4, 3, mode != 0, mode == 2 ? 3 : 1);
    KmTrainer *t = kmt_trainer_new (&cfg);
    gfloat *c0 = kmt_gaussian_matrix (&rng, 4, 3, 4.0);
    guint s;

    kmt_set_centers (t, c0);
    for (s = 0; s < 8; s++) {
      gfloat *x = kmt_gaussian_matrix (&rng, 25, 3, 4.0);
      KmModel *before = km_trainer_get_model (t);
      gdouble expect = km_model_assign (before, x, 25, NULL, NULL, NULL);
      gdouble loss;

      /* N > 1 syncs first: the loss is against the synced master. */
      if (mode == 2 && s > 0 && s % 3 == 0) {
        km_model_unref (before);
        loss = feed_loss (t, x, 25, KM_FEED_TRAINED);
        before = km_trainer_get_model (t);
        expect = km_model_assign (before, x, 25, NULL, NULL, NULL);
      } else {
        loss = feed_loss (t, x, 25, KM_FEED_TRAINED);
      }
      g_assert_cmpfloat (loss, ==, expect);
      km_model_unref (before);
      g_free (x);
    }
    g_free (c0);
    km_trainer_free (t);
  }
}

/* get_model: NULL before init, cached until the next update, immutable. */
static void
test_model_snapshots (void)
{
  KmConfig cfg = config (2, 2, TRUE, 1);
  KmTrainer *t;
  const gfloat x[] = { 1, 1, 2, 2, -1, -1, -2, -2 };
  KmModel *a, *b, *c;
  gfloat saved[4];

  cfg.init = KM_INIT_RANDOM;
  t = kmt_trainer_new (&cfg);
  g_assert_null (km_trainer_get_model (t));
  g_assert_cmpint (kmt_feed (t, x, 1), ==, KM_FEED_INIT);
  g_assert_null (km_trainer_get_model (t));
  g_assert_cmpint (kmt_feed (t, x + 4, 1), ==, KM_FEED_INIT);
  a = km_trainer_get_model (t);
  b = km_trainer_get_model (t);
  g_assert_true (a == b);
  g_assert_cmpuint (km_model_get_version (a), ==, 1);
  g_assert_cmpuint (km_model_get_step (a), ==, 0);
  g_assert_cmpuint (km_model_get_k (a), ==, 2);
  g_assert_cmpuint (km_model_get_d (a), ==, 2);
  g_assert_cmpint (km_model_get_metric (a), ==, KM_METRIC_SQUARED_EUCLIDEAN);
  memcpy (saved, km_model_get_centers (a), sizeof (saved));

  g_assert_cmpint (kmt_feed (t, x, 4), ==, KM_FEED_TRAINED);
  c = km_trainer_get_model (t);
  g_assert_true (c != a);
  g_assert_cmpuint (km_model_get_version (c), ==, 2);
  g_assert_cmpuint (km_model_get_step (c), ==, 1);
  /* The old snapshot did not change. */
  g_assert_cmpmem (km_model_get_centers (a), sizeof (saved), saved,
      sizeof (saved));
  km_model_unref (a);
  km_model_unref (b);
  km_trainer_free (t);
  /* Models outlive their trainer. */
  g_assert_cmpuint (km_model_get_k (c), ==, 2);
  km_model_unref (c);
}

/* §2.4: full batch with an empty cluster gives the zero vector, and the
 * zero center then never wins squared-Euclidean ties over a real one. */
static void
test_full_batch_empty_cluster (void)
{
  KmConfig cfg = config (2, 3, FALSE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 1, 1, 1, 1, 1, 1 };     /* duplicate centers */
  const gfloat x[] = { 1, 2, 3, 3, 2, 1 };

  kmt_set_centers (t, c0);
  kmt_feed (t, x, 2);
  g_assert_cmpfloat (t->master[3], ==, 0.0f);
  g_assert_cmpfloat (t->master[4], ==, 0.0f);
  g_assert_cmpfloat (t->master[5], ==, 0.0f);
  kmt_assert_close (t->master[0], 2.0, 1e-5, 0);
  km_trainer_free (t);
}

static void
test_empty_batch_is_noop (void)
{
  KmConfig cfg = config (1, 2, TRUE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c0[] = { 1, 2 };

  g_assert_cmpint (kmt_feed (t, NULL, 0), ==, KM_FEED_SKIPPED);
  kmt_set_centers (t, c0);
  g_assert_cmpint (kmt_feed (t, c0, 0), ==, KM_FEED_SKIPPED);
  g_assert_cmpuint (km_trainer_get_step (t), ==, 0);
  g_assert_cmpfloat (t->counts[0], ==, 1.0);
  km_trainer_free (t);
}

static void
test_set_centers_errors (void)
{
  KmConfig cfg = config (2, 2, TRUE, 1);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat c[] = { 1, 2, 3, 4, 5, 6 };
  GError *error = NULL;
  KmStepInfo info;

  /* init = given without centers: an error, nothing changes. */
  g_assert_cmpint (km_trainer_feed (t, c, 3, &info, &error), ==, KM_FEED_ERROR);
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (km_trainer_is_initialized (t));

  g_assert_false (km_trainer_set_centers (t, c, 3, 2, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "num-clusters is 2"));
  g_clear_error (&error);
  g_assert_false (km_trainer_set_centers (t, c, 2, 3, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  kmt_set_centers (t, c);
  g_assert_true (km_trainer_is_initialized (t));
  g_assert_false (km_trainer_set_centers (t, c, 2, 2, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  km_trainer_free (t);
}

/* Config validation: sizes are checked before anything is allocated. */
static void
test_config_validation (void)
{
  KmConfig cfg;
  GError *error = NULL;

  km_config_init (&cfg);
  g_assert_cmpuint (cfg.k, ==, 2);
  g_assert_cmpint (cfg.kmeans_plus_plus_retries, ==, 2);
  g_assert_true (cfg.mini_batch);
  g_assert_cmpfloat (cfg.decay_factor, ==, 1.0);
  g_assert_cmpfloat (cfg.initial_count, ==, 1.0);
  /* d must be set. */
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  cfg.d = 4;
  g_assert_true (km_config_validate (&cfg, &error));
  g_assert_no_error (error);

  cfg.k = KM_MAX_CLUSTERS + 1;
  g_assert_null (km_trainer_new (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_TOO_LARGE);
  g_clear_error (&error);

  cfg.k = KM_MAX_CLUSTERS;
  cfg.d = KM_MAX_DIMENSIONS;    /* 2^36 floats */
  g_assert_null (km_trainer_new (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_TOO_LARGE);
  g_clear_error (&error);

  cfg.k = 2;
  cfg.d = KM_MAX_DIMENSIONS + 1;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_TOO_LARGE);
  g_clear_error (&error);

  cfg.d = 2;
  cfg.steps_per_sync = 0;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  cfg.steps_per_sync = 1;
  cfg.metric = 7;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  cfg.metric = KM_METRIC_COSINE;
  cfg.relative_tolerance = NAN;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  cfg.relative_tolerance = 0;
  cfg.initial_count = -1;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  km_model_new (0, 2, KM_METRIC_COSINE, (const gfloat *) &cfg, 0, &error);
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

/* Programming errors are caught by g_return_val_if_fail, not crashes. */
static void
test_bad_arguments (void)
{
  if (g_test_subprocess ()) {
    KmConfig cfg = config (1, 1, TRUE, 1);
    KmTrainer *t = kmt_trainer_new (&cfg);

    g_log_set_always_fatal (G_LOG_LEVEL_ERROR);
    g_assert_cmpint (km_trainer_feed (NULL, NULL, 1, NULL, NULL), ==,
        KM_FEED_ERROR);
    g_assert_cmpint (km_trainer_feed (t, NULL, 1, NULL, NULL), ==,
        KM_FEED_ERROR);
    g_assert_null (km_trainer_get_model (NULL));
    g_assert_cmpfloat (km_model_assign (NULL, NULL, 0, NULL, NULL, NULL), ==,
        0.0);
    km_trainer_free (t);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*CRITICAL*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/update/micro/n1", test_micro_n1);
  g_test_add_func ("/update/micro/n2", test_micro_n2);
  g_test_add_func ("/update/micro/full-batch", test_micro_full_batch);
  g_test_add_func ("/update/sync-timing", test_sync_timing);
  g_test_add_func ("/update/iteration-is-lloyd", test_iteration_is_lloyd);
  g_test_add_func ("/update/n1-reference/small", test_n1_reference_small);
  g_test_add_func ("/update/n1-reference/gemm", test_n1_reference_gemm);
  g_test_add_func ("/update/running-mean-initial",
      test_running_mean_includes_initial_center);
  g_test_add_func ("/update/cosine/n1-unnormalised",
      test_cosine_n1_unnormalised);
  g_test_add_func ("/update/cosine/normalised-modes",
      test_cosine_normalised_modes);
  g_test_add_func ("/update/loss-pre-update", test_loss_is_pre_update);
  g_test_add_func ("/update/model-snapshots", test_model_snapshots);
  g_test_add_func ("/update/full-batch-empty-cluster",
      test_full_batch_empty_cluster);
  g_test_add_func ("/update/empty-batch", test_empty_batch_is_noop);
  g_test_add_func ("/update/set-centers-errors", test_set_centers_errors);
  g_test_add_func ("/update/config-validation", test_config_validation);
  g_test_add_func ("/update/bad-arguments", test_bad_arguments);

  return g_test_run ();
}

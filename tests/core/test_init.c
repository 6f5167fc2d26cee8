/* Initialisation (docs/algorithm.md §3): the greedy random sampler, the
 * kmeans++ kernel (TF's KmeansPlusPlusInitializationTest, candidate
 * counts, D^2 sampling, degenerate data), given centers and the centers
 * text file. */
#include "kmtest.h"

static KmConfig
config (guint k, guint d, KmInit init)
{
  KmConfig cfg;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.init = init;
  return cfg;
}

/* A batch no larger than what is missing is taken whole and in order;
 * smaller batches fill successively; init batches are not trained on. */
static void
test_random_fills_successively (void)
{
  KmConfig cfg = config (5, 2, KM_INIT_RANDOM);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat b1[] = { 1, 2, 3, 4 }, b2[] = { 5, 6, 7, 8 };
  const gfloat b3[] = { 9, 0, 11, 12 };
  KmStepInfo info;
  GError *error = NULL;

  g_assert_cmpint (km_trainer_feed (t, b1, 2, &info, &error), ==, KM_FEED_INIT);
  g_assert_cmpuint (info.initialized_centers, ==, 2);
  g_assert_cmpint (kmt_feed (t, b2, 2), ==, KM_FEED_INIT);
  g_assert_false (km_trainer_is_initialized (t));
  /* B = 2 > remaining = 1: one row drawn from this batch. */
  g_assert_cmpint (km_trainer_feed (t, b3, 2, &info, &error), ==, KM_FEED_INIT);
  g_assert_cmpuint (info.initialized_centers, ==, 5);
  g_assert_cmpuint (info.step, ==, 0);
  g_assert_true (km_trainer_is_initialized (t));
  g_assert_cmpmem (t->master, 4 * sizeof (gfloat), b1, sizeof (b1));
  g_assert_cmpmem (t->master + 4, 4 * sizeof (gfloat), b2, sizeof (b2));
  g_assert_true (memcmp (t->master + 8, b3, 8) == 0
      || memcmp (t->master + 8, b3 + 2, 8) == 0);
  g_assert_cmpuint (km_trainer_get_step (t), ==, 0);
  g_assert_cmpint (kmt_feed (t, b1, 2), ==, KM_FEED_TRAINED);
  g_assert_cmpuint (km_trainer_get_step (t), ==, 1);
  km_trainer_free (t);
}

/* B > remaining samples with replacement, uniformly. */
static void
test_random_with_replacement (void)
{
  const guint n = 6, k = 5, runs = 2000;
  gfloat x[6];
  guint hist[6] = { 0 }, dup_runs = 0, seed, i, j;
  gdouble chi2 = 0.0, expect = (gdouble) runs * k / n;

  for (i = 0; i < n; i++)
    x[i] = i;
  for (seed = 0; seed < runs; seed++) {
    KmConfig cfg = config (k, 1, KM_INIT_RANDOM);
    KmTrainer *t;
    gboolean dup = FALSE;

    cfg.seed = seed;
    t = kmt_trainer_new (&cfg);
    g_assert_cmpint (kmt_feed (t, x, n), ==, KM_FEED_INIT);
    g_assert_true (km_trainer_is_initialized (t));
    for (i = 0; i < k; i++) {
      guint v = (guint) t->master[i];

      g_assert_cmpfloat (t->master[i], ==, v);
      g_assert_cmpuint (v, <, n);
      hist[v]++;
      for (j = 0; j < i; j++)
        dup |= t->master[j] == t->master[i];
    }
    dup_runs += dup;
    km_trainer_free (t);
  }
  for (i = 0; i < n; i++)
    chi2 += (hist[i] - expect) * (hist[i] - expect) / expect;
  /* 5 degrees of freedom: P(chi2 > 25) < 2e-4. */
  g_assert_cmpfloat (chi2, <, 25.0);
  /* P(no duplicate) = 6!/6^5 = 0.093 with replacement. */
  g_assert_cmpuint (dup_runs, >, runs * 0.85);
  g_assert_cmpuint (dup_runs, <, runs * 0.95);
}

/* The random sampler's kernel directly: n <= remaining copies all. */
static void
test_random_kernel (void)
{
  const gfloat x[] = { 1, 2, 3, 4, 5, 6 };
  gfloat out[6] = { 0 };
  KmRng rng, copy;

  km_rng_seed (&rng, 1);
  copy = rng;
  g_assert_cmpuint (km_init_random (x, 3, 2, 3,
          KM_INIT_SAMPLING_WITH_REPLACEMENT, &rng, out, NULL), ==, 3);
  g_assert_cmpmem (out, sizeof (out), x, sizeof (x));
  /* No random numbers used when the batch is taken whole. */
  g_assert_cmpmem (&rng, sizeof (rng), &copy, sizeof (copy));
  g_assert_cmpuint (km_init_random (x, 3, 2, 1,
          KM_INIT_SAMPLING_WITH_REPLACEMENT, &rng, out, NULL), ==, 1);
}

/* KmeansPlusPlusInitializationTest.testBasic. */
static void
test_kpp_basic (void)
{
  const gfloat points[] = {
    100, 0, 101, 2, 102, 0, 100, 1, 100, 2, 101, 0, 101, 0, 101, 1, 102, 0,
    -1, -1
  };
  KmWorkspace *ws = km_workspace_new ();
  guint seed;

  for (seed = 0; seed < 100; seed++) {
    gfloat out[6];
    KmRng rng;
    guint i, far = 0;

    km_rng_seed (&rng, seed);
    km_init_kmeans_plus_plus (points, 10, 2, 3, (gint) (seed % 5) - 1, &rng,
        out, ws, NULL);
    for (i = 0; i < 3; i++) {
      if (out[2 * i] == -1 && out[2 * i + 1] == -1) {
        far++;
      } else {
        g_assert_cmpfloat (fabs (out[2 * i] - 101), <=, 1.0);
        g_assert_cmpfloat (fabs (out[2 * i + 1] - 1), <=, 1.0);
      }
    }
    g_assert_cmpuint (far, ==, 1);
  }
  km_workspace_free (ws);
}

/* 1 + R candidates per center, the first included; R < 0 gives
 * 2 + floor(ln k). */
static void
test_kpp_candidate_count (void)
{
  const struct
  {
    guint k;
    gint retries;
    guint R;
  } cases[] = {
    {1, -1, 2}, {3, -1, 3}, {10, -1, 4}, {100, -1, 6}, {1000, -1, 8},
    {7, 0, 0}, {7, 2, 2}, {4, 5, 5}
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    const guint k = cases[c].k, n = k + 17;
    KmConfig cfg = config (k, 3, KM_INIT_KMEANS_PLUS_PLUS);
    KmRng rng;
    gfloat *x;
    KmTrainer *t;

    g_assert_cmpuint (km_kmeans_plus_plus_retries (cases[c].retries, k), ==,
        cases[c].R);
    cfg.kmeans_plus_plus_retries = cases[c].retries;
    t = kmt_trainer_new (&cfg);
    km_rng_seed (&rng, c);
    x = kmt_gaussian_matrix (&rng, n, 3, 1.0);
    g_assert_cmpint (kmt_feed (t, x, n), ==, KM_FEED_INIT);
    g_assert_true (km_trainer_is_initialized (t));
    g_assert_cmpuint (km_trainer_get_kmeans_plus_plus_draws (t), ==,
        (guint64) k * (1 + cases[c].R));
    g_free (x);
    km_trainer_free (t);
  }
}

/* With R > 0 the kept candidate is the one of least potential: among 51
 * candidates the central point of three is (almost surely) drawn. */
static void
test_kpp_first_center_most_central (void)
{
  const gfloat x[] = { -10, 0, 10 };
  KmWorkspace *ws = km_workspace_new ();
  guint seed, hist[3] = { 0 };

  for (seed = 0; seed < 100; seed++) {
    KmRng rng;
    gfloat out;

    km_rng_seed (&rng, seed);
    km_init_kmeans_plus_plus (x, 3, 1, 1, 50, &rng, &out, ws, NULL);
    g_assert_cmpfloat (out, ==, 0.0f);
    /* R = 0: uniform. */
    km_init_kmeans_plus_plus (x, 3, 1, 1, 0, &rng, &out, ws, NULL);
    hist[(guint) (out / 10 + 1)]++;
  }
  g_assert_cmpuint (hist[0], >, 15);
  g_assert_cmpuint (hist[1], >, 15);
  g_assert_cmpuint (hist[2], >, 15);
  km_workspace_free (ws);
}

/* D^2 sampling: with the first center at 0, points at 1 and 10 are drawn
 * in ratio 1:100. */
static void
test_kpp_d2_sampling (void)
{
  const gfloat x[] = { 0, 1, 10 };
  KmWorkspace *ws = km_workspace_new ();
  guint seed, first0 = 0, got1 = 0, got10 = 0;

  for (seed = 0; seed < 30000; seed++) {
    KmRng rng;
    gfloat out[2];

    km_rng_seed (&rng, seed);
    km_init_kmeans_plus_plus (x, 3, 1, 2, 0, &rng, out, ws, NULL);
    g_assert_cmpfloat (out[0], !=, out[1]);
    if (out[0] != 0)
      continue;
    first0++;
    got1 += out[1] == 1;
    got10 += out[1] == 10;
  }
  g_assert_cmpuint (got1 + got10, ==, first0);
  /* Expect first0/101 = about 99 +- 10. */
  g_assert_cmpuint (got1, >, first0 / 101 - 50);
  g_assert_cmpuint (got1, <, first0 / 101 + 50);
  km_workspace_free (ws);
}

/* Chosen indices are rejected: with n == k distinct points the result is
 * a permutation of the points. */
static void
test_kpp_no_repeated_index (void)
{
  KmWorkspace *ws = km_workspace_new ();
  guint seed;

  for (seed = 0; seed < 200; seed++) {
    gfloat x[10], out[10];
    gboolean seen[10] = { 0 };
    KmRng rng;
    guint i;

    for (i = 0; i < 10; i++)
      x[i] = (gfloat) (i * i);
    km_rng_seed (&rng, seed);
    km_init_kmeans_plus_plus (x, 10, 1, 10, (gint) (seed % 4) - 1, &rng, out,
        ws, NULL);
    for (i = 0; i < 10; i++) {
      guint v = (guint) sqrtf (out[i]);

      g_assert_false (seen[v]);
      seen[v] = TRUE;
    }
  }
  km_workspace_free (ws);
}

/* Fewer distinct points than centers (all D zero): uniform among the
 * unchosen indices, no hang; KMeansTestQueues' zeros included. */
static void
test_kpp_degenerate (void)
{
  KmWorkspace *ws = km_workspace_new ();
  const gfloat x[] = { 1, 1, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1 };
  gfloat zeros[30] = { 0 }, out[15];
  guint seed;

  for (seed = 0; seed < 50; seed++) {
    KmRng rng;
    guint i, ones = 0, twos = 0;

    km_rng_seed (&rng, seed);
    km_init_kmeans_plus_plus (x, 6, 2, 5, 2, &rng, out, ws, NULL);
    for (i = 0; i < 5; i++) {
      ones += out[2 * i] == 1;
      twos += out[2 * i] == 2;
    }
    /* Both distinct values are always found, then duplicates. */
    g_assert_cmpuint (ones, >=, 1);
    g_assert_cmpuint (twos, >=, 1);
    g_assert_cmpuint (ones + twos, ==, 5);
    km_init_kmeans_plus_plus (zeros, 10, 3, 5, -1, &rng, out, ws, NULL);
    for (i = 0; i < 15; i++)
      g_assert_cmpfloat (out[i], ==, 0.0f);
  }
  km_workspace_free (ws);
}

/* kmeans++ needs B >= remaining: a clear error, nothing consumed, then a
 * larger batch works (test_kmeans_plus_plus_batch_too_small). */
static void
test_kpp_batch_too_small (void)
{
  KmConfig cfg = config (5, 2, KM_INIT_KMEANS_PLUS_PLUS);
  KmTrainer *t = kmt_trainer_new (&cfg);
  const gfloat x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 };
  GError *error = NULL;
  KmStepInfo info;

  g_assert_cmpint (km_trainer_feed (t, x, 4, &info, &error), ==, KM_FEED_ERROR);
  g_assert_error (error, KM_ERROR, KM_ERROR_BATCH_TOO_SMALL);
  g_assert_nonnull (strstr (error->message, "at least 5"));
  g_assert_nonnull (strstr (error->message, "got 4"));
  g_clear_error (&error);
  g_assert_cmpuint (info.initialized_centers, ==, 0);
  g_assert_false (km_trainer_is_initialized (t));
  g_assert_cmpuint (km_trainer_get_kmeans_plus_plus_draws (t), ==, 0);

  g_assert_cmpint (kmt_feed (t, x, 5), ==, KM_FEED_INIT);
  g_assert_true (km_trainer_is_initialized (t));
  km_trainer_free (t);
}

/* Cosine: initial centers are unit rows in every init mode. */
static void
test_cosine_init_normalised (void)
{
  KmInit modes[] = { KM_INIT_RANDOM, KM_INIT_KMEANS_PLUS_PLUS, KM_INIT_GIVEN };
  KmRng rng;
  guint m, j;

  km_rng_seed (&rng, 8);
  for (m = 0; m < 3; m++) {
    KmConfig cfg = config (4, 3, modes[m]);
    KmTrainer *t;
    gfloat *x = kmt_gaussian_matrix (&rng, 9, 3, 7.0);

    cfg.metric = KM_METRIC_COSINE;
    t = kmt_trainer_new (&cfg);
    if (modes[m] == KM_INIT_GIVEN)
      kmt_set_centers (t, x);
    else
      kmt_feed (t, x, 9);
    g_assert_true (km_trainer_is_initialized (t));
    for (j = 0; j < 4; j++) {
      const gfloat *c = t->master + 3 * j;

      kmt_assert_close (sqrt ((gdouble) c[0] * c[0] + (gdouble) c[1] * c[1]
              + (gdouble) c[2] * c[2]), 1.0, 1e-6, 0);
    }
    g_free (x);
    km_trainer_free (t);
  }
}

/* Same seed, same centers; another seed, other centers. */
static void
test_init_reproducible (void)
{
  KmRng rng;
  gfloat *x;
  guint init;

  km_rng_seed (&rng, 99);
  x = kmt_gaussian_matrix (&rng, 100, 4, 1.0);
  for (init = KM_INIT_RANDOM; init <= KM_INIT_KMEANS_PLUS_PLUS; init++) {
    KmConfig cfg = config (8, 4, init);
    KmTrainer *a, *b, *c;

    cfg.seed = 5;
    a = kmt_trainer_new (&cfg);
    b = kmt_trainer_new (&cfg);
    cfg.seed = 6;
    c = kmt_trainer_new (&cfg);
    kmt_feed (a, x, 100);
    kmt_feed (b, x, 100);
    kmt_feed (c, x, 100);
    g_assert_cmpmem (a->master, 32 * 4, b->master, 32 * 4);
    g_assert_true (memcmp (a->master, c->master, 32 * 4) != 0);
    km_trainer_free (a);
    km_trainer_free (b);
    km_trainer_free (c);
  }
  g_free (x);
}

/* ------------------------------------------------------ centers file */

/* Points of @k square blobs 3 wide, 10 apart, in d = 2, reproducible. */
static gfloat *
blobs (gsize n, guint k, guint64 seed)
{
  gfloat *x = g_new (gfloat, n * 2);
  KmRng rng;
  gsize i;

  km_rng_seed (&rng, seed);
  for (i = 0; i < n; i++) {
    guint c = (guint) km_rng_uniform_int (&rng, k);

    x[2 * i] = 10.0f * (c % 4) + 3.0f * (gfloat) km_rng_uniform (&rng);
    x[2 * i + 1] = 10.0f * (c / 4) + 3.0f * (gfloat) km_rng_uniform (&rng);
  }
  return x;
}

/* The sample's potential under @k rows, and each row's distance to the
 * mean of the sample points nearest to it (the largest, in *shift). */
static gdouble
lloyd_residual (const gfloat * x, gsize n, const gfloat * rows, guint k,
    gdouble * shift)
{
  gdouble *sum = g_new0 (gdouble, 2 * k), *cnt = g_new0 (gdouble, k);
  gdouble potential = 0.0;
  gsize i;
  guint j;

  for (i = 0; i < n; i++) {
    guint best = 0;
    gdouble bd = G_MAXDOUBLE;

    for (j = 0; j < k; j++) {
      gdouble dx = x[2 * i] - rows[2 * j], dy = x[2 * i + 1] - rows[2 * j + 1];

      if (dx * dx + dy * dy < bd) {
        bd = dx * dx + dy * dy;
        best = j;
      }
    }
    potential += bd;
    sum[2 * best] += x[2 * i];
    sum[2 * best + 1] += x[2 * i + 1];
    cnt[best] += 1.0;
  }
  *shift = 0.0;
  for (j = 0; j < k; j++)
    if (cnt[j] > 0)
      *shift = MAX (*shift, hypot (sum[2 * j] / cnt[j] - rows[2 * j],
              sum[2 * j + 1] / cnt[j] - rows[2 * j + 1]));
  g_free (sum);
  g_free (cnt);
  return potential;
}

/* §3.8: with enough refinement the initial rows are a Lloyd fixed point
 * of the sample (each row the mean of its points), of no more potential
 * than the unrefined rows drawn with the same seed; §3.5's random
 * sequence is unchanged by it. */
static void
test_refine_reaches_lloyd_fixed_point (void)
{
  const gsize n = 600;
  gfloat *x = blobs (n, 8, 3);
  KmConfig cfg = config (8, 2, KM_INIT_KMEANS_PLUS_PLUS);
  KmTrainer *plain, *refined;
  gdouble p_plain, p_refined, shift;

  cfg.seed = 11;
  plain = kmt_trainer_new (&cfg);
  cfg.init_refine = 100;
  refined = kmt_trainer_new (&cfg);
  g_assert_cmpint (kmt_feed (plain, x, n), ==, KM_FEED_INIT);
  g_assert_cmpint (kmt_feed (refined, x, n), ==, KM_FEED_INIT);

  p_plain = lloyd_residual (x, n, plain->master, 8, &shift);
  g_assert_cmpfloat (shift, >, 1e-3);
  p_refined = lloyd_residual (x, n, refined->master, 8, &shift);
  g_assert_cmpfloat (shift, <, 1e-4);
  g_assert_cmpfloat (p_refined, <, p_plain);
  g_assert_cmpmem (&plain->rng, sizeof (KmRng), &refined->rng, sizeof (KmRng));
  km_trainer_free (plain);
  km_trainer_free (refined);
  g_free (x);
}

/* §3.6: init_batches 3 gathers three first batches, then chooses from
 * all of them at once; a stream that ends first is initialised from what
 * it gathered. */
static void
test_init_batches (void)
{
  gfloat *x = blobs (40, 4, 5);
  KmConfig cfg = config (4, 2, KM_INIT_KMEANS_PLUS_PLUS);
  KmTrainer *t, *whole;
  guint b;

  cfg.init_batches = 3;
  t = kmt_trainer_new (&cfg);
  for (b = 0; b < 3; b++) {
    g_assert_false (km_trainer_is_initialized (t));
    g_assert_cmpint (kmt_feed (t, x + 20 * b, 10), ==, KM_FEED_INIT);
  }
  g_assert_true (km_trainer_is_initialized (t));
  g_assert_cmpint (kmt_feed (t, x + 60, 10), ==, KM_FEED_TRAINED);
  g_assert_cmpuint (km_trainer_get_points (t), ==, 10);

  /* The same as one batch of the 30 points. */
  cfg.init_batches = 0;
  whole = kmt_trainer_new (&cfg);
  g_assert_cmpint (kmt_feed (whole, x, 30), ==, KM_FEED_INIT);
  g_assert_cmpint (kmt_feed (whole, x + 60, 10), ==, KM_FEED_TRAINED);
  g_assert_cmpmem (t->master, 8 * sizeof (gfloat), whole->master,
      8 * sizeof (gfloat));
  km_trainer_free (t);
  km_trainer_free (whole);

  /* Two batches, then the end of the stream. */
  cfg.init_batches = 3;
  t = kmt_trainer_new (&cfg);
  g_assert_cmpint (kmt_feed (t, x, 10), ==, KM_FEED_INIT);
  g_assert_cmpint (kmt_feed (t, x + 20, 10), ==, KM_FEED_INIT);
  g_assert_false (km_trainer_is_initialized (t));
  g_assert_true (km_trainer_flush_init (t, NULL));
  g_assert_true (km_trainer_is_initialized (t));
  km_trainer_free (t);
  g_free (x);
}

/* §3.6: a model of k·d = 2^20 caps the gathered sample at 2^30 / (k·d)
 * = 1024 points, so a first batch of 2000 is the sample by itself. */
static void
test_init_batches_capped (void)
{
  const guint k = 512, d = 2048;
  const gsize n = 2000;
  gfloat *x = g_new (gfloat, n * d);
  KmConfig cfg = config (k, d, KM_INIT_RANDOM);
  KmTrainer *t;
  gsize i;

  for (i = 0; i < n * d; i++)
    x[i] = (gfloat) (i % 977);
  cfg.init_batches = 3;
  t = kmt_trainer_new (&cfg);
  g_assert_cmpint (kmt_feed (t, x, n), ==, KM_FEED_INIT);
  g_assert_true (km_trainer_is_initialized (t));
  km_trainer_free (t);
  g_free (x);
}

static gchar *
write_text (const gchar * dir, const gchar * text)
{
  gchar *path = g_build_filename (dir, "centers.txt", NULL);
  GError *error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_centers_text_ok (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = write_text (dir,
      "# initial centers\n"
      "1, 2.5, -3\n"
      "\n" "  4 5\t6   # trailing comment\r\n" "7,8 ,9\n" "1e-3,-0,+2E2");
  GError *error = NULL;
  guint k = 0, d = 0;
  gfloat *c = km_centers_load_text (path, &k, &d, &error);
  const gfloat expect[] = { 1, 2.5, -3, 4, 5, 6, 7, 8, 9, 1e-3f, 0, 200 };

  g_assert_no_error (error);
  g_assert_cmpuint (k, ==, 4);
  g_assert_cmpuint (d, ==, 3);
  kmt_assert_floats_close (c, expect, G_N_ELEMENTS (expect), 0, 0);
  g_free (c);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

static void
check_centers_error (const gchar * text, gint code, const gchar * needle)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = write_text (dir, text);
  GError *error = NULL;
  guint k = 77, d = 77;

  g_assert_null (km_centers_load_text (path, &k, &d, &error));
  g_assert_error (error, KM_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' not in '%s'", needle, error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

static void
test_centers_text_errors (void)
{
  GError *error = NULL;
  guint k, d;

  check_centers_error ("1 2\n3 4 5\n", KM_ERROR_INVALID_ARGUMENT,
      ":2: 3 values but the first center has 2");
  check_centers_error ("1 2\n# c\n3 nan\n", KM_ERROR_INVALID_ARGUMENT,
      ":3: value nan is not a finite float");
  check_centers_error ("1 inf\n", KM_ERROR_INVALID_ARGUMENT, ":1: value inf");
  check_centers_error ("1 1e39\n", KM_ERROR_INVALID_ARGUMENT, ":1: value");
  check_centers_error ("1 2\n3 x4\n", KM_ERROR_INVALID_ARGUMENT,
      ":2: 'x4' is not a number");
  check_centers_error ("1 2abc\n", KM_ERROR_INVALID_ARGUMENT,
      ":1: '2abc' is not a number");
  check_centers_error ("1,,2\n", KM_ERROR_INVALID_ARGUMENT, ":1: empty value");
  check_centers_error ("1,2,\n", KM_ERROR_INVALID_ARGUMENT, ":1: empty value");
  check_centers_error ("# nothing\n\n", KM_ERROR_INVALID_ARGUMENT,
      "no centers");
  check_centers_error ("", KM_ERROR_INVALID_ARGUMENT, "no centers");

  g_assert_null (km_centers_load_text ("/nonexistent/centers.txt", &k, &d,
          &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "/nonexistent/centers.txt"));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/init/random/fills-successively",
      test_random_fills_successively);
  g_test_add_func ("/init/random/with-replacement",
      test_random_with_replacement);
  g_test_add_func ("/init/random/kernel", test_random_kernel);
  g_test_add_func ("/init/kmeans++/basic", test_kpp_basic);
  g_test_add_func ("/init/kmeans++/candidate-count", test_kpp_candidate_count);
  g_test_add_func ("/init/kmeans++/first-center-most-central",
      test_kpp_first_center_most_central);
  g_test_add_func ("/init/kmeans++/d2-sampling", test_kpp_d2_sampling);
  g_test_add_func ("/init/kmeans++/no-repeated-index",
      test_kpp_no_repeated_index);
  g_test_add_func ("/init/kmeans++/degenerate", test_kpp_degenerate);
  g_test_add_func ("/init/kmeans++/batch-too-small", test_kpp_batch_too_small);
  g_test_add_func ("/init/cosine-normalised", test_cosine_init_normalised);
  g_test_add_func ("/init/reproducible", test_init_reproducible);
  g_test_add_func ("/init/refine/lloyd-fixed-point",
      test_refine_reaches_lloyd_fixed_point);
  g_test_add_func ("/init/batches/three", test_init_batches);
  g_test_add_func ("/init/batches/capped", test_init_batches_capped);
  g_test_add_func ("/init/centers-text/ok", test_centers_text_ok);
  g_test_add_func ("/init/centers-text/errors", test_centers_text_errors);

  return g_test_run ();
}

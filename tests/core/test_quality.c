/* The mechanisms beyond the estimator (docs/algorithm.md §2.6, §3.6):
 * an init sample gathered across batches, random init without
 * replacement, the reassignment of starved centers; and the step
 * reports a resumed trainer gives (§5.3, §7.4). */
#include "kmtest.h"

static KmConfig
config (guint k, guint d, KmInit init, guint64 seed)
{
  KmConfig cfg;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.init = init;
  cfg.seed = seed;
  return cfg;
}

static gfloat *
gaussian (guint64 seed, gsize n, guint d)
{
  KmRng rng;

  km_rng_seed (&rng, seed);
  return kmt_gaussian_matrix (&rng, n, d, 5.0);
}

static void
assert_same_model (KmTrainer * a, KmTrainer * b)
{
  KmModel *ma = km_trainer_get_model (a), *mb = km_trainer_get_model (b);
  const KmConfig *cfg = km_trainer_get_config (a);

  g_assert_nonnull (ma);
  g_assert_nonnull (mb);
  g_assert_cmpmem (km_model_get_centers (ma), cfg->k * cfg->d * 4,
      km_model_get_centers (mb), cfg->k * cfg->d * 4);
  km_model_unref (ma);
  km_model_unref (mb);
}

/* §3.6: buffers of 10 points with init_size 200 initialise from the 200
 * points, exactly as one batch of those 200 does; the first 19 buffers
 * are gathered, the 20th completes the sample. */
static void
test_init_size_gathers (gconstpointer data)
{
  KmInit init = GPOINTER_TO_INT (data);
  const guint k = 8, d = 3;
  gfloat *x = gaussian (5, 200, d);
  KmConfig cfg = config (k, d, init, 77);
  KmTrainer *streamed, *whole;
  guint b;

  cfg.init_size = 200;
  cfg.init_sampling = KM_INIT_SAMPLING_WITHOUT_REPLACEMENT;
  streamed = kmt_trainer_new (&cfg);
  for (b = 0; b < 20; b++) {
    g_assert_false (km_trainer_is_initialized (streamed));
    g_assert_cmpint (kmt_feed (streamed, x + b * 10 * d, 10), ==, KM_FEED_INIT);
  }
  g_assert_true (km_trainer_is_initialized (streamed));
  g_assert_cmpuint (km_trainer_get_step (streamed), ==, 0);
  g_assert_cmpuint (km_trainer_get_points (streamed), ==, 0);
  if (init == KM_INIT_KMEANS_PLUS_PLUS)
    g_assert_cmpuint (km_trainer_get_kmeans_plus_plus_draws (streamed), ==,
        k * 3);

  /* The estimator's rule on the same 200 points as its first batch. */
  cfg.init_size = 0;
  whole = kmt_trainer_new (&cfg);
  g_assert_cmpint (kmt_feed (whole, x, 200), ==, KM_FEED_INIT);
  assert_same_model (streamed, whole);

  km_trainer_free (streamed);
  km_trainer_free (whole);
  g_free (x);
}

/* A first batch at least init_size large is the sample, whole: init_size
 * 50 and a first batch of 200 give the estimator's init. */
static void
test_init_size_large_first_batch (void)
{
  gfloat *x = gaussian (6, 200, 2);
  KmConfig cfg = config (5, 2, KM_INIT_KMEANS_PLUS_PLUS, 3);
  KmTrainer *a, *b;

  b = kmt_trainer_new (&cfg);
  cfg.init_size = 50;
  a = kmt_trainer_new (&cfg);
  kmt_feed (a, x, 200);
  kmt_feed (b, x, 200);
  assert_same_model (a, b);
  km_trainer_free (a);
  km_trainer_free (b);
  g_free (x);
}

/* kmeans++ with init_size gathers until k points even when buffers are
 * smaller than k (the estimator fails there), and a stream that ends
 * before init_size initialises from what it gathered on a flush. */
static void
test_init_size_flush (void)
{
  gfloat *x = gaussian (7, 30, 2);
  KmConfig cfg = config (6, 2, KM_INIT_KMEANS_PLUS_PLUS, 3);
  KmTrainer *t;
  GError *error = NULL;
  guint b;

  cfg.init_size = 1000;
  t = kmt_trainer_new (&cfg);
  /* Nothing gathered: nothing to do. */
  g_assert_true (km_trainer_flush_init (t, &error));
  g_assert_no_error (error);
  kmt_feed (t, x, 4);
  /* 4 points cannot give 6 kmeans++ centers: refused, the sample kept. */
  g_assert_false (km_trainer_flush_init (t, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_BATCH_TOO_SMALL);
  g_clear_error (&error);
  for (b = 1; b < 6; b++)
    kmt_feed (t, x + b * 4 * 2, 4);
  g_assert_false (km_trainer_is_initialized (t));
  g_assert_true (km_trainer_flush_init (t, &error));
  g_assert_no_error (error);
  g_assert_true (km_trainer_is_initialized (t));
  g_assert_cmpint (kmt_feed (t, x, 30), ==, KM_FEED_TRAINED);
  g_assert_cmpuint (km_trainer_get_points (t), ==, 30);
  km_trainer_free (t);
  g_free (x);
}

/* §3.2: without replacement, k rows drawn from n distinct points are k
 * distinct rows, for every seed (with replacement, some seed repeats). */
static void
test_without_replacement (void)
{
  const guint k = 20, n = 25, d = 2;
  gfloat x[25 * 2];
  guint64 seed;
  guint i, j, with_duplicates = 0;

  for (i = 0; i < n; i++) {
    x[2 * i] = (gfloat) i;
    x[2 * i + 1] = (gfloat) (i * i);
  }
  for (seed = 0; seed < 200; seed++) {
    KmInitSampling s;

    for (s = KM_INIT_SAMPLING_WITH_REPLACEMENT;
        s <= KM_INIT_SAMPLING_WITHOUT_REPLACEMENT; s++) {
      KmConfig cfg = config (k, d, KM_INIT_RANDOM, seed);
      KmTrainer *t;
      KmModel *m;
      const gfloat *c;
      gboolean dup = FALSE;

      cfg.init_sampling = s;
      t = kmt_trainer_new (&cfg);
      kmt_feed (t, x, n);
      m = km_trainer_get_model (t);
      c = km_model_get_centers (m);
      for (i = 0; i < k; i++)
        for (j = i + 1; j < k; j++)
          dup |= c[2 * i] == c[2 * j];
      if (s == KM_INIT_SAMPLING_WITHOUT_REPLACEMENT)
        g_assert_false (dup);
      else
        with_duplicates += dup;
      km_model_unref (m);
      km_trainer_free (t);
    }
  }
  g_assert_cmpuint (with_duplicates, >, 0);
}

/* Distance of @c to the nearest of the @n points @x. */
static gdouble
nearest_point (const gfloat * c, const gfloat * x, gsize n, guint d)
{
  gdouble best = G_MAXDOUBLE;
  gsize i;

  for (i = 0; i < n; i++)
    best = MIN (best, kmt_sqdist (x + i * d, c, d));
  return best;
}

/* §2.6: a center given far from every point gets none, so its count
 * stays 1 while the others grow; after a few steps it has been moved
 * among the points, and the move is counted.  Without reassignment
 * (the estimator) it stays where it was. */
static void
test_reassignment_moves_far_center (gconstpointer data)
{
  KmReassignSampling sampling = GPOINTER_TO_INT (data);
  const guint k = 4, d = 2, B = 50;
  const gfloat centers[] = { -5, 0, 5, 0, 0, 5, 1000, 1000 };
  gdouble ratio;

  for (ratio = 0.0; ratio <= 0.01; ratio += 0.01) {
    KmConfig cfg = config (k, d, KM_INIT_GIVEN, 9);
    KmTrainer *t;
    KmModel *m;
    guint s, moved_total = 0;
    gfloat *x = NULL;

    cfg.reassignment_ratio = ratio;
    cfg.reassignment_sampling = sampling;
    t = kmt_trainer_new (&cfg);
    kmt_set_centers (t, centers);
    for (s = 0; s < 6; s++) {
      KmStepInfo info;
      GError *error = NULL;

      g_free (x);
      x = gaussian (100 + s, B, d);
      g_assert_cmpint (km_trainer_feed (t, x, B, &info, &error), ==,
          KM_FEED_TRAINED);
      g_assert_no_error (error);
      moved_total += info.reassigned;
    }
    m = km_trainer_get_model (t);
    if (ratio > 0.0) {
      /* Among the points: within the spread of the last batch. */
      g_assert_cmpfloat (nearest_point (km_model_get_centers (m) + 3 * d,
              x, B, d), <, 200.0);
      g_assert_cmpuint (moved_total, >=, 1);
      g_assert_cmpuint (km_trainer_get_reassignments (t), ==, moved_total);
      /* Its count was reset to the smallest of the others, then grew. */
      g_assert_cmpfloat (km_model_get_counts (m)[3], >, 1.0);
    } else {
      g_assert_cmpfloat (km_model_get_centers (m)[3 * d], ==, 1000.0f);
      g_assert_cmpuint (moved_total, ==, 0);
      g_assert_cmpuint (km_trainer_get_reassignments (t), ==, 0);
    }
    km_model_unref (m);
    km_trainer_free (t);
    g_free (x);
  }
}

/* §2.6: at most a tenth of k (at least one) is moved per check, the
 * smallest counts first, and only on checks 10·k points apart. */
static void
test_reassignment_rate (void)
{
  const guint k = 20, d = 2, B = 10;
  gfloat centers[20 * 2];
  KmConfig cfg = config (k, d, KM_INIT_GIVEN, 4);
  KmTrainer *t;
  guint j, s, checks = 0;

  /* Center 0 at the data, the 19 others far away and starved. */
  for (j = 0; j < k; j++) {
    centers[2 * j] = j == 0 ? 0.0f : 1000.0f * j;
    centers[2 * j + 1] = 0.0f;
  }
  cfg.reassignment_ratio = 0.5;
  cfg.initial_count = 1.0;
  t = kmt_trainer_new (&cfg);
  kmt_set_centers (t, centers);
  for (s = 0; s < 60; s++) {
    gfloat *x = gaussian (300 + s, B, d);
    KmStepInfo info;

    g_assert_cmpint (km_trainer_feed (t, x, B, &info, NULL), ==,
        KM_FEED_TRAINED);
    g_assert_cmpuint (info.reassigned, <=, 2);
    /* 10·k = 200 points: a check every 20 steps of 10. */
    if ((s + 1) % 20 != 0)
      g_assert_cmpuint (info.reassigned, ==, 0);
    else
      checks += info.reassigned > 0;
    g_free (x);
  }
  g_assert_cmpuint (checks, ==, 3);
  km_trainer_free (t);
}

/* Reassignment is off in full batch and with N > 1, and for rounds. */
static void
test_reassignment_modes (void)
{
  const gfloat centers[] = { 0, 0, 1000, 1000 };
  guint mode;

  for (mode = 0; mode < 2; mode++) {
    KmConfig cfg = config (2, 2, KM_INIT_GIVEN, 1);
    KmTrainer *t;
    guint s;

    cfg.reassignment_ratio = 0.5;
    cfg.mini_batch = mode == 1;
    cfg.steps_per_sync = mode == 1 ? 2 : 1;
    t = kmt_trainer_new (&cfg);
    kmt_set_centers (t, centers);
    for (s = 0; s < 10; s++) {
      gfloat *x = gaussian (s, 40, 2);

      kmt_feed (t, x, 40);
      g_free (x);
    }
    g_assert_cmpuint (km_trainer_get_reassignments (t), ==, 0);
    km_trainer_free (t);
  }
}

/* §5.3, §7.4: the step after a resume reports the relative change from
 * the saved previous loss (it was NaN in the element), and the points
 * trained on are restored. */
static void
test_resume_reports (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "r.ckpt", NULL);
  gfloat *x = gaussian (11, 40, 2);
  KmConfig cfg = config (3, 2, KM_INIT_KMEANS_PLUS_PLUS, 2);
  KmTrainer *a, *b;
  KmStepInfo info;
  GError *error = NULL;
  KmCheckpointInfo ck;

  cfg.relative_tolerance = 0.5;
  a = kmt_trainer_new (&cfg);
  g_assert_cmpint (km_trainer_feed (a, x, 40, &info, NULL), ==, KM_FEED_INIT);
  g_assert_true (isnan (info.relative_change));
  g_assert_cmpint (km_trainer_feed (a, x, 40, &info, NULL), ==,
      KM_FEED_TRAINED);
  /* The first step has no previous loss. */
  g_assert_true (isnan (info.relative_change));
  g_assert_true (km_trainer_save (a, path, &error));
  g_assert_no_error (error);
  g_assert_true (km_checkpoint_read_info (path, &ck, &error));
  g_assert_cmpuint (ck.points, ==, 40);
  g_assert_cmpuint (ck.format_version, ==, 2);

  b = kmt_trainer_new (&cfg);
  g_assert_true (km_trainer_load (b, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (km_trainer_get_points (b), ==, 40);
  /* The same batch again: the loss barely moves, the tolerance is met on
   * the first step after the resume, with a finite relative change. */
  g_assert_cmpint (km_trainer_feed (b, x, 40, &info, NULL), ==,
      KM_FEED_CONVERGED);
  g_assert_false (isnan (info.relative_change));
  g_assert_cmpfloat (info.relative_change, <, 0.5);
  g_assert_cmpuint (km_trainer_get_points (b), ==, 80);
  g_assert_cmpint (km_trainer_feed (a, x, 40, &info, NULL), ==,
      KM_FEED_CONVERGED);

  km_trainer_free (a);
  km_trainer_free (b);
  g_free (x);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* Out-of-range values are refused. */
static void
test_quality_validation (void)
{
  KmConfig cfg = config (2, 2, KM_INIT_RANDOM, 0);
  GError *error = NULL;

  cfg.reassignment_ratio = -0.1;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  cfg.reassignment_ratio = NAN;
  g_assert_false (km_config_validate (&cfg, &error));
  g_clear_error (&error);
  cfg.reassignment_ratio = 0.01;
  cfg.init_sampling = 7;
  g_assert_false (km_config_validate (&cfg, &error));
  g_clear_error (&error);
  cfg.init_sampling = KM_INIT_SAMPLING_WITHOUT_REPLACEMENT;
  cfg.d = 1 << 16;
  cfg.init_size = 1 << 13;
  g_assert_false (km_config_validate (&cfg, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

/* The sample's potential under a trainer's initial centers, in double
 * (an independent computation, not the core's assignment). */
static gdouble
potential_of (KmTrainer * t, const gfloat * x, gsize n, guint d)
{
  KmModel *m = km_trainer_get_model (t);
  const gfloat *c = km_model_get_centers (m);
  guint k = km_model_get_k (m), j, a;
  gdouble total = 0;
  gsize i;

  for (i = 0; i < n; i++) {
    gdouble best = G_MAXDOUBLE;

    for (j = 0; j < k; j++) {
      gdouble s = 0;

      for (a = 0; a < d; a++) {
        gdouble v = (gdouble) x[i * d + a] - c[(gsize) j * d + a];

        s += v * v;
      }
      best = MIN (best, s);
    }
    total += best;
  }
  km_model_unref (m);
  return total;
}

/* §3.7: T trials keep the rows of least potential; the first trial is the
 * single run, so T trials are never worse than one, and over seeds they
 * are better at least once; T = 1 is the single run bit for bit. */
static void
test_init_trials (gconstpointer data)
{
  KmInit init = GPOINTER_TO_INT (data);
  const guint k = 16, d = 2;
  const gsize n = 600;
  gfloat *x = gaussian (9, n, d);
  guint seed, better = 0;

  for (seed = 1; seed <= 12; seed++) {
    KmConfig one = config (k, d, init, seed), five = one, again = one;
    KmTrainer *t1, *t5, *t1b;
    gdouble p1, p5;

    five.init_trials = 5;
    again.init_trials = 1;
    t1 = kmt_trainer_new (&one);
    t5 = kmt_trainer_new (&five);
    t1b = kmt_trainer_new (&again);
    kmt_feed (t1, x, n);
    kmt_feed (t5, x, n);
    kmt_feed (t1b, x, n);
    assert_same_model (t1, t1b);
    p1 = potential_of (t1, x, n, d);
    p5 = potential_of (t5, x, n, d);
    g_assert_cmpfloat (p5, <=, p1 * (1 + 1e-6));
    better += p5 < p1 * (1 - 1e-6);
    km_trainer_free (t1);
    km_trainer_free (t5);
    km_trainer_free (t1b);
  }
  g_assert_cmpuint (better, >=, 1);
  g_free (x);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/quality/init-size/gathers/random",
      GINT_TO_POINTER (KM_INIT_RANDOM), test_init_size_gathers);
  g_test_add_data_func ("/quality/init-size/gathers/kmeans++",
      GINT_TO_POINTER (KM_INIT_KMEANS_PLUS_PLUS), test_init_size_gathers);
  g_test_add_func ("/quality/init-size/large-first-batch",
      test_init_size_large_first_batch);
  g_test_add_func ("/quality/init-size/flush", test_init_size_flush);
  g_test_add_func ("/quality/init/without-replacement",
      test_without_replacement);
  g_test_add_data_func ("/quality/reassignment/far-center/distance",
      GINT_TO_POINTER (KM_REASSIGN_SAMPLING_DISTANCE),
      test_reassignment_moves_far_center);
  g_test_add_data_func ("/quality/reassignment/far-center/uniform",
      GINT_TO_POINTER (KM_REASSIGN_SAMPLING_UNIFORM),
      test_reassignment_moves_far_center);
  g_test_add_func ("/quality/reassignment/rate", test_reassignment_rate);
  g_test_add_func ("/quality/reassignment/modes", test_reassignment_modes);
  g_test_add_func ("/quality/resume-reports", test_resume_reports);
  g_test_add_func ("/quality/validation", test_quality_validation);
  g_test_add_data_func ("/quality/init-trials/kmeans++",
      GINT_TO_POINTER (KM_INIT_KMEANS_PLUS_PLUS), test_init_trials);
  g_test_add_data_func ("/quality/init-trials/random",
      GINT_TO_POINTER (KM_INIT_RANDOM), test_init_trials);
  return g_test_run ();
}

/* TF's estimator tests (kmeans_test.py v2.4.0, docs/algorithm.md §8.9)
 * on the fixtures written by tests/data/make_fixtures.py.  TF's own RNG
 * cannot be reproduced, so the seed-dependent tests run over many seeds
 * and must pass for the vast majority; the RNG-free ones must pass
 * exactly. */
#include "kmtest.h"

/* The estimator's exact rules (docs/algorithm.md §1.4), set explicitly
 * although km_config_init() gives them too: the first batch is the init
 * sample, random init draws with replacement, initial weight 1, no
 * reassignment, 2 k-means++ retries. */
static void
tf_exact_config (KmConfig * cfg)
{
  km_config_init (cfg);
  cfg->init_size = 0;
  cfg->init_sampling = KM_INIT_SAMPLING_WITH_REPLACEMENT;
  cfg->initial_count = 1.0;
  cfg->reassignment_ratio = 0.0;
  cfg->kmeans_plus_plus_retries = 2;
  cfg->init_trials = 1;
}

#define A_TRUE_SCORE 792093.0
#define B_TRUE_SCORE 0.0027141571
#define B_KPP_TRUE_SCORE 0.0016202927

/* One variant class of the test file. */
typedef struct
{
  const gchar *name;
  gboolean mini_batch;
  guint steps_per_sync;
  gsize batch;                  /* 0: all points */
  gboolean randomize;           /* random indices in [0, n-1) */
  gdouble predict_rate;         /* share of seeds test_predict must pass */
} Variant;

/* TF's input_fn: the whole set, random indices (maxval exclusive, so the
 * last point is never drawn) or a FIFO cycling through the points. */
typedef struct
{
  const gfloat *points;
  gsize n;
  guint d;
  gsize batch;
  gboolean randomize;
  KmRng rng;
  gsize pos;
  gfloat *buf;
} Feeder;

static void
feeder_init (Feeder * f, const gfloat * points, gsize n, guint d,
    const Variant * v, guint64 seed)
{
  f->points = points;
  f->n = n;
  f->d = d;
  f->batch = v->batch == 0 ? n : v->batch;
  f->randomize = v->randomize;
  km_rng_seed (&f->rng, seed ^ G_GUINT64_CONSTANT (0x5eed));
  f->pos = 0;
  f->buf = g_new (gfloat, f->batch * d);
}

static const gfloat *
feeder_next (Feeder * f)
{
  gsize i;

  if (f->batch == f->n)
    return f->points;
  for (i = 0; i < f->batch; i++) {
    gsize j;

    if (f->randomize) {
      j = km_rng_uniform_int (&f->rng, f->n - 1);
    } else {
      j = f->pos;
      f->pos = (f->pos + 1) % f->n;
    }
    memcpy (f->buf + i * f->d, f->points + j * f->d, f->d * sizeof (gfloat));
  }
  return f->buf;
}

/* train(steps=s): the init hook consumes batches first, then s steps. */
static void
train (KmTrainer * t, Feeder * f, guint steps)
{
  guint s;

  while (!km_trainer_is_initialized (t))
    g_assert_cmpint (kmt_feed (t, feeder_next (f), f->batch), ==, KM_FEED_INIT);
  for (s = 0; s < steps; s++)
    kmt_feed (t, feeder_next (f), f->batch);
}

/* train(max_steps=m). */
static void
train_to (KmTrainer * t, Feeder * f, guint max_steps)
{
  guint64 step = km_trainer_get_step (t);

  train (t, f, max_steps > step ? max_steps - step : 0);
}

static gdouble
score (KmTrainer * t, const gfloat * x, gsize n)
{
  KmModel *m = km_trainer_get_model (t);
  gdouble s = km_model_assign (m, x, n, NULL, NULL, NULL);

  km_model_unref (m);
  return s;
}

/* Splits a fixture of rows "x y label" into points and labels. */
static gfloat *
load_labelled (const gchar * name, gsize * n, gint ** labels)
{
  guint rows, cols, i;
  gfloat *m = kmt_load_matrix (name, &rows, &cols);
  gfloat *x = g_new (gfloat, rows * 2);

  g_assert_cmpuint (cols, ==, 3);
  *labels = g_new (gint, rows);
  for (i = 0; i < rows; i++) {
    x[2 * i] = m[3 * i];
    x[2 * i + 1] = m[3 * i + 1];
    (*labels)[i] = (gint) m[3 * i + 2];
  }
  g_free (m);
  *n = rows;
  return x;
}

static void
require_majority (const gchar * what, guint passed, guint runs, gdouble rate)
{
  g_test_message ("%s: passed for %u of %u seeds", what, passed, runs);
  if (passed < rate * runs)
    g_error ("%s: passed for only %u of %u seeds (need %.0f%%)", what,
        passed, runs, rate * 100);
}

/* ------------------------------------------------------ data set A */

static const Variant a_variants[] = {
  {"full-batch", FALSE, 1, 0, FALSE, 0.9},
  {"mini-batch", TRUE, 1, 50, TRUE, 0.9},
  {"full-batch-async", TRUE, 20, 50, FALSE, 0.9},
};

#define A_SEEDS 50

typedef struct
{
  gfloat *points;
  gint *labels;
  gsize n;
  gfloat *true_centers;
} DataA;

static DataA data_a;

static void
load_data_a (void)
{
  guint k, d;

  data_a.points = load_labelled ("tf_a_points.txt", &data_a.n, &data_a.labels);
  data_a.true_centers = kmt_load_matrix ("tf_a_centers.txt", &k, &d);
  g_assert_cmpuint (data_a.n, ==, 1000);
  g_assert_cmpuint (k, ==, 5);
  g_assert_cmpuint (d, ==, 2);
}

static KmTrainer *
a_trainer (const Variant * v, guint64 seed)
{
  KmConfig cfg;

  tf_exact_config (&cfg);
  cfg.k = 5;
  cfg.d = 2;
  cfg.init = KM_INIT_KMEANS_PLUS_PLUS;
  cfg.mini_batch = v->mini_batch;
  cfg.steps_per_sync = v->steps_per_sync;
  cfg.seed = seed;
  return kmt_trainer_new (&cfg);
}

/* The fixture is the recipe's: true_score = sum of squared offsets. */
static void
test_a_fixture (void)
{
  gdouble s = 0.0;
  gsize i;

  for (i = 0; i < data_a.n; i++)
    s += kmt_sqdist (data_a.points + 2 * i,
        data_a.true_centers + 2 * data_a.labels[i], 2);
  g_assert_cmpfloat (s, ==, A_TRUE_SCORE);
  g_assert_cmpfloat (data_a.points[0], ==, -12);
  g_assert_cmpfloat (data_a.points[1], ==, 242);
  g_assert_cmpint (data_a.labels[0], ==, 4);
}

/* test_clusters: train(steps=1) gives a 5 x 2 model. */
static void
test_a_clusters (gconstpointer data)
{
  const Variant *v = data;
  KmTrainer *t = a_trainer (v, 24);
  Feeder f;
  KmModel *m;

  feeder_init (&f, data_a.points, data_a.n, 2, v, 24);
  train (t, &f, 1);
  g_assert_cmpuint (km_trainer_get_step (t), ==, 1);
  m = km_trainer_get_model (t);
  g_assert_cmpuint (km_model_get_k (m), ==, 5);
  g_assert_cmpuint (km_model_get_d (m), ==, 2);
  km_model_unref (m);
  g_free (f.buf);
  km_trainer_free (t);
}

/* test_fit: score falls, and ends within 5% of the true score. */
static void
test_a_fit (gconstpointer data)
{
  const Variant *v = data;
  guint seed, passed = 0;
  gsize batch = v->batch ? v->batch : data_a.n;

  for (seed = 0; seed < A_SEEDS; seed++) {
    KmTrainer *t = a_trainer (v, seed);
    Feeder f;
    gdouble s1, s2;

    feeder_init (&f, data_a.points, data_a.n, 2, v, seed);
    train (t, &f, 1);
    s1 = score (t, data_a.points, data_a.n);
    train (t, &f, 10 * data_a.n / batch);
    s2 = score (t, data_a.points, data_a.n);
    if (s1 > s2 && fabs (s2 - A_TRUE_SCORE) <= 0.05 * A_TRUE_SCORE)
      passed++;
    g_free (f.buf);
    km_trainer_free (t);
  }
  require_majority ("test_fit", passed, A_SEEDS, 0.8);
}

/* test_monitor (full batch): relative_tolerance 1e-4 stops training
 * within 1% of the true score. */
static void
test_a_monitor (void)
{
  guint seed, passed = 0;

  for (seed = 0; seed < A_SEEDS; seed++) {
    KmConfig cfg;
    KmTrainer *t;
    guint steps = 0;

    tf_exact_config (&cfg);
    cfg.k = 5;
    cfg.d = 2;
    cfg.init = KM_INIT_KMEANS_PLUS_PLUS;
    cfg.mini_batch = FALSE;
    cfg.relative_tolerance = 1e-4;
    cfg.seed = seed;
    t = kmt_trainer_new (&cfg);
    g_assert_cmpint (kmt_feed (t, data_a.points, data_a.n), ==, KM_FEED_INIT);
    while (kmt_feed (t, data_a.points, data_a.n) != KM_FEED_CONVERGED)
      g_assert_cmpuint (++steps, <, 1000);
    g_assert_true (km_trainer_is_converged (t));
    g_assert_cmpint (kmt_feed (t, data_a.points, data_a.n), ==,
        KM_FEED_SKIPPED);
    if (fabs (score (t, data_a.points, data_a.n) - A_TRUE_SCORE) <=
        0.01 * A_TRUE_SCORE)
      passed++;
    km_trainer_free (t);
  }
  require_majority ("test_monitor", passed, A_SEEDS, 0.9);
}

/* test_infer: after one step, new points around the learned centers are
 * predicted exactly, scored within 1%, and transformed (Euclidean,
 * square-rooted here like TF's transform()) within rtol 0.05, atol 10. */
static void
test_a_infer (gconstpointer data)
{
  const Variant *v = data;
  guint rows, cols, seed, passed = 0;
  gfloat *infer = kmt_load_matrix ("tf_a_infer.txt", &rows, &cols);

  g_assert_cmpuint (rows, ==, 11);
  g_assert_cmpuint (cols, ==, 3);
  for (seed = 0; seed < A_SEEDS; seed++) {
    KmTrainer *t = a_trainer (v, seed);
    KmModel *m;
    Feeder f;
    const gfloat *c;
    gboolean ok = TRUE;
    guint part;

    feeder_init (&f, data_a.points, data_a.n, 2, v, seed);
    train_to (t, &f, 1);
    m = km_trainer_get_model (t);
    c = km_model_get_centers (m);
    for (part = 0; part < 2; part++) {
      const guint first = part == 0 ? 0 : 10, n = part == 0 ? 10 : 1;
      gfloat p[20], dist[20], all[100];
      gint32 idx[10];
      gdouble off = 0.0, s;
      guint i, j;

      for (i = 0; i < n; i++) {
        const gfloat *r = infer + 3 * (first + i);
        guint a = (guint) r[0];

        p[2 * i] = c[2 * a] + r[1];
        p[2 * i + 1] = c[2 * a + 1] + r[2];
        off += (gdouble) r[1] * r[1] + (gdouble) r[2] * r[2];
      }
      s = km_model_assign (m, p, n, idx, dist, NULL);
      for (i = 0; i < n; i++)
        ok &= idx[i] == (gint32) infer[3 * (first + i)];
      ok &= fabs (s - off) <= 0.01 * s;
      km_model_distances (m, p, n, all, NULL);
      for (i = 0; i < n; i++)
        for (j = 0; j < 5; j++) {
          gdouble ref = sqrt (MAX (0.0, kmt_sqdist (p + 2 * i, c + 2 * j,
                      2)));

          /* Self-consistency: must hold for every seed. */
          kmt_assert_close (sqrt (all[i * 5 + j]), ref, 10, 0.05);
        }
    }
    passed += ok;
    km_model_unref (m);
    g_free (f.buf);
    km_trainer_free (t);
  }
  g_free (infer);
  require_majority ("test_infer", passed, A_SEEDS, v->predict_rate);
}

/* ------------------------------------------------------ data set B */

/* Random init on 8 points draws a duplicate center 1 time in 8 (then an
 * empty cluster), so full batch fails some seeds.  In mini-batch N = 1
 * the centers are running means over 40 random pairs, including the
 * initial center and never point 7: TF's atol 1e-2 on centers[predict]
 * holds only for lucky seeds (an independent numpy emulation of §2.2
 * passes 42% of seeds), hence the low rate for that variant. */
static const Variant b_variants[] = {
  {"full-batch", FALSE, 1, 0, FALSE, 0.75},
  {"mini-batch", TRUE, 1, 2, TRUE, 0.3},
  {"full-batch-async", TRUE, 4, 2, FALSE, 0.9},
};

#define B_SEEDS 100

typedef struct
{
  gfloat *points;
  gint *labels;
  gsize n;
  gfloat *true_centers;
  guint k;
} DataB;

static DataB data_b, data_b_kpp;

static void
load_data_b (DataB * b, const gchar * points, const gchar * centers)
{
  guint d;

  b->points = load_labelled (points, &b->n, &b->labels);
  b->true_centers = kmt_load_matrix (centers, &b->k, &d);
  g_assert_cmpuint (d, ==, 2);
}

static KmTrainer *
b_trainer (const Variant * v, guint k, KmInit init, guint64 seed)
{
  KmConfig cfg;

  tf_exact_config (&cfg);
  cfg.k = k;
  cfg.d = 2;
  cfg.metric = KM_METRIC_COSINE;
  cfg.init = init;
  cfg.mini_batch = v->mini_batch;
  cfg.steps_per_sync = v->steps_per_sync;
  cfg.seed = seed;
  return kmt_trainer_new (&cfg);
}

/* Normalised centers sorted by column 0 (k <= 3). */
static void
sorted_unit_centers (const gfloat * c, guint k, gfloat * out)
{
  guint i, j;

  km_normalize_rows (c, out, k, 2);
  for (i = 0; i < k; i++)
    for (j = i + 1; j < k; j++)
      if (out[2 * j] < out[2 * i]) {
        gfloat x = out[2 * i], y = out[2 * i + 1];

        out[2 * i] = out[2 * j];
        out[2 * i + 1] = out[2 * j + 1];
        out[2 * j] = x;
        out[2 * j + 1] = y;
      }
}

static gboolean
all_close (const gfloat * a, const gfloat * b, gsize n, gdouble atol)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (!kmt_close (a[i], b[i], atol, 1e-6))
      return FALSE;
  return TRUE;
}

/* test_fit / test_predict share the training; checks of test_predict
 * include those of test_fit. */
static gboolean
b_fit_and_predict (const DataB * b, KmTrainer * t, gboolean predict,
    gdouble true_score)
{
  KmModel *m = km_trainer_get_model (t);
  const guint k = b->k;
  gfloat sorted[6], true_sorted[6], unit[6];
  gint32 idx[12];
  gdouble s;
  gboolean ok;
  guint i;

  sorted_unit_centers (km_model_get_centers (m), k, sorted);
  sorted_unit_centers (b->true_centers, k, true_sorted);
  ok = all_close (sorted, true_sorted, 2 * k, predict && k == 3 ? 1e-2 : 0.04);
  if (predict) {
    km_normalize_rows (km_model_get_centers (m), unit, k, 2);
    s = km_model_assign (m, b->points, b->n, idx, NULL, NULL);
    for (i = 0; i < b->n; i++)
      ok &= all_close (unit + 2 * idx[i], b->true_centers + 2 * b->labels[i],
          2, 1e-2);
    ok &= fabs (s - true_score) <= 1e-2;
  }
  km_model_unref (m);
  return ok;
}

static void
test_b_fit_predict (gconstpointer data)
{
  const Variant *v = data;
  gsize batch = v->batch ? v->batch : data_b.n;
  guint seed, fit = 0, predict = 0;

  for (seed = 0; seed < B_SEEDS; seed++) {
    KmTrainer *t = b_trainer (v, 2, KM_INIT_RANDOM, seed);
    Feeder f;

    feeder_init (&f, data_b.points, data_b.n, 2, v, seed);
    train_to (t, &f, 10 * data_b.n / batch);
    fit += b_fit_and_predict (&data_b, t, FALSE, B_TRUE_SCORE);
    predict += b_fit_and_predict (&data_b, t, TRUE, B_TRUE_SCORE);
    g_free (f.buf);
    km_trainer_free (t);
  }
  require_majority ("test_fit", fit, B_SEEDS, 0.75);
  require_majority ("test_predict", predict, B_SEEDS, v->predict_rate);
}

/* test_transform: all distances are 1 - x^.c^ (RNG-free check). */
static void
test_b_transform (gconstpointer data)
{
  const Variant *v = data;
  guint seed, i, j, u;

  for (seed = 0; seed < 10; seed++) {
    KmTrainer *t = b_trainer (v, 2, KM_INIT_RANDOM, seed);
    KmModel *m;
    gfloat all[16], px[16], cx[4];
    Feeder f;

    feeder_init (&f, data_b.points, data_b.n, 2, v, seed);
    train (t, &f, 10);
    m = km_trainer_get_model (t);
    km_model_distances (m, data_b.points, 8, all, NULL);
    km_normalize_rows (data_b.points, px, 8, 2);
    km_normalize_rows (km_model_get_centers (m), cx, 2, 2);
    for (i = 0; i < 8; i++)
      for (j = 0; j < 2; j++) {
        gdouble dot = 0.0;

        for (u = 0; u < 2; u++)
          dot += (gdouble) px[2 * i + u] * cx[2 * j + u];
        kmt_assert_close (all[2 * i + j], 1 - dot, 1e-3, 1e-6);
      }
    km_model_unref (m);
    g_free (f.buf);
    km_trainer_free (t);
  }
}

/* test_predict_kmeans_plus_plus: 12 points given whole every step. */
static void
test_b_predict_kpp (gconstpointer data)
{
  const Variant *v = data;
  Variant whole = *v;
  guint seed, passed = 0;

  whole.batch = 0;
  for (seed = 0; seed < B_SEEDS; seed++) {
    KmTrainer *t = b_trainer (&whole, 3, KM_INIT_KMEANS_PLUS_PLUS, seed);
    Feeder f;

    feeder_init (&f, data_b_kpp.points, data_b_kpp.n, 2, &whole, seed);
    train (t, &f, 30);
    passed += b_fit_and_predict (&data_b_kpp, t, TRUE, B_KPP_TRUE_SCORE);
    g_free (f.buf);
    km_trainer_free (t);
  }
  require_majority ("test_predict_kmeans_plus_plus", passed, B_SEEDS, 0.9);
}

/* ---------------------------------------------- multi-stage init [exact] */

static const gfloat five_points[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 };

static KmTrainer *
multi_stage_trainer (guint k, KmInit init)
{
  KmConfig cfg;

  tf_exact_config (&cfg);
  cfg.k = k;
  cfg.d = 2;
  cfg.init = init;
  cfg.mini_batch = TRUE;
  cfg.steps_per_sync = 100;
  cfg.seed = 24;
  return kmt_trainer_new (&cfg);
}

/* test_random: batches of 1 fill the centers in order; the training step
 * touches only the working copy (no sync before step 101). */
static void
test_multi_stage_random (void)
{
  KmTrainer *t = multi_stage_trainer (5, KM_INIT_RANDOM);
  const Variant v = { "seq", TRUE, 100, 1, FALSE, 1.0 };
  Feeder f;
  KmModel *m;

  feeder_init (&f, five_points, 5, 2, &v, 0);
  train (t, &f, 1);
  m = km_trainer_get_model (t);
  g_assert_cmpmem (km_model_get_centers (m), sizeof (five_points),
      five_points, sizeof (five_points));
  km_model_unref (m);
  g_free (f.buf);
  km_trainer_free (t);
}

static void
test_multi_stage_kpp_just_right (void)
{
  KmTrainer *t = multi_stage_trainer (1, KM_INIT_KMEANS_PLUS_PLUS);
  const gfloat p[] = { 1, 2 };
  KmModel *m;

  g_assert_cmpint (kmt_feed (t, p, 1), ==, KM_FEED_INIT);
  kmt_feed (t, p, 1);
  m = km_trainer_get_model (t);
  g_assert_cmpmem (km_model_get_centers (m), sizeof (p), p, sizeof (p));
  km_model_unref (m);
  km_trainer_free (t);
}

static void
test_multi_stage_kpp_too_small (void)
{
  KmTrainer *t = multi_stage_trainer (5, KM_INIT_KMEANS_PLUS_PLUS);
  GError *error = NULL;

  g_assert_cmpint (km_trainer_feed (t, five_points, 4, NULL, &error), ==,
      KM_FEED_ERROR);
  g_assert_error (error, KM_ERROR, KM_ERROR_BATCH_TOO_SMALL);
  g_clear_error (&error);
  km_trainer_free (t);
}

/* KMeansTestQueues: all-zero data, all defaults; one step, no hang. */
static void
test_queues (void)
{
  KmConfig cfg;
  KmTrainer *t;
  gfloat zeros[30] = { 0 };
  KmModel *m;
  guint i;

  tf_exact_config (&cfg);
  cfg.k = 5;
  cfg.d = 3;
  t = kmt_trainer_new (&cfg);
  g_assert_cmpint (kmt_feed (t, zeros, 10), ==, KM_FEED_INIT);
  g_assert_cmpint (kmt_feed (t, zeros, 10), ==, KM_FEED_TRAINED);
  m = km_trainer_get_model (t);
  for (i = 0; i < 15; i++)
    g_assert_cmpfloat (km_model_get_centers (m)[i], ==, 0.0f);
  km_model_unref (m);
  km_trainer_free (t);
}

static void
add_variant_tests (const gchar * set, const Variant * variants,
    const gchar * test, GTestDataFunc func)
{
  guint i;

  for (i = 0; i < 3; i++) {
    gchar *path = g_strdup_printf ("/tf-estimator/%s/%s/%s", set,
        variants[i].name, test);

    g_test_add_data_func (path, &variants[i], func);
    g_free (path);
  }
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  load_data_a ();
  load_data_b (&data_b, "tf_b_points.txt", "tf_b_centers.txt");
  load_data_b (&data_b_kpp, "tf_b_kpp_points.txt", "tf_b_kpp_centers.txt");

  g_test_add_func ("/tf-estimator/a/fixture", test_a_fixture);
  add_variant_tests ("a", a_variants, "clusters", test_a_clusters);
  add_variant_tests ("a", a_variants, "fit", test_a_fit);
  add_variant_tests ("a", a_variants, "infer", test_a_infer);
  g_test_add_func ("/tf-estimator/a/full-batch/monitor", test_a_monitor);
  add_variant_tests ("b", b_variants, "fit-predict", test_b_fit_predict);
  add_variant_tests ("b", b_variants, "transform", test_b_transform);
  add_variant_tests ("b", b_variants, "predict-kmeans++", test_b_predict_kpp);
  g_test_add_func ("/tf-estimator/multi-stage/random", test_multi_stage_random);
  g_test_add_func ("/tf-estimator/multi-stage/kmeans++-just-right",
      test_multi_stage_kpp_just_right);
  g_test_add_func ("/tf-estimator/multi-stage/kmeans++-too-small",
      test_multi_stage_kpp_too_small);
  g_test_add_func ("/tf-estimator/queues", test_queues);

  ret = g_test_run ();
  g_free (data_a.points);
  g_free (data_a.labels);
  g_free (data_a.true_centers);
  g_free (data_b.points);
  g_free (data_b.labels);
  g_free (data_b.true_centers);
  g_free (data_b_kpp.points);
  g_free (data_b_kpp.labels);
  g_free (data_b_kpp.true_centers);
  return ret;
}

/* The statistics of distributed rounds (docs/algorithm.md §10,
 * schemas/stats.md): W = 3 workers on disjoint shards, merged and applied
 * to a hub trainer, against one trainer fed the concatenation of their
 * batches, in every mode; the algebra of merging; refusals; the bytes. */
#include <float.h>

#include "kmtest.h"

#define NUM_WORKERS 3
#define NUM_ROUNDS 8
#define K 5
#define TRUE_CENTERS 3          /* fewer than K: some centers starve */
#define HUB_ID 1000
#define U32 (1.0 / (1 << 23))   /* a float32 ulp relative to magnitude */

typedef enum
{
  DATA_GRID,                    /* multiples of 1/64: double sums are exact */
  DATA_GAUSSIAN                 /* arbitrary floats */
} DataKind;

typedef struct
{
  const gchar *name;
  gboolean mini_batch;
  guint n;                      /* steps_per_sync */
  gdouble decay;
  KmTimeUnit unit;
  KmMetric metric;
  DataKind data;
  guint batches_per_round;      /* per worker; N when n > 1 */
} Mode;

/* Points around TRUE_CENTERS centers, from the test's own generator. */
typedef struct
{
  KmRng rng;
  DataKind kind;
  guint d;
  gfloat centers[TRUE_CENTERS * 16];
  gdouble max_abs;              /* largest |coordinate| handed out */
} Source;

static gfloat
grid_value (KmRng * rng, gint lo, gint hi)
{
  return (gfloat) (lo + (gint) km_rng_uniform_int (rng, hi - lo + 1));
}

static void
source_init (Source * src, DataKind kind, guint d, guint64 seed)
{
  guint i;

  g_assert_cmpuint (d, <=, 16);
  km_rng_seed (&src->rng, seed);
  src->kind = kind;
  src->d = d;
  src->max_abs = 0.0;
  for (i = 0; i < TRUE_CENTERS * d; i++)
    src->centers[i] = kind == DATA_GRID ? grid_value (&src->rng, -20, 20)
        : (gfloat) (10.0 * km_rng_gaussian (&src->rng));
}

static gfloat *
source_points (Source * src, gsize n)
{
  gfloat *x = g_new (gfloat, n * src->d);
  gsize i;
  guint t;

  for (i = 0; i < n; i++) {
    guint c = km_rng_uniform_int (&src->rng, TRUE_CENTERS);

    for (t = 0; t < src->d; t++) {
      gfloat *v = x + i * src->d + t;

      if (src->kind == DATA_GRID)
        *v = src->centers[c * src->d + t]
            + grid_value (&src->rng, -128, 128) / 64.0f;
      else
        *v = (gfloat) (src->centers[c * src->d + t]
            + km_rng_gaussian (&src->rng));
      src->max_abs = MAX (src->max_abs, fabs (*v));
    }
  }
  return x;
}

static KmConfig
mode_config (const Mode * mode, guint d)
{
  KmConfig cfg;

  km_config_init (&cfg);
  cfg.k = K;
  cfg.d = d;
  cfg.metric = mode->metric;
  cfg.init = KM_INIT_GIVEN;
  cfg.mini_batch = mode->mini_batch;
  cfg.steps_per_sync = mode->n;
  cfg.decay_factor = mode->decay;
  cfg.time_unit = mode->unit;
  return cfg;
}

/* A worker's statistics cross a process boundary: serialised and loaded
 * back, as the hub would receive them. */
static KmStats *
over_the_wire (const KmStats * stats)
{
  GError *error = NULL;
  gsize len;
  guint8 *bytes = km_stats_serialize (stats, &len);
  KmStats *back = km_stats_deserialize (bytes, len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_free (bytes);
  return back;
}

/* How many float32 roundings apart the hub and the single trainer may be
 * after @round rounds (docs/algorithm.md §10.3): merged sums equal the
 * trainer's to double rounding, so each float32 result is at most one
 * rounding away per operation that rounds to float32, and the running
 * mean carries an earlier difference with a weight below 1. */
static gdouble
allowed_roundings (const Mode * mode, guint d, guint round)
{
  if (mode->data == DATA_GRID && mode->metric != KM_METRIC_COSINE
      && mode->n == 1)
    return 0.0;                 /* exact sums: bit for bit */
  if (!mode->mini_batch)        /* fresh each round; + the normalisation */
    return mode->metric == KM_METRIC_COSINE ? 3.0 + sqrt (d) : 1.0;
  if (mode->n > 1)              /* the trainer's chain of N running means */
    return mode->n + 1.0;
  return 2.0 * round;           /* the update and a split, per round */
}

/* Largest difference of @n floats in float32 roundings of @scale. */
static gdouble
max_roundings (const gfloat * a, const gfloat * b, gsize n, gdouble scale)
{
  gdouble worst = 0.0;
  gsize i;

  for (i = 0; i < n; i++)
    worst = MAX (worst, fabs ((gdouble) a[i] - b[i]) / (U32 * scale));
  return worst;
}

static void
assert_counts_equal (const gdouble * a, const gdouble * b, guint k)
{
  guint j;

  for (j = 0; j < k; j++)
    if (memcmp (&a[j], &b[j], sizeof (gdouble)) != 0)
      g_error ("count %u: %.17g (hub) != %.17g (one trainer)", j, a[j], b[j]);
}

/* One round of @src's points: each worker accumulates its batches
 * against @model (through the wire); the single trainer @one is fed, per
 * step, the concatenation of the workers' batches of that step (N > 1),
 * or once the concatenation of the whole round.  Returns the merged
 * statistics. */
static KmStats *
play_round (const Mode * mode, Source * src, KmModel * model, KmTrainer * one,
    guint64 round)
{
  const guint d = src->d;
  GArray *round_points = g_array_new (FALSE, FALSE, sizeof (gfloat));
  KmStats *workers[NUM_WORKERS], *merged;
  GError *error = NULL;
  guint w, b;

  for (w = 0; w < NUM_WORKERS; w++)
    workers[w] = km_stats_new_for_model (model, w, round);
  for (b = 0; b < mode->batches_per_round; b++) {
    GArray *step_points = g_array_new (FALSE, FALSE, sizeof (gfloat));

    for (w = 0; w < NUM_WORKERS; w++) {
      gsize n = 3 + km_rng_uniform_int (&src->rng, 20);
      gfloat *x = source_points (src, n);

      g_assert_true (km_stats_accumulate (workers[w], model, x, n, &error));
      g_assert_no_error (error);
      g_array_append_vals (step_points, x, n * d);
      g_array_append_vals (round_points, x, n * d);
      g_free (x);
    }
    if (mode->n > 1)
      g_assert_cmpint (kmt_feed (one, (gfloat *) step_points->data,
              step_points->len / d), ==, KM_FEED_TRAINED);
    g_array_unref (step_points);
  }
  if (mode->n == 1)
    g_assert_cmpint (kmt_feed (one, (gfloat *) round_points->data,
            round_points->len / d), ==, KM_FEED_TRAINED);

  merged = km_stats_new_for_model (model, HUB_ID, round);
  for (w = 0; w < NUM_WORKERS; w++) {
    KmStats *received = over_the_wire (workers[w]);

    g_assert_true (km_stats_merge (merged, received, &error));
    g_assert_no_error (error);
    km_stats_free (received);
    km_stats_free (workers[w]);
  }
  g_assert_cmpuint (km_stats_get_points (merged), ==, round_points->len / d);
  g_assert_cmpuint (km_stats_get_batches (merged), ==,
      NUM_WORKERS * mode->batches_per_round);
  g_array_unref (round_points);
  return merged;
}

/* Runs NUM_ROUNDS rounds of @mode both ways and compares them after each
 * round; returns the largest difference seen, in roundings. */
static gdouble
run_mode (const Mode * mode, guint d, guint64 seed)
{
  KmConfig cfg = mode_config (mode, d);
  KmTrainer *hub = kmt_trainer_new (&cfg), *one = kmt_trainer_new (&cfg);
  const gsize kd = (gsize) K * d;
  GError *error = NULL;
  gdouble worst = 0.0;
  Source src;
  gfloat *init;
  guint r, i;

  source_init (&src, mode->data, d, seed);
  init = source_points (&src, K);
  if (mode->metric == KM_METRIC_SQUARED_EUCLIDEAN) {
    /* A center far from the data starves: empty clusters, and with
     * forgetting the dying-cluster split (§6.3). */
    for (i = 0; i < d; i++)
      init[(K - 1) * d + i] = 100.0f;
    src.max_abs = MAX (src.max_abs, 100.0);
  }
  kmt_set_centers (hub, init);
  kmt_set_centers (one, init);
  g_free (init);

  for (r = 1; r <= NUM_ROUNDS; r++) {
    KmModel *model = km_trainer_get_model (hub);
    KmStats *merged = play_round (mode, &src, model, one, r);
    KmStepInfo info;
    gdouble scale, diff, allowed = allowed_roundings (mode, d, r);
    KmFeedResult res;

    res = km_trainer_apply_stats (hub, merged, 0, &info, &error);
    g_assert_no_error (error);
    g_assert_cmpint (res, ==, KM_FEED_TRAINED);
    g_assert_cmpuint (info.step, ==, one->step);
    g_assert_cmpuint (info.num_points, ==, km_stats_get_points (merged));

    scale = mode->metric == KM_METRIC_COSINE ? 1.0 : src.max_abs;
    if (mode->n > 1) {
      /* The hub synced at once; the trainer syncs before its next step:
       * its working copy is the hub's new master before normalisation. */
      g_assert_cmpuint (hub->version, ==, r + 1);
      g_assert_cmpuint (one->version, ==, r);
      assert_counts_equal (hub->master_counts, one->counts, K);
      diff = max_roundings (hub->working, one->working, kd, scale);
    } else {
      g_assert_cmpuint (hub->version, ==, one->version);
      assert_counts_equal (hub->counts, one->counts, K);
      diff = max_roundings (hub->master, one->master, kd, scale);
    }
    if (diff > allowed)
      g_error ("%s, d=%u, seed %" G_GUINT64_FORMAT ", round %u: centers "
          "%.3g roundings apart, at most %.3g allowed", mode->name, d, seed,
          r, diff, allowed);
    worst = MAX (worst, diff);
    km_stats_free (merged);
    km_model_unref (model);
  }
  km_trainer_free (hub);
  km_trainer_free (one);
  return worst;
}

static void
test_sharded_equals_one (gconstpointer data)
{
  const Mode *mode = data;
  static const guint dims[] = { 2, 5, 11 };     /* every accumulation path */
  gdouble worst = 0.0;
  guint i;
  guint64 seed;

  for (i = 0; i < G_N_ELEMENTS (dims); i++)
    for (seed = 0; seed < 4; seed++)
      worst = MAX (worst, run_mode (mode, dims[i], seed));
  g_test_message ("%s: largest difference %.3g float32 roundings",
      mode->name, worst);
}

static const Mode modes[] = {
  {"n1", TRUE, 1, 1.0, KM_TIME_UNIT_BATCHES, KM_METRIC_SQUARED_EUCLIDEAN,
      DATA_GAUSSIAN, 2},
  {"n1-grid", TRUE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GRID, 2},
  {"n3", TRUE, 3, 1.0, KM_TIME_UNIT_BATCHES, KM_METRIC_SQUARED_EUCLIDEAN,
      DATA_GAUSSIAN, 3},
  {"n3-grid", TRUE, 3, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GRID, 3},
  {"full-batch", FALSE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GAUSSIAN, 2},
  {"full-batch-grid", FALSE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GRID, 2},
  {"decay-batches", TRUE, 1, 0.01, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GAUSSIAN, 2},
  {"decay-batches-grid", TRUE, 1, 0.01, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GRID, 2},
  {"decay-points", TRUE, 1, 0.7, KM_TIME_UNIT_POINTS,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GAUSSIAN, 2},
  {"decay-points-grid", TRUE, 1, 0.7, KM_TIME_UNIT_POINTS,
      KM_METRIC_SQUARED_EUCLIDEAN, DATA_GRID, 2},
  {"cosine-n1", TRUE, 1, 1.0, KM_TIME_UNIT_BATCHES, KM_METRIC_COSINE,
      DATA_GAUSSIAN, 2},
  {"cosine-n3", TRUE, 3, 1.0, KM_TIME_UNIT_BATCHES, KM_METRIC_COSINE,
      DATA_GAUSSIAN, 3},
  {"cosine-full-batch", FALSE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_COSINE, DATA_GAUSSIAN, 2},
  {"cosine-decay-points", TRUE, 1, 0.7, KM_TIME_UNIT_POINTS,
      KM_METRIC_COSINE, DATA_GAUSSIAN, 2},
};

/* One worker with several batches sums in the order of one trainer fed
 * their concatenation (the accumulation continues), so it is that trainer
 * bit for bit, on any floats, in N = 1 and full batch, both metrics. */
static void
test_one_worker_bit_exact (void)
{
  static const Mode one_worker[] = {
    {"n1", TRUE, 1, 1.0, KM_TIME_UNIT_BATCHES, KM_METRIC_SQUARED_EUCLIDEAN,
        DATA_GAUSSIAN, 3},
    {"full", FALSE, 1, 1.0, KM_TIME_UNIT_BATCHES,
        KM_METRIC_SQUARED_EUCLIDEAN, DATA_GAUSSIAN, 3},
    {"decay", TRUE, 1, 0.7, KM_TIME_UNIT_POINTS, KM_METRIC_COSINE,
        DATA_GAUSSIAN, 3},
  };
  static const guint dims[] = { 2, 5, 11 };
  guint m, i, r, b;

  for (m = 0; m < G_N_ELEMENTS (one_worker); m++) {
    for (i = 0; i < G_N_ELEMENTS (dims); i++) {
      const guint d = dims[i];
      KmConfig cfg = mode_config (&one_worker[m], d);
      KmTrainer *hub = kmt_trainer_new (&cfg), *one = kmt_trainer_new (&cfg);
      Source src;
      gfloat *init;

      source_init (&src, DATA_GAUSSIAN, d, 7 + i);
      init = source_points (&src, K);
      kmt_set_centers (hub, init);
      kmt_set_centers (one, init);
      g_free (init);
      for (r = 1; r <= NUM_ROUNDS; r++) {
        KmModel *model = km_trainer_get_model (hub);
        KmStats *stats = km_stats_new_for_model (model, 0, r);
        GArray *all = g_array_new (FALSE, FALSE, sizeof (gfloat));
        GError *error = NULL;

        for (b = 0; b < one_worker[m].batches_per_round; b++) {
          gsize n = 1 + km_rng_uniform_int (&src.rng, 40);
          gfloat *x = source_points (&src, n);

          g_assert_true (km_stats_accumulate (stats, model, x, n, &error));
          g_array_append_vals (all, x, n * d);
          g_free (x);
        }
        kmt_feed (one, (gfloat *) all->data, all->len / d);
        g_assert_cmpint (km_trainer_apply_stats (hub, stats, 0, NULL,
                &error), ==, KM_FEED_TRAINED);
        g_assert_no_error (error);
        g_assert_cmpmem (hub->master, K * d * sizeof (gfloat), one->master,
            K * d * sizeof (gfloat));
        assert_counts_equal (hub->counts, one->counts, K);
        g_assert_cmpuint (hub->version, ==, one->version);
        g_assert_cmpuint (hub->step, ==, one->step);
        g_array_unref (all);
        km_stats_free (stats);
        km_model_unref (model);
      }
      km_trainer_free (hub);
      km_trainer_free (one);
    }
  }
}

/* Statistics of three shards of @kind against one model. */
static void
three_shards (DataKind kind, KmMetric metric, KmStats ** out, guint64 seed)
{
  const guint d = 5;
  Source src;
  gfloat *c;
  KmModel *model;
  guint w;

  source_init (&src, kind, d, seed);
  c = source_points (&src, K);
  model = km_model_new (K, d, metric, c, 3, NULL);
  for (w = 0; w < 3; w++) {
    gsize n = 50 + 10 * w;
    gfloat *x = source_points (&src, n);

    out[w] = km_stats_new_for_model (model, w, 1);
    g_assert_true (km_stats_accumulate (out[w], model, x, n, NULL));
    g_free (x);
  }
  km_model_unref (model);
  g_free (c);
}

/* The merge of @s in the order @order, into an empty hub's statistics. */
static KmStats *
merge_in_order (KmStats ** s, const guint * order)
{
  KmStats *m = km_stats_new (km_stats_get_k (s[0]), km_stats_get_d (s[0]),
      km_stats_get_metric (s[0]), km_stats_get_model_version (s[0]), HUB_ID,
      1, NULL);
  guint i;

  for (i = 0; i < 3; i++)
    g_assert_true (km_stats_merge (m, s[order[i]], NULL));
  return m;
}

static void
assert_stats_identical (const KmStats * a, const KmStats * b)
{
  gsize la, lb;
  guint8 *ba = km_stats_serialize (a, &la), *bb = km_stats_serialize (b, &lb);

  g_assert_cmpmem (ba, la, bb, lb);
  g_free (ba);
  g_free (bb);
}

/* What holds exactly (§10.3): a + b == b + a in IEEE arithmetic, so two
 * merge orders that differ by swapping operands agree bit for bit; the
 * counts, points and batches are whole numbers below 2^53, exact in any
 * order; sums of points on a common grid are exact, so there every order
 * agrees.  On arbitrary floats the grouping changes the sums by double
 * roundings only. */
static void
test_merge_algebra (void)
{
  static const guint orders[6][3] = {
    {0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}
  };
  KmStats *s[3], *ab, *ba, *left, *right, *ref;
  const gdouble *ls, *rs, *as, *bs, *cs;
  gsize i, kd = K * 5;
  guint o, differ = 0;

  /* Grid points: every order gives the same bytes. */
  three_shards (DATA_GRID, KM_METRIC_SQUARED_EUCLIDEAN, s, 1);
  ref = merge_in_order (s, orders[0]);
  for (o = 1; o < 6; o++) {
    KmStats *m = merge_in_order (s, orders[o]);

    assert_stats_identical (ref, m);
    km_stats_free (m);
  }
  km_stats_free (ref);
  for (i = 0; i < 3; i++)
    km_stats_free (s[i]);

  /* Arbitrary floats, cosine. */
  three_shards (DATA_GAUSSIAN, KM_METRIC_COSINE, s, 2);
  ab = km_stats_copy (s[0]);
  ba = km_stats_copy (s[1]);
  g_assert_true (km_stats_merge (ab, s[1], NULL));
  g_assert_true (km_stats_merge (ba, s[0], NULL));
  g_assert_cmpmem (km_stats_get_sums (ab), kd * 8, km_stats_get_sums (ba),
      kd * 8);
  g_assert_cmpmem (km_stats_get_counts (ab), K * 8, km_stats_get_counts (ba),
      K * 8);
  g_assert_true (km_stats_get_loss (ab) == km_stats_get_loss (ba));

  left = km_stats_copy (ab);    /* (a + b) + c */
  g_assert_true (km_stats_merge (left, s[2], NULL));
  right = km_stats_copy (s[1]); /* a + (b + c) */
  g_assert_true (km_stats_merge (right, s[2], NULL));
  g_assert_true (km_stats_merge (right, s[0], NULL));
  g_assert_cmpmem (km_stats_get_counts (left), K * 8,
      km_stats_get_counts (right), K * 8);
  g_assert_cmpuint (km_stats_get_points (left), ==,
      km_stats_get_points (right));
  g_assert_cmpuint (km_stats_get_batches (left), ==, 3);
  ls = km_stats_get_sums (left);
  rs = km_stats_get_sums (right);
  as = km_stats_get_sums (s[0]);
  bs = km_stats_get_sums (s[1]);
  cs = km_stats_get_sums (s[2]);
  for (i = 0; i < kd; i++) {
    /* Two additions, each off by at most half an ulp of its result. */
    gdouble bound = 2 * G_MINDOUBLE + 2.0 * DBL_EPSILON * (fabs (as[i])
        + fabs (bs[i]) + fabs (cs[i]));

    g_assert_cmpfloat (fabs (ls[i] - rs[i]), <=, bound);
    differ += ls[i] != rs[i];
  }
  g_test_message ("grouping changed %u of %" G_GSIZE_FORMAT " sums of "
      "arbitrary floats, each within two double roundings", differ, kd);
  km_stats_free (ab);
  km_stats_free (ba);
  km_stats_free (left);
  km_stats_free (right);
  for (i = 0; i < 3; i++)
    km_stats_free (s[i]);
}

/* Checks and clears the error of a refused call. */
static void
expect_mismatch (gboolean ok, GError ** error, const gchar * needle)
{
  g_assert_false (ok);
  g_assert_error (*error, KM_ERROR, KM_ERROR_STATS_MISMATCH);
  if (strstr ((*error)->message, needle) == NULL)
    g_error ("'%s' not in '%s'", needle, (*error)->message);
  g_clear_error (error);
}

/* Merging, accumulating or applying statistics of another k, d, metric
 * or model version is refused, and changes nothing. */
static void
test_mismatch_refused (void)
{
  static const gfloat c[] = { 0, 0, 10, 0 }, x[] = { 1, 0, 9, 1 };
  KmStats *base = km_stats_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, 4, 0, 1,
      NULL);
  KmStats *other[4];
  KmModel *v5 = km_model_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, c, 5, NULL);
  KmModel *v4 = km_model_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, c, 4, NULL);
  KmModel *cos4 = km_model_new (2, 2, KM_METRIC_COSINE, c, 4, NULL);
  KmModel *m1;
  GError *error = NULL;
  gboolean ok;
  KmConfig cfg;
  KmTrainer *t;
  KmStats *s;
  guint8 *before, *after;
  gsize lb, la, i;

  other[0] = km_stats_new (3, 2, KM_METRIC_SQUARED_EUCLIDEAN, 4, 1, 1, NULL);
  other[1] = km_stats_new (2, 3, KM_METRIC_SQUARED_EUCLIDEAN, 4, 1, 1, NULL);
  other[2] = km_stats_new (2, 2, KM_METRIC_COSINE, 4, 1, 1, NULL);
  other[3] = km_stats_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, 5, 1, 1, NULL);
  g_assert_true (km_stats_accumulate (base, v4, x, 2, NULL));
  before = km_stats_serialize (base, &lb);
  ok = km_stats_merge (base, other[0], &error);
  expect_mismatch (ok, &error, "k=3");
  ok = km_stats_merge (base, other[1], &error);
  expect_mismatch (ok, &error, "d=3");
  ok = km_stats_merge (base, other[2], &error);
  expect_mismatch (ok, &error, "cosine");
  ok = km_stats_merge (base, other[3], &error);
  expect_mismatch (ok, &error, "model version 5, not 4");
  ok = km_stats_accumulate (base, v5, x, 2, &error);
  expect_mismatch (ok, &error, "model version 5");
  ok = km_stats_accumulate (base, cos4, x, 2, &error);
  expect_mismatch (ok, &error, "metric");
  after = km_stats_serialize (base, &la);
  g_assert_cmpmem (before, lb, after, la);
  g_free (before);
  g_free (after);

  /* Applying: shape, then versions (the trainer is at version 1). */
  km_config_init (&cfg);
  cfg.d = 2;
  cfg.init = KM_INIT_GIVEN;
  t = kmt_trainer_new (&cfg);
  s = km_stats_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, 1, 0, 1, NULL);
  g_assert_cmpint (km_trainer_apply_stats (t, s, 0, NULL, &error), ==,
      KM_FEED_ERROR);
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  kmt_set_centers (t, c);
  for (i = 0; i < 3; i++) {
    g_assert_cmpint (km_trainer_apply_stats (t, other[i], 10, NULL, &error),
        ==, KM_FEED_ERROR);
    g_assert_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH);
    g_clear_error (&error);
  }
  km_stats_reset (s, 2, 1);     /* newer than the trainer */
  g_assert_cmpint (km_trainer_apply_stats (t, s, 10, NULL, &error), ==,
      KM_FEED_ERROR);
  expect_mismatch (FALSE, &error, "newer");
  g_assert_cmpuint (t->version, ==, 1);
  g_assert_cmpuint (t->step, ==, 0);

  /* Empty statistics are no step. */
  km_stats_reset (s, 1, 1);
  g_assert_cmpint (km_trainer_apply_stats (t, s, 0, NULL, &error), ==,
      KM_FEED_SKIPPED);
  g_assert_no_error (error);

  /* Statistics of version 1 applied make version 2; applied again they
   * are one version behind: refused when synchronous, taken with a lag
   * of 1. */
  km_stats_free (s);
  m1 = km_trainer_get_model (t);
  s = km_stats_new_for_model (m1, 0, 1);
  g_assert_true (km_stats_accumulate (s, m1, x, 2, NULL));
  km_model_unref (m1);
  g_assert_cmpint (km_trainer_apply_stats (t, s, 0, NULL, &error), ==,
      KM_FEED_TRAINED);
  g_assert_cmpuint (t->version, ==, 2);
  g_assert_cmpint (km_trainer_apply_stats (t, s, 0, NULL, &error), ==,
      KM_FEED_ERROR);
  expect_mismatch (FALSE, &error, "1 behind");
  g_assert_cmpuint (t->version, ==, 2);
  g_assert_cmpint (km_trainer_apply_stats (t, s, 1, NULL, &error), ==,
      KM_FEED_TRAINED);
  g_assert_no_error (error);
  g_assert_cmpuint (t->version, ==, 3);

  for (i = 0; i < 4; i++)
    km_stats_free (other[i]);
  km_stats_free (s);
  km_stats_free (base);
  km_trainer_free (t);
  km_model_unref (v4);
  km_model_unref (v5);
  km_model_unref (cos4);
}

/* CRC-32 as zlib.crc32, bit by bit (the core uses a table). */
static guint32
crc32_bitwise (const guint8 * p, gsize n)
{
  guint32 c = 0xFFFFFFFFu;
  gsize i;
  guint b;

  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (b = 0; b < 8; b++)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

static void
put_crc (guint8 * bytes, gsize len)
{
  guint32 crc = GUINT32_TO_LE (crc32_bitwise (bytes, len - 4));

  memcpy (bytes + len - 4, &crc, 4);
}

/* schemas/stats.md's worked example. */
static KmStats *
worked_example (void)
{
  static const gfloat c[] = { 0, 0, 10, 0 }, x[] = { 1, 0, 2, 0, 9, 1 };
  KmModel *model = km_model_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, c, 7,
      NULL);
  KmStats *s = km_stats_new_for_model (model, 3, 12);

  g_assert_true (km_stats_accumulate (s, model, x, 3, NULL));
  km_model_unref (model);
  return s;
}

static void
test_bytes_worked_example (void)
{
  static const guint8 head[] = {
    0x4b, 0x4d, 0x53, 0x54, 0x41, 0x54, 0x53, 0x00,     /* KMSTATS\0 */
    0x01, 0, 0, 0, 0x02, 0, 0, 0, 0x02, 0, 0, 0, 0x00, 0, 0, 0,
    0x07, 0, 0, 0, 0, 0, 0, 0,  /* model version 7 */
    0x03, 0, 0, 0, 0x00, 0, 0, 0,       /* worker 3, flags */
    0x0c, 0, 0, 0, 0, 0, 0, 0,  /* round 12 */
    0x03, 0, 0, 0, 0, 0, 0, 0,  /* 3 points */
    0x01, 0, 0, 0, 0, 0, 0, 0,  /* 1 batch */
    0, 0, 0, 0, 0, 0, 0x1c, 0x40,       /* loss 7.0 */
    0, 0, 0, 0, 0, 0, 0x00, 0x40,       /* count 2.0 */
    0, 0, 0, 0, 0, 0, 0xf0, 0x3f,       /* count 1.0 */
    0, 0, 0, 0, 0, 0, 0x08, 0x40,       /* sum 3.0 */
    0, 0, 0, 0, 0, 0, 0x00, 0x00,       /* sum 0.0 */
    0, 0, 0, 0, 0, 0, 0x22, 0x40,       /* sum 9.0 */
    0, 0, 0, 0, 0, 0, 0xf0, 0x3f,       /* sum 1.0 */
  };
  KmStats *s = worked_example (), *back;
  GError *error = NULL;
  gsize len, len2;
  guint8 *bytes = km_stats_serialize (s, &len), *again;
  guint32 crc;

  g_assert_cmpuint (len, ==, 124);
  g_assert_cmpuint (km_stats_serialized_size (2, 2), ==, 124);
  g_assert_cmpmem (bytes, sizeof (head), head, sizeof (head));
  memcpy (&crc, bytes + 120, 4);
  g_assert_cmphex (GUINT32_FROM_LE (crc), ==, crc32_bitwise (bytes, 120));
  g_test_message ("worked example CRC-32 0x%08x", GUINT32_FROM_LE (crc));

  back = km_stats_deserialize (bytes, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (km_stats_get_k (back), ==, 2);
  g_assert_cmpuint (km_stats_get_d (back), ==, 2);
  g_assert_cmpint (km_stats_get_metric (back), ==, KM_METRIC_SQUARED_EUCLIDEAN);
  g_assert_cmpuint (km_stats_get_model_version (back), ==, 7);
  g_assert_cmpuint (km_stats_get_worker (back), ==, 3);
  g_assert_cmpuint (km_stats_get_round (back), ==, 12);
  g_assert_cmpuint (km_stats_get_points (back), ==, 3);
  g_assert_cmpuint (km_stats_get_batches (back), ==, 1);
  g_assert_cmpfloat (km_stats_get_loss (back), ==, 7.0);
  again = km_stats_serialize (back, &len2);
  g_assert_cmpmem (bytes, len, again, len2);
  g_free (again);
  g_free (bytes);
  km_stats_free (back);
  km_stats_free (s);
}

/* Statistics of real work (cosine, k = 5, d = 5) survive the round trip
 * bit for bit. */
static void
test_bytes_round_trip (void)
{
  KmStats *s[3], *back;
  GError *error = NULL;
  gsize len, len2, i;
  guint8 *bytes, *again;

  three_shards (DATA_GAUSSIAN, KM_METRIC_COSINE, s, 5);
  g_assert_true (km_stats_merge (s[0], s[1], NULL));
  bytes = km_stats_serialize (s[0], &len);
  g_assert_cmpuint (len, ==, km_stats_serialized_size (K, 5));
  back = km_stats_deserialize (bytes, len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (km_stats_get_sums (back), K * 5 * 8,
      km_stats_get_sums (s[0]), K * 5 * 8);
  g_assert_cmpmem (km_stats_get_counts (back), K * 8,
      km_stats_get_counts (s[0]), K * 8);
  g_assert_cmpuint (km_stats_get_points (back), ==, 50 + 60);
  g_assert_cmpuint (km_stats_get_batches (back), ==, 2);
  again = km_stats_serialize (back, &len2);
  g_assert_cmpmem (bytes, len, again, len2);
  g_free (again);
  g_free (bytes);
  km_stats_free (back);
  for (i = 0; i < 3; i++)
    km_stats_free (s[i]);
}

static void
expect_corrupt (const guint8 * bytes, gsize len, const gchar * needle)
{
  GError *error = NULL;
  KmStats *s = km_stats_deserialize (bytes, len, &error);

  if (s != NULL)
    g_error ("accepted %" G_GSIZE_FORMAT " bytes that should fail (%s)", len,
        needle ? needle : "damaged");
  g_assert_error (error, KM_ERROR, KM_ERROR_STATS_CORRUPT);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("'%s' not in '%s'", needle, error->message);
  g_error_free (error);
}

/* Every byte flipped (three patterns each), every truncation and an extra
 * byte are refused; the CRC-32 catches every change of one byte. */
static void
test_bytes_damaged (void)
{
  static const guint8 masks[] = { 0x01, 0x80, 0xff };
  KmStats *s = worked_example ();
  gsize len, i, m;
  guint8 *bytes = km_stats_serialize (s, &len);
  guint8 *copy = g_malloc (len + 1);

  for (i = 0; i < len; i++)
    for (m = 0; m < G_N_ELEMENTS (masks); m++) {
      memcpy (copy, bytes, len);
      copy[i] ^= masks[m];
      expect_corrupt (copy, len, NULL);
    }
  for (i = 0; i < len; i++) {
    /* A copy of exactly i bytes, so a read past it is a valgrind error. */
    guint8 *cut = g_memdup2 (bytes, i);

    expect_corrupt (cut, i, NULL);
    g_free (cut);
  }
  memcpy (copy, bytes, len);
  copy[len] = 0;
  expect_corrupt (copy, len + 1, "bytes where k=2, d=2 takes 124");
  expect_corrupt (NULL, 0, "shorter");
  g_free (copy);
  g_free (bytes);
  km_stats_free (s);
}

/* Bytes with a correct CRC-32 that no worker could send (a hostile or
 * broken peer computes the CRC too): refused by the value checks. */
static void
test_bytes_forged (void)
{
  KmStats *s = worked_example ();
  gsize len;
  guint8 *good = km_stats_serialize (s, &len);
  guint8 *b = g_malloc (len);
  guint32 u;
  guint64 q;
  gdouble v;

#define FORGE(offset, type, value, needle) G_STMT_START {       \
    memcpy (b, good, len);                                      \
    type = value;                                               \
    memcpy (b + (offset), &type, sizeof (type));                \
    put_crc (b, len);                                           \
    expect_corrupt (b, len, needle);                            \
  } G_STMT_END

  FORGE (8, u, GUINT32_TO_LE (2), "format version 2");
  FORGE (12, u, GUINT32_TO_LE (0), "outside the limits");
  FORGE (12, u, GUINT32_TO_LE (KM_MAX_CLUSTERS + 1), "outside the limits");
  FORGE (16, u, GUINT32_TO_LE (1u << 17), "outside the limits");
  FORGE (12, u, GUINT32_TO_LE (0xFFFFFFFFu), "outside the limits");
  FORGE (12, u, GUINT32_TO_LE (3), "takes");    /* size does not match */
  FORGE (20, u, GUINT32_TO_LE (2), "unknown metric 2");
  FORGE (36, u, GUINT32_TO_LE (1), "unknown flags");
  FORGE (48, q, GUINT64_TO_LE (4), "do not add up");
  FORGE (48, q, GUINT64_TO_LE (0), "points in");
  FORGE (48, q, GUINT64_TO_LE (G_MAXUINT64), "points in");
  FORGE (56, q, GUINT64_TO_LE (0), "points in");
  FORGE (56, q, GUINT64_TO_LE (4), "points in");
  v = -1.0;
  FORGE (64, q, GUINT64_TO_LE (*(guint64 *) & v), "loss");
  v = NAN;
  FORGE (64, q, GUINT64_TO_LE (*(guint64 *) & v), "loss");
  v = 1.5;
  FORGE (72, q, GUINT64_TO_LE (*(guint64 *) & v), "whole number");
  v = -1.0;
  FORGE (72, q, GUINT64_TO_LE (*(guint64 *) & v), "whole number");
  v = NAN;
  FORGE (80, q, GUINT64_TO_LE (*(guint64 *) & v), "whole number");
  v = 3.0;                      /* counts 3 + 1 for 3 points */
  FORGE (72, q, GUINT64_TO_LE (*(guint64 *) & v), "do not add up");
  v = INFINITY;
  FORGE (88, q, GUINT64_TO_LE (*(guint64 *) & v), "not a sum of 2");
  v = NAN;
  FORGE (104, q, GUINT64_TO_LE (*(guint64 *) & v), "not a sum of 1");
  v = 1e39;                     /* one float32 point cannot be this large */
  FORGE (104, q, GUINT64_TO_LE (*(guint64 *) & v), "not a sum of 1");
#undef FORGE

  /* A cosine worker's sums are sums of unit vectors. */
  memcpy (b, good, len);
  u = GUINT32_TO_LE (KM_METRIC_COSINE);
  memcpy (b + 20, &u, 4);
  put_crc (b, len);
  expect_corrupt (b, len, "normalised");

  g_free (b);
  g_free (good);
  km_stats_free (s);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (modes); i++) {
    gchar *path = g_strdup_printf ("/stats/sharded-equals-one/%s",
        modes[i].name);

    g_test_add_data_func (path, &modes[i], test_sharded_equals_one);
    g_free (path);
  }
  g_test_add_func ("/stats/one-worker-bit-exact", test_one_worker_bit_exact);
  g_test_add_func ("/stats/merge-algebra", test_merge_algebra);
  g_test_add_func ("/stats/mismatch-refused", test_mismatch_refused);
  g_test_add_func ("/stats/bytes/worked-example", test_bytes_worked_example);
  g_test_add_func ("/stats/bytes/round-trip", test_bytes_round_trip);
  g_test_add_func ("/stats/bytes/damaged", test_bytes_damaged);
  g_test_add_func ("/stats/bytes/forged", test_bytes_forged);
  return g_test_run ();
}

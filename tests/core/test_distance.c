/* Distances and nearest centers (docs/algorithm.md §4): TF's
 * NearestCenters tests, ties, clamping, cosine, and both computation
 * paths (loop and GEMM). */
#include "kmtest.h"

static KmModel *
model_new (guint k, guint d, KmMetric metric, const gfloat * c)
{
  GError *error = NULL;
  KmModel *m = km_model_new (k, d, metric, c, 1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

/* Zero-pads rows of width @d to width @wide (distances are unchanged). */
static gfloat *
pad (const gfloat * x, gsize n, guint d, guint wide)
{
  gfloat *y = g_new0 (gfloat, n * wide);
  gsize i;

  for (i = 0; i < n; i++)
    memcpy (y + i * wide, x + i * d, d * sizeof (gfloat));
  return y;
}

static const gfloat nc_points[] = { 100, 0, 101, 2, 99, 2, 1, 1 };
static const gfloat nc_centers[] = { 100, 0, 99, 1, 50, 50, 0, 0, 1, 1 };

static const gfloat nc_matrix[] = {
  0, 2, 5000, 10000, 9802,
  5, 5, 4905, 10205, 10001,
  5, 1, 4705, 9805, 9605,
  9802, 9604, 4802, 2, 0
};

/* Second nearest from a row of distances, ties by index. */
static guint
second_nearest (const gfloat * row, guint k, guint first)
{
  guint j, best = first == 0 ? 1 : 0;

  for (j = 0; j < k; j++)
    if (j != first && row[j] < row[best])
      best = j;
  return best;
}

/* NearestCentersTest [exact], at width @d (2: loop path; padded: GEMM). */
static void
check_nearest_centers (guint d)
{
  gfloat *x = pad (nc_points, 4, 2, d), *c = pad (nc_centers, 5, 2, d);
  KmModel *m = model_new (5, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
  KmWorkspace *ws = km_workspace_new ();
  const gint32 idx1[] = { 0, 0, 1, 4 }, idx2[] = { 1, 1, 0, 3 };
  const gfloat d1[] = { 0, 5, 1, 0 }, d2[] = { 2, 5, 5, 2 };
  gint32 idx[4];
  gfloat dist[4], all[20];
  guint i;

  g_assert_cmpint (m->dist.use_gemm, ==, d > 2);
  g_assert_cmpfloat (km_model_assign (m, x, 4, idx, dist, ws), ==, 6);
  g_assert_cmpmem (idx, sizeof (idx), idx1, sizeof (idx1));
  g_assert_cmpmem (dist, sizeof (dist), d1, sizeof (d1));
  km_model_distances (m, x, 4, all, ws);
  g_assert_cmpmem (all, sizeof (all), nc_matrix, sizeof (nc_matrix));
  for (i = 0; i < 4; i++) {
    guint s = second_nearest (all + i * 5, 5, idx[i]);

    g_assert_cmpint (s, ==, idx2[i]);
    g_assert_cmpfloat (all[i * 5 + s], ==, d2[i]);
  }
  /* Only some outputs asked for. */
  g_assert_cmpfloat (km_model_assign (m, x, 4, NULL, dist, ws), ==, 6);
  g_assert_cmpfloat (km_model_assign (m, x, 4, idx, NULL, NULL), ==, 6);
  g_assert_cmpmem (idx, sizeof (idx), idx1, sizeof (idx1));
  km_workspace_free (ws);
  km_model_unref (m);
  g_free (x);
  g_free (c);
}

static void
test_nearest_centers_loop (void)
{
  check_nearest_centers (2);
}

static void
test_nearest_centers_gemm (void)
{
  check_nearest_centers (128);
}

/* Exact ties go to the lowest index, on both paths, for duplicate
 * centers and for points half way between two centers. */
static void
test_ties_lowest_index (void)
{
  guint wide[] = { 2, 256 }, w, j;

  for (w = 0; w < G_N_ELEMENTS (wide); w++) {
    const guint d = wide[w];
    const gfloat c2[] = { 3, 3, 1, 0, 1, 0, 0, 0, 3, 3 };
    const gfloat x2[] = { 1, 0, 0.5f, 0, 3, 3, 2, 1.5f };
    gfloat *c = pad (c2, 5, 2, d), *x = pad (x2, 4, 2, d);
    KmModel *m = model_new (5, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
    gint32 idx[4];

    km_model_assign (m, x, 4, idx, NULL, NULL);
    g_assert_cmpint (idx[0], ==, 1);    /* 1 and 2 coincide */
    g_assert_cmpint (idx[1], ==, 1);    /* 0.25 to 1, 2 and 3 */
    g_assert_cmpint (idx[2], ==, 0);    /* 0 and 4 coincide */
    g_assert_cmpint (idx[3], ==, 0);    /* [2,1.5]: 3.25 to 0, 1, 2 */
    km_model_unref (m);
    g_free (c);
    g_free (x);

    /* k centers all equal: always index 0. */
    c = g_new (gfloat, 300 * d);
    for (j = 0; j < 300 * d; j++)
      c[j] = 0.5f;
    m = model_new (300, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
    km_model_assign (m, c, 3, idx, NULL, NULL);
    g_assert_cmpint (idx[0], ==, 0);
    g_assert_cmpint (idx[2], ==, 0);
    km_model_unref (m);
    g_free (c);
  }
}

/* Exact ties that float rounding would break: centers x + delta e_j on
 * different axes are all at exactly delta^2 from x, but their float keys
 * round differently.  The lowest tied index must win, on both paths. */
static void
test_ties_survive_rounding (void)
{
  guint dims[] = { 3, 300 }, w, rep, j, t;
  KmRng rng;

  km_rng_seed (&rng, 21);
  for (w = 0; w < 2; w++) {
    const guint d = dims[w], k = 3 + MIN (d, 7);
    gfloat *x = g_new (gfloat, d), *c = g_new (gfloat, (gsize) k * d);

    for (rep = 0; rep < 200; rep++) {
      const gfloat delta = 0.25f;
      KmModel *m;
      gint32 idx;
      gfloat dist;

      /* Multiples of 1/1024 in [-8, 8): x +- delta stays exact. */
      for (t = 0; t < d; t++)
        x[t] = (gfloat) ((gint) km_rng_uniform_int (&rng, 16384) - 8192)
            / 1024.0f;
      for (j = 0; j < k; j++) {
        memcpy (c + (gsize) j * d, x, d * sizeof (gfloat));
        /* Centers 0-2 are farther (2 delta), 3.. tie at delta. */
        c[(gsize) j * d + (j < 3 ? j : j - 3) % d] += j < 3 ? 2 * delta :
            (j % 2 ? delta : -delta);
      }
      m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
      g_assert_cmpint (m->dist.use_gemm, ==, d > 3);
      km_model_assign (m, x, 1, &idx, &dist, NULL);
      g_assert_cmpint (idx, ==, 3);
      g_assert_cmpfloat (dist, ==, delta * delta);
      km_model_unref (m);
    }
    g_free (x);
    g_free (c);
  }
}

/* Brute force in double: index (lowest on ties) and distance. */
static void
brute_nearest (const gfloat * x, const gfloat * c, guint k, guint d,
    guint * best, gdouble * best_d, gdouble * second_d)
{
  guint j;

  *best = 0;
  *best_d = kmt_sqdist (x, c, d);
  *second_d = INFINITY;
  for (j = 1; j < k; j++) {
    gdouble dj = kmt_sqdist (x, c + (gsize) j * d, d);

    if (dj < *best_d) {
      *second_d = *best_d;
      *best_d = dj;
      *best = j;
    } else if (dj < *second_d) {
      *second_d = dj;
    }
  }
}

static int
cmp_float (gconstpointer a, gconstpointer b)
{
  gfloat x = *(const gfloat *) a, y = *(const gfloat *) b;

  return x < y ? -1 : x > y;
}

/* NearestCentersLargeTest: 10 N(0,1) points in 100-d tiled to 1000, 2000
 * N(0,1) centers; k=1 and k=5 nearest equal brute force. */
static void
test_nearest_centers_large (void)
{
  const guint d = 100, k = 2000, n = 1000, top = 5;
  KmRng rng;
  gfloat *base, *x, *c, *dist, *all, *row;
  gint32 *idx;
  KmModel *m;
  KmWorkspace *ws = km_workspace_new ();
  guint i, seed, near_ties = 0;

  x = g_new (gfloat, (gsize) n * d);
  idx = g_new (gint32, n);
  dist = g_new (gfloat, n);
  all = g_new (gfloat, (gsize) 10 * k);
  row = g_new (gfloat, k);
  for (seed = 0; seed < 3; seed++) {
    km_rng_seed (&rng, seed);
    base = kmt_gaussian_matrix (&rng, 10, d, 1.0);
    for (i = 0; i < n; i++)
      memcpy (x + (gsize) i * d, base + (i % 10) * d, d * sizeof (gfloat));
    c = kmt_gaussian_matrix (&rng, k, d, 1.0);
    m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
    g_assert_true (m->dist.use_gemm);

    km_model_assign (m, x, n, idx, dist, ws);
    for (i = 0; i < n; i++) {
      guint b;
      gdouble bd, sd;

      brute_nearest (x + (gsize) i * d, c, k, d, &b, &bd, &sd);
      /* Near ties are settled on exact distances: the brute force
       * answer every time. */
      g_assert_cmpint (idx[i], ==, b);
      kmt_assert_close (dist[i], bd, 1e-6, 1e-6);
      near_ties += sd - bd < 1e-4 * bd;
      /* Tiled points give identical answers. */
      g_assert_cmpint (idx[i], ==, idx[i % 10]);
      g_assert_cmpfloat (dist[i], ==, dist[i % 10]);
    }

    /* Top 5 from all distances vs brute force, sorted. */
    km_model_distances (m, x, 10, all, ws);
    for (i = 0; i < 10; i++) {
      gdouble *ref = g_new (gdouble, k);
      gfloat *reff = g_new (gfloat, k);
      guint j;

      for (j = 0; j < k; j++) {
        ref[j] = kmt_sqdist (x + (gsize) i * d, c + (gsize) j * d, d);
        reff[j] = (gfloat) ref[j];
        kmt_assert_close (all[i * k + j], ref[j], 1e-6, 1e-5);
      }
      memcpy (row, all + (gsize) i * k, k * sizeof (gfloat));
      qsort (row, k, sizeof (gfloat), cmp_float);
      qsort (reff, k, sizeof (gfloat), cmp_float);
      kmt_assert_floats_close (row, reff, top, 1e-6, 1e-5);
      g_free (ref);
      g_free (reff);
    }
    km_model_unref (m);
    g_free (base);
    g_free (c);
  }
  g_test_message ("%u near ties (within 1e-4 relative)", near_ties);
  km_workspace_free (ws);
  g_free (x);
  g_free (idx);
  g_free (dist);
  g_free (all);
  g_free (row);
}

/* Both paths against brute force over shapes around the thresholds and
 * batch sizes that are not multiples of the point blocks. */
static void
test_paths_vs_brute_force (void)
{
  const guint shapes[][2] = {
    {1, 1}, {2, 1}, {5, 2}, {7, 3}, {3, 100}, {64, 7}, {64, 8}, {8, 64},
    {40, 13}, {300, 2}, {513, 16}, {3000, 24}
  };
  KmWorkspace *ws = km_workspace_new ();
  KmRng rng;
  guint s;

  km_rng_seed (&rng, 42);
  for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
    const guint k = shapes[s][0], d = shapes[s][1];
    const gsize n = 211;
    gfloat *c = kmt_gaussian_matrix (&rng, k, d, 2.0);
    gfloat *x = kmt_gaussian_matrix (&rng, n, d, 2.0);
    gfloat *dist = g_new (gfloat, n), *all = g_new (gfloat, n * k);
    gint32 *idx = g_new (gint32, n);
    KmModel *m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
    gdouble total = 0.0, got;
    gsize i;

    got = km_model_assign (m, x, n, idx, dist, ws);
    km_model_distances (m, x, n, all, ws);
    for (i = 0; i < n; i++) {
      guint b;
      gdouble bd, sd;

      brute_nearest (x + i * d, c, k, d, &b, &bd, &sd);
      g_assert_cmpint (idx[i], ==, b);
      kmt_assert_close (dist[i], bd, 1e-6, 1e-6);
      kmt_assert_close (all[i * k + b], bd, 1e-4, 1e-5);
      total += dist[i];
    }
    kmt_assert_close (got, total, 1e-6, 1e-6);
    km_model_unref (m);
    g_free (c);
    g_free (x);
    g_free (dist);
    g_free (all);
    g_free (idx);
  }
  km_workspace_free (ws);
}

/* Coincident far-away points: the expanded form cancels, the reported
 * distance is clamped at 0 (assign recomputes it exactly). */
static void
test_clamped_at_zero (void)
{
  guint wide[] = { 3, 64 }, w, i;
  KmRng rng;

  km_rng_seed (&rng, 1);
  for (w = 0; w < 2; w++) {
    const guint d = wide[w], k = 16;
    gfloat *c = kmt_gaussian_matrix (&rng, k, d, 1.0);
    gfloat all[16 * 16], dist[16];
    gint32 idx[16];
    KmModel *m;

    for (i = 0; i < k * d; i++)
      c[i] = c[i] * 1e4f + 3e4f;
    m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
    km_model_distances (m, c, k, all, NULL);
    km_model_assign (m, c, k, idx, dist, NULL);
    for (i = 0; i < k * k; i++)
      g_assert_cmpfloat (all[i], >=, 0.0f);
    for (i = 0; i < k; i++) {
      g_assert_cmpint (idx[i], ==, i);
      g_assert_cmpfloat (dist[i], ==, 0.0f);
    }
    km_model_unref (m);
    g_free (c);
  }
}

/* Cosine: 1 - x^.c^, inputs and centers normalised; the data set B table
 * of docs/algorithm.md §8.9 (distances of each point to the true
 * centers). */
static void
test_cosine_table (void)
{
  guint np, nc, cols, cd, wide[] = { 2, 200 }, w, i, j;
  gfloat *pts = kmt_load_matrix ("tf_b_points.txt", &np, &cols);
  gfloat *ctr = kmt_load_matrix ("tf_b_centers.txt", &nc, &cd);
  const gfloat table[4][2] = {
    {1.24e-4, 0.90444}, {9.65e-4, 0.84523}, {2.51e-4, 0.91107},
    {1.67e-5, 0.89451}
  };

  g_assert_cmpuint (np, ==, 8);
  g_assert_cmpuint (cols, ==, 3);
  for (w = 0; w < 2; w++) {
    const guint d = wide[w];
    gfloat *x = g_new0 (gfloat, 8 * d), *c, all[16], dist[8];
    gint32 idx[8];
    KmModel *m;
    gdouble score;

    for (i = 0; i < 8; i++) {
      /* Scaled inputs: normalisation makes the scale irrelevant. */
      x[i * d] = pts[i * 3] * (i + 1);
      x[i * d + 1] = pts[i * 3 + 1] * (i + 1);
    }
    c = pad (ctr, 2, 2, d);
    c[0] *= 3;                  /* unnormalised centers are normalised too */
    c[1] *= 3;
    m = model_new (2, d, KM_METRIC_COSINE, c);
    km_model_distances (m, x, 8, all, NULL);
    score = km_model_assign (m, x, 8, idx, dist, NULL);
    kmt_assert_close (score, 0.0027141571, 1e-6, 0);
    for (i = 0; i < 8; i++) {
      g_assert_cmpint (idx[i], ==, (gint) pts[i * 3 + 2]);
      for (j = 0; j < 2; j++) {
        /* Points 4-7 mirror 0-3. */
        gfloat expect = i < 4 ? table[i][j] : table[i - 4][1 - j];

        kmt_assert_close (all[i * 2 + j], expect, 2e-5, 1e-3);
      }
      kmt_assert_close (dist[i], all[i * 2 + idx[i]], 1e-6, 0);
    }
    km_model_unref (m);
    g_free (x);
    g_free (c);
  }
  g_free (pts);
  g_free (ctr);
}

/* Cosine with a zero center (empty full-batch cluster) and a zero input:
 * both have cosine 0, distance 1. */
static void
test_cosine_zero_vectors (void)
{
  const gfloat c[] = { 1, 0, 0, 0 }, x[] = { 0, 0, -1, 0.5f, 1, 1 };
  KmModel *m = model_new (2, 2, KM_METRIC_COSINE, c);
  gfloat all[6], dist[3];
  gint32 idx[3];

  km_model_distances (m, x, 3, all, NULL);
  km_model_assign (m, x, 3, idx, dist, NULL);
  g_assert_cmpfloat (all[0], ==, 1.0f);
  g_assert_cmpfloat (all[1], ==, 1.0f);
  g_assert_cmpint (idx[0], ==, 0);      /* tie */
  g_assert_cmpfloat (dist[0], ==, 1.0f);
  /* Negative cosine to the real center: the zero center wins. */
  g_assert_cmpint (idx[1], ==, 1);
  g_assert_cmpfloat (all[3], ==, 1.0f);
  kmt_assert_close (all[2], 1 + 1 / sqrt (1.25), 1e-6, 0);
  g_assert_cmpint (idx[2], ==, 0);
  kmt_assert_close (dist[2], 1 - G_SQRT2 / 2, 1e-6, 0);
  km_model_unref (m);
}

/* The workspace grows and is reused; results do not depend on it. */
static void
test_workspace_reuse (void)
{
  KmWorkspace *ws = km_workspace_new ();
  KmRng rng;
  gfloat *c, *x, *d1 = g_new (gfloat, 5000), *d2 = g_new (gfloat, 5000);
  gint32 *i1 = g_new (gint32, 5000), *i2 = g_new (gint32, 5000);
  KmModel *m;
  gsize n;

  km_rng_seed (&rng, 4);
  c = kmt_gaussian_matrix (&rng, 50, 20, 1.0);
  x = kmt_gaussian_matrix (&rng, 5000, 20, 1.0);
  m = model_new (50, 20, KM_METRIC_COSINE, c);
  for (n = 1; n <= 5000; n *= 3) {
    km_model_assign (m, x, n, i1, d1, ws);
    km_model_assign (m, x, n, i2, d2, NULL);
    g_assert_cmpmem (i1, n * 4, i2, n * 4);
    g_assert_cmpmem (d1, n * 4, d2, n * 4);
  }
  /* Smaller again after a large call: same answers. */
  km_model_assign (m, x, 7, i1, d1, ws);
  g_assert_cmpmem (i1, 28, i2, 28);
  km_model_unref (m);
  km_workspace_free (ws);
  g_free (c);
  g_free (x);
  g_free (d1);
  g_free (d2);
  g_free (i1);
  g_free (i2);
}

static void
test_model_accessors (void)
{
  const gfloat c[] = { 1, 2, 3, 4, 5, 6 };
  GError *error = NULL;
  KmModel *m = km_model_new (3, 2, KM_METRIC_COSINE, c, 42, &error), *r;

  g_assert_no_error (error);
  g_assert_cmpuint (km_model_get_version (m), ==, 42);
  g_assert_cmpuint (km_model_get_step (m), ==, 0);
  g_assert_null (km_model_get_counts (m));
  /* Stored as given, not normalised. */
  g_assert_cmpmem (km_model_get_centers (m), sizeof (c), c, sizeof (c));
  r = km_model_ref (m);
  g_assert_true (r == m);
  km_model_unref (r);
  km_model_unref (m);

  g_assert_null (km_model_new (2, KM_MAX_DIMENSIONS + 1,
          KM_METRIC_SQUARED_EUCLIDEAN, c, 0, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/distance/nearest-centers/loop", test_nearest_centers_loop);
  g_test_add_func ("/distance/nearest-centers/gemm", test_nearest_centers_gemm);
  g_test_add_func ("/distance/ties", test_ties_lowest_index);
  g_test_add_func ("/distance/ties-survive-rounding",
      test_ties_survive_rounding);
  g_test_add_func ("/distance/nearest-centers-large",
      test_nearest_centers_large);
  g_test_add_func ("/distance/paths-vs-brute-force", test_paths_vs_brute_force);
  g_test_add_func ("/distance/clamped", test_clamped_at_zero);
  g_test_add_func ("/distance/cosine/table", test_cosine_table);
  g_test_add_func ("/distance/cosine/zero-vectors", test_cosine_zero_vectors);
  g_test_add_func ("/distance/workspace-reuse", test_workspace_reuse);
  g_test_add_func ("/distance/model-accessors", test_model_accessors);

  return g_test_run ();
}

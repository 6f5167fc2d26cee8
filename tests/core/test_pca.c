/* The first two principal components (kmpca.h): the axes of point sets
 * whose answer is known, against an eigen-decomposition of the explicit
 * covariance, points in runs, warm starts and orientation, and degenerate
 * input (too few points, all equal, D = 1, D = 2 on a line). */
#include "kmtest.h"
#include "kmpca.h"

/* Enough for the eigen-gaps used here to converge to double precision. */
#define ITERATIONS 100

static gdouble
dot (const gdouble * a, const gdouble * b, guint d)
{
  gdouble s = 0;
  guint j;

  for (j = 0; j < d; j++)
    s += a[j] * b[j];
  return s;
}

static gboolean
update (KmPca * pca, const gfloat * x, gsize n, guint iterations)
{
  KmPcaRun run = { x, n };

  return km_pca_update (pca, &run, 1, iterations);
}

/* Whatever the input: finite numbers, a unit first axis, a unit or zero
 * second axis orthogonal to it. */
static void
assert_sane (const KmPca * pca, guint d)
{
  const gdouble *m = km_pca_get_mean (pca), *a = km_pca_get_axes (pca);
  gdouble n1;
  guint j;

  for (j = 0; j < d; j++) {
    g_assert_true (isfinite (m[j]));
    g_assert_true (isfinite (a[j]) && isfinite (a[d + j]));
  }
  kmt_assert_close (dot (a, a, d), 1.0, 1e-12, 0);
  n1 = dot (a + d, a + d, d);
  if (n1 != 0)
    kmt_assert_close (n1, 1.0, 1e-12, 0);
  kmt_assert_close (dot (a, a + d, d), 0.0, 1e-12, 0);
}

/* @v with the sign a cold start gives: its largest coordinate positive. */
static void
orient_like_cold_start (gdouble * v, guint d)
{
  gdouble largest = 0;
  guint j;

  for (j = 0; j < d; j++)
    if (fabs (v[j]) > fabs (largest))
      largest = v[j];
  if (largest < 0)
    for (j = 0; j < d; j++)
      v[j] = -v[j];
}

static void
assert_vectors_close (const gdouble * a, const gdouble * b, guint d,
    gdouble atol)
{
  guint j;

  for (j = 0; j < d; j++)
    kmt_assert_close (a[j], b[j], atol, 0);
}

/* d orthonormal rows: Gram-Schmidt on gaussian vectors. */
static gdouble *
random_basis (KmRng * rng, guint d)
{
  gdouble *u = g_new (gdouble, d * d);
  guint i, k, j;

  for (i = 0; i < d; i++) {
    gdouble *row = u + i * d, norm;

    for (j = 0; j < d; j++)
      row[j] = km_rng_gaussian (rng);
    for (k = 0; k < i; k++) {
      gdouble c = dot (row, u + k * d, d);

      for (j = 0; j < d; j++)
        row[j] -= c * u[k * d + j];
    }
    norm = sqrt (dot (row, row, d));
    for (j = 0; j < d; j++)
      row[j] /= norm;
  }
  return u;
}

/* mean + sum_i c_i scale_i u_i for every combination of c_0, c_1 in
 * {-2, ..., 2} and the other c_i in {-1, 1}: a full factorial design, so
 * the sample covariance is diagonal in the basis u, with variances
 * 2 scale_0^2, 2 scale_1^2, then scale_i^2.  Returns the number of rows. */
static gsize
factorial_points (const gdouble * u, const gdouble * scale,
    const gdouble * mean, guint d, gfloat ** points)
{
  gdouble *c = g_new (gdouble, d);
  gsize n = 25, r, code;
  guint i, j;

  for (i = 2; i < d; i++)
    n *= 2;
  *points = g_new (gfloat, n * d);
  for (r = 0; r < n; r++) {
    for (i = 0, code = r; i < d; i++) {
      guint levels = i < 2 ? 5 : 2;

      c[i] = i < 2 ? (gdouble) (code % levels) - 2 : 2.0 * (code % levels) - 1;
      code /= levels;
    }
    for (j = 0; j < d; j++) {
      gdouble v = mean[j];

      for (i = 0; i < d; i++)
        v += c[i] * scale[i] * u[i * d + j];
      (*points)[r * d + j] = (gfloat) v;
    }
  }
  g_free (c);
  return n;
}

/* The axes of the factorial design are u_0 and u_1, exactly in theory;
 * the points are floats, so to about float precision. */
static void
test_known_axes (void)
{
  static const gdouble scale[] = { 4.0, 2.0, 0.5, 0.5, 0.5 };
  static const gdouble mean[] = { 1.0, -2.0, 3.0, 0.5, 10.0 };
  const guint d = G_N_ELEMENTS (scale);
  KmPca *pca = km_pca_new (d);
  gdouble *u, expect[2 * G_N_ELEMENTS (scale)];
  gfloat *x;
  gsize n;
  KmRng rng;

  km_rng_seed (&rng, 11);
  u = random_basis (&rng, d);
  n = factorial_points (u, scale, mean, d, &x);
  g_assert_cmpuint (n, ==, 200);

  g_assert_true (update (pca, x, n, ITERATIONS));
  assert_sane (pca, d);
  memcpy (expect, u, 2 * d * sizeof (gdouble));
  orient_like_cold_start (expect, d);
  orient_like_cold_start (expect + d, d);
  assert_vectors_close (km_pca_get_mean (pca), mean, d, 1e-5);
  assert_vectors_close (km_pca_get_axes (pca), expect, d, 1e-5);
  assert_vectors_close (km_pca_get_axes (pca) + d, expect + d, d, 1e-5);

  g_free (x);
  g_free (u);
  km_pca_free (pca);
}

/* Eigenvalues (diagonal of @a on return) and eigenvectors (rows of @v) of
 * the symmetric @d x @d matrix @a, by cyclic Jacobi rotations: a method
 * that has nothing in common with power iteration. */
static void
jacobi_eigen (gdouble * a, gdouble * v, guint d)
{
  guint sweep, p, q, i;

  memset (v, 0, d * d * sizeof (gdouble));
  for (i = 0; i < d; i++)
    v[i * d + i] = 1;
  for (sweep = 0; sweep < 100; sweep++) {
    gdouble off = 0, all = 0;

    for (p = 0; p < d; p++)
      for (q = 0; q < d; q++) {
        all += a[p * d + q] * a[p * d + q];
        if (q != p)
          off += a[p * d + q] * a[p * d + q];
      }
    /* Off the diagonal, nothing left above rounding. */
    if (off <= 1e-26 * all)
      return;
    for (p = 0; p < d; p++)
      for (q = p + 1; q < d; q++) {
        gdouble theta, t, c, s;

        if (a[p * d + q] == 0)
          continue;
        theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q]);
        t = (theta >= 0 ? 1 : -1) / (fabs (theta) + sqrt (theta * theta + 1));
        c = 1 / sqrt (t * t + 1);
        s = t * c;
        for (i = 0; i < d; i++) {
          gdouble aip = a[i * d + p], aiq = a[i * d + q];

          a[i * d + p] = c * aip - s * aiq;
          a[i * d + q] = s * aip + c * aiq;
        }
        for (i = 0; i < d; i++) {
          gdouble api = a[p * d + i], aqi = a[q * d + i];

          a[p * d + i] = c * api - s * aqi;
          a[q * d + i] = s * api + c * aqi;
        }
        for (i = 0; i < d; i++) {
          gdouble vpi = v[p * d + i], vqi = v[q * d + i];

          v[p * d + i] = c * vpi - s * vqi;
          v[q * d + i] = s * vpi + c * vqi;
        }
      }
  }
  g_assert_not_reached ();
}

/* The eigenvector of the largest eigenvalue, then of the second. */
static void
top_two_eigenvectors (gdouble * a, guint d, gdouble * out)
{
  gdouble *v = g_new (gdouble, d * d);
  guint i, first = 0, second;

  jacobi_eigen (a, v, d);
  for (i = 1; i < d; i++)
    if (a[i * d + i] > a[first * d + first])
      first = i;
  second = first == 0 ? 1 : 0;
  for (i = 0; i < d; i++)
    if (i != first && a[i * d + i] > a[second * d + second])
      second = i;
  memcpy (out, v + first * d, d * sizeof (gdouble));
  memcpy (out + d, v + second * d, d * sizeof (gdouble));
  g_free (v);
}

/* A rotated, shifted gaussian cloud: the axes are the covariance's top
 * eigenvectors, formed explicitly and decomposed by Jacobi. */
static void
test_matches_eigenvectors (void)
{
  static const gdouble scale[] = { 6, 3, 1, 1, 1, 1, 1 };
  const guint d = G_N_ELEMENTS (scale);
  const gsize n = 3000;
  gdouble *u, *cov = g_new0 (gdouble, d * d), mean[G_N_ELEMENTS (scale)];
  gdouble expect[2 * G_N_ELEMENTS (scale)];
  gfloat *z, *x = g_new (gfloat, n * d);
  KmPca *pca = km_pca_new (d);
  guint i, j;
  gsize r;
  KmRng rng;

  km_rng_seed (&rng, 5);
  u = random_basis (&rng, d);
  z = kmt_gaussian_matrix (&rng, n, d, 1.0);
  for (r = 0; r < n; r++)
    for (j = 0; j < d; j++) {
      gdouble v = 100.0 * (j + 1);

      for (i = 0; i < d; i++)
        v += z[r * d + i] * scale[i] * u[i * d + j];
      x[r * d + j] = (gfloat) v;
    }

  memset (mean, 0, sizeof (mean));
  for (r = 0; r < n; r++)
    for (j = 0; j < d; j++)
      mean[j] += x[r * d + j];
  for (j = 0; j < d; j++)
    mean[j] /= n;
  for (r = 0; r < n; r++)
    for (i = 0; i < d; i++)
      for (j = 0; j < d; j++)
        cov[i * d + j] += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]);
  top_two_eigenvectors (cov, d, expect);
  orient_like_cold_start (expect, d);
  orient_like_cold_start (expect + d, d);

  g_assert_true (update (pca, x, n, ITERATIONS));
  assert_sane (pca, d);
  assert_vectors_close (km_pca_get_mean (pca), mean, d, 1e-9);
  assert_vectors_close (km_pca_get_axes (pca), expect, d, 1e-9);
  assert_vectors_close (km_pca_get_axes (pca) + d, expect + d, d, 1e-9);
  /* And they are the axes the cloud was built along. */
  kmt_assert_close (fabs (dot (km_pca_get_axes (pca), u, d)), 1.0, 1e-3, 0);
  kmt_assert_close (fabs (dot (km_pca_get_axes (pca) + d, u + d, d)), 1.0,
      1e-2, 0);

  g_free (z);
  g_free (x);
  g_free (u);
  g_free (cov);
  km_pca_free (pca);
}

/* Bit for bit the result of the same points in one run, wherever they
 * are cut (the element hands over the two halves of a ring buffer). */
static void
test_runs_are_one_set (void)
{
  const guint d = 4;
  const gsize n = 97;
  const gsize cuts[] = { 0, 1, 40, 96, 97 };
  gdouble one_mean[4], one_axes[8];
  KmPca *pca = km_pca_new (d);
  gfloat *x;
  guint c;
  KmRng rng;

  km_rng_seed (&rng, 3);
  x = kmt_gaussian_matrix (&rng, n, d, 2.0);
  g_assert_true (update (pca, x, n, 12));
  memcpy (one_mean, km_pca_get_mean (pca), sizeof (one_mean));
  memcpy (one_axes, km_pca_get_axes (pca), sizeof (one_axes));

  for (c = 0; c < G_N_ELEMENTS (cuts); c++) {
    KmPcaRun runs[3] = {
      {x, cuts[c] / 2}, {x + cuts[c] / 2 * d, cuts[c] - cuts[c] / 2},
      {x + cuts[c] * d, n - cuts[c]}
    };

    km_pca_reset (pca);
    g_assert_true (km_pca_update (pca, runs, 3, 12));
    g_assert_cmpmem (km_pca_get_mean (pca), sizeof (one_mean), one_mean,
        sizeof (one_mean));
    g_assert_cmpmem (km_pca_get_axes (pca), sizeof (one_axes), one_axes,
        sizeof (one_axes));
  }
  g_free (x);
  km_pca_free (pca);
}

/* A 2-D factorial design along the angle @degrees (spread 4 along it, 1
 * across). */
static gsize
points_at_angle (gdouble degrees, gfloat ** x)
{
  static const gdouble scale[] = { 4.0, 1.0 }, mean[] = { 0.0, 0.0 };
  gdouble a = degrees * G_PI / 180, u[4];

  u[0] = cos (a);
  u[1] = sin (a);
  u[2] = -sin (a);
  u[3] = cos (a);
  return factorial_points (u, scale, mean, 2, x);
}

/* A warm start keeps the axes pointing the way they did; a cold one (a new
 * KmPca, or after km_pca_reset) makes the largest coordinate positive. */
static void
test_warm_start_keeps_orientation (void)
{
  KmPca *warm = km_pca_new (2), *cold = km_pca_new (2);
  const gdouble *a;
  gdouble before[4], expect[2];
  gfloat *x100, *x170;
  gsize n = points_at_angle (100, &x100);

  points_at_angle (170, &x170);
  g_assert_true (update (warm, x100, n, ITERATIONS));
  memcpy (before, km_pca_get_axes (warm), sizeof (before));
  expect[0] = cos (100 * G_PI / 180);
  expect[1] = sin (100 * G_PI / 180);
  assert_vectors_close (before, expect, 2, 1e-6);

  g_assert_true (update (warm, x170, n, ITERATIONS));
  a = km_pca_get_axes (warm);
  assert_sane (warm, 2);
  expect[0] = cos (170 * G_PI / 180);
  expect[1] = sin (170 * G_PI / 180);
  assert_vectors_close (a, expect, 2, 1e-6);
  g_assert_cmpfloat (dot (a, before, 2), >, 0);
  g_assert_cmpfloat (dot (a + 2, before + 2, 2), >, 0);

  g_assert_true (update (cold, x170, n, ITERATIONS));
  expect[0] = -expect[0];
  expect[1] = -expect[1];
  assert_vectors_close (km_pca_get_axes (cold), expect, 2, 1e-6);

  km_pca_reset (warm);
  g_assert_true (update (warm, x170, n, ITERATIONS));
  g_assert_cmpmem (km_pca_get_axes (warm), 4 * sizeof (gdouble),
      km_pca_get_axes (cold), 4 * sizeof (gdouble));

  g_free (x100);
  g_free (x170);
  km_pca_free (warm);
  km_pca_free (cold);
}

static void
test_too_few_points (void)
{
  const gfloat x[] = { 1, 2, 3 };
  KmPcaRun empty[2] = { {x, 0}, {x, 0} };
  KmPca *pca = km_pca_new (3);

  g_assert_false (km_pca_update (pca, NULL, 0, 12));
  g_assert_false (km_pca_update (pca, empty, 2, 12));
  g_assert_false (update (pca, x, 1, 12));
  km_pca_free (pca);
}

/* All-equal points do not spread: FALSE, and the warm start is forgotten,
 * so the next update is that of a new KmPca. */
static void
test_all_equal (void)
{
  const guint dims[] = { 1, 2, 5 };
  guint t;

  for (t = 0; t < G_N_ELEMENTS (dims); t++) {
    guint d = dims[t];
    gfloat *same = g_new (gfloat, 10 * d), *spread;
    KmPca *pca = km_pca_new (d), *fresh = km_pca_new (d);
    gsize i;
    KmRng rng;

    for (i = 0; i < 10 * d; i++)
      same[i] = 2.5f - (gfloat) (i % d);
    km_rng_seed (&rng, 9);
    spread = kmt_gaussian_matrix (&rng, 50, d, 1.0);

    g_assert_false (update (pca, same, 10, 12));
    g_assert_true (update (pca, spread, 25, 12));
    g_assert_false (update (pca, same, 10, 12));
    g_assert_true (update (pca, spread + 25 * d, 25, 12));
    g_assert_true (update (fresh, spread + 25 * d, 25, 12));
    assert_sane (pca, d);
    g_assert_cmpmem (km_pca_get_axes (pca), 2 * d * sizeof (gdouble),
        km_pca_get_axes (fresh), 2 * d * sizeof (gdouble));

    g_free (same);
    g_free (spread);
    km_pca_free (pca);
    km_pca_free (fresh);
  }
}

/* D = 1: the mean, the axis (1), and a zero second axis. */
static void
test_one_dimension (void)
{
  const gfloat x[] = { 1, 2, 3, 4, 10 };
  KmPca *pca = km_pca_new (1);
  const gdouble *a;

  g_assert_true (update (pca, x, G_N_ELEMENTS (x), 12));
  assert_sane (pca, 1);
  a = km_pca_get_axes (pca);
  kmt_assert_close (km_pca_get_mean (pca)[0], 4.0, 1e-12, 0);
  kmt_assert_close (a[0], 1.0, 1e-15, 0);
  g_assert_cmpfloat (a[1], ==, 0.0);
  km_pca_free (pca);
}

/* D = 2, spread along x more than y: the coordinate axes. */
static void
test_two_dimensions (void)
{
  const gfloat x[] = { -3, 1, 3, 1, -3, -1, 3, -1, 0, 0 };
  const gdouble zero[] = { 0, 0 }, e[] = { 1, 0, 0, 1 };
  KmPca *pca = km_pca_new (2);

  g_assert_true (update (pca, x, 5, ITERATIONS));
  assert_sane (pca, 2);
  assert_vectors_close (km_pca_get_mean (pca), zero, 2, 1e-12);
  assert_vectors_close (km_pca_get_axes (pca), e, 4, 1e-12);
  km_pca_free (pca);
}

/* D = 2, every point on one line: the line, and the unit normal to it
 * that the start guess (1, -1) leads to; with the points on the line
 * (1, -1) itself, no normal is left of the guess, and the second axis is
 * zero. */
static void
test_two_dimensions_on_a_line (void)
{
  const gfloat diagonal[] = { 3, 3, 4, 4, 7, 7, -1, -1 };
  const gfloat anti[] = { 3, -3, 4, -4, 7, -7, -1, 1 };
  const gdouble h = G_SQRT2 / 2;
  const gdouble along[] = { h, h }, normal[] = { h, -h };
  KmPca *pca = km_pca_new (2);
  const gdouble *a;

  g_assert_true (update (pca, diagonal, 4, ITERATIONS));
  assert_sane (pca, 2);
  a = km_pca_get_axes (pca);
  assert_vectors_close (a, along, 2, 1e-12);
  assert_vectors_close (a + 2, normal, 2, 1e-12);

  km_pca_reset (pca);
  g_assert_true (update (pca, anti, 4, ITERATIONS));
  assert_sane (pca, 2);
  a = km_pca_get_axes (pca);
  assert_vectors_close (a, normal, 2, 1e-12);
  g_assert_cmpfloat (a[2], ==, 0.0);
  g_assert_cmpfloat (a[3], ==, 0.0);
  km_pca_free (pca);
}

/* Fewer points than dimensions, many dimensions: still finite and
 * orthonormal. */
static void
test_many_dimensions (void)
{
  const guint d = 300;
  KmPca *pca = km_pca_new (d);
  gfloat *x;
  KmRng rng;

  km_rng_seed (&rng, 21);
  x = kmt_gaussian_matrix (&rng, 50, d, 1.0);
  g_assert_true (update (pca, x, 50, 12));
  assert_sane (pca, d);
  g_assert_cmpfloat (dot (km_pca_get_axes (pca) + d,
          km_pca_get_axes (pca) + d, d), >, 0.5);
  g_free (x);
  km_pca_free (pca);
}

static void
test_bad_arguments (void)
{
  const gfloat x[] = { 0, 1, 2, 3 };
  KmPca *pca;

  g_test_expect_message ("kmeans-core", G_LOG_LEVEL_CRITICAL, "*d >= 1*");
  g_assert_null (km_pca_new (0));
  g_test_assert_expected_messages ();
  g_test_expect_message ("kmeans-core", G_LOG_LEVEL_CRITICAL, "*d >= 1*");
  g_assert_null (km_pca_new (KM_MAX_DIMENSIONS + 1));
  g_test_assert_expected_messages ();

  pca = km_pca_new (2);
  g_test_expect_message ("kmeans-core", G_LOG_LEVEL_CRITICAL, "*iterations*");
  g_assert_false (update (pca, x, 2, 0));
  g_test_assert_expected_messages ();
  km_pca_free (pca);
  km_pca_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pca/known-axes", test_known_axes);
  g_test_add_func ("/pca/matches-eigenvectors", test_matches_eigenvectors);
  g_test_add_func ("/pca/runs-are-one-set", test_runs_are_one_set);
  g_test_add_func ("/pca/warm-start-keeps-orientation",
      test_warm_start_keeps_orientation);
  g_test_add_func ("/pca/too-few-points", test_too_few_points);
  g_test_add_func ("/pca/all-equal", test_all_equal);
  g_test_add_func ("/pca/one-dimension", test_one_dimension);
  g_test_add_func ("/pca/two-dimensions", test_two_dimensions);
  g_test_add_func ("/pca/two-dimensions-on-a-line",
      test_two_dimensions_on_a_line);
  g_test_add_func ("/pca/many-dimensions", test_many_dimensions);
  g_test_add_func ("/pca/bad-arguments", test_bad_arguments);

  return g_test_run ();
}

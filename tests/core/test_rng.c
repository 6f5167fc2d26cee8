/* The RNG: xoshiro256** seeded through splitmix64, as plain data. */
#include "kmtest.h"

/* Reference values from an independent implementation of the published
 * algorithms (splitmix64's first output for seed 0 is the well-known
 * 0xe220a8397b1dcdaf). */
static void
test_reference_stream (void)
{
  KmRng rng;

  km_rng_seed (&rng, 0);
  g_assert_cmphex (rng.s[0], ==, G_GUINT64_CONSTANT (0xe220a8397b1dcdaf));
  g_assert_cmphex (rng.s[1], ==, G_GUINT64_CONSTANT (0x6e789e6aa1b965f4));
  g_assert_cmphex (rng.s[2], ==, G_GUINT64_CONSTANT (0x06c45d188009454f));
  g_assert_cmphex (rng.s[3], ==, G_GUINT64_CONSTANT (0xf88bb8a8724c81ec));
  g_assert_cmphex (km_rng_next (&rng), ==,
      G_GUINT64_CONSTANT (0x99ec5f36cb75f2b4));
  g_assert_cmphex (km_rng_next (&rng), ==,
      G_GUINT64_CONSTANT (0xbf6e1f784956452a));
  g_assert_cmphex (km_rng_next (&rng), ==,
      G_GUINT64_CONSTANT (0x1a5f849d4933e6e0));

  km_rng_seed (&rng, 42);
  g_assert_cmphex (km_rng_next (&rng), ==,
      G_GUINT64_CONSTANT (0x15780b2e0c2ec716));
  g_assert_cmphex (km_rng_next (&rng), ==,
      G_GUINT64_CONSTANT (0x6104d9866d113a7e));
  g_assert_cmphex (km_rng_next (&rng), ==,
      G_GUINT64_CONSTANT (0xae17533239e499a1));
}

/* The state is all there is: a copy replays the same numbers (what a
 * checkpoint relies on). */
static void
test_state_is_plain_data (void)
{
  KmRng a, b;
  guint i;

  km_rng_seed (&a, 123);
  for (i = 0; i < 17; i++)
    km_rng_gaussian (&a);
  b = a;
  for (i = 0; i < 100; i++) {
    g_assert_cmphex (km_rng_next (&a), ==, km_rng_next (&b));
    g_assert_cmpfloat (km_rng_gaussian (&a), ==, km_rng_gaussian (&b));
    g_assert_cmpuint (km_rng_uniform_int (&a, 7), ==,
        km_rng_uniform_int (&b, 7));
  }
  km_rng_seed (&b, 124);
  km_rng_seed (&a, 123);
  g_assert_cmphex (km_rng_next (&a), !=, km_rng_next (&b));
}

static void
test_uniform_int (void)
{
  const guint64 n = 10, draws = 100000;
  guint64 hist[10] = { 0 }, i;
  gdouble chi2 = 0.0, expect = (gdouble) draws / n;
  KmRng rng;
  gboolean high = FALSE;

  km_rng_seed (&rng, 1);
  for (i = 0; i < draws; i++) {
    guint64 v = km_rng_uniform_int (&rng, n);

    g_assert_cmpuint (v, <, n);
    hist[v]++;
  }
  for (i = 0; i < n; i++)
    chi2 += (hist[i] - expect) * (hist[i] - expect) / expect;
  /* 9 degrees of freedom: P(chi2 > 33) < 1.5e-4. */
  g_assert_cmpfloat (chi2, <, 33.0);

  for (i = 0; i < 100; i++)
    g_assert_cmpuint (km_rng_uniform_int (&rng, 1), ==, 0);
  /* A range near 2^64: values stay below it and reach the top half. */
  for (i = 0; i < 1000; i++) {
    guint64 big = G_GUINT64_CONSTANT (0xc000000000000001);
    guint64 v = km_rng_uniform_int (&rng, big);

    g_assert_cmpuint (v, <, big);
    high |= v > big / 2;
  }
  g_assert_true (high);
}

static void
test_uniform_and_gaussian (void)
{
  const guint n = 200000;
  KmRng rng;
  gdouble sum = 0, sq = 0, gsum = 0, gsq = 0, g4 = 0;
  guint i, below = 0;

  km_rng_seed (&rng, 2);
  for (i = 0; i < n; i++) {
    gdouble u = km_rng_uniform (&rng), g = km_rng_gaussian (&rng);

    g_assert_cmpfloat (u, >=, 0.0);
    g_assert_cmpfloat (u, <, 1.0);
    g_assert_true (isfinite (g));
    sum += u;
    sq += u * u;
    gsum += g;
    gsq += g * g;
    g4 += g * g * g * g;
    below += g < -1.0;
  }
  /* Means and variances within about 5 standard errors. */
  kmt_assert_close (sum / n, 0.5, 5 * 0.2887 / sqrt (n), 0);
  kmt_assert_close (sq / n - (sum / n) * (sum / n), 1.0 / 12, 2e-3, 0);
  kmt_assert_close (gsum / n, 0.0, 5 / sqrt (n), 0);
  kmt_assert_close (gsq / n, 1.0, 5 * sqrt (2.0 / n), 0);
  kmt_assert_close (g4 / n, 3.0, 0.1, 0);
  kmt_assert_close ((gdouble) below / n, 0.158655, 5e-3, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rng/reference-stream", test_reference_stream);
  g_test_add_func ("/rng/state-is-plain-data", test_state_is_plain_data);
  g_test_add_func ("/rng/uniform-int", test_uniform_int);
  g_test_add_func ("/rng/uniform-and-gaussian", test_uniform_and_gaussian);

  return g_test_run ();
}

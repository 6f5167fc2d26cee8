/* Relative-tolerance stopping (docs/algorithm.md §5.3, §8.4). */
#include "kmtest.h"

/* k = 1, d = 1, mini-batch with N = 100: the master stays at 0 for 100
 * steps, so each loss is exactly the batch's sum of x^2. */
static KmTrainer *
frozen_trainer (gdouble tol)
{
  KmConfig cfg;
  KmTrainer *t;
  const gfloat zero = 0;

  km_config_init (&cfg);
  cfg.k = 1;
  cfg.d = 1;
  cfg.init = KM_INIT_GIVEN;
  cfg.steps_per_sync = 100;
  cfg.relative_tolerance = tol;
  t = kmt_trainer_new (&cfg);
  kmt_set_centers (t, &zero);
  return t;
}

/* Feeds one point at distance sqrt(loss) from 0; returns the result. */
static KmFeedResult
feed_loss (KmTrainer * t, gdouble loss)
{
  gfloat x = (gfloat) sqrt (loss);
  KmStepInfo info;
  GError *error = NULL;
  KmFeedResult r = km_trainer_feed (t, &x, 1, &info, &error);

  g_assert_no_error (error);
  kmt_assert_close (info.loss, loss, 0, 1e-6);
  return r;
}

/* Losses 100 then 99.99 with tolerance 1e-4: 0.01/101 = 9.9e-5, stop after
 * step 2; a tolerance of 9.8e-5 does not stop. */
static void
test_stops_after_step_two (void)
{
  KmTrainer *t = frozen_trainer (1e-4);
  gfloat before, x = 1;

  g_assert_cmpint (feed_loss (t, 100), ==, KM_FEED_TRAINED);
  before = t->working[0];
  g_assert_cmpint (feed_loss (t, 99.99), ==, KM_FEED_CONVERGED);
  /* The converging step still updated (the working copy here). */
  g_assert_cmpfloat (t->working[0], !=, before);
  g_assert_cmpuint (km_trainer_get_step (t), ==, 2);
  g_assert_true (km_trainer_is_converged (t));
  /* Later batches are skipped: no step, no update. */
  before = t->working[0];
  g_assert_cmpint (kmt_feed (t, &x, 1), ==, KM_FEED_SKIPPED);
  g_assert_cmpint (kmt_feed (t, &x, 1), ==, KM_FEED_SKIPPED);
  g_assert_cmpuint (km_trainer_get_step (t), ==, 2);
  g_assert_cmpfloat (t->working[0], ==, before);
  km_trainer_free (t);

  t = frozen_trainer (9.8e-5);
  g_assert_cmpint (feed_loss (t, 100), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 99.99), ==, KM_FEED_TRAINED);
  g_assert_false (km_trainer_is_converged (t));
  km_trainer_free (t);
}

/* The first step never stops; identical losses stop at step 2. */
static void
test_first_step_never_stops (void)
{
  KmTrainer *t = frozen_trainer (1e-9);

  g_assert_cmpint (feed_loss (t, 4), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 4), ==, KM_FEED_CONVERGED);
  km_trainer_free (t);
}

/* A previous loss of exactly 0 skips the check (Python truthiness). */
static void
test_zero_previous_loss_skips (void)
{
  KmTrainer *t = frozen_trainer (0.5);

  g_assert_cmpint (feed_loss (t, 5), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 0), ==, KM_FEED_TRAINED);
  /* prev = 0: no check, although |0 - 0| / 1 = 0 < 0.5. */
  g_assert_cmpint (feed_loss (t, 0), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 0), ==, KM_FEED_TRAINED);
  /* prev = 0 again: still no check however close. */
  g_assert_cmpint (feed_loss (t, 0.1), ==, KM_FEED_TRAINED);
  /* prev = 0.1: |0.12 - 0.1| / 1.1 < 0.5. */
  g_assert_cmpint (feed_loss (t, 0.12), ==, KM_FEED_CONVERGED);
  km_trainer_free (t);
}

/* The rule compares successive losses, not the first with the latest. */
static void
test_successive_losses (void)
{
  KmTrainer *t = frozen_trainer (0.01);

  g_assert_cmpint (feed_loss (t, 1000), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 500), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 250), ==, KM_FEED_TRAINED);
  g_assert_cmpint (feed_loss (t, 249), ==, KM_FEED_CONVERGED);
  km_trainer_free (t);
}

/* Tolerance <= 0 disables the rule. */
static void
test_disabled (void)
{
  gdouble tols[] = { 0.0, -1.0 };
  guint i, s;

  for (i = 0; i < 2; i++) {
    KmTrainer *t = frozen_trainer (tols[i]);

    for (s = 0; s < 10; s++)
      g_assert_cmpint (feed_loss (t, 3), ==, KM_FEED_TRAINED);
    g_assert_false (km_trainer_is_converged (t));
    km_trainer_free (t);
  }
}

/* Full batch on fixed data: Lloyd reaches a fixed point, the loss stops
 * changing, and the tolerance ends training. */
static void
test_full_batch_converges (void)
{
  KmConfig cfg;
  KmTrainer *t;
  KmRng rng;
  gfloat *x;
  guint steps = 0;
  KmFeedResult r;

  km_config_init (&cfg);
  cfg.k = 4;
  cfg.d = 3;
  cfg.mini_batch = FALSE;
  cfg.init = KM_INIT_KMEANS_PLUS_PLUS;
  cfg.relative_tolerance = 1e-6;
  t = kmt_trainer_new (&cfg);
  km_rng_seed (&rng, 1);
  x = kmt_gaussian_matrix (&rng, 300, 3, 1.0);
  g_assert_cmpint (kmt_feed (t, x, 300), ==, KM_FEED_INIT);
  while ((r = kmt_feed (t, x, 300)) == KM_FEED_TRAINED)
    g_assert_cmpuint (++steps, <, 500);
  g_assert_cmpint (r, ==, KM_FEED_CONVERGED);
  g_assert_cmpuint (km_trainer_get_step (t), >=, 2);
  g_free (x);
  km_trainer_free (t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tolerance/stops-after-step-two",
      test_stops_after_step_two);
  g_test_add_func ("/tolerance/first-step-never-stops",
      test_first_step_never_stops);
  g_test_add_func ("/tolerance/zero-previous-loss",
      test_zero_previous_loss_skips);
  g_test_add_func ("/tolerance/successive", test_successive_losses);
  g_test_add_func ("/tolerance/disabled", test_disabled);
  g_test_add_func ("/tolerance/full-batch-converges",
      test_full_batch_converges);

  return g_test_run ();
}

/* Helper of test_kill_save.py: trains with the core API and writes a
 * checkpoint after every step, as fast as it can, so that nearly all of
 * its time is spent inside km_trainer_save() and a SIGKILL at a random
 * moment almost always lands in the middle of a write.
 *
 *   ckpt-writer CHECKPOINT STEPS
 *
 * Resumes from CHECKPOINT when it exists (exit status 2 if that fails:
 * a restart must always find a loadable checkpoint), then trains until
 * the global step reaches STEPS.  The batch of step s is generated from
 * s alone, so a resumed run trains exactly what an uninterrupted one
 * would.  After each completed save it prints "saved S" (flushed): a step
 * announced this way must never be lost.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kmeans.h"

#define K 8
#define D 16
#define B 64

/* Deterministic points for step @step (0: the initialisation batch). */
static void
batch_for_step (guint64 step, gfloat * points)
{
  KmRng rng;
  guint i, j;

  km_rng_seed (&rng, 1000 + step);
  for (i = 0; i < B; i++) {
    guint cluster = i % K;

    for (j = 0; j < D; j++)
      points[i * D + j] = (gfloat) (10.0 * cluster + j
          + km_rng_gaussian (&rng));
  }
}

int
main (int argc, char **argv)
{
  static gfloat points[B * D];
  GError *error = NULL;
  KmTrainer *trainer;
  KmConfig cfg;
  guint64 steps;

  if (argc != 3) {
    g_printerr ("usage: ckpt-writer CHECKPOINT STEPS\n");
    return 1;
  }
  steps = g_ascii_strtoull (argv[2], NULL, 10);

  km_config_init (&cfg);
  cfg.k = K;
  cfg.d = D;
  cfg.seed = 7;
  trainer = km_trainer_new (&cfg, &error);
  if (trainer == NULL) {
    g_printerr ("ckpt-writer: %s\n", error->message);
    return 1;
  }
  if (g_file_test (argv[1], G_FILE_TEST_EXISTS)
      && !km_trainer_load (trainer, argv[1], &error)) {
    g_printerr ("ckpt-writer: cannot resume: %s\n", error->message);
    return 2;
  }
  if (km_trainer_get_step (trainer) == 0 && !km_trainer_is_initialized
      (trainer)) {
    batch_for_step (0, points);
    km_trainer_feed (trainer, points, B, NULL, NULL);
  }
  g_print ("resumed %" G_GUINT64_FORMAT "\n", km_trainer_get_step (trainer));
  fflush (stdout);

  while (km_trainer_get_step (trainer) < steps) {
    batch_for_step (km_trainer_get_step (trainer) + 1, points);
    if (km_trainer_feed (trainer, points, B, NULL, &error) == KM_FEED_ERROR
        || !km_trainer_save (trainer, argv[1], &error)) {
      g_printerr ("ckpt-writer: %s\n", error->message);
      return 1;
    }
    g_print ("saved %" G_GUINT64_FORMAT "\n", km_trainer_get_step (trainer));
    fflush (stdout);
  }
  km_trainer_free (trainer);
  return 0;
}

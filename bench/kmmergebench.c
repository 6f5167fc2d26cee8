/* gst-kmeans: what one hub round costs, by workers W and model size K x D.
 *
 * Per round, as kmeans-hub does it: read W serialised statistics records
 * (km_stats_deserialize: every check and the CRC), merge them in double,
 * apply the sum to the master trainer, and serialise the new model for the
 * workers.  Prints one line per (K, D, W): microseconds per round, the
 * bytes a round moves (W records in, W models out), and the contributions
 * per second one hub core can take.
 *
 *   build/bench/kmmergebench [--rounds N]
 */
#include <stdio.h>
#include <stdlib.h>

#include "kmeans.h"
#include "kmstats.h"

static const guint shapes[][2] = { {8, 3}, {64, 16}, {256, 128}, {1024, 128} };
static const guint workers[] = { 1, 2, 4, 8 };

#define BATCH 4096

static KmTrainer *
make_trainer (guint k, guint d, gfloat * centers)
{
  KmConfig cfg;
  KmTrainer *trainer;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.init = KM_INIT_GIVEN;
  trainer = km_trainer_new (&cfg, NULL);
  if (!km_trainer_set_centers (trainer, centers, k, d, NULL))
    g_error ("set_centers failed");
  return trainer;
}

/* One worker's serialised round: a batch of Gaussian points. */
static guint8 *
make_record (KmModel * model, guint32 worker, GRand * rng, gsize * len)
{
  guint d = km_model_get_d (model);
  gfloat *points = g_new (gfloat, (gsize) BATCH * d);
  KmStats *stats = km_stats_new_for_model (model, worker, 1);
  guint8 *bytes;
  gsize i;

  for (i = 0; i < (gsize) BATCH * d; i++)
    points[i] = (gfloat) g_rand_double_range (rng, -10, 10);
  if (!km_stats_accumulate (stats, model, points, BATCH, NULL))
    g_error ("accumulate failed");
  bytes = km_stats_serialize (stats, len);
  km_stats_free (stats);
  g_free (points);
  return bytes;
}

static gdouble
time_rounds (KmTrainer * trainer, guint8 ** records, gsize len, guint w,
    guint rounds, gsize * model_len)
{
  gint64 start = g_get_monotonic_time ();
  guint r, i;

  for (r = 0; r < rounds; r++) {
    KmStats *merged = NULL;
    KmModel *model;
    guint8 *out;

    for (i = 0; i < w; i++) {
      KmStats *s = km_stats_deserialize (records[i], len, NULL);

      if (s == NULL)
        g_error ("deserialize failed");
      if (merged == NULL) {
        merged = s;
        continue;
      }
      if (!km_stats_merge (merged, s, NULL))
        g_error ("merge failed");
      km_stats_free (s);
    }
    /* Records were made against version 1: allow the lag, same work. */
    if (km_trainer_apply_stats (trainer, merged, G_MAXUINT64, NULL,
            NULL) == KM_FEED_ERROR)
      g_error ("apply failed");
    km_stats_free (merged);
    model = km_trainer_get_model (trainer);
    out = km_model_serialize (model, model_len);
    g_free (out);
    km_model_unref (model);
  }
  return (g_get_monotonic_time () - start) / (gdouble) rounds;
}

int
main (int argc, char **argv)
{
  guint rounds = argc > 2 && g_str_equal (argv[1], "--rounds") ?
      (guint) atoi (argv[2]) : 200;
  GRand *rng = g_rand_new_with_seed (1);
  guint s, wi, i;

  printf ("%6s %5s %3s %12s %14s %14s %16s\n", "K", "D", "W", "us/round",
      "bytes in", "bytes out", "contributions/s");
  for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
    guint k = shapes[s][0], d = shapes[s][1];
    gfloat *centers = g_new (gfloat, (gsize) k * d);
    guint8 *records[8];
    KmTrainer *trainer;
    KmModel *model;
    gsize len = 0, model_len = 0;

    for (i = 0; i < k * d; i++)
      centers[i] = (gfloat) g_rand_double_range (rng, -10, 10);
    trainer = make_trainer (k, d, centers);
    model = km_trainer_get_model (trainer);
    for (i = 0; i < 8; i++)
      records[i] = make_record (model, i + 1, rng, &len);
    km_model_unref (model);
    for (wi = 0; wi < G_N_ELEMENTS (workers); wi++) {
      guint w = workers[wi];
      guint n = MAX (rounds * 8 / w / (k * d > 100000 ? 8 : 1), 5);
      gdouble us = time_rounds (trainer, records, len, w, n, &model_len);

      printf ("%6u %5u %3u %12.1f %14" G_GSIZE_FORMAT " %14" G_GSIZE_FORMAT
          " %16.0f\n", k, d, w, us, w * len, w * model_len, w * 1e6 / us);
    }
    for (i = 0; i < 8; i++)
      g_free (records[i]);
    km_trainer_free (trainer);
    g_free (centers);
  }
  g_rand_free (rng);
  return 0;
}

/* gst-kmeans core tests: finite points keep the model finite on every
 * update path, the checkpoint writer never leaves a file the loader
 * refuses, and paths that are not regular files never block
 * (RELIABILITY.md §1). */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmtest.h"

/* Uniform float32 points in [lo, hi), n rows of d. */
static gfloat *
uniform_points (guint64 seed, gsize n, guint d, gdouble lo, gdouble hi)
{
  KmRng rng;
  gfloat *x = g_new (gfloat, n * d);
  gsize i;

  km_rng_seed (&rng, seed);
  for (i = 0; i < n * d; i++)
    x[i] = (gfloat) (lo + (hi - lo) * km_rng_uniform (&rng));
  return x;
}

typedef struct
{
  const gchar *name;
  gboolean mini_batch;
  guint steps_per_sync;
  gdouble decay;
  KmTimeUnit unit;
  KmMetric metric;
} UpdatePath;

static const UpdatePath update_paths[] = {
  {"mini-batch", TRUE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN},
  {"mini-batch-N3", TRUE, 3, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN},
  {"full-batch", FALSE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN},
  {"decay-batches", TRUE, 1, 0.5, KM_TIME_UNIT_BATCHES,
      KM_METRIC_SQUARED_EUCLIDEAN},
  /* Forgets fast enough that the dying-cluster split runs. */
  {"decay-points", TRUE, 1, 0.9, KM_TIME_UNIT_POINTS,
      KM_METRIC_SQUARED_EUCLIDEAN},
  {"cosine", TRUE, 1, 1.0, KM_TIME_UNIT_BATCHES, KM_METRIC_COSINE},
  {"cosine-full-batch", FALSE, 1, 1.0, KM_TIME_UNIT_BATCHES,
      KM_METRIC_COSINE},
};

static const gdouble ranges[][2] = {
  {1e36, 2e36},                 /* float32 sums of 5000 overflow */
  {3.0e38, 3.4e38},             /* at the edge of float32 */
  {-3.4e38, 3.4e38},
};

static void
assert_all_finite (const gfloat * v, gsize n, const gchar * what)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (!isfinite (v[i]))
      g_error ("%s[%" G_GSIZE_FORMAT "] = %g", what, i, v[i]);
}

/* 5,000 finite points near the float32 limit, in batches of 500, through
 * every update path: every step trains, the centers stay finite, and the
 * checkpoint the trainer writes loads back, as a trainer and as a model. */
static void
test_large_points_stay_finite (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "model.ckpt", NULL);
  guint p, r;

  for (p = 0; p < G_N_ELEMENTS (update_paths); p++) {
    for (r = 0; r < G_N_ELEMENTS (ranges); r++) {
      const UpdatePath *u = &update_paths[p];
      gfloat *x = uniform_points (p * 10 + r, 5000, 2, ranges[r][0],
          ranges[r][1]);
      KmConfig cfg;
      KmTrainer *t, *back;
      KmModel *model;
      GError *error = NULL;
      gsize b;

      km_config_init (&cfg);
      cfg.k = 2;
      cfg.d = 2;
      cfg.mini_batch = u->mini_batch;
      cfg.steps_per_sync = u->steps_per_sync;
      cfg.decay_factor = u->decay;
      cfg.time_unit = u->unit;
      cfg.metric = u->metric;
      cfg.seed = 7;
      g_test_message ("%s, points in [%g, %g]", u->name, ranges[r][0],
          ranges[r][1]);
      t = kmt_trainer_new (&cfg);
      for (b = 0; b < 10; b++)
        kmt_feed (t, x + b * 500 * 2, 500);
      assert_all_finite (t->master, 4, "master");
      if (t->working != NULL)
        assert_all_finite (t->working, 4, "working");

      g_assert_true (km_trainer_save (t, path, &error));
      g_assert_no_error (error);
      back = kmt_trainer_new (&cfg);
      g_assert_true (km_trainer_load (back, path, &error));
      g_assert_no_error (error);
      model = km_checkpoint_load_model (path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (model);
      km_model_unref (model);
      km_trainer_free (back);
      km_trainer_free (t);
      g_free (x);
    }
  }
  g_unlink (path);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

static gchar *
read_all (const gchar * path, gsize * len)
{
  gchar *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, len, NULL));
  return data;
}

/* A trainer whose state the loader would refuse (a NaN center, as a bug
 * could leave) does not write it: the save fails naming the file, the
 * previous checkpoint stays byte for byte, and no temporary file is left. */
static void
test_writer_refuses_what_loader_rejects (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "model.ckpt", NULL);
  gfloat *x = uniform_points (3, 100, 2, -1.0, 1.0);
  KmConfig cfg;
  KmTrainer *t;
  GError *error = NULL;
  gchar *before, *after;
  gsize before_len, after_len;
  GDir *d;
  const gchar *entry;

  km_config_init (&cfg);
  cfg.k = 2;
  cfg.d = 2;
  t = kmt_trainer_new (&cfg);
  kmt_feed (t, x, 100);
  kmt_feed (t, x, 100);
  g_assert_true (km_trainer_save (t, path, &error));
  before = read_all (path, &before_len);

  t->master[1] = NAN;
  g_assert_false (km_trainer_save (t, path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "does not load back"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  after = read_all (path, &after_len);
  g_assert_cmpmem (before, before_len, after, after_len);
  d = g_dir_open (dir, 0, NULL);
  while ((entry = g_dir_read_name (d)) != NULL)
    g_assert_cmpstr (entry, ==, "model.ckpt");
  g_dir_close (d);

  g_free (before);
  g_free (after);
  g_free (x);
  km_trainer_free (t);
  g_unlink (path);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* A FIFO with no writer where a checkpoint, a model or a centers file is
 * expected: each loader refuses it at once, naming it, instead of
 * blocking in open().  An alarm turns a hang into a failure. */
static void
test_fifo_never_blocks (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *fifo = g_build_filename (dir, "f.ckpt", NULL);
  KmConfig cfg;
  KmTrainer *t;
  KmModel *model;
  GError *error = NULL;
  guint k, d;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  alarm (20);

  km_config_init (&cfg);
  cfg.k = 2;
  cfg.d = 2;
  t = kmt_trainer_new (&cfg);
  g_assert_false (km_trainer_load (t, fifo, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_assert_nonnull (strstr (error->message, "FIFO"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  km_trainer_free (t);

  model = km_checkpoint_load_model (fifo, &error);
  g_assert_null (model);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "FIFO"));
  g_clear_error (&error);

  g_assert_null (km_centers_load_text (fifo, &k, &d, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "FIFO"));
  g_clear_error (&error);

  alarm (0);
  g_unlink (fifo);
  g_free (fifo);
  kmt_rmdir (dir);
  g_free (dir);
}

gint
main (gint argc, gchar ** argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/finite/large-points-stay-finite",
      test_large_points_stay_finite);
  g_test_add_func ("/finite/writer-refuses-what-loader-rejects",
      test_writer_refuses_what_loader_rejects);
  g_test_add_func ("/files/fifo-never-blocks", test_fifo_never_blocks);
  return g_test_run ();
}

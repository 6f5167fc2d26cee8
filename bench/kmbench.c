/* gst-kmeans benchmark of the core library, the C half of bench/run.sh.
 *
 * Reads the points and initial centers bench/kmbench.py generated (raw
 * float32, row-major), then measures, best of --repeat runs:
 *
 *  - train: one pass of mini-batch training in batches of --batch points
 *    from the given initial centers (what MiniBatchKMeans.partial_fit
 *    does per batch on the Python side);
 *  - assign: the nearest center of all N points against the fixed initial
 *    centers in one call (the peer: KMeans.predict on all N), and in
 *    --batch sized calls (what kmeans-assign does per buffer);
 *  - train+assign: per batch a training step, then the new model assigns
 *    the batch: the work of `kmeans-train ! kmeans-assign` without
 *    GStreamer, the reference for the pipeline figures;
 *  - SGEMM: cblas_sgemm on a large square product and on the distance
 *    step's own shape, to put the assignment's GFLOP/s in proportion.
 *
 * It also evaluates the final inertia of its own trained centers and of
 * the peer's (--peer-centers), with the same code (exact distances,
 * summed in double), and the agreement of its labels with the peer's
 * (--peer-labels).  The result is one JSON object on stdout.
 *
 * Timing only lives here: the tests assert behaviour, never speed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

#include "kmeans.h"

typedef struct
{
  const gchar *points_path;
  const gchar *init_path;
  const gchar *peer_centers_path;
  const gchar *peer_labels_path;
  const gchar *centers_out_path;
  const gchar *checkpoint_out_path;
  gint64 n;
  gint d;
  gint k;
  gint batch;
  gint repeat;
  gboolean skip_sgemm;
  gdouble initial_count;
} Options;

typedef struct
{
  gdouble best;
  gdouble median;
  gdouble times[16];
  guint runs;
} Timing;

static gboolean use_cpu_time;

/* Wall time; or the process's CPU time (all threads) with --cpu-time,
 * for comparing kernels on a machine busy with other work. */
static gdouble
now (void)
{
  struct timespec ts;

  if (!use_cpu_time)
    return g_get_monotonic_time () / 1e6;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
timing_add (Timing * t, gdouble seconds)
{
  if (t->runs < G_N_ELEMENTS (t->times))
    t->times[t->runs++] = seconds;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static void
timing_finish (Timing * t)
{
  gdouble sorted[G_N_ELEMENTS (t->times)];

  memcpy (sorted, t->times, t->runs * sizeof (gdouble));
  qsort (sorted, t->runs, sizeof (gdouble), cmp_double);
  t->best = sorted[0];
  t->median = sorted[t->runs / 2];
}

static void
print_timing (const gchar * name, const Timing * t, gdouble items,
    const gchar * more)
{
  guint i;

  g_print ("  \"%s\": {\"best_s\": %.6f, \"median_s\": %.6f, "
      "\"per_s\": %.1f, \"runs_s\": [", name, t->best, t->median,
      items / t->best);
  for (i = 0; i < t->runs; i++)
    g_print ("%s%.6f", i ? ", " : "", t->times[i]);
  g_print ("]%s%s},\n", more ? ", " : "", more ? more : "");
}

static gfloat *
load_floats (const gchar * path, gsize expect)
{
  gchar *contents = NULL;
  gsize length = 0;
  GError *error = NULL;

  if (!g_file_get_contents (path, &contents, &length, &error)) {
    g_printerr ("kmbench: %s\n", error->message);
    exit (1);
  }
  if (length != expect * sizeof (gfloat)) {
    g_printerr ("kmbench: %s has %" G_GSIZE_FORMAT " bytes, expected %"
        G_GSIZE_FORMAT "\n", path, length, expect * sizeof (gfloat));
    exit (1);
  }
  return (gfloat *) contents;
}

static KmModel *
model_or_die (const Options * o, const gfloat * centers)
{
  GError *error = NULL;
  KmModel *m = km_model_new (o->k, o->d, KM_METRIC_SQUARED_EUCLIDEAN,
      centers, 1, &error);

  if (m == NULL) {
    g_printerr ("kmbench: %s\n", error->message);
    exit (1);
  }
  return m;
}

static KmTrainer *
trainer_or_die (const Options * o, const gfloat * init)
{
  GError *error = NULL;
  KmConfig cfg;
  KmTrainer *t;

  km_config_init (&cfg);
  cfg.k = o->k;
  cfg.d = o->d;
  cfg.init = KM_INIT_GIVEN;
  cfg.initial_count = o->initial_count;
  t = km_trainer_new (&cfg, &error);
  if (t == NULL || !km_trainer_set_centers (t, init, o->k, o->d, &error)) {
    g_printerr ("kmbench: %s\n", error->message);
    exit (1);
  }
  return t;
}

static void
feed_or_die (KmTrainer * t, const gfloat * x, gsize n)
{
  GError *error = NULL;

  if (km_trainer_feed (t, x, n, NULL, &error) == KM_FEED_ERROR) {
    g_printerr ("kmbench: %s\n", error->message);
    exit (1);
  }
}

/* One pass over the points, one training step per batch. */
static gdouble
train_pass (const Options * o, const gfloat * x, const gfloat * init,
    gfloat * final_centers)
{
  KmTrainer *t = trainer_or_die (o, init);
  gdouble start, elapsed;
  gint64 i;

  start = now ();
  for (i = 0; i < o->n; i += o->batch) {
    gsize b = MIN (o->batch, o->n - i);

    feed_or_die (t, x + i * o->d, b);
  }
  elapsed = now () - start;
  if (final_centers != NULL) {
    KmModel *m = km_trainer_get_model (t);

    memcpy (final_centers, km_model_get_centers (m),
        (gsize) o->k * o->d * sizeof (gfloat));
    km_model_unref (m);
  }
  km_trainer_free (t);
  return elapsed;
}

/* What kmeans-train ! kmeans-assign do per buffer, minus GStreamer: a
 * training step, a snapshot of the new model, the batch assigned. */
static gdouble
train_assign_pass (const Options * o, const gfloat * x, const gfloat * init,
    gint32 * idx, gfloat * dist)
{
  KmTrainer *t = trainer_or_die (o, init);
  KmWorkspace *ws = km_workspace_new ();
  gdouble start, elapsed;
  gint64 i;

  start = now ();
  for (i = 0; i < o->n; i += o->batch) {
    gsize b = MIN (o->batch, o->n - i);
    KmModel *m;

    feed_or_die (t, x + i * o->d, b);
    m = km_trainer_get_model (t);
    km_model_assign (m, x + i * o->d, b, idx, dist, ws);
    km_model_unref (m);
  }
  elapsed = now () - start;
  km_workspace_free (ws);
  km_trainer_free (t);
  return elapsed;
}

static gdouble
assign_pass (const Options * o, KmModel * m, const gfloat * x, gsize chunk,
    gint32 * idx, gfloat * dist, KmWorkspace * ws, gdouble * total)
{
  gdouble start, sum = 0.0;
  gint64 i;

  start = now ();
  for (i = 0; i < o->n; i += chunk) {
    gsize b = MIN ((gint64) chunk, o->n - i);

    sum += km_model_assign (m, x + i * o->d, b, idx + i, dist + i, ws);
  }
  if (total != NULL)
    *total = sum;
  return now () - start;
}

/* Full-data inertia of @centers: exact distances summed in double. */
static gdouble
inertia (const Options * o, const gfloat * centers, const gfloat * x,
    gint32 * idx, gfloat * dist)
{
  KmModel *m = model_or_die (o, centers);
  KmWorkspace *ws = km_workspace_new ();
  gdouble total;

  assign_pass (o, m, x, o->n, idx, dist, ws, &total);
  km_workspace_free (ws);
  km_model_unref (m);
  return total;
}

/* A checkpoint of an untrained model with the initial centers, so that
 * kmeans-assign model-location=... assigns against the same fixed centers
 * as the core benchmark. */
static void
save_initial_checkpoint (const Options * o, const gfloat * init)
{
  KmTrainer *t = trainer_or_die (o, init);
  GError *error = NULL;

  if (!km_trainer_save (t, o->checkpoint_out_path, &error)) {
    g_printerr ("kmbench: %s\n", error->message);
    exit (1);
  }
  km_trainer_free (t);
}

static gdouble
sgemm_rate (gint m, gint n, gint k, gint repeat)
{
  gfloat *a = g_new (gfloat, (gsize) m * k);
  gfloat *b = g_new (gfloat, (gsize) n * k);
  gfloat *c = g_new (gfloat, (gsize) m * n);
  gdouble best = G_MAXDOUBLE;
  gsize i;
  gint r;

  for (i = 0; i < (gsize) m * k; i++)
    a[i] = (gfloat) ((i * 7919) % 1000) / 1000.0f;
  for (i = 0; i < (gsize) n * k; i++)
    b[i] = (gfloat) ((i * 104729) % 1000) / 1000.0f;
  for (r = 0; r < repeat + 1; r++) {
    gdouble start = now (), t;

    /* The distance step's layout: points row-major times centers^T. */
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k,
        b, k, 0.0f, c, n);
    t = now () - start;
    if (r > 0)                  /* the first call warms OpenBLAS up */
      best = MIN (best, t);
  }
  g_free (a);
  g_free (b);
  g_free (c);
  return 2.0 * m * n * (gdouble) k / best / 1e9;
}

static gboolean
parse_options (int argc, char **argv, Options * o)
{
  GOptionEntry entries[] = {
    {"points", 0, 0, G_OPTION_ARG_FILENAME, &o->points_path,
        "Raw float32 points, N rows of D", "FILE"},
    {"init", 0, 0, G_OPTION_ARG_FILENAME, &o->init_path,
        "Raw float32 initial centers, K rows of D", "FILE"},
    {"peer-centers", 0, 0, G_OPTION_ARG_FILENAME, &o->peer_centers_path,
        "The peer's final centers (raw float32), for its inertia", "FILE"},
    {"peer-labels", 0, 0, G_OPTION_ARG_FILENAME, &o->peer_labels_path,
        "The peer's labels for the initial centers (raw int32)", "FILE"},
    {"centers-out", 0, 0, G_OPTION_ARG_FILENAME, &o->centers_out_path,
        "Where to write our final centers (raw float32)", "FILE"},
    {"checkpoint-out", 0, 0, G_OPTION_ARG_FILENAME, &o->checkpoint_out_path,
        "Write a checkpoint holding the initial centers (for kmeans-assign "
          "model-location)", "FILE"},
    {"n", 'n', 0, G_OPTION_ARG_INT64, &o->n, "Number of points N", "N"},
    {"d", 'd', 0, G_OPTION_ARG_INT, &o->d, "Dimension D", "D"},
    {"k", 'k', 0, G_OPTION_ARG_INT, &o->k, "Number of clusters K", "K"},
    {"batch", 'b', 0, G_OPTION_ARG_INT, &o->batch,
        "Points per training step and per assign call (4096)", "B"},
    {"repeat", 'r', 0, G_OPTION_ARG_INT, &o->repeat,
        "Timed runs of each measurement, the best is reported (3)", "R"},
    {"initial-count", 0, 0, G_OPTION_ARG_DOUBLE, &o->initial_count,
        "Count each initial center starts with (1, TF; sklearn uses 0)", "C"},
    {"cpu-time", 0, 0, G_OPTION_ARG_NONE, &use_cpu_time,
        "Measure CPU time of the process instead of wall time", NULL},
    {"skip-sgemm", 0, 0, G_OPTION_ARG_NONE, &o->skip_sgemm,
        "Do not measure the SGEMM reference rates", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- k-means core benchmark");
  GError *error = NULL;
  gboolean ok;

  o->batch = 4096;
  o->repeat = 3;
  o->initial_count = 1.0;
  g_option_context_add_main_entries (ctx, entries, NULL);
  ok = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("kmbench: %s\n", error->message);
    g_error_free (error);
    return FALSE;
  }
  if (!o->points_path || !o->init_path || o->n <= 0 || o->d <= 0 || o->k <= 0
      || o->batch <= 0 || o->repeat <= 0 || o->repeat > 16) {
    g_printerr ("kmbench: --points, --init, -n, -d, -k are required "
        "(and --repeat is 1..16)\n");
    return FALSE;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Options o = { 0, };
  gfloat *x, *init, *ours, *peer = NULL;
  gint32 *idx, *peer_labels = NULL;
  gfloat *dist;
  KmModel *fixed;
  KmWorkspace *ws;
  Timing train = { 0, }, assign = { 0, }, assign_b = { 0, }, both = { 0, };
  gdouble flops, total = 0.0, in_ours, in_peer = NAN;
  gchar more[256];
  gint r;

  if (!parse_options (argc, argv, &o))
    return 2;

  x = load_floats (o.points_path, (gsize) o.n * o.d);
  init = load_floats (o.init_path, (gsize) o.k * o.d);
  if (o.checkpoint_out_path)
    save_initial_checkpoint (&o, init);
  ours = g_new (gfloat, (gsize) o.k * o.d);
  idx = g_new (gint32, o.n);
  dist = g_new (gfloat, o.n);
  ws = km_workspace_new ();
  fixed = model_or_die (&o, init);
  flops = 2.0 * o.n * o.k * (gdouble) o.d;

  /* Warm-up: page the data in, start any threads. */
  assign_pass (&o, fixed, x, o.n, idx, dist, ws, NULL);

  for (r = 0; r < o.repeat; r++) {
    timing_add (&train, train_pass (&o, x, init, r == 0 ? ours : NULL));
    timing_add (&assign, assign_pass (&o, fixed, x, o.n, idx, dist, ws,
            &total));
    timing_add (&assign_b, assign_pass (&o, fixed, x, o.batch, idx, dist, ws,
            NULL));
    timing_add (&both, train_assign_pass (&o, x, init, idx, dist));
  }
  timing_finish (&train);
  timing_finish (&assign);
  timing_finish (&assign_b);
  timing_finish (&both);

  g_print ("{\n  \"n\": %" G_GINT64_FORMAT ", \"d\": %d, \"k\": %d, "
      "\"batch\": %d, \"repeat\": %d, \"initial_count\": %g,\n",
      o.n, o.d, o.k, o.batch, o.repeat, o.initial_count);
  print_timing ("train", &train, o.n, NULL);
  g_snprintf (more, sizeof (more), "\"gflops\": %.2f", flops / assign.best
      / 1e9);
  print_timing ("assign", &assign, o.n, more);
  g_snprintf (more, sizeof (more), "\"gflops\": %.2f", flops / assign_b.best
      / 1e9);
  print_timing ("assign_batched", &assign_b, o.n, more);
  print_timing ("train_assign", &both, o.n, NULL);

  /* Labels of the fixed-center assignment, compared with the peer's. */
  assign_pass (&o, fixed, x, o.n, idx, dist, ws, &total);
  g_print ("  \"assign_loss\": %.17g,\n", total);
  if (o.peer_labels_path) {
    gint64 i, same = 0;

    peer_labels = (gint32 *) load_floats (o.peer_labels_path, o.n);
    for (i = 0; i < o.n; i++)
      same += idx[i] == peer_labels[i];
    g_print ("  \"label_agreement\": %.9f,\n", (gdouble) same / o.n);
  }

  in_ours = inertia (&o, ours, x, idx, dist);
  if (o.peer_centers_path) {
    peer = load_floats (o.peer_centers_path, (gsize) o.k * o.d);
    in_peer = inertia (&o, peer, x, idx, dist);
  }
  if (isnan (in_peer))
    g_print ("  \"inertia\": %.17g, \"peer_inertia\": null,\n", in_ours);
  else
    g_print ("  \"inertia\": %.17g, \"peer_inertia\": %.17g,\n", in_ours,
        in_peer);
  if (o.centers_out_path && !g_file_set_contents (o.centers_out_path,
          (const gchar *) ours, (gssize) o.k * o.d * sizeof (gfloat), NULL))
    g_printerr ("kmbench: could not write %s\n", o.centers_out_path);

  if (!o.skip_sgemm) {
    gint threads = openblas_get_num_threads ();

    /* One thread too: all cores / one core is the parallel scaling the
     * machine gave during this run (a VM's second core may be shared). */
    openblas_set_num_threads (1);
    g_print ("  \"sgemm_square_1thread_gflops\": %.2f,\n",
        sgemm_rate (2048, 2048, 2048, o.repeat));
    openblas_set_num_threads (threads);
    g_print ("  \"sgemm_square_gflops\": %.2f,\n",
        sgemm_rate (2048, 2048, 2048, o.repeat));
    g_print ("  \"sgemm_shape_gflops\": %.2f,\n",
        sgemm_rate (o.batch, o.k, o.d, 10 * o.repeat));
  }
  g_print ("  \"blas_threads\": %d\n}\n", openblas_get_num_threads ());

  km_model_unref (fixed);
  km_workspace_free (ws);
  g_free (x);
  g_free (init);
  g_free (ours);
  g_free (peer);
  g_free (peer_labels);
  g_free (idx);
  g_free (dist);
  return 0;
}

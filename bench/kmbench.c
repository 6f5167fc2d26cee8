/* gst-kmeans benchmark of the core library, the C half of bench/run.sh.
 *
 * Reads the points and initial centers bench/kmbench.py generated (raw
 * float32, row-major), then measures, best of --repeat runs (each run
 * the mean pass of back-to-back passes over at least --min-time):
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
 *  - the roofline: this machine's limits in the same run, the FMA peak
 *    as cblas_sgemm 2048^3 on all cores and on one (and SGEMM on the
 *    distance step's own shape), and the memory read bandwidth as a sum
 *    over a buffer larger than the last-level cache, on all cores and on
 *    one; bench/kmbench.py turns them into bounds per workload.
 *
 * Before any timing it waits for the process's idle threads to go quiet:
 * OpenBLAS's workers spin for about 0.1 s after they start (and after
 * every BLAS call), and on a 2-core machine that takes a core from the
 * assignment's helpers (bench/README.md, "Start-up").
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
#include <unistd.h>
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
  gboolean skip_bandwidth;
  gint bandwidth_mib;
  gdouble initial_count;
  gdouble reassignment_ratio;
  gdouble min_time;
} Options;

typedef struct
{
  gdouble best;
  gdouble median;
  gdouble times[16];
  guint runs;
} Timing;

static gboolean use_cpu_time;

/* CPU time of the process, all threads. */
static gdouble
process_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wall time; or the process's CPU time (all threads) with --cpu-time,
 * for comparing kernels on a machine busy with other work. */
static gdouble
now (void)
{
  if (!use_cpu_time)
    return g_get_monotonic_time () / 1e6;
  return process_cpu_seconds ();
}

/* Sleeps until the other threads of the process are quiet (under 5% of a
 * core over 20 ms), at most 2 s; returns the seconds waited.  OpenBLAS's
 * workers spin for 2^28 cycles (~0.1 s) after they start and after each
 * BLAS call: timed then, our figures would be those of one core less. */
static gdouble
wait_for_quiet_threads (void)
{
  gdouble start = g_get_monotonic_time () / 1e6, t0, cpu0, t;

  do {
    t0 = g_get_monotonic_time () / 1e6;
    cpu0 = process_cpu_seconds ();
    g_usleep (20000);
    t = g_get_monotonic_time () / 1e6;
  } while (process_cpu_seconds () - cpu0 > 0.05 * (t - t0) && t - start < 2.0);
  return t - start;
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
  cfg.reassignment_ratio = o->reassignment_ratio;
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

typedef enum
{
  PASS_TRAIN,
  PASS_ASSIGN,                  /* all N points in one call */
  PASS_ASSIGN_BATCHED,          /* in --batch sized calls */
  PASS_TRAIN_ASSIGN
} PassKind;

typedef struct
{
  const Options *o;
  const gfloat *x, *init;
  KmModel *fixed;
  gint32 *idx;
  gfloat *dist;
  KmWorkspace *ws;
  gfloat *final_centers;        /* filled by the first train pass */
  gdouble total;                /* the assign pass's loss */
} Bench;

static gdouble
run_pass (Bench * b, PassKind kind)
{
  const Options *o = b->o;
  gdouble s = 0.0;

  switch (kind) {
    case PASS_TRAIN:
      s = train_pass (o, b->x, b->init, b->final_centers);
      b->final_centers = NULL;
      break;
    case PASS_ASSIGN:
      s = assign_pass (o, b->fixed, b->x, o->n, b->idx, b->dist, b->ws,
          &b->total);
      break;
    case PASS_ASSIGN_BATCHED:
      s = assign_pass (o, b->fixed, b->x, o->batch, b->idx, b->dist, b->ws,
          NULL);
      break;
    case PASS_TRAIN_ASSIGN:
      s = train_assign_pass (o, b->x, b->init, b->idx, b->dist);
      break;
  }
  return s;
}

/* One run: the mean of back-to-back passes over at least --min-time.  A
 * sensor pass lasts ~4 ms, and the best of a few such windows moved by
 * 15% from one round to the next. */
static gdouble
sustained_pass (Bench * b, PassKind kind)
{
  gdouble sum = 0.0;
  guint passes = 0;

  do {
    sum += run_pass (b, kind);
    passes++;
  } while (sum < b->o->min_time);
  return sum / passes;
}

/* Training and assignment passes for at least WARM_UP_S: a core woken
 * from idle (a VM's vCPU above all) runs slower for tens of ms. */
#define WARM_UP_S 0.2

static void
warm_up (const Options * o, KmModel * m, const gfloat * x,
    const gfloat * init, gint32 * idx, gfloat * dist, KmWorkspace * ws)
{
  gdouble start = g_get_monotonic_time () / 1e6;

  do {
    assign_pass (o, m, x, o->n, idx, dist, ws, NULL);
    train_assign_pass (o, x, init, idx, dist);
  } while (g_get_monotonic_time () / 1e6 - start < WARM_UP_S);
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

/* ------------------------------------------------- memory bandwidth */

/* 8 floats, in vector registers where the target has them (two SSE
 * halves on baseline x86-64): the sum is limited by memory, not adds. */
typedef gfloat Float8 __attribute__((vector_size (32)));

#define READ_ALIGN 64
#define READ_REPEAT 3

typedef struct
{
  Float8 *v;                    /* this thread's slice */
  gsize count;                  /* in Float8 */
  gboolean fill;                /* write it (first touch) instead */
  gfloat sum;
} ReadSlice;

/* Four independent accumulators keep several loads in flight. */
static gfloat
sum_slice (const Float8 * v, gsize count)
{
  Float8 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  gfloat total = 0.0f;
  gsize i;
  gint j;

  for (i = 0; i + 4 <= count; i += 4) {
    a0 += v[i];
    a1 += v[i + 1];
    a2 += v[i + 2];
    a3 += v[i + 3];
  }
  for (; i < count; i++)
    a0 += v[i];
  a0 += a1 + a2 + a3;
  for (j = 0; j < 8; j++)
    total += a0[j];
  return total;
}

static gpointer
read_slice (gpointer data)
{
  ReadSlice *s = data;
  gsize i;

  if (s->fill) {
    for (i = 0; i < s->count * 8; i++)
      ((gfloat *) s->v)[i] = (gfloat) (i & 7);
  } else {
    s->sum = sum_slice (s->v, s->count);
  }
  return NULL;
}

/* Runs read_slice on @threads slices of @v in as many threads (the
 * caller's included); returns the wall seconds. */
static gdouble
run_slices (Float8 * v, gsize count, guint threads, gboolean fill)
{
  ReadSlice slices[64];
  GThread *workers[64];
  gsize per = count / threads;
  gdouble start;
  guint i;

  for (i = 0; i < threads; i++) {
    slices[i].v = v + i * per;
    slices[i].count = i + 1 == threads ? count - i * per : per;
    slices[i].fill = fill;
  }
  start = g_get_monotonic_time () / 1e6;
  for (i = 1; i < threads; i++)
    workers[i] = g_thread_new ("kmbench-read", read_slice, &slices[i]);
  read_slice (&slices[0]);
  for (i = 1; i < threads; i++)
    g_thread_join (workers[i]);
  return g_get_monotonic_time () / 1e6 - start;
}

/* The last-level cache in bytes as the C library reports it (0 if not). */
static gsize
last_level_cache_bytes (void)
{
  glong bytes = -1;

#ifdef _SC_LEVEL3_CACHE_SIZE
  bytes = sysconf (_SC_LEVEL3_CACHE_SIZE);
  if (bytes <= 0)
    bytes = sysconf (_SC_LEVEL2_CACHE_SIZE);
#endif
  return bytes > 0 ? (gsize) bytes : 0;
}

/* A STREAM-like read: the best of READ_REPEAT sums over @mib MiB, first
 * touched by the threads that read it, on one and on all cores; GB/s. */
static void
read_bandwidth (gsize mib, gdouble * one_gbps, gdouble * all_gbps)
{
  gsize bytes = mib << 20, count = bytes / sizeof (Float8);
  guint cores = CLAMP (g_get_num_processors (), 1, 64);
  gdouble best_one = G_MAXDOUBLE, best_all = G_MAXDOUBLE;
  Float8 *v = NULL;
  gint r;

  if (posix_memalign ((gpointer *) & v, READ_ALIGN, bytes) != 0) {
    g_printerr ("kmbench: no %" G_GSIZE_FORMAT " MiB for the bandwidth "
        "probe\n", mib);
    *one_gbps = *all_gbps = NAN;
    return;
  }
  run_slices (v, count, cores, TRUE);
  for (r = 0; r < READ_REPEAT; r++) {
    best_all = MIN (best_all, run_slices (v, count, cores, FALSE));
    best_one = MIN (best_one, run_slices (v, count, 1, FALSE));
  }
  free (v);
  *one_gbps = bytes / best_one / 1e9;
  *all_gbps = bytes / best_all / 1e9;
}

/* At least 1 GiB and twice the last-level cache. */
static gsize
bandwidth_buffer_mib (const Options * o)
{
  gsize llc_mib = last_level_cache_bytes () >> 20;

  if (o->bandwidth_mib > 0)
    return o->bandwidth_mib;
  return MAX (1024, 2 * llc_mib);
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
    {"min-time", 0, 0, G_OPTION_ARG_DOUBLE, &o->min_time,
        "Each run repeats its pass for at least S seconds and times the "
          "mean pass (0.25; 0: one pass)", "S"},
    {"initial-count", 0, 0, G_OPTION_ARG_DOUBLE, &o->initial_count,
        "Count each initial center starts with (1, TF; sklearn uses 0)", "C"},
    {"cpu-time", 0, 0, G_OPTION_ARG_NONE, &use_cpu_time,
        "Measure CPU time of the process instead of wall time", NULL},
    {"skip-sgemm", 0, 0, G_OPTION_ARG_NONE, &o->skip_sgemm,
        "Do not measure the SGEMM reference rates", NULL},
    {"skip-bandwidth", 0, 0, G_OPTION_ARG_NONE, &o->skip_bandwidth,
        "Do not measure the memory read bandwidth", NULL},
    {"bandwidth-mib", 0, 0, G_OPTION_ARG_INT, &o->bandwidth_mib,
        "Buffer of the bandwidth probe, MiB (0: at least 1024 and twice "
          "the last-level cache)", "MIB"},
    {"reassignment-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &o->reassignment_ratio,
        "Training's reassignment ratio (0.01, kmeans-train's default; 0 "
          "never reassigns)", "R"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- k-means core benchmark");
  GError *error = NULL;
  gboolean ok;

  o->batch = 4096;
  o->repeat = 3;
  o->min_time = 0.25;
  o->initial_count = 1.0;
  o->reassignment_ratio = 0.01;
  g_option_context_add_main_entries (ctx, entries, NULL);
  ok = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("kmbench: %s\n", error->message);
    g_error_free (error);
    return FALSE;
  }
  if (!o->points_path || !o->init_path || o->n <= 0 || o->d <= 0 || o->k <= 0
      || o->batch <= 0 || o->repeat <= 0 || o->repeat > 16
      || o->bandwidth_mib < 0 || !(o->reassignment_ratio >= 0.0)
      || !(o->min_time >= 0.0 && o->min_time <= 60.0)) {
    g_printerr ("kmbench: --points, --init, -n, -d, -k are required "
        "(and --repeat is 1..16, --bandwidth-mib and --reassignment-ratio "
        "at least 0, --min-time 0..60)\n");
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
  Bench bench;
  gdouble flops, total = 0.0, in_ours, in_peer = NAN, settle_s;
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
  bench = (Bench) {
  &o, x, init, fixed, idx, dist, ws, ours, 0.0};

  /* Let OpenBLAS's start-up spin end, then warm up for a while (page the
   * data in, start the helpers, wake the cores from idle), so that every
   * run, --repeat 1 too, meets the machine a long-running pipeline
   * meets. */
  settle_s = wait_for_quiet_threads ();
  warm_up (&o, fixed, x, init, idx, dist, ws);

  for (r = 0; r < o.repeat; r++) {
    timing_add (&train, sustained_pass (&bench, PASS_TRAIN));
    timing_add (&assign, sustained_pass (&bench, PASS_ASSIGN));
    timing_add (&assign_b, sustained_pass (&bench, PASS_ASSIGN_BATCHED));
    timing_add (&both, sustained_pass (&bench, PASS_TRAIN_ASSIGN));
  }
  total = bench.total;
  timing_finish (&train);
  timing_finish (&assign);
  timing_finish (&assign_b);
  timing_finish (&both);

  g_print ("{\n  \"n\": %" G_GINT64_FORMAT ", \"d\": %d, \"k\": %d, "
      "\"batch\": %d, \"repeat\": %d, \"min_time_s\": %g, "
      "\"initial_count\": %g, \"reassignment_ratio\": %g, "
      "\"settle_s\": %.3f,\n", o.n, o.d, o.k, o.batch, o.repeat, o.min_time,
      o.initial_count, o.reassignment_ratio, settle_s);
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

  /* Before any SGEMM, whose workers would spin after it. */
  if (!o.skip_bandwidth) {
    gsize mib = bandwidth_buffer_mib (&o);
    gdouble one, all;

    read_bandwidth (mib, &one, &all);
    g_print ("  \"read_buffer_mib\": %" G_GSIZE_FORMAT ", "
        "\"last_level_cache_mib\": %" G_GSIZE_FORMAT ",\n", mib,
        last_level_cache_bytes () >> 20);
    g_print ("  \"read_1thread_gbps\": %.2f, \"read_gbps\": %.2f,\n", one, all);
  }
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

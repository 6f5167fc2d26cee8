/* The assignment kernels (AVX-512, AVX2, portable) give identical
 * indices, distances and sums, equal to brute force on exact distances,
 * whatever the shape, the metric, the batch size and the thread split;
 * on data full of exact ties (small integer coordinates) too.  So does
 * the bf16 candidate path (AMX, where the CPU has it), on adversarial
 * near ties where its re-check in fp32 must catch every doubtful point. */
#include <math.h>

#include "kmtest.h"
#include "kmbf16.h"

typedef struct
{
  gint32 *idx;
  gfloat *dist;
  gdouble total;
} Answer;

static void
answer_clear (Answer * a)
{
  g_free (a->idx);
  g_free (a->dist);
}

static KmModel *
model_new (guint k, guint d, KmMetric metric, const gfloat * c)
{
  GError *error = NULL;
  KmModel *m = km_model_new (k, d, metric, c, 1, &error);

  g_assert_no_error (error);
  return m;
}

static Answer
assign_with (KmModel * m, KmIsa isa, const gfloat * x, gsize n)
{
  Answer a;

  a.idx = g_new (gint32, n);
  a.dist = g_new (gfloat, n);
  m->dist.isa = isa;
  /* The fp32 kernels themselves, whatever the default for the shape. */
  km_dist_set_bf16 (&m->dist, FALSE);
  a.total = km_model_assign (m, x, n, a.idx, a.dist, NULL);
  return a;
}

/* The bf16 path: AVX-512 with bf16 candidates; the caller checked that
 * the CPU has it. */
static Answer
assign_bf16 (KmModel * m, const gfloat * x, gsize n)
{
  Answer a;

  a.idx = g_new (gint32, n);
  a.dist = g_new (gfloat, n);
  m->dist.isa = KM_ISA_AVX512;
  g_assert_true (km_dist_set_bf16 (&m->dist, TRUE));
  a.total = km_model_assign (m, x, n, a.idx, a.dist, NULL);
  km_dist_set_bf16 (&m->dist, FALSE);
  return a;
}

static void
assert_same_answer (const gchar * what, const gchar * kernel,
    const Answer * ref, const Answer * got, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (got->idx[i] != ref->idx[i] || memcmp (&got->dist[i], &ref->dist[i],
            sizeof (gfloat)) != 0)
      g_error ("%s: %s gives point %" G_GSIZE_FORMAT " center %d at %.9g, "
          "the portable kernel %d at %.9g", what, kernel, i, got->idx[i],
          got->dist[i], ref->idx[i], ref->dist[i]);
  if (got->total != ref->total)
    g_error ("%s: %s sums to %.17g, the portable kernel to %.17g", what,
        kernel, got->total, ref->total);
}

/* Lowest index of the smallest exact distance, by a plain loop. */
static guint
brute_nearest (const KmModel * m, const gfloat * x, gdouble * best)
{
  guint j, bj = 0;

  *best = km_dist_exact (&m->dist, x, 0);
  for (j = 1; j < m->k; j++) {
    gdouble dj = km_dist_exact (&m->dist, x, j);

    if (dj < *best) {
      *best = dj;
      bj = j;
    }
  }
  return bj;
}

/* Integer coordinates in [-2, 2]: exact ties everywhere (equidistant
 * centers, duplicate centers, points on centers). */
static gfloat *
tie_matrix (KmRng * rng, gsize n, guint d)
{
  gfloat *m = g_new (gfloat, n * d);
  gsize i;

  for (i = 0; i < n * d; i++)
    m[i] = (gfloat) ((gint) km_rng_uniform_int (rng, 5) - 2);
  return m;
}

/* Every ISA this CPU has against the portable kernel and brute force. */
static void
check_shape (KmRng * rng, guint k, guint d, KmMetric metric, gsize n,
    gboolean ties)
{
  gfloat *c = ties ? tie_matrix (rng, k, d) :
      kmt_gaussian_matrix (rng, k, d, 3.0);
  gfloat *x = ties ? tie_matrix (rng, n, d) :
      kmt_gaussian_matrix (rng, n, d, 3.0);
  KmModel *m = model_new (k, d, metric, c);
  const gfloat *xs = metric == KM_METRIC_COSINE ? NULL : x;
  gfloat *unit = NULL;
  Answer ref = assign_with (m, KM_ISA_GENERIC, x, n);
  KmIsa isa;
  gsize i;

  /* Brute force sees the points the kernels see (unit rows for cosine). */
  if (xs == NULL) {
    unit = g_new (gfloat, n * d);
    km_normalize_rows (x, unit, n, d);
    xs = unit;
  }
  for (i = 0; i < n; i++) {
    gdouble bd;
    guint b = brute_nearest (m, xs + i * d, &bd);

    if (ref.idx[i] != (gint32) b)
      g_error ("k %u d %u %s n %" G_GSIZE_FORMAT ": point %" G_GSIZE_FORMAT
          " got %d, brute force %u", k, d, metric ? "cosine" : "euclid", n,
          i, ref.idx[i], b);
    g_assert_cmpfloat (ref.dist[i], ==, (gfloat) bd);
  }

  for (isa = KM_ISA_GENERIC + 1; isa <= km_isa_detect (); isa++) {
    Answer got = assign_with (m, isa, x, n);

    if (memcmp (got.idx, ref.idx, n * sizeof (gint32)) != 0
        || memcmp (got.dist, ref.dist, n * sizeof (gfloat)) != 0)
      g_error ("k %u d %u %s n %" G_GSIZE_FORMAT ": %s differs from the "
          "portable kernel", k, d, metric ? "cosine" : "euclid", n,
          km_isa_name (isa));
    g_assert_cmpfloat (got.total, ==, ref.total);
    answer_clear (&got);
  }
  if (km_isa_detect () == KM_ISA_AVX512 && km_bf16_supported ()) {
    Answer got = assign_bf16 (m, x, n);
    gchar *what = g_strdup_printf ("k %u d %u %s n %" G_GSIZE_FORMAT, k, d,
        metric ? "cosine" : "euclid", n);

    assert_same_answer (what, "bf16", &ref, &got, n);
    g_free (what);
    answer_clear (&got);
  }

  answer_clear (&ref);
  km_model_unref (m);
  g_free (unit);
  g_free (c);
  g_free (x);
}

static void
test_isas_agree (void)
{
  /* Around the 8-center groups, the 32-lane permutes, 8-dimension
   * partial sums and 16-dimension transposes. */
  const guint ks[] = { 1, 2, 7, 8, 9, 16, 17, 31, 32, 33, 64, 100 };
  const guint ds[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 128 };
  const gsize ns[] = { 1, 31, 33, 211 };
  KmRng rng;
  guint a, b, c, metric;

  g_test_message ("best kernel here: %s", km_isa_name (km_isa_detect ()));
  km_rng_seed (&rng, 7);
  for (a = 0; a < G_N_ELEMENTS (ks); a++)
    for (b = 0; b < G_N_ELEMENTS (ds); b++)
      for (c = 0; c < G_N_ELEMENTS (ns); c++)
        for (metric = 0; metric < 2; metric++) {
          check_shape (&rng, ks[a], ds[b], metric, ns[c], FALSE);
          check_shape (&rng, ks[a], ds[b], metric, ns[c], TRUE);
        }
}

/* All centers equal: index 0 every time, on every kernel. */
static void
test_all_centers_equal (void)
{
  const guint k = 40, d = 5, n = 100;
  gfloat *c = g_new (gfloat, k * d), *x;
  KmModel *m;
  KmRng rng;
  KmIsa isa;
  guint i;

  km_rng_seed (&rng, 3);
  for (i = 0; i < k * d; i++)
    c[i] = 1.5f;
  x = kmt_gaussian_matrix (&rng, n, d, 1.0);
  m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
  for (isa = KM_ISA_GENERIC; isa <= km_isa_detect (); isa++) {
    Answer got = assign_with (m, isa, x, n);

    for (i = 0; i < n; i++)
      g_assert_cmpint (got.idx[i], ==, 0);
    answer_clear (&got);
  }
  km_model_unref (m);
  g_free (c);
  g_free (x);
}

/* The sum over a call is the sum of its blocks of 32 in order, so one
 * large call (split over the cores) and calls of 32 points agree to the
 * bit; so do the indices and distances. */
static void
test_split_invariant (void)
{
  const guint k = 64, d = 16;
  const gsize n = 40000 + 17;
  KmRng rng;
  gfloat *c, *x, *dist = g_new (gfloat, n);
  gint32 *idx = g_new (gint32, n);
  KmWorkspace *ws = km_workspace_new ();
  KmModel *m;
  Answer whole;
  gdouble total = 0.0;
  gsize i;

  km_rng_seed (&rng, 11);
  c = kmt_gaussian_matrix (&rng, k, d, 2.0);
  x = kmt_gaussian_matrix (&rng, n, d, 2.0);
  m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
  whole = assign_with (m, km_isa_detect (), x, n);
  for (i = 0; i < n; i += 32) {
    gsize b = MIN (32, n - i);

    total += km_model_assign (m, x + i * d, b, idx + i, dist + i, ws);
  }
  g_assert_cmpfloat (total, ==, whole.total);
  g_assert_cmpmem (idx, n * sizeof (gint32), whole.idx, n * sizeof (gint32));
  g_assert_cmpmem (dist, n * sizeof (gfloat), whole.dist, n * sizeof (gfloat));
  answer_clear (&whole);
  km_model_unref (m);
  km_workspace_free (ws);
  g_free (c);
  g_free (x);
  g_free (idx);
  g_free (dist);
}

typedef struct
{
  KmModel *model;
  const gfloat *x;
  gsize n;
  Answer answer;
} Caller;

static gpointer
caller_main (gpointer data)
{
  Caller *c = data;
  KmWorkspace *ws = km_workspace_new ();
  guint r;

  /* Repeated so that the callers overlap and compete for the helpers. */
  c->answer.idx = g_new (gint32, c->n);
  c->answer.dist = g_new (gfloat, c->n);
  for (r = 0; r < 20; r++)
    c->answer.total = km_model_assign (c->model, c->x, c->n, c->answer.idx,
        c->answer.dist, ws);
  km_workspace_free (ws);
  return NULL;
}

/* Callers in several threads at once share the helper threads; a caller
 * that finds them busy does the work itself.  Same answers every time. */
static void
test_concurrent_callers (void)
{
  const guint k = 32, d = 24, threads = 4;
  const gsize n = 20000;
  KmRng rng;
  gfloat *c, *x;
  KmModel *m;
  Answer ref;
  Caller callers[4];
  GThread *t[4];
  guint i;

  km_rng_seed (&rng, 5);
  c = kmt_gaussian_matrix (&rng, k, d, 1.0);
  x = kmt_gaussian_matrix (&rng, n, d, 1.0);
  m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, c);
  ref = assign_with (m, KM_ISA_GENERIC, x, n);
  m->dist.isa = km_isa_detect ();
  for (i = 0; i < threads; i++) {
    callers[i].model = m;
    callers[i].x = x;
    callers[i].n = n;
    t[i] = g_thread_new ("caller", caller_main, &callers[i]);
  }
  for (i = 0; i < threads; i++) {
    g_thread_join (t[i]);
    g_assert_cmpfloat (callers[i].answer.total, ==, ref.total);
    g_assert_cmpmem (callers[i].answer.idx, n * sizeof (gint32), ref.idx,
        n * sizeof (gint32));
    g_assert_cmpmem (callers[i].answer.dist, n * sizeof (gfloat), ref.dist,
        n * sizeof (gfloat));
    answer_clear (&callers[i].answer);
  }
  answer_clear (&ref);
  km_model_unref (m);
  g_free (c);
  g_free (x);
}

/* Training too: the update step's sums (vector versions per ISA) and the
 * assignments give the same centers, counts and losses to the bit. */
static void
test_trainer_isas_agree (void)
{
  const guint ks[] = { 3, 8, 40 };
  const guint ds[] = { 1, 2, 3, 4, 7, 8, 9, 16, 17 };
  guint a, b, step;
  KmRng rng;

  km_rng_seed (&rng, 13);
  for (a = 0; a < G_N_ELEMENTS (ks); a++) {
    for (b = 0; b < G_N_ELEMENTS (ds); b++) {
      const guint k = ks[a], d = ds[b];
      const gsize n = 300;
      gfloat *x = kmt_gaussian_matrix (&rng, 4 * n, d, 2.0);
      KmTrainer *ref = NULL;
      gdouble ref_loss[4];
      KmIsa isa;

      for (isa = KM_ISA_GENERIC; isa <= km_isa_detect (); isa++) {
        KmConfig cfg;
        KmTrainer *t;

        km_config_init (&cfg);
        cfg.k = k;
        cfg.d = d;
        t = kmt_trainer_new (&cfg);
        t->dist.isa = isa;
        kmt_set_centers (t, x);
        for (step = 0; step < 4; step++) {
          KmStepInfo info;
          GError *error = NULL;

          km_trainer_feed (t, x + step * n * d, n, &info, &error);
          g_assert_no_error (error);
          if (ref == NULL)
            ref_loss[step] = info.loss;
          else
            g_assert_cmpfloat (info.loss, ==, ref_loss[step]);
        }
        if (ref == NULL) {
          ref = t;
          continue;
        }
        g_assert_cmpmem (t->master, (gsize) k * d * sizeof (gfloat),
            ref->master, (gsize) k * d * sizeof (gfloat));
        g_assert_cmpmem (t->counts, k * sizeof (gdouble), ref->counts,
            k * sizeof (gdouble));
        km_trainer_free (t);
      }
      km_trainer_free (ref);
      g_free (x);
    }
  }
}

/* The update step's sums (docs/algorithm.md §2.1) in chunks that depend
 * on the points' positions only: the same double sums, bit for bit,
 * whichever threads sum which chunk (the assignment's threads, fused;
 * this thread after the assignment, as the statistics of a round do; one
 * thread in a process of KMEANS_THREADS=1) and whichever kernel runs,
 * equal to the rule computed here; and so the same trained models.
 * Batches below, at and above whole chunks, with a last short one, on
 * points whose sums round (else any order gives the same bits). */

#define SPLIT_STEPS 2

/* Gaussian points whose coordinates are scaled by 2^-30 .. 2^30. */
static gfloat *
rounding_points (KmRng * rng, gsize n, guint d)
{
  gfloat *x = kmt_gaussian_matrix (rng, n, d, 1.0);
  gsize i;

  for (i = 0; i < n * d; i++)
    x[i] = ldexpf (x[i], (gint) km_rng_uniform_int (rng, 61) - 30);
  return x;
}

/* §2.1's order, plainly: chunk 0 point by point into @sums, every later
 * chunk point by point from 0, then added chunk after chunk.  With
 * @chunk = n, the sums point after point. */
static void
reference_sums (guint k, guint d, const gfloat * x, gsize n,
    const gint32 * idx, gsize chunk, gdouble * sums)
{
  gdouble *part = g_new (gdouble, (gsize) k * d);
  gsize first, i;
  guint t;

  memset (sums, 0, (gsize) k * d * sizeof (gdouble));
  for (first = 0; first < n; first += chunk) {
    gdouble *s = first == 0 ? sums : part;

    if (first > 0)
      memset (part, 0, (gsize) k * d * sizeof (gdouble));
    for (i = first; i < MIN (first + chunk, n); i++)
      for (t = 0; t < d; t++)
        s[(gsize) idx[i] * d + t] += x[i * d + t];
    if (first > 0)
      for (i = 0; i < (gsize) k * d; i++)
        sums[i] += part[i];
  }
  g_free (part);
}

/* The fused sums, checked against the unfused ones and the rule. */
static void
check_sums (KmModel * m, KmIsa isa, const gfloat * x, gsize n,
    gdouble * sums, gboolean * order_shows)
{
  const guint k = m->k, d = m->d;
  gdouble *other = g_new (gdouble, (gsize) k * d);
  gdouble *cnt = g_new0 (gdouble, k), *other_cnt = g_new0 (gdouble, k);
  gint32 *idx = g_new (gint32, n), *other_idx = g_new (gint32, n);
  KmWorkspace *ws = km_workspace_new ();
  KmAccumulation acc;

  m->dist.isa = isa;
  memset (sums, 0, (gsize) k * d * sizeof (gdouble));
  km_accumulation_begin (&acc, isa, k, d, sums, cnt, ws);
  km_dist_assign_accumulate (&m->dist, x, n, idx, NULL, &acc, ws);
  memset (other, 0, (gsize) k * d * sizeof (gdouble));
  km_dist_assign (&m->dist, x, n, other_idx, NULL, ws);
  g_assert_cmpmem (idx, n * sizeof (gint32), other_idx, n * sizeof (gint32));
  km_accumulate_add (isa, k, d, x, n, idx, other, other_cnt, ws);
  g_assert_cmpmem (sums, (gsize) k * d * sizeof (gdouble), other,
      (gsize) k * d * sizeof (gdouble));
  g_assert_cmpmem (cnt, k * sizeof (gdouble), other_cnt, k * sizeof (gdouble));
  reference_sums (k, d, x, n, idx, KM_ACC_CHUNK, other);
  g_assert_cmpmem (sums, (gsize) k * d * sizeof (gdouble), other,
      (gsize) k * d * sizeof (gdouble));
  reference_sums (k, d, x, n, idx, n, other);
  if (memcmp (sums, other, (gsize) k * d * sizeof (gdouble)) != 0)
    *order_shows = TRUE;
  km_workspace_free (ws);
  g_free (other);
  g_free (cnt);
  g_free (other_cnt);
  g_free (idx);
  g_free (other_idx);
}

static void
assert_same_model (const KmTrainer * a, const KmTrainer * b, guint k, guint d)
{
  g_assert_cmpmem (a->master, (gsize) k * d * sizeof (gfloat), b->master,
      (gsize) k * d * sizeof (gfloat));
  g_assert_cmpmem (a->counts, k * sizeof (gdouble), b->counts,
      k * sizeof (gdouble));
}

/* Checks every shape, batch size and kernel; returns a digest of the
 * sums and of the models trained on them. */
static gchar *
train_split_digest (void)
{
  static const guint shapes[][2] = { {8, 3}, {64, 16}, {5, 9}, {3, 1}, {4, 2} };
  /* The last: two windows of chunks merged (kmprivate.h). */
  static const gsize sizes[] = { 700, 4096, 5000 + 17, 70000 };
  GChecksum *digest = g_checksum_new (G_CHECKSUM_SHA256);
  gboolean order_shows = FALSE;
  gchar *hex;
  guint a, b, step;
  KmRng rng;

  km_rng_seed (&rng, 19);
  for (a = 0; a < G_N_ELEMENTS (shapes); a++) {
    for (b = 0; b < G_N_ELEMENTS (sizes); b++) {
      const guint k = shapes[a][0], d = shapes[a][1];
      const gsize n = sizes[b];
      gfloat *x = rounding_points (&rng, SPLIT_STEPS * n, d);
      gdouble *sums = g_new (gdouble, (gsize) k * d);
      gdouble *ref_sums = g_new (gdouble, (gsize) k * d);
      KmModel *m = model_new (k, d, KM_METRIC_SQUARED_EUCLIDEAN, x);
      KmTrainer *ref = NULL;
      KmConfig cfg;
      KmIsa isa;

      km_config_init (&cfg);
      cfg.k = k;
      cfg.d = d;
      for (isa = KM_ISA_GENERIC; isa <= km_isa_detect (); isa++) {
        KmTrainer *t = kmt_trainer_new (&cfg);

        check_sums (m, isa, x, n, isa == KM_ISA_GENERIC ? ref_sums : sums,
            &order_shows);
        if (isa != KM_ISA_GENERIC)
          g_assert_cmpmem (sums, (gsize) k * d * sizeof (gdouble), ref_sums,
              (gsize) k * d * sizeof (gdouble));
        t->dist.isa = isa;
        kmt_set_centers (t, x);
        for (step = 0; step < SPLIT_STEPS; step++)
          kmt_feed (t, x + step * n * d, n);
        if (ref == NULL) {
          ref = t;
          continue;
        }
        assert_same_model (t, ref, k, d);
        km_trainer_free (t);
      }
      g_checksum_update (digest, (const guchar *) ref_sums,
          (gsize) k * d * sizeof (gdouble));
      g_checksum_update (digest, (const guchar *) ref->master,
          (gsize) k * d * sizeof (gfloat));
      g_checksum_update (digest, (const guchar *) ref->counts,
          k * sizeof (gdouble));
      km_trainer_free (ref);
      km_model_unref (m);
      g_free (sums);
      g_free (ref_sums);
      g_free (x);
    }
  }
  /* Else the data would not tell one order from another. */
  g_assert_true (order_shows);
  hex = g_strdup (g_checksum_get_string (digest));
  g_checksum_free (digest);
  return hex;
}

/* The program, for a run of itself with KMEANS_THREADS=1. */
static const gchar *self_path;

static void
test_trainer_split_invariant (void)
{
  const gchar *argv[] = { self_path, "-p", "/kernels/trainer-split-invariant",
    NULL
  };
  gchar *digest = train_split_digest (), *out = NULL, **envp;
  GError *error = NULL;
  gint status;

  if (g_getenv ("KMT_PRINT_SPLIT_DIGEST") != NULL) {
    g_print ("models %s\n", digest);
    g_free (digest);
    return;
  }
  /* Its helpers start with the environment it gets. */
  envp = g_environ_setenv (g_get_environ (), "KMEANS_THREADS", "1", TRUE);
  envp = g_environ_setenv (envp, "KMT_PRINT_SPLIT_DIGEST", "1", TRUE);
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, envp,
          G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, digest));
  g_strfreev (envp);
  g_free (out);
  g_free (digest);
}

/* ------------------------------------------------------------------ */
/* The bf16 candidate path: identical to the fp32 kernels on data built
 * to sit within its error bound. */

static gboolean
bf16_available (void)
{
  if (km_isa_detect () != KM_ISA_AVX512 || !km_bf16_supported ()) {
    g_test_skip ("no AMX-BF16 on this CPU (or KMEANS_ISA caps the kernels "
        "below AVX-512): the bf16 path is not tested here");
    return FALSE;
  }
  return TRUE;
}

/* @check on each (k, d) of @shapes, one generator seeded @seed, where
 * the bf16 path runs. */
static void
for_bf16_shapes (const guint (*shapes)[2], guint n_shapes, guint64 seed,
    void (*check) (KmRng * rng, guint k, guint d))
{
  KmRng rng;
  guint s;

  if (!bf16_available ())
    return;
  km_rng_seed (&rng, seed);
  for (s = 0; s < n_shapes; s++)
    check (&rng, shapes[s][0], shapes[s][1]);
}

/* The bf16 path and every fp32 level against the portable kernel;
 * returns how many points the bf16 path re-checked in fp32. */
static gsize
check_bf16 (const gchar * what, guint k, guint d, KmMetric metric,
    const gfloat * c, const gfloat * x, gsize n)
{
  KmModel *m = model_new (k, d, metric, c);
  Answer ref = assign_with (m, KM_ISA_GENERIC, x, n), got;
  gsize before = km_dist_bf16_rechecked (), rechecked;
  KmIsa isa;

  got = assign_bf16 (m, x, n);
  rechecked = km_dist_bf16_rechecked () - before;
  assert_same_answer (what, "bf16", &ref, &got, n);
  answer_clear (&got);
  for (isa = KM_ISA_GENERIC + 1; isa <= km_isa_detect (); isa++) {
    got = assign_with (m, isa, x, n);
    assert_same_answer (what, km_isa_name (isa), &ref, &got, n);
    answer_clear (&got);
  }
  g_test_message ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
      " points re-checked", what, rechecked, n);
  answer_clear (&ref);
  km_model_unref (m);
  return rechecked;
}

/* @n points near @k centers: center (i mod k) plus @noise per
 * coordinate. */
static gfloat *
points_near (KmRng * rng, const gfloat * c, guint k, guint d, gsize n,
    gdouble noise)
{
  gfloat *x = kmt_gaussian_matrix (rng, n, d, noise);
  gsize i;
  guint t;

  for (i = 0; i < n; i++)
    for (t = 0; t < d; t++)
      x[i * d + t] += c[(i % k) * d + t];
  return x;
}

/* Nudges every coordinate of @n rows by -2..2 ulp. */
static void
nudge_ulps (KmRng * rng, gfloat * v, gsize n, guint d)
{
  gsize i;

  for (i = 0; i < n * d; i++) {
    gint steps = (gint) km_rng_uniform_int (rng, 5) - 2;

    for (; steps > 0; steps--)
      v[i] = nextafterf (v[i], INFINITY);
    for (; steps < 0; steps++)
      v[i] = nextafterf (v[i], -INFINITY);
  }
}

/* Clustered random data: the bf16 keys decide most points themselves. */
static void
test_bf16_random (void)
{
  const guint shapes[][2] = { {256, 128}, {37, 45}, {64, 16}, {8, 3} };
  const gsize n = 2500;
  KmRng rng;
  guint s, metric;

  if (!bf16_available ())
    return;
  km_rng_seed (&rng, 17);
  for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
    const guint k = shapes[s][0], d = shapes[s][1];
    gfloat *c = kmt_gaussian_matrix (&rng, k, d, 10.0);
    gfloat *x = points_near (&rng, c, k, d, n, 0.5);

    for (metric = 0; metric < 2; metric++) {
      gchar *what = g_strdup_printf ("random k %u d %u %s", k, d,
          metric ? "cosine" : "euclid");
      gsize rechecked = check_bf16 (what, k, d, metric, c, x, n);

      /* The bf16 keys, not only the fp32 re-check, ran. */
      if (k > 8)
        g_assert_cmpuint (rechecked, <, n / 2);
      g_free (what);
    }
    g_free (c);
    g_free (x);
  }
}

/* Exact ties, duplicate centers, points on centers or between two, and
 * the same within a few ulps: the bound must send all of these to the
 * fp32 re-check, which breaks ties to the lowest index. */
static void
bf16_near_ties (KmRng * rng, guint k, guint d)
{
  const gsize n = 2100;
  gfloat *c, *x;
  gsize i, rechecked;
  guint t;

  c = tie_matrix (rng, k, d);
  x = tie_matrix (rng, n, d);
  rechecked = check_bf16 ("integer ties", k, d, KM_METRIC_SQUARED_EUCLIDEAN,
      c, x, n);
  g_assert_cmpuint (rechecked, >, 0);
  check_bf16 ("integer ties, cosine", k, d, KM_METRIC_COSINE, c, x, n);
  g_free (x);
  g_free (c);

  /* Centers in pairs a few ulps apart; points on them, nudged, and on
   * the midpoints of neighbouring centers. */
  c = kmt_gaussian_matrix (rng, k, d, 5.0);
  memcpy (c + (gsize) (k / 2) * d, c, (gsize) (k / 2) * d * sizeof (gfloat));
  nudge_ulps (rng, c + (gsize) (k / 2) * d, k / 2, d);
  x = g_new (gfloat, n * d);
  for (i = 0; i < n; i++) {
    const gfloat *a = c + (i % k) * d, *b = c + ((i + 1) % k) * d;

    for (t = 0; t < d; t++)
      x[i * d + t] = i % 3 == 0 ? a[t] : i % 3 == 1 ? 0.5f * (a[t] + b[t]) :
          a[t];
  }
  nudge_ulps (rng, x + d, n / 2, d);
  rechecked = check_bf16 ("ulp pairs and midpoints", k, d,
      KM_METRIC_SQUARED_EUCLIDEAN, c, x, n);
  g_assert_cmpuint (rechecked, >, 0);
  check_bf16 ("ulp pairs and midpoints, cosine", k, d, KM_METRIC_COSINE, c,
      x, n);
  g_free (x);
  g_free (c);

  /* Clustered points with every 7th on a midpoint: blocks that mix
   * proven lanes with re-checked ones. */
  c = kmt_gaussian_matrix (rng, k, d, 10.0);
  x = points_near (rng, c, k, d, n, 0.5);
  for (i = 0; i < n; i += 7)
    for (t = 0; t < d; t++)
      x[i * d + t] = 0.5f * (c[(i % k) * d + t] + c[((i + 1) % k) * d + t]);
  rechecked = check_bf16 ("clusters and midpoints", k, d,
      KM_METRIC_SQUARED_EUCLIDEAN, c, x, n);
  g_assert_cmpuint (rechecked, >, 0);
  g_assert_cmpuint (rechecked, <, n / 2);
  g_free (x);
  g_free (c);
}

/* Large models, and small d, where the distances come from the panel
 * lane by lane and re-checked points get theirs anew (features-like
 * 64 x 16, one AMX chunk; 33 x 5 with a padded last step). */
static void
test_bf16_near_ties (void)
{
  static const guint shapes[][2] = { {96, 128}, {64, 16}, {33, 5} };

  for_bf16_shapes (shapes, G_N_ELEMENTS (shapes), 19, bf16_near_ties);
}

/* Large norms (a common offset far above the spread), huge and tiny
 * coordinates (beyond the bf16 path's range the fp32 kernel takes the
 * model or the point), denormals and infinite points. */
static void
bf16_extreme_values (KmRng * rng, guint k, guint d)
{
  const gdouble offsets[] = { 1e3, 1e6, 1e12, 1e16 };
  const gdouble scales[] = { 1e-20, 1e-42, 1e19, 1e30 };
  const gsize n = 1100;
  gfloat *c, *x;
  gsize i;
  guint o;
  for (o = 0; o < G_N_ELEMENTS (offsets); o++) {
    gchar *what = g_strdup_printf ("offset %g", offsets[o]);

    c = kmt_gaussian_matrix (rng, k, d, 1.0);
    x = points_near (rng, c, k, d, n, 0.3);
    for (i = 0; i < k * d; i++)
      c[i] += (gfloat) offsets[o];
    for (i = 0; i < n * d; i++)
      x[i] += (gfloat) offsets[o];
    check_bf16 (what, k, d, KM_METRIC_SQUARED_EUCLIDEAN, c, x, n);
    g_free (what);
    g_free (c);
    g_free (x);
  }
  for (o = 0; o < G_N_ELEMENTS (scales); o++) {
    gchar *what = g_strdup_printf ("scale %g", scales[o]);

    c = kmt_gaussian_matrix (rng, k, d, 1.0);
    x = points_near (rng, c, k, d, n, 0.3);
    /* Only the points scaled, then the centers too. */
    for (i = 0; i < n * d; i++)
      x[i] *= (gfloat) scales[o];
    check_bf16 (what, k, d, KM_METRIC_SQUARED_EUCLIDEAN, c, x, n);
    for (i = 0; i < k * d; i++)
      c[i] *= (gfloat) scales[o];
    check_bf16 (what, k, d, KM_METRIC_SQUARED_EUCLIDEAN, c, x, n);
    g_free (what);
    g_free (c);
    g_free (x);
  }

  /* Mixed magnitudes in one point, and infinite coordinates. */
  c = kmt_gaussian_matrix (rng, k, d, 1.0);
  x = points_near (rng, c, k, d, n, 0.3);
  for (i = 0; i < n; i++) {
    x[i * d + i % d] *= (gfloat) (i % 2 ? 1e15 : 1e-38);
    if (i % 97 == 0)
      x[i * d + (i + 1) % d] = i % 2 ? INFINITY : -INFINITY;
  }
  check_bf16 ("mixed magnitudes", k, d, KM_METRIC_SQUARED_EUCLIDEAN, c, x, n);
  g_free (c);
  g_free (x);
}

/* The chunked AMX path (d = 72) and the single-chunk one of small d. */
static void
test_bf16_extreme_values (void)
{
  static const guint shapes[][2] = { {40, 72}, {64, 16} };

  for_bf16_shapes (shapes, G_N_ELEMENTS (shapes), 23, bf16_extreme_values);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  self_path = argv[0];

  g_test_add_func ("/kernels/isas-agree", test_isas_agree);
  g_test_add_func ("/kernels/all-centers-equal", test_all_centers_equal);
  g_test_add_func ("/kernels/split-invariant", test_split_invariant);
  g_test_add_func ("/kernels/concurrent-callers", test_concurrent_callers);
  g_test_add_func ("/kernels/trainer-isas-agree", test_trainer_isas_agree);
  g_test_add_func ("/kernels/trainer-split-invariant",
      test_trainer_split_invariant);
  g_test_add_func ("/kernels/bf16-random", test_bf16_random);
  g_test_add_func ("/kernels/bf16-near-ties", test_bf16_near_ties);
  g_test_add_func ("/kernels/bf16-extreme-values", test_bf16_extreme_values);

  return g_test_run ();
}

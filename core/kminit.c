/* gst-kmeans core: the initialisation kernels of docs/algorithm.md §3.2
 * and §3.3. */
#include <math.h>

#include "kmprivate.h"

/* After this many rejected kmeans++ draws (only possible through float
 * rounding at the end of the prefix sum) fall back to a uniform draw. */
#define KM_KPP_MAX_REJECTIONS 1000

/* @remaining distinct indices of [0, n) in draw order: a partial
 * Fisher-Yates shuffle of an index pool. */
static void
draw_distinct (const gfloat * points, gsize n, guint d, guint remaining,
    KmRng * rng, gfloat * out, KmWorkspace * ws)
{
  gsize *pool = km_workspace_get (ws, KM_WS_INIT_PICK, n * sizeof (gsize));
  gsize i;
  guint t;

  for (i = 0; i < n; i++)
    pool[i] = i;
  for (t = 0; t < remaining; t++) {
    gsize j = t + km_rng_uniform_int (rng, n - t);
    gsize s = pool[j];

    pool[j] = pool[t];
    pool[t] = s;
    memcpy (out + (gsize) t * d, points + s * d, d * sizeof (gfloat));
  }
}

gsize
km_init_random (const gfloat * points, gsize n, guint d, guint remaining,
    KmInitSampling sampling, KmRng * rng, gfloat * out, KmWorkspace * ws)
{
  guint t;

  /* A batch no larger than what is missing is taken whole, in order. */
  if (n <= remaining) {
    memcpy (out, points, n * d * sizeof (gfloat));
    return n;
  }
  if (sampling == KM_INIT_SAMPLING_WITHOUT_REPLACEMENT) {
    draw_distinct (points, n, d, remaining, rng, out, ws);
    return remaining;
  }
  /* TF samples with replacement: duplicates are possible. */
  for (t = 0; t < remaining; t++) {
    guint64 s = km_rng_uniform_int (rng, n);

    memcpy (out + (gsize) t * d, points + s * d, d * sizeof (gfloat));
  }
  return remaining;
}

guint
km_kmeans_plus_plus_retries (gint retries, guint num_to_sample)
{
  if (retries >= 0)
    return (guint) retries;
  return 2 + (guint) log ((gdouble) MAX (num_to_sample, 1));
}

typedef struct
{
  const gfloat *points;
  gsize n;
  guint d;
  KmRng *rng;
  guint8 *chosen;
  gsize num_chosen;
  const gfloat *cumsum;         /* valid once something is chosen */
} KppState;

/* Uniform among the indices not chosen yet (there is always one, since
 * num_to_sample <= n). */
static gsize
draw_unchosen (KppState * st)
{
  guint64 r = km_rng_uniform_int (st->rng, st->n - st->num_chosen);
  gsize i;

  for (i = 0; i < st->n; i++) {
    if (st->chosen[i])
      continue;
    if (r-- == 0)
      return i;
  }
  g_assert_not_reached ();
  return 0;
}

/* First i with cumsum[i] > value (std::upper_bound). */
static gsize
upper_bound (const gfloat * cumsum, gsize n, gfloat value)
{
  gsize lo = 0, hi = n;

  while (lo < hi) {
    gsize mid = lo + (hi - lo) / 2;

    if (cumsum[mid] > value)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* D^2 sampling with rejection of already chosen indices. */
static gsize
draw_candidate (KppState * st)
{
  gfloat total;
  guint tries;

  if (st->num_chosen == 0)
    return km_rng_uniform_int (st->rng, st->n);

  total = st->cumsum[st->n - 1];
  /* All D zero: fewer distinct points than centers.  TF reads out of range
   * here; we pick uniformly among the points not chosen yet. */
  if (!(total > 0.0f))
    return draw_unchosen (st);

  for (tries = 0; tries < KM_KPP_MAX_REJECTIONS; tries++) {
    gfloat u = (gfloat) km_rng_uniform (st->rng) * total;
    gsize s = MIN (upper_bound (st->cumsum, st->n, u), st->n - 1);

    if (!st->chosen[s])
      return s;
  }
  return draw_unchosen (st);
}

/* out[i] = min(in[i], half squared distance from x_i to x_s); returns the
 * potential sum out[i]. */
static gdouble
update_potential (const KppState * st, gsize s, const gfloat * in, gfloat * out)
{
  const guint d = st->d;
  const gfloat *y = st->points + s * d;
  gdouble potential = 0.0;
  gsize i;
  guint t;

  for (i = 0; i < st->n; i++) {
    const gfloat *x = st->points + i * d;
    gfloat h = 0.0f;

#pragma omp simd reduction(+:h)
    for (t = 0; t < d; t++) {
      gfloat diff = x[t] - y[t];
      h += diff * diff;
    }
    h *= 0.5f;
    out[i] = MIN (in[i], h);
    potential += out[i];
  }
  return potential;
}

static void
prefix_sum (const gfloat * in, gfloat * out, gsize n)
{
  gfloat acc = 0.0f;
  gsize i;

  /* float like TF: the sampling probabilities follow its rounding. */
  for (i = 0; i < n; i++) {
    acc += in[i];
    out[i] = acc;
  }
}

void
km_init_kmeans_plus_plus (const gfloat * points, gsize n, guint d,
    guint num_to_sample, gint retries, KmRng * rng, gfloat * out,
    KmWorkspace * ws, guint64 * draws)
{
  guint R = km_kmeans_plus_plus_retries (retries, num_to_sample);
  gsize fbytes = n * sizeof (gfloat);
  gfloat *D = km_workspace_get (ws, KM_WS_KPP_D, fbytes);
  gfloat *cand = km_workspace_get (ws, KM_WS_KPP_CAND, fbytes);
  gfloat *best = km_workspace_get (ws, KM_WS_KPP_BEST, fbytes);
  gfloat *cumsum = km_workspace_get (ws, KM_WS_KPP_CUM, fbytes);
  KppState st;
  gsize i;
  guint t, r;

  g_return_if_fail (num_to_sample > 0 && num_to_sample <= n);

  st.points = points;
  st.n = n;
  st.d = d;
  st.rng = rng;
  st.chosen = km_workspace_get (ws, KM_WS_KPP_CHOSEN, n);
  st.num_chosen = 0;
  st.cumsum = cumsum;
  memset (st.chosen, 0, n);
  for (i = 0; i < n; i++)
    D[i] = INFINITY;

  for (t = 0; t < num_to_sample; t++) {
    gdouble best_potential = INFINITY;
    gsize best_s = 0;

    if (t > 0)
      prefix_sum (D, cumsum, n);
    /* 1 + R candidates, the first included; keep the one that leaves the
     * smallest potential, the earliest on ties. */
    for (r = 0; r <= R; r++) {
      gsize s = draw_candidate (&st);
      gdouble potential = update_potential (&st, s, D, cand);

      if (draws != NULL)
        (*draws)++;
      if (potential < best_potential || r == 0) {
        gfloat *tmp = best;

        best_potential = potential;
        best_s = s;
        best = cand;
        cand = tmp;
      }
    }
    {
      gfloat *tmp = D;

      D = best;
      best = tmp;
    }
    memcpy (out + (gsize) t * d, points + best_s * d, d * sizeof (gfloat));
    st.chosen[best_s] = 1;
    st.num_chosen++;
  }
}

/* Each row to the mean of the points assigned to it; a row without
 * points stays where it is.  Cosine rows go back to unit length (§4.2). */
static void
rows_to_means (gfloat * rows, const gdouble * sums, const gdouble * cnt,
    guint k, guint d, KmMetric metric)
{
  guint j, t;

  for (j = 0; j < k; j++) {
    gfloat *c = rows + (gsize) j * d;
    const gdouble *s = sums + (gsize) j * d;

    if (cnt[j] == 0.0)
      continue;
    /* In double, like the full-batch update: a float sum can overflow
     * where the mean does not. */
    for (t = 0; t < d; t++)
      c[t] = (gfloat) (s[t] / cnt[j]);
  }
  if (metric == KM_METRIC_COSINE)
    km_normalize_rows (rows, rows, k, d);
}

gdouble
km_init_refine (const gfloat * points, gsize n, guint d, guint k,
    KmMetric metric, guint iterations, gfloat * rows, KmWorkspace * ws)
{
  gint32 *idx = km_workspace_get (ws, KM_WS_IDX, n * sizeof (gint32));
  gdouble *sums = km_workspace_get (ws, KM_WS_SUMS,
      (gsize) k * d * sizeof (gdouble));
  gdouble *cnt = km_workspace_get (ws, KM_WS_CNT, k * sizeof (gdouble));
  gint32 *before = g_new (gint32, n);
  gdouble potential;
  KmDist dist;
  guint it;

  km_dist_init (&dist, k, d, metric);
  km_dist_prepare (&dist, rows);
  potential = km_dist_assign (&dist, points, n, idx, NULL, ws);
  for (it = 0; it < iterations; it++) {
    memset (sums, 0, (gsize) k * d * sizeof (gdouble));
    memset (cnt, 0, k * sizeof (gdouble));
    km_accumulate_add (dist.isa, k, d, points, n, idx, sums, cnt, ws);
    rows_to_means (rows, sums, cnt, k, d, metric);
    memcpy (before, idx, n * sizeof (gint32));
    km_dist_prepare (&dist, rows);
    potential = km_dist_assign (&dist, points, n, idx, NULL, ws);
    /* Converged: the next means would be these. */
    if (memcmp (before, idx, n * sizeof (gint32)) == 0)
      break;
  }
  km_dist_clear (&dist);
  g_free (before);
  return potential;
}

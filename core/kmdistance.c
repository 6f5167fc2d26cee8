/* gst-kmeans core: nearest-center search and distances (§3).
 *
 * Squared Euclidean uses ||x||^2 - 2 x.c + ||c||^2 with the center norms
 * prepared once per center set.  The nearest center is the argmin of
 * ||c||^2 - 2 x.c (||x||^2 is common to all centers); centers within
 * rounding of the minimum are compared by their exact distance, computed
 * directly as sum (x-c)^2 in double, so that ties go to the lowest index
 * whatever the float rounding, and the reported distance does not suffer
 * the cancellation of the expanded form.  Cosine is 1 - x^.c^ on unit
 * rows, argmin of -2 x^.c^.
 *
 * The dot products come from cblas_sgemm for large models and from a loop
 * over a transposed copy of the centers (vectorised over the centers) for
 * small ones.  Points are processed in blocks so the scratch of dot
 * products stays bounded whatever the batch size. */
#include <float.h>
#include <math.h>
#include <cblas.h>

#include "kmprivate.h"

/* Dot products kept per block: 64k floats, 256 KiB, about L2 size. */
#define KM_DOT_BLOCK_FLOATS (1u << 16)
#define KM_MIN_BLOCK_POINTS 4

void
km_normalize_rows (const gfloat * src, gfloat * dst, gsize n, guint d)
{
  gsize i;
  guint t;

  for (i = 0; i < n; i++) {
    const gfloat *x = src + i * d;
    gfloat *y = dst + i * d;
    gdouble sq = 0.0;
    gfloat scale;

#pragma omp simd reduction(+:sq)
    for (t = 0; t < d; t++)
      sq += (gdouble) x[t] * x[t];
    /* TF's l2_normalize: x * rsqrt(max(sum x^2, 1e-12)); 0 stays 0. */
    scale = (gfloat) (1.0 / sqrt (MAX (sq, 1e-12)));
    for (t = 0; t < d; t++)
      y[t] = x[t] * scale;
  }
}

const gfloat *
km_prepare_points (KmMetric metric, const gfloat * points, gsize n, guint d,
    KmWorkspace * ws)
{
  gfloat *unit;

  if (metric != KM_METRIC_COSINE)
    return points;
  unit = km_workspace_get (ws, KM_WS_POINTS, n * d * sizeof (gfloat));
  km_normalize_rows (points, unit, n, d);
  return unit;
}

void
km_dist_init (KmDist * dist, guint k, guint d, KmMetric metric)
{
  gsize kd = (gsize) k * d;

  memset (dist, 0, sizeof (*dist));
  dist->k = k;
  dist->d = d;
  dist->metric = metric;
  dist->use_gemm = kd >= KM_GEMM_MIN_MODEL_FLOATS
      || d >= KM_GEMM_MIN_DIMENSIONS;
  /* Rounding bound of a key: d products and sums, plus the norm, each
   * off by at most an ulp of |x|^2 + |c|^2; doubled for safety. */
  dist->tie_scale = 2.0f * (d + 2) * FLT_EPSILON;
  dist->norms = g_new0 (gfloat, k);
  if (metric == KM_METRIC_COSINE)
    dist->unit = g_new0 (gfloat, kd);
  if (!dist->use_gemm)
    dist->transposed = g_new0 (gfloat, kd);
}

void
km_dist_clear (KmDist * dist)
{
  g_clear_pointer (&dist->norms, g_free);
  g_clear_pointer (&dist->unit, g_free);
  g_clear_pointer (&dist->transposed, g_free);
  dist->rows = NULL;
}

static void
transpose (const gfloat * src, gfloat * dst, guint k, guint d)
{
  guint j, t;

  for (j = 0; j < k; j++)
    for (t = 0; t < d; t++)
      dst[(gsize) t * k + j] = src[(gsize) j * d + t];
}

void
km_dist_prepare (KmDist * dist, const gfloat * centers)
{
  guint k = dist->k, d = dist->d, j, t;

  dist->max_norm = 0.0f;
  if (dist->metric == KM_METRIC_COSINE) {
    km_normalize_rows (centers, dist->unit, k, d);
    dist->rows = dist->unit;
    /* Unit rows: the key -2 x^.c^ needs no norm term. */
    memset (dist->norms, 0, k * sizeof (gfloat));
    dist->max_norm = 1.0f;
  } else {
    dist->rows = centers;
    for (j = 0; j < k; j++) {
      const gfloat *c = centers + (gsize) j * d;
      gfloat sq = 0.0f;

#pragma omp simd reduction(+:sq)
      for (t = 0; t < d; t++)
        sq += c[t] * c[t];
      dist->norms[j] = sq;
      dist->max_norm = MAX (dist->max_norm, sq);
    }
  }
  if (dist->transposed != NULL)
    transpose (dist->rows, dist->transposed, k, d);
}

/* dots[i*k + j] = x_i . c_j for @p points. */
static void
compute_dots (const KmDist * dist, const gfloat * points, gsize p,
    gfloat * dots)
{
  const guint k = dist->k, d = dist->d;
  gsize i;
  guint j, t;

  if (dist->use_gemm) {
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (blasint) p,
        (blasint) k, (blasint) d, 1.0f, points, (blasint) d, dist->rows,
        (blasint) d, 0.0f, dots, (blasint) k);
    return;
  }

  for (i = 0; i < p; i++) {
    const gfloat *x = points + i * d;
    gfloat *restrict row = dots + i * k;

    {
      const gfloat *restrict ct = dist->transposed;
      const gfloat x0 = x[0];

#pragma GCC ivdep
      for (j = 0; j < k; j++)
        row[j] = x0 * ct[j];
    }
    for (t = 1; t < d; t++) {
      const gfloat *restrict ct = dist->transposed + (gsize) t * k;
      const gfloat xt = x[t];

#pragma GCC ivdep
      for (j = 0; j < k; j++)
        row[j] += xt * ct[j];
    }
  }
}

/* Exact distance from @x to center @j, in double. */
static gdouble
exact_distance (const KmDist * dist, const gfloat * x, guint j)
{
  const gfloat *c = dist->rows + (gsize) j * dist->d;
  const guint d = dist->d;
  gdouble acc = 0.0;
  guint t;

  if (dist->metric == KM_METRIC_COSINE) {
#pragma omp simd reduction(+:acc)
    for (t = 0; t < d; t++)
      acc += (gdouble) x[t] * c[t];
    return MAX (1.0 - acc, 0.0);
  }
#pragma omp simd reduction(+:acc)
  for (t = 0; t < d; t++) {
    gdouble diff = (gdouble) x[t] - c[t];
    acc += diff * diff;
  }
  return acc;
}

/* Nearest center of @x given its dot products in @keys (overwritten).
 *
 * The float keys ||c||^2 - 2 x.c cannot order centers whose distances
 * differ by less than their rounding error: after a dying-cluster split,
 * or for exact ties that GEMM rounds differently per column.  So every
 * center whose key is within that error of the minimum is a candidate,
 * and candidates are compared by their exact distances, the lowest index
 * winning ties.  Usually there is a single candidate.  Returns the index;
 * *best_dist gets the exact distance. */
static guint
nearest (const KmDist * dist, const gfloat * restrict x,
    gfloat * restrict keys, gdouble * best_dist)
{
  const guint k = dist->k, d = dist->d;
  const gfloat *restrict norms = dist->norms;
  gfloat best = INFINITY, xx = 0.0f, limit;
  gdouble bd = INFINITY;
  guint j, t, bj = 0;

#pragma omp simd
  for (j = 0; j < k; j++)
    keys[j] = norms[j] - 2.0f * keys[j];
#pragma omp simd reduction(min:best)
  for (j = 0; j < k; j++)
    best = MIN (best, keys[j]);
#pragma omp simd reduction(+:xx)
  for (t = 0; t < d; t++)
    xx += x[t] * x[t];

  limit = best + dist->tie_scale * (xx + dist->max_norm);
  for (j = 0; j < k; j++) {
    if (keys[j] <= limit) {
      gdouble dj = exact_distance (dist, x, j);

      if (dj < bd) {
        bd = dj;
        bj = j;
      }
    }
  }
  /* No candidate (NaN keys from non-finite centers): the first center. */
  if (isinf (bd) && bj == 0)
    bd = exact_distance (dist, x, 0);
  *best_dist = bd;
  return bj;
}

static gsize
block_points (guint k, gsize n)
{
  gsize p = KM_DOT_BLOCK_FLOATS / k;

  return MIN (n, MAX (p, KM_MIN_BLOCK_POINTS));
}

gdouble
km_dist_assign (const KmDist * dist, const gfloat * points, gsize n,
    gint32 * idx, gfloat * out_dist, KmWorkspace * ws)
{
  const guint k = dist->k, d = dist->d;
  gsize block, b, i;
  gfloat *dots;
  gdouble total = 0.0;

  if (n == 0)
    return 0.0;
  block = block_points (k, n);
  dots = km_workspace_get (ws, KM_WS_DOTS, block * k * sizeof (gfloat));

  for (b = 0; b < n; b += block) {
    gsize p = MIN (block, n - b);
    const gfloat *x = points + b * d;

    compute_dots (dist, x, p, dots);
    for (i = 0; i < p; i++) {
      gdouble dj;
      guint j = nearest (dist, x + i * d, dots + i * k, &dj);

      if (idx != NULL)
        idx[b + i] = (gint32) j;
      if (out_dist != NULL)
        out_dist[b + i] = (gfloat) dj;
      total += dj;
    }
  }
  return total;
}

void
km_dist_all (const KmDist * dist, const gfloat * points, gsize n, gfloat * out)
{
  const guint k = dist->k, d = dist->d;
  gsize i;
  guint j, t;

  if (n == 0)
    return;
  compute_dots (dist, points, n, out);
  for (i = 0; i < n; i++) {
    gfloat *restrict row = out + i * k;

    if (dist->metric == KM_METRIC_COSINE) {
      for (j = 0; j < k; j++)
        row[j] = MAX (1.0f - row[j], 0.0f);
    } else {
      const gfloat *x = points + i * d;
      const gfloat *restrict norms = dist->norms;
      gfloat xx = 0.0f;

#pragma omp simd reduction(+:xx)
      for (t = 0; t < d; t++)
        xx += x[t] * x[t];
      for (j = 0; j < k; j++)
        row[j] = MAX (xx - 2.0f * row[j] + norms[j], 0.0f);
    }
  }
}

/* gst-kmeans core: nearest-center search and distances
 * (docs/algorithm.md §4).
 *
 * The nearest center maximises the key x.c - ||c||^2/2 (squared
 * Euclidean: ||x - c||^2 = ||x||^2 - 2 key; cosine on unit rows: the key
 * is x^.c^).  Keys are float sums that only pick the winner: the
 * reported distance is the exact one, computed directly in double
 * (km_dist_exact), and when a point's second best key is within float
 * rounding of its best, the point is settled on exact distances to every
 * center, so ties go to the lowest index whatever the rounding and the
 * distance does not suffer the cancellation of the expanded form.
 *
 * Assignment runs a fused kernel: points are transposed a tile at a time
 * so that one SIMD lane holds one point, and each group of
 * KM_GROUP_CENTERS centers is broadcast against the tile, the dot
 * products accumulating on top of -||c||^2/2 (GEMM's register blocking,
 * with the norms folded in).  Each lane keeps its best key, its second
 * best and the best index as the groups go by, so the n x k matrix of
 * products never exists and no pass over it is needed.  The same code
 * serves every D; small D costs little because the per-key work is a
 * handful of vector operations.  AVX-512 and AVX2 versions are chosen at
 * run time; a portable version does the same per point.
 *
 * On CPUs with AMX-BF16, large models find the candidates with bf16 keys
 * on the tiles (kmbf16.c) instead, at several times the fp32 rate; a
 * point whose best and second best bf16 keys are closer than the proven
 * bound of their error (docs/algorithm.md §4.6) is re-checked by the
 * fp32 kernel, so the answers are those of the fp32 path, bit for bit.
 *
 * All k distances (km_dist_all) still come from cblas_sgemm for large
 * models and from a loop over a transposed copy of the centers for small
 * ones. */
#include <float.h>
#include <math.h>
#include <cblas.h>

#include "kmprivate.h"
#include "kmbf16.h"

/* Distances are summed per block of 32 points in one fixed order, then
 * block after block, whatever the kernel and the thread split. */
#define KM_SUM_BLOCK 32

/* Up to this many dimensions (two terms per partial sum of
 * km_dist_exact) the AVX-512 kernel computes exact distances per lane,
 * from the panel; the centers' coordinates come from a permute of the
 * lanes table up to KM_LANE_TABLE_MAX_K centers, else from a gather. */
#define KM_LANE_EXACT_MAX_D 16
#define KM_LANE_TABLE_MAX_K 64

/* Below this much work (points x padded centers x (d + 6), about the
 * vector lane-operations of the kernel) one thread does it all: waking a
 * helper costs a few microseconds. */
#define KM_PARALLEL_MIN_WORK (1u << 17)

/* From this many model values (k x d), centers and dimensions the bf16
 * path is faster than the fp32 AVX-512 kernel (measured on clustered
 * data, points in memory and in cache: docs/algorithm.md §4.6); below,
 * the transposes and exact distances it shares with the fp32 kernel
 * dominate, and under 8 dimensions the bf16 rounding sends too many
 * points to the re-check. */
#define KM_BF16_MIN_MODEL_FLOATS 512
#define KM_BF16_MIN_CENTERS 16
#define KM_BF16_MIN_DIMENSIONS 8

/* Points per tile of the bf16 path: their indices wait on the stack
 * until the tile's re-checked points are back. */
#define KM_BF16_TILE 1024

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

/* ------------------------------------------------------------------ */
/* Kernel choice. */

const gchar *
km_isa_name (KmIsa isa)
{
  switch (isa) {
    case KM_ISA_AVX512:
      return "avx512";
    case KM_ISA_AVX2:
      return "avx2";
    case KM_ISA_GENERIC:
    default:
      return "generic";
  }
}

static gpointer
detect_isa (gpointer unused)
{
  KmIsa isa = KM_ISA_GENERIC;
  const gchar *cap = g_getenv ("KMEANS_ISA");

#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    isa = KM_ISA_AVX2;
  if (isa == KM_ISA_AVX2 && __builtin_cpu_supports ("avx512f"))
    isa = KM_ISA_AVX512;
#endif
  if (cap != NULL) {
    if (g_strcmp0 (cap, "generic") == 0)
      isa = KM_ISA_GENERIC;
    else if (g_strcmp0 (cap, "avx2") == 0)
      isa = MIN (isa, KM_ISA_AVX2);
  }
  return GINT_TO_POINTER (isa + 1);
}

typedef enum
{
  KM_BF16_AUTO,
  KM_BF16_OFF,
  KM_BF16_ON
} KmBf16Policy;

static gpointer
read_bf16_policy (gpointer unused)
{
  const gchar *cap = g_getenv ("KMEANS_ISA");

  if (cap == NULL || *cap == '\0')
    return GINT_TO_POINTER (KM_BF16_AUTO + 1);
  if (g_strcmp0 (cap, "amxbf16") == 0)
    return GINT_TO_POINTER (KM_BF16_ON + 1);
  return GINT_TO_POINTER (KM_BF16_OFF + 1);
}

static KmBf16Policy
bf16_policy (void)
{
  static GOnce once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&once, read_bf16_policy, NULL)) - 1;
}

/* Whether a model of k x d takes the bf16 path by default; asks the OS
 * for the tile state only then. */
static gboolean
bf16_wanted (const KmDist * dist)
{
  KmBf16Policy policy = bf16_policy ();

  if (dist->isa != KM_ISA_AVX512 || policy == KM_BF16_OFF)
    return FALSE;
  if (policy == KM_BF16_AUTO
      && ((gsize) dist->k * dist->d < KM_BF16_MIN_MODEL_FLOATS
          || dist->k < KM_BF16_MIN_CENTERS || dist->d < KM_BF16_MIN_DIMENSIONS))
    return FALSE;
  return km_bf16_supported ();
}

KmIsa
km_isa_detect (void)
{
  static GOnce once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&once, detect_isa, NULL)) - 1;
}

/* ------------------------------------------------------------------ */
/* Prepared centers. */

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
  /* Rounding bound of the difference of two keys, relative to
   * ||x||^2 + max ||c||^2.  With u = FLT_EPSILON / 2, a key is off by at
   * most (d + 2) u (||x||^2/2 + ||c||^2) from its products and sums,
   * plus d u ||c||^2/2 from the norm: two keys at most 3 (d + 2) u of the
   * reference; this is 4 (d + 2) u. */
  dist->tie_scale = 2.0f * (d + 2) * FLT_EPSILON;
  dist->isa = km_isa_detect ();
  dist->groups = (k + KM_GROUP_CENTERS - 1) / KM_GROUP_CENTERS;
  dist->norms = g_new0 (gfloat, k);
  dist->offsets = g_new0 (gfloat, (gsize) dist->groups * KM_GROUP_CENTERS);
  if (k % KM_GROUP_CENTERS != 0)
    dist->tail = g_new0 (gfloat, (gsize) KM_GROUP_CENTERS * d);
  if (d <= KM_LANE_EXACT_MAX_D && k <= KM_LANE_TABLE_MAX_K)
    dist->lanes = g_aligned_alloc0 (d * KM_LANE_TABLE_MAX_K, sizeof (gfloat),
        64);
  if (metric == KM_METRIC_COSINE)
    dist->unit = g_new0 (gfloat, kd);
  if (!dist->use_gemm)
    dist->transposed = g_new0 (gfloat, kd);
  if (bf16_wanted (dist)) {
    dist->bf16 = km_bf16_new (k, d);
    dist->use_bf16 = TRUE;
  }
}

void
km_dist_clear (KmDist * dist)
{
  g_clear_pointer (&dist->norms, g_free);
  g_clear_pointer (&dist->offsets, g_free);
  g_clear_pointer (&dist->tail, g_free);
  g_clear_pointer (&dist->lanes, g_aligned_free);
  g_clear_pointer (&dist->unit, g_free);
  g_clear_pointer (&dist->transposed, g_free);
  g_clear_pointer (&dist->bf16, km_bf16_free);
  dist->use_bf16 = FALSE;
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

/* Offsets -||c||^2/2 (0 on unit rows), -inf for the padding centers of
 * the last group so they never win; that group's rows zero-padded. */
static void
prepare_groups (KmDist * dist)
{
  const guint k = dist->k, d = dist->d;
  const guint padded = dist->groups * KM_GROUP_CENTERS;
  guint j;

  for (j = 0; j < k; j++)
    dist->offsets[j] = -0.5f * dist->norms[j];
  for (; j < padded; j++)
    dist->offsets[j] = -INFINITY;
  if (dist->tail != NULL) {
    guint first = k - k % KM_GROUP_CENTERS;

    memset (dist->tail, 0, (gsize) KM_GROUP_CENTERS * d * sizeof (gfloat));
    memcpy (dist->tail, dist->rows + (gsize) first * d,
        (gsize) (k - first) * d * sizeof (gfloat));
  }
  if (dist->lanes != NULL) {
    guint t;

    for (t = 0; t < d; t++)
      for (j = 0; j < k; j++)
        dist->lanes[t * KM_LANE_TABLE_MAX_K + j] =
            dist->rows[(gsize) j * d + t];
  }
}

void
km_dist_prepare (KmDist * dist, const gfloat * centers)
{
  guint k = dist->k, d = dist->d, j, t;

  dist->max_norm = 0.0f;
  if (dist->metric == KM_METRIC_COSINE) {
    km_normalize_rows (centers, dist->unit, k, d);
    dist->rows = dist->unit;
    /* Unit rows: the key x^.c^ needs no norm term. */
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
  prepare_groups (dist);
  if (dist->transposed != NULL)
    transpose (dist->rows, dist->transposed, k, d);
  if (dist->bf16 != NULL)
    km_bf16_prepare (dist->bf16, dist->rows, dist->norms, dist->max_norm,
        dist->tie_scale);
}

gboolean
km_dist_set_bf16 (KmDist * dist, gboolean on)
{
  if (on && !km_bf16_supported ())
    return FALSE;
  if (on && dist->bf16 == NULL) {
    dist->bf16 = km_bf16_new (dist->k, dist->d);
    km_bf16_prepare (dist->bf16, dist->rows, dist->norms, dist->max_norm,
        dist->tie_scale);
  }
  dist->use_bf16 = on;
  return TRUE;
}

/* Rows of group @g: the centers themselves, or the padded tail. */
static inline const gfloat *
group_rows (const KmDist * dist, guint g)
{
  if ((g + 1) * KM_GROUP_CENTERS > dist->k)
    return dist->tail;
  return dist->rows + (gsize) (g * KM_GROUP_CENTERS) * dist->d;
}

/* ------------------------------------------------------------------ */
/* All distances (km_dist_all). */

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

/* ------------------------------------------------------------------ */
/* Exact distances and near ties. */

/* The fixed tree every path sums 8 partial sums with (the AVX-512
 * reduction: halves, then halves again). */
static inline gdouble
tree8 (const gdouble * s)
{
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

gdouble
km_dist_exact (const KmDist * dist, const gfloat * x, guint j)
{
  const gfloat *c = dist->rows + (gsize) j * dist->d;
  const guint d = dist->d;
  gdouble acc[8] = { 0.0, };
  guint t;

  /* Term t goes to partial sum t mod 8 with one fma: what one vector of
   * 8 doubles does along a row, so the SIMD paths give the same bits. */
  if (dist->metric == KM_METRIC_COSINE) {
    for (t = 0; t < d; t++)
      acc[t % 8] = fma ((gdouble) x[t], (gdouble) c[t], acc[t % 8]);
    return MAX (1.0 - tree8 (acc), 0.0);
  }
  for (t = 0; t < d; t++) {
    gdouble diff = (gdouble) x[t] - (gdouble) c[t];

    acc[t % 8] = fma (diff, diff, acc[t % 8]);
  }
  return tree8 (acc);
}

/* A near tie: the smallest exact distance over all centers, lowest index
 * first.  A NaN distance never wins; if all are NaN, center 0. */
static guint
settle (const KmDist * dist, const gfloat * x, gdouble * best_dist)
{
  gdouble bd = INFINITY;
  guint j, bj = 0;

  for (j = 0; j < dist->k; j++) {
    gdouble dj = km_dist_exact (dist, x, j);

    if (dj < bd) {
      bd = dj;
      bj = j;
    }
  }
  if (isinf (bd) && bj == 0)
    bd = km_dist_exact (dist, x, 0);
  *best_dist = bd;
  return bj;
}

/* The sum of a block's 32 distances (0 past the last point): lane l of
 * 8 is (dd[l] + dd[8+l]) + (dd[16+l] + dd[24+l]), then tree8, the order
 * the AVX-512 kernel adds its four vectors of 8 doubles in. */
static gdouble
block_sum (const gdouble * dd)
{
  gdouble s[8];
  guint l;

  for (l = 0; l < 8; l++)
    s[l] = (dd[l] + dd[8 + l]) + (dd[16 + l] + dd[24 + l]);
  return tree8 (s);
}

/* Writes a block's outputs (dd[m..31] are 0) and returns its sum. */
static gdouble
store_block (guint m, const gint32 * bi, const gdouble * dd, gint32 * idx,
    gfloat * out)
{
  guint l;

  if (idx != NULL)
    memcpy (idx, bi, m * sizeof (gint32));
  if (out != NULL)
    for (l = 0; l < m; l++)
      out[l] = (gfloat) dd[l];
  return block_sum (dd);
}

/* ------------------------------------------------------------------ */
/* Portable kernel: dot products of a tile of points from compute_dots
 * (cblas_sgemm, threaded by OpenBLAS, or the loop for small models),
 * then the same keys, best, second best and exact distances per point. */

/* Points per tile: whole blocks, at most 64k dot products (256 KiB). */
static gsize
generic_tile_points (guint k)
{
  gsize p = (1u << 16) / k / KM_SUM_BLOCK * KM_SUM_BLOCK;

  return MAX (p, KM_SUM_BLOCK);
}

static guint
nearest_generic (const KmDist * dist, const gfloat * p, const gfloat * dots,
    gdouble * best_dist)
{
  const guint k = dist->k, d = dist->d;
  gfloat best = -INFINITY, second = -INFINITY, xx = 0.0f, tol;
  guint j, t, bj = 0;

  for (t = 0; t < d; t++)
    xx += p[t] * p[t];
  for (j = 0; j < k; j++) {
    gfloat key = dist->offsets[j] + dots[j];

    if (key > best) {
      second = best;
      best = key;
      bj = j;
    } else if (key > second) {
      second = key;
    }
  }
  tol = dist->tie_scale * (xx + dist->max_norm);
  if (second >= best - tol)
    return settle (dist, p, best_dist);
  *best_dist = km_dist_exact (dist, p, bj);
  return bj;
}

static void
assign_range_generic (const KmDist * dist, const gfloat * x, gsize n,
    gint32 * idx, gfloat * out, gdouble * sums, KmWorkspace * ws)
{
  const guint k = dist->k, d = dist->d;
  const gsize tile = MIN (generic_tile_points (k), n);
  gfloat *dots = km_workspace_get (ws, KM_WS_DOTS,
      tile * k * sizeof (gfloat));
  gdouble dd[KM_SUM_BLOCK];
  gint32 bi[KM_SUM_BLOCK];
  gsize first, base;

  for (first = 0; first < n; first += tile) {
    const gsize end = MIN (first + tile, n);

    compute_dots (dist, x + first * d, end - first, dots);
    for (base = first; base < end; base += KM_SUM_BLOCK) {
      const guint m = MIN (KM_SUM_BLOCK, end - base);
      guint l;

      for (l = 0; l < m; l++)
        bi[l] = (gint32) nearest_generic (dist, x + (base + l) * d,
            dots + (base + l - first) * k, &dd[l]);
      for (; l < KM_SUM_BLOCK; l++)
        dd[l] = 0.0;
      sums[base / KM_SUM_BLOCK] = store_block (m, bi, dd,
          idx ? idx + base : NULL, out ? out + base : NULL);
    }
  }
}

/* ------------------------------------------------------------------ */
/* SIMD kernels (x86-64, GCC/Clang): compiled for their ISA whatever the
 * build flags, run only where km_isa_detect() found it.  Per block of 32
 * points: transpose them into the panel (row t holds coordinate t of the
 * 32 points), run every group of centers over the panel, flag the lanes
 * with a near tie, then compute the exact distances along the rows. */

#if defined(__x86_64__) && defined(__GNUC__)
#define KM_HAVE_SIMD 1
#include <immintrin.h>

#define KM_TARGET_AVX2 __attribute__ ((target ("avx2,fma")))
#define KM_TARGET_AVX512 __attribute__ ((target ("avx512f,avx2,fma")))

/* --- AVX2: tiles of 16 points (two vectors of 8), 4 centers a pass. */

typedef struct
{
  __m256 best[4];               /* the block's 4 vectors of 8 lanes */
  __m256 second[4];
  __m256i bidx[4];
} KmLanes256;

KM_TARGET_AVX2 static inline void
update_avx2 (__m256 key, __m256 * best, __m256 * second, __m256i * bidx, gint j)
{
  __m256 gt = _mm256_cmp_ps (key, *best, _CMP_GT_OQ);

  *second = _mm256_max_ps (_mm256_min_ps (key, *best), *second);
  *best = _mm256_max_ps (key, *best);
  *bidx = _mm256_castps_si256 (_mm256_blendv_ps (_mm256_castsi256_ps (*bidx),
          _mm256_castsi256_ps (_mm256_set1_epi32 (j)), gt));
}

KM_TARGET_AVX2 static inline void
transpose8_avx2 (__m256 * r)
{
  __m256 t[8], u[8];
  guint i;

  for (i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps (r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps (r[2 * i], r[2 * i + 1]);
  }
  for (i = 0; i < 2; i++) {
    u[4 * i] = _mm256_shuffle_ps (t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm256_shuffle_ps (t[4 * i], t[4 * i + 2], 0xee);
    u[4 * i + 2] = _mm256_shuffle_ps (t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm256_shuffle_ps (t[4 * i + 1], t[4 * i + 3], 0xee);
  }
  for (i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps (u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps (u[i], u[i + 4], 0x31);
  }
}

/* Points 0..m-1 of @x into the panel (32 lanes a row, 0 past m), 8x8
 * transposes at a time. */
KM_TARGET_AVX2 static void
transpose_avx2 (const gfloat * x, guint m, guint d, gfloat * panel)
{
  guint q, t0, l, i;

  for (q = 0; q < 4; q++) {
    for (t0 = 0; t0 < d; t0 += 8) {
      const guint w = MIN (8, d - t0);
      const __m256i mask = _mm256_cmpgt_epi32 (_mm256_set1_epi32 (w),
          _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
      __m256 r[8];

      for (l = 0; l < 8; l++)
        r[l] = 8 * q + l < m ?
            _mm256_maskload_ps (x + (gsize) (8 * q + l) * d + t0, mask) :
            _mm256_setzero_ps ();
      transpose8_avx2 (r);
      for (i = 0; i < w; i++)
        _mm256_store_ps (panel + (gsize) (t0 + i) * 32 + 8 * q, r[i]);
    }
  }
}

/* One group of 8 centers over lanes 16h..16h+15 of the panel. */
KM_TARGET_AVX2 static void __attribute__((noinline))
    group_avx2 (const gfloat * panel, const gfloat * rows, const gfloat * off,
    guint d, gint j, KmLanes256 * st, guint h)
{
  guint pass, t;

  for (pass = 0; pass < KM_GROUP_CENTERS; pass += 4) {
    const gfloat *c0 = rows + (gsize) pass * d, *c1 = c0 + d, *c2 = c1 + d,
        *c3 = c2 + d;
    __m256 a0 = _mm256_set1_ps (off[pass]), a1 = _mm256_set1_ps (off[pass + 1]);
    __m256 a2 = _mm256_set1_ps (off[pass + 2]), a3 =
        _mm256_set1_ps (off[pass + 3]);
    __m256 b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    const gfloat *p = panel + 16 * h;

    for (t = 0; t < d; t++, p += 32) {
      const __m256 p0 = _mm256_load_ps (p), p1 = _mm256_load_ps (p + 8);
      __m256 cv;

      cv = _mm256_broadcast_ss (c0 + t);
      a0 = _mm256_fmadd_ps (p0, cv, a0);
      b0 = _mm256_fmadd_ps (p1, cv, b0);
      cv = _mm256_broadcast_ss (c1 + t);
      a1 = _mm256_fmadd_ps (p0, cv, a1);
      b1 = _mm256_fmadd_ps (p1, cv, b1);
      cv = _mm256_broadcast_ss (c2 + t);
      a2 = _mm256_fmadd_ps (p0, cv, a2);
      b2 = _mm256_fmadd_ps (p1, cv, b2);
      cv = _mm256_broadcast_ss (c3 + t);
      a3 = _mm256_fmadd_ps (p0, cv, a3);
      b3 = _mm256_fmadd_ps (p1, cv, b3);
    }
#define KM_UPDATE2(v, q, jj) \
    update_avx2 (v, &st->best[q], &st->second[q], &st->bidx[q], jj)
    KM_UPDATE2 (a0, 2 * h, j + pass);
    KM_UPDATE2 (b0, 2 * h + 1, j + pass);
    KM_UPDATE2 (a1, 2 * h, j + pass + 1);
    KM_UPDATE2 (b1, 2 * h + 1, j + pass + 1);
    KM_UPDATE2 (a2, 2 * h, j + pass + 2);
    KM_UPDATE2 (b2, 2 * h + 1, j + pass + 2);
    KM_UPDATE2 (a3, 2 * h, j + pass + 3);
    KM_UPDATE2 (b3, 2 * h + 1, j + pass + 3);
#undef KM_UPDATE2
  }
}

/* km_dist_exact along the rows: lanes 0-3 and 4-7 of the partial sums. */
KM_TARGET_AVX2 static gdouble
exact_avx2 (const KmDist * dist, const gfloat * x, guint j)
{
  const gfloat *c = dist->rows + (gsize) j * dist->d;
  const guint d = dist->d;
  const gboolean cosine = dist->metric == KM_METRIC_COSINE;
  __m256d lo = _mm256_setzero_pd (), hi = _mm256_setzero_pd ();
  __m128d q;
  guint t;

  for (t = 0; t < d; t += 8) {
    __m256 xv, cv;
    __m256d xl, xh, cl, ch;

    if (t + 8 <= d) {
      xv = _mm256_loadu_ps (x + t);
      cv = _mm256_loadu_ps (c + t);
    } else {
      const __m256i mask = _mm256_cmpgt_epi32 (_mm256_set1_epi32 (d - t),
          _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));

      xv = _mm256_maskload_ps (x + t, mask);
      cv = _mm256_maskload_ps (c + t, mask);
    }
    xl = _mm256_cvtps_pd (_mm256_castps256_ps128 (xv));
    xh = _mm256_cvtps_pd (_mm256_extractf128_ps (xv, 1));
    cl = _mm256_cvtps_pd (_mm256_castps256_ps128 (cv));
    ch = _mm256_cvtps_pd (_mm256_extractf128_ps (cv, 1));
    if (cosine) {
      lo = _mm256_fmadd_pd (xl, cl, lo);
      hi = _mm256_fmadd_pd (xh, ch, hi);
    } else {
      xl = _mm256_sub_pd (xl, cl);
      xh = _mm256_sub_pd (xh, ch);
      lo = _mm256_fmadd_pd (xl, xl, lo);
      hi = _mm256_fmadd_pd (xh, xh, hi);
    }
  }
  /* tree8: (s_l + s_l+4), then (0,2) + (1,3) pairs, then the two. */
  lo = _mm256_add_pd (lo, hi);
  q = _mm_add_pd (_mm256_castpd256_pd128 (lo), _mm256_extractf128_pd (lo, 1));
  q = _mm_add_sd (q, _mm_unpackhi_pd (q, q));
  if (cosine)
    return MAX (1.0 - _mm_cvtsd_f64 (q), 0.0);
  return _mm_cvtsd_f64 (q);
}

/* d <= 16, k <= 8: the block's exact distances per lane from the panel
 * (as in lane_exact_avx512, 8 lanes a vector, centers from a permute of
 * the lanes table), outputs written with vector stores, the sum in
 * block_sum's order. */
KM_TARGET_AVX2 static gdouble
finish_lanes_avx2 (const KmDist * dist, const gfloat * panel, guint m,
    const KmLanes256 * st, gint32 * idx, gfloat * out)
{
  const guint d = dist->d;
  const gboolean cosine = dist->metric == KM_METRIC_COSINE;
  const __m256d zero = _mm256_setzero_pd ();
  const __m256i lane = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  __m256d v[8], a, b;
  __m128d q;
  guint i, t;

  for (i = 0; i < 4; i++) {
    const __m256i bidx = st->bidx[i];
    const __m256i valid = _mm256_cmpgt_epi32 (_mm256_set1_epi32 (m),
        _mm256_add_epi32 (lane, _mm256_set1_epi32 (8 * i)));
    __m256d sl[8], sh[8];

    for (t = 0; t < 8; t++)
      sl[t] = sh[t] = zero;
    for (t = 0; t < d; t++) {
      const guint r = t % 8;
      __m256 xv = _mm256_load_ps (panel + (gsize) t * 32 + 8 * i), cv;
      __m256d xl, xh, cl, ch;

      cv = _mm256_permutevar8x32_ps (_mm256_load_ps (dist->lanes +
              (gsize) t * KM_LANE_TABLE_MAX_K), bidx);
      xl = _mm256_cvtps_pd (_mm256_castps256_ps128 (xv));
      xh = _mm256_cvtps_pd (_mm256_extractf128_ps (xv, 1));
      cl = _mm256_cvtps_pd (_mm256_castps256_ps128 (cv));
      ch = _mm256_cvtps_pd (_mm256_extractf128_ps (cv, 1));
      if (cosine) {
        sl[r] = _mm256_fmadd_pd (xl, cl, sl[r]);
        sh[r] = _mm256_fmadd_pd (xh, ch, sh[r]);
      } else {
        xl = _mm256_sub_pd (xl, cl);
        xh = _mm256_sub_pd (xh, ch);
        sl[r] = _mm256_fmadd_pd (xl, xl, sl[r]);
        sh[r] = _mm256_fmadd_pd (xh, xh, sh[r]);
      }
    }
#define KM_TREE8_256(s) \
    _mm256_add_pd (_mm256_add_pd (_mm256_add_pd (s[0], s[4]), \
            _mm256_add_pd (s[2], s[6])), _mm256_add_pd (_mm256_add_pd (s[1], \
                s[5]), _mm256_add_pd (s[3], s[7])))
    v[2 * i] = KM_TREE8_256 (sl);
    v[2 * i + 1] = KM_TREE8_256 (sh);
#undef KM_TREE8_256
    if (cosine) {
      const __m256d one = _mm256_set1_pd (1.0);

      v[2 * i] = _mm256_max_pd (_mm256_sub_pd (one, v[2 * i]), zero);
      v[2 * i + 1] = _mm256_max_pd (_mm256_sub_pd (one, v[2 * i + 1]), zero);
    }
    /* Lanes past m count as 0 in the sum. */
    v[2 * i] = _mm256_and_pd (v[2 * i], _mm256_castsi256_pd
        (_mm256_cvtepi32_epi64 (_mm256_castsi256_si128 (valid))));
    v[2 * i + 1] = _mm256_and_pd (v[2 * i + 1], _mm256_castsi256_pd
        (_mm256_cvtepi32_epi64 (_mm256_extracti128_si256 (valid, 1))));
    if (idx != NULL)
      _mm256_maskstore_epi32 (idx + 8 * i, valid, bidx);
    if (out != NULL)
      _mm256_maskstore_ps (out + 8 * i, valid, _mm256_set_m128
          (_mm256_cvtpd_ps (v[2 * i + 1]), _mm256_cvtpd_ps (v[2 * i])));
  }
  /* block_sum: lanes 0-3 of s are vectors 0, 2, 4, 6 (points 0-3, 8-11,
   * 16-19, 24-27), lanes 4-7 are 1, 3, 5, 7; then tree8. */
  a = _mm256_add_pd (_mm256_add_pd (v[0], v[2]), _mm256_add_pd (v[4], v[6]));
  b = _mm256_add_pd (_mm256_add_pd (v[1], v[3]), _mm256_add_pd (v[5], v[7]));
  a = _mm256_add_pd (a, b);
  q = _mm_add_pd (_mm256_castpd256_pd128 (a), _mm256_extractf128_pd (a, 1));
  return _mm_cvtsd_f64 (_mm_add_sd (q, _mm_unpackhi_pd (q, q)));
}

KM_TARGET_AVX2 static void
assign_range_avx2 (const KmDist * dist, const gfloat * x, gsize n,
    gint32 * idx, gfloat * out, gdouble * sums, gfloat * panel)
{
  const guint d = dist->d;
  const __m256 lane = _mm256_setr_ps (0, 1, 2, 3, 4, 5, 6, 7);
  gdouble dd[KM_SUM_BLOCK];
  gint32 bi[KM_SUM_BLOCK];
  KmLanes256 st;
  gsize base;

  for (base = 0; base < n; base += KM_SUM_BLOCK) {
    const guint m = MIN (KM_SUM_BLOCK, n - base);
    const gfloat *xb = x + base * d;
    guint32 ties = 0;
    guint q, t, g, l;

    transpose_avx2 (xb, m, d, panel);
    for (q = 0; q < 4; q++) {
      st.best[q] = st.second[q] = _mm256_set1_ps (-INFINITY);
      st.bidx[q] = _mm256_setzero_si256 ();
    }
    for (g = 0; g < dist->groups; g++) {
      const gfloat *rows = group_rows (dist, g);
      const gfloat *off = dist->offsets + g * KM_GROUP_CENTERS;

      group_avx2 (panel, rows, off, d, g * KM_GROUP_CENTERS, &st, 0);
      if (m > 16)
        group_avx2 (panel, rows, off, d, g * KM_GROUP_CENTERS, &st, 1);
    }
    for (q = 0; q < 4; q++) {
      __m256 xx = _mm256_setzero_ps (), tol, valid;

      for (t = 0; t < d; t++) {
        __m256 v = _mm256_load_ps (panel + (gsize) t * 32 + 8 * q);

        xx = _mm256_fmadd_ps (v, v, xx);
      }
      tol = _mm256_mul_ps (_mm256_set1_ps (dist->tie_scale),
          _mm256_add_ps (xx, _mm256_set1_ps (dist->max_norm)));
      valid = _mm256_cmp_ps (_mm256_add_ps (lane, _mm256_set1_ps (8 * q)),
          _mm256_set1_ps (m), _CMP_LT_OQ);
      ties |= (guint32) _mm256_movemask_ps (_mm256_and_ps (valid,
              _mm256_cmp_ps (st.second[q], _mm256_sub_ps (st.best[q], tol),
                  _CMP_GE_OQ))) << (8 * q);
    }

    /* Per lane only where a permute finds the centers: AVX2 gathers
     * cost more than the row-wise sums. */
    if (ties == 0 && d <= KM_LANE_EXACT_MAX_D && dist->k <= 8) {
      sums[base / KM_SUM_BLOCK] = finish_lanes_avx2 (dist, panel, m, &st,
          idx ? idx + base : NULL, out ? out + base : NULL);
      continue;
    }
    for (q = 0; q < 4; q++)
      _mm256_storeu_si256 ((__m256i *) (bi + 8 * q), st.bidx[q]);
    for (l = 0; l < m; l++) {
      const gfloat *p = xb + (gsize) l * d;

      if (ties & (1u << l))
        bi[l] = (gint32) settle (dist, p, &dd[l]);
      else
        dd[l] = exact_avx2 (dist, p, bi[l]);
    }
    for (; l < KM_SUM_BLOCK; l++)
      dd[l] = 0.0;
    sums[base / KM_SUM_BLOCK] = store_block (m, bi, dd,
        idx ? idx + base : NULL, out ? out + base : NULL);
  }
}

/* --- AVX-512: blocks of 32 points (two vectors of 16), 8 centers a
 * pass: 16 accumulators, two panel loads and eight broadcasts per 16
 * FMAs. */

typedef struct
{
  __m512 best[2];
  __m512 second[2];
  __m512i bidx[2];
} KmLanes512;

KM_TARGET_AVX512 static inline void
update_avx512 (__m512 key, __m512 * best, __m512 * second, __m512i * bidx,
    gint j)
{
  __mmask16 gt = _mm512_cmp_ps_mask (key, *best, _CMP_GT_OQ);

  *second = _mm512_max_ps (_mm512_min_ps (key, *best), *second);
  *best = _mm512_max_ps (key, *best);
  *bidx = _mm512_mask_mov_epi32 (*bidx, gt, _mm512_set1_epi32 (j));
}

KM_TARGET_AVX512 static inline void
transpose16_avx512 (__m512 * r)
{
  __m512 t[16];
  guint i;

  for (i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
  }
  for (i = 0; i < 4; i++) {
    r[4 * i] = _mm512_shuffle_ps (t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps (t[4 * i], t[4 * i + 2], 0xee);
    r[4 * i + 2] = _mm512_shuffle_ps (t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps (t[4 * i + 1], t[4 * i + 3], 0xee);
  }
  for (i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4 (r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4 (r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4 (r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4 (r[i + 8], r[i + 12], 0xdd);
  }
  for (i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4 (t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4 (t[i], t[i + 8], 0xdd);
  }
}

/* Points 0..m-1 (m <= 16) of @x into lanes 16h.. of the panel, 0 past
 * m.  Up to 4 dimensions the m*d floats are read as d vectors and
 * deinterleaved with permutes; beyond, 16x16 transposes. */
KM_TARGET_AVX512 static void
transpose_avx512 (const gfloat * x, guint m, guint d, gfloat * panel)
{
  guint t0, l, i;

  if (d <= 4) {
    const __m512i rowd = _mm512_mullo_epi32 (_mm512_setr_epi32 (0, 1, 2, 3,
            4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32 (d));
    const guint floats = m * d;
    __m512 v[4];

    for (i = 0; i < 4; i++) {
      guint have = floats > 16 * i ? MIN (16, floats - 16 * i) : 0;

      v[i] = i < d ? _mm512_maskz_loadu_ps ((__mmask16) ((1u << have) - 1),
          x + 16 * i) : _mm512_setzero_ps ();
    }
    for (i = 0; i < d; i++) {
      __m512i at = _mm512_add_epi32 (rowd, _mm512_set1_epi32 (i));
      __m512 lo = _mm512_permutex2var_ps (v[0], at, v[1]);

      if (d > 2)
        lo = _mm512_mask_blend_ps (_mm512_cmpge_epi32_mask (at,
                _mm512_set1_epi32 (32)), lo, _mm512_permutex2var_ps (v[2],
                at, v[3]));
      _mm512_store_ps (panel + (gsize) i * 32, lo);
    }
    return;
  }
  for (t0 = 0; t0 < d; t0 += 16) {
    const guint w = MIN (16, d - t0);
    const __mmask16 mask = (__mmask16) ((1u << w) - 1);
    __m512 r[16];

    /* Whole blocks without the per-row test. */
    if (m == 16)
      for (l = 0; l < 16; l++)
        r[l] = _mm512_maskz_loadu_ps (mask, x + (gsize) l * d + t0);
    else
      for (l = 0; l < 16; l++)
        r[l] = l < m ? _mm512_maskz_loadu_ps (mask, x + (gsize) l * d + t0) :
            _mm512_setzero_ps ();
    transpose16_avx512 (r);
    for (i = 0; i < w; i++)
      _mm512_store_ps (panel + (gsize) (t0 + i) * 32, r[i]);
  }
}

/* One group of 8 centers over the 32 lanes of the panel. */
KM_TARGET_AVX512 static void __attribute__((noinline))
    group_avx512 (const gfloat * panel, const gfloat * rows, const gfloat * off,
    guint d, gint j, KmLanes512 * st)
{
  const gfloat *c0 = rows, *c1 = c0 + d, *c2 = c1 + d, *c3 = c2 + d,
      *c4 = c3 + d, *c5 = c4 + d, *c6 = c5 + d, *c7 = c6 + d;
  __m512 a0 = _mm512_set1_ps (off[0]), a1 = _mm512_set1_ps (off[1]);
  __m512 a2 = _mm512_set1_ps (off[2]), a3 = _mm512_set1_ps (off[3]);
  __m512 a4 = _mm512_set1_ps (off[4]), a5 = _mm512_set1_ps (off[5]);
  __m512 a6 = _mm512_set1_ps (off[6]), a7 = _mm512_set1_ps (off[7]);
  __m512 b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
  guint t;

  for (t = 0; t < d; t++, panel += 32) {
    const __m512 p0 = _mm512_load_ps (panel);
    const __m512 p1 = _mm512_load_ps (panel + 16);
    __m512 cv;

#define KM_FMA_CENTER(i)                                \
    cv = _mm512_set1_ps (c##i[t]);                      \
    a##i = _mm512_fmadd_ps (p0, cv, a##i);              \
    b##i = _mm512_fmadd_ps (p1, cv, b##i);
    KM_FMA_CENTER (0);
    KM_FMA_CENTER (1);
    KM_FMA_CENTER (2);
    KM_FMA_CENTER (3);
    KM_FMA_CENTER (4);
    KM_FMA_CENTER (5);
    KM_FMA_CENTER (6);
    KM_FMA_CENTER (7);
#undef KM_FMA_CENTER
  }
#define KM_UPDATE(v, h, jj) \
  update_avx512 (v, &st->best[h], &st->second[h], &st->bidx[h], jj)
  KM_UPDATE (a0, 0, j);
  KM_UPDATE (b0, 1, j);
  KM_UPDATE (a1, 0, j + 1);
  KM_UPDATE (b1, 1, j + 1);
  KM_UPDATE (a2, 0, j + 2);
  KM_UPDATE (b2, 1, j + 2);
  KM_UPDATE (a3, 0, j + 3);
  KM_UPDATE (b3, 1, j + 3);
  KM_UPDATE (a4, 0, j + 4);
  KM_UPDATE (b4, 1, j + 4);
  KM_UPDATE (a5, 0, j + 5);
  KM_UPDATE (b5, 1, j + 5);
  KM_UPDATE (a6, 0, j + 6);
  KM_UPDATE (b6, 1, j + 6);
  KM_UPDATE (a7, 0, j + 7);
  KM_UPDATE (b7, 1, j + 7);
#undef KM_UPDATE
}

/* km_dist_exact along the rows: one vector of the 8 partial sums. */
KM_TARGET_AVX512 static gdouble
exact_avx512 (const KmDist * dist, const gfloat * x, guint j)
{
  const gfloat *c = dist->rows + (gsize) j * dist->d;
  const guint d = dist->d;
  const gboolean cosine = dist->metric == KM_METRIC_COSINE;
  __m512d acc = _mm512_setzero_pd ();
  __m256d h;
  __m128d q;
  guint t;

  for (t = 0; t < d; t += 8) {
    const __mmask16 mask = t + 8 <= d ? 0xff : (1u << (d - t)) - 1;
    __m512d xv = _mm512_cvtps_pd (_mm512_castps512_ps256
        (_mm512_maskz_loadu_ps (mask, x + t)));
    __m512d cv = _mm512_cvtps_pd (_mm512_castps512_ps256
        (_mm512_maskz_loadu_ps (mask, c + t)));

    if (cosine) {
      acc = _mm512_fmadd_pd (xv, cv, acc);
    } else {
      xv = _mm512_sub_pd (xv, cv);
      acc = _mm512_fmadd_pd (xv, xv, acc);
    }
  }
  /* tree8 */
  h = _mm256_add_pd (_mm512_castpd512_pd256 (acc),
      _mm512_extractf64x4_pd (acc, 1));
  q = _mm_add_pd (_mm256_castpd256_pd128 (h), _mm256_extractf128_pd (h, 1));
  q = _mm_add_sd (q, _mm_unpackhi_pd (q, q));
  if (cosine)
    return MAX (1.0 - _mm_cvtsd_f64 (q), 0.0);
  return _mm_cvtsd_f64 (q);
}

KM_TARGET_AVX512 static inline __m512d
to_pd_lo (__m512 v)
{
  return _mm512_cvtps_pd (_mm512_castps512_ps256 (v));
}

KM_TARGET_AVX512 static inline __m512d
to_pd_hi (__m512 v)
{
  return _mm512_cvtps_pd (_mm256_castpd_ps (_mm512_extractf64x4_pd
          (_mm512_castps_pd (v), 1)));
}

/* Coordinate t of the centers @bidx of 16 lanes. */
KM_TARGET_AVX512 static inline __m512
lane_centers_avx512 (const KmDist * dist, __m512i bidx, __m512i ci, guint t)
{
  const gfloat *row = dist->lanes + (gsize) t * KM_LANE_TABLE_MAX_K;
  __m512 lo, hi;

  if (dist->lanes == NULL)
    return _mm512_i32gather_ps (ci, dist->rows + t, 4);
  if (dist->k <= 16)
    return _mm512_permutexvar_ps (bidx, _mm512_load_ps (row));
  lo = _mm512_permutex2var_ps (_mm512_load_ps (row), bidx,
      _mm512_load_ps (row + 16));
  if (dist->k <= 32)
    return lo;
  hi = _mm512_permutex2var_ps (_mm512_load_ps (row + 32), bidx,
      _mm512_load_ps (row + 48));
  return _mm512_mask_blend_ps (_mm512_cmpge_epi32_mask (bidx,
          _mm512_set1_epi32 (32)), lo, hi);
}

/* d <= 16: exact distances of the 16 lanes of @panel (one half of the
 * block) to centers @bidx, as km_dist_exact computes them: coordinate t
 * is added to partial sum t mod 8 with one fma, the 8 sums go through
 * tree8 lane by lane.  Into *lo (lanes 0-7) and *hi (8-15). */
KM_TARGET_AVX512 static inline void
lane_exact_avx512 (const KmDist * dist, const gfloat * panel, __m512i bidx,
    __m512d * lo, __m512d * hi)
{
  const guint d = dist->d;
  const gboolean cosine = dist->metric == KM_METRIC_COSINE;
  const __m512d zero = _mm512_setzero_pd ();
  const __m512i ci = _mm512_mullo_epi32 (bidx, _mm512_set1_epi32 (d));
  __m512d sl[8], sh[8];
  guint t;

#pragma GCC unroll 16
  for (t = 0; t < KM_LANE_EXACT_MAX_D; t++) {
    const guint r = t % 8;
    __m512 xv, cv;
    __m512d xl, xh, cl, ch;

    if (t < 8)
      sl[r] = sh[r] = zero;
    if (t >= d)
      continue;
    xv = _mm512_load_ps (panel + (gsize) t * 32);
    cv = lane_centers_avx512 (dist, bidx, ci, t);
    xl = to_pd_lo (xv);
    xh = to_pd_hi (xv);
    cl = to_pd_lo (cv);
    ch = to_pd_hi (cv);
    if (cosine) {
      sl[r] = _mm512_fmadd_pd (xl, cl, sl[r]);
      sh[r] = _mm512_fmadd_pd (xh, ch, sh[r]);
    } else {
      xl = _mm512_sub_pd (xl, cl);
      xh = _mm512_sub_pd (xh, ch);
      sl[r] = _mm512_fmadd_pd (xl, xl, sl[r]);
      sh[r] = _mm512_fmadd_pd (xh, xh, sh[r]);
    }
  }
#define KM_TREE8(s) \
  _mm512_add_pd (_mm512_add_pd (_mm512_add_pd (s[0], s[4]), \
          _mm512_add_pd (s[2], s[6])), _mm512_add_pd (_mm512_add_pd (s[1], \
              s[5]), _mm512_add_pd (s[3], s[7])))
  /* Up to 4 dimensions, partial sums 4-7 are +0 and every sum is +0 or
   * more (each starts at +0, which an fma's -0 product does not turn
   * into -0): s + 0 is s exactly, so those adds are left out. */
#define KM_TREE4(s) \
  _mm512_add_pd (_mm512_add_pd (s[0], s[2]), _mm512_add_pd (s[1], s[3]))
  if (d <= 4) {
    *lo = KM_TREE4 (sl);
    *hi = KM_TREE4 (sh);
  } else {
    *lo = KM_TREE8 (sl);
    *hi = KM_TREE8 (sh);
  }
#undef KM_TREE4
#undef KM_TREE8
  if (cosine) {
    const __m512d one = _mm512_set1_pd (1.0);

    *lo = _mm512_max_pd (_mm512_sub_pd (one, *lo), zero);
    *hi = _mm512_max_pd (_mm512_sub_pd (one, *hi), zero);
  }
}

/* Valid lanes of the two halves of a block of @m points. */
#define KM_LANES_VALID0(m) ((m) >= 16 ? 0xffff : (__mmask16) ((1u << (m)) - 1))
#define KM_LANES_VALID1(m) ((m) >= 32 ? 0xffff : (m) > 16 ? \
    (__mmask16) ((1u << ((m) - 16)) - 1) : 0)

/* Writes a block's indices @b0, @b1 and distances @v (lanes 0-7, 8-15,
 * 16-23, 24-31, 0 past m) with vector stores; returns the distances' sum
 * in block_sum's order: (dd[l] + dd[8+l]) + (dd[16+l] + dd[24+l]), then
 * tree8. */
KM_TARGET_AVX512 static gdouble
write_lanes_avx512 (guint m, const __m512d * v, __m512i b0, __m512i b1,
    gint32 * idx, gfloat * out)
{
  const __mmask16 valid0 = KM_LANES_VALID0 (m), valid1 = KM_LANES_VALID1 (m);
  __m512d s;
  __m256d h;
  __m128d q;
  guint i;

  if (idx != NULL) {
    _mm512_mask_storeu_epi32 (idx, valid0, b0);
    _mm512_mask_storeu_epi32 (idx + 16, valid1, b1);
  }
  if (out != NULL) {
    for (i = 0; i < 2; i++) {
      __m512 f = _mm512_castpd_ps (_mm512_insertf64x4 (_mm512_castps_pd
              (_mm512_castps256_ps512 (_mm512_cvtpd_ps (v[2 * i]))),
              _mm256_castps_pd (_mm512_cvtpd_ps (v[2 * i + 1])), 1));

      _mm512_mask_storeu_ps (out + 16 * i, i ? valid1 : valid0, f);
    }
  }
  s = _mm512_add_pd (_mm512_add_pd (v[0], v[1]), _mm512_add_pd (v[2], v[3]));
  h = _mm256_add_pd (_mm512_castpd512_pd256 (s), _mm512_extractf64x4_pd (s, 1));
  q = _mm_add_pd (_mm256_castpd256_pd128 (h), _mm256_extractf128_pd (h, 1));
  return _mm_cvtsd_f64 (_mm_add_sd (q, _mm_unpackhi_pd (q, q)));
}

/* d <= 16, no near tie: the block's exact distances from the panel,
 * outputs written with vector stores; returns their sum in block_sum's
 * order. */
KM_TARGET_AVX512 static gdouble
finish_lanes_avx512 (const KmDist * dist, const gfloat * panel, guint m,
    const KmLanes512 * st, gint32 * idx, gfloat * out)
{
  const __mmask16 valid0 = KM_LANES_VALID0 (m), valid1 = KM_LANES_VALID1 (m);
  __m512d v[4];

  lane_exact_avx512 (dist, panel, st->bidx[0], &v[0], &v[1]);
  lane_exact_avx512 (dist, panel + 16, st->bidx[1], &v[2], &v[3]);
  v[0] = _mm512_maskz_mov_pd ((__mmask8) valid0, v[0]);
  v[1] = _mm512_maskz_mov_pd ((__mmask8) (valid0 >> 8), v[1]);
  v[2] = _mm512_maskz_mov_pd ((__mmask8) valid1, v[2]);
  v[3] = _mm512_maskz_mov_pd ((__mmask8) (valid1 >> 8), v[3]);
  return write_lanes_avx512 (m, v, st->bidx[0], st->bidx[1], idx, out);
}

/* On points streamed from memory the transposes wait on misses the
 * hardware prefetcher does not cover (how many depends even on where the
 * code lands): while a block is worked on, ask for the block
 * KM_PREFETCH_AHEAD blocks on (measured best at 2, into L1, a quarter at
 * a time, prefetch_quarter, so as not to fill the miss buffers). */
#define KM_PREFETCH_AHEAD 2

/* Points @first .. @first + @count - 1 of the @n at @x, line by line
 * from the line the first starts in. */
static inline void
prefetch_points (const gfloat * x, gsize n, gsize first, gsize count, guint d)
{
  const gchar *p, *end;

  if (first >= n)
    return;
  p = (const gchar *) ((guintptr) (x + first * d) & ~(guintptr) 63);
  end = (const gchar *) (x + MIN (first + count, n) * d);
  for (; p < end; p += 64)
    _mm_prefetch (p, _MM_HINT_T0);
}

/* Quarter @q (8 points) of the block at @first. */
static inline void
prefetch_quarter (const gfloat * x, gsize n, gsize first, guint d, guint q)
{
  prefetch_points (x, n, first + 8 * q, 8, d);
}

/* Up to 4 dimensions a block is at most 6 lines (7 unaligned): asked
 * for at once, at a third of the quarters' cost in instructions. */
#define KM_PREFETCH_WHOLE_MAX_D 4

/* Blocks 1 .. KM_PREFETCH_AHEAD - 1 of a range, which no block before
 * them asks for (block 0 is needed at once). */
static inline void
prefetch_first_blocks (const gfloat * x, gsize n, guint d)
{
  gsize first;
  guint q;

  for (first = KM_SUM_BLOCK; first < KM_PREFETCH_AHEAD * KM_SUM_BLOCK;
      first += KM_SUM_BLOCK)
    for (q = 0; q < 4; q++)
      prefetch_quarter (x, n, first, d, q);
}

KM_TARGET_AVX512 static void
assign_range_avx512 (const KmDist * dist, const gfloat * x, gsize n,
    gint32 * idx, gfloat * out, gdouble * sums, gfloat * panel)
{
  const guint d = dist->d;
  gdouble dd[KM_SUM_BLOCK];
  gint32 bi[KM_SUM_BLOCK];
  KmLanes512 st;
  gsize base;

  prefetch_first_blocks (x, n, d);
  for (base = 0; base < n; base += KM_SUM_BLOCK) {
    const guint m = MIN (KM_SUM_BLOCK, n - base);
    const gfloat *xb = x + base * d;
    guint32 ties = 0;
    const gsize ahead = base + KM_PREFETCH_AHEAD * KM_SUM_BLOCK;
    guint h, t, g, l, q;

    if (d <= KM_PREFETCH_WHOLE_MAX_D)
      prefetch_points (x, n, ahead, KM_SUM_BLOCK, d);
    else
      prefetch_quarter (x, n, ahead, d, 0);
    transpose_avx512 (xb, MIN (m, 16), d, panel);
    transpose_avx512 (xb + 16 * (gsize) d, m > 16 ? m - 16 : 0, d, panel + 16);
    for (h = 0; h < 2; h++) {
      st.best[h] = st.second[h] = _mm512_set1_ps (-INFINITY);
      st.bidx[h] = _mm512_setzero_si512 ();
    }
    /* The other quarters spread over the groups. */
    q = d <= KM_PREFETCH_WHOLE_MAX_D ? 4 : 1;
    for (g = 0; g < dist->groups; g++) {
      for (; q < 4 && 4 * g >= q * dist->groups; q++)
        prefetch_quarter (x, n, ahead, d, q);
      group_avx512 (panel, group_rows (dist, g),
          dist->offsets + g * KM_GROUP_CENTERS, d, g * KM_GROUP_CENTERS, &st);
    }
    for (; q < 4; q++)
      prefetch_quarter (x, n, ahead, d, q);
    for (h = 0; h < 2; h++) {
      const guint have = m > 16 * h ? MIN (16, m - 16 * h) : 0;
      __m512 xx = _mm512_setzero_ps (), tol;

      for (t = 0; t < d; t++) {
        __m512 v = _mm512_load_ps (panel + (gsize) t * 32 + 16 * h);

        xx = _mm512_fmadd_ps (v, v, xx);
      }
      tol = _mm512_mul_ps (_mm512_set1_ps (dist->tie_scale),
          _mm512_add_ps (xx, _mm512_set1_ps (dist->max_norm)));
      ties |= (guint32) _mm512_mask_cmp_ps_mask ((__mmask16) ((1u << have)
              - 1), st.second[h], _mm512_sub_ps (st.best[h], tol),
          _CMP_GE_OQ) << (16 * h);
    }

    if (ties == 0 && d <= KM_LANE_EXACT_MAX_D) {
      sums[base / KM_SUM_BLOCK] = finish_lanes_avx512 (dist, panel, m, &st,
          idx ? idx + base : NULL, out ? out + base : NULL);
      continue;
    }
    _mm512_storeu_si512 (bi, st.bidx[0]);
    _mm512_storeu_si512 (bi + 16, st.bidx[1]);
    for (l = 0; l < m; l++) {
      const gfloat *p = xb + (gsize) l * d;

      if (ties & (1u << l))
        bi[l] = (gint32) settle (dist, p, &dd[l]);
      else
        dd[l] = exact_avx512 (dist, p, bi[l]);
    }
    for (; l < KM_SUM_BLOCK; l++)
      dd[l] = 0.0;
    sums[base / KM_SUM_BLOCK] = store_block (m, bi, dd,
        idx ? idx + base : NULL, out ? out + base : NULL);
  }
}

/* store_block with vector stores: @dd holds the block's 32 distances, 0
 * past m. */
KM_TARGET_AVX512 static gdouble
store_block_avx512 (guint m, const gint32 * bi, const gdouble * dd,
    gint32 * idx, gfloat * out)
{
  __m512d v[4];
  guint i;

  for (i = 0; i < 4; i++)
    v[i] = _mm512_loadu_pd (dd + 8 * i);
  return write_lanes_avx512 (m, v, _mm512_loadu_si512 (bi),
      _mm512_loadu_si512 (bi + 16), idx, out);
}

/* --- bf16 candidates (kmbf16.c), fp32 re-check of the doubtful points.
 * Per tile of KM_BF16_TILE points: each block of 32 gets its bf16 best
 * index; a point whose best key does not beat the second by the bound
 * joins a queue that the fp32 kernel assigns 32 at a time; then the
 * exact distances and block sums, as the fp32 kernel gives them. */

typedef struct
{
  const KmDist *dist;
  gfloat *rows;                 /* 32 queued points, d floats each */
  guint at[KM_SUM_BLOCK];       /* their positions in the tile */
  guint n;
  gfloat *panel;                /* the fp32 kernel's panel */
  gint32 *bi;                   /* the tile's indices */
  gdouble *dd;                  /* the tile's distances, or NULL */
  gsize rechecked;
} KmRecheck;

KM_TARGET_AVX512 static void
recheck_flush (KmRecheck * rc)
{
  gint32 got[KM_SUM_BLOCK];
  gdouble sum;
  guint l;

  if (rc->n == 0)
    return;
  assign_range_avx512 (rc->dist, rc->rows, rc->n, got, NULL, &sum, rc->panel);
  for (l = 0; l < rc->n; l++) {
    rc->bi[rc->at[l]] = got[l];
    if (rc->dd != NULL)
      rc->dd[rc->at[l]] = exact_avx512 (rc->dist,
          rc->rows + (gsize) l * rc->dist->d, got[l]);
  }
  rc->rechecked += rc->n;
  rc->n = 0;
}

KM_TARGET_AVX512 static void
recheck_push (KmRecheck * rc, const gfloat * p, guint at)
{
  memcpy (rc->rows + (gsize) rc->n * rc->dist->d, p,
      rc->dist->d * sizeof (gfloat));
  rc->at[rc->n++] = at;
  if (rc->n == KM_SUM_BLOCK)
    recheck_flush (rc);
}

/* Lanes of half @h (m valid points in the block) whose bf16 best is
 * proven: best - second > a1 ||x|| + a0 + ts ||x||^2, ||x||^2 in range. */
KM_TARGET_AVX512 static __mmask16
proven_lanes (const KmBf16 * bf, const gfloat * panel, guint d, guint h,
    guint m, const gfloat * best, const gfloat * second)
{
  const guint have = m > 16 * h ? MIN (16, m - 16 * h) : 0;
  __m512 xx = _mm512_setzero_ps (), thr, gap;
  __mmask16 ok;
  guint t;

  for (t = 0; t < d; t++) {
    __m512 v = _mm512_load_ps (panel + (gsize) t * 32 + 16 * h);

    xx = _mm512_fmadd_ps (v, v, xx);
  }
  thr = _mm512_fmadd_ps (_mm512_set1_ps (bf->ts), xx,
      _mm512_fmadd_ps (_mm512_set1_ps (bf->a1), _mm512_sqrt_ps (xx),
          _mm512_set1_ps (bf->a0)));
  gap = _mm512_sub_ps (_mm512_loadu_ps (best + 16 * h),
      _mm512_loadu_ps (second + 16 * h));
  ok = _mm512_mask_cmp_ps_mask ((__mmask16) ((1u << have) - 1), gap, thr,
      _CMP_GT_OQ);
  return _mm512_mask_cmp_ps_mask (ok, xx, _mm512_set1_ps (KM_BF16_MAX_NORM),
      _CMP_LE_OQ);
}

/* The index and distance lines of a block of @m points, written once
 * the tile is done: in cache by then, the stores do not wait on memory. */
static inline void
prefetch_outputs (const gint32 * idx, const gfloat * out, guint m)
{
  if (idx != NULL) {
    _mm_prefetch ((const gchar *) idx, _MM_HINT_T0);
    if (m > 16)
      _mm_prefetch ((const gchar *) (idx + 16), _MM_HINT_T0);
  }
  if (out != NULL) {
    _mm_prefetch ((const gchar *) out, _MM_HINT_T0);
    if (m > 16)
      _mm_prefetch ((const gchar *) (out + 16), _MM_HINT_T0);
  }
}

/* d <= 16: the block's exact distances to its bf16 indices @bi, lane by
 * lane from the panel as finish_lanes_avx512 computes them, 0 past m
 * (a re-checked point's is redone with its new index). */
KM_TARGET_AVX512 static void
lane_distances (const KmDist * dist, const gfloat * panel, guint m,
    const gint32 * bi, gdouble * dd)
{
  __m512d v[4];
  guint q;

  lane_exact_avx512 (dist, panel, _mm512_loadu_si512 (bi), &v[0], &v[1]);
  lane_exact_avx512 (dist, panel + 16, _mm512_loadu_si512 (bi + 16), &v[2],
      &v[3]);
  for (q = 0; q < 4; q++) {
    const guint have = m > 8 * q ? MIN (8, m - 8 * q) : 0;

    _mm512_storeu_pd (dd + 8 * q, _mm512_maskz_mov_pd ((__mmask8) ((1u <<
                    have) - 1), v[q]));
  }
}

/* Indices of the tile's @n points at @x into @bi (and with rc->dd, their
 * distances); @left points from @x may be prefetched, @idx and @out are
 * the tile's outputs. */
KM_TARGET_AVX512 static void
bf16_tile_indices (const KmDist * dist, const gfloat * x, gsize n,
    gsize left, gint32 * bi, gfloat * panel, gfloat * scratch,
    KmRecheck * rc, gint32 * idx, gfloat * out)
{
  const guint d = dist->d;
  gfloat best[KM_SUM_BLOCK], second[KM_SUM_BLOCK];
  gsize base;

  for (base = 0; base < n; base += KM_SUM_BLOCK) {
    const guint m = MIN (KM_SUM_BLOCK, n - base);
    const gfloat *xb = x + base * d;
    const gsize ahead = base + KM_PREFETCH_AHEAD * KM_SUM_BLOCK;
    guint32 proven, doubt;

    prefetch_quarter (x, left, ahead, d, 0);
    prefetch_outputs (idx ? idx + base : NULL, out ? out + base : NULL, m);
    transpose_avx512 (xb, MIN (m, 16), d, panel);
    transpose_avx512 (xb + 16 * (gsize) d, m > 16 ? m - 16 : 0, d, panel + 16);
    prefetch_quarter (x, left, ahead, d, 1);
    km_bf16_block (dist->bf16, panel, scratch, best, second, bi + base);
    prefetch_quarter (x, left, ahead, d, 2);
    proven = proven_lanes (dist->bf16, panel, d, 0, m, best, second)
        | (guint32) proven_lanes (dist->bf16, panel, d, 1, m, best,
        second) << 16;
    if (rc->dd != NULL)
      lane_distances (dist, panel, m, bi + base, rc->dd + base);
    prefetch_quarter (x, left, ahead, d, 3);
    /* Mostly none: visit only the doubtful lanes. */
    doubt = ~proven & (m == 32 ? 0xffffffffu : (1u << m) - 1);
    while (doubt != 0) {
      const guint l = (guint) __builtin_ctz (doubt);

      recheck_push (rc, xb + (gsize) l * d, base + l);
      doubt &= doubt - 1;
    }
  }
  recheck_flush (rc);
}

KM_TARGET_AVX512 static gsize
assign_range_bf16 (const KmDist * dist, const gfloat * x, gsize n,
    gint32 * idx, gfloat * out, gdouble * sums, gfloat * work)
{
  const guint d = dist->d;
  gint32 bi[KM_BF16_TILE];
  gdouble dd[KM_BF16_TILE];
  KmRecheck rc;
  gfloat *panel = work, *scratch = work + 3 * KM_SUM_BLOCK * (gsize) d;
  gsize first, base;
  guint l;

  rc.dist = dist;
  rc.panel = work + KM_SUM_BLOCK * (gsize) d;
  rc.rows = work + 2 * KM_SUM_BLOCK * (gsize) d;
  rc.bi = bi;
  rc.dd = d <= KM_LANE_EXACT_MAX_D ? dd : NULL;
  rc.n = 0;
  rc.rechecked = 0;
  prefetch_first_blocks (x, n, d);
  km_bf16_begin ();
  for (first = 0; first < n; first += KM_BF16_TILE) {
    const gsize tn = MIN (KM_BF16_TILE, n - first);

    bf16_tile_indices (dist, x + first * d, tn, n - first, bi, panel,
        scratch, &rc, idx ? idx + first : NULL, out ? out + first : NULL);
    for (base = 0; base < tn; base += KM_SUM_BLOCK) {
      const guint m = MIN (KM_SUM_BLOCK, tn - base);
      const gsize at = first + base;

      if (rc.dd == NULL) {
        for (l = 0; l < m; l++)
          dd[base + l] = exact_avx512 (dist, x + (at + l) * d, bi[base + l]);
        for (; l < KM_SUM_BLOCK; l++)
          dd[base + l] = 0.0;
      }
      sums[at / KM_SUM_BLOCK] = store_block_avx512 (m, bi + base, dd + base,
          idx ? idx + at : NULL, out ? out + at : NULL);
    }
  }
  km_bf16_end ();
  return rc.rechecked;
}

/* Floats of the bf16 path's workspace: its panel, the fp32 kernel's,
 * the re-check queue and the tile scratch. */
static gsize
bf16_work_floats (const KmDist * dist)
{
  return 3 * KM_SUM_BLOCK * (gsize) dist->d
      + km_bf16_scratch_floats (dist->bf16);
}
#endif /* SIMD */

/* ------------------------------------------------------------------ */
/* Assignment. */

/* Points the bf16 path sent back to the fp32 kernel (for measurements). */
static gsize bf16_rechecked;

gsize
km_dist_bf16_rechecked (void)
{
  return (gsize) g_atomic_pointer_get (&bf16_rechecked);
}

static void
assign_range (const KmDist * dist, const gfloat * x, gsize n, gint32 * idx,
    gfloat * out, gdouble * sums, KmWorkspace * ws)
{
#ifdef KM_HAVE_SIMD
  if (dist->isa == KM_ISA_AVX512 && dist->use_bf16 && dist->bf16->usable) {
    gfloat *work = km_workspace_get (ws, KM_WS_PANEL,
        bf16_work_floats (dist) * sizeof (gfloat));

    g_atomic_pointer_add (&bf16_rechecked,
        (gssize) assign_range_bf16 (dist, x, n, idx, out, sums, work));
    return;
  }
  if (dist->isa != KM_ISA_GENERIC) {
    /* One tile of points, transposed: d rows of 32 floats. */
    gfloat *panel = km_workspace_get (ws, KM_WS_PANEL,
        (gsize) dist->d * KM_SUM_BLOCK * sizeof (gfloat));

    if (dist->isa == KM_ISA_AVX512)
      assign_range_avx512 (dist, x, n, idx, out, sums, panel);
    else
      assign_range_avx2 (dist, x, n, idx, out, sums, panel);
    return;
  }
#endif
  assign_range_generic (dist, x, n, idx, out, sums, ws);
}

typedef struct
{
  const KmDist *dist;
  const gfloat *x;
  gsize n;
  gint32 *idx;
  gfloat *out;
  gdouble *sums;
  const KmAccumulation *acc;    /* chunks summed too, when not NULL */
  gsize acc_first;              /* the accumulation's index of chunk 0 */
  gsize chunk;                  /* points per chunk, a multiple of 32 */
  guint chunks;
  KmChunkClaims claims;
} AssignJob;

G_STATIC_ASSERT (KM_ACC_CHUNK % KM_SUM_BLOCK == 0);

/* Points assigned then summed at a time: about 32 KiB of them, still in
 * the L1 cache (48 KiB on this benchmark's CPU) when they are summed.
 * Measured: 8 KiB made features (d = 16, k = 64) train 24% slower, the
 * AMX path paying its per-call set-up every 128 points; sensor and
 * embedding did not move. */
static gsize
fused_points (guint d)
{
  gsize p = 32768 / (d * sizeof (gfloat)) / KM_SUM_BLOCK * KM_SUM_BLOCK;

  return MAX (p, KM_SUM_BLOCK);
}

/* Assigns and sums the @m points from @first, chunk @c of the job's. */
static void
assign_accumulate (const AssignJob * job, guint c, gsize first, gsize m,
    KmWorkspace * ws)
{
  const gsize step = fused_points (job->dist->d);
  gsize s;

  for (s = 0; s < m; s += step) {
    const gsize at = first + s, len = MIN (step, m - s);
    const gfloat *x = job->x + at * job->dist->d;

    assign_range (job->dist, x, len, job->idx + at,
        job->out ? job->out + at : NULL, job->sums + at / KM_SUM_BLOCK, ws);
    km_accumulation_add_chunk (job->acc, job->acc_first + c, s == 0, x, len,
        job->idx + at, ws);
  }
}

/* Claims and runs chunks until none is left (see km_parallel_run). */
static void
assign_chunks (gpointer data, guint part, KmWorkspace * ws)
{
  AssignJob *job = data;
  gint64 c;

  while ((c = km_chunk_claims_next (&job->claims, part)) >= 0) {
    const gsize first = c * job->chunk;
    const gsize m = MIN (job->chunk, job->n - first);

    if (job->acc != NULL) {
      assign_accumulate (job, c, first, m, ws);
      continue;
    }
    assign_range (job->dist, job->x + first * job->dist->d, m,
        job->idx ? job->idx + first : NULL,
        job->out ? job->out + first : NULL, job->sums + first / KM_SUM_BLOCK,
        ws);
  }
}

/* Threads worth using: one per core for large calls.  Not when the
 * portable kernel goes through sgemm: OpenBLAS threads that itself, and
 * both at once would oversubscribe the cores. */
static guint
parts_for (const KmDist * dist, gsize n)
{
  guint64 work = (guint64) n * dist->groups * KM_GROUP_CENTERS * (dist->d + 6);

  if (work < KM_PARALLEL_MIN_WORK || n < 2 * KM_SUM_BLOCK
      || (dist->isa == KM_ISA_GENERIC && dist->use_gemm))
    return 1;
  return km_parallel_parts ();
}

/* Assigns @n points from @first of the job's, in @parts threads: in a
 * few chunks per thread, so a late or busy helper delays little, or in
 * the accumulation's chunks (@first then starts one). */
static void
run_assign_job (const AssignJob * proto, gsize first, gsize n, guint parts,
    KmWorkspace * ws)
{
  const gsize blocks = (n + KM_SUM_BLOCK - 1) / KM_SUM_BLOCK;
  AssignJob job = *proto;

  job.x += first * job.dist->d;
  job.n = n;
  job.idx = job.idx ? job.idx + first : NULL;
  job.out = job.out ? job.out + first : NULL;
  job.sums += first / KM_SUM_BLOCK;
  if (job.acc != NULL) {
    job.chunk = job.acc->chunk;
    job.acc_first = first / job.chunk;
  } else {
    job.chunks = parts == 1 ? 1 : MIN (blocks, 4 * parts);
    job.chunk = (blocks + job.chunks - 1) / job.chunks * KM_SUM_BLOCK;
  }
  job.chunks = (n + job.chunk - 1) / job.chunk;
  km_chunk_claims_init (&job.claims, job.chunks, parts);
  if (parts == 1)
    assign_chunks (&job, 0, ws);
  else
    km_parallel_run (assign_chunks, &job, parts, ws);
}

/* The assignment, and with @acc the accumulation: in windows of its
 * chunks, each summed by the threads that assign it then merged, when
 * threads share the work; else after the assignment, in this thread. */
gdouble
km_dist_assign_accumulate (const KmDist * dist, const gfloat * points,
    gsize n, gint32 * idx, gfloat * out_dist, const KmAccumulation * acc,
    KmWorkspace * ws)
{
  AssignJob job = { 0, };
  gsize blocks, b, first;
  guint parts;
  gdouble total = 0.0;

  g_return_val_if_fail (acc == NULL || idx != NULL, 0.0);

  if (n == 0)
    return 0.0;
  blocks = (n + KM_SUM_BLOCK - 1) / KM_SUM_BLOCK;
  parts = parts_for (dist, n);
  job.dist = dist;
  job.x = points;
  job.idx = idx;
  job.out = out_dist;
  job.sums = km_workspace_get (ws, KM_WS_BLOCK_SUMS, blocks * sizeof (gdouble));
  if (acc != NULL && parts > 1 && n > acc->chunk) {
    const gsize span = acc->chunk * acc->window;

    job.acc = acc;
    for (first = 0; first < n; first += span) {
      run_assign_job (&job, first, MIN (span, n - first), parts, ws);
      km_accumulation_merge (acc, first / acc->chunk,
          (MIN (first + span, n) + acc->chunk - 1) / acc->chunk);
    }
  } else {
    run_assign_job (&job, 0, n, parts, ws);
    if (acc != NULL)
      km_accumulate_add (acc->isa, acc->k, acc->d, points, n, idx, acc->sums,
          acc->cnt, ws);
  }

  /* Block after block: the same total whatever the split. */
  for (b = 0; b < blocks; b++)
    total += job.sums[b];
  return total;
}

gdouble
km_dist_assign (const KmDist * dist, const gfloat * points, gsize n,
    gint32 * idx, gfloat * out_dist, KmWorkspace * ws)
{
  return km_dist_assign_accumulate (dist, points, n, idx, out_dist, NULL, ws);
}

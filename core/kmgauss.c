/* gst-kmeans core: counter-based Gaussian streams with exact bits.
 *
 * The same C body is compiled for the portable baseline and, on x86-64,
 * for AVX2 and AVX-512 (chosen at run time, KMEANS_ISA=generic forces the
 * baseline).  Identical bits across them and across machines rest on
 * three rules: only IEEE-exact operations (+ - * / sqrt, int <-> float
 * conversions, bit operations), no contraction into FMA (the pragma
 * below: GCC contracts by default wherever FMA exists, e.g. AVX-512 and
 * every AArch64), and no reassociation (never -ffast-math). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize ("fp-contract=off")
#endif

#include <math.h>

#include "kmgauss.h"
#include "kmprivate.h"

#define GOLDEN  G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)
#define PAIRS   (KM_GAUSS_BLOCK / 2)

#if defined(__GNUC__)
#define KM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KM_ALWAYS_INLINE inline
#endif

/* SplitMix64's output function. */
static KM_ALWAYS_INLINE guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

guint64
km_gauss_key (guint64 seed, KmGaussStreamId stream)
{
  return mix64 (mix64 (seed + GOLDEN) + (guint64) stream * GOLDEN);
}

guint64
km_gauss_word (guint64 key, guint64 counter)
{
  return mix64 (key + counter * GOLDEN);
}

gdouble
km_gauss_uniform (guint64 key, guint64 counter)
{
  return (km_gauss_word (key, counter) >> 11) * (1.0 / 9007199254740992.0);
}

typedef union
{
  gfloat f;
  guint32 u;
} FloatBits;

static KM_ALWAYS_INLINE guint32
float_bits (gfloat f)
{
  FloatBits b;

  b.f = f;
  return b.u;
}

static KM_ALWAYS_INLINE gfloat
bits_float (guint32 u)
{
  FloatBits b;

  b.u = u;
  return b.f;
}

/* log (u) for u in [2^-32, 1]: u = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh (s), s = (m - 1) / (m + 1), |s| < 0.172, as the odd
 * series to s^9 (next term < 1e-9 relative). */
static KM_ALWAYS_INLINE gfloat
log_unit (gfloat u)
{
  guint32 bits = float_bits (u);
  guint32 big = (bits & 0x7fffff) > 0x3504f3;   /* mantissa > sqrt(2) */
  gint32 e = (gint32) (bits >> 23) - 127 + (gint32) big;
  gfloat m = bits_float (((bits & 0x7fffff) | 0x3f800000) - (big << 23));
  gfloat f = m - 1.0f;
  gfloat s = f / (2.0f + f);
  gfloat z = s * s;
  gfloat p = 2.0f / 7.0f + z * (2.0f / 9.0f);
  gfloat exponent = (gfloat) e;

  p = 2.0f / 5.0f + z * p;
  p = 2.0f / 3.0f + z * p;
  p = 2.0f + z * p;
  return exponent * (gfloat) G_LN2 + s * p;
}

/* sqrt (y) for y in [0, 45] as y times 1 / sqrt (y), three Newton steps from
 * the exponent halved and negated (bits 3/2 * 127 * 2^23 - bits / 2):
 * within 3e-7 relative.  Not sqrtf: with errno (C's default) GCC will not
 * vectorise it, and -fno-math-errno cannot be set per file by pragma. */
static KM_ALWAYS_INLINE gfloat
sqrt_small (gfloat y)
{
  gfloat x = bits_float (0x5f400000u - (float_bits (y) >> 1));
  gfloat h = 0.5f * y;

  x = x * (1.5f - h * x * x);
  x = x * (1.5f - h * x * x);
  x = x * (1.5f - h * x * x);
  return y * x;
}

/* cos and sin of 2 pi word / 2^32: the nearest quarter turn q from the
 * top bits, the rest a in [-pi/4, pi/4) by Taylor series (to a^10, a^9);
 * then rotated by q quarter turns with bit operations. */
static KM_ALWAYS_INLINE void
cos_sin_turn (guint32 word, gfloat * c_out, gfloat * s_out)
{
  guint32 v = word + 0x20000000u;
  guint32 q = v >> 30;
  gint32 w = (gint32) (v & 0x3fffffffu) - 0x20000000;
  gfloat a = (gfloat) w * (gfloat) (2.0 * G_PI / 4294967296.0);
  gfloat z = a * a;
  gfloat s = 1.0f / 120.0f + z * (-1.0f / 5040.0f + z * (1.0f / 362880.0f));
  gfloat c = 1.0f / 24.0f + z * (-1.0f / 720.0f + z * (1.0f / 40320.0f +
          z * (-1.0f / 3628800.0f)));
  guint32 swap, cb, sb, xb, yb;

  s = a + a * z * (-1.0f / 6.0f + z * s);
  c = 1.0f + z * (-0.5f + z * c);
  cb = float_bits (c);
  sb = float_bits (s);
  swap = 0u - (q & 1u);
  xb = (sb & swap) | (cb & ~swap);
  yb = (cb & swap) | (sb & ~swap);
  xb ^= (((q + 1u) >> 1) & 1u) << 31;   /* q = 1, 2: cos < 0 */
  yb ^= (q >> 1) << 31;         /* q = 2, 3: sin < 0 */
  *c_out = bits_float (xb);
  *s_out = bits_float (yb);
}

/* The one body every SIMD level compiles. */
static KM_ALWAYS_INLINE void
block_body (guint64 key, guint64 block, gfloat * restrict out)
{
  const guint64 base = key + block * PAIRS * GOLDEN;
  guint i;

#pragma omp simd
  for (i = 0; i < PAIRS; i++) {
    guint64 h = mix64 (base + (guint64) i * GOLDEN);
    gint32 hi = (gint32) (h >> 33);
    /* (0, 1]: 31 bits, + 1/2 so that log is finite. */
    gfloat u = ((gfloat) hi + 0.5f) * 0x1p-31f;
    gfloat r = sqrt_small (-2.0f * log_unit (u));
    gfloat c, s;

    cos_sin_turn ((guint32) h, &c, &s);
    out[i] = r * c;
    out[i + PAIRS] = r * s;
  }
}

static void
block_generic (guint64 key, guint64 block, gfloat * out)
{
  block_body (key, block, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define KM_GAUSS_HAVE_X86 1

__attribute__((target ("avx2")))
     static void block_avx2 (guint64 key, guint64 block, gfloat * out)
{
  block_body (key, block, out);
}

__attribute__((target ("avx512f,avx512dq,avx512vl,avx512bw")))
     static void block_avx512 (guint64 key, guint64 block, gfloat * out)
{
  block_body (key, block, out);
}
#endif

typedef void (*BlockFunc) (guint64 key, guint64 block, gfloat * out);

static gpointer
choose_block_func (gpointer unused)
{
  BlockFunc f = block_generic;

#ifdef KM_GAUSS_HAVE_X86
  KmIsa isa = km_isa_detect ();

  if (isa >= KM_ISA_AVX2)
    f = block_avx2;
  if (isa >= KM_ISA_AVX512 && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512bw"))
    f = block_avx512;
#endif
  return (gpointer) f;
}

static BlockFunc
block_func (void)
{
  static GOnce once = G_ONCE_INIT;

  return (BlockFunc) g_once (&once, choose_block_func, NULL);
}

gboolean
km_gauss_block_at_level (guint64 key, guint64 block, gfloat * out, guint level)
{
  if (level == 0) {
    block_generic (key, block, out);
    return TRUE;
  }
#ifdef KM_GAUSS_HAVE_X86
  __builtin_cpu_init ();
  if (level == 1 && __builtin_cpu_supports ("avx2")) {
    block_avx2 (key, block, out);
    return TRUE;
  }
  if (level == 2 && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512bw")) {
    block_avx512 (key, block, out);
    return TRUE;
  }
#endif
  return FALSE;
}

void
km_gauss_init (KmGauss * g, guint64 key)
{
  g->key = key;
  g->cached_block = G_MAXUINT64;
}

/* Copies values [from, from + n) of block @block, through the cache. */
static void
fill_from_cached (KmGauss * g, guint64 block, guint from, gfloat * out, guint n)
{
  if (g->cached_block != block) {
    block_func ()(g->key, block, g->cache);
    g->cached_block = block;
  }
  memcpy (out, g->cache + from, n * sizeof (gfloat));
}

void
km_gauss_fill (KmGauss * g, guint64 first, gfloat * out, gsize n)
{
  BlockFunc generate = block_func ();
  guint64 block = first / KM_GAUSS_BLOCK;
  guint from = (guint) (first % KM_GAUSS_BLOCK);

  /* Whole blocks go straight to @out; partial ones (a buffer's edges)
   * through the cache, which the next buffer usually continues. */
  while (n > 0) {
    if (from == 0 && n >= KM_GAUSS_BLOCK) {
      generate (g->key, block, out);
      out += KM_GAUSS_BLOCK;
      n -= KM_GAUSS_BLOCK;
    } else {
      guint take = (guint) MIN ((gsize) (KM_GAUSS_BLOCK - from), n);

      fill_from_cached (g, block, from, out, take);
      out += take;
      n -= take;
      from = 0;
    }
    block++;
  }
}

/* floor (word * k / 2^64), exactly, in 64-bit arithmetic. */
static inline guint32
scale_word (guint64 word, guint32 k)
{
  guint64 lo = (word & 0xffffffffu) * k;
  guint64 hi = (word >> 32) * k;

  return (guint32) ((hi + (lo >> 32)) >> 32);
}

void
km_gauss_pick (guint64 key, guint64 first, gsize n, guint32 k, guint32 * out)
{
  gsize i;

  for (i = 0; i < n; i++)
    out[i] = scale_word (km_gauss_word (key, first + i), k);
}

void
km_gauss_draw_centers (guint64 seed, guint k, guint d, gdouble range,
    gdouble * origin, gdouble * direction)
{
  const guint64 ckey = km_gauss_key (seed, KM_GAUSS_STREAM_CENTERS);
  gsize i, n = (gsize) k * d;
  gfloat *g = g_new (gfloat, d);
  KmGauss dirs;
  guint c, j;

  for (i = 0; i < n; i++)
    origin[i] = range * (2.0 * km_gauss_uniform (ckey, i) - 1.0);

  km_gauss_init (&dirs, km_gauss_key (seed, KM_GAUSS_STREAM_DIRECTIONS));
  for (c = 0; c < k; c++) {
    gdouble *dir = direction + (gsize) c * d;
    gdouble norm = 0.0;

    km_gauss_fill (&dirs, (guint64) c * d, g, d);
    for (j = 0; j < d; j++) {
      dir[j] = g[j];
      norm += dir[j] * dir[j];
    }
    norm = sqrt (norm);
    for (j = 0; j < d; j++)
      dir[j] = norm > 0.0 ? dir[j] / norm : (j == 0 ? 1.0 : 0.0);
  }
  g_free (g);
}

/* One point's row, in double, stored as float or double. */
static inline void
blend_row (const gdouble * restrict o, const gdouble * restrict dir,
    gdouble t, const gfloat * restrict g, guint d, gdouble spread,
    gboolean f64, gpointer restrict out)
{
  gfloat *y32 = out;
  gdouble *y64 = out;
  guint j;

  if (dir == NULL && !f64) {
    for (j = 0; j < d; j++)
      y32[j] = (gfloat) (o[j] + spread * (gdouble) g[j]);
  } else if (dir == NULL) {
    for (j = 0; j < d; j++)
      y64[j] = o[j] + spread * (gdouble) g[j];
  } else if (!f64) {
    for (j = 0; j < d; j++)
      y32[j] = (gfloat) (o[j] + dir[j] * t + spread * (gdouble) g[j]);
  } else {
    for (j = 0; j < d; j++)
      y64[j] = o[j] + dir[j] * t + spread * (gdouble) g[j];
  }
}

void
km_gauss_blend (const gdouble * origin, const gdouble * direction,
    guint d, const guint32 * cluster, const gfloat * noise,
    gsize n, gdouble spread, gdouble per_point, guint64 since,
    gboolean f64, gpointer out)
{
  const gsize row_bytes = (gsize) d * (f64 ? sizeof (gdouble) :
      sizeof (gfloat));
  guint8 *y = out;
  gsize i;

  for (i = 0; i < n; i++) {
    gsize at = (gsize) cluster[i] * d;
    const gdouble *dir = per_point != 0.0 ? direction + at : NULL;
    gdouble t = per_point * (gdouble) (since + i);

    blend_row (origin + at, dir, t, noise + i * d, d, spread, f64, y);
    y += row_bytes;
  }
}

/* gst-kmeans core: bf16 candidate keys on AMX (docs/algorithm.md §4.6).
 *
 * The keys x.c - ||c||^2/2 of a block of 32 points against every center
 * come from bf16-rounded points and centers multiplied on the AMX tiles
 * (TDPBF16PS: exact bf16 products, fp32 sums), 32 centers x 32 points x
 * 32 dimensions per four tile products.  The centers are the tiles' A
 * operand (one row per center), the points the B operand (one column per
 * point, pairs of dimensions interleaved), so a row of the result holds
 * one center's keys for 16 points and the best / second best / index
 * update runs one point per SIMD lane, as in the fp32 kernels.
 *
 * AVX512-BF16's VDPBF16PS does the same arithmetic, but measured on this
 * machine it issues at a quarter of the rate of VFMADD...PS (half the
 * multiply-adds per second of fp32), so only the AMX version is here. */
#include <math.h>
#include <string.h>

#include "kmbf16.h"

/* Beyond this a center coordinate could overflow bf16 or the sums. */
#define KM_BF16_MAX_COORD 0x1p50f

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define KM_HAVE_AMX 1
#include <cpuid.h>
#include <immintrin.h>
#include <unistd.h>
#include <sys/syscall.h>

#define KM_ARCH_REQ_XCOMP_PERM 0x1023
#define KM_XFEATURE_XTILEDATA 18

#define KM_TARGET_AMX \
  __attribute__ ((target ("amx-tile,amx-bf16,avx512f,avx512bw,avx512bf16")))

/* Only after cpuid said OSXSAVE. */
__attribute__((target ("xsave")))
     static guint64 read_xcr0 (void)
{
  return _xgetbv (0);
}

static gpointer
detect_amx (gpointer unused)
{
  guint a, b, c, dx;
  gboolean bf16, amx;

  if (__get_cpuid_max (0, NULL) < 7)
    return GINT_TO_POINTER (FALSE);
  __cpuid_count (1, 0, a, b, c, dx);
  if (!(c & (1u << 27)))        /* OSXSAVE: xgetbv is usable */
    return GINT_TO_POINTER (FALSE);
  __cpuid_count (7, 0, a, b, c, dx);
  /* AMX-BF16 (EDX 22), AMX-TILE (24), AVX512F (EBX 16), AVX512BW (30). */
  amx = (dx & (1u << 22)) && (dx & (1u << 24)) && (b & (1u << 16))
      && (b & (1u << 30));
  __cpuid_count (7, 1, a, b, c, dx);
  bf16 = (a & (1u << 5)) != 0;  /* AVX512_BF16 */
  if (!amx || !bf16)
    return GINT_TO_POINTER (FALSE);
  /* The OS saves SSE, AVX, the AVX-512 state and both tile states. */
  if ((read_xcr0 () & 0x600e6) != 0x600e6)
    return GINT_TO_POINTER (FALSE);
  /* Linux hands out the 8 KiB tile data state only on request. */
  if (syscall (SYS_arch_prctl, KM_ARCH_REQ_XCOMP_PERM,
          KM_XFEATURE_XTILEDATA) != 0)
    return GINT_TO_POINTER (FALSE);
  return GINT_TO_POINTER (TRUE);
}

gboolean
km_bf16_supported (void)
{
  static GOnce once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&once, detect_amx, NULL));
}

/* Palette 1, the eight tiles 16 rows of 64 bytes: 0-3 keys (16 centers
 * x 16 points), 4-5 centers (16 x 32 bf16), 6-7 points (16 pairs x 16). */
typedef struct
{
  guint8 palette;
  guint8 start_row;
  guint8 reserved[14];
  guint16 colsb[16];
  guint8 rows[16];
} __attribute__((packed)) KmTileConfig;

/* A static object: GCC 12 drops stores to a local one that only the
 * ldtilecfg asm reads. */
static const KmTileConfig tile_config = {
  .palette = 1,
  .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
  .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

KM_TARGET_AMX void
km_bf16_begin (void)
{
  _tile_loadconfig (&tile_config);
}

KM_TARGET_AMX void
km_bf16_end (void)
{
  _tile_release ();
}

/* The panel as the tiles' B operand: row p holds, per point, the bf16
 * pair (coordinate 2p, 2p+1) in one 32-bit word; 0 past d. */
KM_TARGET_AMX static void
pack_points (const KmBf16 * bf, const gfloat * panel, guint32 * pairs)
{
  const __m512i interleave = _mm512_set_epi16 (31, 15, 30, 14, 29, 13, 28,
      12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18,
      2, 17, 1, 16, 0);
  const guint d = bf->d;
  guint p, h;

  for (p = 0; p < bf->d_pad / 2; p++) {
    for (h = 0; h < 2; h++) {
      const guint t = 2 * p;
      __m512 even = t < d ? _mm512_load_ps (panel + (gsize) t * 32 + 16 * h)
          : _mm512_setzero_ps ();
      __m512 odd = t + 1 < d ?
          _mm512_load_ps (panel + (gsize) (t + 1) * 32 + 16 * h) :
          _mm512_setzero_ps ();
      __m512i both = (__m512i) _mm512_cvtne2ps_pbh (odd, even);

      _mm512_store_si512 (pairs + (gsize) p * 32 + 16 * h,
          _mm512_permutexvar_epi16 (interleave, both));
    }
  }
}

KM_TARGET_AMX static inline void
update_lanes (__m512 key, __m512 * best, __m512 * second, __m512i * bidx,
    gint j)
{
  __mmask16 gt = _mm512_cmp_ps_mask (key, *best, _CMP_GT_OQ);

  *second = _mm512_max_ps (_mm512_min_ps (key, *best), *second);
  *best = _mm512_max_ps (key, *best);
  *bidx = _mm512_mask_mov_epi32 (*bidx, gt, _mm512_set1_epi32 (j));
}

/* The keys of 16 centers from @first (tile rows), for both halves of the
 * block, in order of the center. */
KM_TARGET_AMX static inline void
update_rows (const gfloat * keys0, const gfloat * keys1, gint first,
    __m512 * best, __m512 * second, __m512i * bidx)
{
  guint r;

  for (r = 0; r < 16; r++) {
    update_lanes (_mm512_load_ps (keys0 + 16 * r), &best[0], &second[0],
        &bidx[0], first + r);
    update_lanes (_mm512_load_ps (keys1 + 16 * r), &best[1], &second[1],
        &bidx[1], first + r);
  }
}

/* The keys of centers @g..@g+31 for the block into @keys (four 16 x 16
 * tiles: centers g.. and g+16.. by points 0-15 and 16-31).  The
 * accumulators start from the offsets, so the key is one AMX sum of the
 * d products and o_j (docs/algorithm.md §4.6). */
KM_TARGET_AMX static inline void
group_keys (const KmBf16 * bf, const guint32 * pairs, guint g, gfloat * keys)
{
  const gsize stride = (gsize) bf->d_pad * sizeof (guint16);
  const guint chunks = bf->d_pad / 32;
  const guint16 *c0 = bf->rows + (gsize) g * bf->d_pad;
  const guint16 *c1 = c0 + (gsize) 16 * bf->d_pad;
  const gfloat *o0 = bf->offsets + (gsize) g * 16;
  guint c;

  _tile_loadd (0, o0, 64);
  _tile_loadd (1, o0, 64);
  _tile_loadd (2, o0 + 256, 64);
  _tile_loadd (3, o0 + 256, 64);
  for (c = 0; c < chunks; c++) {
    const guint32 *p = pairs + (gsize) c * 16 * 32;

    _tile_loadd (4, c0 + 32 * c, stride);
    _tile_loadd (5, c1 + 32 * c, stride);
    _tile_loadd (6, p, 128);
    _tile_loadd (7, p + 16, 128);
    _tile_dpbf16ps (0, 4, 6);
    _tile_dpbf16ps (1, 4, 7);
    _tile_dpbf16ps (2, 5, 6);
    _tile_dpbf16ps (3, 5, 7);
  }
  _tile_stored (0, keys, 64);
  _tile_stored (1, keys + 256, 64);
  _tile_stored (2, keys + 512, 64);
  _tile_stored (3, keys + 768, 64);
}

/* d <= 32, steps of 16 centers: the keys of step @s, its accumulators
 * started from the offsets, into @keys (16 x 16 for points 0-15, then
 * 16-31).  Even steps use tiles 0, 1 and 4, odd ones 2, 3 and 5, so a
 * step's products run while the lanes of the one before are updated;
 * the points stay in tiles 6 and 7.  Two functions, not one with the
 * tiles as arguments: tile numbers must be immediates. */
KM_TARGET_AMX static inline void
even_step_keys (const KmBf16 * bf, guint s, gfloat * keys)
{
  const gfloat *o = bf->offsets + (gsize) s * 256;

  _tile_loadd (0, o, 64);
  _tile_loadd (1, o, 64);
  _tile_loadd (4, bf->rows + (gsize) s * 16 * 32, 64);
  _tile_dpbf16ps (0, 4, 6);
  _tile_dpbf16ps (1, 4, 7);
  _tile_stored (0, keys, 64);
  _tile_stored (1, keys + 256, 64);
}

KM_TARGET_AMX static inline void
odd_step_keys (const KmBf16 * bf, guint s, gfloat * keys)
{
  const gfloat *o = bf->offsets + (gsize) s * 256;

  _tile_loadd (2, o, 64);
  _tile_loadd (3, o, 64);
  _tile_loadd (5, bf->rows + (gsize) s * 16 * 32, 64);
  _tile_dpbf16ps (2, 5, 6);
  _tile_dpbf16ps (3, 5, 7);
  _tile_stored (2, keys, 64);
  _tile_stored (3, keys + 256, 64);
}

/* Step s's keys go to buffer s mod 4: two steps are in flight ahead of
 * the one whose lanes are updated. */
KM_TARGET_AMX static void
single_chunk_lanes (const KmBf16 * bf, gfloat * keys, __m512 * best,
    __m512 * second, __m512i * bidx)
{
  const guint steps = bf->k_pad / 16;
  guint s;

  even_step_keys (bf, 0, keys);
  odd_step_keys (bf, 1, keys + 512);
  for (s = 0; s < steps; s += 2) {
    gfloat *now = keys + (s % 4) * 512;
    gfloat *ahead = keys + ((s + 2) % 4) * 512;

    if (s + 2 < steps)
      even_step_keys (bf, s + 2, ahead);
    update_rows (now, now + 256, 16 * s, best, second, bidx);
    if (s + 3 < steps)
      odd_step_keys (bf, s + 3, ahead + 512);
    update_rows (now + 512, now + 768, 16 * s + 16, best, second, bidx);
  }
}

/* Several chunks: groups of 32 centers, the next group's products issued
 * before the lane updates of the current one. */
KM_TARGET_AMX static void
chunked_lanes (const KmBf16 * bf, const guint32 * pairs, gfloat * keys,
    __m512 * best, __m512 * second, __m512i * bidx)
{
  guint g;

  group_keys (bf, pairs, 0, keys);
  for (g = 0; g < bf->k_pad; g += 32) {
    gfloat *now = keys + (g / 32 % 2) * 1024;

    if (g + 32 < bf->k_pad)
      group_keys (bf, pairs, g + 32, keys + (g / 32 % 2 ? 0 : 1024));
    update_rows (now, now + 256, g, best, second, bidx);
    update_rows (now + 512, now + 768, g + 16, best, second, bidx);
  }
}

KM_TARGET_AMX void
km_bf16_block (const KmBf16 * bf, const gfloat * panel, gfloat * scratch,
    gfloat * best_out, gfloat * second_out, gint32 * bidx_out)
{
  guint32 *pairs = (guint32 *) scratch;
  gfloat *keys = scratch + (gsize) bf->d_pad * 16;
  __m512 best[2], second[2];
  __m512i bidx[2];
  guint h;

  pack_points (bf, panel, pairs);
  for (h = 0; h < 2; h++) {
    best[h] = second[h] = _mm512_set1_ps (-INFINITY);
    bidx[h] = _mm512_setzero_si512 ();
  }
  if (bf->d_pad == 32) {
    _tile_loadd (6, pairs, 128);
    _tile_loadd (7, pairs + 16, 128);
    single_chunk_lanes (bf, keys, best, second, bidx);
  } else {
    chunked_lanes (bf, pairs, keys, best, second, bidx);
  }
  for (h = 0; h < 2; h++) {
    _mm512_storeu_ps (best_out + 16 * h, best[h]);
    _mm512_storeu_ps (second_out + 16 * h, second[h]);
    _mm512_storeu_si512 (bidx_out + 16 * h, bidx[h]);
  }
}

/* Round to nearest even, as VCVTNE2PS2BF16 does (no NaN here: usable
 * centers are finite). */
static guint16
to_bf16 (gfloat v)
{
  guint32 bits;

  memcpy (&bits, &v, sizeof (bits));
  if ((bits & 0x7f800000u) == 0)        /* denormals become 0, as on AMX */
    bits &= 0x80000000u;
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (guint16) (bits >> 16);
}
#else
gboolean
km_bf16_supported (void)
{
  return FALSE;
}

void
km_bf16_begin (void)
{
}

void
km_bf16_end (void)
{
}

void
km_bf16_block (const KmBf16 * bf, const gfloat * panel, gfloat * scratch,
    gfloat * best_out, gfloat * second_out, gint32 * bidx_out)
{
  g_assert_not_reached ();
}

static guint16
to_bf16 (gfloat v)
{
  return 0;
}
#endif

KmBf16 *
km_bf16_new (guint k, guint d)
{
  KmBf16 *bf = g_new0 (KmBf16, 1);

  bf->k = k;
  bf->d = d;
  bf->k_pad = (k + 31) / 32 * 32;
  bf->d_pad = (d + 31) / 32 * 32;
  bf->rows = g_aligned_alloc0 ((gsize) bf->k_pad * bf->d_pad,
      sizeof (guint16), 64);
  bf->offsets = g_aligned_alloc0 ((gsize) bf->k_pad * 16, sizeof (gfloat), 64);
  return bf;
}

void
km_bf16_free (KmBf16 * bf)
{
  if (bf == NULL)
    return;
  g_aligned_free (bf->rows);
  g_aligned_free (bf->offsets);
  g_free (bf);
}

gsize
km_bf16_scratch_floats (const KmBf16 * bf)
{
  return (gsize) bf->d_pad * 16 + 2 * 4 * 256;
}

/* The threshold of docs/algorithm.md §4.6, in double, rounded up. */
static void
derive_bound (KmBf16 * bf, gdouble max_norm, gdouble tie_scale)
{
  const gdouble d = bf->d, ub = 0x1p-8, u = 0x1p-23;
  const gdouble g = (d + 1) * u / (1 - (d + 1) * u);
  const gdouble alpha = 2 * ub + ub * ub + g * (1 + ub) * (1 + ub);
  const gdouble beta = g * (2 + g) / 2;
  const gdouble tau1 = 0x1p-125 * sqrt (d), tau0 = 0x1p-125 * (d + 1);
  const gdouble n_bound = (max_norm + d * 0x1p-148) * (1 + 2 * g);
  const gdouble c_bound = sqrt (n_bound);
  const gdouble slope = 2 * (alpha * c_bound + tau1);
  const gdouble up = 1 + 0x1p-16;

  /* ||x|| <= sqrt(xx) (1 + g + 4u) + sqrt(d) 2^-74. */
  bf->a1 = (gfloat) (slope * (1 + g + 4 * u) * up);
  bf->a0 = (gfloat) ((2 * (beta * n_bound + tau1 * c_bound + tau0)
          + slope * sqrt (d) * 0x1p-74 + tie_scale * max_norm) * up);
  bf->ts = (gfloat) (tie_scale * up);
}

void
km_bf16_prepare (KmBf16 * bf, const gfloat * rows, const gfloat * norms,
    gfloat max_norm, gfloat tie_scale)
{
  const guint k = bf->k, d = bf->d;
  guint j, t, l;

  bf->usable = TRUE;
  for (j = 0; j < k; j++) {
    const gfloat *c = rows + (gsize) j * d;
    guint16 *dst = bf->rows + (gsize) j * bf->d_pad;

    /* NaN fails the comparisons too. */
    if (!(norms[j] <= KM_BF16_MAX_NORM) || !(max_norm <= KM_BF16_MAX_NORM))
      bf->usable = FALSE;
    for (t = 0; t < d; t++) {
      if (!(fabsf (c[t]) <= KM_BF16_MAX_COORD))
        bf->usable = FALSE;
      dst[t] = to_bf16 (c[t]);
    }
    for (l = 0; l < 16; l++)
      bf->offsets[(gsize) j * 16 + l] = -0.5f * norms[j];
  }
  for (; j < bf->k_pad; j++)
    for (l = 0; l < 16; l++)
      bf->offsets[(gsize) j * 16 + l] = -INFINITY;
  derive_bound (bf, max_norm, tie_scale);
}

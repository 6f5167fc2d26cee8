/* gst-kmeans core: counter-based, exactly specified random streams.
 *
 * Every value is a pure function of a 64-bit key and a counter, computed
 * with integer operations and IEEE float/double operations in a fixed
 * order (no FMA, no libm), so one seed gives the same bits on every
 * machine and with every SIMD level.  kmeans-testsrc draws its blobs from
 * these streams; docs/algorithm.md does not cover them, this header does:
 *
 *   word (key, i)      = mix64 (key + i * 0x9e3779b97f4a7c15)   (SplitMix64)
 *   uniform (key, i)   = (word >> 11) * 2^-53
 *   pick (key, i, k)   = floor (word * k / 2^64)
 *   Gaussians, in blocks of KM_GAUSS_BLOCK values: value w < 256 of block
 *   b is R cos A of pair q = 256 b + w, value 256 + w is R sin A, where
 *   word (key, q) gives R = sqrt (-2 log u) from its high 32 bits and the
 *   angle A = 2 pi (low 32 bits) / 2^32 (Box-Muller), log, sin and cos
 *   being the fixed float polynomials of kmgauss.c.
 */
#ifndef __KM_GAUSS_H__
#define __KM_GAUSS_H__

#include <glib.h>

G_BEGIN_DECLS

#define KM_GAUSS_BLOCK 512

/* The streams of a seed. */
typedef enum
{
  KM_GAUSS_STREAM_NOISE = 0,
  KM_GAUSS_STREAM_CLUSTERS = 1,
  KM_GAUSS_STREAM_CENTERS = 2,
  KM_GAUSS_STREAM_DIRECTIONS = 3
} KmGaussStreamId;

/* A Gaussian stream; keeps the last partly used block. */
typedef struct
{
  guint64 key;
  guint64 cached_block;         /* G_MAXUINT64: none */
  gfloat cache[KM_GAUSS_BLOCK];
} KmGauss;

guint64 km_gauss_key (guint64 seed, KmGaussStreamId stream);
guint64 km_gauss_word (guint64 key, guint64 counter);
gdouble km_gauss_uniform (guint64 key, guint64 counter);

void km_gauss_init (KmGauss * g, guint64 key);

/* Values @first .. @first + @n - 1 of the stream, N(0, 1), into @out. */
void km_gauss_fill (KmGauss * g, guint64 first, gfloat * out, gsize n);

/* Block @block of the stream computed by SIMD level @level (0 portable C,
 * 1 AVX2, 2 AVX-512); FALSE when this CPU or build lacks that level.
 * For tests: every level gives the same bits. */
gboolean km_gauss_block_at_level (guint64 key, guint64 block, gfloat * out,
    guint level);

/* Uniform integers in [0, @k): pick (key, first + i, k) for i < @n. */
void km_gauss_pick (guint64 key, guint64 first, gsize n, guint32 k,
    guint32 * out);

/* The blobs' true centers, uniform in [-range, range]^d, and a random
 * unit direction per center (k x d row-major each). */
void km_gauss_draw_centers (guint64 seed, guint k, guint d, gdouble range,
    gdouble * origin, gdouble * direction);

/* Points: for point i, row origin[cluster[i]] (+ direction[cluster[i]] *
 * t_i when @per_point != 0, t_i = per_point * (since + i)) + spread *
 * noise[i * d + j], in double, stored as float32 or (@f64) double. */
void km_gauss_blend (const gdouble * origin, const gdouble * direction,
    guint d, const guint32 * cluster, const gfloat * noise, gsize n,
    gdouble spread, gdouble per_point, guint64 since, gboolean f64,
    gpointer out);

G_END_DECLS

#endif /* __KM_GAUSS_H__ */

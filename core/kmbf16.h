/* gst-kmeans core: bf16 candidate keys on AMX (docs/algorithm.md §4.6).
 * Private to kmdistance.c, which decides where the candidates are
 * trusted and re-checks the rest in fp32. */
#ifndef KM_BF16_H
#define KM_BF16_H

#include <glib.h>

G_BEGIN_DECLS

/* Points per call of km_bf16_block (two AMX tiles of 16). */
#define KM_BF16_BLOCK 32

/* Above this ||c||^2 or ||x||^2 the sums could overflow and the bound
 * would not hold: such models and points take the fp32 path. */
#define KM_BF16_MAX_NORM 0x1p100f

typedef struct _KmBf16
{
  guint k;
  guint d;
  guint k_pad;                  /* k rounded up to 32 */
  guint d_pad;                  /* d rounded up to 32 */
  guint16 *rows;                /* k_pad x d_pad bf16 centers, 0-padded */
  gfloat *offsets;              /* k_pad x 16: row j is -||c_j||^2/2 (the
                                 * accumulators' start), -inf past k */
  gboolean usable;              /* centers finite and not huge */
  /* The per-point threshold on best - second key: a1 * ||x|| + a0 +
   * ts * ||x||^2 (docs/algorithm.md §4.6), rounded up. */
  gfloat a1;
  gfloat a0;
  gfloat ts;
} KmBf16;

/* TRUE when this CPU and OS run AMX-BF16 (and AVX512-BF16 for the
 * conversions): cpuid, XCR0 and the kernel's permission for the tile
 * data, requested once for the process. */
gboolean km_bf16_supported (void);

KmBf16 *km_bf16_new (guint k, guint d);
void km_bf16_free (KmBf16 * bf);
/* Rounds @rows (k x d) to bf16 and derives the error bound; @norms are
 * the float ||c_j||^2 (0 for unit rows), @max_norm their max (1 for
 * unit rows), @tie_scale the fp32 kernel's. */
void km_bf16_prepare (KmBf16 * bf, const gfloat * rows, const gfloat * norms,
    gfloat max_norm, gfloat tie_scale);

/* Scratch of km_bf16_block: floats, a multiple of 16. */
gsize km_bf16_scratch_floats (const KmBf16 * bf);

/* Tile state of the calling thread, around a run of km_bf16_block. */
void km_bf16_begin (void);
void km_bf16_end (void);

/* Best and second best bf16 key of the 32 points of @panel (d rows of
 * 32 floats, coordinate t of point l at panel[t*32 + l], 0 past the last
 * point) and the lowest index of the best. */
void km_bf16_block (const KmBf16 * bf, const gfloat * panel,
    gfloat * scratch, gfloat * best, gfloat * second, gint32 * bidx);

/* Points the bf16 path has re-checked in fp32 so far, process-wide
 * (kmdistance.c; for measurements). */
gsize km_dist_bf16_rechecked (void);

G_END_DECLS

#endif /* KM_BF16_H */

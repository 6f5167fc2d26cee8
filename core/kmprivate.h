/* gst-kmeans core: internals shared between the core's source files and
 * its unit tests.  Not part of the public API (kmeans.h). */
#ifndef __KMEANS_PRIVATE_H__
#define __KMEANS_PRIVATE_H__

#include <string.h>

#include "kmeans.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Workspace: named growable scratch buffers, 64-byte aligned. */

typedef enum
{
  KM_WS_DOTS,                   /* block of points x k dot products */
  KM_WS_POINTS,                 /* normalised copy of the points (cosine) */
  KM_WS_IDX,                    /* n assignments */
  KM_WS_DIST,                   /* n distances */
  KM_WS_SUMS,                   /* k*d double sums of the update step */
  KM_WS_CNT,                    /* k double point counts of the update step */
  KM_WS_KPP_D,                  /* kmeans++: current D */
  KM_WS_KPP_CAND,               /* kmeans++: D' of the candidate */
  KM_WS_KPP_BEST,               /* kmeans++: D' of the best candidate */
  KM_WS_KPP_CUM,                /* kmeans++: float prefix sum of D */
  KM_WS_KPP_CHOSEN,             /* kmeans++: chosen flags */
  KM_WS_NUM_SLOTS
} KmWorkspaceSlot;

/* Returns at least @bytes of scratch for @slot; the content is kept only
 * until the slot is requested again with a larger size. */
gpointer km_workspace_get (KmWorkspace * ws, KmWorkspaceSlot slot,
    gsize bytes);

/* ------------------------------------------------------------------ */
/* Distances against a fixed set of centers.  Prepared once per center
 * change (norms, unit rows, transposed copy), then used for many points.
 * Points handed to it must already be normalised for cosine. */

/* The dot products go through cblas_sgemm from 4 dimensions or 512 model
 * values on; below both a loop over a transposed copy of the centers is
 * as fast and avoids the BLAS call overhead on small batches.  Measured
 * on 8192 points, k 2..256, d 2..128 (OpenBLAS 0.3.21): GEMM wins or ties
 * everywhere else. */
#define KM_GEMM_MIN_MODEL_FLOATS 512
#define KM_GEMM_MIN_DIMENSIONS 4

typedef struct
{
  guint k;
  guint d;
  KmMetric metric;
  const gfloat *rows;           /* centers the dot products use */
  gfloat *unit;                 /* cosine: normalised centers (owned) */
  gfloat *norms;                /* k: ||rows_j||^2, 0 for cosine */
  gfloat max_norm;              /* max of ||rows_j||^2 (1 for cosine) */
  gfloat tie_scale;             /* relative rounding bound of a key */
  gfloat *transposed;           /* d*k when the loop path is used */
  gboolean use_gemm;
} KmDist;

void km_dist_init (KmDist * dist, guint k, guint d, KmMetric metric);
/* @centers must stay valid (and unchanged) while @dist is used. */
void km_dist_prepare (KmDist * dist, const gfloat * centers);
void km_dist_clear (KmDist * dist);

gdouble km_dist_assign (const KmDist * dist, const gfloat * points, gsize n,
    gint32 * idx, gfloat * out_dist, KmWorkspace * ws);
void km_dist_all (const KmDist * dist, const gfloat * points, gsize n,
    gfloat * out);

/* Normalises @n rows of @d floats: x * rsqrt(max(|x|^2, 1e-12)); @dst
 * may equal @src. */
void km_normalize_rows (const gfloat * src, gfloat * dst, gsize n, guint d);

/* Returns @points, or a normalised copy in @ws for cosine. */
const gfloat *km_prepare_points (KmMetric metric, const gfloat * points,
    gsize n, guint d, KmWorkspace * ws);

/* ------------------------------------------------------------------ */
/* Models. */

struct _KmModel
{
  gint ref_count;
  guint k;
  guint d;
  KmMetric metric;
  guint64 version;
  guint64 step;
  gfloat *centers;
  gdouble *counts;              /* NULL if none */
  KmDist dist;
};

/* Like km_model_new with @counts (k doubles, may be NULL) and a step. */
KmModel *km_model_new_full (guint k, guint d, KmMetric metric,
    const gfloat * centers, const gdouble * counts, guint64 version,
    guint64 step, GError ** error);

/* ------------------------------------------------------------------ */
/* Initialisation kernels (§2.2, §2.3).  @out gets the chosen rows. */

/* TF's greedy batch sampler: the whole batch if n <= remaining (returns
 * n), else @remaining rows drawn with replacement (returns remaining). */
gsize km_init_random (const gfloat * points, gsize n, guint d,
    guint remaining, KmRng * rng, gfloat * out);

/* TF's KmeansPlusPlusInitialization kernel; n >= num_to_sample > 0.
 * @draws, if not NULL, is increased by the number of candidates drawn. */
void km_init_kmeans_plus_plus (const gfloat * points, gsize n, guint d,
    guint num_to_sample, gint retries, KmRng * rng, gfloat * out,
    KmWorkspace * ws, guint64 * draws);

/* R of the kernel: @retries, or 2 + floor(ln num_to_sample) if < 0. */
guint km_kmeans_plus_plus_retries (gint retries, guint num_to_sample);

/* ------------------------------------------------------------------ */
/* Trainer state, shared with the checkpoint code. */

struct _KmTrainer
{
  KmConfig cfg;
  KmRng rng;

  gboolean initialized;
  guint initialized_rows;       /* rows of master chosen so far */
  gfloat *master;               /* k*d, the estimator's `clusters` */
  gfloat *working;              /* k*d, N > 1 only: `clusters_updated` */
  gdouble *counts;              /* k: counts / weights of the updated copy */
  gdouble *master_counts;       /* k: points behind the master; == counts
                                 * unless N > 1 */
  gint64 update_in_steps;       /* N > 1 sync countdown */
  guint64 step;                 /* global step */
  guint64 version;              /* master changes, 1 after init */
  guint64 model_step;           /* step the master was last set at */

  gboolean converged;
  gboolean have_prev_loss;
  gdouble prev_loss;

  KmDist dist;                  /* prepared on the master */
  KmModel *snapshot;            /* cached km_trainer_get_model result */
  KmWorkspace *ws;

  guint64 kpp_draws;            /* test hook: kmeans++ candidates drawn */
};

/* Is there a separate working copy (mini-batch, N > 1)? */
static inline gboolean
km_config_has_working_copy (const KmConfig * cfg)
{
  return cfg->mini_batch && cfg->steps_per_sync > 1;
}

/* Test hook: kmeans++ candidates drawn by this trainer so far. */
guint64 km_trainer_get_kmeans_plus_plus_draws (const KmTrainer * trainer);

G_END_DECLS

#endif /* __KMEANS_PRIVATE_H__ */

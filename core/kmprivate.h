/* gst-kmeans core: internals shared between the core's source files and
 * its unit tests.  Not part of the public API (kmeans.h). */
#ifndef __KMEANS_PRIVATE_H__
#define __KMEANS_PRIVATE_H__

#include <math.h>
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
  KM_WS_PANEL,                  /* assignment: points transposed per tile */
  KM_WS_BLOCK_SUMS,             /* assignment: distance sum per 32 points */
  KM_WS_SUMS_PAD,               /* update step, d < 8: k rows of 8 doubles */
  KM_WS_BACKUP,                 /* update step: centers and counts before */
  KM_WS_INIT_PICK,              /* random init / reassignment: index pool */
  KM_WS_REASSIGN,               /* reassignment: candidates, weights */
  KM_WS_ACC_PARTIALS,           /* update step: sums of chunks 1.. */
  KM_WS_NUM_SLOTS
} KmWorkspaceSlot;

/* Returns at least @bytes of scratch for @slot; the content is kept only
 * until the slot is requested again with a larger size. */
gpointer km_workspace_get (KmWorkspace * ws, KmWorkspaceSlot slot,
    gsize bytes);

/* ------------------------------------------------------------------ */
/* Helper threads, so that one large call uses every core.
 *
 * km_parallel_run() runs func (data, part, ws) in the calling thread
 * (part 0, with @ws) and on up to @parts - 1 process-wide helper threads
 * (parts 1 .. @parts - 1, each with its own workspace), and returns when
 * all have returned.  The work is shared by claiming: func takes chunks
 * of the job from a KmChunkClaims in @data until none is left, so whoever
 * runs does the work, and results must not depend on which thread ran a
 * chunk.  A helper that another caller is using, or that has not
 * started the job when the caller is done with its own share, is not
 * waited for: the caller claims its chunks.  Once a helper started, the
 * caller waits for it to finish, even if it was preempted in the middle
 * of a chunk.  Between calls a helper looks for the next
 * one for twice the last gap (50 us to 0.5 ms, yielding its core after
 * the first 50 us), then sleeps.  Helpers never call BLAS, so OpenBLAS's
 * own threads are not competed with. */

typedef void (*KmPartFunc) (gpointer data, guint part, KmWorkspace * ws);

/* The number of cores (at most KM_MAX_PARTS, and at most KMEANS_THREADS
 * from the environment when set); 1 on a single core. */
#define KM_MAX_PARTS 8
guint km_parallel_parts (void);
void km_parallel_run (KmPartFunc func, gpointer data, guint parts,
    KmWorkspace * ws);

/* The chunks of a job, split into one contiguous range per part.  A part
 * claims its own range from the front, then takes what is left of the
 * others' from their backs.  While every thread is on time, each claims
 * from a cache line no other thread touches and reads its points as one
 * stream; a shared counter cost a line transfer (~0.1 us) per chunk and
 * broke the hardware prefetcher's streams, a fifth of a 4096-point call
 * on two cores. */
typedef struct
{
  /* Packed next (low 32 bits) and end (high 32) of one part's range. */
  guint64 range __attribute__((aligned (64)));
} KmChunkRange;

typedef struct
{
  KmChunkRange part[KM_MAX_PARTS];
  guint parts;
} KmChunkClaims;

void km_chunk_claims_init (KmChunkClaims * claims, guint chunks, guint parts);
/* The next chunk for @part (any index; one past the parts only takes
 * from the others), or -1 when every chunk was claimed. */
gint64 km_chunk_claims_next (KmChunkClaims * claims, guint part);

/* ------------------------------------------------------------------ */
/* Distances against a fixed set of centers.  Prepared once per center
 * change (norms, unit rows, transposed copy), then used for many points.
 * Points handed to it must already be normalised for cosine. */

/* Nearest centers (km_dist_assign) come from our own fused kernel: a
 * tile of points (transposed, one point per SIMD lane) against groups of
 * KM_GROUP_CENTERS centers, the dot products accumulated on top of
 * -||c||^2/2 so the largest key is the nearest center, and the best and
 * second best key of every lane kept on the fly; the n x k products never
 * reach memory.  Versions: AVX-512, AVX2+FMA, portable C, chosen at run
 * time; they give identical results (see km_dist_assign).
 *
 * All k distances (km_dist_all) go through cblas_sgemm from 4 dimensions
 * or 512 model values on (use_gemm); below both a loop over a transposed
 * copy of the centers is as fast and avoids the BLAS call overhead on
 * small batches.  Measured on 8192 points, k 2..256, d 2..128 (OpenBLAS
 * 0.3.21): GEMM wins or ties everywhere else. */
#define KM_GEMM_MIN_MODEL_FLOATS 512
#define KM_GEMM_MIN_DIMENSIONS 4
#define KM_GROUP_CENTERS 8

typedef enum
{
  KM_ISA_GENERIC = 0,           /* portable C */
  KM_ISA_AVX2 = 1,              /* AVX2 + FMA */
  KM_ISA_AVX512 = 2             /* AVX-512F */
} KmIsa;

/* The best kernel this CPU (and OS) runs.  KMEANS_ISA=generic|avx2|avx512
 * in the environment caps it, for benchmarks; results do not change.
 * KMEANS_ISA=amxbf16 forces the bf16 candidate path of AVX-512 models on
 * (where the CPU has AMX-BF16), any other value forces it off; unset, it
 * is used where it was measured faster (k·d, k and d at least
 * KM_BF16_MIN_MODEL_FLOATS, _CENTERS and _DIMENSIONS, kmdistance.c). */
KmIsa km_isa_detect (void);
const gchar *km_isa_name (KmIsa isa);

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
  gboolean use_gemm;            /* km_dist_all: cblas_sgemm or the loop */
  KmIsa isa;                    /* assignment kernel; tests may lower it */
  guint groups;                 /* ceil (k / KM_GROUP_CENTERS) */
  gfloat *offsets;              /* groups*8: -||c_j||^2/2 (0 for cosine),
                                 * -inf past k */
  gfloat *tail;                 /* 8*d: the last, partial group, zero-padded
                                 * (NULL when k is a multiple of 8) */
  gfloat *lanes;                /* d <= 16, k <= 64: d rows of 64, row t
                                 * holds coordinate t of every center, for
                                 * lane permutes (NULL otherwise) */
  struct _KmBf16 *bf16;         /* bf16 centers (kmbf16.h), or NULL */
  gboolean use_bf16;            /* AVX-512: bf16 candidates, fp32 re-check */
} KmDist;

void km_dist_init (KmDist * dist, guint k, guint d, KmMetric metric);
/* @centers must stay valid (and unchanged) while @dist is used. */
void km_dist_prepare (KmDist * dist, const gfloat * centers);
void km_dist_clear (KmDist * dist);
/* Turns the bf16 candidate path of a prepared @dist on or off (tests);
 * FALSE when this CPU does not have it. */
gboolean km_dist_set_bf16 (KmDist * dist, gboolean on);

/* Nearest center of each point (lowest index on ties), its exact distance
 * and their sum.  The result is the argmin of the exact distances: sum
 * over t of (x_t - c_t)^2, each term added with one fma in double, in
 * order of t (cosine: 1 - the same sum of x_t c_t, clamped at 0).  Float
 * keys only choose it; a point whose second best key is within rounding
 * of the best is settled on exact distances to every center.  So every
 * kernel version, tile position and thread split gives the same indices
 * and distances.  @idx and @out_dist may be NULL.  Large calls are split
 * over the cores (km_parallel_run); the split depends on n only, so the
 * sum does too. */
gdouble km_dist_assign (const KmDist * dist, const gfloat * points, gsize n,
    gint32 * idx, gfloat * out_dist, KmWorkspace * ws);
/* The exact distance above, from @x to center @j. */
gdouble km_dist_exact (const KmDist * dist, const gfloat * x, guint j);
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

/* ------------------------------------------------------------------ */
/* Initialisation kernels (docs/algorithm.md §3.2, §3.3).  @out gets the
 * chosen rows. */

/* TF's greedy batch sampler: the whole batch if n <= remaining (returns
 * n), else @remaining rows drawn with replacement, or without
 * (@sampling, then @ws holds the index pool), returns remaining. */
gsize km_init_random (const gfloat * points, gsize n, guint d,
    guint remaining, KmInitSampling sampling, KmRng * rng, gfloat * out,
    KmWorkspace * ws);

/* TF's KmeansPlusPlusInitialization kernel; n >= num_to_sample > 0.
 * @draws, if not NULL, is increased by the number of candidates drawn. */
void km_init_kmeans_plus_plus (const gfloat * points, gsize n, guint d,
    guint num_to_sample, gint retries, KmRng * rng, gfloat * out,
    KmWorkspace * ws, guint64 * draws);

/* R of the kernel: @retries, or 2 + floor(ln num_to_sample) if < 0. */
guint km_kmeans_plus_plus_retries (gint retries, guint num_to_sample);

/* §3.6: init_batches gathers at most this many point-center products. */
#define KM_INIT_AUTO_WORK (G_GUINT64_CONSTANT (1) << 30)

/* §3.8: up to @iterations Lloyd iterations of the @k @rows on the @n
 * points; returns the points' potential under the final rows. */
gdouble km_init_refine (const gfloat * points, gsize n, guint d, guint k,
    KmMetric metric, guint iterations, gfloat * rows, KmWorkspace * ws);

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

  guint64 points;               /* trained on, across resumes */
  guint64 reassignments;        /* §2.6 moves so far */
  gfloat *init_buffer;          /* §3.6: the points gathered for init */
  gsize init_capacity;          /* rows init_buffer holds */
  gsize init_buffered;          /* rows gathered so far */
  gsize init_target;            /* init_batches: the sample's size, fixed
                                 * by the first batch fed (§3.6) */
};

/* The size checks of km_config_validate() alone: k and d of a model or
 * statistics that come without a config. */
gboolean km_shape_validate (guint k, guint d, GError ** error);

/* Is there a separate working copy (mini-batch, N > 1)? */
static inline gboolean
km_config_has_working_copy (const KmConfig * cfg)
{
  return cfg->mini_batch && cfg->steps_per_sync > 1;
}

/* Test hook: kmeans++ candidates drawn by this trainer so far. */
guint64 km_trainer_get_kmeans_plus_plus_draws (const KmTrainer * trainer);

/* The update step's accumulation (kmtrainer.c), shared with the
 * statistics of a distributed round (kmstats.c), in double, in an order
 * fixed by the points' positions in the batch (docs/algorithm.md §2.1):
 * chunk c holds the points from c x KM_ACC_CHUNK on; the points of chunk
 * 0 are added one by one to @sums and @cnt, continuing the adds already
 * in them; each later chunk is summed the same way from 0 and that sum
 * is added, chunk after chunk.  So threads may sum chunks at once.  A
 * model with more than KM_ACC_MAX_ROW doubles of sums and counts is one
 * chunk: point after point (it costs far more to assign than to sum).
 * 1024: on 2 cores, training steps of 4096 points ran 5-10% faster than
 * with 512 (each chunk claimed and summed costs a few hundred ns), at the
 * price of using at most 4 threads for such a batch. */
#define KM_ACC_CHUNK 1024
#define KM_ACC_MAX_ROW ((gsize) 1 << 16)

typedef struct
{
  KmIsa isa;
  guint k;
  guint d;
  gdouble *sums;                /* k*d */
  gdouble *cnt;                 /* k */
  gsize chunk;                  /* KM_ACC_CHUNK, or G_MAXSIZE: one chunk */
  guint window;                 /* chunks summed before their merge */
  gdouble *partials;            /* window x (k*d sums, k counts) */
} KmAccumulation;

/* Sets up the accumulation into @sums and @cnt on the kernel @isa (the
 * chunks' sums live in @ws). */
void km_accumulation_begin (KmAccumulation * acc, KmIsa isa, guint k,
    guint d, gdouble * sums, gdouble * cnt, KmWorkspace * ws);
/* Adds @m points @x of chunk @c, assigned to @idx, after its points
 * added before (@start: they are its first); @ws: the calling thread's.
 * Up to acc->window chunks may be summed before their merge. */
void km_accumulation_add_chunk (const KmAccumulation * acc, gsize c,
    gboolean start, const gfloat * x, gsize m, const gint32 * idx,
    KmWorkspace * ws);
/* Adds the sums of the chunks from @first to before @end, in order. */
void km_accumulation_merge (const KmAccumulation * acc, gsize first,
    gsize end);

/* The whole accumulation above of @n points assigned to @idx. */
void km_accumulate_add (KmIsa isa, guint k, guint d, const gfloat * x,
    gsize n, const gint32 * idx, gdouble * sums, gdouble * cnt,
    KmWorkspace * ws);

/* km_dist_assign, and the @n points added to @acc (@idx not NULL) in the
 * same pass: each thread sums the chunks it assigned, while their points
 * are in its cache. */
gdouble km_dist_assign_accumulate (const KmDist * dist,
    const gfloat * points, gsize n, gint32 * idx, gfloat * out_dist,
    const KmAccumulation * acc, KmWorkspace * ws);

/* Applies a round's merged sums and counts (@n points, loss @loss) to an
 * initialised trainer as one step, or one synced iteration with N > 1
 * (docs/algorithm.md §10).  The caller has checked k, d and metric. */
KmFeedResult km_trainer_apply_round (KmTrainer * trainer, gdouble loss,
    const gdouble * sums, const gdouble * cnt, guint64 n, GError ** error);

/* ------------------------------------------------------------------ */
/* Little-endian fields of the checkpoint and statistics formats. */

/* The §5.3 relative change a step reports: NaN without a step or without
 * a previous loss (the trainer's own, which a checkpoint restores). */
static inline gdouble
km_step_relative_change (gboolean stepped, gdouble loss, gboolean had_prev,
    gdouble prev)
{
  return stepped && had_prev ? fabs (loss - prev) / (1.0 + fabs (prev)) : NAN;
}

/* CRC-32 of IEEE 802.3 (reflected 0xEDB88320, as zlib.crc32): what the
 * statistics and model records end with. */
guint32 km_crc32 (const guint8 * data, gsize len);

static inline guint32
km_le_get_u32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static inline guint64
km_le_get_u64 (const guint8 * p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static inline gdouble
km_le_get_f64 (const guint8 * p)
{
  guint64 bits = km_le_get_u64 (p);
  gdouble v;

  memcpy (&v, &bits, 8);
  return v;
}

/* Writers: each returns the byte after the field. */
static inline guint8 *
km_le_put_u32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
  return p + 4;
}

static inline guint8 *
km_le_put_u64 (guint8 * p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
  return p + 8;
}

static inline guint8 *
km_le_put_f64 (guint8 * p, gdouble v)
{
  guint64 bits;

  memcpy (&bits, &v, 8);
  return km_le_put_u64 (p, bits);
}

/* ------------------------------------------------------------------ */
/* Files named by users (kmfile.c): never a blocking open. */

struct stat;

/* Opens @path read-only without blocking (O_NONBLOCK, then fstat) and
 * returns the fd in blocking mode, with *st filled.  -1 on failure: *err
 * is the errno, or 0 when @path is not a regular file (then *st tells
 * what it is). */
gint km_file_open_regular (const gchar * path, struct stat *st, gint * err);
/* The same with open(2) @oflags (O_CREAT creates mode 0666). */
gint km_file_open_regular_with (const gchar * path, gint oflags,
    struct stat *st, gint * err);

/* The whole of the regular file @path, NUL-terminated (g_free), its
 * length in *len; KM_ERROR_INVALID_ARGUMENT naming the path otherwise. */
gchar *km_file_read_text (const gchar * path, gsize * len, GError ** error);

/* km_centers_load_text() on text already read (@len bytes, NUL-terminated,
 * changed in place); @path names it in messages. */
gfloat *km_centers_parse_text (gchar * text, gsize len, const gchar * path,
    guint * k, guint * d, GError ** error);

G_END_DECLS

#endif /* __KMEANS_PRIVATE_H__ */

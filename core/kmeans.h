/* gst-kmeans core: streaming k-means math, free of GStreamer.
 *
 * Everything numeric lives here: distances, assignment, initialisation,
 * mini-batch / full-batch updates, forgetting, the relative-tolerance rule
 * and the checkpoint file.  The GStreamer elements only call this API.
 *
 * Behaviour follows TensorFlow's KMeans estimator (see
 * shared/reference/kmeans-semantics.md); section numbers below (§) refer
 * to that document.
 *
 * Threading: a KmTrainer is used from one thread at a time.  A KmModel is
 * immutable once created and reference counted atomically, so it can be
 * shared between threads (the train element hands it to assign/score).
 * A KmWorkspace belongs to one thread.
 *
 * Large distance computations go through OpenBLAS's sgemm, which by
 * default runs its own thread pool (OPENBLAS_NUM_THREADS) and then
 * allocates a little per call; with one BLAS thread the core allocates
 * nothing per call in steady state.
 */
#ifndef __KMEANS_CORE_H__
#define __KMEANS_CORE_H__

#include <glib.h>

G_BEGIN_DECLS

#define KM_ERROR (km_error_quark ())
GQuark km_error_quark (void);

typedef enum
{
  KM_ERROR_INVALID_ARGUMENT,    /* bad k, d, config values, wrong dims */
  KM_ERROR_BATCH_TOO_SMALL,     /* kmeans++ needs B >= remaining centers */
  KM_ERROR_CHECKPOINT_IO,       /* cannot read / write / rename / fsync */
  KM_ERROR_CHECKPOINT_CORRUPT,  /* bad magic, truncated, checksum mismatch */
  KM_ERROR_CHECKPOINT_MISMATCH, /* k, d, metric or mode differ from config */
  KM_ERROR_TOO_LARGE            /* k*d or batch beyond the sane limits */
} KmError;

/* Upper limits checked before any allocation. */
#define KM_MAX_CLUSTERS   (1u << 20)
#define KM_MAX_DIMENSIONS (1u << 16)
#define KM_MAX_MODEL_FLOATS (G_GUINT64_CONSTANT (1) << 28)  /* k*d, 1 GiB */

typedef enum
{
  KM_METRIC_SQUARED_EUCLIDEAN = 0,
  KM_METRIC_COSINE = 1
} KmMetric;

typedef enum
{
  KM_INIT_RANDOM = 0,           /* §2.2 greedy batch sampler, with replacement */
  KM_INIT_KMEANS_PLUS_PLUS = 1, /* §2.3 1+R candidates per center */
  KM_INIT_GIVEN = 2             /* km_trainer_set_centers() */
} KmInit;

typedef enum
{
  KM_TIME_UNIT_BATCHES = 0,
  KM_TIME_UNIT_POINTS = 1
} KmTimeUnit;

typedef struct
{
  guint k;
  guint d;
  KmMetric metric;
  KmInit init;
  gboolean mini_batch;          /* FALSE: full batch, one Lloyd step a batch (§1.3) */
  guint steps_per_sync;         /* >= 1; 1 is §1.1, N > 1 is §1.2 */
  gint kmeans_plus_plus_retries;        /* < 0: 2 + floor(ln k) */
  gdouble relative_tolerance;   /* <= 0 disables (§1.4) */
  gdouble decay_factor;         /* Spark's a, in [0, 1]; 1 = no forgetting (§7.1) */
  KmTimeUnit time_unit;         /* unit the decay applies per */
  guint64 seed;
  gdouble initial_count;        /* mini-batch N = 1: count (Spark's weight)
                                 * each initial center starts with; TF: 1 */
} KmConfig;

/* Fills in the estimator's defaults: k = 2, d = 0 (must be set),
 * squared Euclidean, random init, mini-batch, steps_per_sync = 1,
 * retries = 2, tolerance off, decay 1.0 per batch, seed 0,
 * initial_count 1. */
void km_config_init (KmConfig * cfg);

/* Checks ranges and limits; TRUE if cfg is usable.  Forgetting
 * (decay_factor < 1) needs mini-batch with steps_per_sync = 1; a decay
 * factor above 1 is rejected (weights would grow without bound). */
gboolean km_config_validate (const KmConfig * cfg, GError ** error);

/* Spark's setHalfLife: a = 0.5^(1/h), h > 0. */
gdouble km_decay_from_half_life (gdouble half_life);

/* ------------------------------------------------------------------ */
/* Random numbers: xoshiro256**, seeded through splitmix64; the state is
 * plain data so a checkpoint can carry it. */

typedef struct
{
  guint64 s[4];
} KmRng;

void km_rng_seed (KmRng * rng, guint64 seed);
guint64 km_rng_next (KmRng * rng);
/* Uniform in [0, n), n > 0, without modulo bias. */
guint64 km_rng_uniform_int (KmRng * rng, guint64 n);
/* Uniform in [0, 1). */
gdouble km_rng_uniform (KmRng * rng);
/* Standard normal. */
gdouble km_rng_gaussian (KmRng * rng);

/* ------------------------------------------------------------------ */
/* Scratch memory reused across calls, so that steady-state processing
 * allocates nothing.  Grows on demand; owned by one thread. */

typedef struct _KmWorkspace KmWorkspace;

KmWorkspace *km_workspace_new (void);
void km_workspace_free (KmWorkspace * ws);

/* ------------------------------------------------------------------ */
/* A model: k centers of dimension d under a metric.  Immutable. */

typedef struct _KmModel KmModel;

/* Copies @centers (k*d row-major floats).  Precomputes what distances
 * need (squared norms; unit rows for cosine).  For cosine the stored
 * centers are kept as given (they may be unnormalised in mini-batch N=1,
 * §3.2) and normalised copies are used for distances. */
KmModel *km_model_new (guint k, guint d, KmMetric metric,
    const gfloat * centers, guint64 version, GError ** error);
KmModel *km_model_ref (KmModel * model);
void km_model_unref (KmModel * model);

guint km_model_get_k (const KmModel * model);
guint km_model_get_d (const KmModel * model);
KmMetric km_model_get_metric (const KmModel * model);
/* Increases by one with every update of the centers. */
guint64 km_model_get_version (const KmModel * model);
/* Training step the model was taken at. */
guint64 km_model_get_step (const KmModel * model);
/* The stored centers (the estimator's cluster_centers()), k*d floats. */
const gfloat *km_model_get_centers (const KmModel * model);
/* Per-cluster counts / weights, k doubles; NULL if the model has none. */
const gdouble *km_model_get_counts (const KmModel * model);

/* Nearest center for each of @n points (row-major n*d).  Ties go to the
 * lowest index.  @dist gets the distance to it: squared Euclidean clamped
 * at 0, or 1 - cos.  @idx or @dist may be NULL.  Returns the sum of the
 * distances (the loss / score of those points).  Centers closer than
 * float rounding are told apart on exact (double) distances, and the
 * reported distance is computed directly, so it can differ in the last
 * bits from km_model_distances().  @ws may be NULL (then this call
 * allocates). */
gdouble km_model_assign (const KmModel * model, const gfloat * points,
    gsize n, gint32 * idx, gfloat * dist, KmWorkspace * ws);

/* All k distances per point into @out (n*k row-major), same distance as
 * km_model_assign (expanded form ||x||^2 - 2x.c + ||c||^2, clamped at 0).
 * @ws may be NULL. */
void km_model_distances (const KmModel * model, const gfloat * points,
    gsize n, gfloat * out, KmWorkspace * ws);

/* ------------------------------------------------------------------ */
/* Training. */

typedef struct _KmTrainer KmTrainer;

typedef enum
{
  KM_FEED_INIT,                 /* batch consumed (partly) by initialisation */
  KM_FEED_TRAINED,              /* one update step was made */
  KM_FEED_CONVERGED,            /* tolerance met on this step: centers updated,
                                 * later batches will not update */
  KM_FEED_SKIPPED,              /* already converged: no update */
  KM_FEED_ERROR                 /* see GError; the model is unchanged */
} KmFeedResult;

typedef struct
{
  guint64 step;                 /* global step after this feed */
  gdouble loss;                 /* pre-update batch loss (§1.0 step 2) */
  gsize num_points;             /* points in the batch */
  guint initialized_centers;    /* rows chosen so far, k when done */
} KmStepInfo;

KmTrainer *km_trainer_new (const KmConfig * cfg, GError ** error);
void km_trainer_free (KmTrainer * trainer);
const KmConfig *km_trainer_get_config (const KmTrainer * trainer);

/* Given initial centers (k*d floats).  Normalised when cosine (§2.1).
 * Only valid before initialisation is complete; works whatever cfg->init
 * (rows chosen so far are replaced).  k and d must match the config. */
gboolean km_trainer_set_centers (KmTrainer * trainer, const gfloat * centers,
    guint k, guint d, GError ** error);

/* Feeds one batch of @n points (n*d floats; must hold no NaN/Inf: the
 * caller filters).  While not initialised the batch goes to the init rule
 * (and is not trained on, §2.1); afterwards it is one training step.
 * An empty batch (n = 0) changes nothing and returns KM_FEED_SKIPPED, as
 * do batches after convergence; info->loss is 0 then.  Steady-state feeds
 * allocate nothing (but see OpenBLAS's threads in the notes above). */
KmFeedResult km_trainer_feed (KmTrainer * trainer, const gfloat * points,
    gsize n, KmStepInfo * info, GError ** error);

gboolean km_trainer_is_initialized (const KmTrainer * trainer);
gboolean km_trainer_is_converged (const KmTrainer * trainer);
guint64 km_trainer_get_step (const KmTrainer * trainer);

/* A snapshot of the master centers and counts (a new ref; NULL before
 * initialisation).  Cheap when nothing changed since the last call: the
 * same model is returned again; otherwise it copies k*d floats.
 *
 * Its version is 1 once initialised and grows by one whenever the master
 * changes: every training step in mini-batch N = 1 and full batch, every
 * sync in N > 1 (so a new version means new centers).  Its counts are the
 * points behind each master center: the (decayed) weights in N = 1, the
 * cluster sizes of the last batch in full batch, and those of the
 * iteration that produced the master in N > 1. */
KmModel *km_trainer_get_model (KmTrainer * trainer);

/* Writes the whole training state (§5 plus RNG, config) to @path
 * atomically: temporary file in the same folder, fsync, rename, fsync of
 * the folder.  Mode 0600.  On any error the previous file is untouched. */
gboolean km_trainer_save (KmTrainer * trainer, const gchar * path,
    GError ** error);

/* Restores state from @path.  The checkpoint's k, d, metric and mode must
 * match the trainer's config (KM_ERROR_CHECKPOINT_MISMATCH otherwise);
 * a damaged file is KM_ERROR_CHECKPOINT_CORRUPT.  On error the trainer is
 * unchanged. */
gboolean km_trainer_load (KmTrainer * trainer, const gchar * path,
    GError ** error);

/* Reads only the model (master centers, counts, version) of a
 * checkpoint, for assignment.  NULL with @error on failure. */
KmModel *km_checkpoint_load_model (const gchar * path, GError ** error);

/* Reads a text file of initial centers: one center per line, values
 * separated by commas or white space, '#' comments.  Returns k*d floats
 * and sets *k and *d. */
gfloat *km_centers_load_text (const gchar * path, guint * k, guint * d,
    GError ** error);

G_END_DECLS

#endif /* __KMEANS_CORE_H__ */

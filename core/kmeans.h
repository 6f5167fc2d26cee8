/* gst-kmeans core: streaming k-means math, free of GStreamer.
 *
 * Everything numeric lives here: distances, assignment, initialisation,
 * mini-batch / full-batch updates, forgetting, the relative-tolerance rule
 * and the checkpoint file.  The GStreamer elements only call this API.
 *
 * Behaviour follows TensorFlow's KMeans estimator, with Spark-style
 * forgetting; docs/algorithm.md states every rule and where this project
 * departs from them.  Section numbers below (§) refer to that document.
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

/**
 * km_error_quark:
 *
 * The error domain of the core; its codes are #KmError.
 *
 * Returns: the #GQuark of %KM_ERROR.
 */
GQuark km_error_quark (void);

typedef enum
{
  KM_ERROR_INVALID_ARGUMENT,    /* bad k, d, config values, wrong dims */
  KM_ERROR_BATCH_TOO_SMALL,     /* kmeans++ needs B >= remaining centers */
  KM_ERROR_CHECKPOINT_IO,       /* cannot read / write / rename / fsync */
  KM_ERROR_CHECKPOINT_CORRUPT,  /* bad magic, truncated, checksum mismatch */
  KM_ERROR_CHECKPOINT_MISMATCH, /* k, d, metric or mode differ from config */
  KM_ERROR_TOO_LARGE,           /* k*d or batch beyond the sane limits */
  KM_ERROR_STATS_MISMATCH,      /* round statistics of another k, d, metric
                                 * or model version (kmstats.h) */
  KM_ERROR_STATS_CORRUPT,       /* serialised statistics refused */
  KM_ERROR_MODEL_CORRUPT        /* a serialised model record refused */
} KmError;

/* Upper limits checked before any allocation. */
#define KM_MAX_CLUSTERS   (1u << 20)
#define KM_MAX_DIMENSIONS (1u << 16)
#define KM_MAX_INIT_TRIALS 100
#define KM_MAX_INIT_BATCHES 100
#define KM_MAX_INIT_REFINE 1000
#define KM_MAX_MODEL_FLOATS (G_GUINT64_CONSTANT (1) << 28)  /* k*d, 1 GiB */

typedef enum
{
  KM_METRIC_SQUARED_EUCLIDEAN = 0,
  KM_METRIC_COSINE = 1
} KmMetric;

typedef enum
{
  KM_INIT_RANDOM = 0,           /* §3.2 greedy batch sampler, with replacement */
  KM_INIT_KMEANS_PLUS_PLUS = 1, /* §3.3 1+R candidates per center */
  KM_INIT_GIVEN = 2             /* km_trainer_set_centers() */
} KmInit;

typedef enum
{
  KM_TIME_UNIT_BATCHES = 0,
  KM_TIME_UNIT_POINTS = 1
} KmTimeUnit;

/* How random init draws k rows from a larger sample (§3.2). */
typedef enum
{
  KM_INIT_SAMPLING_WITH_REPLACEMENT = 0,        /* TF: duplicates possible */
  KM_INIT_SAMPLING_WITHOUT_REPLACEMENT = 1      /* k distinct rows */
} KmInitSampling;

/* Where a starved center is moved to (§2.6). */
typedef enum
{
  KM_REASSIGN_SAMPLING_UNIFORM = 0,     /* scikit-learn: any batch point */
  KM_REASSIGN_SAMPLING_DISTANCE = 1     /* probability ~ squared distance to
                                         * its nearest center */
} KmReassignSampling;

typedef struct
{
  guint k;
  guint d;
  KmMetric metric;
  KmInit init;
  gboolean mini_batch;          /* FALSE: full batch, one Lloyd step a batch (§2.4) */
  guint steps_per_sync;         /* >= 1; 1 is §2.2, N > 1 is §2.3 */
  gint kmeans_plus_plus_retries;        /* < 0: 2 + floor(ln k) (§3.3) */
  gdouble relative_tolerance;   /* <= 0 disables (§5.3) */
  gdouble decay_factor;         /* Spark's a, in [0, 1]; 1 = no forgetting (§6) */
  KmTimeUnit time_unit;         /* unit the decay applies per (§6.2) */
  guint64 seed;
  gdouble initial_count;        /* mini-batch N = 1: count (Spark's weight)
                                 * each initial center starts with; TF: 1
                                 * (§2.2) */
  guint init_size;              /* random / kmeans++ choose from the first
                                 * init_size points, gathered across
                                 * batches; 0: the first batch (TF, §3.6) */
  KmInitSampling init_sampling; /* random init's draw (§3.2) */
  gdouble reassignment_ratio;   /* >= 0; 0: off (TF) (§2.6) */
  KmReassignSampling reassignment_sampling;     /* §2.6 */
  guint init_trials;            /* >= 1: random / kmeans++ run this many
                                 * times on the sample, the one of least
                                 * potential kept; 1: TF (§3.7) */
  guint init_batches;           /* init_size 0: the sample is this many
                                 * times the first batch; 0 or 1: the
                                 * first batch (TF, §3.6) */
  guint init_refine;            /* Lloyd iterations of each trial on the
                                 * sample; 0: none (TF, §3.8) */
} KmConfig;

/**
 * km_config_init:
 * @cfg: the configuration to fill in
 *
 * Fills in the estimator's defaults (§1.3): k = 2, d = 0 (must be set),
 * squared Euclidean, random init, mini-batch, steps_per_sync = 1,
 * retries = 2, tolerance off, decay 1.0 per batch, seed 0,
 * initial_count 1, init_size 0 and init_batches 0 (the first batch),
 * random init with replacement, no reassignment, one init trial, no
 * refinement.  These are TensorFlow's rules exactly;
 * the elements' defaults differ (§1.4).
 */
void km_config_init (KmConfig * cfg);

/**
 * km_config_validate:
 * @cfg: the configuration to check
 * @error: return location for a #GError, or %NULL
 *
 * Checks ranges and limits (§1.3), before anything is allocated.
 * Forgetting (decay_factor < 1) needs mini-batch with steps_per_sync = 1;
 * a decay factor above 1 is rejected (weights would grow without bound,
 * §6.1).  Sizes beyond the KM_MAX_* limits are %KM_ERROR_TOO_LARGE, any
 * other problem %KM_ERROR_INVALID_ARGUMENT.
 *
 * Returns: %TRUE if @cfg is usable, %FALSE with @error set otherwise.
 */
gboolean km_config_validate (const KmConfig * cfg, GError ** error);

/**
 * km_decay_from_half_life:
 * @half_life: time units after which past points weigh half, > 0
 *
 * Spark's setHalfLife (§6.1).
 *
 * Returns: the decay factor a = 0.5^(1/@half_life).
 */
gdouble km_decay_from_half_life (gdouble half_life);

/* ------------------------------------------------------------------ */
/* Random numbers: xoshiro256**, seeded through splitmix64; the state is
 * plain data so a checkpoint can carry it. */

typedef struct
{
  guint64 s[4];
} KmRng;

/**
 * km_rng_seed:
 * @rng: the generator
 * @seed: any value
 *
 * Sets the four state words from @seed through splitmix64, which never
 * gives the all-zero state (§3.5).
 */
void km_rng_seed (KmRng * rng, guint64 seed);

/**
 * km_rng_next:
 * @rng: the generator
 *
 * Advances the generator by one xoshiro256** step.
 *
 * Returns: 64 uniform random bits.
 */
guint64 km_rng_next (KmRng * rng);

/**
 * km_rng_uniform_int:
 * @rng: the generator
 * @n: the number of values, > 0
 *
 * Draws an integer without modulo bias: the lowest 2^64 mod @n outputs
 * of the generator are rejected.
 *
 * Returns: a uniform integer in [0, @n).
 */
guint64 km_rng_uniform_int (KmRng * rng, guint64 n);

/**
 * km_rng_uniform:
 * @rng: the generator
 *
 * Draws a real from the top 53 bits of one output.
 *
 * Returns: a uniform double in [0, 1).
 */
gdouble km_rng_uniform (KmRng * rng);

/**
 * km_rng_gaussian:
 * @rng: the generator
 *
 * Draws a normal deviate by Box-Muller, keeping no second value (the
 * state stays the four words).
 *
 * Returns: a standard normal double.
 */
gdouble km_rng_gaussian (KmRng * rng);

/* ------------------------------------------------------------------ */
/* Scratch memory reused across calls, so that steady-state processing
 * allocates nothing.  Grows on demand; owned by one thread. */

typedef struct _KmWorkspace KmWorkspace;

/**
 * km_workspace_new:
 *
 * Creates an empty workspace; its buffers grow on first use.
 *
 * Returns: a new #KmWorkspace, to be freed with km_workspace_free().
 */
KmWorkspace *km_workspace_new (void);

/**
 * km_workspace_free:
 * @ws: a workspace, or %NULL
 *
 * Frees @ws and its buffers.
 */
void km_workspace_free (KmWorkspace * ws);

/* ------------------------------------------------------------------ */
/* A model: k centers of dimension d under a metric.  Immutable. */

typedef struct _KmModel KmModel;

/**
 * km_model_new:
 * @k: number of centers
 * @d: dimensions
 * @metric: the distance the model assigns with
 * @centers: k*d row-major floats, copied
 * @version: the version the model reports
 * @error: return location for a #GError, or %NULL
 *
 * Makes a model without counts, at step 0.  Precomputes what distances
 * need (squared norms; unit rows for cosine).  For cosine the stored
 * centers are kept as given (they may be unnormalised in mini-batch
 * N = 1, §4.2) and normalised copies are used for distances.  @k and @d
 * are checked against the limits of km_config_validate().
 *
 * Returns: a new #KmModel with one reference, or %NULL with @error set.
 */
KmModel *km_model_new (guint k, guint d, KmMetric metric,
    const gfloat * centers, guint64 version, GError ** error);

/**
 * km_model_new_full:
 * @k: number of centers
 * @d: dimensions
 * @metric: the distance the model assigns with
 * @centers: k*d row-major floats, copied
 * @counts: k doubles, copied, or %NULL for a model without counts
 * @version: the version the model reports
 * @step: the training step the model reports
 * @error: return location for a #GError, or %NULL
 *
 * Like km_model_new(), with counts and a step: what a model that was
 * written out (a checkpoint, an event that crossed the network) is
 * rebuilt with.  The values are not checked: the caller validates
 * outside input (finite centers, finite non-negative counts).
 *
 * Returns: a new #KmModel with one reference, or %NULL with @error set.
 */
KmModel *km_model_new_full (guint k, guint d, KmMetric metric,
    const gfloat * centers, const gdouble * counts, guint64 version,
    guint64 step, GError ** error);

/**
 * km_model_ref:
 * @model: a model
 *
 * Adds a reference, atomically: a model may be shared between threads.
 *
 * Returns: @model.
 */
KmModel *km_model_ref (KmModel * model);

/**
 * km_model_unref:
 * @model: a model
 *
 * Drops a reference, atomically; the last one frees the model (or keeps
 * its memory for reuse by the next model of the same shape).
 */
void km_model_unref (KmModel * model);

/**
 * km_model_get_k:
 * @model: a model
 *
 * Returns: the number of centers.
 */
guint km_model_get_k (const KmModel * model);

/**
 * km_model_get_d:
 * @model: a model
 *
 * Returns: the dimension of the centers.
 */
guint km_model_get_d (const KmModel * model);

/**
 * km_model_get_metric:
 * @model: a model
 *
 * Returns: the distance the model assigns with.
 */
KmMetric km_model_get_metric (const KmModel * model);

/**
 * km_model_get_version:
 * @model: a model
 *
 * The version increases by one with every update of the centers
 * (§2.5).
 *
 * Returns: the model's version.
 */
guint64 km_model_get_version (const KmModel * model);

/**
 * km_model_get_step:
 * @model: a model
 *
 * Returns: the training step the model was taken at (§2.5); 0 for the
 * initial centers and for models made with km_model_new().
 */
guint64 km_model_get_step (const KmModel * model);

/**
 * km_model_get_centers:
 * @model: a model
 *
 * The stored centers, the estimator's cluster_centers(); for cosine in
 * mini-batch N = 1 they are not unit length (§4.2).
 *
 * Returns: k*d row-major floats, owned by @model.
 */
const gfloat *km_model_get_centers (const KmModel * model);

/**
 * km_model_get_counts:
 * @model: a model
 *
 * The points (or decayed weights) behind each center, as §2.5 defines
 * them per training mode.
 *
 * Returns: k doubles owned by @model, or %NULL if the model has none.
 */
const gdouble *km_model_get_counts (const KmModel * model);

/**
 * km_model_assign:
 * @model: a model
 * @points: @n row-major points of d floats
 * @n: number of points
 * @idx: @n nearest-center indices, or %NULL
 * @dist: @n distances to them, or %NULL
 * @ws: a workspace, or %NULL (then this call allocates)
 *
 * Finds the nearest center of each point (§4.3).  Ties go to the lowest
 * index.  @dist gets the distance to it: squared Euclidean (never
 * negative) or 1 - cos.  Centers closer than float rounding are told
 * apart on exact (double) distances, and the reported distance is
 * computed directly, so it can differ in the last bits from
 * km_model_distances().
 *
 * Returns: the sum of the distances (the loss / score of those points,
 * §5.2), summed in a fixed order (§4.5); 0 when @n is 0.
 */
gdouble km_model_assign (const KmModel * model, const gfloat * points,
    gsize n, gint32 * idx, gfloat * dist, KmWorkspace * ws);

/**
 * km_model_distances:
 * @model: a model
 * @points: @n row-major points of d floats
 * @n: number of points
 * @out: n*k row-major distances
 * @ws: a workspace, or %NULL (then this call allocates)
 *
 * Computes all k distances of each point (§4.4), the same distance as
 * km_model_assign() in float arithmetic: the expanded form
 * ||x||^2 - 2x.c + ||c||^2 for squared Euclidean, 1 - x^.c^ for cosine,
 * both clamped at 0.
 */
void km_model_distances (const KmModel * model, const gfloat * points,
    gsize n, gfloat * out, KmWorkspace * ws);

/* A model as bytes between processes (schemas/model-record.md). */

/**
 * km_model_record_size:
 * @k: number of centers
 * @d: dimensions
 * @with_counts: whether the record carries counts
 *
 * Returns: the bytes of a model record of that shape:
 * 52 + 4kd, plus 8k with counts.
 */
guint64 km_model_record_size (guint k, guint d, gboolean with_counts);

/**
 * km_model_serialize:
 * @model: a model
 * @len: return location for the length
 *
 * Writes the record of schemas/model-record.md: little endian header,
 * centers as float32, counts (when the model has them) as float64,
 * CRC-32.
 *
 * Returns: the bytes (g_free() them).
 */
guint8 *km_model_serialize (const KmModel * model, gsize * len);

/**
 * km_model_deserialize:
 * @data: bytes from outside the process
 * @len: their length
 * @error: return location for a #GError, or %NULL
 *
 * Reads what km_model_serialize() wrote, with every check of
 * schemas/model-record.md (sizes before any allocation, CRC, finite
 * centers, finite non-negative counts).
 *
 * Returns: a new #KmModel, or %NULL with @error set
 * (%KM_ERROR_MODEL_CORRUPT; the message says which check failed).
 */
KmModel *km_model_deserialize (const guint8 * data, gsize len,
    GError ** error);

/* ------------------------------------------------------------------ */
/* Training. */

typedef struct _KmTrainer KmTrainer;

typedef enum
{
  KM_FEED_INIT,                 /* batch consumed (partly) by initialisation */
  KM_FEED_TRAINED,              /* one update step was made */
  KM_FEED_CONVERGED,            /* tolerance met on this step: centers updated,
                                 * later batches will not update */
  KM_FEED_SKIPPED,              /* empty batch, or already converged:
                                 * no update */
  KM_FEED_ERROR                 /* see GError; the model is unchanged */
} KmFeedResult;

typedef struct
{
  guint64 step;                 /* global step after this feed */
  gdouble loss;                 /* pre-update batch loss (§5.1) */
  gsize num_points;             /* points in the batch */
  guint initialized_centers;    /* rows chosen so far, k when done */
  gdouble relative_change;      /* |loss - previous| / (1 + |previous|) of a
                                 * step (§5.3), NaN without a previous loss
                                 * or when no step was made */
  guint reassigned;             /* centers reassigned by this step (§2.6) */
} KmStepInfo;

/**
 * km_trainer_new:
 * @cfg: the configuration, copied
 * @error: return location for a #GError, or %NULL
 *
 * Creates a trainer that has chosen no center yet (§1.2); its random
 * numbers are seeded from @cfg->seed (§3.5).
 *
 * Returns: a new #KmTrainer, or %NULL with @error set when
 * km_config_validate() refuses @cfg.
 */
KmTrainer *km_trainer_new (const KmConfig * cfg, GError ** error);

/**
 * km_trainer_free:
 * @trainer: a trainer, or %NULL
 *
 * Frees @trainer.  Models taken from it stay valid.
 */
void km_trainer_free (KmTrainer * trainer);

/**
 * km_trainer_get_config:
 * @trainer: a trainer
 *
 * Returns: the trainer's configuration, owned by @trainer.
 */
const KmConfig *km_trainer_get_config (const KmTrainer * trainer);

/**
 * km_trainer_set_centers:
 * @trainer: a trainer
 * @centers: k*d row-major floats, copied
 * @k: rows of @centers, must equal the config's k
 * @d: columns of @centers, must equal the config's d
 * @error: return location for a #GError, or %NULL
 *
 * Gives the initial centers (§3.4), which completes initialisation
 * (§3.1).  Normalised when cosine.  Only valid before initialisation is
 * complete; works whatever cfg->init (rows chosen so far are replaced).
 *
 * Returns: %TRUE on success, %FALSE with @error set
 * (%KM_ERROR_INVALID_ARGUMENT) otherwise.
 */
gboolean km_trainer_set_centers (KmTrainer * trainer, const gfloat * centers,
    guint k, guint d, GError ** error);

/**
 * km_trainer_feed:
 * @trainer: a trainer
 * @points: n*d row-major floats; must hold no NaN/Inf (the caller filters)
 * @n: number of points, 0 allowed
 * @info: where to report the step, or %NULL
 * @error: return location for a #GError, or %NULL
 *
 * Feeds one batch.  While not initialised the batch goes to the init rule
 * (and is not trained on, §3.1); afterwards it is one training step
 * (§2.1).  An empty batch (n = 0) changes nothing and returns
 * %KM_FEED_SKIPPED, as do batches after convergence (§5.3); info->loss is
 * 0 then.  Steady-state feeds allocate nothing (but see OpenBLAS's threads
 * in the notes above).
 *
 * Returns: what the batch was used for; %KM_FEED_ERROR with @error set
 * (e.g. %KM_ERROR_BATCH_TOO_SMALL for kmeans++, §3.3).
 */
KmFeedResult km_trainer_feed (KmTrainer * trainer, const gfloat * points,
    gsize n, KmStepInfo * info, GError ** error);

/**
 * km_trainer_is_initialized:
 * @trainer: a trainer
 *
 * Returns: %TRUE once all k centers are chosen (§3.1).
 */
gboolean km_trainer_is_initialized (const KmTrainer * trainer);

/**
 * km_trainer_is_converged:
 * @trainer: a trainer
 *
 * Returns: %TRUE once the relative tolerance was met (§5.3); later
 * batches are skipped.
 */
gboolean km_trainer_is_converged (const KmTrainer * trainer);

/**
 * km_trainer_get_step:
 * @trainer: a trainer
 *
 * Returns: the global step: training steps made so far (initialisation
 * batches do not count).
 */
guint64 km_trainer_get_step (const KmTrainer * trainer);

/**
 * km_trainer_get_points:
 * @trainer: a trainer
 *
 * Returns: the points trained on (steps and applied rounds; points used
 * only for initialisation excluded), kept across resumes (§7.1).
 */
guint64 km_trainer_get_points (const KmTrainer * trainer);

/**
 * km_trainer_get_reassignments:
 * @trainer: a trainer
 *
 * Returns: the centers moved by the reassignment rule (§2.6) so far,
 * kept across resumes.
 */
guint64 km_trainer_get_reassignments (const KmTrainer * trainer);

/**
 * km_trainer_flush_init:
 * @trainer: a trainer
 * @error: return location for a #GError, or %NULL
 *
 * Ends an init_size gathering early (§3.6), e.g. at the end of a stream
 * shorter than init_size: the centers are chosen from the points
 * gathered so far.  Does nothing when no point is gathered or the
 * trainer is initialised.
 *
 * Returns: %FALSE with @error set when kmeans++ has fewer points gathered
 * than centers to choose (%KM_ERROR_BATCH_TOO_SMALL), %TRUE otherwise.
 */
gboolean km_trainer_flush_init (KmTrainer * trainer, GError ** error);

/**
 * km_trainer_get_model:
 * @trainer: a trainer
 *
 * Takes a snapshot of the master centers and counts (§2.5).  Cheap when
 * nothing changed since the last call: the same model is returned again;
 * otherwise it copies k*d floats.
 *
 * Its version is 1 once initialised and grows by one whenever the master
 * changes: every training step in mini-batch N = 1 and full batch, every
 * sync in N > 1 (so a new version means new centers).  Its counts are the
 * points behind each master center: the (decayed) weights in N = 1, the
 * cluster sizes of the last batch in full batch, and those of the
 * iteration that produced the master in N > 1.
 *
 * Returns: a new reference to the model (km_model_unref() it), or %NULL
 * before initialisation.
 */
KmModel *km_trainer_get_model (KmTrainer * trainer);

/**
 * km_trainer_save:
 * @trainer: a trainer
 * @path: the checkpoint file
 * @error: return location for a #GError, or %NULL
 *
 * Writes the whole training state (§7.1: the estimator's variables plus
 * RNG, tolerance state and config) to @path atomically (§7.2): temporary
 * file in the same folder, fsync, rename, fsync of the folder.  Mode
 * 0600.  The byte format is schemas/checkpoint.md.  On any error the
 * previous file is untouched, except when only the final fsync of the
 * folder fails: the new file is then in place.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 * (%KM_ERROR_CHECKPOINT_IO) otherwise.
 */
gboolean km_trainer_save (KmTrainer * trainer, const gchar * path,
    GError ** error);

/**
 * km_trainer_load:
 * @trainer: a trainer
 * @path: a checkpoint written by km_trainer_save()
 * @error: return location for a #GError, or %NULL
 *
 * Restores the whole training state from @path (§7.4).  The checkpoint's
 * k, d, metric and mode (mini-batch or not, and N in mini-batch) must
 * match the trainer's config (%KM_ERROR_CHECKPOINT_MISMATCH otherwise);
 * the rest of the trainer's config stays in force.  A damaged file is
 * %KM_ERROR_CHECKPOINT_CORRUPT (§7.3), an unreadable one
 * %KM_ERROR_CHECKPOINT_IO.  On error the trainer is unchanged.
 *
 * Returns: %TRUE on success, %FALSE with @error set otherwise.
 */
gboolean km_trainer_load (KmTrainer * trainer, const gchar * path,
    GError ** error);

/**
 * km_checkpoint_load_model:
 * @path: a checkpoint written by km_trainer_save()
 * @error: return location for a #GError, or %NULL
 *
 * Reads only the model (master centers, counts, version, step) of a
 * checkpoint, for assignment (§7.5), with the file checks of
 * km_trainer_load() (§7.3).
 *
 * Returns: a new #KmModel, or %NULL with @error set on failure
 * (%KM_ERROR_INVALID_ARGUMENT when initialisation was not finished).
 */
KmModel *km_checkpoint_load_model (const gchar * path, GError ** error);

/* What a checkpoint's header says, decoded (schemas/checkpoint.md). */
typedef struct
{
  guint format_version;
  guint k;
  guint d;
  KmMetric metric;
  KmInit init;                  /* informational */
  gboolean mini_batch;
  guint steps_per_sync;
  gboolean initialized;
  guint initialized_rows;
  gboolean converged;
  gboolean have_prev_loss;
  gdouble prev_loss;            /* 0 unless have_prev_loss */
  KmTimeUnit time_unit;
  gdouble decay_factor;
  gdouble initial_count;
  guint64 seed;                 /* informational */
  guint64 points;               /* trained on; 0 in format 1 files */
  guint64 reassignments;        /* 0 in format 1 files */
  guint init_buffered;          /* points gathered for init (§3.6) */
  guint64 step;
  guint64 version;
  guint64 model_step;
  guint64 size;                 /* bytes, digest included */
} KmCheckpointInfo;

/**
 * km_checkpoint_read_info:
 * @path: a checkpoint written by km_trainer_save()
 * @info: (out caller-allocates): where to decode the header
 * @error: return location for a #GError, or %NULL
 *
 * Reads a checkpoint's header without a trainer, for inspection tools,
 * after every check of km_trainer_load() (§7.3: sizes, checksum, finite
 * values), so a filled @info means a file the trainer would accept.
 *
 * Returns: %TRUE with @info filled in, or %FALSE with @error set
 * (%KM_ERROR_CHECKPOINT_CORRUPT saying what is wrong, or
 * %KM_ERROR_CHECKPOINT_IO).
 */
gboolean km_checkpoint_read_info (const gchar * path,
    KmCheckpointInfo * info, GError ** error);

/**
 * km_trainer_set_counts:
 * @trainer: an initialised trainer
 * @counts: k doubles, finite and >= 0, copied
 * @k: entries of @counts, must equal the config's k
 * @error: return location for a #GError, or %NULL
 *
 * Sets the counts behind the master centers (§2.5), e.g. the cluster
 * sizes of a model trained elsewhere, before km_trainer_save().  In
 * mini-batch N = 1 they are the weights later steps average with; in
 * N > 1 the working copy's counts are left as they are.  The model
 * version does not change.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 * (%KM_ERROR_INVALID_ARGUMENT) otherwise.
 */
gboolean km_trainer_set_counts (KmTrainer * trainer, const gdouble * counts,
    guint k, GError ** error);

/**
 * km_centers_load_text:
 * @path: the text file
 * @k: return location for the number of centers
 * @d: return location for their dimension
 * @error: return location for a #GError, or %NULL
 *
 * Reads a text file of initial centers (§3.4): one center per line,
 * values separated by commas or white space, '#' comments.
 *
 * Returns: k*d row-major floats (g_free() them) with *@k and *@d set, or
 * %NULL with @error set.
 */
gfloat *km_centers_load_text (const gchar * path, guint * k, guint * d,
    GError ** error);

/* ------------------------------------------------------------------ */
/* Files named by users: never a blocking open. */

/**
 * km_file_open:
 * @path: a file named by the user
 * @flags: open(2) flags (O_RDONLY, O_WRONLY | O_APPEND | O_CREAT, ...);
 *     O_CREAT creates the file with mode 0666 (less the umask)
 * @mode: where the type of what is at @path goes when it is not a regular
 *     file (0 otherwise)
 * @err: where the errno goes on failure (0 for "not a regular file")
 *
 * Opens @path without blocking (a FIFO without a writer or reader never
 * holds the caller), checks with fstat() that it is a regular file, and
 * gives the descriptor back in blocking mode.
 *
 * Returns: the descriptor, or -1 with *@err and *@mode set.
 */
gint km_file_open (const gchar * path, gint flags, guint * mode, gint * err);

/**
 * km_file_type_name:
 * @mode: a st_mode that is not a regular file's
 *
 * Returns: what it is, for messages: "a directory", "a FIFO (named
 * pipe)", "a device", "a socket" or "something else".
 */
const gchar *km_file_type_name (guint mode);

G_END_DECLS

/* The statistics of distributed rounds. */
#include "kmstats.h"

#endif /* __KMEANS_CORE_H__ */

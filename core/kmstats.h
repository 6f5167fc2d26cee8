/* gst-kmeans core: the statistics of a distributed round.
 *
 * A worker assigns its batches against the current master model and adds
 * them up per center (count, sum of the points, and the points and
 * batches forgetting needs); a hub merges the statistics of all workers
 * of a round and applies them to its trainer once, with the estimator's
 * rule (docs/algorithm.md §10).  The byte layout that carries them
 * between processes is schemas/stats.md.
 *
 * Threading: a KmStats belongs to one thread at a time (it keeps scratch
 * memory for the assignment). */
#ifndef __KMEANS_STATS_H__
#define __KMEANS_STATS_H__

#include "kmeans.h"

G_BEGIN_DECLS

/* Bytes of the serialised header and of the CRC-32 that ends it
 * (schemas/stats.md). */
#define KM_STATS_HEADER_SIZE 72
#define KM_STATS_TRAILER_SIZE 4

/* Counts are whole numbers in double: up to 2^53 points per round they
 * are exact, in any order of merging (§10.3). */
#define KM_STATS_MAX_POINTS (G_GUINT64_CONSTANT (1) << 53)

typedef struct _KmStats KmStats;

/**
 * km_stats_new:
 * @k: number of centers
 * @d: dimensions
 * @metric: the model's metric
 * @model_version: the version of the model the points are assigned to
 * @worker: the contributing worker's id
 * @round: the worker's round number
 * @error: return location for a #GError, or %NULL
 *
 * Makes empty statistics.  @k and @d are checked against the limits of
 * km_config_validate().
 *
 * Returns: a new #KmStats, or %NULL with @error set.
 */
KmStats *km_stats_new (guint k, guint d, KmMetric metric,
    guint64 model_version, guint32 worker, guint64 round, GError ** error);

/**
 * km_stats_new_for_model:
 * @model: the model the round's points will be assigned to
 * @worker: the contributing worker's id
 * @round: the worker's round number
 *
 * Makes empty statistics of @model's k, d, metric and version.
 *
 * Returns: a new #KmStats.
 */
KmStats *km_stats_new_for_model (const KmModel * model, guint32 worker,
    guint64 round);

/**
 * km_stats_copy:
 * @stats: statistics
 *
 * Returns: a new #KmStats with the same identity and values.
 */
KmStats *km_stats_copy (const KmStats * stats);

/**
 * km_stats_free:
 * @stats: statistics, or %NULL
 */
void km_stats_free (KmStats * stats);

/**
 * km_stats_reset:
 * @stats: statistics
 * @model_version: the version of the next round's model
 * @round: the next round's number
 *
 * Empties @stats for a new round (k, d, metric and worker are kept).
 */
void km_stats_reset (KmStats * stats, guint64 model_version, guint64 round);

guint km_stats_get_k (const KmStats * stats);
guint km_stats_get_d (const KmStats * stats);
KmMetric km_stats_get_metric (const KmStats * stats);
guint64 km_stats_get_model_version (const KmStats * stats);
guint32 km_stats_get_worker (const KmStats * stats);
guint64 km_stats_get_round (const KmStats * stats);
/* Points and non-empty batches accumulated (summed over merges). */
guint64 km_stats_get_points (const KmStats * stats);
guint64 km_stats_get_batches (const KmStats * stats);
/* The sum of the points' distances to their centers (§5.2). */
gdouble km_stats_get_loss (const KmStats * stats);
/* k counts, whole numbers; k*d row-major sums of the (for cosine,
 * normalised) points; owned by @stats. */
const gdouble *km_stats_get_counts (const KmStats * stats);
const gdouble *km_stats_get_sums (const KmStats * stats);

/**
 * km_stats_accumulate:
 * @stats: statistics of a round
 * @model: the model of the round: its k, d, metric and version must be
 *     those of @stats
 * @points: @n row-major points of d floats, finite (the caller filters)
 * @n: number of points; 0 adds nothing (no batch)
 * @error: return location for a #GError, or %NULL
 *
 * Assigns the batch to @model exactly as a trainer's step does (§2.1:
 * normalised for cosine, nearest center with ties to the lowest index)
 * and adds it to the counts, sums, loss, points and batches.  Sums
 * continue in the trainer's order of docs/algorithm.md §2.1 batch by
 * batch, so a round of one batch, or of at most 1024 points, sums like one
 * trainer fed their concatenation; a longer round of several batches
 * matches it up to double rounding (§10.2).
 *
 * Returns: %TRUE, or %FALSE with @error set (%KM_ERROR_STATS_MISMATCH
 * for another model, %KM_ERROR_TOO_LARGE beyond %KM_STATS_MAX_POINTS);
 * @stats is then unchanged.
 */
gboolean km_stats_accumulate (KmStats * stats, const KmModel * model,
    const gfloat * points, gsize n, GError ** error);

/**
 * km_stats_merge:
 * @dst: statistics that receive @src; their identity (worker, round) is
 *     kept
 * @src: statistics of the same k, d, metric and model version
 * @error: return location for a #GError, or %NULL
 *
 * Adds @src to @dst, element by element in double.  Commutative bit for
 * bit; associative exactly for the counts, points and batches, and for
 * the sums when their double additions are exact (§10.3).
 *
 * Returns: %TRUE, or %FALSE with @error set (%KM_ERROR_STATS_MISMATCH,
 * or %KM_ERROR_TOO_LARGE beyond %KM_STATS_MAX_POINTS); @dst is then
 * unchanged.
 */
gboolean km_stats_merge (KmStats * dst, const KmStats * src, GError ** error);

/**
 * km_trainer_apply_stats:
 * @trainer: an initialised trainer of the same k, d and metric
 * @stats: the merged statistics of a round
 * @max_lag: how many versions the statistics may be older than the
 *     trainer's model: 0 for synchronous rounds (the exact mode, §10.2)
 * @info: where to report the step, or %NULL
 * @error: return location for a #GError, or %NULL
 *
 * Applies the round with the trainer's rule as one step: mini-batch
 * N = 1 (with its forgetting, per batch = per round, or per point), full
 * batch, or with N > 1 one iteration of N steps whose working copy is
 * synced at once (§10.1).  The tolerance rule (§5.3) compares rounds.
 * Empty statistics, or a converged trainer, change nothing.
 *
 * Returns: %KM_FEED_TRAINED, %KM_FEED_CONVERGED or %KM_FEED_SKIPPED;
 * %KM_FEED_ERROR with @error set (%KM_ERROR_STATS_MISMATCH for other
 * k, d, metric or a version out of range, %KM_ERROR_INVALID_ARGUMENT
 * before initialisation or for a non-finite update), the trainer then
 * unchanged.
 */
KmFeedResult km_trainer_apply_stats (KmTrainer * trainer,
    const KmStats * stats, guint64 max_lag, KmStepInfo * info,
    GError ** error);

/**
 * km_stats_serialized_size:
 * @k: number of centers
 * @d: dimensions
 *
 * Returns: the bytes of serialised statistics of that shape:
 * 76 + 8k(d + 1).
 */
guint64 km_stats_serialized_size (guint k, guint d);

/**
 * km_stats_serialize:
 * @stats: statistics
 * @len: return location for the length
 *
 * Writes the layout of schemas/stats.md: little endian header, counts and
 * sums as float64, CRC-32.
 *
 * Returns: the bytes (g_free() them).
 */
guint8 *km_stats_serialize (const KmStats * stats, gsize * len);

/**
 * km_stats_deserialize:
 * @data: bytes from outside the process
 * @len: their length
 * @error: return location for a #GError, or %NULL
 *
 * Reads what km_stats_serialize() wrote, with every check of
 * schemas/stats.md, before allocating anything sized by the header.
 *
 * Returns: a new #KmStats, or %NULL with @error set
 * (%KM_ERROR_STATS_CORRUPT; the message says which check failed).
 */
KmStats *km_stats_deserialize (const guint8 * data, gsize len,
    GError ** error);

G_END_DECLS

#endif /* __KMEANS_STATS_H__ */

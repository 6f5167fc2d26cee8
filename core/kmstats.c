/* gst-kmeans core: the statistics of a distributed round
 * (docs/algorithm.md §10; bytes: schemas/stats.md).
 *
 * Assignment and accumulation are the trainer's own (kmdistance.c,
 * km_accumulate_add), and so is the update (km_trainer_apply_round): a
 * round differs from a step only in where its sums were added up. */
#include <math.h>
#include <zlib.h>

#include "kmprivate.h"

#define KM_STATS_MAGIC "KMSTATS"        /* + NUL: 8 bytes */
#define KM_STATS_MAGIC_LEN 8
#define KM_STATS_FORMAT 1

/* A normalised coordinate is at most 1 plus a few float32 roundings
 * (§4.2); any sum of m of them is at most m times this. */
#define KM_STATS_UNIT_BOUND (1.0 + 1.0 / (1 << 20))

struct _KmStats
{
  guint k;
  guint d;
  KmMetric metric;
  guint64 model_version;
  guint32 worker;
  guint64 round;
  guint64 points;
  guint64 batches;
  gdouble loss;
  gdouble *counts;              /* k */
  gdouble *sums;                /* k*d */
  KmWorkspace *ws;              /* for the assignment, made on first use */
};

static gsize
stats_floats (const KmStats * stats)
{
  return (gsize) stats->k * stats->d;
}

static KmStats *
stats_alloc (guint k, guint d, KmMetric metric, guint64 model_version,
    guint32 worker, guint64 round)
{
  KmStats *stats = g_new0 (KmStats, 1);

  stats->k = k;
  stats->d = d;
  stats->metric = metric;
  stats->model_version = model_version;
  stats->worker = worker;
  stats->round = round;
  stats->counts = g_new0 (gdouble, k);
  stats->sums = g_new0 (gdouble, (gsize) k * d);
  return stats;
}

KmStats *
km_stats_new (guint k, guint d, KmMetric metric, guint64 model_version,
    guint32 worker, guint64 round, GError ** error)
{
  g_return_val_if_fail (metric == KM_METRIC_SQUARED_EUCLIDEAN
      || metric == KM_METRIC_COSINE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!km_shape_validate (k, d, error))
    return NULL;
  return stats_alloc (k, d, metric, model_version, worker, round);
}

KmStats *
km_stats_new_for_model (const KmModel * model, guint32 worker, guint64 round)
{
  g_return_val_if_fail (model != NULL, NULL);

  return stats_alloc (model->k, model->d, model->metric, model->version,
      worker, round);
}

KmStats *
km_stats_copy (const KmStats * stats)
{
  KmStats *copy;

  g_return_val_if_fail (stats != NULL, NULL);

  copy = stats_alloc (stats->k, stats->d, stats->metric,
      stats->model_version, stats->worker, stats->round);
  copy->points = stats->points;
  copy->batches = stats->batches;
  copy->loss = stats->loss;
  memcpy (copy->counts, stats->counts, stats->k * sizeof (gdouble));
  memcpy (copy->sums, stats->sums, stats_floats (stats) * sizeof (gdouble));
  return copy;
}

void
km_stats_free (KmStats * stats)
{
  if (stats == NULL)
    return;
  g_free (stats->counts);
  g_free (stats->sums);
  km_workspace_free (stats->ws);
  g_free (stats);
}

void
km_stats_reset (KmStats * stats, guint64 model_version, guint64 round)
{
  g_return_if_fail (stats != NULL);

  stats->model_version = model_version;
  stats->round = round;
  stats->points = 0;
  stats->batches = 0;
  stats->loss = 0.0;
  memset (stats->counts, 0, stats->k * sizeof (gdouble));
  memset (stats->sums, 0, stats_floats (stats) * sizeof (gdouble));
}

guint
km_stats_get_k (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->k;
}

guint
km_stats_get_d (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->d;
}

KmMetric
km_stats_get_metric (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, KM_METRIC_SQUARED_EUCLIDEAN);
  return stats->metric;
}

guint64
km_stats_get_model_version (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->model_version;
}

guint32
km_stats_get_worker (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->worker;
}

guint64
km_stats_get_round (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->round;
}

guint64
km_stats_get_points (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->points;
}

guint64
km_stats_get_batches (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->batches;
}

gdouble
km_stats_get_loss (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0.0);
  return stats->loss;
}

const gdouble *
km_stats_get_counts (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return stats->counts;
}

const gdouble *
km_stats_get_sums (const KmStats * stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return stats->sums;
}

static const gchar *
metric_name (KmMetric metric)
{
  return metric == KM_METRIC_COSINE ? "cosine" : "squared-euclidean";
}

/* Same k, d and metric, or a KM_ERROR_STATS_MISMATCH naming the field;
 * @what and @other name the two sides for the message. */
static gboolean
check_same_shape (guint k, guint d, KmMetric metric, const gchar * what,
    guint ok, guint od, KmMetric ometric, const gchar * other, GError ** error)
{
  if (k != ok)
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "%s have k=%u but %s has k=%u", what, k, other, ok);
  else if (d != od)
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "%s have d=%u but %s has d=%u", what, d, other, od);
  else if (metric != ometric)
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "%s use the %s metric but %s uses %s", what, metric_name (metric),
        other, metric_name (ometric));
  else
    return TRUE;
  return FALSE;
}

gboolean
km_stats_accumulate (KmStats * stats, const KmModel * model,
    const gfloat * points, gsize n, GError ** error)
{
  const gfloat *x;
  gint32 *idx;
  gdouble loss;

  g_return_val_if_fail (stats != NULL, FALSE);
  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (points != NULL || n == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_same_shape (stats->k, stats->d, stats->metric, "statistics",
          model->k, model->d, model->metric, "the model", error))
    return FALSE;
  if (model->version != stats->model_version) {
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "statistics of model version %" G_GUINT64_FORMAT " cannot take "
        "points assigned to model version %" G_GUINT64_FORMAT,
        stats->model_version, model->version);
    return FALSE;
  }
  if (n == 0)
    return TRUE;
  if (n > G_MAXSIZE / sizeof (gdouble) / stats->d
      || n > KM_STATS_MAX_POINTS - stats->points) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "a round of more than %" G_GUINT64_FORMAT " points, or a batch of %"
        G_GSIZE_FORMAT " points of dimension %u, is too large",
        KM_STATS_MAX_POINTS, n, stats->d);
    return FALSE;
  }

  if (stats->ws == NULL)
    stats->ws = km_workspace_new ();
  /* The trainer's step (§2.1): normalised points, nearest master center. */
  x = km_prepare_points (stats->metric, points, n, stats->d, stats->ws);
  idx = km_workspace_get (stats->ws, KM_WS_IDX, n * sizeof (gint32));
  loss = km_dist_assign (&model->dist, x, n, idx, NULL, stats->ws);
  km_accumulate_add (model->dist.isa, stats->k, stats->d, x, n, idx,
      stats->sums, stats->counts, stats->ws);
  stats->points += n;
  stats->batches++;
  stats->loss += loss;
  return TRUE;
}

static gboolean
check_same_round_model (const KmStats * a, const KmStats * b, GError ** error)
{
  if (!check_same_shape (b->k, b->d, b->metric, "the statistics merged in",
          a->k, a->d, a->metric, "the merged ones", error))
    return FALSE;
  if (a->model_version != b->model_version) {
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "statistics of worker %u round %" G_GUINT64_FORMAT " were computed "
        "against model version %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT,
        b->worker, b->round, b->model_version, a->model_version);
    return FALSE;
  }
  return TRUE;
}

gboolean
km_stats_merge (KmStats * dst, const KmStats * src, GError ** error)
{
  const gsize kd = stats_floats (dst);
  gsize i;
  guint j;

  g_return_val_if_fail (dst != NULL, FALSE);
  g_return_val_if_fail (src != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_same_round_model (dst, src, error))
    return FALSE;
  if (src->points > KM_STATS_MAX_POINTS - dst->points) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "merged statistics would hold more than %" G_GUINT64_FORMAT
        " points, beyond which counts are not exact", KM_STATS_MAX_POINTS);
    return FALSE;
  }
  for (j = 0; j < dst->k; j++)
    dst->counts[j] += src->counts[j];
  for (i = 0; i < kd; i++)
    dst->sums[i] += src->sums[i];
  dst->points += src->points;
  dst->batches += src->batches;
  dst->loss += src->loss;
  return TRUE;
}

static gboolean
check_version_in_range (guint64 stats_version, guint64 model_version,
    guint64 max_lag, GError ** error)
{
  if (stats_version > model_version) {
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "statistics were computed against model version %" G_GUINT64_FORMAT
        ", newer than the trainer's %" G_GUINT64_FORMAT, stats_version,
        model_version);
    return FALSE;
  }
  if (model_version - stats_version > max_lag) {
    g_set_error (error, KM_ERROR, KM_ERROR_STATS_MISMATCH,
        "statistics were computed against model version %" G_GUINT64_FORMAT
        ", %" G_GUINT64_FORMAT " behind the trainer's %" G_GUINT64_FORMAT
        " (at most %" G_GUINT64_FORMAT " allowed)", stats_version,
        model_version - stats_version, model_version, max_lag);
    return FALSE;
  }
  return TRUE;
}

KmFeedResult
km_trainer_apply_stats (KmTrainer * trainer, const KmStats * stats,
    guint64 max_lag, KmStepInfo * info, GError ** error)
{
  const KmConfig *cfg;
  KmFeedResult res = KM_FEED_ERROR;
  gdouble prev_loss = trainer ? trainer->prev_loss : 0.0;
  gboolean had_prev_loss = trainer ? trainer->have_prev_loss : FALSE;

  g_return_val_if_fail (trainer != NULL, KM_FEED_ERROR);
  g_return_val_if_fail (stats != NULL, KM_FEED_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, KM_FEED_ERROR);

  cfg = &trainer->cfg;
  if (!check_same_shape (stats->k, stats->d, stats->metric, "statistics",
          cfg->k, cfg->d, cfg->metric, "the trainer", error)) {
  } else if (!trainer->initialized) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "statistics cannot be applied before the trainer is initialised");
  } else if (check_version_in_range (stats->model_version, trainer->version,
          max_lag, error)) {
    res = km_trainer_apply_round (trainer, stats->loss, stats->sums,
        stats->counts, stats->points, error);
  }

  if (info != NULL) {
    gboolean stepped = res == KM_FEED_TRAINED || res == KM_FEED_CONVERGED;

    info->step = trainer->step;
    info->loss = stepped ? stats->loss : 0.0;
    info->num_points = (gsize) MIN (stats->points, (guint64) G_MAXSIZE);
    info->initialized_centers = trainer->initialized_rows;
    info->relative_change = km_step_relative_change (stepped, stats->loss,
        had_prev_loss, prev_loss);
    /* A round has no points to move a center to (§2.6). */
    info->reassigned = 0;
  }
  return res;
}

/* ------------------------------------------------------------ bytes */

/* CRC-32 of IEEE 802.3, zlib's own: a byte-at-a-time table ran at a
 * third of a GB/s and was three quarters of a hub round's time. */
guint32
km_crc32 (const guint8 * data, gsize len)
{
  uLong c = crc32 (0L, Z_NULL, 0);

  while (len > 0) {
    uInt chunk = (uInt) MIN (len, (gsize) G_MAXUINT32);

    c = crc32 (c, data, chunk);
    data += chunk;
    len -= chunk;
  }
  return (guint32) c;
}

guint64
km_stats_serialized_size (guint k, guint d)
{
  guint64 values = (guint64) k * ((guint64) d + 1);

  return KM_STATS_HEADER_SIZE + 8 * values + KM_STATS_TRAILER_SIZE;
}

guint8 *
km_stats_serialize (const KmStats * stats, gsize * len)
{
  const gsize kd = stats_floats (stats);
  gsize size, i;
  guint8 *data, *p;
  guint j;

  g_return_val_if_fail (stats != NULL, NULL);
  g_return_val_if_fail (len != NULL, NULL);

  size = (gsize) km_stats_serialized_size (stats->k, stats->d);
  data = g_malloc (size);
  memcpy (data, KM_STATS_MAGIC, KM_STATS_MAGIC_LEN);
  p = km_le_put_u32 (data + KM_STATS_MAGIC_LEN, KM_STATS_FORMAT);
  p = km_le_put_u32 (p, stats->k);
  p = km_le_put_u32 (p, stats->d);
  p = km_le_put_u32 (p, stats->metric);
  p = km_le_put_u64 (p, stats->model_version);
  p = km_le_put_u32 (p, stats->worker);
  p = km_le_put_u32 (p, 0);     /* flags, none defined */
  p = km_le_put_u64 (p, stats->round);
  p = km_le_put_u64 (p, stats->points);
  p = km_le_put_u64 (p, stats->batches);
  p = km_le_put_f64 (p, stats->loss);
  for (j = 0; j < stats->k; j++)
    p = km_le_put_f64 (p, stats->counts[j]);
  for (i = 0; i < kd; i++)
    p = km_le_put_f64 (p, stats->sums[i]);
  km_le_put_u32 (p, km_crc32 (data, size - KM_STATS_TRAILER_SIZE));
  *len = size;
  return data;
}

/* The fixed header, decoded. */
typedef struct
{
  guint32 k, d, metric, worker;
  guint64 model_version, round, points, batches;
  gdouble loss;
} StatsHeader;

/* *INDENT-OFF* */
static gboolean refuse (GError ** error, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);
/* *INDENT-ON* */

static gboolean
refuse (GError ** error, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, KM_ERROR, KM_ERROR_STATS_CORRUPT,
      "round statistics refused: %s", msg);
  g_free (msg);
  return FALSE;
}

/* Rules 1 to 4 of schemas/stats.md: nothing sized by the header is read
 * or allocated before the length matches it. */
static gboolean
read_header (const guint8 * data, gsize len, StatsHeader * h, GError ** error)
{
  guint32 format, flags;
  guint64 size;

  if (len < KM_STATS_HEADER_SIZE + KM_STATS_TRAILER_SIZE)
    return refuse (error, "%" G_GSIZE_FORMAT " bytes is shorter than the "
        "smallest message", len);
  if (memcmp (data, KM_STATS_MAGIC, KM_STATS_MAGIC_LEN) != 0)
    return refuse (error, "bad magic");
  format = km_le_get_u32 (data + 8);
  if (format != KM_STATS_FORMAT)
    return refuse (error, "format version %u is not %u", format,
        KM_STATS_FORMAT);
  h->k = km_le_get_u32 (data + 12);
  h->d = km_le_get_u32 (data + 16);
  h->metric = km_le_get_u32 (data + 20);
  h->model_version = km_le_get_u64 (data + 24);
  h->worker = km_le_get_u32 (data + 32);
  flags = km_le_get_u32 (data + 36);
  h->round = km_le_get_u64 (data + 40);
  h->points = km_le_get_u64 (data + 48);
  h->batches = km_le_get_u64 (data + 56);
  h->loss = km_le_get_f64 (data + 64);

  if (!km_shape_validate (h->k, h->d, NULL))
    return refuse (error, "k=%u, d=%u is outside the limits", h->k, h->d);
  if (h->metric > KM_METRIC_COSINE)
    return refuse (error, "unknown metric %u", h->metric);
  if (flags != 0)
    return refuse (error, "unknown flags 0x%x", flags);
  size = km_stats_serialized_size (h->k, h->d);
  if (size != len)
    return refuse (error, "%" G_GSIZE_FORMAT " bytes where k=%u, d=%u "
        "takes %" G_GUINT64_FORMAT, len, h->k, h->d, size);
  return TRUE;
}

/* Rules 6 and 7: what a worker that assigned finite points can send. */
static gboolean
check_values (const StatsHeader * h, const guint8 * counts,
    const guint8 * sums, GError ** error)
{
  const gdouble bound = h->metric == KM_METRIC_COSINE ?
      KM_STATS_UNIT_BOUND : G_MAXFLOAT;
  guint64 total = 0;
  guint j, t;

  if (h->points > KM_STATS_MAX_POINTS || h->batches > h->points
      || (h->points > 0) != (h->batches > 0))
    return refuse (error, "%" G_GUINT64_FORMAT " points in %"
        G_GUINT64_FORMAT " batches", h->points, h->batches);
  if (!isfinite (h->loss) || h->loss < 0.0
      || (h->points == 0 && h->loss != 0.0))
    return refuse (error, "loss %g", h->loss);
  for (j = 0; j < h->k; j++) {
    gdouble c = km_le_get_f64 (counts + (gsize) j * 8);

    /* Written so that NaN fails too. */
    if (!(c >= 0.0 && c <= (gdouble) h->points && c == floor (c)))
      return refuse (error, "count %g of center %u is not a whole number "
          "of points", c, j);
    total += (guint64) c;
    if (total > h->points)
      break;
    for (t = 0; t < h->d; t++) {
      gdouble s = km_le_get_f64 (sums + ((gsize) j * h->d + t) * 8);

      if (!(fabs (s) <= c * bound))
        return refuse (error, "sum %g of center %u is not a sum of %g "
            "%spoints", s, j, c, h->metric == KM_METRIC_COSINE ?
            "normalised " : "finite float32 ");
    }
  }
  if (total != h->points)
    return refuse (error, "the counts do not add up to %" G_GUINT64_FORMAT
        " points", h->points);
  return TRUE;
}

KmStats *
km_stats_deserialize (const guint8 * data, gsize len, GError ** error)
{
  const guint8 *counts, *sums;
  StatsHeader h = { 0 };
  KmStats *stats;
  guint32 crc;
  gsize i, kd;
  guint j;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_header (data, len, &h, error))
    return NULL;
  crc = km_le_get_u32 (data + len - KM_STATS_TRAILER_SIZE);
  if (crc != km_crc32 (data, len - KM_STATS_TRAILER_SIZE)) {
    refuse (error, "CRC-32 mismatch");
    return NULL;
  }
  counts = data + KM_STATS_HEADER_SIZE;
  sums = counts + (gsize) h.k * 8;
  if (!check_values (&h, counts, sums, error))
    return NULL;

  stats = stats_alloc (h.k, h.d, h.metric, h.model_version, h.worker, h.round);
  stats->points = h.points;
  stats->batches = h.batches;
  stats->loss = h.loss;
  kd = stats_floats (stats);
  for (j = 0; j < h.k; j++)
    stats->counts[j] = km_le_get_f64 (counts + (gsize) j * 8);
  for (i = 0; i < kd; i++)
    stats->sums[i] = km_le_get_f64 (sums + i * 8);
  return stats;
}

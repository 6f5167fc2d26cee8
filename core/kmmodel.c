/* gst-kmeans core: immutable, atomically reference-counted models.
 *
 * A trainer publishes a new model every step, so released models of a
 * common size are kept in a small pool and reused: in steady state a
 * step allocates nothing. */
#include "kmprivate.h"

#define KM_MODEL_POOL_SIZE 4
/* Larger models are freed: the pool must not hold on to much memory. */
#define KM_MODEL_POOL_MAX_FLOATS (1u << 20)

static GMutex pool_lock;
static KmModel *pool[KM_MODEL_POOL_SIZE];
static guint pool_len;

/* A released model of the same shape, or NULL. */
static KmModel *
take_pooled (guint k, guint d, KmMetric metric, gboolean with_counts)
{
  KmModel *model = NULL;
  guint i;

  g_mutex_lock (&pool_lock);
  for (i = 0; i < pool_len; i++) {
    KmModel *m = pool[i];

    if (m->k == k && m->d == d && m->metric == metric
        && (m->counts != NULL) == with_counts) {
      model = m;
      pool[i] = pool[--pool_len];
      break;
    }
  }
  g_mutex_unlock (&pool_lock);
  return model;
}

static gboolean
give_to_pool (KmModel * model)
{
  gboolean kept = FALSE;

  if ((gsize) model->k * model->d > KM_MODEL_POOL_MAX_FLOATS)
    return FALSE;
  g_mutex_lock (&pool_lock);
  if (pool_len < KM_MODEL_POOL_SIZE) {
    pool[pool_len++] = model;
    kept = TRUE;
  }
  g_mutex_unlock (&pool_lock);
  return kept;
}

KmModel *
km_model_new_full (guint k, guint d, KmMetric metric, const gfloat * centers,
    const gdouble * counts, guint64 version, guint64 step, GError ** error)
{
  KmModel *model;
  gsize kd = (gsize) k * d;

  g_return_val_if_fail (centers != NULL, NULL);
  g_return_val_if_fail (metric == KM_METRIC_SQUARED_EUCLIDEAN
      || metric == KM_METRIC_COSINE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!km_shape_validate (k, d, error))
    return NULL;

  model = take_pooled (k, d, metric, counts != NULL);
  if (model != NULL) {
    memcpy (model->centers, centers, kd * sizeof (gfloat));
    if (counts != NULL)
      memcpy (model->counts, counts, k * sizeof (gdouble));
    model->dist.isa = km_isa_detect ();
  } else {
    model = g_new0 (KmModel, 1);
    model->k = k;
    model->d = d;
    model->metric = metric;
    model->centers = g_memdup2 (centers, kd * sizeof (gfloat));
    if (counts != NULL)
      model->counts = g_memdup2 (counts, k * sizeof (gdouble));
    km_dist_init (&model->dist, k, d, metric);
  }
  model->ref_count = 1;
  model->version = version;
  model->step = step;
  km_dist_prepare (&model->dist, model->centers);
  return model;
}

KmModel *
km_model_new (guint k, guint d, KmMetric metric, const gfloat * centers,
    guint64 version, GError ** error)
{
  return km_model_new_full (k, d, metric, centers, NULL, version, 0, error);
}

KmModel *
km_model_ref (KmModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);

  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
km_model_unref (KmModel * model)
{
  g_return_if_fail (model != NULL);

  if (!g_atomic_int_dec_and_test (&model->ref_count))
    return;
  if (give_to_pool (model))
    return;
  km_dist_clear (&model->dist);
  g_free (model->centers);
  g_free (model->counts);
  g_free (model);
}

guint
km_model_get_k (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->k;
}

guint
km_model_get_d (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->d;
}

KmMetric
km_model_get_metric (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, KM_METRIC_SQUARED_EUCLIDEAN);
  return model->metric;
}

guint64
km_model_get_version (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->version;
}

guint64
km_model_get_step (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->step;
}

const gfloat *
km_model_get_centers (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->centers;
}

const gdouble *
km_model_get_counts (const KmModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->counts;
}

gdouble
km_model_assign (const KmModel * model, const gfloat * points, gsize n,
    gint32 * idx, gfloat * dist, KmWorkspace * ws)
{
  KmWorkspace *own = NULL;
  const gfloat *x;
  gdouble total;

  g_return_val_if_fail (model != NULL, 0.0);
  g_return_val_if_fail (points != NULL || n == 0, 0.0);

  if (n == 0)
    return 0.0;
  /* A NULL workspace works but allocates: callers on a hot path pass one. */
  if (ws == NULL)
    ws = own = km_workspace_new ();
  x = km_prepare_points (model->metric, points, n, model->d, ws);
  total = km_dist_assign (&model->dist, x, n, idx, dist, ws);
  km_workspace_free (own);
  return total;
}

void
km_model_distances (const KmModel * model, const gfloat * points, gsize n,
    gfloat * out, KmWorkspace * ws)
{
  KmWorkspace *own = NULL;
  const gfloat *x;

  g_return_if_fail (model != NULL);
  g_return_if_fail (points != NULL || n == 0);
  g_return_if_fail (out != NULL || n == 0);

  if (n == 0)
    return;
  if (ws == NULL)
    ws = own = km_workspace_new ();
  x = km_prepare_points (model->metric, points, n, model->d, ws);
  km_dist_all (&model->dist, x, n, out);
  km_workspace_free (own);
}

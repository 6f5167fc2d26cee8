/* gst-kmeans core: the first two principal components by power iteration.
 *
 * Sums run over the points in the order the runs give them, in double,
 * so the same points in the same order give the same axes bit for bit. */
#include <math.h>
#include <string.h>

#include "kmeans.h"
#include "kmpca.h"

/* A C axis below this norm means the points do not spread along it. */
#define KM_PCA_NO_SPREAD 1e-12

struct _KmPca
{
  guint d;
  gdouble *mean;                /* d */
  gdouble *axes;                /* two rows of d */
  gdouble *scratch;             /* two rows of d: C axis, the axis before */
  gboolean valid;               /* axes hold a result: start from them */
};

KmPca *
km_pca_new (guint d)
{
  KmPca *pca;

  g_return_val_if_fail (d >= 1 && d <= KM_MAX_DIMENSIONS, NULL);

  pca = g_new0 (KmPca, 1);
  pca->d = d;
  pca->mean = g_new0 (gdouble, d);
  pca->axes = g_new0 (gdouble, 2 * d);
  pca->scratch = g_new0 (gdouble, 2 * d);
  return pca;
}

void
km_pca_free (KmPca * pca)
{
  if (pca == NULL)
    return;
  g_free (pca->mean);
  g_free (pca->axes);
  g_free (pca->scratch);
  g_free (pca);
}

void
km_pca_reset (KmPca * pca)
{
  g_return_if_fail (pca != NULL);

  pca->valid = FALSE;
}

const gdouble *
km_pca_get_mean (const KmPca * pca)
{
  g_return_val_if_fail (pca != NULL, NULL);

  return pca->mean;
}

const gdouble *
km_pca_get_axes (const KmPca * pca)
{
  g_return_val_if_fail (pca != NULL, NULL);

  return pca->axes;
}

static void
remove_component (gdouble * v, const gdouble * unit, guint d)
{
  gdouble dot = 0;
  guint j;

  for (j = 0; j < d; j++)
    dot += v[j] * unit[j];
  for (j = 0; j < d; j++)
    v[j] -= dot * unit[j];
}

static gdouble
normalise (gdouble * v, guint d)
{
  gdouble norm = 0;
  guint j;

  for (j = 0; j < d; j++)
    norm += v[j] * v[j];
  norm = sqrt (norm);
  if (norm > 0)
    for (j = 0; j < d; j++)
      v[j] /= norm;
  return norm;
}

static gsize
count_points (const KmPcaRun * runs, guint n_runs)
{
  gsize n = 0;
  guint r;

  for (r = 0; r < n_runs; r++)
    n += runs[r].n;
  return n;
}

static void
compute_mean (KmPca * pca, const KmPcaRun * runs, guint n_runs, gsize n)
{
  guint j, r, d = pca->d;
  gsize i;

  memset (pca->mean, 0, d * sizeof (gdouble));
  for (r = 0; r < n_runs; r++)
    for (i = 0; i < runs[r].n; i++) {
      const gfloat *p = runs[r].rows + i * d;

      for (j = 0; j < d; j++)
        pca->mean[j] += p[j];
    }
  for (j = 0; j < d; j++)
    pca->mean[j] /= n;
}

/* A start with a share of every dimension, not orthogonal to much. */
static void
set_start_axes (KmPca * pca)
{
  guint j, d = pca->d;

  memset (pca->axes, 0, 2 * d * sizeof (gdouble));
  for (j = 0; j < d; j++) {
    pca->axes[j] = 1.0 + j;
    pca->axes[d + j] = (j % 2) ? -1.0 : 1.0 + 0.5 * j;
  }
  normalise (pca->axes, d);
}

/* One power iteration for @axis: axis <- normalised C axis, with C the
 * covariance of the points (never formed: two passes over the points).
 * @other, if not NULL, is projected out to get the second component. */
static gboolean
power_step (KmPca * pca, const KmPcaRun * runs, guint n_runs, gdouble * axis,
    const gdouble * other)
{
  guint j, r, d = pca->d;
  const gdouble *m = pca->mean;
  gdouble *w = pca->scratch;
  gsize i;

  if (other)
    remove_component (axis, other, d);
  memset (w, 0, d * sizeof (gdouble));
  for (r = 0; r < n_runs; r++)
    for (i = 0; i < runs[r].n; i++) {
      const gfloat *p = runs[r].rows + i * d;
      gdouble dot = 0;

      for (j = 0; j < d; j++)
        dot += (p[j] - m[j]) * axis[j];
      for (j = 0; j < d; j++)
        w[j] += dot * (p[j] - m[j]);
    }
  if (other)
    remove_component (w, other, d);
  if (normalise (w, d) < KM_PCA_NO_SPREAD)
    return FALSE;
  memcpy (axis, w, d * sizeof (gdouble));
  return TRUE;
}

/* Keeps the axis pointing the way it did, so a picture does not flip from
 * call to call; the first time, the largest component is made positive. */
static void
orient (gdouble * axis, const gdouble * before, gboolean have_before, guint d)
{
  gdouble dot = 0, largest = 0;
  guint j;

  for (j = 0; j < d; j++) {
    dot += axis[j] * before[j];
    if (fabs (axis[j]) > fabs (largest))
      largest = axis[j];
  }
  if (have_before ? dot < 0 : largest < 0)
    for (j = 0; j < d; j++)
      axis[j] = -axis[j];
}

gboolean
km_pca_update (KmPca * pca, const KmPcaRun * runs, guint n_runs,
    guint iterations)
{
  guint c, it, d;
  gdouble *before;
  gsize n;

  g_return_val_if_fail (pca != NULL, FALSE);
  g_return_val_if_fail (runs != NULL || n_runs == 0, FALSE);
  g_return_val_if_fail (iterations >= 1, FALSE);

  d = pca->d;
  before = pca->scratch + d;
  n = count_points (runs, n_runs);
  if (n < 2) {
    pca->valid = FALSE;
    return FALSE;
  }
  compute_mean (pca, runs, n_runs, n);
  if (!pca->valid)
    set_start_axes (pca);

  for (c = 0; c < MIN (d, 2); c++) {
    gdouble *axis = pca->axes + c * d;
    const gdouble *other = c ? pca->axes : NULL;

    memcpy (before, axis, d * sizeof (gdouble));
    for (it = 0; it < iterations; it++) {
      if (!power_step (pca, runs, n_runs, axis, other)) {
        if (c == 0) {
          pca->valid = FALSE;
          return FALSE;
        }
        /* No spread across the first component: any orthogonal axis. */
        memcpy (axis, before, d * sizeof (gdouble));
        remove_component (axis, other, d);
        if (normalise (axis, d) < KM_PCA_NO_SPREAD)
          memset (axis, 0, d * sizeof (gdouble));
        break;
      }
    }
    orient (axis, before, pca->valid, d);
  }
  if (d == 1)
    pca->axes[1] = 0;
  pca->valid = TRUE;
  return TRUE;
}

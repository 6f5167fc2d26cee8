/* gst-kmeans core: the first two principal components of a point set.
 *
 * Power iteration on the covariance of the points, which is never formed:
 * each step is two passes over the points, so a frame's worth of points
 * costs O(n D) per iteration whatever D.  A KmPca keeps the axes it found
 * and starts the next update from them, so a point set that changes a
 * little between calls (a window of a stream) needs few iterations, and
 * the axes keep pointing the same way from call to call.
 *
 * Threading: a KmPca belongs to one thread.
 */
#ifndef __KMEANS_PCA_H__
#define __KMEANS_PCA_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * KmPca:
 *
 * The state of a principal-component search on D-dimensional points: the
 * mean, two axes and the scratch of the power iteration.
 */
typedef struct _KmPca KmPca;

/**
 * KmPcaRun:
 * @rows: @n rows of D floats, one after the other
 * @n: how many rows
 *
 * One contiguous run of the points.  A point set may come in several runs
 * (a ring buffer is two); they are read in order, as one set.
 */
typedef struct
{
  const gfloat *rows;
  gsize n;
} KmPcaRun;

/**
 * km_pca_new:
 * @d: dimension D of the points, 1 to %KM_MAX_DIMENSIONS
 *
 * Returns: (transfer full): a new #KmPca for @d-dimensional points, with
 *     no axes yet; free with km_pca_free().
 */
KmPca *km_pca_new (guint d);

/**
 * km_pca_free:
 * @pca: (nullable): a #KmPca
 *
 * Frees @pca.
 */
void km_pca_free (KmPca * pca);

/**
 * km_pca_reset:
 * @pca: a #KmPca
 *
 * Forgets the axes found so far: the next km_pca_update() starts from a
 * fixed guess and orients the axes afresh, as a new #KmPca would.
 */
void km_pca_reset (KmPca * pca);

/**
 * km_pca_update:
 * @pca: a #KmPca
 * @runs: (array length=n_runs): the points, in one or more runs
 * @n_runs: how many runs
 * @iterations: power iterations per component, at least 1
 *
 * Finds the mean of the points and their first two principal components:
 * the unit axis along which they spread the most, then the one orthogonal
 * to it along which they spread the most.  The search starts from the
 * axes of the previous update, if it succeeded and km_pca_reset() was not
 * called since, else from a fixed guess; each axis then takes the sign
 * that keeps it pointing the way it did (its largest coordinate positive,
 * the first time), so that a picture drawn along them does not flip.
 *
 * With D = 1 the first axis is (1) and the second is (0).  When
 * the points spread along the first axis only, the second is any unit
 * vector orthogonal to it, or zero if the guess it starts from lies along
 * the first.
 *
 * Returns: %TRUE with the mean and axes updated; %FALSE, forgetting the
 *     axes as km_pca_reset() does, when there are fewer than two points or
 *     they do not spread (all equal); the mean and axes are then not to be
 *     used.
 */
gboolean km_pca_update (KmPca * pca, const KmPcaRun * runs, guint n_runs,
    guint iterations);

/**
 * km_pca_get_mean:
 * @pca: a #KmPca
 *
 * Returns: (transfer none): the D coordinates of the points' mean, from
 *     the last km_pca_update(), if it returned %TRUE.
 */
const gdouble *km_pca_get_mean (const KmPca * pca);

/**
 * km_pca_get_axes:
 * @pca: a #KmPca
 *
 * Returns: (transfer none): the first principal axis (D doubles) followed
 *     by the second (D doubles), from the last km_pca_update(), if it
 *     returned %TRUE.  Projecting a point p along them gives
 *     x = (p - mean) . axis 0 and y = (p - mean) . axis 1.
 */
const gdouble *km_pca_get_axes (const KmPca * pca);

G_END_DECLS

#endif /* __KMEANS_PCA_H__ */

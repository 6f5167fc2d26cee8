/* gst-kmeans core tests: small helpers shared by the test programs. */
#ifndef __KMEANS_TEST_H__
#define __KMEANS_TEST_H__

#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "kmeans.h"
#include "kmprivate.h"

/* Path of a fixture in tests/data (KMEANS_TEST_DATA, set by meson). */
static inline gchar *
kmt_data_path (const gchar * name)
{
  const gchar *dir = g_getenv ("KMEANS_TEST_DATA");

  if (dir == NULL)
    dir = KMT_SOURCE_DATA_DIR;
  return g_build_filename (dir, name, NULL);
}

/* Loads a numeric matrix fixture (same text format as a centers file). */
static inline gfloat *
kmt_load_matrix (const gchar * name, guint * rows, guint * cols)
{
  gchar *path = kmt_data_path (name);
  GError *error = NULL;
  gfloat *m = km_centers_load_text (path, rows, cols, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_free (path);
  return m;
}

static inline KmTrainer *
kmt_trainer_new (const KmConfig * cfg)
{
  GError *error = NULL;
  KmTrainer *t = km_trainer_new (cfg, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

static inline KmFeedResult
kmt_feed (KmTrainer * t, const gfloat * x, gsize n)
{
  GError *error = NULL;
  KmFeedResult r = km_trainer_feed (t, x, n, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (r, !=, KM_FEED_ERROR);
  return r;
}

static inline void
kmt_set_centers (KmTrainer * t, const gfloat * c)
{
  GError *error = NULL;
  const KmConfig *cfg = km_trainer_get_config (t);

  g_assert_true (km_trainer_set_centers (t, c, cfg->k, cfg->d, &error));
  g_assert_no_error (error);
}

/* |a - b| <= atol + rtol |b|, like numpy's assertAllClose. */
static inline gboolean
kmt_close (gdouble a, gdouble b, gdouble atol, gdouble rtol)
{
  return fabs (a - b) <= atol + rtol * fabs (b);
}

#define kmt_assert_close(a, b, atol, rtol) G_STMT_START {               \
    gdouble _a = (a), _b = (b);                                         \
    if (!kmt_close (_a, _b, (atol), (rtol)))                            \
      g_error ("%s:%d: %s = %.9g is not close to %s = %.9g "            \
          "(atol %g, rtol %g)", __FILE__, __LINE__, #a, _a, #b, _b,     \
          (gdouble) (atol), (gdouble) (rtol));                          \
  } G_STMT_END

static inline void
kmt_assert_floats_close (const gfloat * a, const gfloat * b, gsize n,
    gdouble atol, gdouble rtol)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (!kmt_close (a[i], b[i], atol, rtol))
      g_error ("element %" G_GSIZE_FORMAT ": %.9g is not close to %.9g "
          "(atol %g, rtol %g)", i, a[i], b[i], atol, rtol);
}

/* Rows of @n x @d gaussian values from our RNG. */
static inline gfloat *
kmt_gaussian_matrix (KmRng * rng, gsize n, guint d, gdouble scale)
{
  gfloat *m = g_new (gfloat, n * d);
  gsize i;

  for (i = 0; i < n * d; i++)
    m[i] = (gfloat) (km_rng_gaussian (rng) * scale);
  return m;
}

/* Squared distance in double, for references. */
static inline gdouble
kmt_sqdist (const gfloat * x, const gfloat * c, guint d)
{
  gdouble s = 0.0;
  guint t;

  for (t = 0; t < d; t++)
    s += ((gdouble) x[t] - c[t]) * ((gdouble) x[t] - c[t]);
  return s;
}

/* A fresh, empty temporary directory; removed by kmt_rmdir. */
static inline gchar *
kmt_tmpdir (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("kmeans-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
kmt_rmdir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);

    g_chmod (p, 0700);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      kmt_rmdir (p);
    else
      g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_chmod (dir, 0700);
  g_rmdir (dir);
}

#endif /* __KMEANS_TEST_H__ */

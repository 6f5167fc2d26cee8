/* gst-kmeans: the enum GTypes of the elements' properties and GValue helpers for centers.
 *
 * See gstkmeansproperties.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstkmeanspoints.h"
#include "gstkmeansproperties.h"

/* ------------------------------------------------------------ enum types */

/* This glue is linked into the kmeans and the kmdist plugin, and one
 * process loads both: the second registration of a type name would fail,
 * so the second plugin takes the type the first registered. */
GType
gst_kmeans_register_enum (const gchar * name, const GEnumValue * values)
{
  GType type = g_type_from_name (name);

  return type != 0 ? type : g_enum_register_static (name, values);
}

#define DEFINE_ENUM_TYPE(func, TypeName, values)                        \
GType                                                                   \
func (void)                                                             \
{                                                                       \
  static gsize type = 0;                                                \
  if (g_once_init_enter (&type))                                        \
    g_once_init_leave (&type, gst_kmeans_register_enum (TypeName, values)); \
  return type;                                                          \
}

static const GEnumValue metric_values[] = {
  {KM_METRIC_SQUARED_EUCLIDEAN, "Squared Euclidean distance ||x - c||^2",
      "squared-euclidean"},
  {KM_METRIC_COSINE, "Cosine distance 1 - cos(x, c) on L2-normalised points",
      "cosine"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_metric_get_type, "GstKMeansMetric", metric_values);

static const GEnumValue init_values[] = {
  {KM_INIT_RANDOM, "Random points of the first batches (with replacement)",
      "random"},
  {KM_INIT_KMEANS_PLUS_PLUS, "k-means++ on the first batch", "kmeans++"},
  {KM_INIT_GIVEN, "Centers given by the application (initial-centers file "
        "or initial-centers-value)", "file"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_init_get_type, "GstKMeansInit", init_values);

static const GEnumValue time_unit_values[] = {
  {KM_TIME_UNIT_BATCHES, "Decay applies once per batch", "batches"},
  {KM_TIME_UNIT_POINTS, "Decay applies once per point", "points"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_time_unit_get_type, "GstKMeansTimeUnit",
    time_unit_values);

static const GEnumValue init_sampling_values[] = {
  {KM_INIT_SAMPLING_WITH_REPLACEMENT,
        "Draw the k rows independently: duplicates possible (the estimator)",
      "with-replacement"},
  {KM_INIT_SAMPLING_WITHOUT_REPLACEMENT, "Draw k distinct rows",
      "without-replacement"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_init_sampling_get_type, "GstKMeansInitSampling",
    init_sampling_values);

static const GEnumValue reassignment_sampling_values[] = {
  {KM_REASSIGN_SAMPLING_UNIFORM, "Any point of the batch, uniformly "
        "(scikit-learn)", "uniform"},
  {KM_REASSIGN_SAMPLING_DISTANCE, "A point of the batch with probability "
        "proportional to its squared distance to its nearest center",
      "distance"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_reassignment_sampling_get_type,
    "GstKMeansReassignmentSampling", reassignment_sampling_values);

static const GEnumValue on_bad_input_values[] = {
  {GST_KMEANS_ON_BAD_INPUT_ERROR, "Post an error and stop the stream",
      "error"},
  {GST_KMEANS_ON_BAD_INPUT_SKIP, "Drop the bad points, count and log them",
      "skip"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_on_bad_input_get_type, "GstKMeansOnBadInput",
    on_bad_input_values);

static const GEnumValue no_model_values[] = {
  {GST_KMEANS_NO_MODEL_DROP, "Drop the points and count them", "drop"},
  {GST_KMEANS_NO_MODEL_ERROR, "Post an error and stop the stream", "error"},
  {0, NULL, NULL}
};

DEFINE_ENUM_TYPE (gst_kmeans_no_model_get_type, "GstKMeansNoModel",
    no_model_values);

/* --------------------------------------------------------- GValue helpers */

static void
value_array_append_double (GValue * array, gdouble v)
{
  GValue item = G_VALUE_INIT;

  g_value_init (&item, G_TYPE_DOUBLE);
  g_value_set_double (&item, v);
  gst_value_array_append_and_take_value (array, &item);
}

void
gst_kmeans_value_set_doubles (GValue * value, const gdouble * v, guint n)
{
  guint i;

  g_return_if_fail (GST_VALUE_HOLDS_ARRAY (value));

  for (i = 0; i < n; i++)
    value_array_append_double (value, v[i]);
}

void
gst_kmeans_value_set_centers (GValue * value, const gfloat * centers,
    guint k, guint d)
{
  guint i, j;

  g_return_if_fail (GST_VALUE_HOLDS_ARRAY (value));

  for (i = 0; i < k; i++) {
    GValue row = G_VALUE_INIT;

    gst_value_array_init (&row, d);
    for (j = 0; j < d; j++)
      value_array_append_double (&row, centers[(gsize) i * d + j]);
    gst_value_array_append_and_take_value (value, &row);
  }
}

gboolean
gst_kmeans_value_get_double (const GValue * value, gdouble * out)
{
  GValue d = G_VALUE_INIT;

  g_value_init (&d, G_TYPE_DOUBLE);
  if (!g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_DOUBLE)
      || !g_value_transform (value, &d))
    return FALSE;
  *out = g_value_get_double (&d);
  return isfinite (*out);
}

gboolean
gst_kmeans_value_get_centers (const GValue * value, guint max_rows,
    guint64 max_floats, gfloat ** centers, guint * k, guint * d,
    guint * bad_row, guint * bad_column)
{
  guint rows = gst_value_array_get_size (value), cols = 0, i, j = G_MAXUINT;
  gfloat *c = NULL;

  for (i = 0; i < rows; i++) {
    const GValue *row = gst_value_array_get_value (value, i);

    if (!GST_VALUE_HOLDS_ARRAY (row) || gst_value_array_get_size (row) == 0
        || (i > 0 && gst_value_array_get_size (row) != cols))
      goto bad;
    if (i == 0) {
      cols = gst_value_array_get_size (row);
      if (cols > KM_MAX_DIMENSIONS || rows > max_rows
          || (guint64) rows * cols > max_floats)
        goto bad;
      c = g_new (gfloat, (gsize) rows * cols);
    }
    for (j = 0; j < cols; j++) {
      gdouble v;

      if (!gst_kmeans_value_get_double (gst_value_array_get_value (row, j), &v))
        goto bad;
      c[(gsize) i * cols + j] = v;
    }
    j = G_MAXUINT;
  }
  *centers = c;
  *k = rows;
  *d = cols;
  return TRUE;

bad:
  g_free (c);
  *bad_row = i;
  *bad_column = j;
  return FALSE;
}

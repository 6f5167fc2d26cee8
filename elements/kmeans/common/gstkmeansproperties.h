/* gst-kmeans: the enum GTypes of the elements' properties and GValue helpers for centers.
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_PROPERTIES_H__
#define __GST_KMEANS_PROPERTIES_H__

#include <gst/gst.h>
#include "kmeans.h"

G_BEGIN_DECLS

/* ---------------------------------------------------- property enums */

/* The enum type @name: registered with @values, or the one another
 * plugin of this project registered already (both link this glue). */
GType gst_kmeans_register_enum (const gchar * name, const GEnumValue * values);

GType gst_kmeans_metric_get_type (void);        /* KmMetric */
#define GST_TYPE_KMEANS_METRIC (gst_kmeans_metric_get_type ())
GType gst_kmeans_init_get_type (void);  /* KmInit: random, kmeans++, file */
#define GST_TYPE_KMEANS_INIT (gst_kmeans_init_get_type ())
GType gst_kmeans_time_unit_get_type (void);     /* KmTimeUnit */
#define GST_TYPE_KMEANS_TIME_UNIT (gst_kmeans_time_unit_get_type ())
GType gst_kmeans_init_sampling_get_type (void); /* KmInitSampling */
#define GST_TYPE_KMEANS_INIT_SAMPLING (gst_kmeans_init_sampling_get_type ())
GType gst_kmeans_reassignment_sampling_get_type (void); /* KmReassignSampling */
#define GST_TYPE_KMEANS_REASSIGNMENT_SAMPLING \
    (gst_kmeans_reassignment_sampling_get_type ())

/* What kmeans-assign / kmeans-score do with points before any model. */
typedef enum
{
  GST_KMEANS_NO_MODEL_DROP,
  GST_KMEANS_NO_MODEL_ERROR
} GstKMeansNoModel;

GType gst_kmeans_no_model_get_type (void);
#define GST_TYPE_KMEANS_NO_MODEL (gst_kmeans_no_model_get_type ())

/* Appends centers to @value, which must already hold GST_TYPE_ARRAY (as
 * a get_property value of a gst_param_spec_array does): one row per
 * center, each a GstValueArray of doubles. */
void gst_kmeans_value_set_centers (GValue * value, const gfloat * centers,
    guint k, guint d);
/* Appends doubles to @value (GST_TYPE_ARRAY). */
void gst_kmeans_value_set_doubles (GValue * value, const gdouble * v,
    guint n);

/* A number of any type that converts to a double; FALSE unless it does
 * and is finite. */
gboolean gst_kmeans_value_get_double (const GValue * value, gdouble * out);

/* The reverse of gst_kmeans_value_set_centers: flattens @value's rows of
 * numbers into *centers, k*d floats (NULL for no rows; g_free).  At most
 * @max_rows rows, KM_MAX_DIMENSIONS columns and @max_floats values.  FALSE
 * for ragged or too large rows or a value that is not a finite number:
 * then *bad_row is the row at fault, *bad_column its value at fault or
 * G_MAXUINT when the row as a whole is (for the caller's message). */
gboolean gst_kmeans_value_get_centers (const GValue * value, guint max_rows,
    guint64 max_floats, gfloat ** centers, guint * k, guint * d,
    guint * bad_row, guint * bad_column);

G_END_DECLS

#endif /* __GST_KMEANS_PROPERTIES_H__ */

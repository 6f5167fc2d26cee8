#ifndef __GST_KMEANS_ASSIGN_H__
#define __GST_KMEANS_ASSIGN_H__

#include <gst/gst.h>
#include "gstkmeansmodelfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_ASSIGN (gst_kmeans_assign_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansAssign, gst_kmeans_assign, GST, KMEANS_ASSIGN,
    GstKMeansModelFilter);

/**
 * GstKMeansAssignOutput:
 * @GST_KMEANS_ASSIGN_OUTPUT_ASSIGNMENTS: one {int32 cluster; float32
 *     distance} record per point (application/x-kmeans-assignments)
 * @GST_KMEANS_ASSIGN_OUTPUT_DISTANCES: the distance to every center, K
 *     float32 values per point (application/x-points of dimension K)
 * @GST_KMEANS_ASSIGN_OUTPUT_RECOLOR: raw video only: every pixel replaced
 *     by the colour of its nearest center, in the input's own format
 *
 * What kmeans-assign produces for each input point.
 */
typedef enum
{
  GST_KMEANS_ASSIGN_OUTPUT_ASSIGNMENTS,
  GST_KMEANS_ASSIGN_OUTPUT_DISTANCES,
  GST_KMEANS_ASSIGN_OUTPUT_RECOLOR
} GstKMeansAssignOutput;

GType gst_kmeans_assign_output_get_type (void);
#define GST_TYPE_KMEANS_ASSIGN_OUTPUT (gst_kmeans_assign_output_get_type ())

/**
 * GstKMeansAssignDistance:
 * @GST_KMEANS_ASSIGN_DISTANCE_METRIC: the model metric's own distance:
 *     squared Euclidean ‖x − c‖², or 1 − cos for cosine (the estimator's)
 * @GST_KMEANS_ASSIGN_DISTANCE_EUCLIDEAN: the Euclidean distance ‖x − c‖,
 *     as scikit-learn's transform() gives; for cosine, between the unit
 *     vectors: √(2 (1 − cos))
 *
 * Which distance kmeans-assign reports.
 */
typedef enum
{
  GST_KMEANS_ASSIGN_DISTANCE_METRIC,
  GST_KMEANS_ASSIGN_DISTANCE_EUCLIDEAN
} GstKMeansAssignDistance;

GType gst_kmeans_assign_distance_get_type (void);
#define GST_TYPE_KMEANS_ASSIGN_DISTANCE (gst_kmeans_assign_distance_get_type ())

GST_ELEMENT_REGISTER_DECLARE (kmeans_assign);

G_END_DECLS

#endif /* __GST_KMEANS_ASSIGN_H__ */

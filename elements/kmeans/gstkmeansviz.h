/* gst-kmeans: kmeans-viz, live pictures of a point stream and its model.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KMEANS_VIZ_H__
#define __GST_KMEANS_VIZ_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_VIZ (gst_kmeans_viz_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansViz, gst_kmeans_viz, GST, KMEANS_VIZ,
    GstElement);

/**
 * GstKMeansVizProjection:
 * @GST_KMEANS_VIZ_PROJECTION_FIRST_TWO: x is dimension 0, y dimension 1
 *     (0 for one-dimensional points)
 * @GST_KMEANS_VIZ_PROJECTION_PCA: x and y are the first two principal
 *     components of the points on screen, recomputed every frame
 *
 * How kmeans-viz maps D-dimensional points to the picture.
 */
typedef enum
{
  GST_KMEANS_VIZ_PROJECTION_FIRST_TWO,
  GST_KMEANS_VIZ_PROJECTION_PCA
} GstKMeansVizProjection;

GType gst_kmeans_viz_projection_get_type (void);
#define GST_TYPE_KMEANS_VIZ_PROJECTION (gst_kmeans_viz_projection_get_type ())

GST_ELEMENT_REGISTER_DECLARE (kmeans_viz);

G_END_DECLS

#endif /* __GST_KMEANS_VIZ_H__ */

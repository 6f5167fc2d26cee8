/* gst-kmeans: kmeans-hub, the master copy of a model trained by many
 * kmeans-worker pipelines.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KMEANS_HUB_H__
#define __GST_KMEANS_HUB_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_HUB (gst_kmeans_hub_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansHub, gst_kmeans_hub, GST, KMEANS_HUB,
    GstPushSrc);

GType gst_kmeans_hub_mode_get_type (void);
#define GST_TYPE_KMEANS_HUB_MODE (gst_kmeans_hub_mode_get_type ())

GST_ELEMENT_REGISTER_DECLARE (kmeans_hub);

G_END_DECLS

#endif /* __GST_KMEANS_HUB_H__ */

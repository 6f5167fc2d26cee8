/* gst-kmeans: kmeans-worker, one shard of a model trained by a
 * kmeans-hub.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KMEANS_WORKER_H__
#define __GST_KMEANS_WORKER_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_WORKER (gst_kmeans_worker_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansWorker, gst_kmeans_worker, GST, KMEANS_WORKER,
    GstBaseTransform);

GST_ELEMENT_REGISTER_DECLARE (kmeans_worker);

G_END_DECLS

#endif /* __GST_KMEANS_WORKER_H__ */

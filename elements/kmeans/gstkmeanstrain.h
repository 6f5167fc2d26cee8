#ifndef __GST_KMEANS_TRAIN_H__
#define __GST_KMEANS_TRAIN_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_TRAIN (gst_kmeans_train_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansTrain, gst_kmeans_train, GST, KMEANS_TRAIN,
    GstBaseTransform);

GST_ELEMENT_REGISTER_DECLARE (kmeans_train);

G_END_DECLS

#endif /* __GST_KMEANS_TRAIN_H__ */

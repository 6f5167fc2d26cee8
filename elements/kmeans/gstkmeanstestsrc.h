#ifndef __GST_KMEANS_TEST_SRC_H__
#define __GST_KMEANS_TEST_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_TEST_SRC (gst_kmeans_testsrc_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansTestSrc, gst_kmeans_testsrc, GST, KMEANS_TEST_SRC,
    GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (kmeans_testsrc);

G_END_DECLS

#endif /* __GST_KMEANS_TEST_SRC_H__ */

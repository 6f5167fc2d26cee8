#ifndef __GST_KMEANS_SCORE_H__
#define __GST_KMEANS_SCORE_H__

#include <gst/gst.h>
#include "gstkmeansmodelfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_SCORE (gst_kmeans_score_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansScore, gst_kmeans_score, GST, KMEANS_SCORE,
    GstKMeansModelFilter);

GST_ELEMENT_REGISTER_DECLARE (kmeans_score);

G_END_DECLS

#endif /* __GST_KMEANS_SCORE_H__ */

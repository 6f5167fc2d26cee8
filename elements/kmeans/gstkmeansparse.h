#ifndef __GST_KMEANS_PARSE_H__
#define __GST_KMEANS_PARSE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_PARSE (gst_kmeans_parse_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansParse, gst_kmeans_parse, GST, KMEANS_PARSE, GstElement);

GST_ELEMENT_REGISTER_DECLARE (kmeans_parse);

G_END_DECLS

#endif /* __GST_KMEANS_PARSE_H__ */

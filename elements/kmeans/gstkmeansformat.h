#ifndef __GST_KMEANS_FORMAT_H__
#define __GST_KMEANS_FORMAT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_FORMAT (gst_kmeans_format_get_type ())
G_DECLARE_FINAL_TYPE (GstKMeansFormat, gst_kmeans_format, GST, KMEANS_FORMAT, GstElement);

GST_ELEMENT_REGISTER_DECLARE (kmeans_format);

/* The JSON document (newline-terminated, g_free() it) for the structure of
 * a gst-kmeans bus message or in-band event: kmeans-score, kmeans-train,
 * kmeans-checkpoint, kmeans-initialized, kmeans-converged,
 * kmeans-model-loaded or kmeans-model.  NULL for any other structure.
 * The same bytes kmeans-format emits for it; see its documentation. */
gchar *gst_kmeans_format_message_to_json (const GstStructure * s);

G_END_DECLS

#endif /* __GST_KMEANS_FORMAT_H__ */

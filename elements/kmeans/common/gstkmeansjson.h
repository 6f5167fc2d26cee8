/* gst-kmeans: the JSON documents of kmeans-format, and files of JSON lines.
 * Part of the glue the k-means elements share (elements/kmeans/common/):
 * kmeans-format writes these documents into its stream, kmeans-score
 * appends its `score` documents to a file (eval-location), and both must
 * write the same bytes.
 */
#ifndef __GST_KMEANS_JSON_H__
#define __GST_KMEANS_JSON_H__

#include <gst/gst.h>
#include "kmeans.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------ values */

/* A JSON string (invalid UTF-8 repaired), or null for NULL. */
void gst_kmeans_json_string (GString * s, const gchar * str);
/* The shortest text that reads back as the same float32 (@single) or
 * float64; @buf is returned. */
const gchar *gst_kmeans_json_format_number (gchar buf[G_ASCII_DTOSTR_BUF_SIZE],
    gdouble v, gboolean single);
/* A number as above, or null for NaN and infinities. */
void gst_kmeans_json_number (GString * s, gdouble v, gboolean single);
void gst_kmeans_json_uint64 (GString * s, guint64 v);
/* Nanoseconds, or null for GST_CLOCK_TIME_NONE. */
void gst_kmeans_json_time (GString * s, GstClockTime t);
/* The model's version, or null without a model. */
void gst_kmeans_json_model_version (GString * s, KmModel * model);

/* --------------------------------------------------------- documents */

/* The `model` document of @model (schemas/model.schema.json); @metric
 * overrides the name derived from the model when not NULL. */
GString *gst_kmeans_json_model_document (KmModel * model, const gchar * metric,
    GstClockTime pts);
/* The document "type" of a gst-kmeans message structure (kmeans-score
 * gives "score", kmeans-train "progress", ...), NULL for any other. */
const gchar *gst_kmeans_json_message_type (const GstStructure * st);
/* The document of type @type made of all the fields of @st, one line
 * ending in a newline. */
GString *gst_kmeans_json_message_document (const GstStructure * st,
    const gchar * type);
/* The document of a message structure or of a `kmeans-model` event
 * structure, newline-terminated (g_free() it), NULL for any other. */
gchar *gst_kmeans_json_from_structure (const GstStructure * st);

/* ------------------------------------------------- JSON lines files */

/* Opens @path for appending (created 0666 & ~umask when missing) without
 * blocking on a FIFO, and refuses anything that is not a regular file.
 * Returns the descriptor, or -1 with @error set. */
gint gst_kmeans_json_lines_open (const gchar * path, GError ** error);
/* Appends @line (@len bytes, a newline included) with a single write(),
 * so a concurrent reader never sees half a line; a short write is an
 * error. */
gboolean gst_kmeans_json_lines_append (gint fd, const gchar * path,
    const gchar * line, gsize len, GError ** error);

G_END_DECLS

#endif /* __GST_KMEANS_JSON_H__ */

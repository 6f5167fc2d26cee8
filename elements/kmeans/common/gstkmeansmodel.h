/* gst-kmeans: the in-band model event kmeans-train sends downstream, and a checkpoint file watched for replacement (kmeans-assign, -score, -viz).
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_MODEL_H__
#define __GST_KMEANS_MODEL_H__

#include <gst/gst.h>
#include "kmeans.h"

G_BEGIN_DECLS

/* ------------------------------------------------------ the model event */

/* KmModel as a boxed type (ref / unref), named GstKMeansModel. */
typedef KmModel GstKMeansModel;
GType gst_kmeans_model_get_type (void);
#define GST_TYPE_KMEANS_MODEL (gst_kmeans_model_get_type ())

#define GST_KMEANS_MODEL_EVENT_NAME "kmeans-model"

/* A serialized, sticky custom downstream event named "kmeans-model" with
 * fields: model (GstKMeansModel boxed), version (guint64), step
 * (guint64), clusters (guint), dimensions (guint), metric (string).
 * Sticky, so a downstream element linked late or after a flush still gets
 * the newest model before the next buffer. */
GstEvent *gst_kmeans_model_event_new (KmModel * model);

/* TRUE if @event is a model event; then *model is a new reference. */
gboolean gst_kmeans_model_event_parse (GstEvent * event, KmModel ** model);

/* ---------------------------------------------- watched checkpoint file */

typedef struct
{
  gchar *location;
  KmModel *model;
  guint64 file_id[4];           /* dev, ino, size, mtime of what was loaded */
  gint64 last_check;            /* monotonic us */
  gchar *last_error;            /* reported already; not repeated */
} GstKMeansModelFile;

void gst_kmeans_model_file_init (GstKMeansModelFile * mf);
void gst_kmeans_model_file_clear (GstKMeansModelFile * mf);
void gst_kmeans_model_file_set_location (GstKMeansModelFile * mf,
    const gchar * location);

/* Stats the file at most every @interval_us and reloads it when it was
 * replaced or changed.  Sets *reloaded when a new model was loaded.
 * FALSE with @error when the file exists but cannot be used (the old
 * model stays; that version of the file is not retried, a replacement
 * is).  A missing file is not an error until a model is needed. */
gboolean gst_kmeans_model_file_poll (GstKMeansModelFile * mf,
    gint64 interval_us, gboolean * reloaded, GError ** error);

/* What kmeans-assign, -score and -viz do with their model-location at
 * start: watch @location (nothing to do when NULL or empty) and load it
 * now.  FALSE after posting an error when the file exists but cannot be
 * read.  Otherwise TRUE, with *model the loaded model (a new reference;
 * "kmeans-model-loaded" posted), or NULL while there is no file yet. */
gboolean gst_kmeans_model_file_start (GstKMeansModelFile * mf,
    GstElement * element, const gchar * location, KmModel ** model);

/* What kmeans-assign, -score and -viz do with a watched file while
 * running: polls it at most every @interval (ns); on a (re)load posts the
 * "kmeans-model-loaded" element message and returns the new model (a new
 * reference) for the element to put in force; on a file that cannot be
 * used posts a warning, once per distinct problem, and returns NULL (the
 * current model stays). */
KmModel *gst_kmeans_model_file_update (GstKMeansModelFile * mf,
    GstElement * element, GstClockTime interval);

/* FALSE after posting an error when @model is not of the stream's
 * @dimensions. */
gboolean gst_kmeans_model_check_dimensions (GstElement * element,
    KmModel * model, guint dimensions);

/* Posts "kmeans-model-loaded": location (string), model-version, step
 * (guint64), clusters, dimensions (guint). */
void gst_kmeans_post_model_loaded (GstElement * element,
    const gchar * location, KmModel * model);

G_END_DECLS

#endif /* __GST_KMEANS_MODEL_H__ */

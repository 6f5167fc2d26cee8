/* gst-kmeans: GstKMeansModelFilter, the base of the transforms that consume a k-means model (kmeans-assign, kmeans-score).
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_MODEL_FILTER_H__
#define __GST_KMEANS_MODEL_FILTER_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include "kmeans.h"
#include "gstkmeanscaps.h"
#include "gstkmeanspoints.h"
#include "gstkmeansmodel.h"

G_BEGIN_DECLS

#define GST_TYPE_KMEANS_MODEL_FILTER (gst_kmeans_model_filter_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstKMeansModelFilter, gst_kmeans_model_filter,
    GST, KMEANS_MODEL_FILTER, GstBaseTransform);

/* The shared properties (the model's, then `columns`) take the ids from
 * 1 up to here; a subclass numbers its own from
 * GST_KMEANS_MODEL_FILTER_N_PROPS on. */
#define GST_KMEANS_MODEL_FILTER_N_PROPS (2 + GST_KMEANS_MODEL_N_PROPS)

/**
 * GstKMeansModelFilterClass:
 * @parent_class: the parent class
 * @pass_without_model: %TRUE when buffers that come before any model go on
 *     unprocessed (their points counted in dropped-points, as with
 *     on-no-model=drop), %FALSE when they are dropped
 * @set_info: optional; the input caps were parsed into @info (not yet in
 *     force: gst_kmeans_model_filter_get_info() still returns the previous
 *     one).  Return %FALSE to refuse the caps.
 * @model_changed: optional; @model (may be %NULL, at stop) is the model in
 *     force now.  Called in the streaming thread, or in start / stop.
 * @check_model: optional; %FALSE with @error (a lower-case phrase) when
 *     @model, of the stream's dimension, still cannot serve this stream.
 *     Called for a replacement checkpoint before it is put in force (a
 *     refusal: a warning, the current model stays) and for the model in
 *     force before each buffer (a refusal: an error).
 *
 * The virtual methods and class settings of a #GstKMeansModelFilter.
 */
struct _GstKMeansModelFilterClass
{
  GstBaseTransformClass parent_class;

  /*< public >*/
  gboolean pass_without_model;

  gboolean (*set_info) (GstKMeansModelFilter * filter, GstCaps * incaps,
      const GstKMeansPointsInfo * info, GstCaps * outcaps);
  void (*model_changed) (GstKMeansModelFilter * filter, KmModel * model);
  gboolean (*check_model) (GstKMeansModelFilter * filter, KmModel * model,
      GError ** error);

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
};

/* For the subclass's class_init: installs the shared properties (and
 * `columns`, see gst_kmeans_columns_install_property()) with the
 * subclass's blurbs (model-version and skipped-points have defaults for
 * NULL; the others must be given; rejected-models reads the same in
 * every element).  They are handled by this class: the
 * subclass's
 * set_property and get_property hand every id below
 * GST_KMEANS_MODEL_FILTER_N_PROPS on to the parent class's. */
void gst_kmeans_model_filter_class_install_properties (GstKMeansModelFilterClass
    * klass, const GstKMeansModelBlurbs * blurbs);

/* The parsed input caps; NULL until caps are set. */
const GstKMeansPointsInfo *gst_kmeans_model_filter_get_info
    (GstKMeansModelFilter * filter);

/* The model in force from any thread: a new reference, or NULL. */
KmModel *gst_kmeans_model_filter_dup_model (GstKMeansModelFilter * filter);

/* In transform() / transform_ip(): the model to process @buf with, checked
 * against the stream.  GST_FLOW_OK with a model; GST_FLOW_OK with *model
 * NULL when there is none and the class passes such buffers on; else what
 * to return (GST_BASE_TRANSFORM_FLOW_DROPPED, or an error posted).  The
 * points of a buffer without a model are counted once, also when
 * submit_input_buffer already looked at it. */
GstFlowReturn gst_kmeans_model_filter_model_for_buffer (GstKMeansModelFilter *
    filter, GstBuffer * buf, KmModel ** model);

/* Reads the points of @buf, mapped into @map with
 * gst_kmeans_points_map_buffer(), with gst_kmeans_points_read_buffer()
 * under on-bad-input (bad points skipped and counted in skipped-points, or
 * an error).  FALSE after posting an error; otherwise *points holds
 * *n_points rows (maybe 0). */
gboolean gst_kmeans_model_filter_read_points (GstKMeansModelFilter * filter,
    GstBuffer * buf, const GstMapInfo * map, const gfloat ** points,
    gsize * n_points);

/* For the other gst_kmeans_points_read_*(): the reader (streaming thread
 * only), and on-bad-input applied to what it reported for a buffer of
 * @size bytes (FALSE after posting an error). */
GstKMeansPointsReader *gst_kmeans_model_filter_get_reader
    (GstKMeansModelFilter * filter);
gboolean gst_kmeans_model_filter_handle_bad_input (GstKMeansModelFilter *
    filter, GstKMeansReadStatus status, gsize size);

/* The points of the buffer being processed that were skipped as bad input
 * so far (also counted in skipped-points), for per-interval figures. */
guint64 gst_kmeans_model_filter_get_buffer_skipped (GstKMeansModelFilter *
    filter);

G_END_DECLS

#endif /* __GST_KMEANS_MODEL_FILTER_H__ */

/* gst-kmeans: the training settings of kmeans-train, shared with the
 * elements that hold a trainer too (kmeans-hub): the 19 properties (16 on
 * the hub), their
 * KmConfig, their validation and the trainer they make (resumed from a
 * checkpoint, given centers or none).
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_TRAIN_SETTINGS_H__
#define __GST_KMEANS_TRAIN_SETTINGS_H__

#include <gst/gst.h>
#include "kmeans.h"

G_BEGIN_DECLS

/* The properties, as offsets from the element's first id for them. */
typedef enum
{
  GST_KMEANS_TRAIN_PROP_NUM_CLUSTERS,
  GST_KMEANS_TRAIN_PROP_INIT,
  GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS,
  GST_KMEANS_TRAIN_PROP_INITIAL_CENTERS_VALUE,
  GST_KMEANS_TRAIN_PROP_DISTANCE_METRIC,
  GST_KMEANS_TRAIN_PROP_SEED,
  GST_KMEANS_TRAIN_PROP_MINI_BATCH,
  GST_KMEANS_TRAIN_PROP_STEPS_PER_SYNC,
  GST_KMEANS_TRAIN_PROP_KMEANS_PLUS_PLUS_RETRIES,
  GST_KMEANS_TRAIN_PROP_RELATIVE_TOLERANCE,
  GST_KMEANS_TRAIN_PROP_DECAY_FACTOR,
  GST_KMEANS_TRAIN_PROP_HALF_LIFE,
  GST_KMEANS_TRAIN_PROP_TIME_UNIT,
  GST_KMEANS_TRAIN_PROP_CHECKPOINT_LOCATION,
  GST_KMEANS_TRAIN_PROP_INIT_SAMPLING,
  GST_KMEANS_TRAIN_PROP_INIT_TRIALS,
  GST_KMEANS_TRAIN_PROP_INIT_REFINE,
  GST_KMEANS_TRAIN_PROP_INITIAL_WEIGHT,
  /* kmeans-train only: the hub gathers its own init points and sees no
   * points to reassign centers to */
  GST_KMEANS_TRAIN_PROP_INIT_SIZE,
  GST_KMEANS_TRAIN_PROP_REASSIGNMENT_RATIO,
  GST_KMEANS_TRAIN_PROP_REASSIGNMENT_SAMPLING,
  GST_KMEANS_TRAIN_N_PROPS
} GstKMeansTrainProp;

/* The property values; the element guards them with its object lock. */
typedef struct
{
  guint num_clusters;
  KmInit init;
  gchar *initial_centers;
  GValue initial_centers_value; /* GST_TYPE_ARRAY of rows */
  KmMetric metric;
  guint64 seed;
  gboolean mini_batch;
  guint steps_per_sync;
  gint kmeans_plus_plus_retries;
  gdouble relative_tolerance;
  gdouble decay_factor;
  gdouble half_life;
  KmTimeUnit time_unit;
  gchar *checkpoint_location;
  KmInitSampling init_sampling;
  guint init_trials;
  guint init_refine;
  gdouble initial_weight;
  gint init_size;               /* -1: 3 first batches; 0 where not
                                 * installed (the hub) */
  gdouble reassignment_ratio;   /* 0 where not installed (the hub) */
  KmReassignSampling reassignment_sampling;
} GstKMeansTrainSettings;

/* Fills @s with the properties' defaults. */
void gst_kmeans_train_settings_init (GstKMeansTrainSettings * s);
/* Turns off what needs the points themselves (init-size, reassignment):
 * for an element that installs the properties with @what set. */
void gst_kmeans_train_settings_without_points (GstKMeansTrainSettings * s);
/* Frees what @s holds; gst_kmeans_train_settings_init() makes it usable
 * again. */
void gst_kmeans_train_settings_clear (GstKMeansTrainSettings * s);
/* Replaces the values of @dest (initialised) by copies of @src's: the
 * snapshot a streaming thread works from. */
void gst_kmeans_train_settings_copy (const GstKMeansTrainSettings * src,
    GstKMeansTrainSettings * dest);

/* A gst_param_spec_array of rows (center) of doubles (value), for a
 * property holding k centers of d coordinates. */
GParamSpec *gst_kmeans_centers_param_spec (const gchar * name,
    const gchar * nick, const gchar * blurb, GParamFlags flags);

/* Installs the properties with ids first_prop_id + GST_KMEANS_TRAIN_PROP_x.
 * @what is the element's unit of one training step, said in the blurbs of
 * mini-batch, steps-per-sync, relative-tolerance and time-unit (the hub:
 * "round"); NULL for kmeans-train's own text (steps of batches), which
 * also installs init-size and the reassignment properties.  Elements with
 * @what set must call gst_kmeans_train_settings_init() as usual: the
 * properties they lack then hold 0 (off). */
void gst_kmeans_train_settings_install (GObjectClass * klass,
    guint first_prop_id, const gchar * what);

/* TRUE if @prop_id was one of them; the caller holds the object lock. */
gboolean gst_kmeans_train_settings_set_property (GstKMeansTrainSettings * s,
    guint first_prop_id, guint prop_id, const GValue * value);
gboolean gst_kmeans_train_settings_get_property (const GstKMeansTrainSettings
    * s, guint first_prop_id, guint prop_id, GValue * value);

/* The KmConfig for @d-dimensional points (0: not known yet): half-life
 * turned into decay-factor, a non-empty initial-centers-value making init
 * KM_INIT_GIVEN.  (A resumed trainer keeps init as set: it is recorded in
 * the checkpoint.) */
void gst_kmeans_train_settings_to_config (const GstKMeansTrainSettings * s,
    guint d, KmConfig * cfg);

/* FALSE after posting an error on @element when the settings cannot make
 * a trainer whatever the dimensions. */
gboolean gst_kmeans_train_settings_validate (const GstKMeansTrainSettings *
    s, GstElement * element);

/* TRUE when gst_kmeans_train_settings_create_trainer() needs no @d: the
 * checkpoint file exists or centers are given (init=file or a non-empty
 * initial-centers-value), so the model tells the dimensions. */
gboolean gst_kmeans_train_settings_knows_dimensions (const
    GstKMeansTrainSettings * s);

/* The trainer of a stream of @d-dimensional points (0: take d from the
 * checkpoint or the given centers, see knows_dimensions): resumed from
 * checkpoint-location when that file exists (*resumed = TRUE), otherwise
 * initialised with the given centers (initial-centers-value, or the
 * initial-centers file for init=file), otherwise uninitialised.  A
 * checkpoint or centers of other dimensions than a non-zero @d, a damaged
 * checkpoint or one of other settings, unreadable centers or init=file
 * without a file: NULL after posting an error on @element. */
KmTrainer *gst_kmeans_train_settings_create_trainer (const
    GstKMeansTrainSettings * s, GstElement * element, guint d,
    gboolean * resumed);

/* An uninitialised trainer of @d-dimensional points (@d > 0), neither
 * resumed nor given centers: what a stream whose dimensions are known only
 * from its caps starts from.  NULL after posting an error on @element. */
KmTrainer *gst_kmeans_train_settings_new_trainer (const
    GstKMeansTrainSettings * s, GstElement * element, guint d);

G_END_DECLS

#endif /* __GST_KMEANS_TRAIN_SETTINGS_H__ */

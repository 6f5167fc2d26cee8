/* gst-kmeans: a seeded source of Gaussian blobs for testing k-means.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-kmeans-testsrc
 * @title: kmeans-testsrc
 *
 * kmeans-testsrc produces a reproducible stream of points drawn from
 * #GstKMeansTestSrc:clusters Gaussian blobs in
 * #GstKMeansTestSrc:dimensions dimensions, as
 * `application/x-points, format=F32LE, dimensions=D` (or `F64LE` when
 * downstream asks for it).  It is the data source of the gst-kmeans
 * examples and tests: the true centers are known (the read-only
 * #GstKMeansTestSrc:true-centers property) so what kmeans-train learns can
 * be checked against them.
 *
 * At start the true centers are drawn uniformly in
 * [-#GstKMeansTestSrc:center-range, #GstKMeansTestSrc:center-range]^D, and
 * each center gets a fixed random unit direction.  Every point then picks
 * a cluster uniformly and adds independent N(0, spread²) noise to each
 * coordinate of that cluster's center.  With #GstKMeansTestSrc:drift > 0
 * the centers move along their direction by `drift` units per 1000 points
 * (concept drift).
 *
 * Everything is drawn from counter-based streams keyed by
 * #GstKMeansTestSrc:seed (core/kmgauss.h specifies every bit: SplitMix64
 * of the counter, and float Box-Muller with fixed polynomials, no libm
 * and no FMA): the same seed and properties give a byte-identical stream
 * on every machine and with every SIMD level (`KMEANS_ISA=generic` forces
 * the portable C, which gives the same bytes).  A point's values depend on
 * its index only, so #GstKMeansTestSrc:points-per-buffer does not change
 * them.  The noise is float32; center + spread * noise is computed in
 * double precision, and F32LE output is its rounding to float.
 *
 * The stream changed in gst-kmeans 0.2 (issue 14, a generator some 10×
 * faster): a seed gives other points and true centers than with 0.1.
 *
 * Buffers hold #GstKMeansTestSrc:points-per-buffer points.  Timestamps
 * follow #GstKMeansTestSrc:points-per-second: a buffer whose first point
 * has index p has PTS p / rate, a duration that ends where the next
 * buffer starts, and offset / offset-end set to the indices of its first
 * point and the point after its last.  With #GstKMeansTestSrc:is-live the
 * source waits on the clock for each buffer's timestamp, so it produces
 * points at that rate in real time (as live sources do, #GstBaseSrc then
 * shifts all timestamps by the running time of the first buffer; it
 * answers the latency query with no latency and no maximum, so a syncing
 * sink right after it needs no queue); otherwise as fast as downstream
 * takes them.  Use #GstBaseSrc:num-buffers
 * to end the stream.  The source is not seekable, and #GstBaseSrc:blocksize
 * is derived from the points per buffer and the format (setting it has no
 * effect).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=3 points-per-buffer=4 ! \
 *     fakesink dump=true
 * ]| Prints three buffers of four 2-dimensional float32 points each.
 * |[
 * gst-launch-1.0 -m kmeans-testsrc clusters=5 dimensions=3 seed=7 \
 *     num-buffers=50 ! kmeans-train num-clusters=5 init=kmeans++ ! fakesink
 * ]| Trains a 5-means model on 50 buffers of 3-dimensional points, printing
 * kmeans-train's progress messages.
 * |[
 * gst-launch-1.0 -v kmeans-testsrc is-live=true points-per-buffer=256 \
 *     points-per-second=1024 drift=5 num-buffers=8 ! \
 *     application/x-points,format=F64LE ! fakesink
 * ]| Two seconds of a live stream of drifting blobs in double precision,
 * four buffers a second; -v shows the negotiated caps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmeanstestsrc.h"
#include "kmeanselements.h"
#include "kmgauss.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_testsrc_debug);
#define GST_CAT_DEFAULT gst_kmeans_testsrc_debug

/* One buffer may hold at most this many bytes. */
#define MAX_BUFFER_BYTES ((gsize) 1 << 30)
/* Points are made in chunks of about this many values, so that the
 * noise and the cluster indices stay in the L1/L2 cache. */
#define CHUNK_VALUES 8192

#define DEFAULT_CLUSTERS           4
#define DEFAULT_DIMENSIONS         2
#define DEFAULT_SPREAD             1.0
#define DEFAULT_CENTER_RANGE       10.0
#define DEFAULT_POINTS_PER_BUFFER  1024
#define DEFAULT_POINTS_PER_SECOND  1000.0
#define DEFAULT_DRIFT              0.0
#define DEFAULT_SEED               0
#define DEFAULT_IS_LIVE            FALSE

#define MAX_CLUSTERS               65536
#define MAX_DIMENSIONS             65536
#define MAX_POINTS_PER_BUFFER      1048576
#define MAX_LENGTH                 1e9
#define MIN_POINTS_PER_SECOND      0.001
#define MAX_POINTS_PER_SECOND      1e9

enum
{
  PROP_0,
  PROP_CLUSTERS,
  PROP_DIMENSIONS,
  PROP_SPREAD,
  PROP_CENTER_RANGE,
  PROP_POINTS_PER_BUFFER,
  PROP_POINTS_PER_SECOND,
  PROP_DRIFT,
  PROP_SEED,
  PROP_IS_LIVE,
  PROP_TRUE_CENTERS
};

struct _GstKMeansTestSrc
{
  GstPushSrc parent;

  /* Properties, under the object lock. */
  guint clusters;
  guint dimensions;
  gdouble spread;
  gdouble center_range;
  guint points_per_buffer;
  gdouble points_per_second;
  gdouble drift;
  guint64 seed;

  /* Set in start() and set_caps(), used by the streaming thread. */
  guint k;
  guint d;
  guint64 points_per_buffer_snapshot;
  gint rate_num;                /* points-per-second as a fraction */
  gint rate_den;
  GstKMeansSampleFormat format;
  gsize buffer_bytes;

  /* The random streams (core/kmgauss.h) and the scratch of one chunk,
   * allocated in start(): nothing is allocated per buffer. */
  KmGauss noise;
  guint64 cluster_key;
  gsize chunk_points;
  gfloat *chunk_noise;
  guint32 *chunk_clusters;

  /* The true centers: at point index origin_point they were at origin and
   * since then they move by direction * drift_in_force per 1000 points.
   * Written by the streaming thread under the object lock, read by
   * true-centers under it; k * d row-major each. */
  gdouble *origin;
  gdouble *direction;
  guint64 origin_point;
  gdouble drift_in_force;
  guint64 next_point;           /* index of the next point to generate */
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_POINTS_CAPS));

#define gst_kmeans_testsrc_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansTestSrc, gst_kmeans_testsrc,
    GST_TYPE_PUSH_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_testsrc_debug, "kmeans-testsrc", 0,
        "Gaussian blobs test source"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_testsrc, "kmeans-testsrc", GST_RANK_NONE,
    GST_TYPE_KMEANS_TEST_SRC);

static void gst_kmeans_testsrc_finalize (GObject * object);
static void gst_kmeans_testsrc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_testsrc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);

static GstCaps *gst_kmeans_testsrc_get_caps (GstBaseSrc * bsrc,
    GstCaps * filter);
static gboolean gst_kmeans_testsrc_set_caps (GstBaseSrc * bsrc, GstCaps * caps);
static gboolean gst_kmeans_testsrc_decide_allocation (GstBaseSrc * bsrc,
    GstQuery * query);
static gboolean gst_kmeans_testsrc_is_seekable (GstBaseSrc * bsrc);
static gboolean gst_kmeans_testsrc_query (GstBaseSrc * bsrc, GstQuery * query);
static void gst_kmeans_testsrc_get_times (GstBaseSrc * bsrc,
    GstBuffer * buffer, GstClockTime * start, GstClockTime * end);
static gboolean gst_kmeans_testsrc_start (GstBaseSrc * bsrc);
static gboolean gst_kmeans_testsrc_stop (GstBaseSrc * bsrc);
static GstFlowReturn gst_kmeans_testsrc_fill (GstPushSrc * psrc,
    GstBuffer * buffer);

static void
gst_kmeans_testsrc_class_init (GstKMeansTestSrcClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseSrcClass *basesrc_class = (GstBaseSrcClass *) klass;
  GstPushSrcClass *pushsrc_class = (GstPushSrcClass *) klass;

  gobject_class->set_property = gst_kmeans_testsrc_set_property;
  gobject_class->get_property = gst_kmeans_testsrc_get_property;
  gobject_class->finalize = gst_kmeans_testsrc_finalize;

  g_object_class_install_property (gobject_class, PROP_CLUSTERS,
      g_param_spec_uint ("clusters", "Clusters",
          "Number of Gaussian blobs (true clusters)", 1, MAX_CLUSTERS,
          DEFAULT_CLUSTERS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DIMENSIONS,
      g_param_spec_uint ("dimensions", "Dimensions",
          "Dimension D of every point (the caps' dimensions field)", 1,
          MAX_DIMENSIONS, DEFAULT_DIMENSIONS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SPREAD,
      g_param_spec_double ("spread", "Spread",
          "Standard deviation of each blob, per coordinate", 0.0, MAX_LENGTH,
          DEFAULT_SPREAD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CENTER_RANGE,
      g_param_spec_double ("center-range", "Center range",
          "True centers are drawn uniformly in [-center-range, "
          "center-range] on each axis", 0.0, MAX_LENGTH, DEFAULT_CENTER_RANGE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_POINTS_PER_BUFFER,
      g_param_spec_uint ("points-per-buffer", "Points per buffer",
          "Number of points (rows) in each buffer", 1, MAX_POINTS_PER_BUFFER,
          DEFAULT_POINTS_PER_BUFFER, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_POINTS_PER_SECOND,
      g_param_spec_double ("points-per-second", "Points per second",
          "Point rate the timestamps follow (and a live source keeps)",
          MIN_POINTS_PER_SECOND, MAX_POINTS_PER_SECOND,
          DEFAULT_POINTS_PER_SECOND, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DRIFT,
      g_param_spec_double ("drift", "Drift",
          "Speed of each true center along its fixed random direction, in "
          "units per 1000 points (0 = static centers)", 0.0, MAX_LENGTH,
          DEFAULT_DRIFT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the random generator: the same seed gives the same stream",
          0, G_MAXUINT64, DEFAULT_SEED, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source: produce points in real time at "
          "points-per-second", DEFAULT_IS_LIVE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansTestSrc:true-centers:
   *
   * The true centers as they are at the next point to be produced (drift
   * included): a #GstValueArray of @clusters rows, each a #GstValueArray of
   * @dimensions doubles (rounded to float precision).  Empty before the
   * first start; after a stop it keeps the last positions.
   */
  g_object_class_install_property (gobject_class, PROP_TRUE_CENTERS,
      gst_param_spec_array ("true-centers", "True centers",
          "Current positions of the true centers: one array of doubles per "
          "cluster (empty before start)",
          gst_param_spec_array ("row", "Row", "One center",
              g_param_spec_double ("value", "Value", "One coordinate",
                  -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS),
              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS),
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "K-means test source", "Source/Generic",
      "Produces seeded, optionally drifting Gaussian blobs of points for "
      "k-means", "gst-kmeans developers");

  basesrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_get_caps);
  basesrc_class->set_caps = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_set_caps);
  basesrc_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_decide_allocation);
  basesrc_class->is_seekable =
      GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_is_seekable);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_query);
  basesrc_class->get_times = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_get_times);
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_stop);
  pushsrc_class->fill = GST_DEBUG_FUNCPTR (gst_kmeans_testsrc_fill);
}

static void
gst_kmeans_testsrc_init (GstKMeansTestSrc * self)
{
  self->clusters = DEFAULT_CLUSTERS;
  self->dimensions = DEFAULT_DIMENSIONS;
  self->spread = DEFAULT_SPREAD;
  self->center_range = DEFAULT_CENTER_RANGE;
  self->points_per_buffer = DEFAULT_POINTS_PER_BUFFER;
  self->points_per_second = DEFAULT_POINTS_PER_SECOND;
  self->drift = DEFAULT_DRIFT;
  self->seed = DEFAULT_SEED;

  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (self), DEFAULT_IS_LIVE);
}

static void
gst_kmeans_testsrc_finalize (GObject * object)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (object);

  /* Not freed in stop: true-centers still answers after the stream. */
  g_free (self->origin);
  g_free (self->direction);
  g_free (self->chunk_noise);
  g_free (self->chunk_clusters);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_kmeans_testsrc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (object);

  /* gst_base_src_set_live takes the object lock itself. */
  if (prop_id == PROP_IS_LIVE) {
    gst_base_src_set_live (GST_BASE_SRC (self), g_value_get_boolean (value));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CLUSTERS:
      self->clusters = g_value_get_uint (value);
      break;
    case PROP_DIMENSIONS:
      self->dimensions = g_value_get_uint (value);
      break;
    case PROP_SPREAD:
      self->spread = g_value_get_double (value);
      break;
    case PROP_CENTER_RANGE:
      self->center_range = g_value_get_double (value);
      break;
    case PROP_POINTS_PER_BUFFER:
      self->points_per_buffer = g_value_get_uint (value);
      break;
    case PROP_POINTS_PER_SECOND:
      self->points_per_second = g_value_get_double (value);
      break;
    case PROP_DRIFT:
      self->drift = g_value_get_double (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Positions of the true centers at the next point, as floats; called with
 * the object lock held.  NULL before the first start. */
static gfloat *
current_true_centers (GstKMeansTestSrc * self)
{
  gsize i, n = (gsize) self->k * self->d;
  gdouble t;
  gfloat *out;

  if (self->origin == NULL)
    return NULL;

  t = self->drift_in_force * (gdouble) (self->next_point -
      self->origin_point) / 1000.0;
  out = g_new (gfloat, n);
  for (i = 0; i < n; i++)
    out[i] = (gfloat) (self->origin[i] + self->direction[i] * t);
  return out;
}

static void
gst_kmeans_testsrc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (object);

  if (prop_id == PROP_IS_LIVE) {
    g_value_set_boolean (value, gst_base_src_is_live (GST_BASE_SRC (self)));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CLUSTERS:
      g_value_set_uint (value, self->clusters);
      break;
    case PROP_DIMENSIONS:
      g_value_set_uint (value, self->dimensions);
      break;
    case PROP_SPREAD:
      g_value_set_double (value, self->spread);
      break;
    case PROP_CENTER_RANGE:
      g_value_set_double (value, self->center_range);
      break;
    case PROP_POINTS_PER_BUFFER:
      g_value_set_uint (value, self->points_per_buffer);
      break;
    case PROP_POINTS_PER_SECOND:
      g_value_set_double (value, self->points_per_second);
      break;
    case PROP_DRIFT:
      g_value_set_double (value, self->drift);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_TRUE_CENTERS:{
      gfloat *centers = current_true_centers (self);

      gst_kmeans_value_set_centers (value, centers, centers ? self->k : 0,
          centers ? self->d : 0);
      g_free (centers);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The template with dimensions fixed to the property; the format stays
 * open so downstream can pick F64LE. */
static GstCaps *
gst_kmeans_testsrc_get_caps (GstBaseSrc * bsrc, GstCaps * filter)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (bsrc);
  GstCaps *caps;
  guint dimensions;

  GST_OBJECT_LOCK (self);
  dimensions = self->dimensions;
  GST_OBJECT_UNLOCK (self);

  caps = gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (bsrc));
  caps = gst_caps_make_writable (caps);
  gst_caps_set_simple (caps, "dimensions", G_TYPE_INT, (gint) dimensions, NULL);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = tmp;
  }
  return caps;
}

static gboolean
gst_kmeans_testsrc_set_caps (GstBaseSrc * bsrc, GstCaps * caps)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (bsrc);
  GstKMeansPointsInfo info;
  GError *error = NULL;
  gsize value_bytes, bytes;

  if (!gst_kmeans_points_info_from_caps (&info, caps, &error)) {
    GST_WARNING_OBJECT (self, "refusing caps %" GST_PTR_FORMAT ": %s", caps,
        error->message);
    g_clear_error (&error);
    return FALSE;
  }
  if (info.dimensions != self->d) {
    GST_WARNING_OBJECT (self, "caps have %u dimensions, the source makes %u",
        info.dimensions, self->d);
    return FALSE;
  }

  value_bytes = info.format == GST_KMEANS_SAMPLE_F64 ? 8 : 4;
  bytes = self->points_per_buffer_snapshot * self->d * value_bytes;
  if (bytes > MAX_BUFFER_BYTES) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Buffers would be too large: lower points-per-buffer or dimensions."),
        ("%" G_GUINT64_FORMAT " points of %u %s values are %" G_GSIZE_FORMAT
            " bytes, more than the %" G_GSIZE_FORMAT " allowed",
            self->points_per_buffer_snapshot, self->d,
            info.format == GST_KMEANS_SAMPLE_F64 ? "F64LE" : "F32LE", bytes,
            MAX_BUFFER_BYTES));
    return FALSE;
  }

  self->format = info.format;
  self->buffer_bytes = bytes;
  gst_base_src_set_blocksize (bsrc, (guint) bytes);
  GST_DEBUG_OBJECT (self, "producing %" G_GSIZE_FORMAT "-byte buffers of %"
      GST_PTR_FORMAT, bytes, caps);
  return TRUE;
}

/* A pool proposed downstream does not know our buffer size: make it ours. */
static gboolean
gst_kmeans_testsrc_decide_allocation (GstBaseSrc * bsrc, GstQuery * query)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (bsrc);

  if (gst_query_get_n_allocation_pools (query) > 0) {
    GstBufferPool *pool;
    guint size, min, max;

    gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
    gst_query_set_nth_allocation_pool (query, 0, pool,
        (guint) self->buffer_bytes, min, max);
    if (pool)
      gst_object_unref (pool);
  }

  return GST_BASE_SRC_CLASS (parent_class)->decide_allocation (bsrc, query);
}

/* Regenerating a position would mean replaying the generator. */
static gboolean
gst_kmeans_testsrc_is_seekable (GstBaseSrc * bsrc)
{
  return FALSE;
}

/* Live, each buffer is pushed as soon as its timestamp is due, and a late
 * one is still made and sent: no latency, and no bound on how late
 * downstream may run.  GstBaseSrc's answer, a maximum of 0, leaves a
 * syncing sink no processing time, so it warns "Pipeline construction is
 * invalid, please add queues". */
static gboolean
gst_kmeans_testsrc_query (GstBaseSrc * bsrc, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY
      && gst_base_src_is_live (bsrc)) {
    gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);
}

/* Live: sync each buffer on its timestamp, which paces the stream. */
static void
gst_kmeans_testsrc_get_times (GstBaseSrc * bsrc, GstBuffer * buffer,
    GstClockTime * start, GstClockTime * end)
{
  if (gst_base_src_is_live (bsrc)) {
    GstClockTime pts = GST_BUFFER_PTS (buffer);

    if (GST_CLOCK_TIME_IS_VALID (pts)) {
      GstClockTime duration = GST_BUFFER_DURATION (buffer);

      if (GST_CLOCK_TIME_IS_VALID (duration))
        *end = pts + duration;
      *start = pts;
    }
  } else {
    *start = GST_CLOCK_TIME_NONE;
    *end = GST_CLOCK_TIME_NONE;
  }
}

static gboolean
gst_kmeans_testsrc_start (GstBaseSrc * bsrc)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (bsrc);
  guint k, d;
  gdouble range, drift, rate;
  guint64 seed;
  gdouble *origin, *direction;
  gsize chunk_points;
  gfloat *chunk_noise;
  guint32 *chunk_clusters;

  GST_OBJECT_LOCK (self);
  k = self->clusters;
  d = self->dimensions;
  range = self->center_range;
  drift = self->drift;
  rate = self->points_per_second;
  seed = self->seed;
  self->points_per_buffer_snapshot = self->points_per_buffer;
  GST_OBJECT_UNLOCK (self);

  if ((guint64) k * d > KM_MAX_MODEL_FLOATS) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Too many clusters for this many dimensions."),
        ("clusters * dimensions = %" G_GUINT64_FORMAT " exceeds %"
            G_GUINT64_FORMAT, (guint64) k * d, KM_MAX_MODEL_FLOATS));
    return FALSE;
  }
  /* Checked before anything is allocated. */
  gst_util_double_to_fraction (rate, &self->rate_num, &self->rate_den);
  if (self->rate_num <= 0 || self->rate_den <= 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Unusable points-per-second %g.", rate), (NULL));
    return FALSE;
  }
  chunk_points = MAX (1, CHUNK_VALUES / d);
  origin = g_try_new (gdouble, (gsize) k * d);
  direction = g_try_new (gdouble, (gsize) k * d);
  chunk_noise = g_try_new (gfloat, chunk_points * d);
  chunk_clusters = g_try_new (guint32, chunk_points);
  if (origin == NULL || direction == NULL || chunk_noise == NULL
      || chunk_clusters == NULL) {
    g_free (origin);
    g_free (direction);
    g_free (chunk_noise);
    g_free (chunk_clusters);
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Not enough memory for %u centers of dimension %u.", k, d), (NULL));
    return FALSE;
  }

  km_gauss_draw_centers (seed, k, d, range, origin, direction);
  km_gauss_init (&self->noise, km_gauss_key (seed, KM_GAUSS_STREAM_NOISE));
  self->cluster_key = km_gauss_key (seed, KM_GAUSS_STREAM_CLUSTERS);
  g_free (self->chunk_noise);
  g_free (self->chunk_clusters);
  self->chunk_points = chunk_points;
  self->chunk_noise = chunk_noise;
  self->chunk_clusters = chunk_clusters;

  /* The previous run's centers were kept for true-centers until now. */
  GST_OBJECT_LOCK (self);
  g_free (self->origin);
  g_free (self->direction);
  self->origin = origin;
  self->direction = direction;
  self->k = k;
  self->d = d;
  self->origin_point = 0;
  self->next_point = 0;
  self->drift_in_force = drift;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "%u blobs in %u dimensions, seed %" G_GUINT64_FORMAT
      ", %d/%d points per second", k, d, seed, self->rate_num, self->rate_den);
  return TRUE;
}

/* The chunk scratch goes; the centers stay for true-centers. */
static gboolean
gst_kmeans_testsrc_stop (GstBaseSrc * bsrc)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (bsrc);

  g_clear_pointer (&self->chunk_noise, g_free);
  g_clear_pointer (&self->chunk_clusters, g_free);
  return TRUE;
}

/* Time of point @index on the stream, rounded to the nanosecond. */
static GstClockTime
point_time (GstKMeansTestSrc * self, guint64 index)
{
  return gst_util_uint64_scale_round (index,
      GST_SECOND * (guint64) self->rate_den, (guint64) self->rate_num);
}

/* Restarts the linear motion from the current positions when drift
 * changed, so the centers never jump; called with the object lock held. */
static void
apply_drift_change (GstKMeansTestSrc * self, gdouble drift)
{
  gsize i, n = (gsize) self->k * self->d;
  gdouble t;

  t = self->drift_in_force * (gdouble) (self->next_point -
      self->origin_point) / 1000.0;
  for (i = 0; i < n; i++)
    self->origin[i] += self->direction[i] * t;
  self->origin_point = self->next_point;
  self->drift_in_force = drift;
}

/* Fills @out with @n points, each one drawn around a random true center,
 * as F32 or F64, chunk by chunk.  Centers move with t = drift * (point -
 * origin) / 1000.  Every value is a function of the point's index, so the
 * stream does not depend on points-per-buffer. */
static void
generate_points (GstKMeansTestSrc * self, guint8 * out, guint64 n,
    gdouble spread)
{
  const gboolean f64 = self->format == GST_KMEANS_SAMPLE_F64;
  const gsize row_bytes = (gsize) self->d * (f64 ? 8 : 4);
  const gdouble per_point = self->drift_in_force / 1000.0;
  guint64 done = 0;

  while (done < n) {
    gsize m = (gsize) MIN ((guint64) self->chunk_points, n - done);
    guint64 point = self->next_point + done;

    km_gauss_pick (self->cluster_key, point, m, self->k, self->chunk_clusters);
    km_gauss_fill (&self->noise, point * self->d, self->chunk_noise,
        m * self->d);
    km_gauss_blend (self->origin, self->direction, self->d,
        self->chunk_clusters, self->chunk_noise, m, spread, per_point,
        point - self->origin_point, f64, out + done * row_bytes);
    done += m;
  }
}

static GstFlowReturn
gst_kmeans_testsrc_fill (GstPushSrc * psrc, GstBuffer * buffer)
{
  GstKMeansTestSrc *self = GST_KMEANS_TEST_SRC (psrc);
  guint64 n = self->points_per_buffer_snapshot;
  guint64 first = self->next_point;
  gdouble spread, drift;
  GstMapInfo map;
  gsize size = gst_buffer_get_size (buffer);

  if (G_UNLIKELY (size < self->buffer_bytes)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not allocate a buffer for the points."),
        ("got %" G_GSIZE_FORMAT " bytes, need %" G_GSIZE_FORMAT, size,
            self->buffer_bytes));
    return GST_FLOW_ERROR;
  }
  if (size > self->buffer_bytes)
    gst_buffer_set_size (buffer, self->buffer_bytes);

  GST_OBJECT_LOCK (self);
  spread = self->spread;
  drift = self->drift;
  if (drift != self->drift_in_force)
    apply_drift_change (self, drift);
  GST_OBJECT_UNLOCK (self);

  if (!gst_buffer_map (buffer, &map, GST_MAP_WRITE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not write to a buffer."), ("gst_buffer_map failed"));
    return GST_FLOW_ERROR;
  }
  generate_points (self, map.data, n, spread);
  gst_buffer_unmap (buffer, &map);

  GST_BUFFER_PTS (buffer) = point_time (self, first);
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buffer) = point_time (self, first + n) -
      GST_BUFFER_PTS (buffer);
  GST_BUFFER_OFFSET (buffer) = first;
  GST_BUFFER_OFFSET_END (buffer) = first + n;

  GST_OBJECT_LOCK (self);
  self->next_point = first + n;
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "points %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
      " at %" GST_TIME_FORMAT, first, first + n,
      GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
  return GST_FLOW_OK;
}

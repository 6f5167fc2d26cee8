/* gst-kmeans: kmeans-viz, live pictures of a point stream and its model.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-kmeans-viz
 * @title: kmeans-viz
 *
 * kmeans-viz draws a point stream and the k-means model that is learning
 * from it as video: a 2-D scatter of the most recent points, each in the
 * colour of its nearest center, the centers marked, the path each center
 * has taken, and a legend.  Feed it from a `tee` of any point stream; it
 * works live (`! videoconvert ! autovideosink`) and offline
 * (`! pngenc ! multifilesink`).
 *
 * ## Input
 *
 * Any point stream kmeans-train takes: `application/x-points`,
 * NNStreamer's `other/tensors`, raw video (every pixel a point of its R,
 * G, B values, 0..255) or interleaved raw audio (every audio frame a
 * point of `channels` values; S16LE scaled to [-1, 1)), of which
 * #GstKMeansViz:columns may take only some values (`1-3,7`, as for
 * kmeans-train; the points and the model then have that many
 * dimensions).  The element keeps
 * the last #GstKMeansViz:max-points points; a buffer holding more is
 * sampled evenly (with a fixed jitter, so video rows do not alias).
 * Rows holding NaN or Inf, and buffers that are not a whole number of rows,
 * are skipped by default: the first skip posts a warning message, every one
 * is logged and counted in #GstKMeansViz:skipped-points, and the stream
 * goes on; #GstKMeansViz:on-bad-input=error stops it instead.
 *
 * ## The model
 *
 * The model comes in-band: the sticky `kmeans-model` event of a
 * `kmeans-train` upstream.  Or it comes from a checkpoint file named by
 * #GstKMeansViz:model-location, checked for replacement every
 * #GstKMeansViz:model-poll-interval; each (re)load posts an element
 * message named `kmeans-model-loaded` with these fields:
 *
 * * #gchararray `location`: the checkpoint file.
 * * #guint64 `model-version`: the version of the loaded model.
 * * #guint64 `step`: the training step the model was saved at.
 * * #guint `clusters`: K.
 * * #guint `dimensions`: D.
 *
 * When both are used, the model that arrived last is drawn.  Model events
 * are consumed here, not forwarded: downstream is video.  A checkpoint that
 * exists but cannot be read when the element starts is an error.  While
 * running, a new version of the file that cannot be used, damaged or of
 * another dimension than the stream, is rejected: a warning names the file
 * and the problem (e.g. "model has dimension 5, the stream has 3"; one
 * warning per distinct problem), #GstKMeansViz:rejected-models counts it,
 * no `kmeans-model-loaded` is posted and the current model stays drawn.
 * The checkpoint present at start is loaded before the caps are known; if
 * it does not fit the negotiated stream, the first buffer stops the stream
 * with an error naming the file.  An in-band model of another dimension is
 * an error too.
 *
 * ## The picture
 *
 * `video/x-raw, format=RGBA` of #GstKMeansViz:width x
 * #GstKMeansViz:height at #GstKMeansViz:framerate, pixel aspect ratio
 * 1/1, alpha always 255.  From bottom to top:
 *
 * * the background, RGB (20, 23, 28);
 * * the points, 2x2 pixels with the top-left one at the point's position,
 *   oldest first, in their cluster's colour (RGB (160, 160, 160) before
 *   any model), the oldest faded toward the background by
 *   #GstKMeansViz:fade;
 * * the path of each center through the model versions seen (at most
 *   #GstKMeansViz:path-length of them), a line in its colour, dimmed;
 * * #GstKMeansViz:true-centers, if set, as hollow white rings;
 * * the learned centers, squares filled with their cluster's colour and
 *   outlined in black, then white;
 * * the legend, a darkened band across the top: K, the training step and
 *   version of the model drawn, the loss of the points on screen under
 *   that model (the sum of their distances to the nearest center, the
 *   metric's own, computed by kmeans-viz itself: training loss is not
 *   available in-band), its mean, the number of points, a colour swatch
 *   per cluster (up to 16) and the projection.
 *
 * Cluster i is drawn in colour i of a fixed palette of 12: (78, 154, 241),
 * (245, 166, 35), (126, 211, 33), (232, 71, 95), (181, 126, 220),
 * (80, 227, 194), (248, 231, 28), (255, 126, 185), (192, 138, 90),
 * (154, 208, 245), (212, 240, 140), (255, 184, 140); beyond that hues
 * step by the golden angle.  Text uses a built-in 5x7 pixel font (no
 * font files needed), scaled by the whole number of times 320x240 fits.
 *
 * Points map to the picture by #GstKMeansViz:projection, then linearly by
 * the view: x-min..x-max to pixel columns 0..width-1, y-max..y-min to
 * rows 0..height-1 (up is positive y), positions rounded to the nearest
 * pixel.  #GstKMeansViz:view fixes the view; by default it follows the
 * points, centers and true centers with equal scales on both axes,
 * leaving room for the legend, growing at once and shrinking gently.
 *
 * ## Frames
 *
 * Frames follow the stream's time: one frame per 1/framerate of buffer
 * timestamps that received points or a new model, stamped with the start
 * of that interval and lasting 1/framerate.  A frame is pushed once a
 * buffer from a later interval arrives, and at EOS (then EOS follows), so
 * intervals without data are skipped rather than repeated.  Buffers
 * without timestamps (or outside a TIME segment) each produce one frame,
 * stamped one 1/framerate after the other.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 kmeans-testsrc clusters=4 points-per-buffer=64 \
 *     points-per-second=1920 num-buffers=150 ! \
 *     kmeans-train num-clusters=4 init=kmeans++ ! \
 *     kmeans-viz projection=first-two ! videoconvert ! autovideosink
 * ]| shows k-means learning four blobs over five seconds of stream, one
 * frame per buffer.
 * |[
 * gst-launch-1.0 kmeans-testsrc clusters=5 dimensions=3 \
 *     points-per-buffer=64 points-per-second=1920 num-buffers=90 ! \
 *     kmeans-train num-clusters=5 init=kmeans++ ! tee name=t \
 *     t. ! queue ! fakesink \
 *     t. ! queue ! kmeans-viz projection=pca fade=0.9 ! \
 *     pngenc ! multifilesink location=/tmp/kmeans-%03d.png
 * ]| writes one PNG per frame of 3-D points seen along their two
 * principal components, from a tee of the trained stream.
 * |[
 * gst-launch-1.0 videotestsrc pattern=colors num-buffers=10 ! \
 *     video/x-raw,format=RGB,width=160,height=120 ! \
 *     kmeans-train num-clusters=8 init=kmeans++ ! \
 *     kmeans-viz projection=pca ! pngenc ! \
 *     multifilesink location=/tmp/colours-%02d.png
 * ]| draws the pixels of a test pattern as points in colour space, along
 * their principal components, clustered into eight colours.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/gst.h>

#include "kmeans.h"
#include "kmpca.h"
#include "kmeanselements.h"
#include "gstkmeansviz.h"
#include "kmvizdraw.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_viz_debug);
#define GST_CAT_DEFAULT gst_kmeans_viz_debug

#define VIZ_SRC_CAPS \
    "video/x-raw, format = (string) RGBA, width = (int) [ 16, 8192 ], " \
    "height = (int) [ 16, 8192 ], framerate = (fraction) [ 1/1000, 1000 ], " \
    "pixel-aspect-ratio = (fraction) 1/1"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_MEDIA_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIZ_SRC_CAPS));

enum
{
  PROP_0,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_FRAMERATE,
  PROP_MAX_POINTS,
  PROP_FADE,
  PROP_PROJECTION,
  PROP_VIEW,
  PROP_TRUE_CENTERS,
  PROP_PATH_LENGTH,
  PROP_FRAMES,
  PROP_COLUMNS,
  /* The shared model properties, GST_KMEANS_MODEL_N_PROPS ids from here
   * (gst_kmeans_model_install_properties). */
  PROP_MODEL_FIRST,
};

#define DEFAULT_WIDTH 320
#define DEFAULT_HEIGHT 240
#define DEFAULT_FPS_N 30
#define DEFAULT_FPS_D 1
#define DEFAULT_MAX_POINTS 4096
#define DEFAULT_FADE 0.75
#define DEFAULT_PROJECTION GST_KMEANS_VIZ_PROJECTION_FIRST_TWO
#define DEFAULT_PATH_LENGTH 256

#define MIN_SIZE 16
#define MAX_SIZE 8192
#define MAX_POINTS (1u << 20)
#define MAX_PATH_LENGTH 65536
/* Centers' paths keep at most this many floats in all. */
#define MAX_PATH_FLOATS (1u << 24)
/* Power iterations per frame; warm-started from the previous frame. */
#define PCA_ITERATIONS 12
/* How far the automatic view moves toward smaller content per frame. */
#define VIEW_SHRINK 0.15
#define VIEW_PADDING 0.08
#define SWATCHES_MAX 16

static const KmVizRgb palette[] = {
  {78, 154, 241}, {245, 166, 35}, {126, 211, 33}, {232, 71, 95},
  {181, 126, 220}, {80, 227, 194}, {248, 231, 28}, {255, 126, 185},
  {192, 138, 90}, {154, 208, 245}, {212, 240, 140}, {255, 184, 140},
};

static const KmVizRgb background = { 20, 23, 28 };
static const KmVizRgb no_model_colour = { 160, 160, 160 };
static const KmVizRgb text_colour = { 240, 240, 240 };
static const KmVizRgb white = { 255, 255, 255 };

struct _GstKMeansViz
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Properties, under the object lock. */
  guint width;
  guint height;
  gint fps_n;
  gint fps_d;
  guint max_points;
  gdouble fade;
  GstKMeansVizProjection projection;
  gboolean view_fixed;
  gdouble view[4];              /* x-min, x-max, y-min, y-max */
  gfloat *true_centers;         /* true_k rows of true_d */
  guint true_k;
  guint true_d;
  guint true_centers_serial;    /* counts changes, for warning once each */
  guint path_length;
  gchar *columns;
  /* model-location, on-bad-input, ... and skipped-points. */
  GstKMeansModelSettings model_settings;

  /* Counters and the model drawn: written by the streaming thread under
   * the object lock, read by get_property. */
  guint64 frames;
  KmModel *model;

  /* Streaming-thread state, set up on the way to PAUSED. */
  guint out_width;
  guint out_height;
  gint out_fps_n;
  gint out_fps_d;
  gsize ring_limit;             /* max-points */
  guint path_limit;             /* path-length */
  GstClockTime frame_duration;
  GstKMeansPointsInfo info;
  gboolean have_info;
  GstKMeansPointsReader reader;
  gboolean warned_bad_input;
  GstKMeansModelFile model_file;
  KmWorkspace *ws;

  /* The window: the last ring_cap points, oldest at ring_start. */
  gfloat *ring;
  gsize ring_cap;
  gsize ring_len;
  gsize ring_start;
  guint64 sampled;              /* rows sampled so far (jitter seed) */
  gint32 *idx;                  /* per window point, for each frame */
  gfloat *xy;
  KmVizRgb *colours;            /* per cluster */
  guint colours_k;

  /* Centers of the model versions seen, oldest at path_start. */
  gfloat *paths;
  guint path_cap;
  guint path_len;
  guint path_start;
  guint path_k;
  KmModel *path_model;          /* the last one recorded */

  /* Projection: origin and two axes, D each, and the PCA finding them. */
  gdouble *origin;
  gdouble *axes;
  KmPca *pca;
  gdouble content[4];           /* smoothed bounds of what is drawn */
  gboolean content_valid;
  GstKMeansVizProjection last_projection;
  guint warned_true_centers;    /* serial of the centers warned about */

  /* Frame timing. */
  GstSegment segment;
  gboolean have_frame_start;
  GstClockTime frame_start;
  guint64 untimed_frames;
  gboolean pending;             /* points or a model since the last frame */

  /* Output. */
  gboolean caps_sent;
  GstBufferPool *pool;
};

#define gst_kmeans_viz_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansViz, gst_kmeans_viz, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_viz_debug, "kmeans-viz", 0,
        "k-means live pictures"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_viz, "kmeans-viz", GST_RANK_NONE,
    GST_TYPE_KMEANS_VIZ);

GType
gst_kmeans_viz_projection_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_VIZ_PROJECTION_FIRST_TWO,
        "Dimensions 0 and 1 as x and y", "first-two"},
    {GST_KMEANS_VIZ_PROJECTION_PCA,
        "First two principal components of the points on screen", "pca"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKMeansVizProjection", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_kmeans_viz_finalize (GObject * object);
static void gst_kmeans_viz_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_viz_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kmeans_viz_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_kmeans_viz_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_kmeans_viz_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_kmeans_viz_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static GstFlowReturn gst_kmeans_viz_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);

static GParamSpec *
centers_param_spec (void)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  return gst_param_spec_array ("true-centers", "True centers",
      "Centers to draw as hollow rings, e.g. kmeans-testsrc's true-centers: "
      "an array of rows of D doubles (empty: none)",
      gst_param_spec_array ("center", "Center", "One center: D coordinates",
          g_param_spec_double ("value", "Value", "One coordinate",
              -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, flags), flags),
      flags | GST_PARAM_MUTABLE_PLAYING);
}

static void
gst_kmeans_viz_class_init (GstKMeansVizClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  /* No on-no-model: points before any model are drawn grey. */
  static const GstKMeansModelBlurbs model_blurbs = {
    .on_bad_input = "What to do with partial rows and rows holding NaN or "
        "Inf: skip them (counted in skipped-points, the first with a "
        "warning) or post an error that stops the stream",
    .model_version = "Version of the model drawn (0: no model yet)",
    .skipped_points = "Points skipped as bad input with on-bad-input=skip "
        "(the default)",
  };

  gobject_class->finalize = gst_kmeans_viz_finalize;
  gobject_class->set_property = gst_kmeans_viz_set_property;
  gobject_class->get_property = gst_kmeans_viz_get_property;

  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_uint ("width", "Width", "Width of the picture in pixels",
          MIN_SIZE, MAX_SIZE, DEFAULT_WIDTH, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_HEIGHT,
      g_param_spec_uint ("height", "Height", "Height of the picture in pixels",
          MIN_SIZE, MAX_SIZE, DEFAULT_HEIGHT, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Frames per second of stream time (at most; intervals without "
          "points are skipped)", 1, 1000, 1000, 1, DEFAULT_FPS_N,
          DEFAULT_FPS_D, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_POINTS,
      g_param_spec_uint ("max-points", "Max points",
          "Point budget: how many of the most recent points are drawn (a "
          "larger buffer is sampled evenly)", 1, MAX_POINTS,
          DEFAULT_MAX_POINTS, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FADE,
      g_param_spec_double ("fade", "Fade",
          "How far the oldest point on screen fades toward the background, "
          "the newest not at all, linearly with age (0: no fading, 1: the "
          "oldest vanish)", 0.0, 1.0, DEFAULT_FADE,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PROJECTION,
      g_param_spec_enum ("projection", "Projection",
          "How points become x and y: their first two dimensions, or their "
          "first two principal components kept up to date from the points "
          "on screen", GST_TYPE_KMEANS_VIZ_PROJECTION, DEFAULT_PROJECTION,
          rw | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstKMeansViz:view:
   *
   * The projected area shown, as x-min, x-max, y-min, y-max, e.g.
   * `view="<-15.0, 15.0, -15.0, 15.0>"`; empty (the default) follows the
   * data.  Set it to compare pictures, or to know where a point lands.
   */
  g_object_class_install_property (gobject_class, PROP_VIEW,
      gst_param_spec_array ("view", "View",
          "Projected area to show: <x-min, x-max, y-min, y-max> (empty: "
          "follow the data with equal scales)",
          g_param_spec_double ("bound", "Bound", "One bound of the view",
              -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, rw),
          rw | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstKMeansViz:true-centers:
   *
   * Known centers to compare the learned ones with, drawn as hollow rings:
   * a #GstValueArray of rows, each a #GstValueArray of D doubles, e.g.
   * `true-centers="<<0.0, 1.0>, <5.0, 5.0>>"`, or copied from
   * kmeans-testsrc's read-only property of the same name.  Rows of another
   * dimension than the stream's are not drawn (a warning says so).
   */
  g_object_class_install_property (gobject_class, PROP_TRUE_CENTERS,
      centers_param_spec ());
  g_object_class_install_property (gobject_class, PROP_PATH_LENGTH,
      g_param_spec_uint ("path-length", "Path length",
          "How many model versions of each center's path to draw (0: no "
          "paths)", 0, MAX_PATH_LENGTH, DEFAULT_PATH_LENGTH,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FRAMES,
      g_param_spec_uint64 ("frames", "Frames",
          "Frames pushed since the element started", 0, G_MAXUINT64, 0, ro));
  gst_kmeans_columns_install_property (gobject_class, PROP_COLUMNS);
  gst_kmeans_model_install_properties (gobject_class, PROP_MODEL_FIRST,
      &model_blurbs);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "K-means visualizer", "Visualization",
      "Draws a point stream coloured by nearest k-means center, the "
      "centers, their paths and a legend, as video", "gst-kmeans developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_kmeans_viz_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_VIZ_PROJECTION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_viz_init (GstKMeansViz * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_viz_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_viz_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_viz_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_viz_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->width = DEFAULT_WIDTH;
  self->height = DEFAULT_HEIGHT;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->max_points = DEFAULT_MAX_POINTS;
  self->fade = DEFAULT_FADE;
  self->projection = DEFAULT_PROJECTION;
  self->path_length = DEFAULT_PATH_LENGTH;
  gst_kmeans_model_settings_init (&self->model_settings);

  gst_kmeans_points_reader_init (&self->reader);
  gst_kmeans_model_file_init (&self->model_file);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}

static void
gst_kmeans_viz_finalize (GObject * object)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (object);

  gst_kmeans_model_settings_clear (&self->model_settings);
  g_free (self->true_centers);
  g_free (self->columns);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_kmeans_model_file_clear (&self->model_file);
  if (self->model)
    km_model_unref (self->model);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* Flattens rows of numbers into k*d floats; NULL with an explanation in
 * @why when the rows are ragged or hold something else. */
static gfloat *
centers_from_value (const GValue * value, guint * k, guint * d, gchar ** why)
{
  gfloat *centers = NULL;
  guint row, column;

  if (gst_kmeans_value_get_centers (value, G_MAXUINT, MAX_PATH_FLOATS,
          &centers, k, d, &row, &column))
    return centers;
  if (column == G_MAXUINT)
    *why = g_strdup_printf ("row %u is not an array of as many numbers as "
        "row 0", row);
  else
    *why = g_strdup_printf ("value %u of row %u is not a finite number",
        column, row);
  return NULL;
}

/* Takes new true centers; called with the object lock held.  Returns an
 * explanation when they are refused (then none are drawn). */
static gchar *
set_true_centers (GstKMeansViz * self, const GValue * value)
{
  gchar *why = NULL;
  guint k = 0, d = 0;
  gfloat *centers = centers_from_value (value, &k, &d, &why);

  g_clear_pointer (&self->true_centers, g_free);
  self->true_k = self->true_d = 0;
  if (why)
    return why;
  self->true_centers = centers;
  self->true_k = k;
  self->true_d = d;
  self->true_centers_serial++;
  return NULL;
}

/* Returns an explanation when the view is refused (then it is automatic). */
static gchar *
set_view (GstKMeansViz * self, const GValue * value)
{
  guint i, n = gst_value_array_get_size (value);
  gdouble v[4];

  self->view_fixed = FALSE;
  if (n == 0)
    return NULL;
  if (n != 4)
    return g_strdup_printf ("view needs 4 numbers, got %u", n);
  for (i = 0; i < 4; i++)
    if (!gst_kmeans_value_get_double (gst_value_array_get_value (value, i),
            &v[i]))
      return g_strdup_printf ("view value %u is not a finite number", i);
  if (!(v[0] < v[1]) || !(v[2] < v[3]))
    return g_strdup ("view needs x-min < x-max and y-min < y-max");
  memcpy (self->view, v, sizeof (v));
  self->view_fixed = TRUE;
  return NULL;
}

static void
gst_kmeans_viz_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (object);
  gchar *refused = NULL;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      self->width = g_value_get_uint (value);
      break;
    case PROP_HEIGHT:
      self->height = g_value_get_uint (value);
      break;
    case PROP_FRAMERATE:
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_MAX_POINTS:
      self->max_points = g_value_get_uint (value);
      break;
    case PROP_FADE:
      self->fade = g_value_get_double (value);
      break;
    case PROP_PROJECTION:
      self->projection = g_value_get_enum (value);
      break;
    case PROP_VIEW:
      refused = set_view (self, value);
      break;
    case PROP_TRUE_CENTERS:
      refused = set_true_centers (self, value);
      break;
    case PROP_PATH_LENGTH:
      self->path_length = g_value_get_uint (value);
      break;
    case PROP_COLUMNS:
      g_free (self->columns);
      self->columns = g_value_dup_string (value);
      break;
    default:
      if (!gst_kmeans_model_settings_set_property (&self->model_settings,
              PROP_MODEL_FIRST, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  if (refused) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Ignoring the %s property: %s.", pspec->name, refused),
        ("value refused, the default is used instead"));
    g_free (refused);
  }
}

static void
gst_kmeans_viz_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g_value_set_uint (value, self->width);
      break;
    case PROP_HEIGHT:
      g_value_set_uint (value, self->height);
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_MAX_POINTS:
      g_value_set_uint (value, self->max_points);
      break;
    case PROP_FADE:
      g_value_set_double (value, self->fade);
      break;
    case PROP_PROJECTION:
      g_value_set_enum (value, self->projection);
      break;
    case PROP_VIEW:
      gst_kmeans_value_set_doubles (value, self->view,
          self->view_fixed ? 4 : 0);
      break;
    case PROP_TRUE_CENTERS:
      gst_kmeans_value_set_centers (value, self->true_centers, self->true_k,
          self->true_d);
      break;
    case PROP_PATH_LENGTH:
      g_value_set_uint (value, self->path_length);
      break;
    case PROP_FRAMES:
      g_value_set_uint64 (value, self->frames);
      break;
    case PROP_COLUMNS:
      g_value_set_string (value, self->columns);
      break;
    default:
      if (!gst_kmeans_model_settings_get_property (&self->model_settings,
              self->model, PROP_MODEL_FIRST, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------- colours */

/* Colour i of the palette, then hues a golden angle apart. */
static KmVizRgb
cluster_colour (guint i)
{
  /* HSV to RGB: which of v, q, p, t each channel takes, per hue sector. */
  static const guint8 pick[6][3] = {
    {0, 3, 2}, {1, 0, 2}, {2, 0, 3}, {2, 1, 0}, {3, 2, 0}, {0, 2, 1}
  };
  const gdouble s = 0.6, v = 0.95;
  gdouble h, f, vqpt[4];
  gint sector;
  KmVizRgb out;

  if (i < G_N_ELEMENTS (palette))
    return palette[i];

  h = fmod (i * 137.50776405, 360.0) / 60.0;
  sector = MIN ((gint) floor (h), 5);
  f = h - sector;
  vqpt[0] = v;
  vqpt[1] = v * (1 - s * f);
  vqpt[2] = v * (1 - s);
  vqpt[3] = v * (1 - s * (1 - f));
  out.r = (guint8) lrint (255 * vqpt[pick[sector][0]]);
  out.g = (guint8) lrint (255 * vqpt[pick[sector][1]]);
  out.b = (guint8) lrint (255 * vqpt[pick[sector][2]]);
  return out;
}

/* ---------------------------------------------------------- projection */

/* x = (p - origin) . axes[0], y = (p - origin) . axes[1]. */
static void
project (const GstKMeansViz * self, const gfloat * p, gdouble * x, gdouble * y)
{
  guint j, d = self->info.dimensions;
  const gdouble *a0 = self->axes, *a1 = self->axes + d;
  gdouble sx = 0, sy = 0;

  for (j = 0; j < d; j++) {
    gdouble v = p[j] - self->origin[j];

    sx += v * a0[j];
    sy += v * a1[j];
  }
  *x = sx;
  *y = sy;
}

static const gfloat *
window_row (const GstKMeansViz * self, gsize i)
{
  return self->ring + ((self->ring_start + i) % self->ring_cap) *
      self->info.dimensions;
}

static void
set_first_two_axes (GstKMeansViz * self)
{
  guint d = self->info.dimensions;

  memset (self->origin, 0, d * sizeof (gdouble));
  memset (self->axes, 0, 2 * d * sizeof (gdouble));
  self->axes[0] = 1.0;
  if (d > 1)
    self->axes[d + 1] = 1.0;
}

/* The window as the PCA reads it: the two runs of the ring, in order. */
static void
window_runs (const GstKMeansViz * self, KmPcaRun runs[2])
{
  guint d = self->info.dimensions;
  gsize first = MIN (self->ring_len, self->ring_cap - self->ring_start);

  runs[0].rows = self->ring + self->ring_start * d;
  runs[0].n = first;
  runs[1].rows = self->ring;
  runs[1].n = self->ring_len - first;
}

/* The first two principal components of the window, warm-started from the
 * previous frame's.  Falls back to dimensions 0 and 1 when the points do
 * not spread. */
static void
update_pca (GstKMeansViz * self)
{
  guint d = self->info.dimensions;
  KmPcaRun runs[2];

  window_runs (self, runs);
  if (!km_pca_update (self->pca, runs, G_N_ELEMENTS (runs), PCA_ITERATIONS)) {
    set_first_two_axes (self);
    return;
  }
  memcpy (self->origin, km_pca_get_mean (self->pca), d * sizeof (gdouble));
  memcpy (self->axes, km_pca_get_axes (self->pca), 2 * d * sizeof (gdouble));
}

/* -------------------------------------------------------------- the view */

typedef struct
{
  gdouble x0, x1, y0, y1;
  gint width, height;
} View;

/* FALSE for positions far off the picture, which are not drawn. */
static gboolean
to_pixel (const View * v, gdouble x, gdouble y, gint * px, gint * py)
{
  gdouble fx = (x - v->x0) / (v->x1 - v->x0) * (v->width - 1);
  gdouble fy = (v->y1 - y) / (v->y1 - v->y0) * (v->height - 1);

  if (!(fx > -2.0 * v->width && fx < 3.0 * v->width
          && fy > -2.0 * v->height && fy < 3.0 * v->height))
    return FALSE;
  *px = (gint) floor (fx + 0.5);
  *py = (gint) floor (fy + 0.5);
  return TRUE;
}

static void
grow_bounds (gdouble b[4], gdouble x, gdouble y)
{
  b[0] = MIN (b[0], x);
  b[1] = MAX (b[1], x);
  b[2] = MIN (b[2], y);
  b[3] = MAX (b[3], y);
}

/* Follows the drawn content: grows at once, shrinks a little per frame. */
static void
smooth_content (GstKMeansViz * self, const gdouble target[4])
{
  gdouble *c = self->content;
  gint i;

  if (!self->content_valid) {
    memcpy (c, target, 4 * sizeof (gdouble));
    self->content_valid = TRUE;
    return;
  }
  for (i = 0; i < 4; i++) {
    gboolean grows = (i % 2 == 0) ? target[i] < c[i] : target[i] > c[i];

    c[i] = grows ? target[i] : c[i] + (target[i] - c[i]) * VIEW_SHRINK;
  }
}

/* Padding, room for the legend at the top, equal scales. */
static void
view_from_content (const gdouble c[4], gint legend_rows, View * v)
{
  gdouble w = c[1] - c[0], h = c[3] - c[2], cx, cy, unit;
  gdouble tiny = 1e-9 * (1.0 + MAX (MAX (fabs (c[0]), fabs (c[1])),
          MAX (fabs (c[2]), fabs (c[3]))));

  /* A single point or a line still gets an area around it. */
  if (w < tiny && h < tiny)
    w = h = MAX (1.0, 1e3 * tiny);
  else if (w < tiny)
    w = h;
  else if (h < tiny)
    h = w;
  cx = (c[0] + c[1]) / 2;
  cy = (c[2] + c[3]) / 2;
  w *= 1 + 2 * VIEW_PADDING;
  h *= 1 + 2 * VIEW_PADDING;
  v->x0 = cx - w / 2;
  v->x1 = cx + w / 2;
  v->y0 = cy - h / 2;
  v->y1 = cy + h / 2;
  if (legend_rows < v->height / 2)
    v->y1 += h * legend_rows / (v->height - legend_rows);

  unit = MAX ((v->x1 - v->x0) / (v->width - 1),
      (v->y1 - v->y0) / (v->height - 1));
  cx = (v->x0 + v->x1) / 2;
  cy = (v->y0 + v->y1) / 2;
  v->x0 = cx - unit * (v->width - 1) / 2;
  v->x1 = cx + unit * (v->width - 1) / 2;
  v->y0 = cy - unit * (v->height - 1) / 2;
  v->y1 = cy + unit * (v->height - 1) / 2;
}

/* ------------------------------------------------------------ the window */

static void
window_push (GstKMeansViz * self, const gfloat * row)
{
  guint d = self->info.dimensions;
  gsize slot;

  if (self->ring_len < self->ring_cap) {
    slot = (self->ring_start + self->ring_len) % self->ring_cap;
    self->ring_len++;
  } else {
    slot = self->ring_start;
    self->ring_start = (self->ring_start + 1) % self->ring_cap;
  }
  memcpy (self->ring + slot * d, row, d * sizeof (gfloat));
}

/* Keeps every row, or, from a buffer larger than the window, one row
 * from each of ring_cap equal runs at a pseudo-random place in its run:
 * an even sample that does not line up with the columns of a frame. */
static void
window_add (GstKMeansViz * self, const gfloat * rows, gsize n)
{
  guint d = self->info.dimensions;
  gsize i, run;

  if (n <= self->ring_cap) {
    for (i = 0; i < n; i++)
      window_push (self, rows + i * d);
    return;
  }
  run = n / self->ring_cap;
  for (i = 0; i < self->ring_cap; i++) {
    guint64 h = ++self->sampled * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);

    window_push (self, rows + (i * run + (h >> 33) % run) * d);
  }
}

static void
window_clear (GstKMeansViz * self)
{
  self->ring_len = self->ring_start = 0;
  if (self->pca)
    km_pca_reset (self->pca);
  self->content_valid = FALSE;
}

static void
free_window (GstKMeansViz * self)
{
  g_clear_pointer (&self->ring, g_free);
  g_clear_pointer (&self->idx, g_free);
  g_clear_pointer (&self->xy, g_free);
  g_clear_pointer (&self->origin, g_free);
  g_clear_pointer (&self->axes, g_free);
  g_clear_pointer (&self->pca, km_pca_free);
  self->ring_cap = 0;
  window_clear (self);
}

static void
free_paths (GstKMeansViz * self)
{
  g_clear_pointer (&self->paths, g_free);
  g_clear_pointer (&self->path_model, km_model_unref);
  self->path_cap = self->path_len = self->path_start = self->path_k = 0;
}

/* Room for max-points points of @d dimensions. */
static gboolean
allocate_window (GstKMeansViz * self, guint d)
{
  gsize cap = self->ring_limit;

  free_window (self);
  free_paths (self);
  if ((guint64) cap * d > KM_MAX_MODEL_FLOATS
      || (self->ring = g_try_new (gfloat, cap * d)) == NULL)
    goto too_large;
  self->idx = g_new (gint32, cap);
  self->xy = g_new (gfloat, 2 * cap);
  self->origin = g_new0 (gdouble, d);
  self->axes = g_new0 (gdouble, 2 * d);
  self->pca = km_pca_new (d);
  self->ring_cap = cap;
  return TRUE;

too_large:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("max-points %" G_GSIZE_FORMAT " is too large for %u-dimensional "
            "points.", cap, d),
        ("could not allocate %" G_GSIZE_FORMAT " x %u floats", cap, d));
    return FALSE;
  }
}

/* Appends the centers of a model version not seen yet to the paths; a
 * new K starts the paths over. */
static void
record_path (GstKMeansViz * self, KmModel * model)
{
  guint k = km_model_get_k (model), d = km_model_get_d (model);
  gsize row = (gsize) k * d, slot;

  if (model == self->path_model || self->path_limit < 2 || !self->have_info
      || d != self->info.dimensions)
    return;

  if (k != self->path_k || self->paths == NULL) {
    free_paths (self);
    self->path_cap = MIN (self->path_limit, MAX_PATH_FLOATS / row);
    if (self->path_cap < 2)
      return;
    self->paths = g_new (gfloat, self->path_cap * row);
    self->path_k = k;
  }
  if (self->path_len < self->path_cap) {
    slot = (self->path_start + self->path_len) % self->path_cap;
    self->path_len++;
  } else {
    slot = self->path_start;
    self->path_start = (self->path_start + 1) % self->path_cap;
  }
  memcpy (self->paths + slot * row, km_model_get_centers (model),
      row * sizeof (gfloat));
  g_clear_pointer (&self->path_model, km_model_unref);
  self->path_model = km_model_ref (model);
}

/* Makes @model (transfer full, may be NULL) the model drawn. */
static void
set_model (GstKMeansViz * self, KmModel * model)
{
  KmModel *old;

  GST_OBJECT_LOCK (self);
  old = self->model;
  self->model = model;
  GST_OBJECT_UNLOCK (self);

  if (old)
    km_model_unref (old);
  if (model) {
    GST_DEBUG_OBJECT (self, "model version %" G_GUINT64_FORMAT ": k=%u d=%u",
        km_model_get_version (model), km_model_get_k (model),
        km_model_get_d (model));
    record_path (self, model);
    self->pending = TRUE;
  }
}

/* ------------------------------------------------------------ a frame */

typedef struct
{
  gdouble fade;
  GstKMeansVizProjection projection;
  gboolean view_fixed;
  gdouble view[4];
  gfloat *true_centers;
  guint true_k;
  guint true_d;
  guint true_centers_serial;
} FrameSettings;

static void
take_frame_settings (GstKMeansViz * self, FrameSettings * fs)
{
  GST_OBJECT_LOCK (self);
  fs->fade = self->fade;
  fs->projection = self->projection;
  fs->view_fixed = self->view_fixed;
  memcpy (fs->view, self->view, sizeof (fs->view));
  fs->true_k = self->true_k;
  fs->true_d = self->true_d;
  fs->true_centers_serial = self->true_centers_serial;
  fs->true_centers = g_memdup2 (self->true_centers,
      (gsize) self->true_k * self->true_d * sizeof (gfloat));
  GST_OBJECT_UNLOCK (self);
}

static gint
legend_rows (gint scale)
{
  return scale * (3 * 10 + 4);
}

/* Nearest center of every point on screen; returns their loss. */
static gdouble
assign_window (GstKMeansViz * self, KmModel * model)
{
  guint d = self->info.dimensions;
  gsize first = MIN (self->ring_len, self->ring_cap - self->ring_start);
  gdouble loss;

  loss = km_model_assign (model, self->ring + self->ring_start * d, first,
      self->idx, NULL, self->ws);
  if (first < self->ring_len)
    loss += km_model_assign (model, self->ring, self->ring_len - first,
        self->idx + first, NULL, self->ws);
  return loss;
}

static void
prepare_colours (GstKMeansViz * self, guint k)
{
  guint i;

  if (k <= self->colours_k)
    return;
  self->colours = g_renew (KmVizRgb, self->colours, k);
  for (i = self->colours_k; i < k; i++)
    self->colours[i] = cluster_colour (i);
  self->colours_k = k;
}

/* Projects the window into xy and takes the bounds of everything the
 * automatic view must show. */
static void
project_all (GstKMeansViz * self, KmModel * model, const FrameSettings * fs,
    gdouble bounds[4])
{
  guint i, d = self->info.dimensions;
  gdouble x, y;
  gsize r;

  bounds[0] = bounds[2] = G_MAXDOUBLE;
  bounds[1] = bounds[3] = -G_MAXDOUBLE;
  for (r = 0; r < self->ring_len; r++) {
    project (self, window_row (self, r), &x, &y);
    self->xy[2 * r] = x;
    self->xy[2 * r + 1] = y;
    grow_bounds (bounds, x, y);
  }
  for (i = 0; model && i < km_model_get_k (model); i++) {
    project (self, km_model_get_centers (model) + (gsize) i * d, &x, &y);
    grow_bounds (bounds, x, y);
  }
  for (i = 0; fs->true_d == d && i < fs->true_k; i++) {
    project (self, fs->true_centers + (gsize) i * d, &x, &y);
    grow_bounds (bounds, x, y);
  }
}

static void
choose_view (GstKMeansViz * self, const FrameSettings * fs,
    const gdouble bounds[4], gint scale, View * view)
{
  static const gdouble unit_square[4] = { -1, 1, -1, 1 };

  view->width = self->out_width;
  view->height = self->out_height;
  if (fs->view_fixed) {
    view->x0 = fs->view[0];
    view->x1 = fs->view[1];
    view->y0 = fs->view[2];
    view->y1 = fs->view[3];
    return;
  }
  if (bounds[0] <= bounds[1])
    smooth_content (self, bounds);
  view_from_content (self->content_valid ? self->content : unit_square,
      legend_rows (scale), view);
}

static void
draw_points (GstKMeansViz * self, const KmVizCanvas * canvas, const View * view,
    KmModel * model, gdouble fade)
{
  gsize r, n = self->ring_len;
  gint px, py;

  for (r = 0; r < n; r++) {
    KmVizRgb colour = model ? self->colours[self->idx[r]] : no_model_colour;

    if (!to_pixel (view, self->xy[2 * r], self->xy[2 * r + 1], &px, &py))
      continue;
    /* Age 1 for the oldest point, 0 for the newest. */
    if (fade > 0 && n > 1)
      colour = km_viz_mix (colour, background, fade * (n - 1 - r) / (n - 1));
    km_viz_fill_rect (canvas, px, py, 2, 2, colour);
  }
}

static void
draw_paths (GstKMeansViz * self, const KmVizCanvas * canvas, const View * view)
{
  guint c, e, d = self->info.dimensions;
  gsize row = (gsize) self->path_k * d;

  for (c = 0; self->path_len > 1 && c < self->path_k; c++) {
    KmVizRgb colour = km_viz_mix (cluster_colour (c), background, 0.4);
    gint x0 = 0, y0 = 0, x1, y1;
    gboolean have_prev = FALSE;

    for (e = 0; e < self->path_len; e++) {
      const gfloat *p = self->paths +
          ((self->path_start + e) % self->path_cap) * row + (gsize) c * d;
      gdouble x, y;
      gboolean ok;

      project (self, p, &x, &y);
      ok = to_pixel (view, x, y, &x1, &y1);
      if (ok && have_prev)
        km_viz_draw_line (canvas, x0, y0, x1, y1, colour);
      have_prev = ok;
      x0 = x1;
      y0 = y1;
    }
  }
}

static void
draw_true_centers (GstKMeansViz * self, const KmVizCanvas * canvas,
    const View * view, const FrameSettings * fs, gint r)
{
  guint i, d = self->info.dimensions;
  gdouble x, y;
  gint px, py;

  if (fs->true_k == 0)
    return;
  if (fs->true_d != d) {
    if (self->warned_true_centers != fs->true_centers_serial) {
      self->warned_true_centers = fs->true_centers_serial;
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("true-centers have %u dimensions but the points %u: not drawn.",
              fs->true_d, d), (NULL));
    }
    return;
  }
  for (i = 0; i < fs->true_k; i++) {
    project (self, fs->true_centers + (gsize) i * d, &x, &y);
    if (to_pixel (view, x, y, &px, &py))
      km_viz_draw_ring (canvas, px, py, r + 4, r + 5, white);
  }
}

static void
draw_centers (GstKMeansViz * self, const KmVizCanvas * canvas,
    const View * view, KmModel * model, gint r)
{
  guint i, d = self->info.dimensions;
  gdouble x, y;
  gint px, py;

  for (i = 0; model && i < km_model_get_k (model); i++) {
    project (self, km_model_get_centers (model) + (gsize) i * d, &x, &y);
    if (to_pixel (view, x, y, &px, &py))
      km_viz_draw_marker (canvas, px, py, r, self->colours[i]);
  }
}

static void
draw_legend (GstKMeansViz * self, const KmVizCanvas * canvas, gint scale,
    KmModel * model, gdouble loss, GstKMeansVizProjection projection)
{
  guint i, k = model ? km_model_get_k (model) : 0, d = self->info.dimensions;
  gint pad = 2 * scale, line = 10 * scale, x, y = pad;
  gsize n = self->ring_len;
  gchar text[128];

  km_viz_darken_rows (canvas, legend_rows (scale), 90);

  if (model)
    g_snprintf (text, sizeof (text), "K %u  STEP %" G_GUINT64_FORMAT
        "  MODEL V%" G_GUINT64_FORMAT, k, km_model_get_step (model),
        km_model_get_version (model));
  else
    g_strlcpy (text, "NO MODEL YET", sizeof (text));
  km_viz_draw_text (canvas, pad, y, scale, text, text_colour);

  y += line;
  if (model && n > 0)
    g_snprintf (text, sizeof (text), "LOSS %.4g  MEAN %.4g  %" G_GSIZE_FORMAT
        " PTS", loss, loss / n, n);
  else
    g_snprintf (text, sizeof (text), "%" G_GSIZE_FORMAT " PTS", n);
  km_viz_draw_text (canvas, pad, y, scale, text, text_colour);

  y += line;
  x = pad;
  for (i = 0; i < MIN (k, SWATCHES_MAX); i++) {
    km_viz_fill_rect (canvas, x, y, 5 * scale, 7 * scale, self->colours[i]);
    g_snprintf (text, sizeof (text), "%u", i);
    x = km_viz_draw_text (canvas, x + 6 * scale, y, scale, text, text_colour);
    x += 3 * scale;
  }
  if (k > SWATCHES_MAX) {
    g_snprintf (text, sizeof (text), "+%u ", k - SWATCHES_MAX);
    x = km_viz_draw_text (canvas, x, y, scale, text, text_colour);
  }
  if (projection == GST_KMEANS_VIZ_PROJECTION_PCA)
    g_snprintf (text, sizeof (text), " PCA OF %u DIMS", d);
  else if (d > 1)
    g_snprintf (text, sizeof (text), " DIMS 0,1 OF %u", d);
  else
    g_strlcpy (text, " DIM 0 OF 1", sizeof (text));
  km_viz_draw_text (canvas, x, y, scale, text, text_colour);
}

static void
render_frame (GstKMeansViz * self, const FrameSettings * fs, KmModel * model,
    guint8 * data)
{
  KmVizCanvas canvas = { data, self->out_width, self->out_height,
    (gsize) self->out_width * 4
  };
  gint scale = MAX (1, MIN (self->out_width / 320, self->out_height / 240));
  gdouble loss = 0, bounds[4];
  View view;

  if (model) {
    record_path (self, model);
    prepare_colours (self, km_model_get_k (model));
    if (self->ring_len > 0)
      loss = assign_window (self, model);
  }
  if (fs->projection != self->last_projection)
    self->content_valid = FALSE;
  self->last_projection = fs->projection;
  if (fs->projection == GST_KMEANS_VIZ_PROJECTION_PCA) {
    update_pca (self);
  } else {
    set_first_two_axes (self);
    km_pca_reset (self->pca);
  }

  project_all (self, model, fs, bounds);
  choose_view (self, fs, bounds, scale, &view);

  km_viz_fill (&canvas, background);
  draw_points (self, &canvas, &view, model, fs->fade);
  draw_paths (self, &canvas, &view);
  draw_true_centers (self, &canvas, &view, fs, 3 * scale);
  draw_centers (self, &canvas, &view, model, 3 * scale);
  draw_legend (self, &canvas, scale, model, loss, fs->projection);
}

static GstFlowReturn
push_frame (GstKMeansViz * self, GstClockTime pts)
{
  GstBuffer *buf = NULL;
  FrameSettings fs;
  GstFlowReturn ret;
  GstMapInfo map;
  guint64 offset;

  ret = gst_buffer_pool_acquire_buffer (self->pool, &buf, NULL);
  if (ret != GST_FLOW_OK) {
    GST_DEBUG_OBJECT (self, "no buffer for a frame: %s",
        gst_flow_get_name (ret));
    return ret;
  }
  if (!gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not map a %ux%u frame for writing", self->out_width,
            self->out_height));
    return GST_FLOW_ERROR;
  }
  take_frame_settings (self, &fs);
  render_frame (self, &fs, self->model, map.data);
  g_free (fs.true_centers);
  gst_buffer_unmap (buf, &map);

  GST_OBJECT_LOCK (self);
  offset = self->frames++;
  GST_OBJECT_UNLOCK (self);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = self->frame_duration;
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + 1;
  self->pending = FALSE;

  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " at %" GST_TIME_FORMAT
      " with %" G_GSIZE_FORMAT " points", offset, GST_TIME_ARGS (pts),
      self->ring_len);
  return gst_pad_push (self->srcpad, buf);
}

/* ----------------------------------------------------------- streaming */

/* Frame times of a stream without timestamps: one frame after the other. */
static GstClockTime
untimed_frame_pts (GstKMeansViz * self)
{
  GstClockTime base = self->segment.format == GST_FORMAT_TIME ?
      self->segment.start : 0;

  return base + self->untimed_frames * self->frame_duration;
}

static GstFlowReturn
push_untimed_frame (GstKMeansViz * self)
{
  GstClockTime pts = untimed_frame_pts (self);

  self->untimed_frames++;
  return push_frame (self, pts);
}

/* Data at @ts arrived: when it is past the current frame interval, that
 * frame is complete and goes out (if anything changed in it), and the
 * interval holding @ts becomes the current one. */
static GstFlowReturn
advance_to (GstKMeansViz * self, GstClockTime ts)
{
  GstClockTime dur = self->frame_duration;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_frame_start) {
    self->frame_start = ts;
    self->have_frame_start = TRUE;
    return GST_FLOW_OK;
  }
  if (ts < self->frame_start + dur)
    return GST_FLOW_OK;
  if (self->pending)
    ret = push_frame (self, self->frame_start);
  self->frame_start += (ts - self->frame_start) / dur * dur;
  return ret;
}

/* With caps only: a replacement of another dimension is rejected. */
static void
poll_model_file (GstKMeansViz * self)
{
  KmModel *model = gst_kmeans_model_settings_poll (&self->model_settings,
      &self->model_file, GST_ELEMENT (self), self->info.dimensions, NULL);

  if (model)
    set_model (self, model);
}

static gboolean
check_model (GstKMeansViz * self)
{
  return self->model == NULL
      || gst_kmeans_model_check_in_force (GST_ELEMENT (self),
      &self->model_file, self->model, self->info.dimensions, NULL);
}

/* Applies the bad-input policy to what the reader reported.  Returns
 * FALSE after posting an error. */
static gboolean
handle_bad_input (GstKMeansViz * self, GstKMeansReadStatus status, gsize size)
{
  return gst_kmeans_points_handle_bad (GST_ELEMENT (self), &self->reader,
      &self->info, status, size, &self->model_settings.on_bad_input,
      &self->warned_bad_input, &self->model_settings.skipped_points);
}

static GstFlowReturn
take_points (GstKMeansViz * self, GstBuffer * buf)
{
  GstKMeansReadStatus status;
  const gfloat *rows;
  GstMapInfo map;
  gsize n = 0;

  if (!gst_kmeans_points_map_buffer (&self->info, buf, &map)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not map a buffer of %" G_GSIZE_FORMAT " bytes",
            gst_buffer_get_size (buf)));
    return GST_FLOW_ERROR;
  }
  rows = gst_kmeans_points_read_buffer (&self->reader, &self->info, buf,
      &map, &n, &status);
  if (status != GST_KMEANS_READ_OK
      && !handle_bad_input (self, status, map.size)) {
    gst_buffer_unmap (buf, &map);
    return GST_FLOW_ERROR;
  }
  if (n > 0) {
    window_add (self, rows, n);
    self->pending = TRUE;
  }
  gst_buffer_unmap (buf, &map);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_kmeans_viz_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (parent);
  GstClockTime ts = GST_BUFFER_PTS (buf);
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean timed;

  if (G_UNLIKELY (!self->have_info)) {
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  poll_model_file (self);
  if (!check_model (self)) {
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }

  timed = self->segment.format == GST_FORMAT_TIME
      && GST_CLOCK_TIME_IS_VALID (ts);
  if (timed)
    ret = advance_to (self, ts);
  if (ret == GST_FLOW_OK)
    ret = take_points (self, buf);
  gst_buffer_unref (buf);

  if (ret == GST_FLOW_OK && !timed)
    ret = push_untimed_frame (self);
  return ret;
}

static GstCaps *
src_caps_from_properties (GstKMeansViz * self)
{
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "RGBA",
      "width", G_TYPE_INT, (gint) self->width,
      "height", G_TYPE_INT, (gint) self->height,
      "framerate", GST_TYPE_FRACTION, self->fps_n, self->fps_d,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  GST_OBJECT_UNLOCK (self);
  return caps;
}

/* Announces the picture downstream and sets up the frames' pool. */
static gboolean
start_output (GstKMeansViz * self)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "RGBA",
      "width", G_TYPE_INT, (gint) self->out_width,
      "height", G_TYPE_INT, (gint) self->out_height,
      "framerate", GST_TYPE_FRACTION, self->out_fps_n, self->out_fps_d,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  GstStructure *config;

  self->pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (self->pool);
  gst_buffer_pool_config_set_params (config, caps,
      self->out_width * self->out_height * 4, 2, 0);
  if (!gst_buffer_pool_set_config (self->pool, config)
      || !gst_buffer_pool_set_active (self->pool, TRUE)) {
    gst_caps_unref (caps);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not set up a pool of %ux%u RGBA frames", self->out_width,
            self->out_height));
    return FALSE;
  }

  /* A refusal shows as not-negotiated on the first frame. */
  if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (caps)))
    GST_DEBUG_OBJECT (self, "downstream did not take %" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  self->caps_sent = TRUE;
  return TRUE;
}

static gboolean
set_sink_caps (GstKMeansViz * self, GstCaps * caps)
{
  GstKMeansPointsInfo info;
  GError *err = NULL;

  if (!gst_kmeans_points_info_from_caps (&info, caps, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Unsupported points format: %s", err->message),
        ("caps %" GST_PTR_FORMAT, caps));
    g_error_free (err);
    return FALSE;
  }
  if (!gst_kmeans_points_apply_columns (GST_ELEMENT (self), &info,
          &self->columns, caps))
    return FALSE;
  if (!self->have_info || info.dimensions != self->info.dimensions) {
    self->info = info;
    self->have_info = FALSE;
    if (!allocate_window (self, info.dimensions))
      return FALSE;
  }
  self->info = info;
  self->have_info = TRUE;
  GST_DEBUG_OBJECT (self, "drawing %u-dimensional points from %"
      GST_PTR_FORMAT, info.dimensions, caps);

  if (self->model)
    record_path (self, self->model);
  return self->caps_sent || start_output (self);
}

/* The frame still open when the stream ends. */
static void
push_last_frame (GstKMeansViz * self)
{
  GstFlowReturn ret;

  if (!self->pending || !self->caps_sent)
    return;
  if (self->have_frame_start)
    ret = push_frame (self, self->frame_start);
  else
    ret = push_untimed_frame (self);
  if (ret != GST_FLOW_OK)
    GST_DEBUG_OBJECT (self, "last frame: %s", gst_flow_get_name (ret));
}

static void
reset_timing (GstKMeansViz * self)
{
  self->have_frame_start = FALSE;
  self->untimed_frames = 0;
  self->pending = FALSE;
}

static gboolean
gst_kmeans_viz_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (parent);
  KmModel *model = NULL;
  gboolean ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      ret = set_sink_caps (self, caps);
      gst_event_unref (event);
      return ret;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      reset_timing (self);
      /* Frames are in time: other segments become a plain time one. */
      if (self->segment.format != GST_FORMAT_TIME) {
        GstSegment segment;

        gst_segment_init (&segment, GST_FORMAT_TIME);
        gst_event_unref (event);
        event = gst_event_new_segment (&segment);
      }
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_GAP:{
      GstClockTime ts;

      /* Time passed without points: the open frame is complete. */
      gst_event_parse_gap (event, &ts, NULL);
      if (self->have_info && self->segment.format == GST_FORMAT_TIME
          && GST_CLOCK_TIME_IS_VALID (ts))
        advance_to (self, ts);
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_EOS:
      push_last_frame (self);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      window_clear (self);
      reset_timing (self);
      return gst_pad_push_event (self->srcpad, event);
    default:
      break;
  }

  if (gst_kmeans_model_event_parse (event, &model)) {
    set_model (self, model);
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_kmeans_viz_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  /* Upstream buffers are read here, never passed on: downstream's
   * allocation (pools, video meta strides) is none of upstream's business. */
  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION)
    return FALSE;
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_kmeans_viz_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps = gst_pad_get_current_caps (pad);

      if (caps == NULL)
        caps = src_caps_from_properties (self);
      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);

        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_LATENCY:{
      GstClockTime min, max, dur;
      gboolean live;
      gint fps_n, fps_d;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      GST_OBJECT_LOCK (self);
      fps_n = self->fps_n;
      fps_d = self->fps_d;
      GST_OBJECT_UNLOCK (self);
      /* A frame leaves once data of the next interval arrives. */
      dur = gst_util_uint64_scale_int (GST_SECOND, fps_d, fps_n);
      gst_query_parse_latency (query, &live, &min, &max);
      gst_query_set_latency (query, live, min + dur,
          GST_CLOCK_TIME_IS_VALID (max) ? max + dur : max);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* --------------------------------------------------------- start / stop */

static void
release (GstKMeansViz * self)
{
  set_model (self, NULL);
  gst_kmeans_model_file_clear (&self->model_file);
  gst_kmeans_model_file_init (&self->model_file);
  gst_kmeans_points_reader_clear (&self->reader);
  gst_kmeans_points_reader_init (&self->reader);
  g_clear_pointer (&self->ws, km_workspace_free);
  free_window (self);
  free_paths (self);
  g_clear_pointer (&self->colours, g_free);
  self->colours_k = 0;
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  self->caps_sent = FALSE;
  self->have_info = FALSE;
  reset_timing (self);
}

static gboolean
start (GstKMeansViz * self)
{
  KmModel *model;

  GST_OBJECT_LOCK (self);
  self->out_width = self->width;
  self->out_height = self->height;
  self->out_fps_n = self->fps_n;
  self->out_fps_d = self->fps_d;
  self->ring_limit = self->max_points;
  self->path_limit = self->path_length;
  self->frames = 0;
  GST_OBJECT_UNLOCK (self);

  self->frame_duration = gst_util_uint64_scale_int (GST_SECOND,
      self->out_fps_d, self->out_fps_n);
  self->ws = km_workspace_new ();
  self->warned_bad_input = FALSE;
  self->warned_true_centers = G_MAXUINT;
  self->sampled = 0;
  self->last_projection = DEFAULT_PROJECTION;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  reset_timing (self);

  if (!gst_kmeans_model_settings_start (&self->model_settings,
          &self->model_file, GST_ELEMENT (self), &model)) {
    release (self);
    return FALSE;
  }
  if (model)
    set_model (self, model);
  return TRUE;
}

static GstStateChangeReturn
gst_kmeans_viz_change_state (GstElement * element, GstStateChange transition)
{
  GstKMeansViz *self = GST_KMEANS_VIZ (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      release (self);
      break;
    default:
      break;
  }
  return ret;
}

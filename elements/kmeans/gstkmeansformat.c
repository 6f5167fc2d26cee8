/* gst-kmeans: kmeans-format, k-means results as JSON or CSV text.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-kmeans-format
 * @title: kmeans-format
 *
 * kmeans-format writes k-means results as text, so that a subscriber (a
 * kmzmqsink peer, a file, a web client) can read them without knowing any C
 * struct: one JSON document per output buffer (`application/json`, each
 * document ending in a newline), or CSV rows (`text/csv`), as
 * #GstKMeansFormat:format says.  It also follows the model: the
 * `kmeans-model` events kmeans-train sends downstream (and kmeans-assign
 * forwards) become `model` documents, and the gst-kmeans messages that
 * reach it in-band (kmeans-score's `kmeans-score` events) become `score`
 * documents.  The JSON Schemas of every document are in schemas/.
 *
 * ## Input
 *
 * * `application/x-kmeans-assignments, clusters=K` (kmeans-assign
 *   output=assignments): 8-byte records, #gint32 cluster and #gfloat
 *   distance, little endian.
 * * `application/x-points, format={F32LE,F64LE}, dimensions=D`, or
 *   NNStreamer's `other/tensors` (a point stream, such as kmeans-assign
 *   output=distances or the output of kmeans-parse).
 *
 * A buffer that is not a whole number of records is bad input, handled as
 * #GstKMeansFormat:on-bad-input says.
 *
 * ## JSON documents
 *
 * Every document is one JSON object on one line.  Keys are the field names
 * with `_` for `-`.  Times are integers in nanoseconds, or `null` when
 * unknown (#GST_CLOCK_TIME_NONE).  Numbers are written with the fewest
 * digits that read back to the same float32 (or float64 for F64LE points
 * and #gdouble message fields); NaN and infinities, which JSON cannot
 * hold, are written `null`.
 *
 * `assignments`, one per assignments buffer, columnar:
 *
 * * #gchararray `type`: `"assignments"`.
 * * #GstClockTime `pts`, `duration`: of the buffer.
 * * #guint64 `model_version`: the version of the newest model seen in a
 *   `kmeans-model` event, or `null` before any.
 * * #guint `clusters`: K, from the caps.
 * * #guint `count`: N, the number of points.
 * * array of #gint `cluster`: each point's nearest center.
 * * array of #gfloat `distance`: each point's distance to it.
 *
 * `points`, one per point buffer, row-major (the form kmeans-parse
 * field=points reads back):
 *
 * * #gchararray `type`: `"points"`.
 * * #GstClockTime `pts`, `duration`.
 * * #guint64 `model_version`: as above (distances depend on the model).
 * * #guint `dimensions`: D.
 * * #guint `count`: N.
 * * array of arrays of #gdouble `points`: N rows of D values.
 *
 * `model`, when #GstKMeansFormat:emit-model is %TRUE and a `kmeans-model`
 * event brings a model other than the current one, as its own buffer just
 * before the next document (or at EOS), with that document's PTS:
 *
 * * #gchararray `type`: `"model"`.
 * * #GstClockTime `pts`.
 * * #guint64 `version`, `step`: the model version and training step.
 * * #guint `clusters`, `dimensions`: K and D.
 * * #gchararray `metric`: `"squared-euclidean"` or `"cosine"`.
 * * array of arrays of #gfloat `centers`: K rows of D values.
 * * array of #gdouble `counts`: the per-cluster counts (weights), or `null`
 *   when the model has none.
 *
 * When #GstKMeansFormat:emit-messages is %TRUE, a serialized custom
 * downstream event (sticky or not) whose structure is one of the
 * gst-kmeans bus messages becomes a document made of all its fields, with
 * the buffer PTS and duration taken from its `timestamp` and `duration`
 * fields when it has them.  kmeans-score's `kmeans-score` gives `type`
 * `"score"`: `timestamp`, `stream_time`, `running_time`, `duration`,
 * `num_points`, `skipped_points`, `score`, `mean`, `model_version`,
 * `cluster_counts`, `cluster_scores`, `final`.  The structures of kmeans-train's
 * `kmeans-train` (`"progress"`), `kmeans-checkpoint` (`"checkpoint"`),
 * `kmeans-initialized` (`"initialized"`) and `kmeans-converged`
 * (`"converged"`) messages, and kmeans-assign's `kmeans-model-loaded`
 * (`"model-loaded"`), are converted the same way.
 *
 * Bus messages do not flow downstream: an application converts them with
 * the #GstKMeansFormat::message-to-json action signal (or, in C,
 * gst_kmeans_format_message_to_json()) and publishes the text itself, for
 * example through an appsrc ! kmzmqsink branch.
 *
 * ## CSV
 *
 * With #GstKMeansFormat:format=csv each input buffer gives one output
 * buffer of rows, `pts,cluster,distance` for assignments or
 * `pts,x0,x1,...` for points, `pts` being the buffer PTS in nanoseconds
 * (empty when unknown) and non-finite values written `nan`, `inf` or
 * `-inf`.  When #GstKMeansFormat:csv-header is %TRUE a header line naming
 * these columns starts the stream, and again whenever the columns change
 * (new caps).  Model and message documents are JSON only: in CSV they are
 * not written.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=2 points-per-buffer=3 ! \
 *     kmeans-format ! fdsink
 * ]| Prints two `points` documents of three 2-dimensional points each.
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=20 points-per-buffer=8 ! \
 *     kmeans-train num-clusters=3 ! kmeans-assign ! kmeans-format ! fdsink
 * ]| Prints a `model` document each time the model changes, followed by
 * the `assignments` of the next buffer.
 * |[
 * gst-launch-1.0 kmeans-testsrc num-buffers=20 ! kmeans-train num-clusters=3 ! \
 *     kmeans-assign ! kmeans-format format=csv ! filesink location=/tmp/assignments.csv
 * ]| Writes every point's cluster and distance to a CSV file with a header
 * line.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstkmeansformat.h"
#include "kmeanselements.h"
#include "gstkmeansjson.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_format_debug);
#define GST_CAT_DEFAULT gst_kmeans_format_debug

typedef enum
{
  GST_KMEANS_FORMAT_OUTPUT_JSON,
  GST_KMEANS_FORMAT_OUTPUT_CSV
} GstKMeansFormatOutput;

#define DEFAULT_FORMAT GST_KMEANS_FORMAT_OUTPUT_JSON
#define DEFAULT_EMIT_MODEL TRUE
#define DEFAULT_EMIT_MESSAGES TRUE
#define DEFAULT_CSV_HEADER TRUE
#define DEFAULT_ON_BAD_INPUT GST_KMEANS_ON_BAD_INPUT_ERROR

enum
{
  PROP_0,
  PROP_FORMAT,
  PROP_EMIT_MODEL,
  PROP_EMIT_MESSAGES,
  PROP_CSV_HEADER,
  PROP_ON_BAD_INPUT,
  PROP_SKIPPED_BUFFERS
};

enum
{
  SIGNAL_MESSAGE_TO_JSON,
  LAST_SIGNAL
};

typedef enum
{
  INPUT_NONE,
  INPUT_ASSIGNMENTS,
  INPUT_POINTS
} InputKind;

struct _GstKMeansFormat
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Properties, under the object lock. */
  GstKMeansFormatOutput format;
  gboolean emit_model;
  gboolean emit_messages;
  gboolean csv_header;
  GstKMeansOnBadInput on_bad_input;
  guint64 skipped_buffers;      /* also written by the streaming thread */

  /* Streaming state, set up in READY->PAUSED. */
  GstKMeansFormatOutput out_format;
  gboolean out_csv_header;
  InputKind kind;
  guint clusters;               /* assignments: K */
  GstKMeansPointsInfo points;   /* points: D and sample format */
  gboolean header_due;          /* CSV: a header before the next rows */
  KmModel *model;               /* newest model seen, or NULL */
  gchar *metric;
  gboolean model_due;           /* a model document before the next one */
  gboolean caps_sent;
  gboolean discont;
};

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_ASSIGNMENTS_MEDIA_TYPE ", "
        "clusters = (int) [ 1, MAX ]; " GST_KMEANS_POINTS_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/json; text/csv"));

#define gst_kmeans_format_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansFormat, gst_kmeans_format,
    GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_format_debug, "kmeans-format", 0,
        "k-means results to JSON / CSV"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_format, "kmeans-format", GST_RANK_NONE,
    GST_TYPE_KMEANS_FORMAT);

#define GST_TYPE_KMEANS_FORMAT_OUTPUT (gst_kmeans_format_output_get_type ())
static GType
gst_kmeans_format_output_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_FORMAT_OUTPUT_JSON, "One JSON document per buffer "
          "(application/json)", "json"},
    {GST_KMEANS_FORMAT_OUTPUT_CSV, "CSV rows (text/csv)", "csv"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKMeansFormatOutput", values));
  return type;
}

static void gst_kmeans_format_finalize (GObject * object);
static void gst_kmeans_format_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_format_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kmeans_format_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_kmeans_format_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static GstFlowReturn gst_kmeans_format_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gchar *gst_kmeans_format_message_to_json_action (GstKMeansFormat *
    self, const GstStructure * s);

static void
gst_kmeans_format_class_init (GstKMeansFormatClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->set_property = gst_kmeans_format_set_property;
  gobject_class->get_property = gst_kmeans_format_get_property;
  gobject_class->finalize = gst_kmeans_format_finalize;

  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format",
          "Output text: one JSON document per buffer, or CSV rows",
          GST_TYPE_KMEANS_FORMAT_OUTPUT, DEFAULT_FORMAT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansFormat:emit-model:
   *
   * Emit a `model` document (JSON only) before the next document each time
   * a `kmeans-model` event brings a new model.
   */
  g_object_class_install_property (gobject_class, PROP_EMIT_MODEL,
      g_param_spec_boolean ("emit-model", "Emit model",
          "Emit a model document when a kmeans-model event brings a new "
          "model (JSON only)", DEFAULT_EMIT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstKMeansFormat:emit-messages:
   *
   * Emit a document (JSON only) for each in-band custom event carrying a
   * gst-kmeans message structure, such as kmeans-score's `kmeans-score`.
   */
  g_object_class_install_property (gobject_class, PROP_EMIT_MESSAGES,
      g_param_spec_boolean ("emit-messages", "Emit messages",
          "Emit a document for in-band kmeans-score (and other gst-kmeans "
          "message) events (JSON only)", DEFAULT_EMIT_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CSV_HEADER,
      g_param_spec_boolean ("csv-header", "CSV header",
          "CSV: start the stream, and every change of columns, with a "
          "header line", DEFAULT_CSV_HEADER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ON_BAD_INPUT,
      g_param_spec_enum ("on-bad-input", "On bad input",
          "What a buffer that is not a whole number of records does: stop "
          "with an error, or drop it (logged and counted in "
          "skipped-buffers)", GST_TYPE_KMEANS_ON_BAD_INPUT,
          DEFAULT_ON_BAD_INPUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SKIPPED_BUFFERS,
      g_param_spec_uint64 ("skipped-buffers", "Skipped buffers",
          "Bad input buffers dropped since the element started", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstKMeansFormat::message-to-json:
   * @format: the kmeans-format element
   * @structure: the structure of a gst-kmeans bus message or event
   *
   * Converts a gst-kmeans message structure (`kmeans-score`,
   * `kmeans-train`, `kmeans-checkpoint`, `kmeans-initialized`,
   * `kmeans-converged`, `kmeans-model-loaded`, `kmeans-model`) to the JSON
   * document kmeans-format would emit for it, so that an application can
   * publish bus messages.  Usable from any thread and any state.
   *
   * Returns: (transfer full) (nullable): the newline-terminated document,
   * or %NULL when the structure is not a gst-kmeans message.
   */
  signals[SIGNAL_MESSAGE_TO_JSON] =
      g_signal_new_class_handler ("message-to-json",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_kmeans_format_message_to_json_action), NULL, NULL,
      NULL, G_TYPE_STRING, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "K-means result formatter", "Formatter/Converter",
      "Writes k-means assignments, distances, points, models and scores as "
      "JSON documents or CSV rows", "gst-kmeans");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kmeans_format_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_FORMAT_OUTPUT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_format_init (GstKMeansFormat * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_format_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_format_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->format = DEFAULT_FORMAT;
  self->emit_model = DEFAULT_EMIT_MODEL;
  self->emit_messages = DEFAULT_EMIT_MESSAGES;
  self->csv_header = DEFAULT_CSV_HEADER;
  self->on_bad_input = DEFAULT_ON_BAD_INPUT;
}

static void
reset (GstKMeansFormat * self)
{
  self->kind = INPUT_NONE;
  self->clusters = 0;
  memset (&self->points, 0, sizeof (self->points));
  self->header_due = FALSE;
  g_clear_pointer (&self->model, km_model_unref);
  g_clear_pointer (&self->metric, g_free);
  self->model_due = FALSE;
  self->caps_sent = FALSE;
  self->discont = TRUE;
}

static void
gst_kmeans_format_finalize (GObject * object)
{
  reset (GST_KMEANS_FORMAT (object));
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_kmeans_format_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansFormat *self = GST_KMEANS_FORMAT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FORMAT:
      self->format = g_value_get_enum (value);
      break;
    case PROP_EMIT_MODEL:
      self->emit_model = g_value_get_boolean (value);
      break;
    case PROP_EMIT_MESSAGES:
      self->emit_messages = g_value_get_boolean (value);
      break;
    case PROP_CSV_HEADER:
      self->csv_header = g_value_get_boolean (value);
      break;
    case PROP_ON_BAD_INPUT:
      self->on_bad_input = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kmeans_format_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansFormat *self = GST_KMEANS_FORMAT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_EMIT_MODEL:
      g_value_set_boolean (value, self->emit_model);
      break;
    case PROP_EMIT_MESSAGES:
      g_value_set_boolean (value, self->emit_messages);
      break;
    case PROP_CSV_HEADER:
      g_value_set_boolean (value, self->csv_header);
      break;
    case PROP_ON_BAD_INPUT:
      g_value_set_enum (value, self->on_bad_input);
      break;
    case PROP_SKIPPED_BUFFERS:
      g_value_set_uint64 (value, self->skipped_buffers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_kmeans_format_change_state (GstElement * element, GstStateChange transition)
{
  GstKMeansFormat *self = GST_KMEANS_FORMAT (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    reset (self);
    GST_OBJECT_LOCK (self);
    self->out_format = self->format;
    self->out_csv_header = self->csv_header;
    self->skipped_buffers = 0;
    GST_OBJECT_UNLOCK (self);
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset (self);
  return ret;
}

/* ---------------------------------------------- message documents */

gchar *
gst_kmeans_format_message_to_json (const GstStructure * s)
{
  g_return_val_if_fail (s != NULL, NULL);

  /* The writer is shared with kmeans-score's eval-location. */
  return gst_kmeans_json_from_structure (s);
}

static gchar *
gst_kmeans_format_message_to_json_action (GstKMeansFormat * self,
    const GstStructure * s)
{
  if (s == NULL)
    return NULL;
  return gst_kmeans_format_message_to_json (s);
}

/* ------------------------------------------------- data documents */

static GString *
assignments_json (GstKMeansFormat * self, GstBuffer * buf,
    const guint8 * data, gsize n)
{
  GString *s = g_string_sized_new (256 + n * 28);
  gsize i;

  g_string_append (s, "{\"type\":\"assignments\",\"pts\":");
  gst_kmeans_json_time (s, GST_BUFFER_PTS (buf));
  g_string_append (s, ",\"duration\":");
  gst_kmeans_json_time (s, GST_BUFFER_DURATION (buf));
  g_string_append (s, ",\"model_version\":");
  gst_kmeans_json_model_version (s, self->model);
  g_string_append_printf (s, ",\"clusters\":%u,\"count\":%" G_GSIZE_FORMAT
      ",\"cluster\":[", self->clusters, n);
  for (i = 0; i < n; i++) {
    GstKMeansAssignment a;

    memcpy (&a, data + i * sizeof (a), sizeof (a));
    g_string_append_printf (s, i ? ",%d" : "%d", GINT32_FROM_LE (a.cluster));
  }
  g_string_append (s, "],\"distance\":[");
  for (i = 0; i < n; i++) {
    GstKMeansAssignment a;

    memcpy (&a, data + i * sizeof (a), sizeof (a));
    if (i)
      g_string_append_c (s, ',');
    gst_kmeans_json_number (s, a.distance, TRUE);
  }
  g_string_append (s, "]}\n");
  return s;
}

/* Value @j of row @r of a point buffer, as a double. */
static gdouble
point_value (const GstKMeansPointsInfo * info, const guint8 * data, gsize r,
    guint j)
{
  gsize index = r * info->dimensions + j;

  if (info->format == GST_KMEANS_SAMPLE_F64) {
    gdouble v;

    memcpy (&v, data + index * sizeof (v), sizeof (v));
    return v;
  } else {
    gfloat v;

    memcpy (&v, data + index * sizeof (v), sizeof (v));
    return v;
  }
}

static GString *
points_json (GstKMeansFormat * self, GstBuffer * buf, const guint8 * data,
    gsize n)
{
  const GstKMeansPointsInfo *info = &self->points;
  gboolean single = info->format == GST_KMEANS_SAMPLE_F32;
  GString *s = g_string_sized_new (256 + n * (info->dimensions + 1) * 14);
  gsize r;
  guint j;

  g_string_append (s, "{\"type\":\"points\",\"pts\":");
  gst_kmeans_json_time (s, GST_BUFFER_PTS (buf));
  g_string_append (s, ",\"duration\":");
  gst_kmeans_json_time (s, GST_BUFFER_DURATION (buf));
  g_string_append (s, ",\"model_version\":");
  gst_kmeans_json_model_version (s, self->model);
  g_string_append_printf (s, ",\"dimensions\":%u,\"count\":%" G_GSIZE_FORMAT
      ",\"points\":[", info->dimensions, n);
  for (r = 0; r < n; r++) {
    g_string_append (s, r ? ",[" : "[");
    for (j = 0; j < info->dimensions; j++) {
      if (j)
        g_string_append_c (s, ',');
      gst_kmeans_json_number (s, point_value (info, data, r, j), single);
    }
    g_string_append_c (s, ']');
  }
  g_string_append (s, "]}\n");
  return s;
}

/* ------------------------------------------------------ CSV writing */

static void
csv_number (GString * s, gdouble v, gboolean single)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    g_string_append (s, "nan");
  else if (isinf (v))
    g_string_append (s, v > 0 ? "inf" : "-inf");
  else
    g_string_append (s, gst_kmeans_json_format_number (buf, v, single));
}

static void
csv_header (GstKMeansFormat * self, GString * s)
{
  guint j;

  if (self->kind == INPUT_ASSIGNMENTS) {
    g_string_append (s, "pts,cluster,distance\n");
    return;
  }
  g_string_append (s, "pts");
  for (j = 0; j < self->points.dimensions; j++)
    g_string_append_printf (s, ",x%u", j);
  g_string_append_c (s, '\n');
}

static GString *
csv_rows (GstKMeansFormat * self, GstBuffer * buf, const guint8 * data, gsize n)
{
  guint d = self->kind == INPUT_ASSIGNMENTS ? 2 : self->points.dimensions;
  gboolean single = self->points.format == GST_KMEANS_SAMPLE_F32;
  GString *s = g_string_sized_new (64 + n * (d + 2) * 14);
  gchar pts[24] = "";
  gsize r;
  guint j;

  if (self->header_due) {
    csv_header (self, s);
    self->header_due = FALSE;
  }
  if (GST_BUFFER_PTS_IS_VALID (buf))
    g_snprintf (pts, sizeof (pts), "%" G_GUINT64_FORMAT, GST_BUFFER_PTS (buf));

  for (r = 0; r < n; r++) {
    g_string_append (s, pts);
    if (self->kind == INPUT_ASSIGNMENTS) {
      GstKMeansAssignment a;

      memcpy (&a, data + r * sizeof (a), sizeof (a));
      g_string_append_printf (s, ",%d,", GINT32_FROM_LE (a.cluster));
      csv_number (s, a.distance, TRUE);
    } else {
      for (j = 0; j < d; j++) {
        g_string_append_c (s, ',');
        csv_number (s, point_value (&self->points, data, r, j), single);
      }
    }
    g_string_append_c (s, '\n');
  }
  return s;
}

/* ------------------------------------------------------------ output */

static gboolean
send_caps (GstKMeansFormat * self)
{
  GstCaps *caps;
  gboolean ok;

  if (self->caps_sent)
    return TRUE;
  caps = gst_caps_new_empty_simple (self->out_format ==
      GST_KMEANS_FORMAT_OUTPUT_CSV ? "text/csv" : "application/json");
  ok = gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  self->caps_sent = ok;
  if (!ok)
    GST_WARNING_OBJECT (self, "downstream refused %s",
        self->out_format == GST_KMEANS_FORMAT_OUTPUT_CSV ? "text/csv" :
        "application/json");
  return ok;
}

/* Hands @text over to a buffer, without copying it, and pushes it. */
static GstFlowReturn
push_text (GstKMeansFormat * self, GString * text, GstClockTime pts,
    GstClockTime duration)
{
  gsize len = text->len, alloc = text->allocated_len;
  gchar *data = g_string_free (text, FALSE);
  GstBuffer *buf;

  if (!send_caps (self)) {
    g_free (data);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  buf = gst_buffer_new_wrapped_full (0, data, alloc, 0, len, data, g_free);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  return gst_pad_push (self->srcpad, buf);
}

static gboolean
json_output (GstKMeansFormat * self)
{
  return self->out_format == GST_KMEANS_FORMAT_OUTPUT_JSON;
}

/* The model document that waits for the next document. */
static GstFlowReturn
push_due_model (GstKMeansFormat * self, GstClockTime pts)
{
  gboolean emit;

  if (!self->model_due)
    return GST_FLOW_OK;
  self->model_due = FALSE;

  GST_OBJECT_LOCK (self);
  emit = self->emit_model;
  GST_OBJECT_UNLOCK (self);
  if (!emit || !json_output (self) || self->model == NULL)
    return GST_FLOW_OK;

  GST_DEBUG_OBJECT (self, "model document, version %" G_GUINT64_FORMAT,
      km_model_get_version (self->model));
  return push_text (self, gst_kmeans_json_model_document (self->model,
          self->metric, pts), pts, GST_CLOCK_TIME_NONE);
}

static GstFlowReturn
bad_buffer (GstKMeansFormat * self, gsize size, gsize record)
{
  GstKMeansOnBadInput policy;
  guint64 count = 0;

  GST_OBJECT_LOCK (self);
  policy = self->on_bad_input;
  if (policy == GST_KMEANS_ON_BAD_INPUT_SKIP)
    count = ++self->skipped_buffers;
  GST_OBJECT_UNLOCK (self);

  if (policy == GST_KMEANS_ON_BAD_INPUT_ERROR) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("A buffer does not hold a whole number of records."),
        ("%" G_GSIZE_FORMAT " bytes is not a multiple of the %" G_GSIZE_FORMAT
            "-byte record", size, record));
    return GST_FLOW_ERROR;
  }
  GST_WARNING_OBJECT (self, "dropping a buffer of %" G_GSIZE_FORMAT
      " bytes, not a multiple of the %" G_GSIZE_FORMAT "-byte record", size,
      record);
  if (count == 1)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropping buffers that do not hold a whole number of records."),
        ("%" G_GSIZE_FORMAT " bytes is not a multiple of the %" G_GSIZE_FORMAT
            "-byte record; further drops are only logged and counted in "
            "skipped-buffers", size, record));
  self->discont = TRUE;
  return GST_FLOW_OK;
}

static gsize
record_size (GstKMeansFormat * self)
{
  if (self->kind == INPUT_ASSIGNMENTS)
    return sizeof (GstKMeansAssignment);
  return (gsize) self->points.dimensions *
      (self->points.format == GST_KMEANS_SAMPLE_F64 ? 8 : 4);
}

static GstFlowReturn
gst_kmeans_format_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKMeansFormat *self = GST_KMEANS_FORMAT (parent);
  GstFlowReturn ret;
  GstMapInfo map;
  GString *text;
  gsize record, n;

  if (self->kind == INPUT_NONE) {
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL),
        ("could not map a buffer of %" G_GSIZE_FORMAT " bytes",
            gst_buffer_get_size (buf)));
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }

  record = record_size (self);
  if (map.size % record != 0) {
    ret = bad_buffer (self, map.size, record);
    goto done;
  }
  n = map.size / record;

  ret = push_due_model (self, GST_BUFFER_PTS (buf));
  if (ret != GST_FLOW_OK)
    goto done;

  if (!json_output (self))
    text = csv_rows (self, buf, map.data, n);
  else if (self->kind == INPUT_ASSIGNMENTS)
    text = assignments_json (self, buf, map.data, n);
  else
    text = points_json (self, buf, map.data, n);

  if (text->len == 0) {
    g_string_free (text, TRUE);
  } else {
    ret = push_text (self, text, GST_BUFFER_PTS (buf),
        GST_BUFFER_DURATION (buf));
  }

done:
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return ret;
}

/* ------------------------------------------------------------ events */

static gboolean
set_sink_caps (GstKMeansFormat * self, GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  InputKind old_kind = self->kind;
  guint old_columns = self->kind == INPUT_ASSIGNMENTS ? 0 :
      self->points.dimensions;
  GError *err = NULL;

  GST_DEBUG_OBJECT (self, "sink caps %" GST_PTR_FORMAT, caps);
  if (gst_structure_has_name (s, GST_KMEANS_ASSIGNMENTS_MEDIA_TYPE)) {
    gint k = 0;

    if (!gst_structure_get_int (s, "clusters", &k) || k < 1) {
      GST_WARNING_OBJECT (self, "assignments caps without clusters");
      return FALSE;
    }
    self->kind = INPUT_ASSIGNMENTS;
    self->clusters = k;
    self->points.format = GST_KMEANS_SAMPLE_F32;
  } else if (gst_kmeans_points_info_from_caps (&self->points, caps, &err)) {
    self->kind = INPUT_POINTS;
  } else {
    GST_WARNING_OBJECT (self, "refusing caps: %s", err->message);
    g_clear_error (&err);
    return FALSE;
  }

  if (self->kind != old_kind || (self->kind == INPUT_POINTS
          && self->points.dimensions != old_columns))
    self->header_due = self->out_csv_header;
  return send_caps (self);
}

/* A new model in force; its document waits for the next buffer. */
static void
take_model (GstKMeansFormat * self, GstEvent * event, KmModel * model)
{
  const GstStructure *s = gst_event_get_structure (event);

  if (model == self->model) {
    km_model_unref (model);
    return;
  }
  GST_DEBUG_OBJECT (self, "model version %" G_GUINT64_FORMAT,
      km_model_get_version (model));
  g_clear_pointer (&self->model, km_model_unref);
  self->model = model;
  g_free (self->metric);
  self->metric = g_strdup (gst_structure_get_string (s, "metric"));
  self->model_due = TRUE;
}

static GstFlowReturn
push_message_document (GstKMeansFormat * self, const GstStructure * s,
    const gchar * type)
{
  GstClockTime pts = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  gboolean emit;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  emit = self->emit_messages;
  GST_OBJECT_UNLOCK (self);
  if (!emit || !json_output (self))
    return GST_FLOW_OK;

  gst_structure_get_uint64 (s, "timestamp", &pts);
  gst_structure_get_uint64 (s, "duration", &duration);
  ret = push_due_model (self, pts);
  if (ret != GST_FLOW_OK)
    return ret;
  return push_text (self, gst_kmeans_json_message_document (s, type), pts,
      duration);
}

static gboolean
gst_kmeans_format_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKMeansFormat *self = GST_KMEANS_FORMAT (parent);
  KmModel *model = NULL;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = set_sink_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM:
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:{
      const GstStructure *s = gst_event_get_structure (event);
      const gchar *type = s ? gst_kmeans_json_message_type (s) : NULL;

      if (gst_kmeans_model_event_parse (event, &model))
        take_model (self, event, model);
      else if (type != NULL)
        push_message_document (self, s, type);
      break;
    }
    case GST_EVENT_EOS:
      push_due_model (self, GST_CLOCK_TIME_NONE);
      break;
    case GST_EVENT_FLUSH_STOP:
      self->discont = TRUE;
      break;
    default:
      break;
  }

  /* Our caps go before any other sticky event but stream-start. */
  if (GST_EVENT_IS_STICKY (event) && !self->caps_sent
      && GST_EVENT_TYPE (event) != GST_EVENT_STREAM_START
      && GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    send_caps (self);
  return gst_pad_event_default (pad, parent, event);
}

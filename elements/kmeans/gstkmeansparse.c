/* gst-kmeans: kmeans-parse, text records (CSV or JSON) to points.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-kmeans-parse
 * @title: kmeans-parse
 *
 * kmeans-parse reads points written as text, CSV or JSON, and outputs them
 * as a point stream, `application/x-points, format=F32LE, dimensions=D`
 * (or F64LE, see #GstKMeansParse:output-format), ready for kmeans-train,
 * kmeans-assign or kmeans-score.  Each input buffer gives at most one
 * output buffer holding all the points read from it.
 *
 * ## Input
 *
 * Caps `text/csv`, `application/json`, `text/x-raw, format=utf8` or
 * `application/octet-stream` (what an untyped source such as filesrc or
 * kmzmqsrc without caps negotiates).  #GstKMeansParse:format says how to read
 * the text; with `auto` (the default) `text/csv` is CSV, `application/json`
 * is JSON, and for the other two the first non-blank record decides: one
 * starting with `[` or `{` makes the stream JSON, anything else CSV.
 *
 * #GstKMeansParse:mode says how the text is cut into records:
 *
 * * `message` (default): every buffer is one whole message, as kmzmqsrc
 *   delivers them.  A JSON message is one JSON document; a CSV message
 *   holds one or more lines.  Nothing is carried from one buffer to the
 *   next.
 * * `lines`: the buffers are a byte stream (a file, a pipe, a TCP
 *   connection) cut anywhere; every line, ending in `\n` (a `\r` before it
 *   is dropped), is one record: a CSV line or a JSON document (JSON Lines).
 *   A line split across buffers is put back together; the last line needs
 *   no newline at EOS.  A line longer than #GstKMeansParse:max-line-length
 *   is malformed and skipped up to the next newline, so a stream without
 *   newlines cannot exhaust memory.
 *
 * Blank lines and empty messages hold no record and are ignored.  A UTF-8
 * byte-order mark (EF BB BF), which some editors and spreadsheets write,
 * is dropped at the start of the stream (`lines`) or of each message
 * (`message`); anywhere else it is text, and makes its record malformed.
 *
 * ## CSV
 *
 * Fields are separated by #GstKMeansParse:delimiter (`,` by default) and
 * may be enclosed in double quotes (`""` inside quotes is one quote; a
 * quoted field cannot span lines).  Spaces around fields are ignored.
 * Numbers are read in the C locale (`.` as the decimal point, an optional
 * exponent).
 *
 * A header line names the columns.  With #GstKMeansParse:header=auto the
 * first line of the stream (in `lines` mode) or of each message (in
 * `message` mode) is a header when none of its fields is a number; `present`
 * and `absent` force it.  A `message` that is a single line without numbers
 * is not taken for a header with header=auto unless #GstKMeansParse:columns
 * are names (it then names them for the messages to come): it is a
 * malformed record, so that text that is not CSV is counted, not dropped
 * unseen.
 *
 * #GstKMeansParse:columns chooses the point's coordinates, in order: a
 * comma-separated list of 0-based column indices (`2,0`) or of header names
 * (`x,y`), not mixed.  Names need a header; in `message` mode the newest
 * header seen is used.  Empty (the default) takes every column that holds
 * a number in the first accepted line, so a text column such as a label is
 * left out; from then on every line must have that many fields with
 * numbers in those columns.
 *
 * ## JSON
 *
 * A record is one JSON document (in `lines` mode one per line).  These
 * forms are read (the JSON Schema is schemas/parse-input.schema.json):
 *
 * * one point, an array of numbers: `[0.5, 1.5]`;
 * * several points, an array of arrays: `[[0.5, 1.5], [2, 3]]`;
 * * an object whose member #GstKMeansParse:field (default `point`) holds one
 *   point or an array of points: `{"point": [0.5, 1.5], "id": 7}`, or with
 *   field=points, what kmeans-format emits: `{"type": "points", ...,
 *   "points": [[0.5, 1.5], [2, 3]]}`;
 * * an array of such objects: `[{"point": [0.5, 1.5]}, {"point": [2, 3]}]`.
 *
 * #GstKMeansParse:columns given as indices picks elements of each point
 * array; given as names it builds each point from those members of the
 * object instead (`{"x": 0.5, "y": 1.5}` with columns=x,y).  Documents
 * nested more than 32 levels deep, holding more than one top-level value,
 * with integers beyond 18 digits (write them with an exponent) or with
 * more values than #GstKMeansParse:max-values are malformed.
 *
 * Memory stays near the size of the text.  A document larger than 64 KiB
 * is never built whole as a tree (json-glib's costs about 100 bytes a
 * value): once the whole text is checked to be valid JSON, it is read a
 * member at a time (each point of a list, each member of an object), so a
 * syntax error anywhere still makes the whole document one malformed
 * record, with no point read from it.  One 64 MiB message of dense 3-D
 * points (`[[1,2,3],...]`) peaks at 2.5 times its size over the process's
 * baseline: the message and its float32 points (bench/parse_rss.py).
 *
 * JSON needs json-glib.  A kmeans-parse built without it (meson option
 * `json`) reads CSV only: with format=json it fails to start, and JSON
 * met while running (`application/json` caps, or with format=auto a first
 * record starting with `[` or `{`) stops the stream with an error saying
 * the plugin was built without JSON support.
 *
 * ## Output
 *
 * The point dimension D is #GstKMeansParse:dimensions, or, when that is 0,
 * the width of the first accepted point; the caps are sent then (and the
 * segment and other sticky events, held back until them).  A buffer keeps
 * the PTS, DTS and duration of its input buffer (in `lines` mode: the PTS
 * of the buffer in which the line of its first point began, and no
 * duration); its offset and offset-end count points since the element
 * started.  An input buffer without any accepted point gives no output.
 *
 * ## Malformed records
 *
 * A record is malformed when it is not valid UTF-8, does not parse, has a
 * field that is not a number, a value that is NaN, infinite or beyond the
 * range of the output format (`nan`, `inf`, `1e999`, or `1e39` for F32LE),
 * or a width other than D, and a JSON document with more values than
 * #GstKMeansParse:max-values.  In a JSON array of points each point is a
 * record of its own.  Nothing is dropped unseen: a record that is not a
 * point, a header, blank, or an empty message or JSON array is malformed.
 * Records come from outside, so with #GstKMeansParse:on-bad-input=skip
 * (the default) a malformed one is left out, logged and counted in
 * #GstKMeansParse:malformed-records, the first one also posting a warning
 * message, and the stream goes on; `error` is the strict choice: the first
 * one stops the stream with an error.  Garbage never crashes the element:
 * binary bytes, invalid UTF-8, huge numbers, deep nesting and empty
 * messages are all just malformed (or empty) records.
 *
 * ## Example launch lines
 * |[
 * printf 'x,y\n1.5,2\n3,4.25\n' > /tmp/points.csv
 * gst-launch-1.0 filesrc location=/tmp/points.csv ! text/csv ! \
 *     kmeans-parse mode=lines ! fakesink dump=true
 * ]| Reads a CSV file with a header line and dumps two 2-dimensional float32
 * points.
 * |[
 * printf '{"id":1,"features":[1,2]}\n{"id":2,"features":[[3,4],[5,6]]}\n' > /tmp/points.jsonl
 * gst-launch-1.0 filesrc location=/tmp/points.jsonl ! \
 *     kmeans-parse mode=lines format=json field=features output-format=F64LE ! \
 *     kmeans-format ! fdsink
 * ]| Reads JSON Lines whose `features` member holds one point or several,
 * and prints them back as kmeans-format `points` documents.
 * |[
 * printf 'id,label,x,y\n1,a,1.5,2\n2,b,oops,3\n3,a,4,4.5\n' > /tmp/labelled.csv
 * gst-launch-1.0 -m filesrc location=/tmp/labelled.csv ! \
 *     kmeans-parse mode=lines columns=y,x on-bad-input=skip ! \
 *     kmeans-format format=csv ! fdsink
 * ]| Takes the columns named y and x, in that order, skips the line whose x
 * is not a number (posting one warning message) and prints the points as
 * CSV.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <gst/base/gstadapter.h>

#include "gstkmeansparse.h"
#include "kmcsvreader.h"
#ifdef HAVE_JSON_GLIB
#include "kmjsonreader.h"
#endif
#include "kmeanselements.h"

GST_DEBUG_CATEGORY_STATIC (gst_kmeans_parse_debug);
#define GST_CAT_DEFAULT gst_kmeans_parse_debug

typedef enum
{
  GST_KMEANS_PARSE_FORMAT_AUTO,
  GST_KMEANS_PARSE_FORMAT_CSV,
  GST_KMEANS_PARSE_FORMAT_JSON
} GstKMeansParseFormat;

typedef enum
{
  GST_KMEANS_PARSE_MODE_MESSAGE,
  GST_KMEANS_PARSE_MODE_LINES
} GstKMeansParseMode;

typedef enum
{
  GST_KMEANS_PARSE_HEADER_AUTO,
  GST_KMEANS_PARSE_HEADER_PRESENT,
  GST_KMEANS_PARSE_HEADER_ABSENT
} GstKMeansParseHeader;

#define DEFAULT_FORMAT GST_KMEANS_PARSE_FORMAT_AUTO
#define DEFAULT_MODE GST_KMEANS_PARSE_MODE_MESSAGE
#define DEFAULT_HEADER GST_KMEANS_PARSE_HEADER_AUTO
#define DEFAULT_COLUMNS NULL
#define DEFAULT_FIELD "point"
#define DEFAULT_DELIMITER ","
#define DEFAULT_DIMENSIONS 0
#define DEFAULT_OUTPUT_FORMAT GST_KMEANS_SAMPLE_F32
#define DEFAULT_MAX_LINE_LENGTH (1024 * 1024)
/* About as many values as a message of kmzmqsrc's default
 * max-message-size (64 MiB) can hold: the time one message takes grows with
 * its values, whatever its size. */
#define DEFAULT_MAX_VALUES (1u << 25)
/* Records come from outside: a malformed one is counted, not fatal. */
#define DEFAULT_ON_BAD_INPUT GST_KMEANS_ON_BAD_INPUT_SKIP

#define MIN_MAX_LINE_LENGTH 16

enum
{
  PROP_0,
  PROP_FORMAT,
  PROP_MODE,
  PROP_HEADER,
  PROP_COLUMNS,
  PROP_FIELD,
  PROP_DELIMITER,
  PROP_DIMENSIONS,
  PROP_OUTPUT_FORMAT,
  PROP_MAX_LINE_LENGTH,
  PROP_MAX_VALUES,
  PROP_ON_BAD_INPUT,
  PROP_PARSED_POINTS,
  PROP_MALFORMED_RECORDS
};

/* What the properties say; copied for the streaming thread at start. */
typedef struct
{
  GstKMeansParseFormat format;
  GstKMeansParseMode mode;
  GstKMeansParseHeader header;
  gchar *columns;
  gchar *field;
  gchar *delimiter;
  guint dimensions;
  GstKMeansSampleFormat output_format;
  guint max_line_length;
  guint max_values;
} Settings;

struct _GstKMeansParse
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Properties, under the object lock. */
  Settings props;
  GstKMeansOnBadInput on_bad_input;
  guint64 parsed_points;        /* also written by the streaming thread */
  guint64 malformed_records;

  /* Streaming state, set up in READY->PAUSED. */
  Settings cfg;
  gchar delimiter;
  KmColumns cols;               /* shared by both readers */
  GstKMeansParseFormat caps_format;     /* what the sink caps say */
  GstKMeansParseFormat format;  /* in force; AUTO until sniffed */
  KmCsvReader *csv;
#ifdef HAVE_JSON_GLIB
  KmJsonReader *json;
#endif
  GstFlowReturn flow;           /* what the sink callbacks last returned */
  guint d;                      /* 0 until the first accepted point */
  gboolean caps_sent;
  GQueue held_events;           /* sticky events waiting for our caps */
  GstAdapter *adapter;          /* lines mode: the unfinished line */
  gboolean skipping_line;       /* dropping an over-long line */
  gboolean stream_start;        /* lines mode: no line of the stream yet */
  guint8 *out;                  /* points of the output buffer being made */
  gsize out_len;
  gsize out_alloc;
  GstClockTime out_pts;
  gboolean discont;
  guint64 record;               /* records seen, for messages */
  guint64 points_out;           /* offset of the next output point */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/octet-stream; text/csv; application/json; "
        "text/x-raw, format = (string) utf8"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KMEANS_POINTS_CAPS));

#define gst_kmeans_parse_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKMeansParse, gst_kmeans_parse, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_kmeans_parse_debug, "kmeans-parse", 0,
        "CSV / JSON text to points"));
GST_ELEMENT_REGISTER_DEFINE (kmeans_parse, "kmeans-parse", GST_RANK_NONE,
    GST_TYPE_KMEANS_PARSE);

/* ------------------------------------------------------------ enum types */

#define GST_TYPE_KMEANS_PARSE_FORMAT (gst_kmeans_parse_format_get_type ())
static GType
gst_kmeans_parse_format_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_PARSE_FORMAT_AUTO, "From the caps, else from the first "
          "record ([ or { is JSON)", "auto"},
    {GST_KMEANS_PARSE_FORMAT_CSV, "Comma-separated values", "csv"},
    {GST_KMEANS_PARSE_FORMAT_JSON, "JSON documents", "json"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKMeansParseFormat", values));
  return type;
}

#define GST_TYPE_KMEANS_PARSE_MODE (gst_kmeans_parse_mode_get_type ())
static GType
gst_kmeans_parse_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_PARSE_MODE_MESSAGE, "Every buffer is one whole message",
        "message"},
    {GST_KMEANS_PARSE_MODE_LINES, "A byte stream of newline-terminated "
          "records, cut anywhere", "lines"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKMeansParseMode", values));
  return type;
}

#define GST_TYPE_KMEANS_PARSE_HEADER (gst_kmeans_parse_header_get_type ())
static GType
gst_kmeans_parse_header_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_PARSE_HEADER_AUTO, "The first line is a header when none "
          "of its fields is a number", "auto"},
    {GST_KMEANS_PARSE_HEADER_PRESENT, "The first line is a header",
        "present"},
    {GST_KMEANS_PARSE_HEADER_ABSENT, "There is no header line", "absent"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKMeansParseHeader", values));
  return type;
}

#define GST_TYPE_KMEANS_PARSE_OUTPUT_FORMAT \
    (gst_kmeans_parse_output_format_get_type ())
static GType
gst_kmeans_parse_output_format_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KMEANS_SAMPLE_F32, "32-bit float, little endian", "F32LE"},
    {GST_KMEANS_SAMPLE_F64, "64-bit float, little endian", "F64LE"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKMeansParseOutputFormat", values));
  return type;
}

/* ------------------------------------------------------- forward decls */

static void gst_kmeans_parse_finalize (GObject * object);
static void gst_kmeans_parse_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kmeans_parse_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kmeans_parse_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_kmeans_parse_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_kmeans_parse_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static GstFlowReturn gst_kmeans_parse_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static void make_readers (GstKMeansParse * self);
static void free_readers (GstKMeansParse * self);

/* ---------------------------------------------------------- class setup */

static void
gst_kmeans_parse_class_init (GstKMeansParseClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->set_property = gst_kmeans_parse_set_property;
  gobject_class->get_property = gst_kmeans_parse_get_property;
  gobject_class->finalize = gst_kmeans_parse_finalize;

  /**
   * GstKMeansParse:format:
   *
   * How to read the text: `csv`, `json`, or `auto` to follow the caps
   * (text/csv, application/json) or, for text/x-raw and
   * application/octet-stream, the first non-blank record.
   */
  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format",
          "Text format of the records (auto: from the caps, else JSON when "
          "the first record starts with [ or {, CSV otherwise)",
          GST_TYPE_KMEANS_PARSE_FORMAT, DEFAULT_FORMAT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:mode:
   *
   * `message`: each buffer is one whole message (one JSON document, or
   * CSV lines).  `lines`: the input is a byte stream of newline-terminated
   * records that may be cut anywhere.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "How buffers hold records: one whole message per buffer, or a "
          "stream of lines cut anywhere", GST_TYPE_KMEANS_PARSE_MODE,
          DEFAULT_MODE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:header:
   *
   * Whether the first CSV line of the stream (lines mode) or of each
   * message (message mode) names the columns.
   */
  g_object_class_install_property (gobject_class, PROP_HEADER,
      g_param_spec_enum ("header", "Header",
          "CSV header line: auto (a first line without numbers), present "
          "or absent", GST_TYPE_KMEANS_PARSE_HEADER, DEFAULT_HEADER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:columns:
   *
   * Comma-separated 0-based column indices or header names (not mixed)
   * making up each point, in order.  For JSON, indices pick elements of
   * point arrays and names pick members of objects.  Empty: every column
   * holding a number in the first accepted CSV line, or the whole JSON
   * array.
   */
  g_object_class_install_property (gobject_class, PROP_COLUMNS,
      g_param_spec_string ("columns", "Columns",
          "Comma-separated column indices (0-based) or header names that "
          "make up a point (empty: every numeric column)", DEFAULT_COLUMNS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:field:
   *
   * For JSON objects: the member holding the point (an array of numbers)
   * or points (an array of arrays).
   */
  g_object_class_install_property (gobject_class, PROP_FIELD,
      g_param_spec_string ("field", "Field",
          "JSON object member holding the point or array of points",
          DEFAULT_FIELD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:delimiter:
   *
   * The CSV field separator: one ASCII character other than a double
   * quote, `\r` or `\n`.  `\t` (backslash, t) or `tab` mean a tab.
   */
  g_object_class_install_property (gobject_class, PROP_DELIMITER,
      g_param_spec_string ("delimiter", "Delimiter",
          "CSV field separator, one ASCII character (\\t or tab for a tab)",
          DEFAULT_DELIMITER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:dimensions:
   *
   * The point dimension D.  0 learns it from the first accepted point;
   * either way points of another width are malformed.
   */
  g_object_class_install_property (gobject_class, PROP_DIMENSIONS,
      g_param_spec_uint ("dimensions", "Dimensions",
          "Point dimension D (0: the width of the first accepted point); "
          "points of another width are malformed", 0, KM_MAX_DIMENSIONS,
          DEFAULT_DIMENSIONS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_OUTPUT_FORMAT,
      g_param_spec_enum ("output-format", "Output format",
          "Sample format of the output points",
          GST_TYPE_KMEANS_PARSE_OUTPUT_FORMAT, DEFAULT_OUTPUT_FORMAT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:max-line-length:
   *
   * In lines mode, the longest line in bytes; a longer one is malformed
   * and skipped up to the next newline.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_LINE_LENGTH,
      g_param_spec_uint ("max-line-length", "Maximum line length",
          "Lines mode: longest line in bytes; longer lines are malformed",
          MIN_MAX_LINE_LENGTH, G_MAXINT, DEFAULT_MAX_LINE_LENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:max-values:
   *
   * JSON: the most values one document (a message, or a line in `lines`
   * mode) may hold, counting every number, string, `true`, `false`, `null`,
   * array and object (not the keys): `[[1,2],[3,4]]` holds 7.  A document
   * with more is one malformed record, refused before it is parsed.  The
   * default, 33554432 (2^25), is about what a message of kmzmqsrc's
   * default max-message-size (64 MiB) can hold; lower it to bound the work
   * one message may cost.  CSV is read a line at a time and has no such
   * limit.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_VALUES,
      g_param_spec_uint ("max-values", "Maximum values",
          "JSON: most values (numbers, strings, literals, arrays, objects) "
          "in one document; a document with more is malformed",
          1, G_MAXUINT, DEFAULT_MAX_VALUES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstKMeansParse:on-bad-input:
   *
   * What a malformed record does: `skip` (the default) leaves it out,
   * logs it and counts it in #GstKMeansParse:malformed-records (the first
   * one also posts a warning message); `error` stops the stream with an
   * error message.
   */
  g_object_class_install_property (gobject_class, PROP_ON_BAD_INPUT,
      g_param_spec_enum ("on-bad-input", "On bad input",
          "What a malformed record does: skip it (logged and counted in "
          "malformed-records, the first with a warning) or stop with an "
          "error",
          GST_TYPE_KMEANS_ON_BAD_INPUT, DEFAULT_ON_BAD_INPUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PARSED_POINTS,
      g_param_spec_uint64 ("parsed-points", "Parsed points",
          "Points output since the element started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MALFORMED_RECORDS,
      g_param_spec_uint64 ("malformed-records", "Malformed records",
          "Records found malformed since the element started", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "K-means text parser",
      "Codec/Parser/Converter",
      "Reads points from CSV or JSON text records into a point stream",
      "gst-kmeans");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kmeans_parse_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_PARSE_FORMAT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_PARSE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_PARSE_HEADER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_PARSE_OUTPUT_FORMAT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KMEANS_ON_BAD_INPUT, 0);
}

static void
gst_kmeans_parse_init (GstKMeansParse * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_parse_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_parse_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_kmeans_parse_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->props.format = DEFAULT_FORMAT;
  self->props.mode = DEFAULT_MODE;
  self->props.header = DEFAULT_HEADER;
  self->props.columns = g_strdup (DEFAULT_COLUMNS);
  self->props.field = g_strdup (DEFAULT_FIELD);
  self->props.delimiter = g_strdup (DEFAULT_DELIMITER);
  self->props.dimensions = DEFAULT_DIMENSIONS;
  self->props.output_format = DEFAULT_OUTPUT_FORMAT;
  self->props.max_line_length = DEFAULT_MAX_LINE_LENGTH;
  self->props.max_values = DEFAULT_MAX_VALUES;
  self->on_bad_input = DEFAULT_ON_BAD_INPUT;

  g_queue_init (&self->held_events);
  self->adapter = gst_adapter_new ();
}

static void
settings_clear (Settings * s)
{
  g_clear_pointer (&s->columns, g_free);
  g_clear_pointer (&s->field, g_free);
  g_clear_pointer (&s->delimiter, g_free);
}

static void
settings_copy (Settings * dst, const Settings * src)
{
  settings_clear (dst);
  *dst = *src;
  dst->columns = g_strdup (src->columns);
  dst->field = g_strdup (src->field);
  dst->delimiter = g_strdup (src->delimiter);
}

static void
gst_kmeans_parse_finalize (GObject * object)
{
  GstKMeansParse *self = GST_KMEANS_PARSE (object);

  settings_clear (&self->props);
  settings_clear (&self->cfg);
  free_readers (self);
  km_columns_clear (&self->cols);
  g_object_unref (self->adapter);
  g_free (self->out);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_kmeans_parse_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKMeansParse *self = GST_KMEANS_PARSE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FORMAT:
      self->props.format = g_value_get_enum (value);
      break;
    case PROP_MODE:
      self->props.mode = g_value_get_enum (value);
      break;
    case PROP_HEADER:
      self->props.header = g_value_get_enum (value);
      break;
    case PROP_COLUMNS:
      g_free (self->props.columns);
      self->props.columns = g_value_dup_string (value);
      break;
    case PROP_FIELD:
      g_free (self->props.field);
      self->props.field = g_value_dup_string (value);
      break;
    case PROP_DELIMITER:
      g_free (self->props.delimiter);
      self->props.delimiter = g_value_dup_string (value);
      break;
    case PROP_DIMENSIONS:
      self->props.dimensions = g_value_get_uint (value);
      break;
    case PROP_OUTPUT_FORMAT:
      self->props.output_format = g_value_get_enum (value);
      break;
    case PROP_MAX_LINE_LENGTH:
      self->props.max_line_length = g_value_get_uint (value);
      break;
    case PROP_MAX_VALUES:
      self->props.max_values = g_value_get_uint (value);
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
gst_kmeans_parse_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKMeansParse *self = GST_KMEANS_PARSE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FORMAT:
      g_value_set_enum (value, self->props.format);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->props.mode);
      break;
    case PROP_HEADER:
      g_value_set_enum (value, self->props.header);
      break;
    case PROP_COLUMNS:
      g_value_set_string (value, self->props.columns);
      break;
    case PROP_FIELD:
      g_value_set_string (value, self->props.field);
      break;
    case PROP_DELIMITER:
      g_value_set_string (value, self->props.delimiter);
      break;
    case PROP_DIMENSIONS:
      g_value_set_uint (value, self->props.dimensions);
      break;
    case PROP_OUTPUT_FORMAT:
      g_value_set_enum (value, self->props.output_format);
      break;
    case PROP_MAX_LINE_LENGTH:
      g_value_set_uint (value, self->props.max_line_length);
      break;
    case PROP_MAX_VALUES:
      g_value_set_uint (value, self->props.max_values);
      break;
    case PROP_ON_BAD_INPUT:
      g_value_set_enum (value, self->on_bad_input);
      break;
    case PROP_PARSED_POINTS:
      g_value_set_uint64 (value, self->parsed_points);
      break;
    case PROP_MALFORMED_RECORDS:
      g_value_set_uint64 (value, self->malformed_records);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------ settings checks */

#ifndef HAVE_JSON_GLIB
/* This build has no JSON reader: json-glib was not found. */
static void
json_unsupported (GstKMeansParse * self, const gchar * why)
{
  GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
      ("kmeans-parse was built without JSON support."),
      ("%s, but the kmeans plugin was built without json-glib (meson option "
          "json), so kmeans-parse reads CSV only", why));
}
#endif

/* Takes the settings for this run and checks them. */
static gboolean
configure (GstKMeansParse * self, GError ** error)
{
  GST_OBJECT_LOCK (self);
  settings_copy (&self->cfg, &self->props);
  GST_OBJECT_UNLOCK (self);

  if (!km_csv_delimiter_from_string (self->cfg.delimiter, &self->delimiter)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "delimiter \"%s\" is not one printable ASCII character (other than "
        "a double quote), \\t or tab", GST_STR_NULL (self->cfg.delimiter));
    return FALSE;
  }
  if (!km_columns_parse (&self->cols, self->cfg.columns, error))
    return FALSE;
  if (self->cfg.dimensions != 0 && self->cols.n != 0
      && self->cols.n != self->cfg.dimensions) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "columns \"%s\" chooses %u columns but dimensions is %u",
        self->cfg.columns, self->cols.n, self->cfg.dimensions);
    return FALSE;
  }
  if (self->cols.names != NULL && self->cfg.header ==
      GST_KMEANS_PARSE_HEADER_ABSENT && self->cfg.format ==
      GST_KMEANS_PARSE_FORMAT_CSV) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "columns \"%s\" names CSV columns but header is absent",
        self->cfg.columns);
    return FALSE;
  }
  return TRUE;
}

/* ----------------------------------------------------- streaming state */

static void
reset (GstKMeansParse * self)
{
  free_readers (self);
  km_columns_clear (&self->cols);
  self->caps_format = GST_KMEANS_PARSE_FORMAT_AUTO;
  self->format = GST_KMEANS_PARSE_FORMAT_AUTO;
  self->d = 0;
  self->caps_sent = FALSE;
  g_queue_clear_full (&self->held_events, (GDestroyNotify) gst_event_unref);
  gst_adapter_clear (self->adapter);
  self->skipping_line = FALSE;
  self->stream_start = TRUE;
  self->out_len = 0;
  self->discont = TRUE;
  self->record = 0;
  self->points_out = 0;
}

static gboolean
prepare_stream (GstKMeansParse * self)
{
  GError *err = NULL;

  reset (self);
  if (!configure (self, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid kmeans-parse settings."), ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
#ifndef HAVE_JSON_GLIB
  if (self->cfg.format == GST_KMEANS_PARSE_FORMAT_JSON) {
    json_unsupported (self, "format is json");
    return FALSE;
  }
#endif
  self->d = self->cfg.dimensions;
  /* format=csv or json holds even if upstream never sends caps. */
  self->format = self->cfg.format;
  make_readers (self);

  GST_OBJECT_LOCK (self);
  self->parsed_points = 0;
  self->malformed_records = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static GstStateChangeReturn
gst_kmeans_parse_change_state (GstElement * element, GstStateChange transition)
{
  GstKMeansParse *self = GST_KMEANS_PARSE (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !prepare_stream (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset (self);
  return ret;
}

/* ------------------------------------------------------ bad records */

/* *INDENT-OFF* */
static GstFlowReturn record_malformed (GstKMeansParse * self,
    const gchar * format, ...) G_GNUC_PRINTF (2, 3);
/* *INDENT-ON* */

/* Reports a malformed record under the on-bad-input policy: an error
 * (GST_FLOW_ERROR) or a counted, logged skip (GST_FLOW_OK). */
static GstFlowReturn
record_malformed (GstKMeansParse * self, const gchar * format, ...)
{
  GstKMeansOnBadInput policy;
  gchar reason[256];
  const gchar *end;
  guint64 count;
  va_list args;

  va_start (args, format);
  g_vsnprintf (reason, sizeof (reason), format, args);
  va_end (args);
  /* GStreamer drops debug text that is not UTF-8: cut at a character. */
  if (!g_utf8_validate (reason, -1, &end))
    *(gchar *) end = '\0';

  GST_OBJECT_LOCK (self);
  count = ++self->malformed_records;
  policy = self->on_bad_input;
  GST_OBJECT_UNLOCK (self);

  if (policy == GST_KMEANS_ON_BAD_INPUT_ERROR) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("Malformed record in the input."),
        ("record %" G_GUINT64_FORMAT ": %s", self->record, reason));
    return GST_FLOW_ERROR;
  }

  GST_WARNING_OBJECT (self, "skipping malformed record %" G_GUINT64_FORMAT
      ": %s", self->record, reason);
  if (count == 1)
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Skipping malformed records."),
        ("record %" G_GUINT64_FORMAT ": %s; further malformed records are "
            "only logged and counted in malformed-records", self->record,
            reason));
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------- output */
static GstCaps *
output_caps (guint d, GstKMeansSampleFormat format)
{
  GstCaps *caps = gst_kmeans_points_caps_new (d);

  if (format == GST_KMEANS_SAMPLE_F64)
    gst_caps_set_simple (caps, "format", G_TYPE_STRING, "F64LE", NULL);
  return caps;
}

static gboolean
push_held_event (GstKMeansParse * self, GstEvent * event)
{
  return gst_pad_push_event (self->srcpad, event);
}

/* Sends our caps once D is known, then the sticky events (segment, tags)
 * that had to wait for them. */
static gboolean
send_caps (GstKMeansParse * self)
{
  GstCaps *caps = output_caps (self->d, self->cfg.output_format);
  gboolean ok;
  GstEvent *event;

  GST_INFO_OBJECT (self, "output caps %" GST_PTR_FORMAT, caps);
  ok = gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  self->caps_sent = TRUE;
  while ((event = g_queue_pop_head (&self->held_events)))
    push_held_event (self, event);
  return ok;
}

static guint
sample_size (GstKMeansParse * self)
{
  return self->cfg.output_format == GST_KMEANS_SAMPLE_F64 ? 8 : 4;
}

static void
append_point (GstKMeansParse * self, const gdouble * v, guint width)
{
  gsize bytes = (gsize) width * sample_size (self);
  guint j;

  if (self->out_len + bytes > self->out_alloc) {
    self->out_alloc = MAX (self->out_len + bytes, 2 * self->out_alloc);
    self->out = g_realloc (self->out, self->out_alloc);
  }
  /* The glue refuses big-endian hosts (gstkmeanscaps.c): native is LE. */
  if (self->cfg.output_format == GST_KMEANS_SAMPLE_F64) {
    memcpy (self->out + self->out_len, v, bytes);
  } else {
    gfloat *dst = (gfloat *) (self->out + self->out_len);

    for (j = 0; j < width; j++)
      dst[j] = (gfloat) v[j];
  }
  self->out_len += bytes;
}

static gboolean
value_fits (GstKMeansParse * self, gdouble v)
{
  if (self->cfg.output_format == GST_KMEANS_SAMPLE_F32)
    return isfinite ((gfloat) v);
  return isfinite (v);
}

/* Takes one point if it is well formed; *accepted says whether it was. */
static GstFlowReturn
accept_point (GstKMeansParse * self, const gdouble * v, guint width,
    gboolean * accepted)
{
  guint j;

  *accepted = FALSE;
  if (width == 0)
    return record_malformed (self, "the point is empty");
  if (self->d != 0 && width != self->d)
    return record_malformed (self, "the point has %u values, the stream "
        "has %u dimensions", width, self->d);
  if (width > KM_MAX_DIMENSIONS)
    return record_malformed (self, "the point has %u values, more than %u",
        width, KM_MAX_DIMENSIONS);
  for (j = 0; j < width; j++) {
    if (!value_fits (self, v[j]))
      return record_malformed (self, "value %u (%g) is NaN, infinite or "
          "out of range of %s", j, v[j],
          self->cfg.output_format == GST_KMEANS_SAMPLE_F64 ? "F64LE" : "F32LE");
  }

  if (self->d == 0) {
    self->d = width;
    GST_INFO_OBJECT (self, "learnt the point dimension %u", width);
  }
  if (!self->caps_sent && !send_caps (self)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("downstream refused points of dimension %u", self->d));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  append_point (self, v, width);
  *accepted = TRUE;
  return GST_FLOW_OK;
}

/* Pushes the points gathered since the last push as one buffer. */
static GstFlowReturn
push_points (GstKMeansParse * self, GstBuffer * inbuf, gboolean in_lines)
{
  GstBuffer *outbuf;
  gsize rows;

  if (self->out_len == 0)
    return GST_FLOW_OK;
  rows = self->out_len / (sample_size (self) * self->d);

  outbuf = gst_buffer_new_wrapped_full (0, self->out, self->out_alloc, 0,
      self->out_len, self->out, g_free);
  self->out = NULL;
  self->out_alloc = 0;
  self->out_len = 0;

  GST_BUFFER_PTS (outbuf) = self->out_pts;
  if (!in_lines && inbuf != NULL) {
    GST_BUFFER_DTS (outbuf) = GST_BUFFER_DTS (inbuf);
    GST_BUFFER_DURATION (outbuf) = GST_BUFFER_DURATION (inbuf);
  }
  GST_BUFFER_OFFSET (outbuf) = self->points_out;
  GST_BUFFER_OFFSET_END (outbuf) = self->points_out + rows;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  self->points_out += rows;

  GST_OBJECT_LOCK (self);
  self->parsed_points += rows;
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "pushing %" G_GSIZE_FORMAT " points at %"
      GST_TIME_FORMAT, rows, GST_TIME_ARGS (self->out_pts));
  return gst_pad_push (self->srcpad, outbuf);
}

/* ------------------------------------------------------------ readers */

/* The CSV and JSON readers (kmcsvreader.h, kmjsonreader.h) hand what they
 * find to these: points to accept_point(), malformed records to the
 * on-bad-input policy.  self->flow keeps what made them stop. */
static KmPointVerdict
reader_point (const gdouble * values, guint width, gpointer user_data)
{
  GstKMeansParse *self = user_data;
  gboolean accepted;

  self->flow = accept_point (self, values, width, &accepted);
  if (self->flow != GST_FLOW_OK)
    return KM_POINT_STOP;
  return accepted ? KM_POINT_ACCEPTED : KM_POINT_REFUSED;
}

static gboolean
reader_malformed (const gchar * reason, gpointer user_data)
{
  GstKMeansParse *self = user_data;

  self->flow = record_malformed (self, "%s", reason);
  return self->flow == GST_FLOW_OK;
}

static void
reader_log (GLogLevelFlags level, const gchar * message, gpointer user_data)
{
  GstKMeansParse *self = user_data;

  if (level & G_LOG_LEVEL_INFO)
    GST_INFO_OBJECT (self, "%s", message);
  else
    GST_DEBUG_OBJECT (self, "%s", message);
}

static KmCsvHeader
csv_header_mode (GstKMeansParseHeader header)
{
  switch (header) {
    case GST_KMEANS_PARSE_HEADER_PRESENT:
      return KM_CSV_HEADER_PRESENT;
    case GST_KMEANS_PARSE_HEADER_ABSENT:
      return KM_CSV_HEADER_ABSENT;
    default:
      return KM_CSV_HEADER_AUTO;
  }
}

/* Both readers share self->cols: names resolved by a CSV header and
 * columns fixed by the first CSV line hold for JSON too. */
static void
make_readers (GstKMeansParse * self)
{
  const KmPointSink sink = { reader_point, reader_malformed, reader_log,
    self
  };

  self->csv = km_csv_reader_new (&self->cols, self->delimiter,
      csv_header_mode (self->cfg.header), &sink);
#ifdef HAVE_JSON_GLIB
  self->json = km_json_reader_new (&self->cols, self->cfg.field, &sink);
  km_json_reader_set_max_values (self->json, self->cfg.max_values);
#endif
}

static void
free_readers (GstKMeansParse * self)
{
  g_clear_pointer (&self->csv, km_csv_reader_free);
#ifdef HAVE_JSON_GLIB
  g_clear_pointer (&self->json, km_json_reader_free);
#endif
}

static void
expect_csv_header (GstKMeansParse * self)
{
  if (self->csv != NULL)
    km_csv_reader_expect_header (self->csv);
}

static GstFlowReturn
read_csv_line (GstKMeansParse * self, const gchar * line, guint len)
{
  self->flow = GST_FLOW_OK;
  km_csv_reader_read_line (self->csv, line, len);
  return self->flow;
}

static GstFlowReturn
read_json_record (GstKMeansParse * self, const gchar * text, gsize len)
{
#ifdef HAVE_JSON_GLIB
  self->flow = GST_FLOW_OK;
  km_json_reader_read (self->json, text, len);
  return self->flow;
#else
  json_unsupported (self, "the input is JSON");
  return GST_FLOW_ERROR;
#endif
}

/* ------------------------------------------------------------ records */

/* Settles format=auto on the first non-blank record. */
static void
sniff_format (GstKMeansParse * self, gchar first)
{
  if (self->format != GST_KMEANS_PARSE_FORMAT_AUTO)
    return;
  self->format = km_text_opens_json (first) ?
      GST_KMEANS_PARSE_FORMAT_JSON : GST_KMEANS_PARSE_FORMAT_CSV;
  GST_INFO_OBJECT (self, "the input is %s",
      self->format == GST_KMEANS_PARSE_FORMAT_JSON ? "JSON" : "CSV");
}

/* One record: a line in lines mode, a line of a CSV message or a whole
 * JSON message. */
static GstFlowReturn
parse_record (GstKMeansParse * self, const gchar * text, gsize len)
{
  gsize first;

  if (len > 0 && text[len - 1] == '\r')
    len--;
  if (km_text_is_blank (text, len, &first))
    return GST_FLOW_OK;
  self->record++;
  if (len > G_MAXUINT32)
    return record_malformed (self, "the record is larger than 4 GiB");

  sniff_format (self, text[first]);
  if (self->format == GST_KMEANS_PARSE_FORMAT_JSON)
    return read_json_record (self, text, len);
  return read_csv_line (self, text, (guint) len);
}

static GstFlowReturn
parse_message (GstKMeansParse * self, const gchar * data, gsize size)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize first, pos = 0, bom = km_text_bom_length (data, size);

  data += bom;
  size -= bom;
  if (km_text_is_blank (data, size, &first))
    return GST_FLOW_OK;
  sniff_format (self, data[first]);
  if (self->format == GST_KMEANS_PARSE_FORMAT_JSON) {
    self->record++;
    return read_json_record (self, data, size);
  }

  if (self->csv != NULL && km_text_is_one_line (data, size))
    km_csv_reader_expect_lone_line (self->csv);
  else
    expect_csv_header (self);
  while (pos < size && ret == GST_FLOW_OK) {
    const gchar *nl = memchr (data + pos, '\n', size - pos);
    gsize len = nl ? (gsize) (nl - (data + pos)) : size - pos;

    ret = parse_record (self, data + pos, len);
    pos += len + 1;
  }
  return ret;
}

static void
note_line_start (GstKMeansParse * self, GstClockTime pts)
{
  if (self->out_len == 0)
    self->out_pts = pts;
}

/* Lines mode: one line, the first of a stream without its byte-order
 * mark. */
static GstFlowReturn
parse_line (GstKMeansParse * self, const gchar * line, gsize len)
{
  if (self->stream_start) {
    gsize bom = km_text_bom_length (line, len);

    self->stream_start = FALSE;
    line += bom;
    len -= bom;
  }
  return parse_record (self, line, len);
}

static GstFlowReturn
line_too_long (GstKMeansParse * self, gsize len)
{
  self->stream_start = FALSE;
  self->record++;
  return record_malformed (self, "line longer than max-line-length (%"
      G_GSIZE_FORMAT " > %u bytes)", len, self->cfg.max_line_length);
}

/* The unfinished line in the adapter, completed by the first @head bytes
 * of @buf (which end in a newline). */
static GstFlowReturn
finish_carried_line (GstKMeansParse * self, GstBuffer * buf, gsize head)
{
  GstFlowReturn ret;
  const gchar *line;
  gsize len;

  if (head > 0)
    gst_adapter_push (self->adapter,
        gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, 0, head));
  len = gst_adapter_available (self->adapter);
  note_line_start (self, gst_adapter_prev_pts (self->adapter, NULL));
  line = gst_adapter_map (self->adapter, len);
  ret = parse_line (self, line, len);
  gst_adapter_unmap (self->adapter);
  gst_adapter_clear (self->adapter);
  return ret;
}

/* Keeps the unterminated tail of @buf for the next buffer. */
static GstFlowReturn
carry_tail (GstKMeansParse * self, GstBuffer * buf, gsize pos, gsize size)
{
  GstBuffer *tail;

  if (size - pos > self->cfg.max_line_length) {
    self->skipping_line = TRUE;
    return line_too_long (self, size - pos);
  }
  tail = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, pos, size - pos);
  GST_BUFFER_PTS (tail) = GST_BUFFER_PTS (buf);
  gst_adapter_push (self->adapter, tail);
  return GST_FLOW_OK;
}

/* Lines mode: complete lines are parsed in place; only a line cut by the
 * end of a buffer is kept, in the adapter. */
static GstFlowReturn
parse_lines (GstKMeansParse * self, GstBuffer * buf, const gchar * data,
    gsize size)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize carried = gst_adapter_available (self->adapter);
  gsize pos = 0;

  /* An empty buffer maps to NULL data, which memchr() must not get. */
  if (size == 0)
    return GST_FLOW_OK;
  if (carried > 0 || self->skipping_line) {
    const gchar *nl = memchr (data, '\n', size);
    gsize head = nl ? (gsize) (nl - data) : size;

    if (self->skipping_line) {
      self->skipping_line = nl == NULL;
    } else if (carried + head > self->cfg.max_line_length) {
      gst_adapter_clear (self->adapter);
      self->skipping_line = nl == NULL;
      ret = line_too_long (self, carried + head);
    } else if (nl == NULL) {
      gst_adapter_push (self->adapter, gst_buffer_ref (buf));
    } else {
      ret = finish_carried_line (self, buf, head);
    }
    pos = nl ? head + 1 : size;
  }

  while (ret == GST_FLOW_OK && pos < size) {
    const gchar *nl = memchr (data + pos, '\n', size - pos);
    gsize len;

    if (nl == NULL) {
      ret = carry_tail (self, buf, pos, size);
      break;
    }
    len = nl - (data + pos);
    if (len > self->cfg.max_line_length) {
      ret = line_too_long (self, len);
    } else {
      note_line_start (self, GST_BUFFER_PTS (buf));
      ret = parse_line (self, data + pos, len);
    }
    pos += len + 1;
  }
  return ret;
}

/* EOS: the last line may have no newline. */
static GstFlowReturn
drain_last_line (GstKMeansParse * self)
{
  gsize len = gst_adapter_available (self->adapter);
  const gchar *line;
  GstFlowReturn ret;

  if (len == 0)
    return GST_FLOW_OK;
  self->out_len = 0;
  note_line_start (self, gst_adapter_prev_pts (self->adapter, NULL));
  line = gst_adapter_map (self->adapter, len);
  ret = parse_line (self, line, len);
  gst_adapter_unmap (self->adapter);
  gst_adapter_clear (self->adapter);
  if (ret == GST_FLOW_OK)
    ret = push_points (self, NULL, TRUE);
  return ret;
}

/* A discontinuity cuts the unfinished line: it is lost. */
static GstFlowReturn
handle_discont (GstKMeansParse * self)
{
  gsize carried = gst_adapter_available (self->adapter);

  self->discont = TRUE;
  self->skipping_line = FALSE;
  if (carried == 0)
    return GST_FLOW_OK;
  gst_adapter_clear (self->adapter);
  self->stream_start = FALSE;
  self->record++;
  return record_malformed (self, "a line of %" G_GSIZE_FORMAT " bytes was "
      "cut by a discontinuity", carried);
}

static GstFlowReturn
gst_kmeans_parse_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKMeansParse *self = GST_KMEANS_PARSE (parent);
  gboolean lines = self->cfg.mode == GST_KMEANS_PARSE_MODE_LINES;
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;

  if (GST_BUFFER_IS_DISCONT (buf) && lines)
    ret = handle_discont (self);
  if (ret != GST_FLOW_OK)
    goto done;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL),
        ("could not map a buffer of %" G_GSIZE_FORMAT " bytes",
            gst_buffer_get_size (buf)));
    ret = GST_FLOW_ERROR;
    goto done;
  }

  self->out_len = 0;
  self->out_pts = GST_BUFFER_PTS (buf);
  if (lines)
    ret = parse_lines (self, buf, (const gchar *) map.data, map.size);
  else
    ret = parse_message (self, (const gchar *) map.data, map.size);
  gst_buffer_unmap (buf, &map);

  if (ret == GST_FLOW_OK)
    ret = push_points (self, buf, lines);

done:
  gst_buffer_unref (buf);
  return ret;
}

/* ------------------------------------------------------------- events */

static GstKMeansParseFormat
format_from_caps (GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);

  if (gst_structure_has_name (s, "text/csv"))
    return GST_KMEANS_PARSE_FORMAT_CSV;
  if (gst_structure_has_name (s, "application/json"))
    return GST_KMEANS_PARSE_FORMAT_JSON;
  return GST_KMEANS_PARSE_FORMAT_AUTO;
}

static gboolean
set_sink_caps (GstKMeansParse * self, GstCaps * caps)
{
  GstKMeansParseFormat from_caps = format_from_caps (caps);

  GST_DEBUG_OBJECT (self, "sink caps %" GST_PTR_FORMAT, caps);
  if (self->cfg.format != GST_KMEANS_PARSE_FORMAT_AUTO) {
    if (from_caps != GST_KMEANS_PARSE_FORMAT_AUTO
        && from_caps != self->cfg.format)
      GST_WARNING_OBJECT (self, "the format property overrides the caps %"
          GST_PTR_FORMAT, caps);
    self->format = self->cfg.format;
  } else if (from_caps != self->caps_format || self->format ==
      GST_KMEANS_PARSE_FORMAT_AUTO) {
    self->format = from_caps;
  }
  self->caps_format = from_caps;
  return TRUE;
}

static gboolean
gst_kmeans_parse_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKMeansParse *self = GST_KMEANS_PARSE (parent);
  GstFlowReturn ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = set_sink_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_STREAM_START:
      if (self->cfg.mode == GST_KMEANS_PARSE_MODE_LINES) {
        expect_csv_header (self);
        self->stream_start = TRUE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_adapter_clear (self->adapter);
      self->skipping_line = FALSE;
      self->discont = TRUE;
      break;
    case GST_EVENT_EOS:
      if (self->cfg.mode == GST_KMEANS_PARSE_MODE_LINES && !self->skipping_line) {
        ret = drain_last_line (self);
        if (ret != GST_FLOW_OK)
          GST_DEBUG_OBJECT (self, "last line: %s", gst_flow_get_name (ret));
      }
      break;
    case GST_EVENT_GAP:
      if (!self->caps_sent) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
    default:
      break;
  }

  /* Segment, tags and the like must follow our caps, which wait for the
   * first point. */
  if (!self->caps_sent && GST_EVENT_IS_STICKY (event)
      && GST_EVENT_TYPE (event) != GST_EVENT_STREAM_START
      && GST_EVENT_TYPE (event) != GST_EVENT_EOS) {
    g_queue_push_tail (&self->held_events, event);
    return TRUE;
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    g_queue_clear_full (&self->held_events, (GDestroyNotify) gst_event_unref);
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_kmeans_parse_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstCaps *filter, *caps;

    gst_query_parse_caps (query, &filter);
    caps = gst_pad_get_current_caps (pad);
    if (caps == NULL)
      caps = gst_pad_get_pad_template_caps (pad);
    if (filter != NULL) {
      GstCaps *tmp = gst_caps_intersect_full (filter, caps,
          GST_CAPS_INTERSECT_FIRST);

      gst_caps_unref (caps);
      caps = tmp;
    }
    gst_query_set_caps_result (query, caps);
    gst_caps_unref (caps);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

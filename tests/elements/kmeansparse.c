/* Tests of kmeans-parse: CSV and JSON text records to points. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "kmeanselements.h"

typedef struct
{
  GstHarness *h;
  GstElement *parse;
  GstBus *bus;
} Fixture;

/* A harness around kmeans-parse with the given properties (name, value
 * string pairs, NULL-terminated) and upstream caps (NULL: none, as from an
 * appsrc without any). */
static Fixture *
fixture_new (const gchar * caps, ...)
{
  Fixture *f = g_new0 (Fixture, 1);
  const gchar *name;
  va_list args;

  f->parse = gst_element_factory_make ("kmeans-parse", NULL);
  fail_unless (f->parse != NULL);
  va_start (args, caps);
  while ((name = va_arg (args, const gchar *)) != NULL)
      gst_util_set_object_arg (G_OBJECT (f->parse), name,
        va_arg (args, const gchar *));
  va_end (args);

  f->bus = gst_bus_new ();
  gst_element_set_bus (f->parse, f->bus);
  f->h = gst_harness_new_with_element (f->parse, "sink", "src");
  if (caps != NULL) {
    gst_harness_set_src_caps_str (f->h, caps);
  } else {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (f->h,
            gst_event_new_stream_start ("no-caps")));
    fail_unless (gst_harness_push_event (f->h,
            gst_event_new_segment (&segment)));
  }
  return f;
}

static void
fixture_free (Fixture * f)
{
  gst_harness_teardown (f->h);
  gst_element_set_bus (f->parse, NULL);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
  gst_object_unref (f->parse);
  g_free (f);
}

static GstFlowReturn
push_bytes (Fixture * f, const void *data, gsize size, GstClockTime pts)
{
  GstBuffer *buf = size ? gst_buffer_new_memdup (data, size) :
      gst_buffer_new ();

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 4;
  return gst_harness_push (f->h, buf);
}

static GstFlowReturn
push_text (Fixture * f, const gchar * text, GstClockTime pts)
{
  return push_bytes (f, text, strlen (text), pts);
}

static guint64
get_u64 (Fixture * f, const gchar * property)
{
  guint64 v = 0;

  g_object_get (f->parse, property, &v, NULL);
  return v;
}

/* Pulls one buffer and checks it holds exactly @n float32 @values. */
static GstBuffer *
pull_f32 (Fixture * f, const gfloat * values, gsize n)
{
  GstBuffer *buf = gst_harness_try_pull (f->h);
  GstMapInfo map;
  gsize i;

  fail_unless (buf != NULL, "no output buffer");
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, n * sizeof (gfloat));
  for (i = 0; i < n; i++)
    fail_unless_equals_float (((const gfloat *) map.data)[i], values[i]);
  gst_buffer_unmap (buf, &map);
  return buf;
}

static void
check_f32 (Fixture * f, const gfloat * values, gsize n)
{
  gst_buffer_unref (pull_f32 (f, values, n));
}

static void
check_caps (Fixture * f, const gchar * format, gint dimensions)
{
  GstCaps *caps = gst_pad_get_current_caps (f->h->sinkpad);
  GstStructure *s;
  gint d = 0;

  fail_unless (caps != NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "application/x-points"));
  fail_unless_equals_string (gst_structure_get_string (s, "format"), format);
  fail_unless (gst_structure_get_int (s, "dimensions", &d));
  fail_unless_equals_int (d, dimensions);
  gst_caps_unref (caps);
}

static void
check_no_output (Fixture * f)
{
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);
}

static GstMessage *
pop_message (Fixture * f, GstMessageType type)
{
  return gst_bus_pop_filtered (f->bus, type);
}

/* ------------------------------------------------------------------ CSV */

GST_START_TEST (test_csv_without_header)
{
  Fixture *f = fixture_new ("text/csv", NULL);
  static const gfloat expected[] = { 1, 2, 3, 4.5, -0.25, 1e3 };
  GstBuffer *buf;

  fail_unless_equals_int (push_text (f, "1,2\n3, 4.5\r\n-0.25,1e3",
          GST_SECOND), GST_FLOW_OK);
  check_caps (f, "F32LE", 2);
  buf = pull_f32 (f, expected, 6);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), GST_SECOND / 4);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 0);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), 3);
  fail_unless (GST_BUFFER_IS_DISCONT (buf));
  gst_buffer_unref (buf);

  /* The next message continues the offsets. */
  fail_unless_equals_int (push_text (f, "5,6\n", 2 * GST_SECOND), GST_FLOW_OK);
  buf = gst_harness_pull (f->h);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 3);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), 4);
  fail_if (GST_BUFFER_IS_DISCONT (buf));
  gst_buffer_unref (buf);

  fail_unless_equals_uint64 (get_u64 (f, "parsed-points"), 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_columns_by_name)
{
  Fixture *f = fixture_new ("text/csv", "columns", "y,x", NULL);
  static const gfloat first[] = { 2, 1, 4, 3 };
  static const gfloat second[] = { 10, 20 };

  /* header=auto: a first line without numbers names the columns. */
  fail_unless_equals_int (push_text (f, "x,y,label\n1,2,a\n3,4,b\n", 0),
      GST_FLOW_OK);
  check_f32 (f, first, 4);
  /* Message mode: each message may bring its own header. */
  fail_unless_equals_int (push_text (f, "label,y,x\nc,10,20\n", 0),
      GST_FLOW_OK);
  check_f32 (f, second, 2);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_columns_by_index)
{
  Fixture *f = fixture_new ("text/csv", "columns", "2,0", NULL);
  static const gfloat expected[] = { 3, 1, 6, 4 };

  fail_unless_equals_int (push_text (f, "1,2,3\n4,x,6\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_all_numeric_columns)
{
  Fixture *f = fixture_new ("text/csv", "on-bad-input", "skip", NULL);
  static const gfloat expected[] = { 1, 2, 3, 4 };

  /* The text column is left out; later lines must match the first. */
  fail_unless_equals_int (push_text (f, "label,x,y\nfoo,1,2\nbar,3,4\n"
          "baz,5,oops\nqux,5,6,7\n", 0), GST_FLOW_OK);
  check_caps (f, "F32LE", 2);
  check_f32 (f, expected, 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_header_present_and_absent)
{
  Fixture *f = fixture_new ("text/csv", "header", "present", NULL);
  static const gfloat after_header[] = { 3, 4 };
  static const gfloat all[] = { 1, 2 };

  /* A forced header is dropped even though it looks like numbers. */
  fail_unless_equals_int (push_text (f, "1,2\n3,4\n", 0), GST_FLOW_OK);
  check_f32 (f, after_header, 2);
  fixture_free (f);

  f = fixture_new ("text/csv", "header", "absent", "on-bad-input", "skip",
      NULL);
  fail_unless_equals_int (push_text (f, "x,y\n1,2\n", 0), GST_FLOW_OK);
  check_f32 (f, all, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_quotes_and_delimiter)
{
  Fixture *f = fixture_new ("text/csv", "delimiter", ";", "columns",
      "b \"q\",a", NULL);
  static const gfloat expected[] = { 2, 1.5, -3, 4 };
  static const gfloat tabbed[] = { 1.5, 2 };

  fail_unless_equals_int (push_text (f, "\"a\"; \"b \"\"q\"\"\"\n"
          "\"1.5\" ; 2\n4;-3\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fixture_free (f);

  f = fixture_new ("text/csv", "delimiter", "\\t", NULL);
  fail_unless_equals_int (push_text (f, "1.5\t2\n", 0), GST_FLOW_OK);
  check_f32 (f, tabbed, 2);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_unbalanced_quotes)
{
  Fixture *f = fixture_new ("text/csv", "on-bad-input", "skip", NULL);
  static const gfloat expected[] = { 1, 2 };

  fail_unless_equals_int (push_text (f, "1,2\n\"3,4\n5\"x,6\n", 0),
      GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  fixture_free (f);
}

GST_END_TEST;

/* ----------------------------------------------------------------- JSON */

/* The JSON tests need a kmeans-parse built with json-glib; without it,
 * the tests under "without json-glib" check that JSON is refused. */
#ifdef HAVE_JSON_GLIB

GST_START_TEST (test_json_point_and_points)
{
  Fixture *f = fixture_new ("application/json", NULL);
  static const gfloat one[] = { 0.5, 1.5 };
  static const gfloat many[] = { 1, 2, 3, 4, -5, 6e2 };

  fail_unless_equals_int (push_text (f, "[0.5, 1.5]", 0), GST_FLOW_OK);
  check_caps (f, "F32LE", 2);
  check_f32 (f, one, 2);
  fail_unless_equals_int (push_text (f, "[[1,2],[3,4],\n[-5,6e2]]", 0),
      GST_FLOW_OK);
  check_f32 (f, many, 6);
  /* An empty array holds no point. */
  fail_unless_equals_int (push_text (f, " [ ] ", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_json_objects)
{
  Fixture *f = fixture_new ("application/json", "field", "features", NULL);
  static const gfloat one[] = { 1, 2 };
  static const gfloat many[] = { 3, 4, 5, 6 };
  static const gfloat list[] = { 7, 8, 9, 10, 11, 12 };

  fail_unless_equals_int (push_text (f,
          "{\"id\": 1, \"features\": [1, 2], \"meta\": {\"a\": [true]}}", 0),
      GST_FLOW_OK);
  check_f32 (f, one, 2);
  fail_unless_equals_int (push_text (f, "{\"features\": [[3,4],[5,6]]}", 0),
      GST_FLOW_OK);
  check_f32 (f, many, 4);
  /* An array of objects. */
  fail_unless_equals_int (push_text (f, "[{\"features\": [7,8]}, "
          "{\"features\": [[9,10],[11,12]]}]", 0), GST_FLOW_OK);
  check_f32 (f, list, 6);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_json_named_members_and_indices)
{
  Fixture *f = fixture_new ("application/json", "columns", "y,x", NULL);
  static const gfloat named[] = { 2, 1, 4, 3 };
  static const gfloat picked[] = { 30, 10 };

  fail_unless_equals_int (push_text (f, "[{\"x\": 1, \"y\": 2}, "
          "{\"y\": 4, \"x\": 3, \"z\": \"text\"}]", 0), GST_FLOW_OK);
  check_f32 (f, named, 4);
  fixture_free (f);

  f = fixture_new ("application/json", "columns", "2,0", NULL);
  fail_unless_equals_int (push_text (f, "[10, 20, 30]", 0), GST_FLOW_OK);
  check_f32 (f, picked, 2);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_json_reads_kmeans_format_points)
{
  Fixture *f = fixture_new ("application/json", "field", "points",
      "output-format", "F64LE", NULL);
  static const gdouble expected[] = { 0.1, 2, 3, 4 };
  GstBuffer *buf;
  GstMapInfo map;

  fail_unless_equals_int (push_text (f, "{\"type\":\"points\",\"pts\":0,"
          "\"duration\":null,\"model_version\":null,\"dimensions\":2,"
          "\"count\":2,\"points\":[[0.1,2],[3,4]]}\n", 0), GST_FLOW_OK);
  check_caps (f, "F64LE", 2);
  buf = gst_harness_pull (f->h);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, sizeof (expected));
  fail_unless (memcmp (map.data, expected, sizeof (expected)) == 0);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_json_malformed_points_counted)
{
  Fixture *f = fixture_new ("application/json", "on-bad-input", "skip",
      NULL);
  static const gfloat expected[] = { 1, 2, 5, 6 };

  /* Each bad point of a list is one malformed record. */
  fail_unless_equals_int (push_text (f, "[[1,2],[3,\"x\"],[4],null,[5,6],"
          "[true,1],[1,null]]", 0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 5);
  /* Objects without the field, wrong member types, parse errors. */
  fail_unless_equals_int (push_text (f, "{\"other\": [1,2]}", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "{\"point\": 3}", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "[1,2", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "[1,2] [3,4]", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "42", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "[NaN, 1]", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 11);
  fixture_free (f);
}

GST_END_TEST;
#endif /* HAVE_JSON_GLIB */

/* ---------------------------------------------------------------- lines */

GST_START_TEST (test_lines_split_across_buffers)
{
  Fixture *f = fixture_new ("text/csv", "mode", "lines", NULL);
  static const gfloat first[] = { 1, 2 };
  static const gfloat second[] = { 3, 4 };
  static const gfloat last[] = { 5, 6 };
  GstBuffer *buf;

  fail_unless_equals_int (push_text (f, "x,y\n1,2\n3,", 0), GST_FLOW_OK);
  buf = pull_f32 (f, first, 2);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 0);
  fail_unless (!GST_BUFFER_DURATION_IS_VALID (buf));
  gst_buffer_unref (buf);

  /* The line "3,4" began in the first buffer: its PTS. */
  fail_unless_equals_int (push_text (f, "4", GST_SECOND), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_int (push_text (f, "\n5,6", 2 * GST_SECOND), GST_FLOW_OK);
  buf = pull_f32 (f, second, 2);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 0);
  gst_buffer_unref (buf);

  /* The last line needs no newline at EOS. */
  fail_unless (gst_harness_push_event (f->h, gst_event_new_eos ()));
  buf = pull_f32 (f, last, 2);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 2 * GST_SECOND);
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (get_u64 (f, "parsed-points"), 3);
  fixture_free (f);
}

GST_END_TEST;

#ifdef HAVE_JSON_GLIB
GST_START_TEST (test_lines_json)
{
  Fixture *f = fixture_new ("application/octet-stream", "mode", "lines",
      NULL);
  static const gfloat first[] = { 1, 2 };
  static const gfloat second[] = { 3, 4, 5, 6 };

  /* format=auto sniffs JSON from the first record. */
  fail_unless_equals_int (push_text (f, "\n[1,2]\n{\"point\":[[3,4],", 0),
      GST_FLOW_OK);
  check_f32 (f, first, 2);
  fail_unless_equals_int (push_text (f, "[5,6]]}\n", 0), GST_FLOW_OK);
  check_f32 (f, second, 4);
  fixture_free (f);
}

GST_END_TEST;
#endif /* HAVE_JSON_GLIB */

GST_START_TEST (test_lines_too_long)
{
  Fixture *f = fixture_new ("text/csv", "mode", "lines", "max-line-length",
      "16", "on-bad-input", "skip", NULL);
  static const gfloat expected[] = { 1, 2 };
  gchar junk[40];

  /* A newline-less run across buffers is one malformed line, dropped up to
   * the next newline; memory stays bounded. */
  memset (junk, '7', sizeof (junk) - 1);
  junk[sizeof (junk) - 1] = '\0';
  fail_unless_equals_int (push_text (f, junk, 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, junk, 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "99\n1,2\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);

  /* The same inside one buffer, and a carried line growing too long. */
  fail_unless_equals_int (push_text (f, "11111111111111111111111111,2\n", 0),
      GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "1234567890", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "1234567890\n", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 3);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_lines_discont_loses_line)
{
  Fixture *f = fixture_new ("text/csv", "mode", "lines", "on-bad-input",
      "skip", NULL);
  static const gfloat first[] = { 1, 2 };
  static const gfloat second[] = { 5, 6 };
  GstBuffer *buf;

  fail_unless_equals_int (push_text (f, "1,2\n3,", 0), GST_FLOW_OK);
  check_f32 (f, first, 2);
  buf = gst_buffer_new_memdup ("4,0,0\n5,6\n", 10);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (f->h, buf), GST_FLOW_OK);
  buf = pull_f32 (f, second, 2);
  fail_unless (GST_BUFFER_IS_DISCONT (buf));
  gst_buffer_unref (buf);
  /* The cut line "3," and the wrong-width "4,0,0". */
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  fixture_free (f);
}

GST_END_TEST;

/* ---------------------------------------------------------- bad input */

GST_START_TEST (test_malformed_error)
{
  Fixture *f = fixture_new ("text/csv", "on-bad-input", "error", NULL);
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless_equals_int (push_text (f, "1,2\n3,abc\n", 0), GST_FLOW_ERROR);
  check_no_output (f);
  msg = pop_message (f, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE));
  fail_unless (strstr (debug, "record 2") != NULL, "%s", debug);
  fail_unless (strstr (debug, "\"abc\" is not a number") == NULL);
  fail_unless (strstr (debug, "(\"abc\") is not a number") != NULL, "%s",
      debug);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_malformed_skip_warns_once)
{
  Fixture *f = fixture_new ("text/csv", "on-bad-input", "skip", NULL);
  static const gfloat expected[] = { 1, 2, 5, 6 };
  GstMessage *msg;

  fail_unless_equals_int (push_text (f, "1,2\n3\n4,x\n5,6\n,\n", 0),
      GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 3);
  fail_unless_equals_uint64 (get_u64 (f, "parsed-points"), 2);
  msg = pop_message (f, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless (pop_message (f, GST_MESSAGE_WARNING) == NULL);
  fail_unless (pop_message (f, GST_MESSAGE_ERROR) == NULL);
  fixture_free (f);
}

GST_END_TEST;

/* Records come from outside: by default a malformed one is skipped,
 * counted and warned about once, and the stream goes on. */
GST_START_TEST (test_default_skips_malformed)
{
  Fixture *f = fixture_new ("text/csv", NULL);
  static const gfloat expected[] = { 1, 2, 5, 6 };
  static const gfloat later[] = { 7, 8 };
  GstMessage *msg;

  fail_unless_equals_int (push_text (f, "1,2\n3,abc\n5,6\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fail_unless_equals_int (push_text (f, "nan,1\n7,8\n", 0), GST_FLOW_OK);
  check_f32 (f, later, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  msg = pop_message (f, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "the first malformed record posted no warning");
  gst_message_unref (msg);
  fail_unless (pop_message (f, GST_MESSAGE_WARNING) == NULL);
  fail_unless (pop_message (f, GST_MESSAGE_ERROR) == NULL);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_fixed_dimensions)
{
  Fixture *f = fixture_new ("text/csv", "dimensions", "3", "on-bad-input",
      "skip", NULL);
  static const gfloat expected[] = { 1, 2, 3 };

  fail_unless_equals_int (push_text (f, "1,2\n1,2,3\n1,2,3,4\n", 0),
      GST_FLOW_OK);
  check_caps (f, "F32LE", 3);
  check_f32 (f, expected, 3);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_non_finite_values)
{
  static const gchar *text = "nan,1\ninf,2\n-Infinity,2\n1e999,3\n1e39,4\n"
      "-1e39,5\n0x1p3,6\n1e-50,7\n";
  static const gfloat f32[] = { 8, 6, 0, 7 };
  static const gdouble f64[] = { 1e39, 4, -1e39, 5, 8, 6, 1e-50, 7 };
  Fixture *f = fixture_new ("text/csv", "on-bad-input", "skip", NULL);
  GstBuffer *buf;
  GstMapInfo map;

  fail_unless_equals_int (push_text (f, text, 0), GST_FLOW_OK);
  check_f32 (f, f32, 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 6);
  fixture_free (f);

  /* 1e39 fits a double. */
  f = fixture_new ("text/csv", "on-bad-input", "skip", "output-format",
      "F64LE", NULL);
  fail_unless_equals_int (push_text (f, text, 0), GST_FLOW_OK);
  check_caps (f, "F64LE", 2);
  buf = gst_harness_pull (f->h);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, sizeof (f64));
  fail_unless (memcmp (map.data, f64, sizeof (f64)) == 0);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 4);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_garbage_never_crashes)
{
  static const gchar *const texts[] = {
    "\xff\xfe,1\n", "1,\xc3\x28\n", "[1,\"\xff\"]", "{\"point\":[1,2]}\xff",
    "[99999999999999999999999, 1]", "[1e999, 1]", "[-1e999, 1]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1,2]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "\"just a string\"", "{\"point\": {\"x\": 1}}", "]", "[1,2]]", "{",
    "{\"point\":[1,2],}", "[1,2,3", "\"", "[\"\\", "-", "[-]", "[1e]",
  };
  const gchar *modes[] = { "message", "lines" };
#ifdef HAVE_JSON_GLIB
  const gchar *formats[] = { "json", "csv", "auto" };
#else
  /* JSON, or auto meeting it, would stop the stream with an error. */
  const gchar *formats[] = { "csv" };
#endif
  guint m, fmt, i;
  GRand *rand = g_rand_new_with_seed (42);
  gsize big = 1 << 20;
  gchar *bytes = g_malloc (big);

  for (i = 0; i < big; i++)
    bytes[i] = (gchar) g_rand_int_range (rand, 0, 256);

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    for (fmt = 0; fmt < G_N_ELEMENTS (formats); fmt++) {
      Fixture *f = fixture_new ("application/octet-stream", "mode", modes[m],
          "format", formats[fmt], "on-bad-input", "skip", NULL);
      gchar *deep;
      guint64 bad;

      for (i = 0; i < G_N_ELEMENTS (texts); i++) {
        gchar *line = g_strconcat (texts[i], "\n", NULL);

        fail_unless_equals_int (push_text (f, line, 0), GST_FLOW_OK);
        g_free (line);
      }
      /* Random bytes, whole and in odd slices; an empty buffer. */
      fail_unless_equals_int (push_bytes (f, bytes, big, 0), GST_FLOW_OK);
      for (i = 0; i + 977 <= 64 * 977; i += 977)
        fail_unless_equals_int (push_bytes (f, bytes + i, 977, 0), GST_FLOW_OK);
      fail_unless_equals_int (push_bytes (f, "", 0, 0), GST_FLOW_OK);
      /* Nesting deep enough to overflow json-glib's recursion. */
      deep = g_malloc (2000001);
      memset (deep, '[', 1000000);
      memset (deep + 1000000, ']', 1000000);
      deep[2000000] = '\0';
      fail_unless_equals_int (push_text (f, deep, 0), GST_FLOW_OK);
      g_free (deep);
      fail_unless (gst_harness_push_event (f->h, gst_event_new_eos ()));

      bad = get_u64 (f, "malformed-records");
      fail_unless (bad >= G_N_ELEMENTS (texts) - 2, "%s/%s: only %"
          G_GUINT64_FORMAT " malformed", modes[m], formats[fmt], bad);
      while (gst_harness_buffers_in_queue (f->h) > 0)
        gst_buffer_unref (gst_harness_pull (f->h));
      fixture_free (f);
    }
  }
  g_free (bytes);
  g_rand_free (rand);
}

GST_END_TEST;

#ifdef HAVE_JSON_GLIB
GST_START_TEST (test_json_guards)
{
  Fixture *f = fixture_new ("application/json", "on-bad-input", "skip",
      NULL);
  static const gfloat expected[] = { 1e17f, 1, 1e20f, 2 };
  gchar *deep = g_strnfill (33, '[');
  gchar *doc;

  /* 18 digits are fine, 19 are refused rather than wrapped. */
  fail_unless_equals_int (push_text (f, "[100000000000000000, 1]", 0),
      GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "[1000000000000000000, 1]", 0),
      GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "[1e20, 2]", 0), GST_FLOW_OK);
  /* Depth 32 is the limit. */
  doc = g_strconcat (deep, "1", NULL);
  fail_unless_equals_int (push_text (f, doc, 0), GST_FLOW_OK);
  g_free (doc);
  g_free (deep);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  check_f32 (f, expected, 2);
  check_f32 (f, expected + 2, 2);
  fixture_free (f);
}

GST_END_TEST;
#endif /* HAVE_JSON_GLIB */

/* ------------------------------------------------- formats, caps, events */

#ifdef HAVE_JSON_GLIB
GST_START_TEST (test_auto_format_json_from_first_record)
{
  Fixture *f = fixture_new ("text/x-raw, format=utf8", NULL);
  static const gfloat expected[] = { 1, 2 };

  fail_unless_equals_int (push_text (f, "  [1, 2]", 0), GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fixture_free (f);
}

GST_END_TEST;
#endif /* HAVE_JSON_GLIB */

GST_START_TEST (test_auto_format_from_first_record)
{
  Fixture *f;
  static const gfloat expected[] = { 1, 2 };

  /* Sniffed as CSV: with the default ',' "1;2" is not a number. */
  f = fixture_new ("text/x-raw, format=utf8", "header", "absent",
      "on-bad-input", "error", NULL);
  fail_unless_equals_int (push_text (f, "1;2\n", 0), GST_FLOW_ERROR);
  fixture_free (f);

  f = fixture_new ("application/octet-stream", "delimiter", ";", NULL);
  fail_unless_equals_int (push_text (f, "\n1;2\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_events_follow_caps)
{
  Fixture *f = fixture_new ("text/csv", NULL);
  static const GstEventType order[] = {
    GST_EVENT_STREAM_START, GST_EVENT_CAPS, GST_EVENT_SEGMENT
  };
  guint i;

  /* The segment arrived before any point: it waits for the caps. */
  fail_unless_equals_int (push_text (f, "x,y\n", 0), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_events_in_queue (f->h), 1);
  fail_unless_equals_int (push_text (f, "1,2\n", 0), GST_FLOW_OK);
  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    GstEvent *event = gst_harness_pull_event (f->h);

    fail_unless (event != NULL);
    fail_unless_equals_string (GST_EVENT_TYPE_NAME (event),
        gst_event_type_get_name (order[i]));
    gst_event_unref (event);
  }
  gst_buffer_unref (gst_harness_pull (f->h));
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_invalid_settings)
{
  static const gchar *const bad[][2] = {
    {"delimiter", "ab"}, {"delimiter", "\""}, {"columns", "0,x"},
    {"columns", "1,,2"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstElement *e = gst_element_factory_make ("kmeans-parse", NULL);
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;
    GError *err = NULL;

    gst_element_set_bus (e, bus);
    g_object_set (e, bad[i][0], bad[i][1], NULL);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "%s=%s accepted", bad[i][0], bad[i][1]);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS));
    g_clear_error (&err);
    gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
  }
}

GST_END_TEST;

GST_START_TEST (test_restart_resets)
{
  Fixture *f = fixture_new ("text/csv", NULL);
  static const gfloat three[] = { 1, 2, 3 };

  fail_unless_equals_int (push_text (f, "1,2\n", 0), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (f->h));
  fail_unless_equals_uint64 (get_u64 (f, "parsed-points"), 1);

  /* A new run learns D again and starts its counters at 0. */
  gst_element_set_state (f->parse, GST_STATE_READY);
  gst_harness_play (f->h);
  gst_harness_set_src_caps_str (f->h, "text/csv");
  fail_unless_equals_uint64 (get_u64 (f, "parsed-points"), 0);
  fail_unless_equals_int (push_text (f, "1,2,3\n", 0), GST_FLOW_OK);
  check_caps (f, "F32LE", 3);
  check_f32 (f, three, 3);
  fixture_free (f);
}

GST_END_TEST;

/* ------------------------------------------- input never lost unseen */

/* Issue 11: a UTF-8 byte-order mark once made the first field text (a
 * point of one dimension fewer, a header without its first column, a
 * JSON document taken for CSV and dropped). */
GST_START_TEST (test_bom_dropped)
{
  static const gfloat expected[] = { 1, 2, 3, 4 };
  Fixture *f;

  /* Lines mode: at the start of the stream, here cut across buffers. */
  f = fixture_new ("text/csv", "mode", "lines", "on-bad-input", "skip", NULL);
  fail_unless_equals_int (push_text (f, "\xef", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "\xbb\xbf" "1,2\n3,4\n", 0),
      GST_FLOW_OK);
  check_caps (f, "F32LE", 2);
  check_f32 (f, expected, 4);
  /* Anywhere else it is text, and its record malformed. */
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf" "5,6\n", 0),
      GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  fixture_free (f);

  /* The header after it names its first column. */
  f = fixture_new ("text/csv", "mode", "lines", "columns", "x,y", NULL);
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf" "x,y\n1,2\n3,4\n",
          0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);

  /* Message mode: at the start of every message. */
  f = fixture_new ("text/csv", NULL);
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf" "1,2\n", 0),
      GST_FLOW_OK);
  check_caps (f, "F32LE", 2);
  check_f32 (f, expected, 2);
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf" "3,4", 0), GST_FLOW_OK);
  check_f32 (f, expected + 2, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);

#ifdef HAVE_JSON_GLIB
  /* format=auto finds the JSON behind it, in messages and in lines. */
  f = fixture_new ("application/octet-stream", NULL);
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf[1,2]", 0), GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf{\"point\": [3,4]}", 0),
      GST_FLOW_OK);
  check_f32 (f, expected + 2, 2);
  fixture_free (f);

  f = fixture_new ("application/octet-stream", "mode", "lines", NULL);
  fail_unless_equals_int (push_text (f, "\xef\xbb\xbf[1,2]\n[3,4]\n", 0),
      GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);
#endif
}

GST_END_TEST;

/* format=csv or json holds when upstream sends no caps at all. */
GST_START_TEST (test_format_without_caps)
{
  static const gfloat expected[] = { 1, 2 };
  Fixture *f;

  f = fixture_new (NULL, "format", "csv", "header", "absent",
      "on-bad-input", "skip", NULL);
  fail_unless_equals_int (push_text (f, "1,2\n[3,4]\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  fixture_free (f);

#ifdef HAVE_JSON_GLIB
  f = fixture_new (NULL, "format", "json", "on-bad-input", "skip", NULL);
  fail_unless_equals_int (push_text (f, "1,2\n", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  fixture_free (f);
#endif
}

GST_END_TEST;

/* A message that is one line without numbers is no header (nothing would
 * follow it) but a malformed record: counted, not dropped unseen. */
GST_START_TEST (test_lone_line_message)
{
  static const gfloat point[] = { 1, 2 };
  static const gfloat swapped[] = { 2, 1 };
  Fixture *f = fixture_new ("text/csv", "on-bad-input", "skip", NULL);
  GstMessage *msg;

  fail_unless_equals_int (push_text (f, "x,y", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "\n x,y \r\n\n", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  msg = pop_message (f, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  /* With a point after it, the line is the header. */
  fail_unless_equals_int (push_text (f, "x,y\n1,2\n", 0), GST_FLOW_OK);
  check_f32 (f, point, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 2);
  fixture_free (f);

  /* Columns by name: a header message names them for the next ones. */
  f = fixture_new ("text/csv", "columns", "y,x", NULL);
  fail_unless_equals_int (push_text (f, "x,y", 0), GST_FLOW_OK);
  fail_unless_equals_int (push_text (f, "1,2", 0), GST_FLOW_OK);
  check_f32 (f, swapped, 2);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);

  /* header=present: it is the header the property says there is. */
  f = fixture_new ("text/csv", "header", "present", NULL);
  fail_unless_equals_int (push_text (f, "x,y", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);
}

GST_END_TEST;

/* The error's debug text is UTF-8, or GStreamer drops it. */
static void
check_error_debug (Fixture * f, const gchar * expected)
{
  GstMessage *msg = pop_message (f, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (debug != NULL, "the error lost its debug text");
  fail_unless (g_utf8_validate (debug, -1, NULL));
  fail_unless (strstr (debug, expected) != NULL, "%s", debug);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
}

/* A reason is cut to 255 bytes, between characters: once it could end in
 * half of one, and the error message lost its debug text. */
GST_START_TEST (test_reason_stays_utf8)
{
  GString *name = g_string_new (NULL);
  Fixture *f;
  guint i;

  for (i = 0; i < 130; i++)
    g_string_append (name, "\xc3\xa9");
  f = fixture_new ("text/csv", "columns", name->str, "on-bad-input",
      "error", NULL);
  fail_unless_equals_int (push_text (f, "a,b\n1,2\n", 0), GST_FLOW_ERROR);
  check_error_debug (f, "record 1: the header has no column");
  fixture_free (f);

#ifdef HAVE_JSON_GLIB
  {
    /* json-glib quotes the text it stopped at. */
    gchar *doc = g_strdup_printf ("{\"%s\" 1}", name->str);

    f = fixture_new ("application/json", "on-bad-input", "error", NULL);
    fail_unless_equals_int (push_text (f, doc, 0), GST_FLOW_ERROR);
    check_error_debug (f, "record 1: <data>:1:");
    fixture_free (f);
    g_free (doc);
  }
#endif
  g_string_free (name, TRUE);
}

GST_END_TEST;

#ifdef HAVE_JSON_GLIB
/* max-values: a JSON document with more values is refused before it is
 * parsed, as one malformed record. */
GST_START_TEST (test_max_values)
{
  static const gfloat expected[] = { 1, 2, 3, 4 };
  GParamSpecUInt *spec;
  Fixture *f;
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  f = fixture_new ("application/json", "max-values", "7", "on-bad-input",
      "skip", NULL);
  spec = G_PARAM_SPEC_UINT (g_object_class_find_property
      (G_OBJECT_GET_CLASS (f->parse), "max-values"));
  fail_unless (spec != NULL);
  fail_unless_equals_int (spec->default_value, 1 << 25);
  fail_unless_equals_int (spec->minimum, 1);
  /* [[1,2],[3,4]] holds 7 values, 3 arrays and 4 numbers. */
  fail_unless_equals_int (push_text (f, "[[1,2],[3,4]]", 0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fail_unless_equals_int (push_text (f, "[[1,2],[3,4],[5,6]]", 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  msg = pop_message (f, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, &debug);
  fail_unless (strstr (debug, "the document holds 10 values, more than "
          "max-values (7)") != NULL, "%s", debug);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  fixture_free (f);

  /* CSV is read a line at a time: no such limit. */
  f = fixture_new ("text/csv", "max-values", "1", NULL);
  fail_unless_equals_int (push_text (f, "1,2\n3,4\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 4);
  fixture_free (f);
}

GST_END_TEST;

/* Documents larger than 64 KiB are walked a member at a time: the same
 * points as from a whole tree, and a syntax error anywhere still refuses
 * the whole document. */
GST_START_TEST (test_json_large_documents)
{
  GString *list = g_string_new ("["), *object;
  gfloat *expected = g_new (gfloat, 2 * 30000);
  GstBuffer *buf;
  GstMapInfo map;
  Fixture *f;
  guint i;

  for (i = 0; i < 30000; i++) {
    g_string_append_printf (list, "%s[%u,%u.5]", i ? "," : "", i, i);
    expected[2 * i] = i;
    expected[2 * i + 1] = i + 0.5f;
  }
  g_string_append_c (list, ']');
  object = g_string_new ("{\"type\": \"points\", \"points\": ");
  g_string_append_printf (object, "%s, \"count\": 30000}", list->str);

  f = fixture_new ("application/json", "on-bad-input", "skip", NULL);
  fail_unless_equals_int (push_bytes (f, list->str, list->len, 0), GST_FLOW_OK);
  check_caps (f, "F32LE", 2);
  check_f32 (f, expected, 2 * 30000);
  /* Cut short: one malformed record, no point. */
  fail_unless_equals_int (push_bytes (f, list->str, list->len - 1, 0),
      GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 1);
  fixture_free (f);

  /* What kmeans-format writes, with field=points and float64. */
  f = fixture_new ("application/json", "field", "points", "output-format",
      "F64LE", "columns", "1,0", NULL);
  fail_unless_equals_int (push_bytes (f, object->str, object->len, 0),
      GST_FLOW_OK);
  buf = gst_harness_pull (f->h);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, 2 * 30000 * sizeof (gdouble));
  for (i = 0; i < 30000; i++) {
    fail_unless_equals_float (((gdouble *) map.data)[2 * i], i + 0.5);
    fail_unless_equals_float (((gdouble *) map.data)[2 * i + 1], i);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  fixture_free (f);

  g_string_free (list, TRUE);
  g_string_free (object, TRUE);
  g_free (expected);
}

GST_END_TEST;
#endif /* HAVE_JSON_GLIB */

/* -------------------------------------------------- without json-glib */

#ifndef HAVE_JSON_GLIB
static void
check_no_json_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;

  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NOT_IMPLEMENTED), "%s", err->message);
  fail_unless (strstr (err->message, "without JSON support") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
}

GST_START_TEST (test_no_json_format_refused)
{
  GstElement *e = gst_element_factory_make ("kmeans-parse", NULL);
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (e, bus);
  gst_util_set_object_arg (G_OBJECT (e), "format", "json");
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  check_no_json_error (bus);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_no_json_input_refused)
{
  static const gfloat expected[] = { 1, 2 };
  Fixture *f;

  /* format=auto: a record starting with [ is JSON. */
  f = fixture_new ("application/octet-stream", "on-bad-input", "skip", NULL);
  fail_unless_equals_int (push_text (f, "[1,2]\n", 0), GST_FLOW_ERROR);
  check_no_output (f);
  check_no_json_error (f->bus);
  fail_unless_equals_uint64 (get_u64 (f, "malformed-records"), 0);
  fixture_free (f);

  /* application/json caps say JSON, whatever the text. */
  f = fixture_new ("application/json", NULL);
  fail_unless_equals_int (push_text (f, "1,2\n", 0), GST_FLOW_ERROR);
  check_no_json_error (f->bus);
  fixture_free (f);

  /* CSV still works. */
  f = fixture_new ("application/octet-stream", NULL);
  fail_unless_equals_int (push_text (f, "1,2\n", 0), GST_FLOW_OK);
  check_f32 (f, expected, 2);
  fixture_free (f);
}

GST_END_TEST;
#endif /* !HAVE_JSON_GLIB */

static Suite *
kmeansparse_suite (void)
{
  Suite *s = suite_create ("kmeans-parse");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_csv_without_header);
  tcase_add_test (tc, test_csv_columns_by_name);
  tcase_add_test (tc, test_csv_columns_by_index);
  tcase_add_test (tc, test_csv_all_numeric_columns);
  tcase_add_test (tc, test_csv_header_present_and_absent);
  tcase_add_test (tc, test_csv_quotes_and_delimiter);
  tcase_add_test (tc, test_csv_unbalanced_quotes);
#ifdef HAVE_JSON_GLIB
  tcase_add_test (tc, test_json_point_and_points);
  tcase_add_test (tc, test_json_objects);
  tcase_add_test (tc, test_json_named_members_and_indices);
  tcase_add_test (tc, test_json_reads_kmeans_format_points);
  tcase_add_test (tc, test_json_malformed_points_counted);
  tcase_add_test (tc, test_lines_json);
  tcase_add_test (tc, test_json_guards);
  tcase_add_test (tc, test_auto_format_json_from_first_record);
#else
  g_print ("kmeans-parse is built without json-glib: skipping its JSON "
      "tests, checking that JSON is refused instead\n");
  tcase_add_test (tc, test_no_json_format_refused);
  tcase_add_test (tc, test_no_json_input_refused);
#endif
  tcase_add_test (tc, test_lines_split_across_buffers);
  tcase_add_test (tc, test_lines_too_long);
  tcase_add_test (tc, test_lines_discont_loses_line);
  tcase_add_test (tc, test_malformed_error);
  tcase_add_test (tc, test_malformed_skip_warns_once);
  tcase_add_test (tc, test_default_skips_malformed);
  tcase_add_test (tc, test_fixed_dimensions);
  tcase_add_test (tc, test_non_finite_values);
  tcase_add_test (tc, test_garbage_never_crashes);
  tcase_add_test (tc, test_auto_format_from_first_record);
  tcase_add_test (tc, test_events_follow_caps);
  tcase_add_test (tc, test_invalid_settings);
  tcase_add_test (tc, test_restart_resets);
  tcase_add_test (tc, test_bom_dropped);
  tcase_add_test (tc, test_format_without_caps);
  tcase_add_test (tc, test_lone_line_message);
  tcase_add_test (tc, test_reason_stays_utf8);
#ifdef HAVE_JSON_GLIB
  tcase_add_test (tc, test_max_values);
  tcase_add_test (tc, test_json_large_documents);
#endif
  return s;
}

GST_CHECK_MAIN (kmeansparse);

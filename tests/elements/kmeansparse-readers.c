/* Tests of kmeans-parse's text readers on their own (kmcsvreader.h,
 * kmjsonreader.h), without GStreamer: the exact limits, what reaches the
 * sink, and that a reader stops when the sink says so.  What the element
 * does with points and reasons is tests/elements/kmeansparse.c's. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib.h>

#include "kmeans.h"
#include "kmcsvreader.h"
#ifdef HAVE_JSON_GLIB
#include "kmjsonreader.h"
#include "kmjsonscan.h"
#endif

/* A sink that writes down what it is given. */
typedef struct
{
  GString *log;                 /* "(1,2)" per point, "!reason" per bad one */
  guint refuse;                 /* refuse this many points first */
  gboolean stop_on_malformed;
  gboolean stopped;
  KmColumns cols;
  KmPointSink sink;
} Recorder;

static KmPointVerdict
record_point (const gdouble * values, guint width, gpointer user_data)
{
  Recorder *r = user_data;
  guint j;

  g_assert_false (r->stopped);
  g_string_append_c (r->log, '(');
  for (j = 0; j < width; j++)
    g_string_append_printf (r->log, "%s%g", j ? "," : "", values[j]);
  g_string_append_c (r->log, ')');
  if (r->refuse > 0) {
    r->refuse--;
    return KM_POINT_REFUSED;
  }
  return KM_POINT_ACCEPTED;
}

static gboolean
record_malformed (const gchar * reason, gpointer user_data)
{
  Recorder *r = user_data;

  g_assert_false (r->stopped);
  g_string_append_printf (r->log, "!%s;", reason);
  r->stopped = r->stop_on_malformed;
  return !r->stopped;
}

static void
recorder_init (Recorder * r, const gchar * columns)
{
  memset (r, 0, sizeof (*r));
  r->log = g_string_new (NULL);
  g_assert_true (km_columns_parse (&r->cols, columns, NULL));
  r->sink.point = record_point;
  r->sink.malformed = record_malformed;
  r->sink.user_data = r;
}

static void
recorder_clear (Recorder * r)
{
  g_string_free (r->log, TRUE);
  km_columns_clear (&r->cols);
}

/* What the sink got since the last call. */
static gchar *
recorder_take (Recorder * r)
{
  gchar *got = g_strdup (r->log->str);

  g_string_truncate (r->log, 0);
  return got;
}

#define assert_log(r, expected) G_STMT_START {                          \
    gchar *got_ = recorder_take (r);                                    \
    g_assert_cmpstr (got_, ==, expected);                               \
    g_free (got_);                                                      \
  } G_STMT_END

/* ------------------------------------------------------------------ CSV */

static void
csv_lines (KmCsvReader * csv, const gchar * const *lines)
{
  for (; *lines != NULL; lines++)
    km_csv_reader_read_line (csv, *lines, strlen (*lines));
}

static void
test_csv_automatic_columns (void)
{
  static const gchar *const lines[] = {
    "label,x,y", "a,1,2", "b,3,4", "c,5,6,7", NULL
  };
  Recorder r;
  KmCsvReader *csv;

  /* The first point the sink refuses does not choose the columns. */
  recorder_init (&r, NULL);
  r.refuse = 1;
  csv = km_csv_reader_new (&r.cols, ',', KM_CSV_HEADER_AUTO, &r.sink);
  csv_lines (csv, lines);
  assert_log (&r, "(1,2)(3,4)!the line has 4 fields, the first one had 3;");
  g_assert_true (r.cols.automatic);
  g_assert_cmpuint (r.cols.n, ==, 2);
  g_assert_cmpuint (r.cols.index[0], ==, 1);
  g_assert_cmpuint (r.cols.index[1], ==, 2);
  km_csv_reader_free (csv);
  recorder_clear (&r);
}

static void
test_csv_header_names (void)
{
  static const gchar *const lines[] = {
    "\"b \"\"q\"\"\";a", "1;2", "x;a", "1;2", NULL
  };
  Recorder r;
  KmCsvReader *csv;

  recorder_init (&r, "a,b \"q\"");
  csv = km_csv_reader_new (&r.cols, ';', KM_CSV_HEADER_AUTO, &r.sink);
  csv_lines (csv, lines);
  /* Only the first line after expect_header() is a header. */
  assert_log (&r, "(2,1)!column 1 (\"a\") is not a number;(2,1)");

  /* A new header without the column: no point until one names it. */
  km_csv_reader_expect_header (csv);
  km_csv_reader_read_line (csv, "x;y", 3);
  km_csv_reader_read_line (csv, "1;2", 3);
  assert_log (&r, "!the header has no column \"a\";"
      "!no header line names the columns;");
  km_csv_reader_free (csv);
  recorder_clear (&r);
}

static void
test_csv_number_length (void)
{
  gchar *longest = g_strnfill (255, '1');
  gchar *too_long = g_strnfill (256, '1');
  Recorder r;
  KmCsvReader *csv;
  gchar *got;

  recorder_init (&r, "0");
  csv = km_csv_reader_new (&r.cols, ',', KM_CSV_HEADER_ABSENT, &r.sink);
  km_csv_reader_read_line (csv, longest, 255);
  got = recorder_take (&r);
  g_assert_true (g_str_has_prefix (got, "(1.11111e+254)"));
  g_free (got);
  km_csv_reader_read_line (csv, too_long, 256);
  assert_log (&r, "!column 0 (\"111111111111111111111111...\") is not a "
      "number;");
  km_csv_reader_free (csv);
  recorder_clear (&r);
  g_free (longest);
  g_free (too_long);
}

static void
test_csv_stops_when_told (void)
{
  Recorder r;
  KmCsvReader *csv;

  recorder_init (&r, NULL);
  r.stop_on_malformed = TRUE;
  csv = km_csv_reader_new (&r.cols, ',', KM_CSV_HEADER_ABSENT, &r.sink);
  g_assert_true (km_csv_reader_read_line (csv, "1,2", 3));
  g_assert_false (km_csv_reader_read_line (csv, "1,\"2", 4));
  assert_log (&r, "(1,2)!unbalanced double quotes;");
  km_csv_reader_free (csv);
  recorder_clear (&r);
}

/* A message of one line (km_csv_reader_expect_lone_line): with
 * header=auto a line without numbers is malformed, not a header dropped
 * unseen, unless it names the columns. */
static void
test_csv_lone_line (void)
{
  Recorder r;
  KmCsvReader *csv;

  recorder_init (&r, NULL);
  csv = km_csv_reader_new (&r.cols, ',', KM_CSV_HEADER_AUTO, &r.sink);
  km_csv_reader_expect_lone_line (csv);
  km_csv_reader_read_line (csv, "x,y", 3);
  km_csv_reader_expect_lone_line (csv);
  km_csv_reader_read_line (csv, "1,2", 3);
  assert_log (&r, "!the message is one line and none of its fields is a "
      "number (a header with no points after it?);(1,2)");
  km_csv_reader_free (csv);
  recorder_clear (&r);

  recorder_init (&r, "y,x");
  csv = km_csv_reader_new (&r.cols, ',', KM_CSV_HEADER_AUTO, &r.sink);
  km_csv_reader_expect_lone_line (csv);
  km_csv_reader_read_line (csv, "x,y", 3);
  km_csv_reader_expect_lone_line (csv);
  km_csv_reader_read_line (csv, "1,2", 3);
  assert_log (&r, "(2,1)");
  km_csv_reader_free (csv);
  recorder_clear (&r);

  /* A forced header is one, alone or not. */
  recorder_init (&r, NULL);
  csv = km_csv_reader_new (&r.cols, ',', KM_CSV_HEADER_PRESENT, &r.sink);
  km_csv_reader_expect_lone_line (csv);
  km_csv_reader_read_line (csv, "x,y", 3);
  assert_log (&r, "");
  km_csv_reader_free (csv);
  recorder_clear (&r);
}

static void
test_csv_settings (void)
{
  KmColumns cols = { 0 };
  GError *err = NULL;
  GString *many = g_string_new ("0");
  gchar delimiter = 0;
  guint i;

  g_assert_true (km_csv_delimiter_from_string ("tab", &delimiter));
  g_assert_cmpint (delimiter, ==, '\t');
  g_assert_true (km_csv_delimiter_from_string ("\\t", &delimiter));
  g_assert_cmpint (delimiter, ==, '\t');
  g_assert_true (km_csv_delimiter_from_string ("|", &delimiter));
  g_assert_cmpint (delimiter, ==, '|');
  g_assert_false (km_csv_delimiter_from_string ("\"", &delimiter));
  g_assert_false (km_csv_delimiter_from_string (";;", &delimiter));
  g_assert_false (km_csv_delimiter_from_string (NULL, &delimiter));

  g_assert_true (km_columns_parse (&cols, " 2 , 0 ", NULL));
  g_assert_cmpuint (cols.n, ==, 2);
  g_assert_true (cols.resolved);
  g_assert_false (km_columns_parse (&cols, "0,x", &err));
  g_assert_error (err, KM_TEXT_READER_ERROR, KM_TEXT_READER_ERROR_SETTINGS);
  g_assert_cmpstr (err->message, ==, "columns \"0,x\" mixes indices and "
      "names; use one or the other");
  g_clear_error (&err);
  g_assert_false (km_columns_parse (&cols, "1,,2", &err));
  g_assert_cmpstr (err->message, ==, "columns \"1,,2\": entry 2 is empty");
  g_clear_error (&err);
  g_assert_cmpuint (cols.n, ==, 0);
  for (i = 0; i < KM_MAX_DIMENSIONS; i++)
    g_string_append (many, ",0");
  g_assert_false (km_columns_parse (&cols, many->str, &err));
  g_assert_cmpstr (err->message, ==, "columns lists 65537 columns, more "
      "than 65536");
  g_clear_error (&err);
  g_string_free (many, TRUE);
  km_columns_clear (&cols);
}

/* ----------------------------------------------------------------- text */

/* A reason cut to 255 bytes stays UTF-8: GStreamer drops the debug text
 * of a message that is not. */
static void
test_reason_cut_at_character (void)
{
  GString *text = g_string_new (NULL);
  Recorder r;
  gchar *got;
  guint i;

  for (i = 0; i < 200; i++)
    g_string_append (text, "\xc3\xa9");
  recorder_init (&r, NULL);
  km_point_sink_malformed (&r.sink, "%s", text->str);
  got = recorder_take (&r);
  g_assert_true (g_utf8_validate (got, -1, NULL));
  /* "!", 127 two-byte characters, ";". */
  g_assert_cmpuint (strlen (got), ==, 1 + 254 + 1);
  g_free (got);
  recorder_clear (&r);
  g_string_free (text, TRUE);
}

static void
test_bom_length (void)
{
  g_assert_cmpuint (km_text_bom_length ("\xef\xbb\xbf[1]", 6), ==, 3);
  g_assert_cmpuint (km_text_bom_length ("\xef\xbb\xbf", 3), ==, 3);
  g_assert_cmpuint (km_text_bom_length ("\xef\xbb", 2), ==, 0);
  g_assert_cmpuint (km_text_bom_length ("1,2", 3), ==, 0);
  g_assert_cmpuint (km_text_bom_length ("", 0), ==, 0);
}

/* ----------------------------------------------------------------- JSON */

#ifdef HAVE_JSON_GLIB
static void
json_read (KmJsonReader * json, const gchar * text)
{
  km_json_reader_read (json, text, strlen (text));
}

static void
test_json_points_and_bad_points (void)
{
  Recorder r;
  KmJsonReader *json;

  recorder_init (&r, NULL);
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  json_read (json, "[[1,2],[3,\"x\"],[],5,{\"p\":[6]}]");
  assert_log (&r, "(1,2)!element 1 of the point is not a number;()"
      "!element 3 of the list is not a point;(6)");
  json_read (json, "{\"p\": [[7], [8, 9]], \"q\": 1}");
  assert_log (&r, "(7)(8,9)");
  json_read (json, "{\"q\": 1}");
  json_read (json, "{\"p\": 1}");
  json_read (json, "[{\"p\": [[1]]}, {\"p\": [{\"p\": [2]}]}]");
  assert_log (&r, "!the object has no member \"p\";"
      "!member \"p\" is not an array;(1)!element 0 of the list is not a "
      "point;");
  km_json_reader_free (json);
  recorder_clear (&r);
}

static void
test_json_columns (void)
{
  Recorder r;
  KmJsonReader *json;

  recorder_init (&r, "y,x");
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  json_read (json, "[{\"x\": 1, \"y\": 2}, {\"x\": 3}, {\"x\": 1, "
      "\"y\": true}, [1, 2]]");
  assert_log (&r, "(2,1)!the object has no member \"y\";"
      "!member \"y\" is not a number;!columns are names, but the point is "
      "an array, not an object;");
  km_json_reader_free (json);
  recorder_clear (&r);

  recorder_init (&r, "2,0");
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  json_read (json, "[[10, 20, 30], [10, 20]]");
  assert_log (&r, "(30,10)!the point has 2 values, element 2 is missing;");
  km_json_reader_free (json);
  recorder_clear (&r);
}

/* Nesting depth, integer digits and top-level values are checked before
 * json-glib sees the text, at these exact limits. */
static void
test_json_prescan_limits (void)
{
  gchar *open32 = g_strnfill (32, '['), *close32 = g_strnfill (32, ']');
  gchar *deep32 = g_strconcat (open32, "1", close32, NULL);
  gchar *deep33 = g_strconcat ("[", deep32, "]", NULL);
  Recorder r;
  KmJsonReader *json;

  recorder_init (&r, NULL);
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  json_read (json, deep32);
  assert_log (&r, "!element 0 of the point is not a number;");
  json_read (json, deep33);
  assert_log (&r, "!JSON nested more than 32 levels deep;");
  json_read (json, "[123456789012345678, -123456789012345678]");
  assert_log (&r, "(1.23457e+17,-1.23457e+17)");
  json_read (json, "[1234567890123456789]");
  json_read (json, "[-1234567890123456789]");
  assert_log (&r, "!JSON integer with more than 18 digits (use an exponent);"
      "!JSON integer with more than 18 digits (use an exponent);");
  json_read (json, "[1234567890123456789.5, 1234567890123456789e0]");
  assert_log (&r, "(1.23457e+18,1.23457e+18)");
  json_read (json, "[1] [2]");
  json_read (json, "\"[1]\"");
  json_read (json, "[1]]");
  json_read (json, "[\"]");
  assert_log (&r, "!more than one JSON value in one record;"
      "!the document is not a JSON array or object;"
      "!unbalanced JSON brackets;!unterminated JSON string;");
  km_json_reader_free (json);
  recorder_clear (&r);
  g_free (open32);
  g_free (close32);
  g_free (deep32);
  g_free (deep33);
}

/* What a reader with this parse limit reads from @text. */
static gchar *
json_read_with_limit (const gchar * columns, gsize limit, const gchar * text,
    gsize len)
{
  Recorder r;
  KmJsonReader *json;
  gchar *got;

  recorder_init (&r, columns);
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  km_json_reader_set_parse_limit (json, limit);
  km_json_reader_read (json, text, len);
  got = recorder_take (&r);
  km_json_reader_free (json);
  recorder_clear (&r);
  return got;
}

/* Walked member by member (parse limit 0: every array and object), a
 * document reads exactly as parsed whole: the same points, reasons and
 * order, whatever the columns. */
static void
test_json_walked_reads_alike (void)
{
  static const gchar *const docs[] = {
    "[[1,2],[3,\"x\"],[],5,{\"p\":[6]}]",
    "{\"p\": [[7], [8, 9]], \"q\": 1}", "{\"q\": 1}", "{\"p\": 1}",
    "[{\"p\": [[1]]}, {\"p\": [{\"p\": [2]}]}]", "[1, 2, 3]",
    " [ ] ", "{}", "[[]]", "[{}]", "{\"p\":[1],\"p\":[2]}",
    "{\"a\": {\"p\": [9]}, \"p\": [[1, 2], [3, 4]]}",
    "[1e5, -0, 1.5e-3, 123456789012345678, -1e999]",
    "[[1], 2, {\"p\": [3]}, \"s\", null, true]",
    "{\"p\": {\"x\": 1}}", "{\"p\\u0020\": [1], \"p\": [[2]]}",
    "[{\"x\": 1, \"y\": 2}, {\"x\": 3}, {\"x\": 1, \"y\": true}, [1, 2], "
        "{\"y\": 5, \"x\": 6, \"y\": 7}, {\"x\": [1], \"y\": 2}]",
    "[[10, 20, 30], [10, 20], [[1], 2, 3]]",
    /* json-glib extensions, walked the same. */
    "[[0x10, 2], ['a', 3], [01, .5], {'p': [[4]]}]",
  };
  static const gchar *const columns[] = { NULL, "2,0", "y,x", "0,0" };
  guint i, c;

  for (c = 0; c < G_N_ELEMENTS (columns); c++) {
    for (i = 0; i < G_N_ELEMENTS (docs); i++) {
      gchar *whole = json_read_with_limit (columns[c], G_MAXSIZE, docs[i],
          strlen (docs[i]));
      gchar *walked = json_read_with_limit (columns[c], 0, docs[i],
          strlen (docs[i]));

      g_assert_cmpstr (walked, ==, whole);
      g_free (whole);
      g_free (walked);
    }
  }
}

/* The walk's own syntax errors, at their place in the document; json-glib's
 * about one member are moved there too. */
static void
test_json_walk_errors (void)
{
  static const gchar *const cases[][2] = {
    {"[[1],[2],]", "!<data>:1:10: Parse error: expected a value;"},
    {"[,[1]]", "!<data>:1:2: Parse error: expected a value;"},
    {"[[1] [2]]", "!<data>:1:6: Parse error: expected a comma or the end of "
          "the container;"},
    {"[[1], 2 [3]]", "!<data>:1:9: Parse error: expected a comma or the end "
          "of the container;"},
    {"[[1],[2]", "!<data>:1:9: Parse error: unexpected end of the "
          "document;"},
    {"[[1],\n [2}]", "!<data>:2:4: Parse error: mismatched brackets;"},
    {"{\"p\" [[1]]}", "!<data>:1:6: Parse error: expected a colon after "
          "the key;"},
    {"{\"p\" 1}", "!<data>:1:7: Parse error: expected a colon after the "
          "key;"},
    {"{[1]: 2}", "!<data>:1:2: Parse error: an object key must be a "
          "string;"},
    {"{\"p\": [[1]], : 2}", "!<data>:1:14: Parse error: expected a key "
          "before the colon;"},
    {"{1: [[1]]}", "!<data>:1:2: Parse error: an object key must be a "
          "string;"},
    {"[[1,2],\n  [3, tru]]", "!<data>:2:9: Parse error: unexpected "
          "identifier `tru', expected value;"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *walked = json_read_with_limit (NULL, 0, cases[i][0],
        strlen (cases[i][0]));

    g_assert_cmpstr (walked, ==, cases[i][1]);
    g_free (walked);
  }
}

/* Points of a document larger than the parse limit, as a json-glib tree
 * of it would give them. */
static void
test_json_large_documents (void)
{
  GString *doc = g_string_new ("{\"id\": 'x', \"p\": [");
  Recorder r;
  KmJsonReader *json;
  const gchar *p;
  gchar *got;
  guint i;

  for (i = 0; i < 20000; i++)
    g_string_append_printf (doc, "%s[%u, -%u.5]", i ? "," : "", i, i);
  g_string_append (doc, "]}");
  g_assert_cmpuint (doc->len, >, KM_JSON_READER_DEFAULT_PARSE_LIMIT);

  recorder_init (&r, NULL);
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  /* Not plain JSON ('x'): checked member by member before it is read. */
  g_assert_true (km_json_reader_read (json, doc->str, doc->len));
  got = recorder_take (&r);
  g_assert_true (g_str_has_prefix (got, "(0,-0.5)(1,-1.5)(2,-2.5)"));
  g_assert_true (g_str_has_suffix (got, "(19999,-19999.5)"));
  for (i = 0, p = got; (p = strchr (p, '(')) != NULL; p++)
    i++;
  g_assert_cmpuint (i, ==, 20000);
  g_free (got);

  /* A syntax error at its very end: the whole document is one malformed
   * record, and none of its points is read. */
  g_string_truncate (doc, doc->len - 1);
  g_string_append (doc, "}}");
  km_json_reader_read (json, doc->str, doc->len);
  got = recorder_take (&r);
  g_assert_cmpint (got[0], ==, '!');
  g_assert_null (strchr (got, '('));
  g_assert_null (strchr (got + 1, '!'));
  g_free (got);
  km_json_reader_free (json);
  recorder_clear (&r);
  g_string_free (doc, TRUE);
}

/* max-values counts every value but the keys, and refuses before parsing. */
static void
test_json_max_values (void)
{
  static const gchar *points = "[[1,2],[3,4]]";
  static const gchar *object = "{\"p\": [1, 2], \"id\": \"a:b\"}";
  Recorder r;
  KmJsonReader *json;

  recorder_init (&r, NULL);
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  km_json_reader_set_max_values (json, 7);
  json_read (json, points);
  km_json_reader_set_max_values (json, 6);
  json_read (json, points);
  assert_log (&r, "(1,2)(3,4)!the document holds 7 values, more than "
      "max-values (6);");
  km_json_reader_set_max_values (json, 5);
  json_read (json, object);
  km_json_reader_set_max_values (json, 4);
  json_read (json, object);
  assert_log (&r, "(1,2)!the document holds 5 values, more than max-values "
      "(4);");
  km_json_reader_free (json);
  recorder_clear (&r);
}

static void
test_json_strict (void)
{
  static const gchar *const strict[] = {
    "[1, -0.5e+3, 0, 10E-2, \"a\\u00e9\\ud83d\\ude00\\n\\/\", true, false, "
        "null, {}, [], {\"a\": [{\"b\": null}]}]", " \r\n\t[]\n",
  };
  static const gchar *const extended[] = {
    "[01]", "[.5]", "[1.]", "['a']", "[0x10]", "[/*c*/1]", "[\"\\ud800\"]",
    "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"a\tb\"]", "[1,]", "[\"\\x\"]",
    "[- 1]", "[+1]", "[1e]", "[tru]", "{\"a\" 1}", "{1: 2}", "[1 2]", "[1]x",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (strict); i++)
    g_assert_true (km_json_is_strict (strict[i], strlen (strict[i])));
  for (i = 0; i < G_N_ELEMENTS (extended); i++)
    g_assert_false (km_json_is_strict (extended[i], strlen (extended[i])));
}

static void
test_json_stops_when_told (void)
{
  Recorder r;
  KmJsonReader *json;

  recorder_init (&r, NULL);
  r.stop_on_malformed = TRUE;
  json = km_json_reader_new (&r.cols, "p", &r.sink);
  g_assert_false (km_json_reader_read (json, "[[1],[\"x\"],[2]]",
          strlen ("[[1],[\"x\"],[2]]")));
  assert_log (&r, "(1)!element 0 of the point is not a number;");
  km_json_reader_free (json);
  recorder_clear (&r);
}
#endif /* HAVE_JSON_GLIB */

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/csv/automatic-columns", test_csv_automatic_columns);
  g_test_add_func ("/csv/header-names", test_csv_header_names);
  g_test_add_func ("/csv/number-length", test_csv_number_length);
  g_test_add_func ("/csv/stops-when-told", test_csv_stops_when_told);
  g_test_add_func ("/csv/lone-line", test_csv_lone_line);
  g_test_add_func ("/csv/settings", test_csv_settings);
  g_test_add_func ("/text/reason-cut-at-character",
      test_reason_cut_at_character);
  g_test_add_func ("/text/bom-length", test_bom_length);
#ifdef HAVE_JSON_GLIB
  g_test_add_func ("/json/points-and-bad-points",
      test_json_points_and_bad_points);
  g_test_add_func ("/json/columns", test_json_columns);
  g_test_add_func ("/json/prescan-limits", test_json_prescan_limits);
  g_test_add_func ("/json/walked-reads-alike", test_json_walked_reads_alike);
  g_test_add_func ("/json/walk-errors", test_json_walk_errors);
  g_test_add_func ("/json/large-documents", test_json_large_documents);
  g_test_add_func ("/json/max-values", test_json_max_values);
  g_test_add_func ("/json/strict", test_json_strict);
  g_test_add_func ("/json/stops-when-told", test_json_stops_when_told);
#else
  g_test_message ("built without json-glib: no JSON reader to test");
#endif
  return g_test_run ();
}

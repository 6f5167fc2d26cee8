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
  g_test_add_func ("/csv/settings", test_csv_settings);
#ifdef HAVE_JSON_GLIB
  g_test_add_func ("/json/points-and-bad-points",
      test_json_points_and_bad_points);
  g_test_add_func ("/json/columns", test_json_columns);
  g_test_add_func ("/json/prescan-limits", test_json_prescan_limits);
  g_test_add_func ("/json/stops-when-told", test_json_stops_when_told);
#else
  g_test_message ("built without json-glib: no JSON reader to test");
#endif
  return g_test_run ();
}

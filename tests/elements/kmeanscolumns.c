/* Tests of the `columns` selection every element that reads points has
 * (kmeans-train, -assign, -score, -viz, -worker): its syntax, and that a
 * wide stream with a selection is read exactly as the narrow stream of
 * those columns. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "kmeans-test-helpers.h"

#define WIDE 5
#define ROWS 240

#define X_POINTS(format, d) \
    "application/x-points, format=(string)" format ", dimensions=(int)" d
#define TENSORS(types, dims) \
    "other/tensors, format=(string)static, num_tensors=(int)1, " \
    "types=(string)" types ", dimensions=(string)" dims ", " \
    "framerate=(fraction)0/1"
#define AUDIO(format, channels) \
    "audio/x-raw, format=(string)" format ", layout=(string)interleaved, " \
    "rate=(int)8000, channels=(int)" channels

/* ------------------------------------------------------------ helpers */

/* Record r, column c of a wide stream: a label in column 0, three blobs
 * in columns 1-3, and in column 4 a value that is NaN every seventh
 * row, which a selection leaving it out must never see. */
static gdouble
wide_value (guint r, guint c)
{
  guint32 s = r * 2654435761u + c * 40503u;

  s ^= s >> 13;
  s *= 1274126177u;
  if (c == 0)
    return r % 3;
  if (c == 4)
    return r % 7 == 0 ? NAN : (gdouble) (s % 100);
  return (r % 3) * 10.0 * c + (s % 1000) / 250.0 - 2.0;
}

/* @rows records of the columns @cols (n of them, -1 ends) as @format:
 * "F32", "F64" or "S16" (the value scaled to fit). */
static GstBuffer *
records_buffer (const gchar * format, guint rows, const gint * cols)
{
  gsize value_size = format[1] == '6' ? 8 : format[0] == 'S' ? 2 : 4;
  guint n = 0, r, c;
  guint8 *data, *p;

  while (cols[n] >= 0)
    n++;
  p = data = g_malloc (rows * n * value_size);
  for (r = 0; r < rows; r++) {
    for (c = 0; c < n; c++, p += value_size) {
      gdouble v = wide_value (r, cols[c]);

      if (value_size == 8) {
        memcpy (p, &v, 8);
      } else if (value_size == 4) {
        gfloat f = v;

        memcpy (p, &f, 4);
      } else {
        gint16 s = isnan (v) ? 0 : (gint16) (v * 500);

        memcpy (p, &s, 2);
      }
    }
  }
  return gst_buffer_new_wrapped (data, rows * n * value_size);
}

static const gint all_columns[] = { 0, 1, 2, 3, 4, -1 };
static const gint middle_columns[] = { 1, 2, 3, -1 };

/* The centers property flattened; returns k and sets *d. */
static guint
get_centers (GstElement * e, gdouble * out, gsize max, guint * d)
{
  GValue v = G_VALUE_INIT;
  guint k, i, j;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (e), "centers", &v);
  k = gst_value_array_get_size (&v);
  *d = 0;
  for (i = 0; i < k; i++) {
    const GValue *row = gst_value_array_get_value (&v, i);

    *d = gst_value_array_get_size (row);
    for (j = 0; j < *d; j++) {
      fail_unless (i * *d + j < max);
      out[i * *d + j] = g_value_get_double (gst_value_array_get_value (row, j));
    }
  }
  g_value_unset (&v);
  return k;
}

static GstHarness *
harness_with_caps (GstElement * e, const gchar * caps)
{
  GstHarness *h = harness_take_element (e);

  gst_harness_set_src_caps_str (h, caps);
  return h;
}

/* Trains k=3 with k-means++ (seed 7), one step per buffer, on four
 * buffers of @rows records of @cols under @caps with @columns (the first
 * is the init sample, init-size=0); returns the centers, k * d values, in
 * @out. */
static guint
train_centers (const gchar * caps, const gchar * format, const gint * cols,
    const gchar * columns, gdouble * out, gsize max, guint * d)
{
  GstElement *e = gst_element_factory_make ("kmeans-train", NULL);
  GstHarness *h;
  guint i, k;

  g_object_set (e, "num-clusters", 3, "seed", (guint64) 7, "batch-size", 0,
      "init-size", 0, "columns", columns, "on-bad-input",
      GST_KMEANS_ON_BAD_INPUT_ERROR, NULL);
  gst_util_set_object_arg (G_OBJECT (e), "init", "kmeans++");
  h = harness_with_caps (e, caps);
  for (i = 0; i < 4; i++) {
    fail_unless_equals_int (gst_harness_push (h, records_buffer (format,
                ROWS / 4, cols)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  fail_unless_equals_uint64 (get_u64 (h, "steps"), 3);
  k = get_centers (h->element, out, max, d);
  gst_harness_teardown (h);
  return k;
}

/* Trains on the wide stream with @columns and on the narrow stream of
 * @cols: the centers must be the same to the bit. */
static void
check_train_same (const gchar * wide_caps, const gchar * narrow_caps,
    const gchar * format, const gint * wide_cols, const gchar * columns,
    const gint * cols, guint d_expected)
{
  gdouble a[64], b[64];
  guint ka, kb, da, db;

  ka = train_centers (wide_caps, format, wide_cols, columns, a, 64, &da);
  kb = train_centers (narrow_caps, format, cols, NULL, b, 64, &db);
  fail_unless_equals_int (ka, 3);
  fail_unless_equals_int (kb, 3);
  fail_unless_equals_int (da, d_expected);
  fail_unless_equals_int (db, d_expected);
  fail_unless (memcmp (a, b, ka * da * sizeof (gdouble)) == 0,
      "%s with columns=%s trained other centers than %s", wide_caps,
      columns, narrow_caps);
}

/* The first error on @bus must be a STREAM FORMAT error containing every
 * one of the NULL-terminated texts. */
static void
assert_error_contains (GstBus * bus, const gchar * first, ...)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  const gchar *text;
  va_list args;

  fail_unless (msg != NULL, "no error message on the bus");
  gst_message_parse_error (msg, &err, NULL);
  gst_message_unref (msg);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT), "error \"%s\"", err->message);
  va_start (args, first);
  for (text = first; text; text = va_arg (args, const gchar *))
  {
    fail_unless (strstr (err->message, text) != NULL,
        "error \"%s\" does not contain \"%s\"", err->message, text);
  }
  va_end (args);
  g_error_free (err);
}

/* ---------------------------------------------------------- the syntax */

static gboolean
select_from (const gchar * caps, const gchar * columns,
    GstKMeansPointsInfo * info, GError ** err)
{
  fail_unless (info_from_string (caps, info, NULL));
  return gst_kmeans_points_info_select_columns (info, columns, err);
}

GST_START_TEST (test_selection_parsed)
{
  GstKMeansPointsInfo info;
  GError *err = NULL;

  fail_unless (select_from (X_POINTS ("F32LE", "5"), "1-3", &info, &err));
  fail_unless_equals_int (info.dimensions, 3);
  fail_unless_equals_int (gst_kmeans_points_info_record_values (&info), 5);
  fail_unless_equals_int (gst_kmeans_points_info_point_size (&info), 20);
  fail_unless_equals_int (info.n_runs, 1);

  /* Order is kept; neighbours in order merge into one run. */
  fail_unless (select_from (X_POINTS ("F32LE", "8"), " 4 , 0-1,2,7 ", &info,
          &err));
  fail_unless_equals_int (info.dimensions, 5);
  fail_unless_equals_int (info.n_runs, 3);
  fail_unless_equals_int (info.runs[0].first, 4);
  fail_unless_equals_int (info.runs[1].first, 0);
  fail_unless_equals_int (info.runs[1].count, 3);
  fail_unless_equals_int (info.runs[2].first, 7);

  /* Every column in order, or nothing: no selection at all. */
  fail_unless (select_from (X_POINTS ("F32LE", "5"), "0-2,3-4", &info, &err));
  fail_unless_equals_int (info.n_runs, 0);
  fail_unless_equals_int (info.dimensions, 5);
  fail_unless (select_from (X_POINTS ("F32LE", "5"), "", &info, &err));
  fail_unless_equals_int (info.n_runs, 0);
  fail_unless (select_from (AUDIO ("S16LE", "4"), "3,1", &info, &err));
  fail_unless_equals_int (info.dimensions, 2);
  fail_unless_equals_int (gst_kmeans_points_info_point_size (&info), 8);
}

GST_END_TEST;

GST_START_TEST (test_selection_refused)
{
  static const struct
  {
    const gchar *caps, *columns, *text;
  } cases[] = {
    {X_POINTS ("F32LE", "5"), "1-5", "chooses column 5, but the input has "
          "x-points points of 5 values: columns 0-4"},
    {X_POINTS ("F32LE", "5"), "9", "columns 0-4"},
    {TENSORS ("float32", "5:4"), "2-6", "tensor points of 5 values"},
    {AUDIO ("F32LE", "2"), "2", "audio frames of 2 channels: columns 0-1"},
    {"video/x-raw, format=(string)RGB, width=(int)4, height=(int)2, "
          "framerate=(fraction)0/1", "3", "RGB pixels of 3 colour components"},
    {X_POINTS ("F32LE", "5"), "1-3,3", "chooses column 3 twice"},
    {X_POINTS ("F32LE", "5"), "0-2,1-3", "chooses column 1 twice"},
    {X_POINTS ("F32LE", "5"), "2,2", "chooses column 2 twice"},
    {X_POINTS ("F32LE", "5"), "3-1", "runs backwards"},
    {X_POINTS ("F32LE", "5"), "1,,2", "entry 2 is not"},
    {X_POINTS ("F32LE", "5"), "x", "entry 1 is not"},
    {X_POINTS ("F32LE", "5"), "-1", "entry 1 is not"},
    {X_POINTS ("F32LE", "5"), "1-", "entry 1 is not"},
    {X_POINTS ("F32LE", "5"), "1-2-3", "entry 1 is not"},
    {X_POINTS ("F32LE", "5"), "99999999999", "entry 1 is not"},
  };
  GstKMeansPointsInfo info;
  GString *many = g_string_new ("0");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *err = NULL;

    fail_if (select_from (cases[i].caps, cases[i].columns, &info, &err),
        "accepted \"%s\"", cases[i].columns);
    fail_unless (strstr (err->message, cases[i].text) != NULL,
        "\"%s\": \"%s\" does not contain \"%s\"", cases[i].columns,
        err->message, cases[i].text);
    g_error_free (err);
  }
  /* 65 runs that cannot merge. */
  for (i = 1; i <= GST_KMEANS_MAX_COLUMN_RUNS; i++)
    g_string_append_printf (many, ",%u", 2 * i);
  {
    GError *err = NULL;

    fail_if (select_from (X_POINTS ("F32LE", "200"), many->str, &info, &err));
    fail_unless (strstr (err->message, "separate runs") != NULL, "%s",
        err->message);
    g_error_free (err);
  }
  g_string_free (many, TRUE);
}

GST_END_TEST;

/* ------------------------------------------------------------- train */

GST_START_TEST (test_train_points_same_as_narrow)
{
  check_train_same (X_POINTS ("F32LE", "5"), X_POINTS ("F32LE", "3"), "F32",
      all_columns, "1-3", middle_columns, 3);
  check_train_same (X_POINTS ("F64LE", "5"), X_POINTS ("F64LE", "3"), "F64",
      all_columns, "1-3", middle_columns, 3);
}

GST_END_TEST;

GST_START_TEST (test_train_tensors_same_as_narrow)
{
  static const gint swapped[] = { 3, 1, -1 };

  check_train_same (TENSORS ("float32", "5:60"), TENSORS ("float32", "3:60"),
      "F32", all_columns, "1-3", middle_columns, 3);
  check_train_same (TENSORS ("float64", "5:60"), TENSORS ("float64", "2:60"),
      "F64", all_columns, "3,1", swapped, 2);
}

GST_END_TEST;

GST_START_TEST (test_train_audio_same_as_narrow)
{
  static const gint four[] = { 0, 1, 2, 3, -1 };
  static const gint swapped[] = { 3, 1, -1 };
  static const gint one[] = { 2, -1 };

  check_train_same (AUDIO ("S16LE", "4"), AUDIO ("S16LE", "2"), "S16", four,
      "3,1", swapped, 2);
  check_train_same (AUDIO ("F32LE", "4"), AUDIO ("F32LE", "1"), "F32", four,
      "2", one, 1);
}

GST_END_TEST;

/* A NaN in a column left out is not bad input; in a chosen one it is. */
GST_START_TEST (test_train_nan_only_in_chosen_columns)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e = element_new_valist ("kmeans-train", bus, NULL, NULL);
  GstHarness *h;

  g_object_set (e, "num-clusters", 3, "columns", "3-4", "on-bad-input",
      GST_KMEANS_ON_BAD_INPUT_ERROR, NULL);
  h = harness_with_caps (e, X_POINTS ("F32LE", "5"));
  fail_unless_equals_int (gst_harness_push (h, records_buffer ("F32", ROWS,
              all_columns)), GST_FLOW_ERROR);
  assert_error_contains (bus, "point 0 of the buffer has a NaN/Inf value",
      NULL);
  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* ------------------------------------------------------ bad selections */

/* @factory with columns=@columns on @caps: an error naming the input's
 * columns, and nothing flows. */
static void
check_selection_error (const gchar * factory, const gchar * columns,
    const gchar * caps, const gchar * text)
{
  GstBus *bus = gst_bus_new ();
  GstElement *e = element_new_valist (factory, bus, NULL, NULL);
  GstHarness *h;

  g_object_set (e, "columns", columns, NULL);
  h = harness_with_caps (e, caps);
  fail_unless_equals_int (gst_harness_push (h, records_buffer ("F32", 4,
              all_columns)), GST_FLOW_NOT_NEGOTIATED);
  assert_error_contains (bus, "Cannot select columns", text, NULL);
  gst_harness_teardown (h);
  bus_free (bus);
}

GST_START_TEST (test_bad_selection_errors)
{
  static const gchar *factories[] = {
    "kmeans-train", "kmeans-assign", "kmeans-score", "kmeans-viz",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (factories); i++) {
    check_selection_error (factories[i], "2-5", X_POINTS ("F32LE", "5"),
        "chooses column 5, but the input has x-points points of 5 values: "
        "columns 0-4");
    check_selection_error (factories[i], "1,1", X_POINTS ("F32LE", "5"),
        "twice");
  }
}

GST_END_TEST;

GST_START_TEST (test_property)
{
  static const gchar *factories[] = {
    "kmeans-train", "kmeans-assign", "kmeans-score", "kmeans-viz",
    "kmeans-worker",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElement *e = gst_element_factory_make (factories[i], NULL);
    GParamSpec *spec;
    gchar *v;

    if (e == NULL && g_str_equal (factories[i], "kmeans-worker"))
      continue;                 /* built without the kmdist plugin */
    fail_unless (e != NULL, "%s", factories[i]);
    spec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "columns");
    fail_unless (spec != NULL && G_IS_PARAM_SPEC_STRING (spec), "%s",
        factories[i]);
    fail_unless (spec->flags & GST_PARAM_MUTABLE_READY);
    g_object_get (e, "columns", &v, NULL);
    fail_unless (v == NULL);
    g_object_set (e, "columns", "1-3,7", NULL);
    g_object_get (e, "columns", &v, NULL);
    fail_unless_equals_string (v, "1-3,7");
    g_free (v);
    gst_object_unref (e);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------- assign */

/* kmeans-assign output=assignments on @buf under @caps with @columns,
 * given a 3-D two-center model: the output bytes. */
static GBytes *
assign_output (const gchar * caps, const gchar * columns, GstBuffer * buf)
{
  static const gfloat centers[] = { 0, 0, 0, 10, 20, 30 };
  GstElement *e = gst_element_factory_make ("kmeans-assign", NULL);
  GstHarness *h;
  GstBuffer *out;
  GstMapInfo map;
  GBytes *bytes;

  g_object_set (e, "columns", columns, NULL);
  h = harness_with_caps (e, caps);
  push_model_full (h, 2, 3, KM_METRIC_SQUARED_EUCLIDEAN, centers, 1);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  return bytes;
}

GST_START_TEST (test_assign_same_as_narrow)
{
  GBytes *wide = assign_output (X_POINTS ("F32LE", "5"), "1-3",
      records_buffer ("F32", ROWS, all_columns));
  GBytes *narrow = assign_output (X_POINTS ("F32LE", "3"), NULL,
      records_buffer ("F32", ROWS, middle_columns));

  fail_unless_equals_int (g_bytes_get_size (wide),
      ROWS * sizeof (GstKMeansAssignment));
  fail_unless (g_bytes_equal (wide, narrow));
  g_bytes_unref (wide);
  g_bytes_unref (narrow);
}

GST_END_TEST;

/* output=recolor with columns: the chosen components take the center's
 * values, the others keep the pixel's. */
GST_START_TEST (test_recolor_chosen_components)
{
  static const gfloat centers[] = { 0, 200 };   /* 1-D: the blue component */
  static const guint8 pixels[] = {
    10, 20, 30, 40, 50, 250, 60, 70, 90, 80, 90, 180,
  };
  static const guint8 expected[] = {
    10, 20, 0, 40, 50, 200, 60, 70, 0, 80, 90, 200,
  };
  GstElement *e = gst_element_factory_make ("kmeans-assign", NULL);
  GstHarness *h;
  GstBuffer *out;

  g_object_set (e, "columns", "2", NULL);
  gst_util_set_object_arg (G_OBJECT (e), "output", "recolor");
  h = harness_with_caps (e, "video/x-raw, format=(string)RGB, width=(int)4, "
      "height=(int)1, framerate=(fraction)0/1");
  push_model_full (h, 2, 1, KM_METRIC_SQUARED_EUCLIDEAN, centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (pixels, sizeof (pixels))), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_memcmp (out, 0, expected,
          sizeof (expected)), 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
kmeanscolumns_suite (void)
{
  Suite *s = suite_create ("kmeanscolumns");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_selection_parsed);
  tcase_add_test (tc, test_selection_refused);
  tcase_add_test (tc, test_train_points_same_as_narrow);
  tcase_add_test (tc, test_train_tensors_same_as_narrow);
  tcase_add_test (tc, test_train_audio_same_as_narrow);
  tcase_add_test (tc, test_train_nan_only_in_chosen_columns);
  tcase_add_test (tc, test_bad_selection_errors);
  tcase_add_test (tc, test_property);
  tcase_add_test (tc, test_assign_same_as_narrow);
  tcase_add_test (tc, test_recolor_chosen_components);
  return s;
}

GST_CHECK_MAIN (kmeanscolumns);

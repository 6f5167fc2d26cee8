/* Tests of kmeans-format: assignments, points, models and messages as
 * JSON documents or CSV rows. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "kmeans-test-helpers.h"

#define ASSIGNMENTS_CAPS "application/x-kmeans-assignments, clusters=(int)2"

typedef struct
{
  GstHarness *h;
  GstElement *format;
  GstBus *bus;
} Fixture;

/* A harness around kmeans-format with properties (name, value strings,
 * NULL-terminated) and upstream caps. */
static Fixture *
fixture_new (const gchar * caps, ...)
{
  Fixture *f = g_new0 (Fixture, 1);
  const gchar *name;
  va_list args;

  f->format = gst_element_factory_make ("kmeans-format", NULL);
  fail_unless (f->format != NULL);
  va_start (args, caps);
  while ((name = va_arg (args, const gchar *)) != NULL)
      gst_util_set_object_arg (G_OBJECT (f->format), name,
        va_arg (args, const gchar *));
  va_end (args);

  f->bus = gst_bus_new ();
  gst_element_set_bus (f->format, f->bus);
  f->h = gst_harness_new_with_element (f->format, "sink", "src");
  gst_harness_set_src_caps_str (f->h, caps);
  return f;
}

static void
fixture_free (Fixture * f)
{
  gst_harness_teardown (f->h);
  gst_element_set_bus (f->format, NULL);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
  gst_object_unref (f->format);
  g_free (f);
}

static GstFlowReturn
push_data (Fixture * f, const void *data, gsize size, GstClockTime pts,
    GstClockTime duration)
{
  GstBuffer *buf = size ? gst_buffer_new_memdup (data, size) :
      gst_buffer_new ();

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  return gst_harness_push (f->h, buf);
}

static KmModel *
make_model (guint64 version, gfloat offset)
{
  const gfloat centers[] = { 0, 0.5f + offset, 10, -2.25f };
  GError *err = NULL;
  KmModel *model = km_model_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, centers,
      version, &err);

  fail_unless (model != NULL, "%s", err ? err->message : "");
  return model;
}

static void
push_model (Fixture * f, KmModel * model)
{
  fail_unless (gst_harness_push_event (f->h, test_model_event_new (model)));
}

/* Pulls one buffer and checks its text and timestamps. */
static void
check_text (Fixture * f, const gchar * expected, GstClockTime pts,
    GstClockTime duration)
{
  GstBuffer *buf = gst_harness_try_pull (f->h);
  GstMapInfo map;
  gchar *text;

  fail_unless (buf != NULL, "no output, expected %s", expected);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  text = g_strndup ((const gchar *) map.data, map.size);
  fail_unless_equals_string (text, expected);
  g_free (text);
  gst_buffer_unmap (buf, &map);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), pts);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), duration);
  gst_buffer_unref (buf);
}

static void
check_no_output (Fixture * f)
{
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 0);
}

static const GstKMeansAssignment two[] = { {1, 0.25f}, {0, 1.5f} };

#define MODEL7 "{\"type\":\"model\",\"pts\":1000000000,\"version\":7," \
    "\"step\":0,\"clusters\":2,\"dimensions\":2," \
    "\"metric\":\"squared-euclidean\",\"centers\":[[0,0.5],[10,-2.25]]," \
    "\"counts\":null}\n"

/* ---------------------------------------------------------- assignments */

GST_START_TEST (test_assignments_json)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, NULL);
  KmModel *model = make_model (7, 0);
  const GstKMeansAssignment third[] = { {1, 1.0f / 3} };
  GstCaps *caps;

  push_model (f, model);
  check_no_output (f);
  fail_unless_equals_int (push_data (f, two, sizeof (two), GST_SECOND,
          GST_SECOND / 2), GST_FLOW_OK);
  caps = gst_pad_get_current_caps (f->h->sinkpad);
  fail_unless_equals_string (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "application/json");
  gst_caps_unref (caps);

  /* The model document comes first, with the PTS of the buffer. */
  check_text (f, MODEL7, GST_SECOND, GST_CLOCK_TIME_NONE);
  check_text (f, "{\"type\":\"assignments\",\"pts\":1000000000,"
      "\"duration\":500000000,\"model_version\":7,\"clusters\":2,"
      "\"count\":2,\"cluster\":[1,0],\"distance\":[0.25,1.5]}\n",
      GST_SECOND, GST_SECOND / 2);

  /* Same model: no new model document.  Shortest float32 text. */
  fail_unless_equals_int (push_data (f, third, sizeof (third),
          GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  check_text (f, "{\"type\":\"assignments\",\"pts\":null,\"duration\":null,"
      "\"model_version\":7,\"clusters\":2,\"count\":1,\"cluster\":[1],"
      "\"distance\":[0.33333334]}\n", GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  check_no_output (f);
  km_model_unref (model);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_assignments_before_any_model)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, NULL);

  fail_unless_equals_int (push_data (f, two, 0, 0, GST_SECOND), GST_FLOW_OK);
  check_text (f, "{\"type\":\"assignments\",\"pts\":0,\"duration\":"
      "1000000000,\"model_version\":null,\"clusters\":2,\"count\":0,"
      "\"cluster\":[],\"distance\":[]}\n", 0, GST_SECOND);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_model_changes)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, NULL);
  KmModel *m7 = make_model (7, 0), *m8 = make_model (8, 1),
      *m9 = make_model (9, 2);

  push_model (f, m7);
  fail_unless_equals_int (push_data (f, two, 8, GST_SECOND, 0), GST_FLOW_OK);
  check_text (f, MODEL7, GST_SECOND, GST_CLOCK_TIME_NONE);
  gst_buffer_unref (gst_harness_pull (f->h));

  /* A sticky re-send of the model in force is not a change. */
  push_model (f, m7);
  fail_unless_equals_int (push_data (f, two, 8, 2 * GST_SECOND, 0),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 1);
  gst_buffer_unref (gst_harness_pull (f->h));

  /* Two updates between buffers: only the newest model is written. */
  push_model (f, m8);
  push_model (f, m9);
  fail_unless_equals_int (push_data (f, two, 8, 3 * GST_SECOND, 0),
      GST_FLOW_OK);
  check_text (f, "{\"type\":\"model\",\"pts\":3000000000,\"version\":9,"
      "\"step\":0,\"clusters\":2,\"dimensions\":2,"
      "\"metric\":\"squared-euclidean\",\"centers\":[[0,2.5],[10,-2.25]],"
      "\"counts\":null}\n", 3 * GST_SECOND, GST_CLOCK_TIME_NONE);
  check_text (f, "{\"type\":\"assignments\",\"pts\":3000000000,"
      "\"duration\":0,\"model_version\":9,\"clusters\":2,\"count\":1,"
      "\"cluster\":[1],\"distance\":[0.25]}\n", 3 * GST_SECOND, 0);

  /* A model that arrives before EOS is written at EOS. */
  push_model (f, m8);
  fail_unless (gst_harness_push_event (f->h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 1);
  check_text (f, "{\"type\":\"model\",\"pts\":null,\"version\":8,"
      "\"step\":0,\"clusters\":2,\"dimensions\":2,"
      "\"metric\":\"squared-euclidean\",\"centers\":[[0,1.5],[10,-2.25]],"
      "\"counts\":null}\n", GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  km_model_unref (m7);
  km_model_unref (m8);
  km_model_unref (m9);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_emit_model_off)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, "emit-model", "false", NULL);
  KmModel *model = make_model (7, 0);

  push_model (f, model);
  fail_unless_equals_int (push_data (f, two, 8, 0, 0), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (f->h), 1);
  check_text (f, "{\"type\":\"assignments\",\"pts\":0,\"duration\":0,"
      "\"model_version\":7,\"clusters\":2,\"count\":1,\"cluster\":[1],"
      "\"distance\":[0.25]}\n", 0, 0);
  km_model_unref (model);
  fixture_free (f);
}

GST_END_TEST;

/* ---------------------------------------------------------------- points */

GST_START_TEST (test_points_json)
{
  Fixture *f = fixture_new ("application/x-points, format=F32LE, "
      "dimensions=3", NULL);
  const gfloat f32[] = { 0.1f, -2, 1e-7f, NAN, INFINITY, 3e38f };
  const gdouble f64[] = { 0.1, 1.0 / 3 };

  fail_unless_equals_int (push_data (f, f32, sizeof (f32), 5, 6), GST_FLOW_OK);
  check_text (f, "{\"type\":\"points\",\"pts\":5,\"duration\":6,"
      "\"model_version\":null,\"dimensions\":3,\"count\":2,\"points\":"
      "[[0.1,-2,1e-07],[null,null,3e+38]]}\n", 5, 6);
  fixture_free (f);

  f = fixture_new ("application/x-points, format=F64LE, dimensions=1", NULL);
  fail_unless_equals_int (push_data (f, f64, sizeof (f64), 0, 0), GST_FLOW_OK);
  check_text (f, "{\"type\":\"points\",\"pts\":0,\"duration\":0,"
      "\"model_version\":null,\"dimensions\":1,\"count\":2,\"points\":"
      "[[0.1],[0.3333333333333333]]}\n", 0, 0);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_tensors_input)
{
  Fixture *f = fixture_new ("other/tensors, format=static, num_tensors=1, "
      "types=float32, dimensions=(string)2:1, framerate=0/1", NULL);
  const gfloat pt[] = { 1.5f, 2 };

  fail_unless_equals_int (push_data (f, pt, sizeof (pt), 0, 0), GST_FLOW_OK);
  check_text (f, "{\"type\":\"points\",\"pts\":0,\"duration\":0,"
      "\"model_version\":null,\"dimensions\":2,\"count\":1,\"points\":"
      "[[1.5,2]]}\n", 0, 0);
  fixture_free (f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ CSV */

GST_START_TEST (test_csv_assignments)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, "format", "csv", NULL);
  KmModel *model = make_model (7, 0);
  const GstKMeansAssignment odd[] = { {0, NAN}, {1, -INFINITY} };
  GstCaps *caps;

  push_model (f, model);
  fail_unless_equals_int (push_data (f, two, sizeof (two), GST_SECOND, 1),
      GST_FLOW_OK);
  caps = gst_pad_get_current_caps (f->h->sinkpad);
  fail_unless_equals_string (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "text/csv");
  gst_caps_unref (caps);
  /* No model document in CSV; the header starts the stream. */
  check_text (f, "pts,cluster,distance\n1000000000,1,0.25\n"
      "1000000000,0,1.5\n", GST_SECOND, 1);
  fail_unless_equals_int (push_data (f, odd, sizeof (odd),
          GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  check_text (f, ",0,nan\n,1,-inf\n", GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  /* Nothing to write, nothing pushed. */
  fail_unless_equals_int (push_data (f, two, 0, 0, 0), GST_FLOW_OK);
  check_no_output (f);
  km_model_unref (model);
  fixture_free (f);

  f = fixture_new (ASSIGNMENTS_CAPS, "format", "csv", "csv-header", "false",
      NULL);
  fail_unless_equals_int (push_data (f, two, 8, 2, 3), GST_FLOW_OK);
  check_text (f, "2,1,0.25\n", 2, 3);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_csv_points_header_follows_caps)
{
  Fixture *f = fixture_new ("application/x-points, format=F32LE, "
      "dimensions=2", "format", "csv", NULL);
  const gfloat pts[] = { 1, 2, 3, 4, 5, 6 };

  fail_unless_equals_int (push_data (f, pts, 8, 7, 0), GST_FLOW_OK);
  check_text (f, "pts,x0,x1\n7,1,2\n", 7, 0);
  fail_unless_equals_int (push_data (f, pts, 16, 8, 0), GST_FLOW_OK);
  check_text (f, "8,1,2\n8,3,4\n", 8, 0);

  /* New columns, new header. */
  gst_harness_set_src_caps_str (f->h, "application/x-points, format=F32LE, "
      "dimensions=3");
  fail_unless_equals_int (push_data (f, pts, 24, 9, 0), GST_FLOW_OK);
  check_text (f, "pts,x0,x1,x2\n9,1,2,3\n9,4,5,6\n", 9, 0);
  fixture_free (f);
}

GST_END_TEST;

/* -------------------------------------------------------------- messages */

static GstStructure *
score_structure (void)
{
  GstStructure *s = gst_structure_new ("kmeans-score",
      "timestamp", G_TYPE_UINT64, (guint64) GST_SECOND,
      "stream-time", G_TYPE_UINT64, (guint64) GST_SECOND,
      "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
      "duration", G_TYPE_UINT64, (guint64) GST_SECOND / 2,
      "num-points", G_TYPE_UINT64, (guint64) 3,
      "score", G_TYPE_DOUBLE, 1.5,
      "mean", G_TYPE_DOUBLE, 0.5,
      "model-version", G_TYPE_UINT64, (guint64) 7, NULL);
  GValue counts = G_VALUE_INIT, scores = G_VALUE_INIT, v = G_VALUE_INIT;

  gst_value_array_init (&counts, 2);
  gst_value_array_init (&scores, 2);
  g_value_init (&v, G_TYPE_UINT64);
  g_value_set_uint64 (&v, 1);
  gst_value_array_append_value (&counts, &v);
  g_value_set_uint64 (&v, 2);
  gst_value_array_append_value (&counts, &v);
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, 0.25);
  gst_value_array_append_value (&scores, &v);
  g_value_set_double (&v, NAN);
  gst_value_array_append_value (&scores, &v);
  g_value_unset (&v);
  gst_structure_take_value (s, "cluster-counts", &counts);
  gst_structure_take_value (s, "cluster-scores", &scores);
  gst_structure_set (s, "final", G_TYPE_BOOLEAN, FALSE, NULL);
  return s;
}

#define SCORE_JSON "{\"type\":\"score\",\"timestamp\":1000000000," \
    "\"stream_time\":1000000000,\"running_time\":null," \
    "\"duration\":500000000,\"num_points\":3,\"score\":1.5,\"mean\":0.5," \
    "\"model_version\":7,\"cluster_counts\":[1,2]," \
    "\"cluster_scores\":[0.25,null],\"final\":false}\n"

GST_START_TEST (test_score_event_in_band)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, NULL);
  KmModel *model = make_model (7, 0);

  push_model (f, model);
  fail_unless (gst_harness_push_event (f->h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              score_structure ())));
  /* The pending model goes first, then the score at its timestamp. */
  check_text (f, MODEL7, GST_SECOND, GST_CLOCK_TIME_NONE);
  check_text (f, SCORE_JSON, GST_SECOND, GST_SECOND / 2);
  /* Other custom events are not documents. */
  fail_unless (gst_harness_push_event (f->h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new_empty ("something-else"))));
  check_no_output (f);
  km_model_unref (model);
  fixture_free (f);

  f = fixture_new (ASSIGNMENTS_CAPS, "emit-messages", "false", NULL);
  fail_unless (gst_harness_push_event (f->h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              score_structure ())));
  check_no_output (f);
  fixture_free (f);
}

GST_END_TEST;

static gchar *
message_to_json (GstElement * format, GstStructure * s)
{
  gchar *json = NULL;

  g_signal_emit_by_name (format, "message-to-json", s, &json);
  gst_structure_free (s);
  return json;
}

GST_START_TEST (test_message_to_json)
{
  GstElement *format = gst_element_factory_make ("kmeans-format", NULL);
  KmModel *model = make_model (7, 0);
  GstEvent *event = test_model_event_new (model);
  gchar *json;

  json = message_to_json (format, score_structure ());
  fail_unless_equals_string (json, SCORE_JSON);
  g_free (json);

  json = message_to_json (format, gst_structure_new ("kmeans-checkpoint",
          "location", G_TYPE_STRING, "/tmp/a \"b\"\\c\n\xc3\xa9.ckpt",
          "step", G_TYPE_UINT64, (guint64) 12,
          "model-version", G_TYPE_UINT64, (guint64) 5,
          "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE, NULL));
  fail_unless_equals_string (json, "{\"type\":\"checkpoint\",\"location\":"
      "\"/tmp/a \\\"b\\\"\\\\c\\u000a\xc3\xa9.ckpt\",\"step\":12,"
      "\"model_version\":5,\"running_time\":null}\n");
  g_free (json);

  json = message_to_json (format, gst_structure_new ("kmeans-train",
          "step", G_TYPE_UINT64, (guint64) 3, "loss", G_TYPE_DOUBLE, 0.1,
          "batch-points", G_TYPE_UINT64, (guint64) 4, NULL));
  fail_unless_equals_string (json, "{\"type\":\"progress\",\"step\":3,"
      "\"loss\":0.1,\"batch_points\":4}\n");
  g_free (json);

  /* The model event's own structure gives the model document. */
  g_signal_emit_by_name (format, "message-to-json",
      gst_event_get_structure (event), &json);
  fail_unless_equals_string (json, "{\"type\":\"model\",\"pts\":null,"
      "\"version\":7,\"step\":0,\"clusters\":2,\"dimensions\":2,"
      "\"metric\":\"squared-euclidean\",\"centers\":[[0,0.5],[10,-2.25]],"
      "\"counts\":null}\n");
  g_free (json);

  json = message_to_json (format, gst_structure_new_empty ("level"));
  fail_unless (json == NULL);

  gst_event_unref (event);
  km_model_unref (model);
  gst_object_unref (format);
}

GST_END_TEST;

/* ------------------------------------------------------------ bad input */

GST_START_TEST (test_partial_record_error)
{
  Fixture *f = fixture_new (ASSIGNMENTS_CAPS, NULL);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (push_data (f, two, 12, 0, 0), GST_FLOW_ERROR);
  check_no_output (f);
  msg = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  g_clear_error (&err);
  gst_message_unref (msg);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_partial_record_skip)
{
  Fixture *f = fixture_new ("application/x-points, format=F64LE, "
      "dimensions=2", "on-bad-input", "skip", NULL);
  const gdouble pt[] = { 1, 2 };
  guint64 skipped = 0;
  GstMessage *msg;
  GstBuffer *buf;

  fail_unless_equals_int (push_data (f, pt, 12, 0, 0), GST_FLOW_OK);
  fail_unless_equals_int (push_data (f, pt, 8, 0, 0), GST_FLOW_OK);
  check_no_output (f);
  fail_unless_equals_int (push_data (f, pt, 16, 0, 0), GST_FLOW_OK);
  buf = gst_harness_pull (f->h);
  fail_unless (GST_BUFFER_IS_DISCONT (buf));
  gst_buffer_unref (buf);
  g_object_get (f->format, "skipped-buffers", &skipped, NULL);
  fail_unless_equals_uint64 (skipped, 2);
  msg = gst_bus_pop_filtered (f->bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (f->bus, GST_MESSAGE_WARNING) == NULL);
  fixture_free (f);
}

GST_END_TEST;

static Suite *
kmeansformat_suite (void)
{
  Suite *s = suite_create ("kmeans-format");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_assignments_json);
  tcase_add_test (tc, test_assignments_before_any_model);
  tcase_add_test (tc, test_model_changes);
  tcase_add_test (tc, test_emit_model_off);
  tcase_add_test (tc, test_points_json);
  tcase_add_test (tc, test_tensors_input);
  tcase_add_test (tc, test_csv_assignments);
  tcase_add_test (tc, test_csv_points_header_follows_caps);
  tcase_add_test (tc, test_score_event_in_band);
  tcase_add_test (tc, test_message_to_json);
  tcase_add_test (tc, test_partial_record_error);
  tcase_add_test (tc, test_partial_record_skip);
  return s;
}

GST_CHECK_MAIN (kmeansformat);

/* Tests of kmeans-score: exact scores and per-cluster figures, interval
 * splitting on timestamps and on point counts, the final message at EOS,
 * zero-copy passthrough, cosine, and the model and bad-input paths. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kmeans-test-helpers.h"

#define POINTS_CAPS "application/x-points,format=F32LE,dimensions=2"

/* TF clustering_ops_test NearestCentersTest: nearest distances 0, 5, 1, 0
 * to centers 0, 0, 1, 4. */
static const gfloat tf_points[] = { 100, 0, 101, 2, 99, 2, 1, 1 };
static const gfloat tf_centers[] = { 100, 0, 99, 1, 50, 50, 0, 0, 1, 1 };

/* ------------------------------------------------------------ helpers */

static void
push_model (GstHarness * h, guint k, const gfloat * centers, guint64 version)
{
  push_model_full (h, k, 2, KM_METRIC_SQUARED_EUCLIDEAN, centers, version);
}

static GstBuffer *
buffer_from (gconstpointer data, gsize size)
{
  return gst_buffer_new_memdup (data, size);
}

static GstBuffer *
timed_buffer (gconstpointer data, gsize size, GstClockTime pts,
    GstClockTime duration)
{
  GstBuffer *buf = buffer_from (data, size);

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  return buf;
}

/* Pushes the buffer and drops what comes out (it is the same buffer). */
static void
push_through (GstHarness * h, GstBuffer * buf)
{
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
}

static void
push_eos (GstHarness * h)
{
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
}

/* Next "kmeans-score" message on @bus, or NULL. */
static GstMessage *
pop_score (GstBus * bus)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "kmeans-score"))
      return msg;
    gst_message_unref (msg);
  }
  return NULL;
}

static guint64
field_u64 (const GstStructure * s, const gchar * name)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, name, &v), "no guint64 %s", name);
  return v;
}

static gdouble
field_double (const GstStructure * s, const gchar * name)
{
  gdouble v = 0;

  fail_unless (gst_structure_get_double (s, name, &v), "no gdouble %s", name);
  return v;
}

static gboolean
field_final (const GstStructure * s)
{
  gboolean v = FALSE;

  fail_unless (gst_structure_get_boolean (s, "final", &v));
  return v;
}

/* Checks the interval's figures; @counts and @scores have @k entries. */
static void
check_clusters (const GstStructure * s, guint k, const guint64 * counts,
    const gdouble * scores)
{
  const GValue *c = gst_structure_get_value (s, "cluster-counts");
  const GValue *v = gst_structure_get_value (s, "cluster-scores");
  guint i;

  fail_unless (c && GST_VALUE_HOLDS_ARRAY (c));
  fail_unless (v && GST_VALUE_HOLDS_ARRAY (v));
  fail_unless_equals_int (gst_value_array_get_size (c), k);
  fail_unless_equals_int (gst_value_array_get_size (v), k);
  for (i = 0; i < k; i++) {
    const GValue *ci = gst_value_array_get_value (c, i);
    const GValue *vi = gst_value_array_get_value (v, i);

    fail_unless (G_VALUE_HOLDS_UINT64 (ci));
    fail_unless (G_VALUE_HOLDS_DOUBLE (vi));
    fail_unless_equals_uint64 (g_value_get_uint64 (ci), counts[i]);
    fail_unless_equals_float (g_value_get_double (vi), scores[i]);
  }
}

static void
check_times (const GstStructure * s, GstClockTime ts, GstClockTime running,
    GstClockTime duration)
{
  fail_unless_equals_uint64 (field_u64 (s, "timestamp"), ts);
  fail_unless_equals_uint64 (field_u64 (s, "stream-time"), ts);
  fail_unless_equals_uint64 (field_u64 (s, "running-time"), running);
  fail_unless_equals_uint64 (field_u64 (s, "duration"), duration);
}

/* -------------------------------------------------------------- score */

GST_START_TEST (test_score_exact)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  static const guint64 counts[] = { 2, 1, 0, 0, 1 };
  static const gdouble scores[] = { 5, 1, 0, 0, 0 };
  const GstStructure *s;
  GstMessage *msg;
  gdouble total;
  guint64 n;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 9);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  /* Untimed and no interval-points: nothing before EOS. */
  fail_unless (pop_score (bus) == NULL);
  push_eos (h);

  msg = pop_score (bus);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 4);
  fail_unless_equals_float (field_double (s, "score"), 6.0);
  fail_unless_equals_float (field_double (s, "mean"), 1.5);
  fail_unless_equals_uint64 (field_u64 (s, "model-version"), 9);
  fail_unless (field_final (s));
  check_clusters (s, 5, counts, scores);
  check_times (s, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE);
  gst_message_unref (msg);
  fail_unless (pop_score (bus) == NULL);

  g_object_get (h->element, "score", &total, "num-points", &n, NULL);
  fail_unless_equals_float (total, 6.0);
  fail_unless_equals_uint64 (n, 4);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* Finds the next custom downstream event named @name the harness saw. */
static GstEvent *
pull_custom_event (GstHarness * h, const gchar * name)
{
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (gst_event_has_name (ev, name))
      return ev;
    gst_event_unref (ev);
  }
  return NULL;
}

GST_START_TEST (test_score_travels_in_band)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  const GstStructure *s;
  GstMessage *msg;
  GstEvent *ev;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 9);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_eos (h);

  /* The event downstream carries the same structure as the message. */
  ev = pull_custom_event (h, "kmeans-score");
  fail_unless (ev != NULL, "no kmeans-score event downstream");
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_CUSTOM_DOWNSTREAM);
  msg = pop_score (bus);
  fail_unless (msg != NULL);
  s = gst_event_get_structure (ev);
  fail_unless (gst_structure_is_equal (s, gst_message_get_structure (msg)));
  fail_unless_equals_float (field_double (s, "score"), 6.0);
  fail_unless (field_final (s));
  gst_message_unref (msg);
  gst_event_unref (ev);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_passthrough_identity)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  GstBuffer *in = buffer_from (tf_points, sizeof (tf_points)), *out;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  /* The very same buffer, untouched. */
  fail_unless (out == in);
  fail_unless_equals_int (gst_buffer_memcmp (out, 0, tf_points,
          sizeof (tf_points)), 0);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* 25 buffers 100 ms apart, 1 s interval: messages at 1 s and 2 s and a
 * final one for the last 0.5 s.  Buffer i holds point [i, 0]; the model's
 * one center is the origin, so buffer i scores i². */
static void
run_interval_split (gboolean with_durations)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h =
      element_harness ("kmeans-score", bus, "interval", GST_SECOND, NULL);
  static const gfloat origin[] = { 0, 0 };
  const GstClockTime base = 10 * GST_SECOND;
  /* With durations an interval ends with the buffer that fills it (9, 19);
   * without, when the first buffer past it arrives (10, 20). */
  const guint posted_after[] = { with_durations ? 9 : 10,
    with_durations ? 19 : 20, 25
  };
  GstMessage *msgs[3] = { NULL, };
  const GstStructure *s;
  GstSegment segment;
  GstMessage *msg;
  guint64 n;
  guint i, m = 0;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  /* running time = stream time + 10 s */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.base = base;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push_model (h, 1, origin, 1);

  for (i = 0; i <= 25; i++) {
    gfloat p[2] = { i, 0 };

    if (i < 25)
      push_through (h, timed_buffer (p, sizeof (p), i * 100 * GST_MSECOND,
              with_durations ? 100 * GST_MSECOND : GST_CLOCK_TIME_NONE));
    else
      push_eos (h);
    while ((msg = pop_score (bus))) {
      fail_unless (m < 3, "too many messages");
      fail_unless_equals_int (i, posted_after[m]);
      msgs[m++] = msg;
    }
  }
  fail_unless_equals_int (m, 3);

  for (m = 0; m < 3; m++) {
    guint lo = m * 10, hi = MIN (lo + 9, 24);
    gdouble expected = 0;
    GstClockTime start = lo * 100 * GST_MSECOND;
    GstClockTime end = (hi + (with_durations ? 1 : 0)) * 100 * GST_MSECOND;

    for (i = lo; i <= hi; i++)
      expected += (gdouble) i *i;

    s = gst_message_get_structure (msgs[m]);
    check_times (s, start, start + base, end - start);
    fail_unless_equals_uint64 (field_u64 (s, "num-points"), hi - lo + 1);
    fail_unless_equals_float (field_double (s, "score"), expected);
    fail_unless_equals_float (field_double (s, "mean"),
        expected / (hi - lo + 1));
    n = hi - lo + 1;
    check_clusters (s, 1, &n, &expected);
    fail_unless_equals_int (field_final (s), m == 2);
    gst_message_unref (msgs[m]);
  }

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_START_TEST (test_interval_split_by_time)
{
  run_interval_split (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_interval_split_without_durations)
{
  run_interval_split (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_interval_points_untimed)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, "interval-points",
      G_GUINT64_CONSTANT (3), NULL);
  static const gfloat origin[] = { 0, 0 };
  static const guint64 expect_n[] = { 4, 4, 2 };
  const GstStructure *s;
  GstMessage *msg;
  guint i;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 1, origin, 1);
  /* Five untimed buffers of two points: a message once 3 points are in,
   * that is after every second buffer, whole buffers only. */
  for (i = 0; i < 5; i++) {
    gfloat p[4] = { 1, 0, 0, 1 };

    push_through (h, buffer_from (p, sizeof (p)));
  }
  push_eos (h);

  for (i = 0; i < 3; i++) {
    msg = pop_score (bus);
    fail_unless (msg != NULL);
    s = gst_message_get_structure (msg);
    check_times (s, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE);
    fail_unless_equals_uint64 (field_u64 (s, "num-points"), expect_n[i]);
    fail_unless_equals_float (field_double (s, "score"), expect_n[i]);
    fail_unless_equals_int (field_final (s), i == 2);
    gst_message_unref (msg);
  }
  fail_unless (pop_score (bus) == NULL);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_post_messages_off)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, "post-messages", FALSE,
      "interval-points", G_GUINT64_CONSTANT (1), NULL);
  guint64 n;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_eos (h);
  fail_unless (pop_score (bus) == NULL);
  g_object_get (h->element, "num-points", &n, NULL);
  fail_unless_equals_uint64 (n, 4);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* TF KMeansCosineDistanceTest data set B against its true centers. */
GST_START_TEST (test_score_cosine)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  static const gfloat points[] = {
    2.5, 0.1, 2, 0.2, 3, 0.1, 4, 0.2, 0.1, 2.5, 0.2, 2, 0.1, 3, 0.2, 4,
  };
  static const gfloat centers[] = {
    0.99844754, 0.05569994, 0.05569994, 0.99844754,
  };
  const GValue *counts;
  const GstStructure *s;
  GstMessage *msg;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model_full (h, 2, 2, KM_METRIC_COSINE, centers, 1);
  push_through (h, buffer_from (points, sizeof (points)));
  push_eos (h);

  msg = pop_score (bus);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 8);
  /* Σ (1 − x̂·ĉ) = 0.0027141571; float32 arithmetic near cos = 1. */
  fail_unless (fabs (field_double (s, "score") - 0.0027141571) < 2e-6,
      "score %.10f", field_double (s, "score"));
  counts = gst_structure_get_value (s, "cluster-counts");
  fail_unless_equals_uint64 (g_value_get_uint64 (gst_value_array_get_value
          (counts, 0)), 4);
  fail_unless_equals_uint64 (g_value_get_uint64 (gst_value_array_get_value
          (counts, 1)), 4);
  gst_message_unref (msg);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* ---------------------------------------------------------- the model */

GST_START_TEST (test_model_change_of_k_ends_interval)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  static const gfloat two[] = { 0, 0, 100, 0 };
  static const guint64 counts_a[] = { 4, 2, 0, 0, 2 };
  static const gdouble scores_a[] = { 10, 2, 0, 0, 0 };
  static const guint64 counts_b[] = { 1, 3 };
  static const gdouble scores_b[] = { 2, 10 };
  const GstStructure *s;
  GstMessage *msg;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_model (h, 2, two, 2);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_eos (h);

  msg = pop_score (bus);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 8);
  fail_unless_equals_uint64 (field_u64 (s, "model-version"), 1);
  fail_if (field_final (s));
  check_clusters (s, 5, counts_a, scores_a);
  gst_message_unref (msg);

  msg = pop_score (bus);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 4);
  fail_unless_equals_float (field_double (s, "score"), 12);
  fail_unless_equals_uint64 (field_u64 (s, "model-version"), 2);
  fail_unless (field_final (s));
  check_clusters (s, 2, counts_b, scores_b);
  gst_message_unref (msg);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_no_model_drop)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  const GstStructure *s;
  GstMessage *msg;
  guint64 dropped, version;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  /* Not scored, but still passed on. */
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  g_object_get (h->element, "dropped-points", &dropped, "model-version",
      &version, NULL);
  fail_unless_equals_uint64 (dropped, 4);
  fail_unless_equals_uint64 (version, 0);
  push_eos (h);

  msg = pop_score (bus);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 0);
  fail_unless_equals_float (field_double (s, "mean"), 0);
  fail_unless_equals_uint64 (field_u64 (s, "model-version"), 0);
  fail_unless (field_final (s));
  check_clusters (s, 0, NULL, NULL);
  gst_message_unref (msg);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

static void
expect_error (GstBus * bus, GQuark domain, gint code, const gchar * fragment)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL, *all;

  fail_unless (msg != NULL, "no error posted");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, domain, code), "unexpected error %s",
      err->message);
  all = g_strconcat (err->message, " | ", debug, NULL);
  fail_unless (strstr (all, fragment) != NULL, "\"%s\" not in \"%s\"",
      fragment, all);
  g_free (all);
  g_free (debug);
  g_error_free (err);
  gst_message_unref (msg);
}

GST_START_TEST (test_no_model_error)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, "on-no-model", 1, NULL);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "no model yet");

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_dimension_mismatch)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  static const gfloat centers3[] = { 0, 0, 0 };

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model_full (h, 1, 3, KM_METRIC_SQUARED_EUCLIDEAN, centers3, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "model has 3 dimensions but the points have 2");

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_bad_input)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h =
      element_harness ("kmeans-score", bus, "on-bad-input", 1, NULL);
  gfloat points[G_N_ELEMENTS (tf_points)];
  static const guint64 counts[] = { 1, 1, 0, 0, 1 };
  static const gdouble scores[] = { 0, 1, 0, 0, 0 };
  const GstStructure *s;
  GstMessage *msg;
  guint64 skipped;

  memcpy (points, tf_points, sizeof (points));
  points[3] = NAN;              /* point 1 */
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  push_through (h, buffer_from (points, sizeof (points)));
  /* A partial row: the buffer still passes, none of it is scored. */
  push_through (h, buffer_from (tf_points, 3 * sizeof (gfloat)));
  g_object_get (h->element, "skipped-points", &skipped, NULL);
  fail_unless_equals_uint64 (skipped, 1 + 2);
  push_eos (h);

  msg = pop_score (bus);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 3);
  fail_unless_equals_float (field_double (s, "score"), 1);
  check_clusters (s, 5, counts, scores);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  gst_harness_teardown (h);

  /* The strict policy is an error. */
  h = element_harness ("kmeans-score", bus, "on-bad-input",
      GST_KMEANS_ON_BAD_INPUT_ERROR, NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, "NaN");
  gst_harness_teardown (h);

  bus_free (bus);
}

GST_END_TEST;

/* By default bad input is skipped: counted in the property and in the
 * interval's message, one warning for the first skip, no error. */
GST_START_TEST (test_default_skips_and_counts)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, NULL);
  gfloat points[G_N_ELEMENTS (tf_points)];
  const GstStructure *s;
  GstMessage *msg;

  memcpy (points, tf_points, sizeof (points));
  points[3] = NAN;              /* point 1 */
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  push_through (h, buffer_from (points, sizeof (points)));
  push_through (h, buffer_from (tf_points, 3 * sizeof (gfloat)));
  push_through (h, buffer_from (points, sizeof (points)));
  push_eos (h);

  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 1 + 2 + 1);
  /* Popping by type drops what comes before: the warning came first. */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "the first skip posted no warning");
  gst_message_unref (msg);
  msg = pop_score (bus);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 6);
  fail_unless_equals_uint64 (field_u64 (s, "skipped-points"), 4);
  fail_unless_equals_float (field_double (s, "score"), 2);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* Each interval counts its own skips. */
GST_START_TEST (test_skipped_points_per_interval)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-score", bus, "interval-points",
      G_GUINT64_CONSTANT (4), NULL);
  gfloat points[G_N_ELEMENTS (tf_points)];
  const GstStructure *s;
  GstMessage *msg;

  memcpy (points, tf_points, sizeof (points));
  points[3] = NAN;
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  push_through (h, buffer_from (points, sizeof (points)));      /* 3 + 1 */
  push_through (h, buffer_from (points, sizeof (points)));      /* 3 + 1 */
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));        /* 4 */

  msg = pop_score (bus);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 6);
  fail_unless_equals_uint64 (field_u64 (s, "skipped-points"), 2);
  gst_message_unref (msg);
  msg = pop_score (bus);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless_equals_uint64 (field_u64 (s, "num-points"), 4);
  fail_unless_equals_uint64 (field_u64 (s, "skipped-points"), 0);
  gst_message_unref (msg);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* Issue 11, defect 3: a replacement checkpoint of another dimension is
 * rejected with a warning; the current model keeps scoring. */
GST_START_TEST (test_unfit_replacement_keeps_model)
{
  gchar *dir, *path = model_path_new ("kmeans-score-XXXXXX", &dir);
  gchar *tmp = g_build_filename (dir, "next", NULL);
  static const gfloat centers3[] = { 0, 0, 0 };
  GstBus *bus = gst_bus_new ();
  const GstStructure *s;
  GstMessage *msg;
  GstHarness *h;
  guint64 va, vbad;

  save_checkpoint (path, 5, tf_centers, &va);
  h = element_harness ("kmeans-score", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL && gst_message_has_name (msg,
          "kmeans-model-loaded"));
  gst_message_unref (msg);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));

  save_checkpoint_d (tmp, 1, 3, centers3, &vbad);
  fail_unless (g_rename (tmp, path) == 0);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_eos (h);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning about the unfit checkpoint");
  {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    fail_unless (strstr (err->message, path) != NULL, "%s", err->message);
    fail_unless (strstr (err->message, "model has dimension 3, the stream "
            "has 2") != NULL, "%s", err->message);
    g_error_free (err);
  }
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  /* Both buffers scored with the first model; no second model announced. */
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    fail_if (gst_message_has_name (msg, "kmeans-model-loaded"));
    if (gst_message_has_name (msg, "kmeans-score")) {
      s = gst_message_get_structure (msg);
      fail_unless_equals_uint64 (field_u64 (s, "num-points"), 8);
      fail_unless_equals_float (field_double (s, "score"), 12);
      fail_unless_equals_uint64 (field_u64 (s, "model-version"), va);
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 1);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), va);

  gst_harness_teardown (h);
  bus_free (bus);
  g_free (tmp);
  model_path_free (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_model_location)
{
  gchar *dir, *path = model_path_new ("kmeans-score-XXXXXX", &dir);
  GstBus *bus = gst_bus_new ();
  GError *err = NULL;
  const GstStructure *s;
  GstMessage *msg;
  GstHarness *h;
  KmTrainer *t;
  KmConfig cfg;
  guint k = 0;

  km_config_init (&cfg);
  cfg.k = 5;
  cfg.d = 2;
  cfg.init = KM_INIT_GIVEN;
  t = km_trainer_new (&cfg, &err);
  fail_unless (t != NULL);
  fail_unless (km_trainer_set_centers (t, tf_centers, 5, 2, &err));
  fail_unless (km_trainer_save (t, path, &err), "%s", err ? err->message : "");
  km_trainer_free (t);

  h = element_harness ("kmeans-score", bus, "model-location", path, NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL && gst_message_has_name (msg,
          "kmeans-model-loaded"));
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "location"), path);
  fail_unless (gst_structure_get_uint (s, "clusters", &k));
  fail_unless_equals_int (k, 5);
  gst_message_unref (msg);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_through (h, buffer_from (tf_points, sizeof (tf_points)));
  push_eos (h);
  msg = pop_score (bus);
  s = gst_message_get_structure (msg);
  fail_unless_equals_float (field_double (s, "score"), 6);
  gst_message_unref (msg);

  /* The file's model is announced downstream like an in-band one. */
  {
    GstEvent *ev = pull_custom_event (h, GST_KMEANS_MODEL_EVENT_NAME);
    KmModel *m = NULL;

    fail_unless (ev != NULL, "file model not sent downstream");
    fail_unless (test_model_event_parse (ev, &m));
    fail_unless_equals_int (km_model_get_k (m), 5);
    km_model_unref (m);
    gst_event_unref (ev);
  }

  gst_harness_teardown (h);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

static Suite *
kmeansscore_suite (void)
{
  Suite *s = suite_create ("kmeans-score");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_score_exact);
  tcase_add_test (tc, test_passthrough_identity);
  tcase_add_test (tc, test_score_travels_in_band);
  tcase_add_test (tc, test_interval_split_by_time);
  tcase_add_test (tc, test_interval_split_without_durations);
  tcase_add_test (tc, test_interval_points_untimed);
  tcase_add_test (tc, test_post_messages_off);
  tcase_add_test (tc, test_score_cosine);
  tcase_add_test (tc, test_model_change_of_k_ends_interval);
  tcase_add_test (tc, test_no_model_drop);
  tcase_add_test (tc, test_no_model_error);
  tcase_add_test (tc, test_dimension_mismatch);
  tcase_add_test (tc, test_bad_input);
  tcase_add_test (tc, test_model_location);
  tcase_add_test (tc, test_default_skips_and_counts);
  tcase_add_test (tc, test_skipped_points_per_interval);
  tcase_add_test (tc, test_unfit_replacement_keeps_model);
  return s;
}

GST_CHECK_MAIN (kmeansscore);

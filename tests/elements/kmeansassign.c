/* Tests of kmeans-assign: exact assignments and distances (TF's
 * NearestCentersTest), caps of both output modes, the in-band model event,
 * the watched checkpoint file, and every bad-input path. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kmeans-test-helpers.h"

#define POINTS_CAPS "application/x-points,format=F32LE,dimensions=2"

/* TF clustering_ops_test NearestCentersTest. */
static const gfloat tf_points[] = { 100, 0, 101, 2, 99, 2, 1, 1 };
static const gfloat tf_centers[] = { 100, 0, 99, 1, 50, 50, 0, 0, 1, 1 };
static const gint32 tf_idx[] = { 0, 0, 1, 4 };
static const gfloat tf_dist[] = { 0, 5, 1, 0 };

static const gfloat tf_all[] = {
  0, 2, 5000, 10000, 9802,
  5, 5, 4905, 10205, 10001,
  5, 1, 4705, 9805, 9605,
  9802, 9604, 4802, 2, 0,
};

/* A second model: K=2, so switching to it changes the caps. */
static const gfloat two_centers[] = { 0, 0, 100, 0 };

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

/* Pulls one buffer of assignment records and checks them. */
static void
pull_and_check_assignments (GstHarness * h, const gint32 * idx,
    const gfloat * dist, gsize n)
{
  GstBuffer *buf = gst_harness_pull (h);
  GstMapInfo map;
  gsize i;

  fail_unless (buf != NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, n * 8);
  for (i = 0; i < n; i++) {
    guint32 bits = GST_READ_UINT32_LE (map.data + i * 8 + 4);
    gfloat d;

    memcpy (&d, &bits, sizeof (d));
    fail_unless_equals_int ((gint32) GST_READ_UINT32_LE (map.data + i * 8),
        idx[i]);
    fail_unless_equals_float (d, dist[i]);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

static void
check_src_caps (GstHarness * h, const gchar * expected)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstCaps *want = gst_caps_from_string (expected);

  fail_unless (caps != NULL);
  fail_unless (gst_caps_is_equal (caps, want), "caps %" GST_PTR_FORMAT
      ", expected %" GST_PTR_FORMAT, caps, want);
  gst_caps_unref (caps);
  gst_caps_unref (want);
}

/* Pops the next error or warning (@type) on @bus and checks its domain,
 * code and that its text or debug string holds each fragment of @args. */
static void
expect_message_valist (GstBus * bus, GstMessageType type, GQuark domain,
    gint code, va_list args)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  GError *err = NULL;
  gchar *debug = NULL, *all;
  const gchar *fragment;

  fail_unless (msg != NULL, "no %s posted", gst_message_type_get_name (type));
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &debug);
  else
    gst_message_parse_warning (msg, &err, &debug);
  fail_unless (g_error_matches (err, domain, code), "unexpected %s %s (%s)",
      gst_message_type_get_name (type), err->message, debug);
  all = g_strconcat (err->message, " | ", debug, NULL);
  while ((fragment = va_arg (args, const gchar *)))
      fail_unless (strstr (all, fragment) != NULL, "\"%s\" not in \"%s\"",
        fragment, all);
  g_free (all);
  g_free (debug);
  g_error_free (err);
  gst_message_unref (msg);
}

/* The next error on @bus, holding the NULL-terminated fragments. */
static void
expect_error (GstBus * bus, GQuark domain, gint code, ...)
{
  va_list args;

  va_start (args, code);
  expect_message_valist (bus, GST_MESSAGE_ERROR, domain, code, args);
  va_end (args);
}

/* The next warning on @bus, holding the NULL-terminated fragments. */
static void
expect_warning (GstBus * bus, GQuark domain, gint code, ...)
{
  va_list args;

  va_start (args, code);
  expect_message_valist (bus, GST_MESSAGE_WARNING, domain, code, args);
  va_end (args);
}

/* Pops element messages until one named @name; NULL if none. */
static GstMessage *
pop_element_message (GstBus * bus, const gchar * name)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, name))
      return msg;
    gst_message_unref (msg);
  }
  return NULL;
}

/* --------------------------------------------------------- assignment */

GST_START_TEST (test_assignments_exact)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);

  /* Point 1 is 5 from both center 0 and center 1: the tie goes to 0. */
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  check_src_caps (h, "application/x-kmeans-assignments, clusters=(int)5");
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), 1);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_distances_exact)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, "output", 1, NULL);
  GstBuffer *buf;
  GstMapInfo map;
  guint i;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);

  buf = gst_harness_pull (h);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, sizeof (tf_all));
  for (i = 0; i < G_N_ELEMENTS (tf_all); i++) {
    guint32 bits = GST_READ_UINT32_LE (map.data + i * 4);
    gfloat v;

    memcpy (&v, &bits, sizeof (v));
    fail_unless_equals_float (v, tf_all[i]);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  check_src_caps (h, "application/x-points, format=(string)F32LE, "
      "dimensions=(int)5");

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_cosine_distances)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  /* 1 − cos: [3,4] vs the x axis is 1 − 3/5; vs the diagonal 1 − 7/(5√2). */
  static const gfloat centers[] = { 2, 0, 1, 1 };
  static const gfloat points[] = { 3, 4, 0, -7 };
  static const gint32 idx[] = { 1, 0 };
  GstBuffer *buf;
  GstMapInfo map;
  KmModel *model;
  gfloat d0, d1;
  guint32 bits;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  model = model_new (2, 2, KM_METRIC_COSINE, centers, 3);
  fail_unless (gst_harness_push_event (h, test_model_event_new (model)));
  km_model_unref (model);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);

  buf = gst_harness_pull (h);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, 16);
  fail_unless_equals_int ((gint32) GST_READ_UINT32_LE (map.data), idx[0]);
  fail_unless_equals_int ((gint32) GST_READ_UINT32_LE (map.data + 8), idx[1]);
  bits = GST_READ_UINT32_LE (map.data + 4);
  memcpy (&d0, &bits, 4);
  bits = GST_READ_UINT32_LE (map.data + 12);
  memcpy (&d1, &bits, 4);
  /* Not a square root: the raw 1 − cos. */
  fail_unless (fabs (d0 - (1.0 - 7.0 / (5.0 * G_SQRT2))) < 1e-6, "%g", d0);
  fail_unless (fabs (d1 - 1.0) < 1e-6, "%g", d1);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* distance=euclidean: the same clusters, the square roots of the
 * squared distances, in both outputs (scikit-learn's transform()). */
GST_START_TEST (test_euclidean_distances)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, "distance", 1,
      NULL);
  GstHarness *all = element_harness ("kmeans-assign", NULL, "distance", 1,
      "output", 1, NULL);
  gfloat root[G_N_ELEMENTS (tf_dist)];
  GstBuffer *buf;
  GstMapInfo map;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tf_dist); i++)
    root[i] = sqrtf (tf_dist[i]);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, root, 4);

  gst_harness_set_src_caps_str (all, POINTS_CAPS);
  push_model (all, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (all,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  buf = gst_harness_pull (all);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < G_N_ELEMENTS (tf_all); i++) {
    guint32 bits = GST_READ_UINT32_LE (map.data + i * 4);
    gfloat v;

    memcpy (&v, &bits, sizeof (v));
    fail_unless_equals_float (v, sqrtf (tf_all[i]));
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);

  gst_harness_teardown (h);
  gst_harness_teardown (all);
}

GST_END_TEST;

/* Cosine, distance=euclidean: the distance between the unit vectors,
 * ‖x̂ − ĉ‖ = √(2 (1 − cos)). */
GST_START_TEST (test_cosine_euclidean_distances)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, "distance", 1,
      NULL);
  static const gfloat centers[] = { 2, 0, 1, 1 };
  static const gfloat points[] = { 3, 4 };
  GstBuffer *buf;
  GstMapInfo map;
  KmModel *model;
  gdouble want;
  guint32 bits;
  gfloat d;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  model = model_new (2, 2, KM_METRIC_COSINE, centers, 3);
  fail_unless (gst_harness_push_event (h, test_model_event_new (model)));
  km_model_unref (model);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);
  buf = gst_harness_pull (h);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int ((gint32) GST_READ_UINT32_LE (map.data), 1);
  bits = GST_READ_UINT32_LE (map.data + 4);
  memcpy (&d, &bits, 4);
  /* [3,4]/5 - [1,1]/√2, by coordinates. */
  want = hypot (0.6 - G_SQRT2 / 2, 0.8 - G_SQRT2 / 2);
  fail_unless (fabs (d - want) < 1e-6, "%g, not %g", d, want);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_timestamps_preserved)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  GstBuffer *in = buffer_from (tf_points, sizeof (tf_points)), *out;

  GST_BUFFER_PTS (in) = 3 * GST_SECOND;
  GST_BUFFER_DTS (in) = 2 * GST_SECOND;
  GST_BUFFER_DURATION (in) = 40 * GST_MSECOND;
  GST_BUFFER_OFFSET (in) = 12;
  GST_BUFFER_OFFSET_END (in) = 16;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);

  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 3 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (out), 2 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), 40 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), 12);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (out), 16);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_model_switch_mid_stream)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  static const gint32 idx_b[] = { 1, 1, 1, 0 };
  static const gfloat dist_b[] = { 0, 5, 5, 2 };
  GstEvent *ev;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);

  push_model (h, 2, two_centers, 2);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, idx_b, dist_b, 4);
  check_src_caps (h, "application/x-kmeans-assignments, clusters=(int)2");
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), 2);

  /* The model events went on downstream, in order. */
  while ((ev = gst_harness_try_pull_event (h))) {
    KmModel *m = NULL;

    if (test_model_event_parse (ev, &m)) {
      fail_unless (km_model_get_version (m) == 1
          || km_model_get_version (m) == 2);
      km_model_unref (m);
    }
    gst_event_unref (ev);
  }

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_f64_input)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  gdouble points[G_N_ELEMENTS (tf_points)];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tf_points); i++)
    points[i] = tf_points[i];
  gst_harness_set_src_caps_str (h,
      "application/x-points,format=F64LE,dimensions=2");
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_tensors_input)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);

  gst_harness_set_src_caps_str (h, "other/tensors,format=static,"
      "num_tensors=1,types=float32,dimensions=(string)2:4,framerate=0/1");
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---------------------------------------------------------- no model */

GST_START_TEST (test_drop_before_model)
{
  GstHarness *h = element_harness ("kmeans-assign", NULL, NULL);
  GstBuffer *out;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, 2 * 2 * sizeof (gfloat))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_uint64 (get_u64 (h, "dropped-points"), 6);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), 0);

  push_model (h, 5, tf_centers, 7);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  out = gst_harness_pull (h);
  /* The drops left a gap in the stream. */
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_int (gst_buffer_get_size (out), 4 * 8);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (get_u64 (h, "dropped-points"), 6);
  check_src_caps (h, "application/x-kmeans-assignments, clusters=(int)5");

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_error_before_model)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h =
      element_harness ("kmeans-assign", bus, "on-no-model", 1, NULL);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "no model yet", NULL);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* --------------------------------------------------------- bad input */

GST_START_TEST (test_dimension_mismatch)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-assign", bus, NULL);
  static const gfloat centers3[] = { 0, 0, 0, 1, 1, 1 };
  KmModel *model = model_new (2, 3, KM_METRIC_SQUARED_EUCLIDEAN, centers3, 1);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless (gst_harness_push_event (h, test_model_event_new (model)));
  km_model_unref (model);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "model has 3 dimensions", "points have 2", NULL);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_nan_error)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-assign", bus, "on-bad-input",
      GST_KMEANS_ON_BAD_INPUT_ERROR, NULL);
  gfloat points[G_N_ELEMENTS (tf_points)];

  memcpy (points, tf_points, sizeof (points));
  points[3] = NAN;
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "point 1 of the buffer has a NaN/Inf value", NULL);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_nan_skip)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h =
      element_harness ("kmeans-assign", bus, "on-bad-input", 1, NULL);
  gfloat points[G_N_ELEMENTS (tf_points)];
  static const gint32 idx[] = { 0, 1, 4 };
  static const gfloat dist[] = { 0, 1, 0 };
  GstMessage *msg;

  memcpy (points, tf_points, sizeof (points));
  points[2] = INFINITY;         /* point 1 */
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);

  /* The bad point has no record; the others keep their order. */
  pull_and_check_assignments (h, idx, dist, 3);
  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 1);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);

  /* A buffer of bad points only is dropped whole. */
  points[0] = points[4] = points[6] = NAN;
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 5);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* Points come from outside: by default bad ones are skipped and counted,
 * with one warning for the first, and the stream goes on. */
GST_START_TEST (test_default_skips_and_warns_once)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-assign", bus, NULL);
  gfloat points[G_N_ELEMENTS (tf_points)];
  static const gint32 idx[] = { 0, 1, 4 };
  static const gfloat dist[] = { 0, 1, 0 };
  GstKMeansOnBadInput policy;
  GstMessage *msg;

  g_object_get (h->element, "on-bad-input", &policy, NULL);
  fail_unless_equals_int (policy, GST_KMEANS_ON_BAD_INPUT_SKIP);
  memcpy (points, tf_points, sizeof (points));
  points[3] = NAN;              /* point 1 */
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);

  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);
  pull_and_check_assignments (h, idx, dist, 3);
  /* 3.5 rows: the whole buffer goes. */
  fail_unless_equals_int (gst_harness_push (h, buffer_from (tf_points,
              sizeof (tf_points) - sizeof (gfloat))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);
  pull_and_check_assignments (h, idx, dist, 3);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 1 + 4 + 1);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "the first skip posted no warning");
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL,
      "more than one warning");
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_partial_row)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = element_harness ("kmeans-assign", bus, "on-bad-input",
      GST_KMEANS_ON_BAD_INPUT_ERROR, NULL);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  /* 3.5 rows. */
  fail_unless_equals_int (gst_harness_push (h, buffer_from (tf_points,
              sizeof (tf_points) - sizeof (gfloat))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "not a whole number of 2-dimensional F32LE points", "28 bytes", NULL);
  gst_harness_teardown (h);

  /* skip: the whole buffer goes, counted as the 4 rows it touched. */
  h = element_harness ("kmeans-assign", bus, "on-bad-input", 1, NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 5, tf_centers, 1);
  fail_unless_equals_int (gst_harness_push (h, buffer_from (tf_points,
              sizeof (tf_points) - sizeof (gfloat))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 4);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  gst_harness_teardown (h);

  bus_free (bus);
}

GST_END_TEST;

/* ------------------------------------------------------ model-location */

/* Saves elsewhere, then renames over @path: how a trainer replaces it. */
static void
replace_checkpoint (const gchar * path, guint k, const gfloat * centers,
    guint64 * version)
{
  gchar *tmp = g_strconcat (path, ".new", NULL);

  save_checkpoint (tmp, k, centers, version);
  fail_unless (g_rename (tmp, path) == 0);
  g_free (tmp);
}

static void
check_loaded_message (GstBus * bus, const gchar * path, guint64 version,
    guint k)
{
  GstMessage *msg = pop_element_message (bus, "kmeans-model-loaded");
  const GstStructure *s;
  guint64 v = G_MAXUINT64, step = G_MAXUINT64;
  guint clusters = 0, dims = 0;

  fail_unless (msg != NULL, "no kmeans-model-loaded message");
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "location"), path);
  fail_unless (gst_structure_get (s, "model-version", G_TYPE_UINT64, &v,
          "step", G_TYPE_UINT64, &step, "clusters", G_TYPE_UINT, &clusters,
          "dimensions", G_TYPE_UINT, &dims, NULL));
  fail_unless_equals_uint64 (v, version);
  fail_unless_equals_uint64 (step, 0);
  fail_unless_equals_int (clusters, k);
  fail_unless_equals_int (dims, 2);
  gst_message_unref (msg);
}

/* A model loaded from the file goes downstream as the in-band event. */
static void
check_model_event_downstream (GstHarness * h, guint64 version, guint k)
{
  GstEvent *ev;
  KmModel *m = NULL;

  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (test_model_event_parse (ev, &m)) {
      gst_event_unref (ev);
      break;
    }
    gst_event_unref (ev);
  }
  fail_unless (m != NULL, "no kmeans-model event downstream");
  fail_unless_equals_uint64 (km_model_get_version (m), version);
  fail_unless_equals_int (km_model_get_k (m), k);
  km_model_unref (m);
}

GST_START_TEST (test_model_location_reload)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  static const gint32 idx_b[] = { 1, 1, 1, 0 };
  static const gfloat dist_b[] = { 0, 5, 5, 2 };
  GstBus *bus = gst_bus_new ();
  guint64 va, vb;
  GstHarness *h;

  save_checkpoint (path, 5, tf_centers, &va);
  h = element_harness ("kmeans-assign", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  check_loaded_message (bus, path, va, 5);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), va);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  check_src_caps (h, "application/x-kmeans-assignments, clusters=(int)5");
  check_model_event_downstream (h, va, 5);

  /* Unchanged file: no reload. */
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  fail_unless (pop_element_message (bus, "kmeans-model-loaded") == NULL);

  replace_checkpoint (path, 2, two_centers, &vb);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  check_loaded_message (bus, path, vb, 2);
  pull_and_check_assignments (h, idx_b, dist_b, 4);
  check_src_caps (h, "application/x-kmeans-assignments, clusters=(int)2");
  check_model_event_downstream (h, vb, 2);

  gst_harness_teardown (h);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_model_location_missing_then_written)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  guint64 va;

  /* A missing checkpoint is no error: points are dropped until it comes. */
  h = element_harness ("kmeans-assign", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (h, "dropped-points"), 4);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);

  save_checkpoint (path, 5, tf_centers, &va);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  check_loaded_message (bus, path, va, 5);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);

  gst_harness_teardown (h);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_checkpoint_at_start)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  GstElement *e = gst_element_factory_make ("kmeans-assign", NULL);
  GstBus *bus = gst_bus_new ();

  fail_unless (g_file_set_contents (path, "not a checkpoint", -1, NULL));
  g_object_set (e, "model-location", path, NULL);
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  expect_error (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, path, NULL);

  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_replacement_keeps_model)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  gchar *tmp = g_build_filename (dir, "broken", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstHarness *h;
  guint64 va;

  save_checkpoint (path, 5, tf_centers, &va);
  h = element_harness ("kmeans-assign", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  check_loaded_message (bus, path, va, 5);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);

  fail_unless (g_file_set_contents (tmp, "garbage garbage garbage", -1, NULL));
  fail_unless (g_rename (tmp, path) == 0);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning about the damaged checkpoint");
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), va);

  gst_harness_teardown (h);
  bus_free (bus);
  g_free (tmp);
  model_path_free (path, dir);
}

GST_END_TEST;

/* A replacement the stream cannot use (issue 11, defect 3): the current
 * model stays, one warning names the file and the mismatch, it is counted,
 * and no kmeans-model-loaded announces it. */
GST_START_TEST (test_unfit_replacement_keeps_model)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  gchar *tmp = g_build_filename (dir, "next", NULL);
  static const gfloat centers3[] = { 0, 0, 0, 1, 1, 1 };
  static const gint32 idx_b[] = { 1, 1, 1, 0 };
  static const gfloat dist_b[] = { 0, 5, 5, 2 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  guint64 va, vbad, vb;

  save_checkpoint (path, 5, tf_centers, &va);
  h = element_harness ("kmeans-assign", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  check_loaded_message (bus, path, va, 5);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 0);

  /* A 3-D model for a 2-D stream. */
  save_checkpoint_d (tmp, 2, 3, centers3, &vbad);
  fail_unless (g_rename (tmp, path) == 0);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  expect_warning (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, path,
      "model has dimension 3, the stream has 2", NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless (pop_element_message (bus, "kmeans-model-loaded") == NULL);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), va);
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 1);

  /* That version is not tried again. */
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 1);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);

  /* A fitting replacement is taken as usual. */
  replace_checkpoint (path, 2, two_centers, &vb);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  check_loaded_message (bus, path, vb, 2);
  pull_and_check_assignments (h, idx_b, dist_b, 4);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), vb);
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 1);

  gst_harness_teardown (h);
  bus_free (bus);
  g_free (tmp);
  model_path_free (path, dir);
}

GST_END_TEST;

/* The element's own check goes through the same path: output=distances
 * cannot carry more than 65536 clusters. */
GST_START_TEST (test_replacement_with_too_many_clusters)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  gchar *tmp = g_build_filename (dir, "next", NULL);
  static const gfloat one_d[] = { 0, 10 }, points[] = { 1, 9 };
  static const gfloat expected[] = { 1, 81, 81, 1 };
  const guint big_k = 65537;
  gfloat *many = g_new (gfloat, big_k);
  GstBus *bus = gst_bus_new ();
  GstBuffer *out;
  GstHarness *h;
  guint64 va, vbig;
  guint i;

  for (i = 0; i < big_k; i++)
    many[i] = (gfloat) i;
  save_checkpoint_d (path, 2, 1, one_d, &va);
  h = element_harness ("kmeans-assign", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), "output", 1, NULL);
  gst_harness_set_src_caps_str (h,
      "application/x-points,format=F32LE,dimensions=1");

  save_checkpoint_d (tmp, big_k, 1, many, &vbig);
  fail_unless (g_rename (tmp, path) == 0);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (points, sizeof (points))), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  fail_unless (gst_buffer_memcmp (out, 0, expected, sizeof (expected)) == 0);
  gst_buffer_unref (out);
  expect_warning (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, path,
      "model has 65537 clusters", NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), va);
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 1);

  gst_harness_teardown (h);
  bus_free (bus);
  g_free (many);
  g_free (tmp);
  model_path_free (path, dir);
}

GST_END_TEST;

/* The checkpoint present at start is read before the caps are known: one
 * that does not fit the negotiated stream stops it, with an error that
 * names the file, as an unreadable one does at start. */
GST_START_TEST (test_unfit_checkpoint_at_start)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  static const gfloat centers3[] = { 0, 0, 0, 1, 1, 1 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  guint64 v;

  save_checkpoint_d (path, 2, 3, centers3, &v);
  h = element_harness ("kmeans-assign", bus, "model-location", path, NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_ERROR);
  expect_error (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, path,
      "3 dimensions", "points have 2", NULL);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  gst_harness_teardown (h);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

GST_START_TEST (test_newest_model_wins)
{
  gchar *dir, *path = model_path_new ("kmeans-assign-XXXXXX", &dir);
  static const gint32 idx_b[] = { 1, 1, 1, 0 };
  static const gfloat dist_b[] = { 0, 5, 5, 2 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  guint64 va, vc;

  save_checkpoint (path, 5, tf_centers, &va);
  h = element_harness ("kmeans-assign", bus, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);

  /* The in-band model arrives after the file's: it is used. */
  push_model (h, 2, two_centers, 40);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, idx_b, dist_b, 4);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), 40);

  /* Then the file is replaced: its model is the newest again. */
  replace_checkpoint (path, 5, tf_centers, &vc);
  fail_unless_equals_int (gst_harness_push (h,
          buffer_from (tf_points, sizeof (tf_points))), GST_FLOW_OK);
  pull_and_check_assignments (h, tf_idx, tf_dist, 4);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), vc);

  gst_harness_teardown (h);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

static Suite *
kmeansassign_suite (void)
{
  Suite *s = suite_create ("kmeans-assign");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_assignments_exact);
  tcase_add_test (tc, test_distances_exact);
  tcase_add_test (tc, test_cosine_distances);
  tcase_add_test (tc, test_euclidean_distances);
  tcase_add_test (tc, test_cosine_euclidean_distances);
  tcase_add_test (tc, test_timestamps_preserved);
  tcase_add_test (tc, test_model_switch_mid_stream);
  tcase_add_test (tc, test_f64_input);
  tcase_add_test (tc, test_tensors_input);
  tcase_add_test (tc, test_drop_before_model);
  tcase_add_test (tc, test_error_before_model);
  tcase_add_test (tc, test_dimension_mismatch);
  tcase_add_test (tc, test_nan_error);
  tcase_add_test (tc, test_nan_skip);
  tcase_add_test (tc, test_default_skips_and_warns_once);
  tcase_add_test (tc, test_partial_row);
  tcase_add_test (tc, test_model_location_reload);
  tcase_add_test (tc, test_model_location_missing_then_written);
  tcase_add_test (tc, test_corrupt_checkpoint_at_start);
  tcase_add_test (tc, test_corrupt_replacement_keeps_model);
  tcase_add_test (tc, test_unfit_replacement_keeps_model);
  tcase_add_test (tc, test_replacement_with_too_many_clusters);
  tcase_add_test (tc, test_unfit_checkpoint_at_start);
  tcase_add_test (tc, test_newest_model_wins);
  return s;
}

GST_CHECK_MAIN (kmeansassign);

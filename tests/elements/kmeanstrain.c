/* gst-kmeans: tests of the kmeans-train element.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "kmeans.h"
#include "kmeanselements.h"

#define CAPS_F32_2D \
    "application/x-points, format=(string)F32LE, dimensions=(int)2"
#define CAPS_F32_3D \
    "application/x-points, format=(string)F32LE, dimensions=(int)3"
#define CAPS_F64_2D \
    "application/x-points, format=(string)F64LE, dimensions=(int)2"
#define TENSORS(types, dims) \
    "other/tensors, format=(string)static, num_tensors=(int)1, " \
    "types=(string)" types ", dimensions=(string)" dims ", " \
    "framerate=(fraction)0/1"

/* ------------------------------------------------------------ helpers */

/* A kmeans-train with @bus and the given properties, not started yet.
 * The init sample is the first batch (init-size=0, the estimator's), so
 * a buffer comes out for each one pushed; the tests of init-size and of
 * the buffers held for the first model set it themselves. */
static GstElement *
new_train (GstBus * bus, const gchar * first_property, ...)
{
  GstElement *train = gst_element_factory_make ("kmeans-train", NULL);
  va_list args;

  fail_unless (train != NULL);
  g_object_set (train, "init-size", 0, NULL);
  if (first_property) {
    va_start (args, first_property);
    g_object_set_valist (G_OBJECT (train), first_property, args);
    va_end (args);
  }
  if (bus)
    gst_element_set_bus (train, bus);
  return train;
}

/* Starts @train in a harness (taking the caller's ref) with @caps. */
static GstHarness *
start_harness (GstElement * train, const gchar * caps)
{
  GstHarness *h = gst_harness_new_with_element (train, "sink", "src");

  gst_object_unref (train);
  if (caps)
    gst_harness_set_src_caps_str (h, caps);
  return h;
}

static void
set_initial_centers (GstElement * train, const gfloat * centers, guint k,
    guint d)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, GST_TYPE_ARRAY);
  gst_kmeans_value_set_centers (&v, centers, k, d);
  g_object_set_property (G_OBJECT (train), "initial-centers-value", &v);
  g_value_unset (&v);
}

static GstBuffer *
points_buffer (const gfloat * values, gsize n_values, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (values, n_values * sizeof (gfloat));

  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

/* Pushes points that stay in the element (held for the first model). */
static void
push_held (GstHarness * h, const gfloat * values, gsize n_values,
    GstClockTime pts)
{
  fail_unless_equals_int (gst_harness_push (h, points_buffer (values,
              n_values, pts)), GST_FLOW_OK);
  fail_unless (gst_harness_try_pull (h) == NULL);
}

/* A kmeans++ trainer of 3 clusters (@seed) on 2-D points, with the first
 * two buffers of 10 points from @pts pushed and held for the default
 * three-batch sample. */
static GstHarness *
start_held_sample (const gfloat * pts, guint64 seed)
{
  GstElement *train = gst_element_factory_make ("kmeans-train", NULL);
  GstHarness *h;

  g_object_set (train, "num-clusters", 3, "init", KM_INIT_KMEANS_PLUS_PLUS,
      "seed", seed, NULL);
  h = start_harness (train, CAPS_F32_2D);
  push_held (h, pts, 20, 0);
  push_held (h, pts + 20, 20, 1);
  return h;
}

/* Pulls @n buffers that must have come out, in order of their PTS 0..n-1. */
static void
pull_in_order (GstHarness * h, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_try_pull (h);

    fail_unless (out != NULL, "buffer %u of %u did not come out", i, n);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i);
    gst_buffer_unref (out);
  }
  fail_unless (gst_harness_try_pull (h) == NULL);
}

/* Pushes points and drops the buffer that comes out. */
static void
push_points (GstHarness * h, const gfloat * values, gsize n_values)
{
  fail_unless_equals_int (gst_harness_push (h, points_buffer (values,
              n_values, GST_CLOCK_TIME_NONE)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
}

static GstEvent *
caps_event (const gchar * str)
{
  GstCaps *caps = gst_caps_from_string (str);
  GstEvent *ev = gst_event_new_caps (caps);

  gst_caps_unref (caps);
  return ev;
}

/* Queued messages hold refs on the element, which holds the bus: drop
 * them so both can go. */
static void
drop_bus (GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

/* The model of a kmeans-model event (a new ref), or NULL.  Read from the
 * structure: the test has its own copy of the shared glue, whose boxed
 * type must not be registered a second time. */
static KmModel *
model_from_event (GstEvent * ev)
{
  const GstStructure *s;
  const GValue *v;

  if (GST_EVENT_TYPE (ev) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY
      || !gst_event_has_name (ev, GST_KMEANS_MODEL_EVENT_NAME))
    return NULL;
  s = gst_event_get_structure (ev);
  v = gst_structure_get_value (s, "model");
  fail_unless (v != NULL && G_VALUE_HOLDS_BOXED (v));
  return km_model_ref (g_value_get_boxed (v));
}

/* Caps (refused or not: sticky event errors only show on the next buffer)
 * and a time segment. */
static void
push_caps_and_segment (GstHarness * h, const gchar * caps)
{
  GstSegment segment;

  gst_harness_push_event (h, caps_event (caps));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
}

static GstFlowReturn
push_bytes (GstHarness * h, const void *data, gsize size)
{
  return gst_harness_push (h, gst_buffer_new_memdup (data, size));
}

/* The centers property flattened; returns k and sets *d. */
static guint
get_centers (GstElement * train, gdouble * out, gsize max, guint * d)
{
  GValue v = G_VALUE_INIT;
  guint k, i, j;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (train), "centers", &v);
  k = gst_value_array_get_size (&v);
  *d = 0;
  for (i = 0; i < k; i++) {
    const GValue *row = gst_value_array_get_value (&v, i);

    *d = gst_value_array_get_size (row);
    for (j = 0; j < *d; j++) {
      fail_unless ((gsize) i * *d + j < max);
      out[i * *d + j] = g_value_get_double (gst_value_array_get_value (row, j));
    }
  }
  g_value_unset (&v);
  return k;
}

static guint
get_counts (GstElement * train, gdouble * out, guint max)
{
  GValue v = G_VALUE_INIT;
  guint n, i;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (train), "counts", &v);
  n = gst_value_array_get_size (&v);
  fail_unless (n <= max);
  for (i = 0; i < n; i++)
    out[i] = g_value_get_double (gst_value_array_get_value (&v, i));
  g_value_unset (&v);
  return n;
}

static guint64
get_u64 (GstElement * train, const gchar * name)
{
  guint64 v;

  g_object_get (train, name, &v, NULL);
  return v;
}

static void
assert_centers (GstElement * train, const gdouble * expected, guint k, guint d)
{
  gdouble got[64];
  guint got_k, got_d, i;

  got_k = get_centers (train, got, G_N_ELEMENTS (got), &got_d);
  fail_unless_equals_int (got_k, k);
  fail_unless_equals_int (got_d, d);
  for (i = 0; i < k * d; i++)
    fail_unless (fabs (got[i] - expected[i]) < 1e-6,
        "center value %u is %g, expected %g", i, got[i], expected[i]);
}

/* Pops every element message named @name, in order (others dropped). */
static GList *
pop_messages (GstBus * bus, const gchar * name)
{
  GList *list = NULL;
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, name))
      list = g_list_append (list, gst_structure_copy (s));
    gst_message_unref (msg);
  }
  return list;
}

static void
free_messages (GList * list)
{
  g_list_free_full (list, (GDestroyNotify) gst_structure_free);
}

static guint64
field_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = G_MAXUINT64;

  fail_unless (gst_structure_get_uint64 (s, field, &v),
      "no guint64 field %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

static gdouble
field_double (const GstStructure * s, const gchar * field)
{
  gdouble v = 0;

  fail_unless (gst_structure_get_double (s, field, &v),
      "no double field %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

/* The first error on @bus; fails if there is none. */
static GError *
pop_error (GstBus * bus, gchar ** debug)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;

  fail_unless (msg != NULL, "no error message on the bus");
  gst_message_parse_error (msg, &err, debug);
  gst_message_unref (msg);
  return err;
}

static void
assert_no_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (msg) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail ("unexpected error: %s", err->message);
  }
}

static void
assert_error_contains (GstBus * bus, GQuark domain, gint code,
    const gchar * text)
{
  gchar *debug = NULL;
  GError *err = pop_error (bus, &debug);

  fail_unless (g_error_matches (err, domain, code),
      "error \"%s\" has domain %s code %d", err->message,
      g_quark_to_string (err->domain), err->code);
  fail_unless (strstr (err->message, text) != NULL,
      "error \"%s\" does not contain \"%s\"", err->message, text);
  g_error_free (err);
  g_free (debug);
}

/* Sets @train going without a harness; TRUE if start() failed. */
static gboolean
start_fails (GstElement * train)
{
  GstStateChangeReturn ret = gst_element_set_state (train, GST_STATE_PAUSED);

  gst_element_set_state (train, GST_STATE_NULL);
  return ret == GST_STATE_CHANGE_FAILURE;
}

static gchar *
make_tmp_dir (void)
{
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("kmeanstrain-XXXXXX", &err);

  fail_unless (dir != NULL, "g_dir_make_tmp: %s", err ? err->message : "");
  return dir;
}

static void
remove_tmp_dir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  fail_unless_equals_int (g_rmdir (dir), 0);
  g_free (dir);
}

/* Points around three centers, the same on every call. */
static void
make_points (gfloat * out, gsize n, guint32 seed)
{
  static const gfloat centers[3][2] = { {0, 0}, {10, 10}, {-10, 5} };
  guint32 s = seed;
  gsize i;

  for (i = 0; i < n; i++) {
    guint c;

    s = s * 1664525u + 1013904223u;
    c = (s >> 16) % 3;
    s = s * 1664525u + 1013904223u;
    out[2 * i] = centers[c][0] + ((s >> 8) % 1000) / 500.0f - 1.0f;
    s = s * 1664525u + 1013904223u;
    out[2 * i + 1] = centers[c][1] + ((s >> 8) % 1000) / 500.0f - 1.0f;
  }
}

/* -------------------------------------------------------------- caps */

/* Caps of every accepted form; trains one exact step in each. */
static void
check_caps_accepted (const gchar * caps_str, gboolean f64)
{
  static const gfloat zero[] = { 0, 0 };
  static const gdouble pts[] = { 2, 0, 4, 0, 6, 0 };
  static const gdouble expected[] = { 3, 0 };   /* (0 + 12) / 4 */
  GstElement *train = new_train (NULL, "num-clusters", 1, NULL);
  GstHarness *h;
  GstBuffer *buf;
  gfloat pts32[6];
  guint i;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, NULL);
  gst_harness_set_src_caps_str (h, caps_str);

  if (f64) {
    buf = gst_buffer_new_memdup (pts, sizeof (pts));
  } else {
    for (i = 0; i < 6; i++)
      pts32[i] = pts[i];
    buf = gst_buffer_new_memdup (pts32, sizeof (pts32));
  }
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));

  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 1);
  assert_centers (h->element, expected, 1, 2);
  gst_harness_teardown (h);
}

GST_START_TEST (test_caps_accepted)
{
  check_caps_accepted (CAPS_F32_2D, FALSE);
  check_caps_accepted (CAPS_F64_2D, TRUE);
  check_caps_accepted (TENSORS ("float32", "2:3"), FALSE);
  check_caps_accepted (TENSORS ("float32", "2:3:1:1"), FALSE);
  check_caps_accepted (TENSORS ("float64", "2:3"), TRUE);
}

GST_END_TEST;

GST_START_TEST (test_caps_rank3_refused)
{
  GstBus *bus = gst_bus_new ();

  static const gfloat pts[] = { 1, 2, 3, 4, 5, 6 };
  GstHarness *h = start_harness (new_train (bus, NULL), NULL);

  push_caps_and_segment (h, TENSORS ("float32", "2:3:4"));
  assert_error_contains (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "rank");
  fail_unless_equals_int (push_bytes (h, pts, sizeof (pts)),
      GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

GST_START_TEST (test_dimension_change_refused)
{
  static const gfloat pts[] = { 1, 2, 3, 4 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_train (bus, NULL), CAPS_F32_2D);

  push_points (h, pts, 4);      /* the model is now 2-dimensional */
  push_caps_and_segment (h, CAPS_F32_3D);
  assert_error_contains (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "Points have 3 dimensions but the model has 2");
  fail_unless_equals_int (push_bytes (h, pts, 3 * sizeof (gfloat)),
      GST_FLOW_NOT_NEGOTIATED);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 0);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

/* ------------------------------------------------------- passthrough */

GST_START_TEST (test_passthrough)
{
  static const gfloat pts[] = { 1, 2, 3, 4, 5, 6 };
  GstHarness *h = start_harness (new_train (NULL, NULL), CAPS_F32_2D);
  GstBuffer *in, *out;
  guint i;

  for (i = 0; i < 3; i++) {
    in = points_buffer (pts, 6, i * GST_SECOND);
    gst_buffer_ref (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out == in, "buffer %u was not passed through as is", i);
    fail_unless_equals_int (gst_buffer_memcmp (out, 0, pts, sizeof (pts)), 0);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  /* The first buffer initialised, the next two trained. */
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------ initialisation */

GST_START_TEST (test_given_centers_exact)
{
  /* docs/algorithm.md §8.1: c0 = [0,0]; {[2,0],[4,0]} -> [2,0], count 3;
   * {[5,0]} -> [2.75,0], count 4. */
  static const gfloat batch1[] = { 2, 0, 4, 0 };
  static const gfloat batch2[] = { 5, 0 };
  static const gdouble after1[] = { 2, 0 }, after2[] = { 2.75, 0 };
  GstElement *train = new_train (NULL, "num-clusters", 1, NULL);
  GstHarness *h;
  gdouble counts[4];

  gst_util_set_object_arg (G_OBJECT (train), "initial-centers-value",
      "<<0.0,0.0>>");
  h = start_harness (train, CAPS_F32_2D);

  /* Given centers are a model from the start. */
  assert_centers (h->element, (const gdouble[]) { 0, 0 }, 1, 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 1);

  push_points (h, batch1, 4);
  assert_centers (h->element, after1, 1, 2);
  fail_unless_equals_int (get_counts (h->element, counts, 4), 1);
  fail_unless_equals_float (counts[0], 3.0);

  push_points (h, batch2, 2);
  assert_centers (h->element, after2, 1, 2);
  fail_unless_equals_int (get_counts (h->element, counts, 4), 1);
  fail_unless_equals_float (counts[0], 4.0);

  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 3);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_random_init_consumes_first_buffer)
{
  static const gfloat first[] = { 1, 2, 3, 4 };
  static const gfloat second[] = { 1, 0, 3, 6 };
  /* [1,0] is nearest [1,2], [3,6] nearest [3,4]; counts start at 1. */
  static const gdouble trained[] = { 1, 1, 3, 5 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_train (bus, "num-clusters", 2, NULL),
      CAPS_F32_2D);
  GList *msgs;
  gdouble counts[2];

  /* Before any point the model is empty. */
  assert_centers (h->element, NULL, 0, 0);
  fail_unless_equals_int (get_counts (h->element, counts, 2), 0);

  /* B = k: random init takes the whole batch, in order, untrained. */
  push_points (h, first, 4);
  assert_centers (h->element, (const gdouble[]) { 1, 2, 3, 4 }, 2, 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 0);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 0);
  msgs = pop_messages (bus, "kmeans-initialized");
  fail_unless_equals_int (g_list_length (msgs), 1);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "step"), 0);
  {
    guint clusters = 0, dims = 0;

    fail_unless (gst_structure_get_uint (msgs->data, "clusters", &clusters));
    fail_unless (gst_structure_get_uint (msgs->data, "dimensions", &dims));
    fail_unless_equals_int (clusters, 2);
    fail_unless_equals_int (dims, 2);
  }
  free_messages (msgs);

  push_points (h, second, 4);
  assert_centers (h->element, trained, 2, 2);
  fail_unless_equals_int (get_counts (h->element, counts, 2), 2);
  fail_unless_equals_float (counts[0], 2.0);
  fail_unless_equals_float (counts[1], 2.0);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 2);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

GST_START_TEST (test_random_init_across_buffers)
{
  /* B < k: each buffer adds its rows until k are chosen; the buffers
   * wait for the model, then leave in order behind it. */
  static const gfloat a[] = { 1, 1 }, b[] = { 2, 2 }, c[] = { 3, 3 };
  GstHarness *h = start_harness (new_train (NULL, "num-clusters", 3, NULL),
      CAPS_F32_2D);

  push_held (h, a, 2, 0);
  push_held (h, b, 2, 1);
  assert_centers (h->element, NULL, 0, 0);
  fail_unless_equals_int (gst_harness_push (h, points_buffer (c, 2, 2)),
      GST_FLOW_OK);
  pull_in_order (h, 3);
  assert_centers (h->element, (const gdouble[]) { 1, 1, 2, 2, 3, 3 }, 3, 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_init_file)
{
  static const gfloat pts[] = { 1, 0, 9, 10 };
  /* [1,0] -> center 0, [9,10] -> center 1; both counts 1 -> 2. */
  static const gdouble expected[] = { 0.5, 0, 9.5, 10 };
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "centers.txt", NULL);
  GstBus *bus = gst_bus_new ();
  GstElement *train;
  GstHarness *h;

  fail_unless (g_file_set_contents (path,
          "# two centers\n0, 0\n10 10\n", -1, NULL));

  train = new_train (NULL, "num-clusters", 2, "init", KM_INIT_GIVEN,
      "initial-centers", path, NULL);
  h = start_harness (train, CAPS_F32_2D);
  assert_centers (h->element, (const gdouble[]) { 0, 0, 10, 10 }, 2, 2);
  push_points (h, pts, 4);
  assert_centers (h->element, expected, 2, 2);
  gst_harness_teardown (h);

  /* The file's row count must equal num-clusters. */
  train = new_train (bus, "num-clusters", 3, "init", KM_INIT_GIVEN,
      "initial-centers", path, NULL);
  fail_unless (start_fails (train));
  assert_error_contains (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "num-clusters is 3");
  gst_object_unref (train);

  /* init=file without a file. */
  train = new_train (bus, "init", KM_INIT_GIVEN, NULL);
  fail_unless (start_fails (train));
  assert_error_contains (bus, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "initial-centers");
  gst_object_unref (train);

  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

/* A core config with the element's init defaults for 2-d points:
 * kmeans++ with 2 + ln k candidates, 5 trials refined by 10 Lloyd
 * iterations, reassignment ratio 0.01. */
static void
element_init_config (KmConfig * cfg, guint k, guint64 seed)
{
  km_config_init (cfg);
  cfg->k = k;
  cfg->d = 2;
  cfg->init = KM_INIT_KMEANS_PLUS_PLUS;
  cfg->seed = seed;
  cfg->kmeans_plus_plus_retries = -1;
  cfg->init_trials = 5;
  cfg->init_refine = 10;
  cfg->reassignment_ratio = 0.01;
}

/* The element's k centers of 2 coordinates are those of @core's model. */
static void
assert_centers_of_core (GstElement * train, KmTrainer * core, guint k)
{
  KmModel *model = km_trainer_get_model (core);
  const gfloat *want = km_model_get_centers (model);
  gdouble got[16 * 2];
  guint got_k, d, j;

  fail_unless (k <= 16);
  got_k = get_centers (train, got, G_N_ELEMENTS (got), &d);
  fail_unless_equals_int (got_k, k);
  for (j = 0; j < 2 * k; j++)
    fail_unless_equals_float (got[j], want[j]);
  km_model_unref (model);
}

/* init-size gathers across buffers: 20 buffers of 10 points with
 * init-size=200 give the kmeans++ centers the core chooses from one batch
 * of those 200 points; the 20 buffers wait for that model and leave in
 * order; the 21st buffer is the first step. */
GST_START_TEST (test_init_size_gathers)
{
  gfloat pts[210 * 2];
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  KmConfig cfg;
  KmTrainer *core;
  guint b;

  make_points (pts, 210, 11);
  h = start_harness (new_train (bus, "num-clusters", 8, "init",
          KM_INIT_KMEANS_PLUS_PLUS, "init-size", 200, "seed",
          (guint64) 5, NULL), CAPS_F32_2D);
  for (b = 0; b < 19; b++) {
    push_held (h, pts + b * 20, 20, b);
    fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 0);
  }
  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts + 19 * 20,
              20, 19)), GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 1);
  pull_in_order (h, 20);
  push_points (h, pts + 400, 20);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 10);

  /* The element's other defaults on one batch. */
  element_init_config (&cfg, 8, 5);
  core = km_trainer_new (&cfg, NULL);
  fail_unless (km_trainer_feed (core, pts, 200, NULL, NULL) == KM_FEED_INIT);
  /* The element made one step since: replay it. */
  fail_unless (km_trainer_feed (core, pts + 400, 10, NULL, NULL) ==
      KM_FEED_TRAINED);
  assert_centers_of_core (h->element, core, 8);
  km_trainer_free (core);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

/* The default sample is three first batches: their buffers wait for the
 * model, which is the core's with init_batches 3 and 10 Lloyd iterations
 * per trial, and the fourth buffer is the first step. */
GST_START_TEST (test_default_init_sample)
{
  gfloat pts[40 * 2];
  GstHarness *h;
  KmConfig cfg;
  KmTrainer *core;
  guint b;

  make_points (pts, 40, 3);
  h = start_held_sample (pts, 9);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 0);
  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts + 40, 20,
              2)), GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 1);
  pull_in_order (h, 3);
  push_points (h, pts + 60, 20);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 10);

  element_init_config (&cfg, 3, 9);
  cfg.init_batches = 3;
  core = km_trainer_new (&cfg, NULL);
  for (b = 0; b < 3; b++)
    fail_unless (km_trainer_feed (core, pts + 20 * b, 10, NULL, NULL) ==
        KM_FEED_INIT);
  fail_unless (km_trainer_is_initialized (core));
  fail_unless (km_trainer_feed (core, pts + 60, 10, NULL, NULL) ==
      KM_FEED_TRAINED);
  assert_centers_of_core (h->element, core, 3);
  km_trainer_free (core);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A stream shorter than the sample: EOS initialises from what it held
 * (Lloyd's centers of those points) and sends the held buffers behind
 * the model, before EOS. */
GST_START_TEST (test_short_stream_released_at_eos)
{
  gfloat pts[20 * 2];
  GstHarness *h;
  GstEvent *ev;
  gboolean model_first = FALSE;

  make_points (pts, 20, 4);
  h = start_held_sample (pts, 2);
  /* Drop the stream-start, caps and segment events. */
  while ((ev = gst_harness_try_pull_event (h)) != NULL)
    gst_event_unref (ev);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  ev = gst_harness_try_pull_event (h);
  fail_unless (ev != NULL);
  model_first = gst_event_has_name (ev, "kmeans-model");
  gst_event_unref (ev);
  fail_unless (model_first, "the model event did not come first");
  pull_in_order (h, 2);
  ev = gst_harness_try_pull_event (h);
  fail_unless (ev != NULL && GST_EVENT_TYPE (ev) == GST_EVENT_EOS);
  gst_event_unref (ev);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A center given far from every point is moved among the points by
 * reassignment (the default ratio), counted in the property, in the
 * progress message and by kmeans-reassigned. */
GST_START_TEST (test_reassignment_moves_far_center)
{
  static const gfloat centers[] = { 0, 0, 10, 10, 5000, 5000 };
  gfloat pts[100 * 2];
  gdouble got[3 * 2];
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 3,
      "progress-interval", 1, NULL);
  GstHarness *h;
  GList *msgs;
  guint s, d;

  set_initial_centers (train, centers, 3, 2);
  h = start_harness (train, CAPS_F32_2D);
  /* 10·k = 30 points per check: every step of 50 points checks; the far
   * center's count 1 is starved once the largest passes 100. */
  for (s = 0; s < 8; s++) {
    make_points (pts, 50, 40 + s);
    push_points (h, pts, 100);
  }
  fail_unless (get_u64 (h->element, "reassignments") >= 1);
  get_centers (h->element, got, G_N_ELEMENTS (got), &d);
  fail_unless (fabs (got[4]) < 20 && fabs (got[5]) < 20);
  msgs = pop_messages (bus, "kmeans-reassigned");
  fail_unless (msgs != NULL);
  free_messages (msgs);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

GST_START_TEST (test_kmeans_plus_plus_batch_too_small)
{
  static const gfloat pts[] = { 1, 2, 3, 4 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_train (bus, "num-clusters", 3,
          "init", KM_INIT_KMEANS_PLUS_PLUS, NULL), CAPS_F32_2D);

  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts, 4, 0)),
      GST_FLOW_ERROR);
  assert_error_contains (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "kmeans++ initialisation needs at least 3 points");
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

GST_START_TEST (test_kmeans_plus_plus)
{
  /* Three tight groups and k=3: k-means++ picks one point of each. */
  static const gfloat pts[] = { 0, 0, 0.1f, 0, 100, 100, 100.1f, 100,
    -100, 50, -100.1f, 50
  };
  GstHarness *h = start_harness (new_train (NULL, "num-clusters", 3,
          "init", KM_INIT_KMEANS_PLUS_PLUS, "seed", G_GUINT64_CONSTANT (5),
          NULL), CAPS_F32_2D);
  gdouble c[6];
  guint d, i, near[3] = { 0, 0, 0 };

  push_points (h, pts, 12);
  fail_unless_equals_int (get_centers (h->element, c, 6, &d), 3);
  for (i = 0; i < 3; i++) {
    if (fabs (c[2 * i]) < 1)
      near[0]++;
    else if (c[2 * i] > 99)
      near[1]++;
    else if (c[2 * i] < -99)
      near[2]++;
  }
  fail_unless (near[0] == 1 && near[1] == 1 && near[2] == 1,
      "centers not one per group: %g,%g %g,%g %g,%g", c[0], c[1], c[2], c[3],
      c[4], c[5]);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ----------------------------------------------------------- batching */

GST_START_TEST (test_batch_size_accumulation)
{
  static const gfloat b1[] = { 1, 0, 2, 0 }, b2[] = { 3, 0, 4, 0 };
  static const gfloat b3[] = { 5, 0, 6, 0 }, b4[] = { 7, 0 };
  static const gfloat zero[] = { 0, 0 };
  GstElement *train = new_train (NULL, "num-clusters", 1, "batch-size", 3,
      NULL);
  GstHarness *h;
  gdouble counts[1];

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);

  push_points (h, b1, 4);       /* 2 of 3 */
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 0);
  push_points (h, b2, 4);       /* {1,2,3}: (0 + 6) / 4 = 1.5; 1 left */
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 1);
  assert_centers (h->element, (const gdouble[]) { 1.5, 0 }, 1, 2);
  push_points (h, b3, 4);       /* {4,5,6}: (4 * 1.5 + 15) / 7 = 3 */
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 2);
  assert_centers (h->element, (const gdouble[]) { 3, 0 }, 1, 2);
  push_points (h, b4, 2);       /* 1 of 3, trained at EOS */
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 2);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 3);
  assert_centers (h->element, (const gdouble[]) { 3.5, 0 }, 1, 2);
  fail_unless_equals_int (get_counts (h->element, counts, 1), 1);
  fail_unless_equals_float (counts[0], 8.0);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 7);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---------------------------------------------------- in-band model */

static GstPadProbeReturn
log_flow (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GString *log = user_data;
  KmModel *model;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    g_string_append (log, "B ");
  } else if ((model = model_from_event (GST_PAD_PROBE_INFO_EVENT (info)))) {
    g_string_append_printf (log, "M%" G_GUINT64_FORMAT " ",
        km_model_get_version (model));
    km_model_unref (model);
  }
  return GST_PAD_PROBE_OK;
}

/* The newest model event that reached the harness, checked field by
 * field against the element's properties. */
static void
check_last_model_event (GstHarness * h, guint64 version, guint64 step)
{
  GstEvent *ev, *last = NULL;
  const GstStructure *s;
  KmModel *model = NULL;
  gdouble c[8];
  guint k, d, i, clusters = 0, dims = 0;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY) {
      gst_clear_event (&last);
      last = ev;
    } else {
      gst_event_unref (ev);
    }
  }
  fail_unless (last != NULL);
  fail_unless (GST_EVENT_IS_STICKY (last) && GST_EVENT_IS_SERIALIZED (last));
  s = gst_event_get_structure (last);
  fail_unless (gst_structure_has_name (s, GST_KMEANS_MODEL_EVENT_NAME));
  fail_unless_equals_uint64 (field_u64 (s, "version"), version);
  fail_unless_equals_uint64 (field_u64 (s, "step"), step);
  fail_unless (gst_structure_get_uint (s, "clusters", &clusters));
  fail_unless (gst_structure_get_uint (s, "dimensions", &dims));
  fail_unless_equals_string (gst_structure_get_string (s, "metric"),
      "squared-euclidean");

  model = model_from_event (last);
  fail_unless (model != NULL);
  k = get_centers (h->element, c, G_N_ELEMENTS (c), &d);
  fail_unless_equals_int (clusters, k);
  fail_unless_equals_int (dims, d);
  fail_unless_equals_int (km_model_get_k (model), k);
  fail_unless_equals_uint64 (km_model_get_version (model), version);
  for (i = 0; i < k * d; i++)
    fail_unless_equals_float (km_model_get_centers (model)[i], c[i]);
  km_model_unref (model);
  gst_event_unref (last);
}

GST_START_TEST (test_model_event_before_next_buffer)
{
  static const gfloat init[] = { 0, 0, 10, 10 };
  static const gfloat one_a[] = { 1, 1 }, one_b[] = { 9, 9 };
  static const gfloat two[] = { 2, 2, 8, 8 };
  GstHarness *h = start_harness (new_train (NULL, "num-clusters", 2,
          "batch-size", 2, NULL), CAPS_F32_2D);
  GString *log = g_string_new ("");

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, log_flow, log, NULL);

  push_points (h, init, 4);     /* init: version 1, step 0 */
  check_last_model_event (h, 1, 0);
  push_points (h, one_a, 2);    /* half a batch: no update, no event */
  push_points (h, one_b, 2);    /* step 1: version 2 */
  check_last_model_event (h, 2, 1);
  push_points (h, two, 4);      /* step 2: version 3 */
  check_last_model_event (h, 3, 2);

  fail_unless_equals_string (log->str, "M1 B B M2 B M3 B ");
  g_string_free (log, TRUE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------ messages */

GST_START_TEST (test_progress_messages)
{
  static const gfloat pts[] = { 2, 0, 4, 0 };
  static const gfloat zero[] = { 0, 0 };
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 1,
      "progress-interval", 2, NULL);
  GstHarness *h;
  GList *msgs;
  const GstStructure *s;
  guint i;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);
  msgs = pop_messages (bus, "kmeans-initialized");
  fail_unless_equals_int (g_list_length (msgs), 1);
  free_messages (msgs);

  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (gst_harness_push (h, points_buffer (pts, 4,
                i * GST_SECOND)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }

  /* Steps 2 and 4.  Step 2 starts from [2,0] (after step 1): loss 0 + 4. */
  msgs = pop_messages (bus, "kmeans-train");
  fail_unless_equals_int (g_list_length (msgs), 2);
  s = msgs->data;
  fail_unless_equals_uint64 (field_u64 (s, "step"), 2);
  fail_unless_equals_float (field_double (s, "loss"), 4.0);
  fail_unless_equals_uint64 (field_u64 (s, "batch-points"), 2);
  fail_unless_equals_uint64 (field_u64 (s, "points"), 4);
  fail_unless_equals_uint64 (field_u64 (s, "model-version"), 3);
  fail_unless_equals_uint64 (field_u64 (s, "timestamp"), GST_SECOND);
  fail_unless_equals_uint64 (field_u64 (s, "stream-time"), GST_SECOND);
  fail_unless_equals_uint64 (field_u64 (s, "running-time"), GST_SECOND);
  s = msgs->next->data;
  fail_unless_equals_uint64 (field_u64 (s, "step"), 4);
  fail_unless_equals_uint64 (field_u64 (s, "points"), 8);
  fail_unless_equals_uint64 (field_u64 (s, "model-version"), 5);
  fail_unless_equals_uint64 (field_u64 (s, "running-time"), 3 * GST_SECOND);
  free_messages (msgs);

  /* post-messages=false silences them. */
  g_object_set (h->element, "post-messages", FALSE, NULL);
  for (i = 0; i < 4; i++)
    push_points (h, pts, 4);
  msgs = pop_messages (bus, "kmeans-train");
  fail_unless (msgs == NULL);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

GST_START_TEST (test_convergence_stops_updates)
{
  /* k=1 at [0,0], batches {[1,0],[-1,0]}: the center stays at 0 and the
   * loss is 2 every step, so step 2 meets any tolerance. */
  static const gfloat pts[] = { 1, 0, -1, 0 };
  static const gfloat zero[] = { 0, 0 };
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 1,
      "relative-tolerance", 0.01, NULL);
  GstHarness *h;
  GList *msgs;
  gboolean converged = TRUE;
  guint i;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);

  push_points (h, pts, 4);
  g_object_get (h->element, "converged", &converged, NULL);
  fail_if (converged);
  push_points (h, pts, 4);
  g_object_get (h->element, "converged", &converged, NULL);
  fail_unless (converged);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 2);

  msgs = pop_messages (bus, "kmeans-converged");
  fail_unless_equals_int (g_list_length (msgs), 1);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "step"), 2);
  fail_unless_equals_float (field_double (msgs->data, "loss"), 2.0);
  fail_unless_equals_float (field_double (msgs->data, "relative-change"), 0.0);
  free_messages (msgs);

  /* Buffers keep flowing, the model does not change any more. */
  for (i = 0; i < 3; i++)
    push_points (h, pts, 4);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"), 3);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 4);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

/* --------------------------------------------------------- bad input */

GST_START_TEST (test_nan_error)
{
  const gfloat pts[] = { 1, 2, NAN, 4, 5, 6 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_train (bus, "on-bad-input",
          GST_KMEANS_ON_BAD_INPUT_ERROR, NULL), CAPS_F32_2D);

  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts, 6, 0)),
      GST_FLOW_ERROR);
  assert_error_contains (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "point 1 of the buffer has a NaN/Inf value");
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

/* Trains k=1 from [0,0] on @pts (F64 when @f64) with skip; returns the
 * center's x and sets *skipped. */
static gdouble
train_with_skip (const gdouble * pts, gsize n_values, gboolean f64,
    guint64 * skipped)
{
  static const gfloat zero[] = { 0, 0 };
  GstElement *train = new_train (NULL, "num-clusters", 1,
      "on-bad-input", GST_KMEANS_ON_BAD_INPUT_SKIP, NULL);
  GstHarness *h;
  GstBuffer *buf, *out;
  gfloat pts32[16];
  gdouble c[2];
  guint d, i;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, f64 ? CAPS_F64_2D : CAPS_F32_2D);
  if (f64) {
    buf = gst_buffer_new_memdup (pts, n_values * sizeof (gdouble));
  } else {
    for (i = 0; i < n_values; i++)
      pts32[i] = pts[i];
    buf = gst_buffer_new_memdup (pts32, n_values * sizeof (gfloat));
  }
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (buf)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out == buf);     /* bad rows are not removed downstream */
  gst_buffer_unref (out);
  gst_buffer_unref (buf);

  *skipped = get_u64 (h->element, "skipped-points");
  fail_unless_equals_uint64 (get_u64 (h->element, "points"),
      n_values / 2 - *skipped);
  fail_unless_equals_int (get_centers (h->element, c, 2, &d), 1);
  fail_unless_equals_float (c[1], 0.0);
  gst_harness_teardown (h);
  return c[0];
}

GST_START_TEST (test_nan_skip)
{
  const gdouble clean[] = { 2, 0, 4, 0 };
  const gdouble with_nan[] = { 2, 0, NAN, 1, 4, 0 };
  const gdouble with_inf[] = { 2, 0, 4, 0, 3, INFINITY };
  const gdouble too_big[] = { 1e300, 0, 2, 0, 4, 0 };   /* Inf in float32 */
  guint64 skipped;
  gdouble expected;

  expected = train_with_skip (clean, 4, FALSE, &skipped);
  fail_unless_equals_uint64 (skipped, 0);
  fail_unless_equals_float (expected, 2.0);

  fail_unless_equals_float (train_with_skip (with_nan, 6, FALSE, &skipped),
      expected);
  fail_unless_equals_uint64 (skipped, 1);
  fail_unless_equals_float (train_with_skip (with_inf, 6, FALSE, &skipped),
      expected);
  fail_unless_equals_uint64 (skipped, 1);
  fail_unless_equals_float (train_with_skip (with_nan, 6, TRUE, &skipped),
      expected);
  fail_unless_equals_uint64 (skipped, 1);
  fail_unless_equals_float (train_with_skip (too_big, 6, TRUE, &skipped),
      expected);
  fail_unless_equals_uint64 (skipped, 1);
}

GST_END_TEST;

GST_START_TEST (test_partial_row_error)
{
  static const guint8 bytes[10] = { 0 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_train (bus, "on-bad-input",
          GST_KMEANS_ON_BAD_INPUT_ERROR, NULL), CAPS_F32_3D);

  fail_unless_equals_int (push_bytes (h, bytes, sizeof (bytes)),
      GST_FLOW_ERROR);
  assert_error_contains (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "buffer of 10 bytes is not a whole number of 3-dimensional F32LE "
      "points (12 bytes each)");
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

GST_START_TEST (test_partial_row_skip)
{
  static const gfloat pts[] = { 1, 2, 3, 4, 5 };        /* 2.5 points */
  static const gfloat good[] = { 1, 2, 3, 4 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = start_harness (new_train (bus, "on-bad-input",
          GST_KMEANS_ON_BAD_INPUT_SKIP, NULL), CAPS_F32_2D);
  GstBuffer *out;

  fail_unless_equals_int (push_bytes (h, pts, sizeof (pts)), GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (h->element, "skipped-buffers"), 1);
  /* Every point the buffer touched, the partial one included. */
  fail_unless_equals_uint64 (get_u64 (h->element, "skipped-points"), 3);
  /* Nothing reached the trainer: the next buffer still initialises, and
   * the skipped one, held for the model, leaves first, untouched. */
  assert_centers (h->element, NULL, 0, 0);
  fail_unless (gst_harness_try_pull (h) == NULL);
  fail_unless_equals_int (gst_harness_push (h, points_buffer (good, 4, 0)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_get_size (out), sizeof (pts));
  gst_buffer_unref (out);
  gst_buffer_unref (gst_harness_pull (h));
  assert_centers (h->element, (const gdouble[]) { 1, 2, 3, 4 }, 2, 2);
  assert_no_error (bus);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

/* By default bad input is skipped: counted in the properties and in the
 * progress messages, one warning for the first skip, no error. */
GST_START_TEST (test_default_skips_and_counts)
{
  static const gfloat zero[] = { 0, 0 };
  const gfloat with_nan[] = { 2, 0, NAN, 1, 4, 0 };
  static const gfloat partial[] = { 1, 2, 3 };
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 1,
      "progress-interval", 1, NULL);
  GstKMeansOnBadInput policy;
  GstMessage *msg;
  GstHarness *h;
  GList *msgs, *l;
  const GstStructure *s;

  g_object_get (train, "on-bad-input", &policy, NULL);
  fail_unless_equals_int (policy, GST_KMEANS_ON_BAD_INPUT_SKIP);
  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);

  push_points (h, with_nan, 6);
  fail_unless_equals_int (push_bytes (h, partial, sizeof (partial)),
      GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  push_points (h, with_nan, 6);

  fail_unless_equals_uint64 (get_u64 (h->element, "skipped-points"), 4);
  fail_unless_equals_uint64 (get_u64 (h->element, "skipped-buffers"), 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "points"), 4);
  /* Popping by type drops what comes before: the warning came first. */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "the first skip posted no warning");
  gst_message_unref (msg);
  msgs = pop_messages (bus, "kmeans-train");
  fail_unless_equals_int (g_list_length (msgs), 2);
  s = msgs->data;
  fail_unless_equals_uint64 (field_u64 (s, "skipped-points"), 1);
  fail_unless_equals_uint64 (field_u64 (s, "skipped-buffers"), 0);
  s = msgs->next->data;
  fail_unless_equals_uint64 (field_u64 (s, "skipped-points"), 4);
  fail_unless_equals_uint64 (field_u64 (s, "skipped-buffers"), 1);
  for (l = msgs; l; l = l->next)
    fail_unless_equals_uint64 (field_u64 (l->data, "batch-points"), 2);
  free_messages (msgs);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  assert_no_error (bus);
  gst_harness_teardown (h);
  drop_bus (bus);
}

GST_END_TEST;

/* --------------------------------------------------------- checkpoints */

#define RUN_BUFFERS 6
#define RUN_POINTS 20

/* Trains buffers [first, last) of the standard data; returns the harness
 * still running. */
static GstHarness *
train_run (const gchar * location, GstBus * bus, guint first, guint last)
{
  GstHarness *h = start_harness (new_train (bus, "num-clusters", 3,
          "seed", G_GUINT64_CONSTANT (7), "checkpoint-location", location,
          NULL), CAPS_F32_2D);
  gfloat pts[RUN_POINTS * 2];
  guint i;

  for (i = first; i < last; i++) {
    make_points (pts, RUN_POINTS, 1000 + i);
    push_points (h, pts, RUN_POINTS * 2);
  }
  return h;
}

GST_START_TEST (test_checkpoint_resume_matches_uninterrupted)
{
  gchar *dir = make_tmp_dir ();
  gchar *whole = g_build_filename (dir, "whole.ckpt", NULL);
  gchar *split = g_build_filename (dir, "split.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  gdouble c_whole[6], c_split[6], n_whole[3], n_split[3];
  guint d, i;
  GList *msgs;
  GString *log = g_string_new ("");

  h = train_run (whole, NULL, 0, RUN_BUFFERS);
  fail_unless_equals_int (get_centers (h->element, c_whole, 6, &d), 3);
  fail_unless_equals_int (get_counts (h->element, n_whole, 3), 3);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), RUN_BUFFERS - 1);
  gst_harness_teardown (h);

  /* Half the run, then stop: stop() writes the checkpoint. */
  h = train_run (split, bus, 0, RUN_BUFFERS / 2);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"),
      RUN_BUFFERS / 2 - 1);
  fail_unless_equals_uint64 (get_u64 (h->element, "model-version"),
      RUN_BUFFERS / 2);
  gst_harness_teardown (h);
  fail_unless (g_file_test (split, G_FILE_TEST_IS_REGULAR));
  msgs = pop_messages (bus, "kmeans-checkpoint");
  fail_unless_equals_int (g_list_length (msgs), 1);
  fail_unless_equals_string (gst_structure_get_string (msgs->data,
          "location"), split);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "step"),
      RUN_BUFFERS / 2 - 1);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "running-time"),
      GST_CLOCK_TIME_NONE);
  free_messages (msgs);

  /* A new element resumes: steps continue, the model is there at once and
   * goes downstream before the first buffer. */
  h = start_harness (new_train (NULL, "num-clusters", 3,
          "seed", G_GUINT64_CONSTANT (7), "checkpoint-location", split,
          NULL), CAPS_F32_2D);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"),
      RUN_BUFFERS / 2 - 1);
  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, log_flow, log, NULL);
  for (i = RUN_BUFFERS / 2; i < RUN_BUFFERS; i++) {
    gfloat pts[RUN_POINTS * 2];

    make_points (pts, RUN_POINTS, 1000 + i);
    push_points (h, pts, RUN_POINTS * 2);
  }
  fail_unless_equals_string (log->str, "M4 B M5 B M6 B ");
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), RUN_BUFFERS - 1);
  fail_unless_equals_int (get_centers (h->element, c_split, 6, &d), 3);
  fail_unless_equals_int (get_counts (h->element, n_split, 3), 3);
  gst_harness_teardown (h);

  for (i = 0; i < 6; i++)
    fail_unless_equals_float (c_split[i], c_whole[i]);
  for (i = 0; i < 3; i++)
    fail_unless_equals_float (n_split[i], n_whole[i]);

  g_string_free (log, TRUE);
  drop_bus (bus);
  g_free (whole);
  g_free (split);
  remove_tmp_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_checkpoint_interval_and_eos)
{
  static const gfloat pts[] = { 2, 0, 4, 0 };
  static const gfloat zero[] = { 0, 0 };
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "km.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 1,
      "checkpoint-location", path, "checkpoint-interval", 2, NULL);
  GstHarness *h;
  GList *msgs;
  guint i;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (h, points_buffer (pts, 4,
                i * GST_SECOND)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  /* Saved after step 2, during the second buffer. */
  msgs = pop_messages (bus, "kmeans-checkpoint");
  fail_unless_equals_int (g_list_length (msgs), 1);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "step"), 2);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "model-version"), 3);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "running-time"),
      GST_SECOND);
  free_messages (msgs);

  /* EOS saves step 3; stopping after it has nothing new to save. */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  msgs = pop_messages (bus, "kmeans-checkpoint");
  fail_unless_equals_int (g_list_length (msgs), 1);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "step"), 3);
  free_messages (msgs);

  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_checkpoint_interval_time)
{
  /* A 1 ns interval is due at every buffer that changed the model. */
  static const gfloat pts[] = { 2, 0, 4, 0 };
  static const gfloat zero[] = { 0, 0 };
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "km.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 1,
      "checkpoint-location", path, "checkpoint-interval", 0,
      "checkpoint-interval-time", G_GUINT64_CONSTANT (1), NULL);
  GstHarness *h;
  GList *msgs;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);
  push_points (h, pts, 4);
  push_points (h, pts, 4);
  msgs = pop_messages (bus, "kmeans-checkpoint");
  fail_unless_equals_int (g_list_length (msgs), 2);
  fail_unless_equals_uint64 (field_u64 (msgs->data, "step"), 1);
  fail_unless_equals_uint64 (field_u64 (msgs->next->data, "step"), 2);
  free_messages (msgs);
  gst_harness_teardown (h);

  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_checkpoint_write_failure)
{
  static const gfloat pts[] = { 2, 0, 4, 0 };
  static const gfloat zero[] = { 0, 0 };
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "missing", "km.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  GstElement *train = new_train (bus, "num-clusters", 1,
      "checkpoint-location", path, "checkpoint-interval", 1, NULL);
  GstHarness *h;

  set_initial_centers (train, zero, 1, 2);
  h = start_harness (train, CAPS_F32_2D);
  fail_unless_equals_int (gst_harness_push (h, points_buffer (pts, 4, 0)),
      GST_FLOW_ERROR);
  assert_error_contains (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
      path);
  gst_harness_teardown (h);

  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

/* Writes a real checkpoint of k=@k, d=2 to @path. */
static void
write_checkpoint (const gchar * path, guint k)
{
  static const gfloat init[] = { 0, 0, 5, 5, 9, 9 };
  static const gfloat pts[] = { 1, 1, 6, 6, 8, 8 };
  GstHarness *h = start_harness (new_train (NULL, "num-clusters", k,
          "checkpoint-location", path, NULL), CAPS_F32_2D);

  push_points (h, init, 2 * k);
  push_points (h, pts, 6);
  gst_harness_teardown (h);
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

GST_START_TEST (test_corrupt_checkpoint)
{
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "km.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  gchar *bytes = NULL, *after = NULL;
  gsize len = 0, after_len = 0;
  GstElement *train;

  write_checkpoint (path, 2);
  fail_unless (g_file_get_contents (path, &bytes, &len, NULL));
  bytes[len / 2] ^= 0x10;
  fail_unless (g_file_set_contents (path, bytes, len, NULL));

  train = new_train (bus, "num-clusters", 2, "checkpoint-location", path, NULL);
  fail_unless (start_fails (train));
  gst_object_unref (train);
  assert_error_contains (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      path);

  /* Left exactly as it was. */
  fail_unless (g_file_get_contents (path, &after, &after_len, NULL));
  fail_unless_equals_int (after_len, len);
  fail_unless (memcmp (after, bytes, len) == 0);

  g_free (bytes);
  g_free (after);
  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_mismatched_checkpoint)
{
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "km.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  gchar *bytes = NULL, *after = NULL;
  gsize len = 0, after_len = 0;
  GstElement *train;

  write_checkpoint (path, 2);
  fail_unless (g_file_get_contents (path, &bytes, &len, NULL));

  train = new_train (bus, "num-clusters", 3, "checkpoint-location", path, NULL);
  fail_unless (start_fails (train));
  gst_object_unref (train);
  assert_error_contains (bus, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "k=2");

  train = new_train (bus, "num-clusters", 2, "checkpoint-location", path,
      "distance-metric", KM_METRIC_COSINE, NULL);
  fail_unless (start_fails (train));
  gst_object_unref (train);
  assert_error_contains (bus, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "metric");

  fail_unless (g_file_get_contents (path, &after, &after_len, NULL));
  fail_unless_equals_int (after_len, len);
  fail_unless (memcmp (after, bytes, len) == 0);

  g_free (bytes);
  g_free (after);
  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_checkpoint_dimensions_must_match_caps)
{
  static const gfloat pts[] = { 1, 2, 3 };
  gchar *dir = make_tmp_dir ();
  gchar *path = g_build_filename (dir, "km.ckpt", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;

  write_checkpoint (path, 2);
  h = start_harness (new_train (bus, "num-clusters", 2,
          "checkpoint-location", path, NULL), NULL);
  push_caps_and_segment (h, CAPS_F32_3D);
  assert_error_contains (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "Points have 3 dimensions but the model has 2");
  fail_unless_equals_int (push_bytes (h, pts, sizeof (pts)),
      GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);

  drop_bus (bus);
  g_free (path);
  remove_tmp_dir (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------- config */

GST_START_TEST (test_cosine)
{
  static const gfloat axes[] = { 1, 0, 0, 1 };
  static const gfloat pts[] = { 2, 0.1f, 3, 0.2f, 0.1f, 2, 0.2f, 4 };
  GstElement *train = new_train (NULL, "num-clusters", 2,
      "distance-metric", KM_METRIC_COSINE, NULL);
  GstHarness *h;
  gdouble c[4], n0, n1;
  guint d, i;

  set_initial_centers (train, axes, 2, 2);
  h = start_harness (train, CAPS_F32_2D);
  for (i = 0; i < 5; i++)
    push_points (h, pts, 8);
  fail_unless_equals_uint64 (get_u64 (h->element, "steps"), 5);
  fail_unless_equals_int (get_centers (h->element, c, 4, &d), 2);

  /* Each center is a running mean of unit vectors near its axis: close
   * to the axis in direction, shorter than 1 (TF keeps it unnormalised). */
  n0 = hypot (c[0], c[1]);
  n1 = hypot (c[2], c[3]);
  fail_unless (n0 < 1.0 && n1 < 1.0, "norms %g %g", n0, n1);
  fail_unless (c[0] / n0 > 0.99 && c[3] / n1 > 0.99,
      "centers %g,%g %g,%g", c[0], c[1], c[2], c[3]);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *train = gst_element_factory_make ("kmeans-train", NULL);
  GValue v = G_VALUE_INIT;
  gboolean b;
  guint u;
  gint i;
  gdouble x;
  gchar *s;

  /* Defaults. */
  g_object_get (train, "num-clusters", &u, NULL);
  fail_unless_equals_int (u, 2);
  g_object_get (train, "batch-size", &u, NULL);
  fail_unless_equals_int (u, 0);
  g_object_get (train, "checkpoint-interval", &u, NULL);
  fail_unless_equals_int (u, 100);
  g_object_get (train, "progress-interval", &u, NULL);
  fail_unless_equals_int (u, 10);
  g_object_get (train, "kmeans-plus-plus-retries", &i, NULL);
  fail_unless_equals_int (i, -1);
  g_object_get (train, "init-size", &i, NULL);
  fail_unless_equals_int (i, -1);
  g_object_get (train, "init-refine", &u, NULL);
  fail_unless_equals_int (u, 10);
  g_object_get (train, "init-sampling", &i, NULL);
  fail_unless_equals_int (i, KM_INIT_SAMPLING_WITHOUT_REPLACEMENT);
  g_object_get (train, "reassignment-ratio", &x, NULL);
  fail_unless_equals_float (x, 0.01);
  g_object_get (train, "reassignment-sampling", &i, NULL);
  fail_unless_equals_int (i, KM_REASSIGN_SAMPLING_DISTANCE);
  g_object_get (train, "initial-weight", &x, NULL);
  fail_unless_equals_float (x, 1.0);
  fail_unless_equals_uint64 (get_u64 (train, "reassignments"), 0);
  g_object_get (train, "decay-factor", &x, NULL);
  fail_unless_equals_float (x, 1.0);
  g_object_get (train, "mini-batch", &b, NULL);
  fail_unless (b);
  g_object_get (train, "checkpoint-location", &s, NULL);
  fail_unless (s == NULL);
  fail_unless_equals_uint64 (get_u64 (train, "checkpoint-interval-time"),
      600 * GST_SECOND);
  fail_unless_equals_uint64 (get_u64 (train, "steps"), 0);
  fail_unless_equals_uint64 (get_u64 (train, "model-version"), 0);
  assert_centers (train, NULL, 0, 0);

  /* The array property reads back what was set. */
  gst_util_set_object_arg (G_OBJECT (train), "initial-centers-value",
      "<<1.0,2.0>,<3.0,4.0>>");
  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (train), "initial-centers-value", &v);
  fail_unless_equals_int (gst_value_array_get_size (&v), 2);
  for (u = 0; u < 2; u++) {
    const GValue *row = gst_value_array_get_value (&v, u);

    fail_unless_equals_int (gst_value_array_get_size (row), 2);
    fail_unless_equals_float (g_value_get_double (gst_value_array_get_value
            (row, 0)), 2 * u + 1);
    fail_unless_equals_float (g_value_get_double (gst_value_array_get_value
            (row, 1)), 2 * u + 2);
  }
  g_value_unset (&v);
  gst_object_unref (train);
}

GST_END_TEST;

GST_START_TEST (test_invalid_config_fails_start)
{
  GstBus *bus = gst_bus_new ();
  /* Forgetting needs mini-batch with steps-per-sync=1. */
  GstElement *train = new_train (bus, "decay-factor", 0.5,
      "mini-batch", FALSE, NULL);

  fail_unless (start_fails (train));
  assert_error_contains (bus, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "Invalid k-means settings");
  gst_object_unref (train);
  drop_bus (bus);
}

GST_END_TEST;

static Suite *
kmeanstrain_suite (void)
{
  Suite *s = suite_create ("kmeanstrain");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_caps_accepted);
  tcase_add_test (tc, test_caps_rank3_refused);
  tcase_add_test (tc, test_dimension_change_refused);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_given_centers_exact);
  tcase_add_test (tc, test_random_init_consumes_first_buffer);
  tcase_add_test (tc, test_random_init_across_buffers);
  tcase_add_test (tc, test_init_file);
  tcase_add_test (tc, test_kmeans_plus_plus_batch_too_small);
  tcase_add_test (tc, test_kmeans_plus_plus);
  tcase_add_test (tc, test_batch_size_accumulation);
  tcase_add_test (tc, test_model_event_before_next_buffer);
  tcase_add_test (tc, test_progress_messages);
  tcase_add_test (tc, test_convergence_stops_updates);
  tcase_add_test (tc, test_nan_error);
  tcase_add_test (tc, test_nan_skip);
  tcase_add_test (tc, test_partial_row_error);
  tcase_add_test (tc, test_partial_row_skip);
  tcase_add_test (tc, test_default_skips_and_counts);
  tcase_add_test (tc, test_checkpoint_resume_matches_uninterrupted);
  tcase_add_test (tc, test_checkpoint_interval_and_eos);
  tcase_add_test (tc, test_checkpoint_interval_time);
  tcase_add_test (tc, test_checkpoint_write_failure);
  tcase_add_test (tc, test_corrupt_checkpoint);
  tcase_add_test (tc, test_mismatched_checkpoint);
  tcase_add_test (tc, test_checkpoint_dimensions_must_match_caps);
  tcase_add_test (tc, test_cosine);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_init_size_gathers);
  tcase_add_test (tc, test_default_init_sample);
  tcase_add_test (tc, test_short_stream_released_at_eos);
  tcase_add_test (tc, test_reassignment_moves_far_center);
  tcase_add_test (tc, test_invalid_config_fails_start);
  return s;
}

GST_CHECK_MAIN (kmeanstrain);

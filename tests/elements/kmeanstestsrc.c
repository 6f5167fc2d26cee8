/* gst-kmeans: tests of kmeans-testsrc.
 *
 * Every run is bounded by num-buffers, so the source never fills the
 * harness queue without end; values come from a seeded generator, so the
 * statistical checks are deterministic.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>

#include "kmgauss.h"

/* SHA-256 of the F32LE stream of seed 42, 3 clusters, 4 dimensions, three
 * buffers of 64 points (test_stream_is_exactly_specified). */
#define GOLDEN_SHA256 \
    "1d5fb432160cafaba525cf76b4e58b69c802f9fdc2d06561f8e9344ad21b02c9"

/* A harness around a configured, not yet started kmeans-testsrc. */
static GstHarness *
testsrc_new (const gchar * first_property, ...)
{
  GstHarness *h = gst_harness_new ("kmeans-testsrc");
  va_list args;

  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (h->element), first_property, args);
  va_end (args);
  return h;
}

/* Pulls buffers until EOS; returns them in order (caller frees). */
static GPtrArray *
pull_all (GstHarness * h)
{
  GPtrArray *buffers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstBuffer *buf = NULL;

  while (gst_harness_pull_until_eos (h, &buf) && buf != NULL)
    g_ptr_array_add (buffers, buf);
  fail_unless (buf == NULL, "timed out waiting for EOS");
  return buffers;
}

/* Runs a source with these properties to EOS; returns all buffers and
 * (optionally) the true centers at the end. */
static GPtrArray *
run_to_eos (GstHarness * h, gdouble ** centers, guint * k, guint * d)
{
  GPtrArray *buffers;

  gst_harness_play (h);
  buffers = pull_all (h);
  if (centers) {
    GValue v = G_VALUE_INIT;
    guint i, j, rows, cols = 0;

    g_object_get_property (G_OBJECT (h->element), "true-centers",
        g_value_init (&v, GST_TYPE_ARRAY));
    rows = gst_value_array_get_size (&v);
    if (rows > 0)
      cols = gst_value_array_get_size (gst_value_array_get_value (&v, 0));
    *centers = g_new0 (gdouble, (gsize) rows * cols);
    for (i = 0; i < rows; i++) {
      const GValue *row = gst_value_array_get_value (&v, i);

      fail_unless_equals_int (gst_value_array_get_size (row), cols);
      for (j = 0; j < cols; j++)
        (*centers)[i * cols + j] =
            g_value_get_double (gst_value_array_get_value (row, j));
    }
    *k = rows;
    *d = cols;
    g_value_unset (&v);
  }
  return buffers;
}

static void
concat_buffers (GPtrArray * buffers, GByteArray * out)
{
  guint i;

  for (i = 0; i < buffers->len; i++) {
    GstMapInfo map;

    fail_unless (gst_buffer_map (g_ptr_array_index (buffers, i), &map,
            GST_MAP_READ));
    g_byte_array_append (out, map.data, map.size);
    gst_buffer_unmap (g_ptr_array_index (buffers, i), &map);
  }
}

static GByteArray *
stream_bytes (guint64 seed, const gchar * sink_caps, guint num_buffers)
{
  GstHarness *h = testsrc_new ("seed", seed, "clusters", 3, "dimensions", 4,
      "points-per-buffer", 64, "num-buffers", num_buffers, NULL);
  GByteArray *bytes = g_byte_array_new ();
  GPtrArray *buffers;

  if (sink_caps)
    gst_harness_set_sink_caps_str (h, sink_caps);
  buffers = run_to_eos (h, NULL, NULL, NULL);
  fail_unless_equals_int (buffers->len, num_buffers);
  concat_buffers (buffers, bytes);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
  return bytes;
}

/* The stream of a source with @props after gst_parse_launch's syntax, run
 * by gst-launch-1.0 in a child process with @isa as KMEANS_ISA (NULL:
 * unset), as the bytes of its file. */
static GBytes *
launch_stream_bytes (const gchar * props, const gchar * isa)
{
  gchar *dir = g_dir_make_tmp ("kmeanstestsrc-XXXXXX", NULL);
  gchar *file = g_build_filename (dir, "points.bin", NULL);
  gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  gchar *cmd, *contents = NULL, *err = NULL;
  gchar **argv = NULL, **envp = g_get_environ ();
  gsize len = 0;
  gint status = -1;

  fail_unless (dir != NULL && launch != NULL, "no gst-launch-1.0");
  cmd = g_strdup_printf ("%s -q kmeans-testsrc %s ! filesink location=%s",
      launch, props, file);
  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  envp = isa ? g_environ_setenv (envp, "KMEANS_ISA", isa, TRUE) :
      g_environ_unsetenv (envp, "KMEANS_ISA");
  envp = g_environ_unsetenv (envp, "GST_TRACERS");
  fail_unless (g_spawn_sync (NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
          NULL, &err, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s: %s", cmd, err);
  fail_unless (g_file_get_contents (file, &contents, &len, NULL));

  g_unlink (file);
  g_rmdir (dir);
  g_free (err);
  g_free (cmd);
  g_strfreev (argv);
  g_strfreev (envp);
  g_free (launch);
  g_free (file);
  g_free (dir);
  return g_bytes_new_take (contents, len);
}

GST_START_TEST (test_true_centers_empty_before_start)
{
  GstElement *src = gst_element_factory_make ("kmeans-testsrc", NULL);
  GValue v = G_VALUE_INIT;

  fail_unless (src != NULL);
  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (src), "true-centers", &v);
  fail_unless_equals_int (gst_value_array_get_size (&v), 0);
  g_value_unset (&v);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_caps_default_f32)
{
  GstHarness *h = testsrc_new ("num-buffers", 1, NULL);
  GstCaps *caps, *expected;
  GPtrArray *buffers;

  buffers = run_to_eos (h, NULL, NULL, NULL);
  fail_unless_equals_int (buffers->len, 1);

  caps = gst_pad_get_current_caps (h->sinkpad);
  expected = gst_caps_from_string ("application/x-points, "
      "format=(string)F32LE, dimensions=(int)2");
  fail_unless (gst_caps_is_equal (caps, expected), "caps %" GST_PTR_FORMAT,
      caps);
  /* Default: 1024 points of 2 float32 values. */
  fail_unless_equals_int (gst_buffer_get_size (g_ptr_array_index (buffers,
              0)), 1024 * 2 * 4);

  gst_caps_unref (expected);
  gst_caps_unref (caps);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_caps_follow_dimensions_and_f64)
{
  GstHarness *h = testsrc_new ("dimensions", 5, "points-per-buffer", 100,
      "num-buffers", 2, NULL);
  GstCaps *caps, *expected;
  GPtrArray *buffers;
  guint i;

  gst_harness_set_sink_caps_str (h, "application/x-points, format=F64LE");
  buffers = run_to_eos (h, NULL, NULL, NULL);
  fail_unless_equals_int (buffers->len, 2);

  caps = gst_pad_get_current_caps (h->sinkpad);
  expected = gst_caps_from_string ("application/x-points, "
      "format=(string)F64LE, dimensions=(int)5");
  fail_unless (gst_caps_is_equal (caps, expected), "caps %" GST_PTR_FORMAT,
      caps);
  for (i = 0; i < buffers->len; i++)
    fail_unless_equals_int (gst_buffer_get_size (g_ptr_array_index (buffers,
                i)), 100 * 5 * 8);

  gst_caps_unref (expected);
  gst_caps_unref (caps);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_other_dimensions_not_negotiated)
{
  GstHarness *h = testsrc_new ("dimensions", 2, "num-buffers", 1, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_sink_caps_str (h, "application/x-points, dimensions=3");
  gst_harness_play (h);

  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error although no caps can be agreed");
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);

  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_buffer_sizes_and_offsets)
{
  GstHarness *h = testsrc_new ("dimensions", 3, "points-per-buffer", 100,
      "num-buffers", 3, NULL);
  GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);
  guint i;

  fail_unless_equals_int (buffers->len, 3);
  for (i = 0; i < buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (buffers, i);

    fail_unless_equals_int (gst_buffer_get_size (buf), 100 * 3 * 4);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 100 * i);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), 100 * (i + 1));
  }

  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_same_seed_same_stream)
{
  GByteArray *a = stream_bytes (42, NULL, 3);
  GByteArray *b = stream_bytes (42, NULL, 3);
  GByteArray *c = stream_bytes (43, NULL, 3);

  fail_unless_equals_int (a->len, 3 * 64 * 4 * 4);
  fail_unless_equals_int (b->len, a->len);
  fail_unless (memcmp (a->data, b->data, a->len) == 0,
      "same seed gave different streams");
  fail_unless_equals_int (c->len, a->len);
  fail_if (memcmp (a->data, c->data, a->len) == 0,
      "another seed gave the same stream");

  g_byte_array_unref (a);
  g_byte_array_unref (b);
  g_byte_array_unref (c);
}

GST_END_TEST;

/* The exact bytes of one stream: a stream that changes on another machine
 * or compiler, or by a change of the generator, fails here.  This stream
 * is the one of gst-kmeans 0.2 (core/kmgauss.h); it changed once, from the
 * libm-based generator of 0.1. */
GST_START_TEST (test_stream_is_exactly_specified)
{
  GByteArray *a = stream_bytes (42, NULL, 3);
  gchar *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, a->data,
      a->len);
  const gfloat *x = (const gfloat *) a->data;

  GST_INFO ("first values %.9g %.9g %.9g %.9g", x[0], x[1], x[2], x[3]);
  fail_unless_equals_string (sum, GOLDEN_SHA256);

  g_free (sum);
  g_byte_array_unref (a);
}

GST_END_TEST;

/* The portable C and every SIMD level of this CPU give the same bits, in
 * process (each level called directly) and through the element in a
 * child process with KMEANS_ISA=generic. */
GST_START_TEST (test_portable_path_same_bytes)
{
  const gchar *props = "seed=77 clusters=64 dimensions=16 "
      "points-per-buffer=1000 num-buffers=5 drift=3";
  GBytes *native = launch_stream_bytes (props, NULL);
  GBytes *generic = launch_stream_bytes (props, "generic");
  GstHarness *h = testsrc_new ("seed", (guint64) 77, "clusters", 64,
      "dimensions", 16, "points-per-buffer", 1000, "num-buffers", 5,
      "drift", 3.0, NULL);
  GByteArray *here = g_byte_array_new ();
  GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);
  gfloat portable[KM_GAUSS_BLOCK], simd[KM_GAUSS_BLOCK];
  guint level, levels = 0, i;

  concat_buffers (buffers, here);
  fail_unless_equals_int (g_bytes_get_size (native), 5 * 1000 * 16 * 4);
  fail_unless (g_bytes_equal (native, generic),
      "KMEANS_ISA=generic changed the stream");
  fail_unless (g_bytes_get_size (native) == here->len
      && memcmp (g_bytes_get_data (native, NULL), here->data,
          here->len) == 0, "gst-launch and the harness differ");

  for (level = 0; level <= 2; level++) {
    for (i = 0; i < 200; i++) {
      guint64 key = km_gauss_key (i, KM_GAUSS_STREAM_NOISE);
      guint64 block = (guint64) i * G_GUINT64_CONSTANT (0x1234567890b);

      fail_unless (km_gauss_block_at_level (key, block, portable, 0));
      if (!km_gauss_block_at_level (key, block, simd, level))
        break;
      fail_unless (memcmp (portable, simd, sizeof portable) == 0,
          "level %u, block %u differs", level, i);
    }
    levels += i == 200;
  }
  GST_INFO ("%u SIMD levels compared", levels);
  fail_unless (levels >= 1);

  g_byte_array_unref (here);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
  g_bytes_unref (native);
  g_bytes_unref (generic);
}

GST_END_TEST;

/* Values depend on the point index only: the same points in other
 * buffers are the same bytes (with drift too). */
GST_START_TEST (test_stream_independent_of_buffer_size)
{
  GByteArray *bytes[2];
  const guint per_buffer[2] = { 60, 7 }, num_buffers[2] = { 7, 60 };
  guint r;

  for (r = 0; r < 2; r++) {
    GstHarness *h = testsrc_new ("seed", (guint64) 8, "clusters", 3,
        "dimensions", 5, "drift", 2.5, "points-per-buffer", per_buffer[r],
        "num-buffers", num_buffers[r], NULL);
    GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);

    bytes[r] = g_byte_array_new ();
    concat_buffers (buffers, bytes[r]);
    g_ptr_array_unref (buffers);
    gst_harness_teardown (h);
  }
  fail_unless_equals_int (bytes[0]->len, 420 * 5 * 4);
  fail_unless_equals_int (bytes[1]->len, bytes[0]->len);
  fail_unless (memcmp (bytes[0]->data, bytes[1]->data, bytes[0]->len) == 0);
  g_byte_array_unref (bytes[0]);
  g_byte_array_unref (bytes[1]);
}

GST_END_TEST;

GST_START_TEST (test_same_seed_same_true_centers)
{
  gdouble *a, *b, *c;
  guint ka, da, kb, db, kc, dc, i;
  GstHarness *h;
  GPtrArray *buffers;

  h = testsrc_new ("seed", (guint64) 9, "clusters", 6, "dimensions", 3,
      "num-buffers", 1, NULL);
  buffers = run_to_eos (h, &a, &ka, &da);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);

  h = testsrc_new ("seed", (guint64) 9, "clusters", 6, "dimensions", 3,
      "num-buffers", 1, NULL);
  buffers = run_to_eos (h, &b, &kb, &db);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);

  h = testsrc_new ("seed", (guint64) 10, "clusters", 6, "dimensions", 3,
      "num-buffers", 1, NULL);
  buffers = run_to_eos (h, &c, &kc, &dc);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);

  fail_unless_equals_int (ka, 6);
  fail_unless_equals_int (da, 3);
  fail_unless (kb == ka && db == da && kc == ka && dc == da);
  fail_unless (memcmp (a, b, sizeof (gdouble) * ka * da) == 0);
  fail_if (memcmp (a, c, sizeof (gdouble) * ka * da) == 0);
  /* Drawn inside the default center-range of 10. */
  for (i = 0; i < ka * da; i++)
    fail_unless (fabs (a[i]) <= 10.0, "center value %g out of range", a[i]);

  g_free (a);
  g_free (b);
  g_free (c);
}

GST_END_TEST;

GST_START_TEST (test_f64_is_f32_in_double_precision)
{
  GByteArray *f32 = stream_bytes (5, NULL, 2);
  GByteArray *f64 = stream_bytes (5, "application/x-points, format=F64LE", 2);
  const gfloat *a = (const gfloat *) f32->data;
  const gdouble *b = (const gdouble *) f64->data;
  guint i, n = f32->len / 4;

  fail_unless_equals_int (f64->len, 2 * f32->len);
  for (i = 0; i < n; i++)
    fail_unless (a[i] == (gfloat) b[i], "value %u: %g vs %g", i, a[i], b[i]);
  /* Really double precision, not widened floats. */
  for (i = 0; i < n; i++)
    if (b[i] != (gdouble) (gfloat) b[i])
      break;
  fail_unless (i < n, "F64 output holds only float values");

  g_byte_array_unref (f32);
  g_byte_array_unref (f64);
}

GST_END_TEST;

GST_START_TEST (test_timestamps_integral_rate)
{
  GstHarness *h = testsrc_new ("points-per-buffer", 250,
      "points-per-second", 1000.0, "num-buffers", 4, NULL);
  GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);
  guint i;

  fail_unless_equals_int (buffers->len, 4);
  for (i = 0; i < buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (buffers, i);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * 250 * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), 250 * GST_MSECOND);
  }

  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_timestamps_fractional_rate)
{
  /* 3 points per buffer at 7 points/s: buffer i starts at 3i/7 s. */
  static const GstClockTime expected[] = { 0, 428571429, 857142857,
    1285714286, 1714285714
  };
  GstHarness *h = testsrc_new ("points-per-buffer", 3,
      "points-per-second", 7.0, "num-buffers", 4, NULL);
  GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);
  guint i;

  fail_unless_equals_int (buffers->len, 4);
  for (i = 0; i < buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (buffers, i);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), expected[i]);
    /* Contiguous: each buffer ends where the next starts. */
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf) +
        GST_BUFFER_DURATION (buf), expected[i + 1]);
  }

  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_single_blob_statistics)
{
  const guint d = 3, n_buffers = 20, per_buffer = 1000;
  GstHarness *h = testsrc_new ("clusters", 1, "dimensions", d,
      "spread", 2.0, "points-per-buffer", per_buffer,
      "num-buffers", n_buffers, "seed", (guint64) 3, NULL);
  gdouble *center, sum[3] = { 0 }, sum2[3] = { 0 };
  guint k, cd, i, j, p, n = n_buffers * per_buffer;
  GPtrArray *buffers = run_to_eos (h, &center, &k, &cd);

  fail_unless_equals_int (k, 1);
  fail_unless_equals_int (cd, d);
  fail_unless_equals_int (buffers->len, n_buffers);
  for (i = 0; i < buffers->len; i++) {
    GstMapInfo map;
    const gfloat *x;

    gst_buffer_map (g_ptr_array_index (buffers, i), &map, GST_MAP_READ);
    x = (const gfloat *) map.data;
    for (p = 0; p < per_buffer; p++)
      for (j = 0; j < d; j++) {
        sum[j] += x[p * d + j];
        sum2[j] += x[p * d + j] * (gdouble) x[p * d + j];
      }
    gst_buffer_unmap (g_ptr_array_index (buffers, i), &map);
  }

  for (j = 0; j < d; j++) {
    gdouble mean = sum[j] / n;
    gdouble var = sum2[j] / n - mean * mean;

    /* Standard error of the mean is 2/sqrt(20000) = 0.014; of the
     * variance about 4 * sqrt(2/20000) = 0.04.  Seeded, so these bounds
     * (7 standard errors) either always hold or never. */
    fail_unless (fabs (mean - center[j]) < 0.1,
        "axis %u: sample mean %g, true center %g", j, mean, center[j]);
    fail_unless (fabs (var - 4.0) < 0.3, "axis %u: sample variance %g", j, var);
  }

  g_free (center);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_zero_spread_points_are_true_centers)
{
  const guint k = 3, d = 2, n = 300;
  GstHarness *h = testsrc_new ("clusters", k, "dimensions", d,
      "spread", 0.0, "center-range", 5.0, "points-per-buffer", n,
      "num-buffers", 1, "seed", (guint64) 11, NULL);
  gdouble *centers;
  guint ck, cd, p, c, counts[3] = { 0 };
  GPtrArray *buffers = run_to_eos (h, &centers, &ck, &cd);
  GstMapInfo map;
  const gfloat *x;

  fail_unless_equals_int (ck, k);
  fail_unless_equals_int (cd, d);
  for (c = 0; c < k * d; c++)
    fail_unless (fabs (centers[c]) <= 5.0);

  gst_buffer_map (g_ptr_array_index (buffers, 0), &map, GST_MAP_READ);
  x = (const gfloat *) map.data;
  for (p = 0; p < n; p++) {
    for (c = 0; c < k; c++)
      if (x[p * d] == (gfloat) centers[c * d]
          && x[p * d + 1] == (gfloat) centers[c * d + 1])
        break;
    fail_unless (c < k, "point %u (%g, %g) is no true center", p, x[p * d],
        x[p * d + 1]);
    counts[c]++;
  }
  gst_buffer_unmap (g_ptr_array_index (buffers, 0), &map);

  /* Clusters are picked uniformly: about 100 each (sd 8). */
  for (c = 0; c < k; c++)
    fail_unless (counts[c] > 50 && counts[c] < 150, "cluster %u: %u points",
        c, counts[c]);

  g_free (centers);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Index of the true center nearest to @x. */
static guint
nearest_center (const gdouble * x, const gdouble * centers, guint k, guint d)
{
  guint c, j, best = 0;
  gdouble best_dist = G_MAXDOUBLE;

  for (c = 0; c < k; c++) {
    gdouble dist = 0.0;

    for (j = 0; j < d; j++)
      dist += (x[j] - centers[c * d + j]) * (x[j] - centers[c * d + j]);
    if (dist < best_dist) {
      best_dist = dist;
      best = c;
    }
  }
  return best;
}

/* Per cluster and axis: count, mean and variance, and the share of
 * standardised values beyond 1, 2 and 3, each within 5 standard errors
 * of its expectation under the documented model.  Centers 1000 apart on
 * average and spread 1.5: the nearest center is the true one. */
GST_START_TEST (test_cluster_statistics)
{
  enum
  { K = 5, D = 4, PER_BUFFER = 5000, BUFFERS = 40 };
  const gdouble spread = 1.5, n = PER_BUFFER * BUFFERS;
  const gdouble tail[3] = { 0.31731050786291415, 0.04550026389635842,
    0.0026997960632601866
  };
  GstHarness *h = testsrc_new ("clusters", K, "dimensions", D,
      "spread", spread, "center-range", 1000.0, "points-per-buffer",
      PER_BUFFER, "num-buffers", BUFFERS, "seed", (guint64) 1234, NULL);
  gdouble *centers, sum[K][D] = { {0} }, sum2[K][D] = { {0} };
  gdouble count[K] = { 0 }, beyond[3] = { 0 };
  guint ck, cd, b, p, c, j, t;
  GPtrArray *buffers;

  gst_harness_set_sink_caps_str (h, "application/x-points, format=F64LE");
  buffers = run_to_eos (h, &centers, &ck, &cd);
  fail_unless_equals_int (ck, K);
  fail_unless_equals_int (cd, D);
  for (b = 0; b < buffers->len; b++) {
    GstMapInfo map;
    const gdouble *x;

    gst_buffer_map (g_ptr_array_index (buffers, b), &map, GST_MAP_READ);
    x = (const gdouble *) map.data;
    for (p = 0; p < PER_BUFFER; p++, x += D) {
      c = nearest_center (x, centers, K, D);
      count[c]++;
      for (j = 0; j < D; j++) {
        gdouble z = (x[j] - centers[c * D + j]) / spread;

        sum[c][j] += z;
        sum2[c][j] += z * z;
        for (t = 0; t < 3; t++)
          beyond[t] += fabs (z) > t + 1;
      }
    }
    gst_buffer_unmap (g_ptr_array_index (buffers, b), &map);
  }

  for (c = 0; c < K; c++) {
    gdouble expect = n / K, sd = sqrt (n * (1.0 / K) * (1.0 - 1.0 / K));

    fail_unless (fabs (count[c] - expect) < 5 * sd, "cluster %u: %g points",
        c, count[c]);
    for (j = 0; j < D; j++) {
      gdouble mean = sum[c][j] / count[c];
      gdouble var = (sum2[c][j] - count[c] * mean * mean) / (count[c] - 1);

      /* Standard errors of a N(0, 1) sample's mean and variance. */
      fail_unless (fabs (mean) < 5 / sqrt (count[c]),
          "cluster %u axis %u: mean %g spreads", c, j, mean);
      fail_unless (fabs (var - 1.0) < 5 * sqrt (2.0 / (count[c] - 1)),
          "cluster %u axis %u: variance %g spread^2", c, j, var);
    }
  }
  /* Gaussian tails: binomial shares of all n * D values. */
  for (t = 0; t < 3; t++) {
    gdouble share = beyond[t] / (n * D);

    fail_unless (fabs (share - tail[t]) < 5 * sqrt (tail[t] * (1 - tail[t])
            / (n * D)), "|z| > %u: %g, expected %g", t + 1, share, tail[t]);
  }

  g_free (centers);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gdouble *
centers_after (guint num_buffers, gdouble drift)
{
  GstHarness *h = testsrc_new ("clusters", 2, "dimensions", 3,
      "points-per-buffer", 500, "drift", drift, "num-buffers", num_buffers,
      "seed", (guint64) 21, NULL);
  gdouble *centers;
  guint k, d;
  GPtrArray *buffers = run_to_eos (h, &centers, &k, &d);

  fail_unless_equals_int (k, 2);
  fail_unless_equals_int (d, 3);
  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
  return centers;
}

GST_START_TEST (test_drift_moves_true_centers)
{
  gdouble *still = centers_after (2, 0.0);
  gdouble *start = centers_after (4, 0.0);
  gdouble *at1000 = centers_after (2, 10.0);
  gdouble *at2000 = centers_after (4, 10.0);
  guint c, j;

  /* Without drift the centers stay put. */
  for (j = 0; j < 6; j++)
    fail_unless (still[j] == start[j]);

  for (c = 0; c < 2; c++) {
    gdouble dist = 0.0;

    for (j = 0; j < 3; j++) {
      gdouble step = at1000[c * 3 + j] - start[c * 3 + j];

      dist += step * step;
      /* Straight line at constant speed: twice the way in twice the
       * points (float precision of the property). */
      fail_unless (fabs ((at2000[c * 3 + j] - start[c * 3 + j]) - 2 * step)
          < 1e-4, "center %u axis %u", c, j);
    }
    /* 10 units per 1000 points, 1000 points. */
    fail_unless (fabs (sqrt (dist) - 10.0) < 1e-4, "center %u moved %g", c,
        sqrt (dist));
  }

  g_free (still);
  g_free (start);
  g_free (at1000);
  g_free (at2000);
}

GST_END_TEST;

GST_START_TEST (test_drift_moves_the_points)
{
  /* spread 0, one cluster: the stream is the center's path. */
  GstHarness *h = testsrc_new ("clusters", 1, "dimensions", 2,
      "spread", 0.0, "drift", 1000.0, "points-per-buffer", 4,
      "num-buffers", 1, NULL);
  GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);
  GstMapInfo map;
  const gfloat *x;
  guint p;

  gst_buffer_map (g_ptr_array_index (buffers, 0), &map, GST_MAP_READ);
  x = (const gfloat *) map.data;
  /* 1000 units per 1000 points: consecutive points are 1 apart. */
  for (p = 1; p < 4; p++)
    fail_unless (fabs (hypot (x[2 * p] - x[2 * p - 2],
                x[2 * p + 1] - x[2 * p - 1]) - 1.0) < 1e-5, "point %u", p);
  gst_buffer_unmap (g_ptr_array_index (buffers, 0), &map);

  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_drift_change_is_continuous)
{
  /* Live on the test clock, so the source is held between buffers: while
   * it waits to push buffer 0, buffer 1 is not made yet. */
  GstHarness *h = testsrc_new ("is-live", TRUE, "clusters", 1,
      "dimensions", 2, "spread", 0.0, "drift", 1000.0,
      "points-per-buffer", 4, "num-buffers", 2, NULL);
  GstBuffer *buf0, *buf1;
  GstMapInfo map0, map1;
  gfloat x[16];
  guint p;

  gst_harness_use_testclock (h);
  gst_harness_play (h);
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, 60));
  g_object_set (h->element, "drift", 2000.0, NULL);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  fail_unless (gst_harness_crank_single_clock_wait (h));
  buf0 = gst_harness_pull (h);
  buf1 = gst_harness_pull (h);

  gst_buffer_map (buf0, &map0, GST_MAP_READ);
  gst_buffer_map (buf1, &map1, GST_MAP_READ);
  memcpy (x, map0.data, 8 * sizeof (gfloat));
  memcpy (x + 8, map1.data, 8 * sizeof (gfloat));
  gst_buffer_unmap (buf0, &map0);
  gst_buffer_unmap (buf1, &map1);

  /* 1 unit per point up to point 4, where the new speed (2) starts from
   * where the center was: no jump. */
  for (p = 1; p < 8; p++) {
    gdouble step = hypot (x[2 * p] - x[2 * p - 2], x[2 * p + 1] - x[2 * p - 1]);

    fail_unless (fabs (step - (p <= 4 ? 1.0 : 2.0)) < 1e-4,
        "point %u moved %g", p, step);
  }

  gst_buffer_unref (buf0);
  gst_buffer_unref (buf1);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_num_buffers_then_eos)
{
  GstHarness *h = testsrc_new ("num-buffers", 5, "points-per-buffer", 10,
      NULL);
  GPtrArray *buffers = run_to_eos (h, NULL, NULL, NULL);
  GstEvent *event;
  gboolean saw_eos = FALSE;

  fail_unless_equals_int (buffers->len, 5);
  /* The harness flags EOS just before it queues the event: block for it. */
  while (!saw_eos && (event = gst_harness_pull_event (h))) {
    saw_eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_event_unref (event);
  }
  fail_unless (saw_eos);
  fail_unless (gst_harness_try_pull (h) == NULL, "a buffer after EOS");

  g_ptr_array_unref (buffers);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_live_waits_for_each_timestamp)
{
  GstHarness *h = testsrc_new ("is-live", TRUE, "points-per-buffer", 100,
      "points-per-second", 1000.0, "num-buffers", 3, NULL);
  GstTestClock *clock;
  gboolean live;
  guint i;

  g_object_get (h->element, "is-live", &live, NULL);
  fail_unless (live);

  gst_harness_use_testclock (h);
  clock = gst_harness_get_testclock (h);
  gst_harness_play (h);

  for (i = 0; i < 3; i++) {
    GstClockID id;
    GstBuffer *buf;

    /* The source blocks on the clock until the buffer's own time. */
    fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, 60));
    fail_unless_equals_int (gst_harness_buffers_received (h), i);
    gst_test_clock_peek_next_pending_id (clock, &id);
    fail_unless_equals_uint64 (gst_clock_id_get_time (id),
        gst_element_get_base_time (h->element) + i * 100 * GST_MSECOND);
    gst_clock_id_unref (id);

    fail_unless (gst_harness_crank_single_clock_wait (h));
    buf = gst_harness_pull (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * 100 * GST_MSECOND);
    gst_buffer_unref (buf);
  }

  gst_object_unref (clock);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Live: no latency and no maximum, so a syncing sink gets its processing
 * deadline (with GstBaseSrc's maximum of 0 it warns "please add queues"). */
GST_START_TEST (test_live_latency_has_no_maximum)
{
  GstHarness *h = testsrc_new ("is-live", TRUE, NULL);
  GstClockTime min = 1, max = 0;
  GstQuery *query = gst_query_new_latency ();
  gboolean live = FALSE;
  GstPad *src = gst_element_get_static_pad (h->element, "src");

  gst_harness_play (h);
  fail_unless (gst_pad_query (src, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 0);
  fail_unless_equals_uint64 (max, GST_CLOCK_TIME_NONE);
  gst_query_unref (query);
  gst_object_unref (src);
  gst_harness_teardown (h);

  /* Not live: GstBaseSrc's own answer. */
  h = testsrc_new (NULL, NULL);
  src = gst_element_get_static_pad (h->element, "src");
  query = gst_query_new_latency ();
  gst_harness_play (h);
  fail_unless (gst_pad_query (src, query));
  gst_query_parse_latency (query, &live, NULL, NULL);
  fail_if (live);
  gst_query_unref (query);
  gst_object_unref (src);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_too_large_buffers_error)
{
  /* 2^20 points of 2^16 float32 values: 256 GiB per buffer. */
  GstHarness *h = testsrc_new ("clusters", 1, "dimensions", 65536,
      "points-per-buffer", 1048576, "num-buffers", 1, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (h->element, bus);
  gst_harness_play (h);

  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &error, &debug);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", error->message);
  fail_unless (strstr (debug, "points-per-buffer") != NULL
      || strstr (debug, "65536") != NULL, "%s", debug);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);

  g_clear_error (&error);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
kmeanstestsrc_suite (void)
{
  Suite *s = suite_create ("kmeans-testsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_true_centers_empty_before_start);
  tcase_add_test (tc, test_caps_default_f32);
  tcase_add_test (tc, test_caps_follow_dimensions_and_f64);
  tcase_add_test (tc, test_other_dimensions_not_negotiated);
  tcase_add_test (tc, test_buffer_sizes_and_offsets);
  tcase_add_test (tc, test_same_seed_same_stream);
  tcase_add_test (tc, test_stream_is_exactly_specified);
  tcase_add_test (tc, test_portable_path_same_bytes);
  tcase_add_test (tc, test_stream_independent_of_buffer_size);
  tcase_add_test (tc, test_same_seed_same_true_centers);
  tcase_add_test (tc, test_f64_is_f32_in_double_precision);
  tcase_add_test (tc, test_timestamps_integral_rate);
  tcase_add_test (tc, test_timestamps_fractional_rate);
  tcase_add_test (tc, test_single_blob_statistics);
  tcase_add_test (tc, test_zero_spread_points_are_true_centers);
  tcase_add_test (tc, test_cluster_statistics);
  tcase_add_test (tc, test_drift_moves_true_centers);
  tcase_add_test (tc, test_drift_moves_the_points);
  tcase_add_test (tc, test_drift_change_is_continuous);
  tcase_add_test (tc, test_num_buffers_then_eos);
  tcase_add_test (tc, test_live_waits_for_each_timestamp);
  tcase_add_test (tc, test_live_latency_has_no_maximum);
  tcase_add_test (tc, test_too_large_buffers_error);
  return s;
}

GST_CHECK_MAIN (kmeanstestsrc);

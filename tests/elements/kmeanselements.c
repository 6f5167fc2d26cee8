/* Tests of the glue the elements share: caps parsing, reading points,
 * the in-band model event and the watched model file. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kmeans-test-helpers.h"

/* --------------------------------------------------- tensor dimensions */

GST_START_TEST (test_tensor_dimensions_accepted)
{
  static const struct
  {
    const gchar *str;
    guint d, n;
  } cases[] = {
    {"3", 3, 1}, {"3:32", 3, 32}, {"4:32:1:1", 4, 32}, {"4:32:1", 4, 32},
    {"4:32:0:0", 4, 32}, {"16:0", 16, 0}, {"65536:2", 65536, 2},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    guint d = 0, n = 0;
    GError *err = NULL;

    fail_unless (gst_kmeans_parse_tensor_dimensions (cases[i].str, &d, &n,
            &err), "%s: %s", cases[i].str, err ? err->message : "");
    fail_unless_equals_int (d, cases[i].d);
    fail_unless_equals_int (n, cases[i].n);
  }
}

GST_END_TEST;

GST_START_TEST (test_tensor_dimensions_refused)
{
  static const gchar *bad[] = {
    "", "0:4", "3:4:2", "3:4:1:5", "a:3", "3:-1", "-3", "3,4", "3:4.3:4",
    "65537:1", "99999999999999999999:1", "3::1", ":", "1:1:1:1:1:1:1:1:1:1:"
        "1:1:1:1:1:1:1",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    guint d = 0, n = 0;
    GError *err = NULL;

    fail_if (gst_kmeans_parse_tensor_dimensions (bad[i], &d, &n, &err),
        "accepted \"%s\"", bad[i]);
    fail_unless (err != NULL && err->message[0] != '\0');
    g_clear_error (&err);
  }
  {
    guint d, n;

    fail_if (gst_kmeans_parse_tensor_dimensions (NULL, &d, &n, NULL));
  }
}

GST_END_TEST;

/* ----------------------------------------------------------- caps */

GST_START_TEST (test_caps_points_and_tensors)
{
  GstKMeansPointsInfo info;
  GError *err = NULL;

  fail_unless (info_from_string ("application/x-points, format=F32LE, "
          "dimensions=3", &info, &err));
  fail_unless_equals_int (info.dimensions, 3);
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_F32);
  fail_if (info.is_tensors);

  fail_unless (info_from_string ("application/x-points, format=F64LE, "
          "dimensions=7", &info, &err));
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_F64);

  /* What NNStreamer's tensor_converter really emits. */
  fail_unless (info_from_string ("other/tensors, format=static, "
          "num_tensors=1, dimensions=(string)4:32, types=float32, framerate=0/1",
          &info, &err));
  fail_unless (info.is_tensors);
  fail_unless_equals_int (info.dimensions, 4);
  fail_unless_equals_int (info.rows_per_buffer, 32);
  fail_unless (info_from_string ("other/tensors, format=static, "
          "num_tensors=1, dimensions=(string)4:32:1:1, types=float64, "
          "framerate=0/1", &info, &err));
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_F64);
}

GST_END_TEST;

GST_START_TEST (test_caps_refused)
{
  static const gchar *bad[] = {
    "application/x-points, format=S16LE, dimensions=3",
    "application/x-points, format=F32LE, dimensions=0",
    "application/x-points, format=F32LE",
    "other/tensors, format=flexible, num_tensors=1",
    "other/tensors, format=static, num_tensors=2, dimensions=3:4.3:4, "
        "types=float32.float32",
    "other/tensors, format=static, num_tensors=1, dimensions=3:4, "
        "types=uint8",
    "other/tensors, format=static, num_tensors=1, dimensions=3:4:5, "
        "types=float32",
    "audio/x-raw, format=F32LE, channels=2",
    /* unquoted D:N is read as a flagset by the caps parser */
    "other/tensors, format=static, num_tensors=1, dimensions=4:32, "
        "types=float32",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstKMeansPointsInfo info;
    GError *err = NULL;

    fail_if (info_from_string (bad[i], &info, &err), "accepted %s", bad[i]);
    fail_unless (err != NULL);
    g_clear_error (&err);
  }
}

GST_END_TEST;

GST_START_TEST (test_template_caps_parse)
{
  GstCaps *caps = gst_caps_from_string (GST_KMEANS_POINTS_SINK_CAPS);
  GstCaps *fixed = gst_kmeans_points_caps_new (5);

  fail_unless (caps != NULL);
  fail_unless_equals_int (gst_caps_get_size (caps), 2);
  fail_unless (gst_caps_can_intersect (caps, fixed));
  gst_caps_unref (fixed);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* --------------------------------------------------------- reading points */

static const GstKMeansPointsInfo f32x2 = { 2, GST_KMEANS_SAMPLE_F32, FALSE, 0 };
static const GstKMeansPointsInfo f64x2 = { 2, GST_KMEANS_SAMPLE_F64, FALSE, 0 };

GST_START_TEST (test_read_f32_zero_copy)
{
  GstKMeansPointsReader r;
  gfloat pts[6] = { 1, 2, 3, 4, 5, 6 };
  GstKMeansReadStatus status;
  gsize n;
  const gfloat *out;

  gst_kmeans_points_reader_init (&r);
  out = gst_kmeans_points_read (&r, &f32x2, (const guint8 *) pts,
      sizeof (pts), &n, &status);
  fail_unless (out == pts, "finite F32 input must be read in place");
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (status, GST_KMEANS_READ_OK);
  fail_unless (r.scratch == NULL, "no scratch for the zero-copy path");
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_read_drops_non_finite_rows)
{
  GstKMeansPointsReader r;
  gfloat pts[8] = { 1, 2, NAN, 4, 5, INFINITY, 7, 8 };
  GstKMeansReadStatus status;
  gsize n;
  const gfloat *out;

  gst_kmeans_points_reader_init (&r);
  out = gst_kmeans_points_read (&r, &f32x2, (const guint8 *) pts,
      sizeof (pts), &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_NON_FINITE);
  fail_unless_equals_int (n, 2);
  fail_unless (out[0] == 1 && out[1] == 2 && out[2] == 7 && out[3] == 8);
  fail_unless_equals_int (r.bad_rows, 2);
  /* The input buffer is never written to. */
  fail_unless (isnan (pts[2]) && isinf (pts[5]) && pts[6] == 7);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_read_partial_row)
{
  GstKMeansPointsReader r;
  gfloat pts[3] = { 1, 2, 3 };
  GstKMeansReadStatus status;
  gsize n = 99;

  gst_kmeans_points_reader_init (&r);
  fail_unless (gst_kmeans_points_read (&r, &f32x2, (const guint8 *) pts,
          sizeof (pts), &n, &status) == NULL);
  fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);
  fail_unless_equals_int (n, 0);
  fail_unless_equals_int (r.bad_buffers, 1);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_read_f64)
{
  GstKMeansPointsReader r;
  gdouble pts[6] = { 0.5, -1.25, 1e300, 0, 3, 4 };
  GstKMeansReadStatus status;
  gsize n;
  const gfloat *out;

  gst_kmeans_points_reader_init (&r);
  out = gst_kmeans_points_read (&r, &f64x2, (const guint8 *) pts,
      sizeof (pts), &n, &status);
  /* 1e300 is finite as a double but not as a float: that row goes. */
  fail_unless_equals_int (status, GST_KMEANS_READ_NON_FINITE);
  fail_unless_equals_int (n, 2);
  fail_unless (out[0] == 0.5f && out[1] == -1.25f && out[2] == 3
      && out[3] == 4);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_read_unaligned_f32)
{
  GstKMeansPointsReader r;
  guint8 raw[4 * 4 + 1];
  gfloat pts[4] = { 1, 2, 3, 4 };
  GstKMeansReadStatus status;
  gsize n;
  const gfloat *out;

  memcpy (raw + 1, pts, sizeof (pts));
  gst_kmeans_points_reader_init (&r);
  out = gst_kmeans_points_read (&r, &f32x2, raw + 1, sizeof (pts), &n, &status);
  fail_unless_equals_int (n, 2);
  fail_unless (out != (const gfloat *) (raw + 1));
  fail_unless (memcmp (out, pts, sizeof (pts)) == 0);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

/* ------------------------------------------------------------ model event */

static KmModel *
make_model (guint64 version)
{
  const gfloat centers[4] = { 0, 0, 10, 10 };
  GError *err = NULL;
  KmModel *m = km_model_new (2, 2, KM_METRIC_SQUARED_EUCLIDEAN, centers,
      version, &err);

  fail_unless (m != NULL, "%s", err ? err->message : "");
  return m;
}

GST_START_TEST (test_model_event_roundtrip)
{
  KmModel *m = make_model (7), *got = NULL;
  GstEvent *ev = gst_kmeans_model_event_new (m);
  const GstStructure *s = gst_event_get_structure (ev);
  guint64 version = 0;
  guint k = 0, d = 0;

  fail_unless (GST_EVENT_IS_STICKY (ev) && GST_EVENT_IS_SERIALIZED (ev));
  fail_unless (GST_EVENT_IS_DOWNSTREAM (ev));
  fail_unless (gst_structure_get (s, "version", G_TYPE_UINT64, &version,
          "clusters", G_TYPE_UINT, &k, "dimensions", G_TYPE_UINT, &d, NULL));
  fail_unless_equals_uint64 (version, 7);
  fail_unless_equals_int (k, 2);
  fail_unless_equals_int (d, 2);
  fail_unless_equals_string (gst_structure_get_string (s, "metric"),
      "squared-euclidean");

  fail_unless (gst_kmeans_model_event_parse (ev, &got));
  fail_unless (got == m, "the event carries the model itself, no copy");
  km_model_unref (got);

  gst_event_unref (ev);
  km_model_unref (m);
}

GST_END_TEST;

GST_START_TEST (test_model_event_ignores_others)
{
  KmModel *got = NULL;
  GstEvent *ev = gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      gst_structure_new_empty ("something-else"));
  GstEvent *eos = gst_event_new_eos ();

  fail_if (gst_kmeans_model_event_parse (ev, &got));
  fail_if (gst_kmeans_model_event_parse (eos, &got));
  gst_event_unref (ev);
  gst_event_unref (eos);
}

GST_END_TEST;

/* What kmzmqsink sends of an event: the structure without the fields that
 * do not serialize (the boxed pointer), re-read by kmzmqsrc. */
static GstEvent *
event_across_processes (GstEvent * event)
{
  GstStructure *s = gst_structure_copy (gst_event_get_structure (event));
  GstStructure *back;
  gchar *str;

  gst_structure_remove_field (s, "model");
  str = gst_structure_serialize (s, GST_SERIALIZE_FLAG_NONE);
  back = gst_structure_from_string (str, NULL);
  fail_unless (back != NULL, "%s", str);
  g_free (str);
  gst_structure_free (s);
  return gst_event_new_custom (GST_EVENT_TYPE (event), back);
}

static KmModel *
make_model_with_counts (void)
{
  const gfloat centers[6] = { 0.25f, -1.5f, 3.0e-7f, 1.0e30f, -0.0f, 7 };
  const gdouble counts[3] = { 1.5, 0, 1e300 };
  GError *err = NULL;
  KmModel *m = km_model_new_full (3, 2, KM_METRIC_COSINE, centers, counts,
      9, 4, &err);

  fail_unless (m != NULL, "%s", err ? err->message : "");
  return m;
}

GST_START_TEST (test_model_event_crosses_processes)
{
  KmModel *m = make_model_with_counts (), *got = NULL;
  GstEvent *ev = gst_kmeans_model_event_new (m);
  GstEvent *remote = event_across_processes (ev);
  const GstStructure *s = gst_event_get_structure (ev);
  guchar *le;
  gsize len;

  /* The data fields are base64 of the little-endian values. */
  le = g_base64_decode (gst_structure_get_string (s, "centers"), &len);
  fail_unless_equals_int (len, 6 * sizeof (gfloat));
  fail_unless (G_BYTE_ORDER != G_LITTLE_ENDIAN
      || memcmp (le, km_model_get_centers (m), len) == 0);
  g_free (le);
  le = g_base64_decode (gst_structure_get_string (s, "counts"), &len);
  fail_unless_equals_int (len, 3 * sizeof (gdouble));
  g_free (le);

  fail_unless (GST_EVENT_IS_STICKY (remote));
  fail_if (gst_structure_has_field (gst_event_get_structure (remote), "model"));
  fail_unless (gst_kmeans_model_event_parse (remote, &got));
  fail_unless (got != NULL && got != m, "rebuilt from the data fields");
  fail_unless_equals_int (km_model_get_k (got), 3);
  fail_unless_equals_int (km_model_get_d (got), 2);
  fail_unless_equals_int (km_model_get_metric (got), KM_METRIC_COSINE);
  fail_unless_equals_uint64 (km_model_get_version (got), 9);
  fail_unless_equals_uint64 (km_model_get_step (got), 4);
  fail_unless (memcmp (km_model_get_centers (got), km_model_get_centers (m),
          6 * sizeof (gfloat)) == 0, "centers bit for bit");
  fail_unless (memcmp (km_model_get_counts (got), km_model_get_counts (m),
          3 * sizeof (gdouble)) == 0, "counts bit for bit");
  km_model_unref (got);

  /* In process the pointer is still the fast path. */
  fail_unless (gst_kmeans_model_event_parse (ev, &got));
  fail_unless (got == m);
  km_model_unref (got);

  gst_event_unref (remote);
  gst_event_unref (ev);
  km_model_unref (m);
}

GST_END_TEST;

GST_START_TEST (test_model_event_without_counts_crosses)
{
  KmModel *m = make_model (3), *got = NULL;
  GstEvent *ev = gst_kmeans_model_event_new (m);
  GstEvent *remote = event_across_processes (ev);

  fail_if (gst_structure_has_field (gst_event_get_structure (ev), "counts"));
  fail_unless (gst_kmeans_model_event_parse (remote, &got));
  fail_unless (km_model_get_counts (got) == NULL);
  fail_unless_equals_uint64 (km_model_get_version (got), 3);
  fail_unless (memcmp (km_model_get_centers (got), km_model_get_centers (m),
          4 * sizeof (gfloat)) == 0);
  km_model_unref (got);
  gst_event_unref (remote);
  gst_event_unref (ev);
  km_model_unref (m);
}

GST_END_TEST;

static gchar *
base64_floats (const gfloat * v, gsize n)
{
  return g_base64_encode ((const guchar *) v, n * sizeof (gfloat));
}

/* The remote event of make_model_with_counts() with @field set to the
 * GType and value that follow (G_TYPE_INVALID alone: removed). */
static GstEvent *
tampered_event (const gchar * field, ...)
{
  KmModel *m = make_model_with_counts ();
  GstEvent *ev = gst_kmeans_model_event_new (m);
  GstEvent *remote = event_across_processes (ev);
  GstStructure *s = gst_event_writable_structure (remote);
  va_list args, peek;

  va_start (args, field);
  va_copy (peek, args);
  if (va_arg (peek, GType) == G_TYPE_INVALID)
    gst_structure_remove_field (s, field);
  else
    gst_structure_set_valist (s, field, args);
  va_end (peek);
  va_end (args);
  gst_event_unref (ev);
  km_model_unref (m);
  return remote;
}

GST_START_TEST (test_model_event_refuses_bad_data)
{
  const gfloat nan_centers[6] = { 0, 1, 2, NAN, 4, 5 };
  const gfloat inf_centers[6] = { 0, 1, 2, INFINITY, 4, 5 };
  const gfloat five[5] = { 0, 1, 2, 3, 4 };
  const gdouble negative[3] = { 1, -1, 1 }, nan_counts[3] = { 1, NAN, 1 };
  gchar *nan_b64 = base64_floats (nan_centers, 6);
  gchar *inf_b64 = base64_floats (inf_centers, 6);
  gchar *five_b64 = base64_floats (five, 5);
  gchar *neg_b64 = g_base64_encode ((const guchar *) negative, 24);
  gchar *nanc_b64 = g_base64_encode ((const guchar *) nan_counts, 24);
  gchar *short_counts = g_base64_encode ((const guchar *) negative, 16);
  GstEvent *bad[] = {
    tampered_event ("centers", G_TYPE_INVALID),
    tampered_event ("centers", G_TYPE_STRING, nan_b64, NULL),
    tampered_event ("centers", G_TYPE_STRING, inf_b64, NULL),
    tampered_event ("centers", G_TYPE_STRING, five_b64, NULL),
    tampered_event ("centers", G_TYPE_STRING, "not base64 at all!", NULL),
    tampered_event ("centers", G_TYPE_STRING, "AAAA=AAA", NULL),
    tampered_event ("centers", G_TYPE_INT, 3, NULL),
    tampered_event ("counts", G_TYPE_STRING, neg_b64, NULL),
    tampered_event ("counts", G_TYPE_STRING, nanc_b64, NULL),
    tampered_event ("counts", G_TYPE_STRING, short_counts, NULL),
    tampered_event ("clusters", G_TYPE_UINT, 0, NULL),
    tampered_event ("clusters", G_TYPE_UINT, 4, NULL),
    tampered_event ("clusters", G_TYPE_UINT, G_MAXUINT, NULL),
    tampered_event ("clusters", G_TYPE_INVALID),
    tampered_event ("dimensions", G_TYPE_UINT, KM_MAX_DIMENSIONS + 1, NULL),
    tampered_event ("dimensions", G_TYPE_STRING, "2", NULL),
    tampered_event ("metric", G_TYPE_STRING, "manhattan", NULL),
    tampered_event ("metric", G_TYPE_INVALID),
    tampered_event ("version", G_TYPE_INVALID),
    tampered_event ("step", G_TYPE_INT, -1, NULL),
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    KmModel *got = NULL;

    fail_if (gst_kmeans_model_event_parse (bad[i], &got), "case %u: %"
        GST_PTR_FORMAT, i, bad[i]);
    fail_unless (got == NULL);
    gst_event_unref (bad[i]);
  }
  g_free (nan_b64);
  g_free (inf_b64);
  g_free (five_b64);
  g_free (neg_b64);
  g_free (nanc_b64);
  g_free (short_counts);
}

GST_END_TEST;

/* ------------------------------------------------------ watched model file */

static void
save_model_file (const gchar * path, const gfloat * centers)
{
  KmConfig cfg;
  KmTrainer *t;
  GError *err = NULL;

  km_config_init (&cfg);
  cfg.k = 2;
  cfg.d = 2;
  cfg.init = KM_INIT_GIVEN;
  t = km_trainer_new (&cfg, &err);
  fail_unless (t != NULL, "%s", err ? err->message : "");
  fail_unless (km_trainer_set_centers (t, centers, 2, 2, &err), "%s",
      err ? err->message : "");
  fail_unless (km_trainer_save (t, path, &err), "%s", err ? err->message : "");
  km_trainer_free (t);
}

GST_START_TEST (test_model_file_reload)
{
  gchar *dir = g_dir_make_tmp ("kmeans-glue-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "model.ckpt", NULL);
  gchar *tmp = g_build_filename (dir, "next.ckpt", NULL);
  const gfloat a[4] = { 0, 0, 1, 1 }, b[4] = { 5, 5, 9, 9 };
  GstKMeansModelFile mf;
  gboolean reloaded;
  GError *err = NULL;

  gst_kmeans_model_file_init (&mf);
  gst_kmeans_model_file_set_location (&mf, path);

  /* Missing file: no model, no error. */
  fail_unless (gst_kmeans_model_file_poll (&mf, 0, &reloaded, &err));
  fail_if (reloaded);
  fail_unless (mf.model == NULL);

  save_model_file (path, a);
  fail_unless (gst_kmeans_model_file_poll (&mf, 0, &reloaded, &err));
  fail_unless (reloaded);
  fail_unless (km_model_get_centers (mf.model)[2] == 1.0f);

  /* Unchanged: no reload. */
  fail_unless (gst_kmeans_model_file_poll (&mf, 0, &reloaded, &err));
  fail_if (reloaded);

  /* Atomically replaced: reloaded. */
  save_model_file (tmp, b);
  fail_unless (g_rename (tmp, path) == 0);
  fail_unless (gst_kmeans_model_file_poll (&mf, 0, &reloaded, &err));
  fail_unless (reloaded);
  fail_unless (km_model_get_centers (mf.model)[0] == 5.0f);

  /* Replaced by garbage: an error once, the old model stays. */
  fail_unless (g_file_set_contents (tmp, "not a checkpoint", -1, NULL));
  fail_unless (g_rename (tmp, path) == 0);
  fail_if (gst_kmeans_model_file_poll (&mf, 0, &reloaded, &err));
  fail_unless (err != NULL);
  g_clear_error (&err);
  fail_unless (km_model_get_centers (mf.model)[0] == 5.0f);
  fail_unless (gst_kmeans_model_file_poll (&mf, 0, &reloaded, &err));
  fail_if (reloaded);

  gst_kmeans_model_file_clear (&mf);
  g_unlink (path);
  g_rmdir (dir);
  g_free (tmp);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* ---------------------------------------------------------- value helpers */

GST_START_TEST (test_value_centers)
{
  const gfloat centers[6] = { 1, 2, 3, 4, 5, 6 };
  GValue v = G_VALUE_INIT;
  const GValue *row;

  gst_value_array_init (&v, 3);
  gst_kmeans_value_set_centers (&v, centers, 3, 2);
  fail_unless_equals_int (gst_value_array_get_size (&v), 3);
  row = gst_value_array_get_value (&v, 2);
  fail_unless_equals_int (gst_value_array_get_size (row), 2);
  fail_unless (g_value_get_double (gst_value_array_get_value (row, 1)) == 6.0);
  g_value_unset (&v);
}

GST_END_TEST;

static Suite *
kmeanselements_suite (void)
{
  Suite *s = suite_create ("kmeanselements");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tensor_dimensions_accepted);
  tcase_add_test (tc, test_tensor_dimensions_refused);
  tcase_add_test (tc, test_caps_points_and_tensors);
  tcase_add_test (tc, test_caps_refused);
  tcase_add_test (tc, test_template_caps_parse);
  tcase_add_test (tc, test_read_f32_zero_copy);
  tcase_add_test (tc, test_read_drops_non_finite_rows);
  tcase_add_test (tc, test_read_partial_row);
  tcase_add_test (tc, test_read_f64);
  tcase_add_test (tc, test_read_unaligned_f32);
  tcase_add_test (tc, test_model_event_roundtrip);
  tcase_add_test (tc, test_model_event_ignores_others);
  tcase_add_test (tc, test_model_event_crosses_processes);
  tcase_add_test (tc, test_model_event_without_counts_crosses);
  tcase_add_test (tc, test_model_event_refuses_bad_data);
  tcase_add_test (tc, test_model_file_reload);
  tcase_add_test (tc, test_value_centers);
  return s;
}

GST_CHECK_MAIN (kmeanselements);

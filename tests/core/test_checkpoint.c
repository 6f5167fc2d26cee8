/* The checkpoint file: round trips, bit-exact resume, damage detection,
 * atomic replacement and failure paths. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmtest.h"

#define HEADER_SIZE 168
#define V1_HEADER_SIZE 144

static KmConfig
config (guint k, guint d, gboolean mini_batch, guint n, KmMetric metric)
{
  KmConfig cfg;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.mini_batch = mini_batch;
  cfg.steps_per_sync = n;
  cfg.metric = metric;
  cfg.init = KM_INIT_KMEANS_PLUS_PLUS;
  cfg.seed = 1234;
  cfg.relative_tolerance = 1e-12;
  return cfg;
}

/* The configurations exercised: every mode, both metrics, forgetting. */
static KmConfig
config_variant (guint v)
{
  KmConfig cfg;

  switch (v) {
    case 0:
      cfg = config (4, 3, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
      break;
    case 1:
      cfg = config (4, 3, TRUE, 3, KM_METRIC_COSINE);
      break;
    case 2:
      cfg = config (4, 3, FALSE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
      break;
    case 3:
      cfg = config (5, 2, TRUE, 1, KM_METRIC_COSINE);
      cfg.decay_factor = 0.7;
      cfg.time_unit = KM_TIME_UNIT_POINTS;
      cfg.init = KM_INIT_RANDOM;
      break;
    case 5:
      /* kmeans++ from 7 points gathered over two batches (§3.6), starved
       * centers reassigned by distance (§2.6). */
      cfg = config (5, 2, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
      cfg.init_size = 7;
      cfg.reassignment_ratio = 0.5;
      cfg.reassignment_sampling = KM_REASSIGN_SAMPLING_DISTANCE;
      break;
    case 6:
      /* Random init without replacement from 6 gathered points, uniform
       * reassignment, forgetting. */
      cfg = config (4, 3, TRUE, 1, KM_METRIC_COSINE);
      cfg.init = KM_INIT_RANDOM;
      cfg.init_size = 6;
      cfg.init_sampling = KM_INIT_SAMPLING_WITHOUT_REPLACEMENT;
      cfg.reassignment_ratio = 0.9;
      cfg.reassignment_sampling = KM_REASSIGN_SAMPLING_UNIFORM;
      cfg.decay_factor = 0.8;
      break;
    default:
      /* Random init from batches of 2: state saved mid-initialisation. */
      cfg = config (5, 2, TRUE, 2, KM_METRIC_SQUARED_EUCLIDEAN);
      cfg.init = KM_INIT_RANDOM;
      break;
  }
  return cfg;
}

#define NUM_VARIANTS 7

static gfloat *
batch (guint64 seed, guint s, gsize n, guint d)
{
  KmRng rng;

  km_rng_seed (&rng, seed * 1000 + s);
  return kmt_gaussian_matrix (&rng, n, d, 3.0);
}

static void
run_steps (KmTrainer * t, guint from, guint to, gsize n)
{
  guint s;

  for (s = from; s < to; s++) {
    /* kmeans++ needs a first batch of at least k points. */
    gsize m = t->cfg.init == KM_INIT_KMEANS_PLUS_PLUS && !t->initialized ?
        MAX (n, t->cfg.k) : n;
    gfloat *x = batch (7, s, m, t->cfg.d);

    kmt_feed (t, x, m);
    g_free (x);
  }
}

static void
assert_same_state (const KmTrainer * a, const KmTrainer * b)
{
  gsize kd = (gsize) a->cfg.k * a->cfg.d, k = a->cfg.k;

  g_assert_cmpmem (&a->rng, sizeof (KmRng), &b->rng, sizeof (KmRng));
  g_assert_cmpint (a->initialized, ==, b->initialized);
  g_assert_cmpuint (a->initialized_rows, ==, b->initialized_rows);
  g_assert_cmpmem (a->master, kd * 4, b->master, kd * 4);
  g_assert_cmpmem (a->counts, k * 8, b->counts, k * 8);
  g_assert_cmpmem (a->master_counts, k * 8, b->master_counts, k * 8);
  g_assert_cmpint (a->working == NULL, ==, b->working == NULL);
  if (a->working != NULL)
    g_assert_cmpmem (a->working, kd * 4, b->working, kd * 4);
  g_assert_cmpint (a->update_in_steps, ==, b->update_in_steps);
  g_assert_cmpuint (a->step, ==, b->step);
  g_assert_cmpuint (a->version, ==, b->version);
  g_assert_cmpuint (a->model_step, ==, b->model_step);
  g_assert_cmpint (a->converged, ==, b->converged);
  g_assert_cmpint (a->have_prev_loss, ==, b->have_prev_loss);
  if (a->have_prev_loss)
    g_assert_cmpfloat (a->prev_loss, ==, b->prev_loss);
  g_assert_cmpuint (a->points, ==, b->points);
  g_assert_cmpuint (a->reassignments, ==, b->reassignments);
  g_assert_cmpuint (a->init_buffered, ==, b->init_buffered);
  if (a->init_buffered > 0)
    g_assert_cmpmem (a->init_buffer, a->init_buffered * a->cfg.d * 4,
        b->init_buffer, b->init_buffered * b->cfg.d * 4);
}

static void
save_ok (KmTrainer * t, const gchar * path)
{
  GError *error = NULL;

  g_assert_true (km_trainer_save (t, path, &error));
  g_assert_no_error (error);
}

static KmTrainer *
load_new (const KmConfig * cfg, const gchar * path)
{
  KmTrainer *t = kmt_trainer_new (cfg);
  GError *error = NULL;

  g_assert_true (km_trainer_load (t, path, &error));
  g_assert_no_error (error);
  return t;
}

/* Only the checkpoint remains in the folder: no temporary files. */
static void
assert_dir_holds_only (const gchar * dir, const gchar * name)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *entry;
  guint count = 0;

  g_assert_nonnull (d);
  while ((entry = g_dir_read_name (d)) != NULL) {
    if (name == NULL || strcmp (entry, name) != 0)
      g_error ("unexpected file %s in %s", entry, dir);
    count++;
  }
  g_dir_close (d);
  g_assert_cmpuint (count, ==, name != NULL);
}

static gchar *
read_file (const gchar * path, gsize * len)
{
  gchar *data = NULL;
  GError *error = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  return data;
}

static void
write_file (const gchar * path, const gchar * data, gsize len)
{
  GError *error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

/* Every field survives a round trip, in every mode, before, during and
 * after initialisation; the file has mode 0600 and the documented size. */
static void
test_round_trip (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "model.ckpt", NULL);
  guint v, stage;

  for (v = 0; v < NUM_VARIANTS; v++) {
    for (stage = 0; stage < 3; stage++) {
      KmConfig cfg = config_variant (v);
      KmTrainer *a = kmt_trainer_new (&cfg), *b;
      struct stat st;
      gsize copies = km_config_has_working_copy (&cfg) ? 2 : 1;

      if (stage == 1)
        run_steps (a, 0, 1, 2);
      else if (stage == 2)
        run_steps (a, 0, 8, 10);
      save_ok (a, path);
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      g_assert_cmpint (st.st_size, ==, HEADER_SIZE + 32 + copies *
          (8 * cfg.k + 4 * cfg.k * cfg.d) + 4 * a->init_buffered * cfg.d);
      assert_dir_holds_only (dir, "model.ckpt");
      b = load_new (&cfg, path);
      assert_same_state (a, b);
      km_trainer_free (a);
      km_trainer_free (b);
    }
  }
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* A resumed run equals the uninterrupted one bit for bit, including
 * N > 1 mid-iteration, partial initialisation and the RNG. */
static void
test_resume_bit_exact (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "resume.ckpt", NULL);
  const guint cuts[] = { 0, 1, 2, 4, 7 };
  guint v, c;

  for (v = 0; v < NUM_VARIANTS; v++) {
    for (c = 0; c < G_N_ELEMENTS (cuts); c++) {
      KmConfig cfg = config_variant (v);
      KmTrainer *a = kmt_trainer_new (&cfg), *b;
      KmModel *ma, *mb;

      cfg.relative_tolerance = 0;
      km_trainer_free (a);
      a = kmt_trainer_new (&cfg);
      run_steps (a, 0, cuts[c], 2);
      save_ok (a, path);
      run_steps (a, cuts[c], 20, 2);
      b = load_new (&cfg, path);
      run_steps (b, cuts[c], 20, 2);
      assert_same_state (a, b);
      ma = km_trainer_get_model (a);
      mb = km_trainer_get_model (b);
      g_assert_cmpuint (km_model_get_version (ma), ==,
          km_model_get_version (mb));
      g_assert_cmpmem (km_model_get_centers (ma), cfg.k * cfg.d * 4,
          km_model_get_centers (mb), cfg.k * cfg.d * 4);
      km_model_unref (ma);
      km_model_unref (mb);
      km_trainer_free (a);
      km_trainer_free (b);
    }
  }
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* The tolerance state is kept: a converged trainer stays converged. */
static void
test_converged_state (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "c.ckpt", NULL);
  KmConfig cfg = config (2, 2, FALSE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *a, *b;
  gfloat *x = batch (3, 0, 50, 2);
  guint steps = 0;

  cfg.relative_tolerance = 1e-3;
  a = kmt_trainer_new (&cfg);
  kmt_feed (a, x, 50);
  while (kmt_feed (a, x, 50) != KM_FEED_CONVERGED)
    g_assert_cmpuint (++steps, <, 100);
  save_ok (a, path);
  b = load_new (&cfg, path);
  g_assert_true (km_trainer_is_converged (b));
  g_assert_cmpint (kmt_feed (b, x, 50), ==, KM_FEED_SKIPPED);
  assert_same_state (a, b);
  g_free (x);
  km_trainer_free (a);
  km_trainer_free (b);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* km_checkpoint_load_model gives the trainer's model. */
static void
test_load_model (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "m.ckpt", NULL);
  guint v;

  for (v = 0; v < NUM_VARIANTS; v++) {
    KmConfig cfg = config_variant (v);
    KmTrainer *t = kmt_trainer_new (&cfg);
    KmModel *a, *b;
    GError *error = NULL;

    save_ok (t, path);
    g_assert_null (km_checkpoint_load_model (path, &error));
    g_assert_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "no model"));
    g_clear_error (&error);

    run_steps (t, 0, 9, 10);
    save_ok (t, path);
    a = km_trainer_get_model (t);
    b = km_checkpoint_load_model (path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (km_model_get_k (b), ==, cfg.k);
    g_assert_cmpuint (km_model_get_d (b), ==, cfg.d);
    g_assert_cmpint (km_model_get_metric (b), ==, cfg.metric);
    g_assert_cmpuint (km_model_get_version (b), ==, km_model_get_version (a));
    g_assert_cmpuint (km_model_get_step (b), ==, km_model_get_step (a));
    g_assert_cmpmem (km_model_get_centers (b), cfg.k * cfg.d * 4,
        km_model_get_centers (a), cfg.k * cfg.d * 4);
    g_assert_cmpmem (km_model_get_counts (b), cfg.k * 8,
        km_model_get_counts (a), cfg.k * 8);
    km_model_unref (a);
    km_model_unref (b);
    km_trainer_free (t);
  }
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* Flipping any byte of a checkpoint is detected; the file is not touched
 * by the failed load and the trainer keeps its state. */
static void
test_corrupt_every_byte (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "x.ckpt", NULL);
  KmConfig cfg = config (2, 2, TRUE, 2, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *a = kmt_trainer_new (&cfg), *b = kmt_trainer_new (&cfg);
  KmTrainer *ref = kmt_trainer_new (&cfg);
  gchar *good, *bad, *after;
  gsize len, len2, i;
  guint bit;

  run_steps (a, 0, 5, 10);
  run_steps (b, 0, 3, 10);
  run_steps (ref, 0, 3, 10);
  save_ok (a, path);
  good = read_file (path, &len);
  for (i = 0; i < len; i++) {
    for (bit = 0; bit < 8; bit += 7) {
      GError *error = NULL;

      bad = g_memdup2 (good, len);
      bad[i] ^= (gchar) (1 << bit);
      write_file (path, bad, len);
      g_assert_false (km_trainer_load (b, path, &error));
      g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
      g_assert_null (km_checkpoint_load_model (path, &error));
      g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
      g_clear_error (&error);
      after = read_file (path, &len2);
      g_assert_cmpmem (after, len2, bad, len);
      g_free (after);
      g_free (bad);
    }
  }
  assert_same_state (b, ref);
  g_free (good);
  km_trainer_free (a);
  km_trainer_free (b);
  km_trainer_free (ref);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* Every truncation (and an appended byte) is detected. */
static void
test_truncated (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "t.ckpt", NULL);
  KmConfig cfg = config (3, 2, TRUE, 1, KM_METRIC_COSINE);
  KmTrainer *a = kmt_trainer_new (&cfg);
  gchar *good, *longer;
  gsize len, i;
  GError *error = NULL;

  run_steps (a, 0, 4, 10);
  save_ok (a, path);
  good = read_file (path, &len);
  for (i = 0; i < len; i++) {
    write_file (path, good, i);
    g_assert_false (km_trainer_load (a, path, &error));
    g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
    g_clear_error (&error);
  }
  longer = g_malloc0 (len + 1);
  memcpy (longer, good, len);
  write_file (path, longer, len + 1);
  g_assert_false (km_trainer_load (a, path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_assert_nonnull (strstr (error->message, "header describes"));
  g_clear_error (&error);
  g_free (longer);
  g_free (good);
  km_trainer_free (a);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

static void
expect_mismatch (const KmConfig * cfg, const gchar * path, const gchar * needle)
{
  KmTrainer *t = kmt_trainer_new (cfg);
  GError *error = NULL;

  g_assert_false (km_trainer_load (t, path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH);
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' not in '%s'", needle, error->message);
  g_clear_error (&error);
  g_assert_false (km_trainer_is_initialized (t));
  km_trainer_free (t);
}

static void
test_mismatch (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "mm.ckpt", NULL);
  KmConfig cfg = config (5, 3, TRUE, 4, KM_METRIC_SQUARED_EUCLIDEAN), other;
  KmTrainer *t = kmt_trainer_new (&cfg);

  run_steps (t, 0, 3, 10);
  save_ok (t, path);
  km_trainer_free (t);

  other = cfg;
  other.k = 4;
  expect_mismatch (&other, path, "has k=5 but num-clusters is 4");
  other = cfg;
  other.d = 2;
  expect_mismatch (&other, path, "has d=3 but dimensions is 2");
  other = cfg;
  other.metric = KM_METRIC_COSINE;
  expect_mismatch (&other, path,
      "has metric squared-euclidean but distance-metric is cosine");
  other = cfg;
  other.mini_batch = FALSE;
  other.steps_per_sync = 1;
  expect_mismatch (&other, path, "mini-batch training but mini-batch is off");
  other = cfg;
  other.steps_per_sync = 1;
  expect_mismatch (&other, path, "has steps-per-sync=4 but steps-per-sync");
  /* Seed, init, tolerance and retries may differ. */
  other = cfg;
  other.seed = 99;
  other.init = KM_INIT_RANDOM;
  other.relative_tolerance = 0.5;
  t = load_new (&other, path);
  km_trainer_free (t);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

static void
test_bad_magic_and_version (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "v.ckpt", NULL);
  KmConfig cfg = config (2, 2, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *t = kmt_trainer_new (&cfg);
  gchar *good;
  gsize len;
  GError *error = NULL;

  save_ok (t, path);
  good = read_file (path, &len);
  g_assert_cmpmem (good, 8, "GKMCKPT\0", 8);
  good[8] = 3;                  /* format version 3 */
  write_file (path, good, len);
  g_assert_false (km_trainer_load (t, path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_assert_nonnull (strstr (error->message, "format version 3"));
  g_clear_error (&error);
  memset (good, 'A', len);
  write_file (path, good, len);
  g_assert_false (km_trainer_load (t, path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_assert_nonnull (strstr (error->message, "bad magic"));
  g_clear_error (&error);
  /* A directory is not a checkpoint. */
  g_assert_false (km_trainer_load (t, dir, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* A missing file is an I/O error naming the path and the reason. */
  g_assert_false (km_trainer_load (t, "/nonexistent/x.ckpt", &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/x.ckpt"));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
  g_clear_error (&error);
  g_free (good);
  km_trainer_free (t);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* A format 1 file (the v2 one without points, reassignments and sample,
 * rehashed) still loads; what it lacks starts at 0. */
static void
test_format_1_loads (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "v1.ckpt", NULL);
  KmConfig cfg = config_variant (0);
  KmTrainer *a = kmt_trainer_new (&cfg), *b;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len, v1_len, digest_len = 32;
  gchar *v2, *v1;
  KmCheckpointInfo info;
  GError *error = NULL;
  guint32 v;

  run_steps (a, 0, 4, 10);
  g_assert_cmpuint (km_trainer_get_points (a), ==, 30);
  save_ok (a, path);
  v2 = read_file (path, &len);
  v1_len = len - (HEADER_SIZE - V1_HEADER_SIZE);
  v1 = g_malloc (v1_len);
  memcpy (v1, v2, V1_HEADER_SIZE);
  memcpy (v1 + V1_HEADER_SIZE, v2 + HEADER_SIZE, len - HEADER_SIZE - 32);
  v = GUINT32_TO_LE (1);
  memcpy (v1 + 8, &v, 4);
  v = GUINT32_TO_LE (V1_HEADER_SIZE);
  memcpy (v1 + 12, &v, 4);
  g_checksum_update (sum, (guint8 *) v1, v1_len - 32);
  g_checksum_get_digest (sum, (guint8 *) v1 + v1_len - 32, &digest_len);
  write_file (path, v1, v1_len);

  g_assert_true (km_checkpoint_read_info (path, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.format_version, ==, 1);
  g_assert_cmpuint (info.size, ==, v1_len);
  g_assert_cmpuint (info.points, ==, 0);
  b = load_new (&cfg, path);
  g_assert_cmpuint (km_trainer_get_points (b), ==, 0);
  b->points = a->points;
  assert_same_state (a, b);

  g_checksum_free (sum);
  g_free (v1);
  g_free (v2);
  km_trainer_free (a);
  km_trainer_free (b);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* Writes a header claiming @k x @d to @path, with @extra bytes after. */
static void
write_claim (const gchar * path, guint32 k, guint32 d, gsize extra)
{
  gchar *buf = g_malloc0 (V1_HEADER_SIZE + extra);
  guint32 v;

  memcpy (buf, "GKMCKPT\0", 8);
  v = GUINT32_TO_LE (1);
  memcpy (buf + 8, &v, 4);
  v = GUINT32_TO_LE (V1_HEADER_SIZE);
  memcpy (buf + 12, &v, 4);
  v = GUINT32_TO_LE (k);
  memcpy (buf + 16, &v, 4);
  v = GUINT32_TO_LE (d);
  memcpy (buf + 20, &v, 4);
  v = GUINT32_TO_LE (1 | 2);    /* mini-batch, initialised */
  memcpy (buf + 32, &v, 4);
  v = GUINT32_TO_LE (1);        /* steps per sync */
  memcpy (buf + 36, &v, 4);
  v = GUINT32_TO_LE (k);        /* rows chosen: all, as initialised says */
  memcpy (buf + 40, &v, 4);
  buf[112] = 1;                 /* a random state that is not all zero */
  write_file (path, buf, V1_HEADER_SIZE + extra);
  g_free (buf);
}

static gsize
current_vm_size (void)
{
  gchar *status = NULL, *line;
  gsize kb = 0;

  g_file_get_contents ("/proc/self/status", &status, NULL, NULL);
  if (status != NULL && (line = strstr (status, "VmSize:")) != NULL)
    kb = g_ascii_strtoull (line + 7, NULL, 10);
  g_free (status);
  return kb * 1024;
}

/* A header claiming a huge model is refused without allocating it: run
 * under an address-space limit well below the claimed 1 GiB, where an
 * allocation attempt would fail differently (I/O error, not CORRUPT). */
static void
test_huge_claim (void)
{
  gchar *dir, *path;
  GError *error = NULL;
  struct rlimit lim;

  if (!g_test_subprocess ()) {
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    return;
  }
  dir = kmt_tmpdir ();
  path = g_build_filename (dir, "huge.ckpt", NULL);
  lim.rlim_cur = lim.rlim_max = current_vm_size () + (256u << 20);
  g_assert_cmpint (setrlimit (RLIMIT_AS, &lim), ==, 0);

  /* Within the limits of kmeans.h but not of the file. */
  write_claim (path, KM_MAX_CLUSTERS, 256, 64);
  g_assert_null (km_checkpoint_load_model (path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_assert_nonnull (strstr (error->message, "header describes"));
  g_clear_error (&error);

  /* Beyond the limits. */
  write_claim (path, G_MAXUINT32, G_MAXUINT32, 64);
  g_assert_null (km_checkpoint_load_model (path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_assert_nonnull (strstr (error->message, "k=4294967295"));
  g_clear_error (&error);
  write_claim (path, 0, 3, 64);
  g_assert_null (km_checkpoint_load_model (path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_clear_error (&error);
  write_claim (path, KM_MAX_CLUSTERS, KM_MAX_DIMENSIONS, 64);
  g_assert_null (km_checkpoint_load_model (path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT);
  g_clear_error (&error);

  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

static void
expect_save_fails (KmTrainer * t, const gchar * path)
{
  GError *error = NULL;

  g_assert_false (km_trainer_save (t, path, &error));
  g_assert_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO);
  if (strstr (error->message, path) == NULL)
    g_error ("'%s' not in '%s'", path, error->message);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
}

/* Saving into a missing or read-only folder fails cleanly. */
static void
test_save_unwritable (void)
{
  KmConfig cfg = config (2, 2, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *t = kmt_trainer_new (&cfg);
  gchar *dir = kmt_tmpdir ();
  gchar *ro = g_build_filename (dir, "ro", NULL);
  gchar *path = g_build_filename (ro, "m.ckpt", NULL);
  gchar *old, *now;
  gsize len, len2;

  run_steps (t, 0, 3, 10);
  expect_save_fails (t, "/nonexistent-dir/m.ckpt");
  g_assert_false (g_file_test ("/nonexistent-dir", G_FILE_TEST_EXISTS));

  /* Read-only folder holding an old checkpoint. */
  g_assert_cmpint (g_mkdir (ro, 0700), ==, 0);
  save_ok (t, path);
  old = read_file (path, &len);
  run_steps (t, 3, 5, 10);
  g_assert_cmpint (g_chmod (ro, 0500), ==, 0);
  if (geteuid () != 0) {
    expect_save_fails (t, path);
    now = read_file (path, &len2);
    g_assert_cmpmem (now, len2, old, len);
    g_free (now);
    assert_dir_holds_only (ro, "m.ckpt");
  } else {
    /* Root ignores the mode bits; /proc refuses new files to anyone. */
    expect_save_fails (t, "/proc/m.ckpt");
  }
  g_free (old);
  km_trainer_free (t);
  g_free (path);
  g_free (ro);
  kmt_rmdir (dir);
  g_free (dir);
}

/* The target is a folder: the rename fails, the temporary file goes. */
static void
test_save_over_directory (void)
{
  KmConfig cfg = config (2, 2, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *t = kmt_trainer_new (&cfg);
  gchar *dir = kmt_tmpdir ();
  gchar *target = g_build_filename (dir, "target", NULL);
  gchar *inside = g_build_filename (target, "keep", NULL);

  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);
  write_file (inside, "x", 1);
  expect_save_fails (t, target);
  assert_dir_holds_only (dir, "target");
  g_assert_true (g_file_test (inside, G_FILE_TEST_IS_REGULAR));
  km_trainer_free (t);
  g_free (inside);
  g_free (target);
  kmt_rmdir (dir);
  g_free (dir);
}

/* A write that fails half way (file size limit, like a full disk) leaves
 * the old checkpoint intact and no temporary file. */
static void
test_save_write_fails (void)
{
  gchar *dir, *path, *old, *now;
  gsize len, len2;
  KmConfig cfg = config (64, 32, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmConfig small = config (2, 2, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *t, *s;
  struct rlimit lim;

  if (!g_test_subprocess ()) {
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    return;
  }
  dir = kmt_tmpdir ();
  path = g_build_filename (dir, "m.ckpt", NULL);
  s = kmt_trainer_new (&small);
  save_ok (s, path);
  old = read_file (path, &len);

  signal (SIGXFSZ, SIG_IGN);
  lim.rlim_cur = lim.rlim_max = 4096;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
  t = kmt_trainer_new (&cfg);
  run_steps (t, 0, 2, 100);
  expect_save_fails (t, path);
  now = read_file (path, &len2);
  g_assert_cmpmem (now, len2, old, len);
  assert_dir_holds_only (dir, "m.ckpt");

  g_free (old);
  g_free (now);
  km_trainer_free (s);
  km_trainer_free (t);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

/* Saving replaces the previous file (rename over it). */
static void
test_save_replaces (void)
{
  gchar *dir = kmt_tmpdir ();
  gchar *path = g_build_filename (dir, "r.ckpt", NULL);
  KmConfig cfg = config (3, 2, TRUE, 1, KM_METRIC_SQUARED_EUCLIDEAN);
  KmTrainer *t = kmt_trainer_new (&cfg), *b;

  write_file (path, "not a checkpoint", 16);
  run_steps (t, 0, 2, 10);
  save_ok (t, path);
  run_steps (t, 2, 4, 10);
  save_ok (t, path);
  assert_dir_holds_only (dir, "r.ckpt");
  b = load_new (&cfg, path);
  assert_same_state (t, b);
  km_trainer_free (b);
  km_trainer_free (t);
  g_free (path);
  kmt_rmdir (dir);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/checkpoint/round-trip", test_round_trip);
  g_test_add_func ("/checkpoint/resume-bit-exact", test_resume_bit_exact);
  g_test_add_func ("/checkpoint/converged-state", test_converged_state);
  g_test_add_func ("/checkpoint/load-model", test_load_model);
  g_test_add_func ("/checkpoint/corrupt-every-byte", test_corrupt_every_byte);
  g_test_add_func ("/checkpoint/truncated", test_truncated);
  g_test_add_func ("/checkpoint/mismatch", test_mismatch);
  g_test_add_func ("/checkpoint/bad-magic-and-version",
      test_bad_magic_and_version);
  g_test_add_func ("/checkpoint/huge-claim", test_huge_claim);
  g_test_add_func ("/checkpoint/format-1-loads", test_format_1_loads);
  g_test_add_func ("/checkpoint/save/unwritable", test_save_unwritable);
  g_test_add_func ("/checkpoint/save/over-directory", test_save_over_directory);
  g_test_add_func ("/checkpoint/save/write-fails", test_save_write_fails);
  g_test_add_func ("/checkpoint/save/replaces", test_save_replaces);

  return g_test_run ();
}

/* Fuzzes the checkpoint loader (schemas/checkpoint.md):
 * km_checkpoint_load_model() as kmeans-assign and kmeans-score use it,
 * and km_trainer_load() followed by training, as a resumed kmeans-train
 * does.  The file comes from an in-memory file.
 *
 * Input: byte 0 holds options, the rest is the file.  Bit 0 rewrites the
 * trailing SHA-256 so the file passes the checksum, letting the fuzzer
 * reach what comes after it (a file with a correct checksum can still be
 * crafted: the checksum guards against damage, not against an author);
 * bit 1 also resumes a trainer from it and trains two batches.
 *
 * Promises checked: a refused file comes with a KM_ERROR; an accepted
 * model has the header's k, d and version, finite centers and finite
 * counts >= 0, and assigns every point to a cluster in [0, k) at a
 * distance that is neither NaN nor negative; a resumed trainer is at the
 * header's step, and training on it never fails for a reason other than
 * kmeans++ wanting a bigger batch. */
#include <math.h>
#include <string.h>
#include <gst/gst.h>

#include "fuzz.h"
#include "kmeans.h"

#define HEADER_SIZE 144
#define DIGEST_SIZE 32
#define OPT_FIX_DIGEST 1
#define OPT_RESUME 2
#define MAX_FUZZ_BATCH 64

static KmWorkspace *ws;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_make_warnings_fatal ();
  ws = km_workspace_new ();
  return 0;
}

static guint32
read_u32 (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
read_u64 (const guint8 * p)
{
  return read_u32 (p) | ((guint64) read_u32 (p + 4) << 32);
}

static gdouble
read_f64 (const guint8 * p)
{
  guint64 bits = read_u64 (p);
  gdouble v;

  memcpy (&v, &bits, 8);
  return v;
}

static void
fix_digest (guint8 * file, gsize size)
{
  GChecksum *sum;
  gsize len = DIGEST_SIZE;

  if (size < HEADER_SIZE + DIGEST_SIZE)
    return;
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, file, size - DIGEST_SIZE);
  g_checksum_get_digest (sum, file + size - DIGEST_SIZE, &len);
  g_checksum_free (sum);
}

/* Points that are deterministic for a given input: a few rows spread
 * around the origin, scaled by a byte of the file. */
static gfloat *
make_points (guint n, guint d, guint8 seed)
{
  gfloat *pts = g_new (gfloat, (gsize) n * d);
  gsize i;

  for (i = 0; i < (gsize) n * d; i++)
    pts[i] = (gfloat) ((gint) ((i * 7919 + seed) % 201) - 100) / 10.0f;
  return pts;
}

static void
check_assign (KmModel * model, guint8 seed)
{
  guint k = km_model_get_k (model), d = km_model_get_d (model);
  const guint n = 5;
  gfloat *pts = make_points (n, d, seed);
  gint32 idx[5];
  gfloat dist[5];
  guint i;

  km_model_assign (model, pts, n, idx, dist, ws);
  for (i = 0; i < n; i++) {
    fuzz_check (idx[i] >= 0 && (guint) idx[i] < k);
    /* Huge centers may overflow float32 to +inf; never NaN or < 0. */
    fuzz_check (!isnan (dist[i]) && dist[i] >= 0.0f);
  }
  g_free (pts);
}

/* Whatever the file says, a model never holds NaN or Inf centers or
 * negative counts. */
static void
check_model_values (KmModel * model)
{
  gsize k = km_model_get_k (model), i;
  const gfloat *centers = km_model_get_centers (model);
  const gdouble *counts = km_model_get_counts (model);

  for (i = 0; i < k * km_model_get_d (model); i++)
    fuzz_check (isfinite (centers[i]));
  for (i = 0; counts != NULL && i < k; i++)
    fuzz_check (isfinite (counts[i]) && counts[i] >= 0.0);
}

/* The size the reader accepts for this header, 0 if none. */
static gsize
expected_size (const guint8 * file, gsize size)
{
  guint64 k, d, copies;

  if (size < HEADER_SIZE + DIGEST_SIZE)
    return 0;
  k = read_u32 (file + 16);
  d = read_u32 (file + 20);
  if (k == 0 || d == 0 || k > KM_MAX_CLUSTERS || d > KM_MAX_DIMENSIONS)
    return 0;
  copies = (read_u32 (file + 32) & (1 << 4)) ? 2 : 1;
  return HEADER_SIZE + copies * (8 * k + 4 * k * d) + DIGEST_SIZE;
}

static void
check_load_model (const gchar * path, const guint8 * file, gsize size)
{
  GError *err = NULL;
  KmModel *model = km_checkpoint_load_model (path, &err);

  if (model == NULL) {
    fuzz_check (err != NULL && err->domain == KM_ERROR);
    g_error_free (err);
    return;
  }
  fuzz_check (err == NULL);
  fuzz_check (expected_size (file, size) == size);
  fuzz_check (km_model_get_k (model) == read_u32 (file + 16));
  fuzz_check (km_model_get_d (model) == read_u32 (file + 20));
  fuzz_check (km_model_get_version (model) == read_u64 (file + 80));
  check_model_values (model);
  check_assign (model, file[size - 1]);
  km_model_unref (model);
}

/* The configuration a checkpoint was written with, as far as
 * km_trainer_load() compares it; FALSE if no trainer can match. */
static gboolean
config_from_header (const guint8 * file, KmConfig * cfg)
{
  gdouble decay = read_f64 (file + 48);

  km_config_init (cfg);
  cfg->k = read_u32 (file + 16);
  cfg->d = read_u32 (file + 20);
  cfg->metric = read_u32 (file + 24);
  cfg->mini_batch = (read_u32 (file + 32) & 1) != 0;
  cfg->steps_per_sync = read_u32 (file + 36);
  if (cfg->steps_per_sync > 64)
    return FALSE;
  if (read_u32 (file + 28) <= KM_INIT_KMEANS_PLUS_PLUS)
    cfg->init = read_u32 (file + 28);
  if (read_u32 (file + 44) <= KM_TIME_UNIT_POINTS)
    cfg->time_unit = read_u32 (file + 44);
  if (cfg->mini_batch && cfg->steps_per_sync == 1 && decay >= 0.0
      && decay <= 1.0)
    cfg->decay_factor = decay;
  return km_config_validate (cfg, NULL);
}

static void
check_resume (const gchar * path, const guint8 * file, gsize size)
{
  KmConfig cfg;
  KmTrainer *trainer;
  GError *err = NULL;
  KmModel *model;
  guint batch, i;
  gfloat *pts;

  /* Only a file whose size fits its header can load; this also keeps a
   * header claiming a huge model from allocating it here. */
  if (expected_size (file, size) != size || !config_from_header (file, &cfg))
    return;
  trainer = km_trainer_new (&cfg, NULL);
  fuzz_check (trainer != NULL);
  if (!km_trainer_load (trainer, path, &err)) {
    fuzz_check (err != NULL && err->domain == KM_ERROR);
    g_error_free (err);
    km_trainer_free (trainer);
    return;
  }
  fuzz_check (km_trainer_get_step (trainer) == read_u64 (file + 72));
  fuzz_check (km_trainer_is_initialized (trainer) ==
      ((read_u32 (file + 32) & 2) != 0));

  batch = MIN (2 * cfg.k + 1, MAX_FUZZ_BATCH);
  pts = make_points (batch, cfg.d, file[size - 1]);
  for (i = 0; i < 2; i++) {
    KmStepInfo info;
    KmFeedResult res = km_trainer_feed (trainer, pts, batch, &info, &err);

    if (res == KM_FEED_ERROR) {
      fuzz_check (err != NULL);
      if (!g_error_matches (err, KM_ERROR, KM_ERROR_BATCH_TOO_SMALL))
        fuzz_fail ("training a resumed trainer failed: %s", err->message);
      g_clear_error (&err);
      break;
    }
  }
  model = km_trainer_get_model (trainer);
  if (model != NULL) {
    check_assign (model, file[0]);
    km_model_unref (model);
  }
  g_free (pts);
  km_trainer_free (trainer);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  guint8 *file;
  gsize file_size;
  const gchar *path;

  if (size < 1)
    return 0;
  file_size = size - 1;
  file = g_memdup2 (data + 1, file_size);
  if (data[0] & OPT_FIX_DIGEST)
    fix_digest (file, file_size);
  path = fuzz_file_set_contents (file, file_size);

  check_load_model (path, file, file_size);
  if ((data[0] & OPT_RESUME) && file_size >= HEADER_SIZE + DIGEST_SIZE)
    check_resume (path, file, file_size);
  g_free (file);
  return 0;
}

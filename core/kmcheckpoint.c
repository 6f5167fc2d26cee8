/* gst-kmeans core: the checkpoint file (format: schemas/checkpoint.md).
 *
 * Little endian, a fixed header, the arrays, then a SHA-256 of everything
 * before it.  Saving writes a temporary file next to the target and
 * renames it over the target, so a crash leaves either the old or the new
 * file, never a mix.  Loading checks the size the header implies against
 * the file size before allocating anything. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "kmprivate.h"

#define KM_CKPT_MAGIC "GKMCKPT" /* + NUL: 8 bytes */
#define KM_CKPT_MAGIC_LEN 8
#define KM_CKPT_VERSION 2
#define KM_CKPT_HEADER_SIZE 168
/* Format 1 (still read): the header without points, reassignments and
 * the init sample. */
#define KM_CKPT_V1_HEADER_SIZE 144
#define KM_CKPT_DIGEST_SIZE 32

enum
{
  KM_CKPT_FLAG_MINI_BATCH = 1 << 0,
  KM_CKPT_FLAG_INITIALIZED = 1 << 1,
  KM_CKPT_FLAG_CONVERGED = 1 << 2,
  KM_CKPT_FLAG_HAVE_PREV_LOSS = 1 << 3,
  KM_CKPT_FLAG_WORKING_COPY = 1 << 4,
  KM_CKPT_KNOWN_FLAGS = (1 << 5) - 1
};

/* What a checkpoint holds, decoded; arrays point into the file data. */
typedef struct
{
  guint32 k, d, metric, init, flags, steps_per_sync, initialized_rows;
  guint32 time_unit;
  gdouble decay_factor, initial_count, prev_loss;
  guint64 seed, step, version, model_step;
  gint64 update_in_steps;
  KmRng rng;
  guint32 format_version, header_size;
  guint64 points, reassignments;
  guint32 init_buffered;
  const guint8 *counts, *master_counts, *master, *working, *init_sample;
} KmCheckpoint;

/* ------------------------------------------------------------ writing */

typedef struct
{
  gint fd;
  GChecksum *checksum;
  gsize len;
  gint err;                     /* errno of the first failure, 0 if none */
  guint8 buf[64 * 1024];
} CkWriter;

static gboolean
write_all (gint fd, const guint8 * data, gsize len, gint * err)
{
  while (len > 0) {
    gssize w = write (fd, data, len);

    if (w < 0) {
      if (errno == EINTR)
        continue;
      *err = errno;
      return FALSE;
    }
    data += w;
    len -= w;
  }
  return TRUE;
}

static void
writer_flush (CkWriter * w)
{
  if (w->err == 0 && w->len > 0) {
    g_checksum_update (w->checksum, w->buf, w->len);
    write_all (w->fd, w->buf, w->len, &w->err);
  }
  w->len = 0;
}

static void
put_bytes (CkWriter * w, const void *data, gsize len)
{
  const guint8 *p = data;

  while (len > 0) {
    gsize chunk = MIN (len, sizeof (w->buf) - w->len);

    memcpy (w->buf + w->len, p, chunk);
    w->len += chunk;
    p += chunk;
    len -= chunk;
    if (w->len == sizeof (w->buf))
      writer_flush (w);
  }
}

static void
put_u32 (CkWriter * w, guint32 v)
{
  v = GUINT32_TO_LE (v);
  put_bytes (w, &v, 4);
}

static void
put_u64 (CkWriter * w, guint64 v)
{
  v = GUINT64_TO_LE (v);
  put_bytes (w, &v, 8);
}

static void
put_f64 (CkWriter * w, gdouble v)
{
  guint64 bits;

  memcpy (&bits, &v, 8);
  put_u64 (w, bits);
}

static void
put_f64_array (CkWriter * w, const gdouble * v, gsize n)
{
  gsize i;

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
    put_bytes (w, v, n * sizeof (gdouble));
    return;
  }
  for (i = 0; i < n; i++)
    put_f64 (w, v[i]);
}

static void
put_f32_array (CkWriter * w, const gfloat * v, gsize n)
{
  gsize i;

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
    put_bytes (w, v, n * sizeof (gfloat));
    return;
  }
  for (i = 0; i < n; i++) {
    guint32 bits;

    memcpy (&bits, &v[i], 4);
    put_u32 (w, bits);
  }
}

static void
write_header (CkWriter * w, const KmTrainer * trainer)
{
  const KmConfig *cfg = &trainer->cfg;
  guint32 flags = 0;
  guint i;

  if (cfg->mini_batch)
    flags |= KM_CKPT_FLAG_MINI_BATCH;
  if (trainer->initialized)
    flags |= KM_CKPT_FLAG_INITIALIZED;
  if (trainer->converged)
    flags |= KM_CKPT_FLAG_CONVERGED;
  if (trainer->have_prev_loss)
    flags |= KM_CKPT_FLAG_HAVE_PREV_LOSS;
  if (trainer->working != NULL)
    flags |= KM_CKPT_FLAG_WORKING_COPY;

  put_bytes (w, KM_CKPT_MAGIC, KM_CKPT_MAGIC_LEN);
  put_u32 (w, KM_CKPT_VERSION);
  put_u32 (w, KM_CKPT_HEADER_SIZE);
  put_u32 (w, cfg->k);
  put_u32 (w, cfg->d);
  put_u32 (w, cfg->metric);
  put_u32 (w, cfg->init);
  put_u32 (w, flags);
  put_u32 (w, cfg->steps_per_sync);
  put_u32 (w, trainer->initialized_rows);
  put_u32 (w, cfg->time_unit);
  put_f64 (w, cfg->decay_factor);
  put_f64 (w, cfg->initial_count);
  put_u64 (w, cfg->seed);
  put_u64 (w, trainer->step);
  put_u64 (w, trainer->version);
  put_u64 (w, trainer->model_step);
  put_u64 (w, (guint64) trainer->update_in_steps);
  put_f64 (w, trainer->have_prev_loss ? trainer->prev_loss : 0.0);
  for (i = 0; i < 4; i++)
    put_u64 (w, trainer->rng.s[i]);
  put_u64 (w, trainer->points);
  put_u64 (w, trainer->reassignments);
  put_u32 (w, (guint32) trainer->init_buffered);
  put_u32 (w, 0);
}

/* Writes the whole checkpoint to @fd; FALSE with errno in *err. */
static gboolean
write_checkpoint (gint fd, const KmTrainer * trainer, gint * err)
{
  const KmConfig *cfg = &trainer->cfg;
  gsize kd = (gsize) cfg->k * cfg->d;
  CkWriter *w = g_new (CkWriter, 1);
  guint8 digest[KM_CKPT_DIGEST_SIZE];
  gsize digest_len = sizeof (digest);
  gboolean ok;

  w->fd = fd;
  w->len = 0;
  w->err = 0;
  w->checksum = g_checksum_new (G_CHECKSUM_SHA256);

  write_header (w, trainer);
  put_f64_array (w, trainer->counts, cfg->k);
  if (trainer->working != NULL)
    put_f64_array (w, trainer->master_counts, cfg->k);
  put_f32_array (w, trainer->master, kd);
  if (trainer->working != NULL)
    put_f32_array (w, trainer->working, kd);
  put_f32_array (w, trainer->init_buffer, trainer->init_buffered * cfg->d);
  writer_flush (w);

  g_checksum_get_digest (w->checksum, digest, &digest_len);
  if (w->err == 0)
    write_all (fd, digest, digest_len, &w->err);
  ok = w->err == 0;
  *err = w->err;
  g_checksum_free (w->checksum);
  g_free (w);
  return ok;
}

static gboolean
set_io_error (GError ** error, const gchar * what, const gchar * path, gint err)
{
  g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO,
      "cannot %s checkpoint %s: %s", what, path, g_strerror (err));
  return FALSE;
}

/* Makes the rename durable.  File systems that cannot fsync a directory
 * (EINVAL) are accepted. */
static gboolean
sync_directory (const gchar * path, GError ** error)
{
  gchar *dir = g_path_get_dirname (path);
  gint fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gint err = 0;

  if (fd < 0)
    err = errno;
  else if (fsync (fd) != 0 && errno != EINVAL && errno != ENOTSUP)
    err = errno;
  if (fd >= 0)
    close (fd);
  if (err != 0)
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO,
        "cannot sync directory %s after writing checkpoint %s: %s", dir,
        path, g_strerror (err));
  g_free (dir);
  return err == 0;
}

static guint8 *read_checkpoint (const gchar * path, KmCheckpoint * ck,
    GError ** error);

/* The written file @tmp, read back with the loader's own checks before it
 * replaces @path: the trainer never leaves a checkpoint it would refuse. */
static gboolean
loads_back (const gchar * tmp, const gchar * path, GError ** error)
{
  KmCheckpoint ck;
  GError *err = NULL;
  guint8 *data = read_checkpoint (tmp, &ck, &err);

  if (data != NULL) {
    g_free (data);
    return TRUE;
  }
  g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO,
      "checkpoint %s not written, the previous one is kept: what would "
      "be written does not load back (%s)", path, err->message);
  g_error_free (err);
  return FALSE;
}

gboolean
km_trainer_save (KmTrainer * trainer, const gchar * path, GError ** error)
{
  gchar *tmp;
  gint fd, err = 0;
  const gchar *what = NULL;

  g_return_val_if_fail (trainer != NULL, FALSE);
  g_return_val_if_fail (path != NULL && *path != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    err = errno;
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_IO,
        "cannot create a temporary file for checkpoint %s: %s", path,
        g_strerror (err));
    g_free (tmp);
    return FALSE;
  }

  if (!write_checkpoint (fd, trainer, &err))
    what = "write";
  else if (fsync (fd) != 0)
    what = "sync", err = errno;
  if (close (fd) != 0 && what == NULL)
    what = "close", err = errno;
  if (what == NULL && !loads_back (tmp, path, error)) {
    g_unlink (tmp);
    g_free (tmp);
    return FALSE;
  }
  if (what == NULL && rename (tmp, path) != 0)
    what = "replace", err = errno;

  if (what != NULL) {
    g_unlink (tmp);
    g_free (tmp);
    return set_io_error (error, what, path, err);
  }
  g_free (tmp);
  return sync_directory (path, error);
}

/* ------------------------------------------------------------ reading */

static void
copy_f64_array (gdouble * dst, const guint8 * src, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    dst[i] = km_le_get_f64 (src + 8 * i);
}

static void
copy_f32_array (gfloat * dst, const guint8 * src, gsize n)
{
  gsize i;

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
    memcpy (dst, src, n * sizeof (gfloat));
    return;
  }
  for (i = 0; i < n; i++) {
    guint32 bits = km_le_get_u32 (src + 4 * i);

    memcpy (&dst[i], &bits, 4);
  }
}

static gboolean
set_corrupt (GError ** error, const gchar * path, const gchar * why)
{
  g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT,
      "checkpoint %s is damaged or not a checkpoint: %s", path, why);
  return FALSE;
}

static gboolean
read_exact (gint fd, guint8 * buf, gsize len, goffset offset, gint * err)
{
  while (len > 0) {
    gssize r = pread (fd, buf, len, offset);

    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      *err = r < 0 ? errno : EIO;
      return FALSE;
    }
    buf += r;
    len -= r;
    offset += r;
  }
  return TRUE;
}

static void
decode_header (const guint8 * h, KmCheckpoint * ck)
{
  guint i;

  ck->k = km_le_get_u32 (h + 16);
  ck->d = km_le_get_u32 (h + 20);
  ck->metric = km_le_get_u32 (h + 24);
  ck->init = km_le_get_u32 (h + 28);
  ck->flags = km_le_get_u32 (h + 32);
  ck->steps_per_sync = km_le_get_u32 (h + 36);
  ck->initialized_rows = km_le_get_u32 (h + 40);
  ck->time_unit = km_le_get_u32 (h + 44);
  ck->decay_factor = km_le_get_f64 (h + 48);
  ck->initial_count = km_le_get_f64 (h + 56);
  ck->seed = km_le_get_u64 (h + 64);
  ck->step = km_le_get_u64 (h + 72);
  ck->version = km_le_get_u64 (h + 80);
  ck->model_step = km_le_get_u64 (h + 88);
  ck->update_in_steps = (gint64) km_le_get_u64 (h + 96);
  ck->prev_loss = km_le_get_f64 (h + 104);
  for (i = 0; i < 4; i++)
    ck->rng.s[i] = km_le_get_u64 (h + 112 + 8 * i);
  ck->points = ck->reassignments = 0;
  ck->init_buffered = 0;
  if (ck->format_version >= 2) {
    ck->points = km_le_get_u64 (h + 144);
    ck->reassignments = km_le_get_u64 (h + 152);
    ck->init_buffered = km_le_get_u32 (h + 160);
  }
}

static gboolean
has_working_copy (const KmCheckpoint * ck)
{
  return (ck->flags & KM_CKPT_FLAG_WORKING_COPY) != 0;
}

/* xoshiro256** never reaches the all-zero state from another one, and
 * stays there once in it (every draw 0: rejection sampling would spin
 * forever), so no writer saves it. */
static gboolean
rng_is_zero (const KmRng * rng)
{
  return (rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0;
}

/* The size of the file @ck's header describes. */
static guint64
checkpoint_size (const KmCheckpoint * ck)
{
  guint64 copies = has_working_copy (ck) ? 2 : 1;
  guint64 kd = (guint64) ck->k * ck->d;

  return ck->header_size + copies * (8 * (guint64) ck->k + 4 * kd)
      + 4 * (guint64) ck->init_buffered * ck->d + KM_CKPT_DIGEST_SIZE;
}

/* The file size the header implies, or 0 if the header is implausible
 * (then @error is set). */
static guint64
checked_file_size (const guint8 * h, KmCheckpoint * ck, const gchar * path,
    GError ** error)
{
  gboolean mini, initialized;

  if (memcmp (h, KM_CKPT_MAGIC, KM_CKPT_MAGIC_LEN) != 0) {
    set_corrupt (error, path, "bad magic");
    return 0;
  }
  ck->format_version = km_le_get_u32 (h + 8);
  ck->header_size = km_le_get_u32 (h + 12);
  if (!((ck->format_version == 1 && ck->header_size == KM_CKPT_V1_HEADER_SIZE)
          || (ck->format_version == KM_CKPT_VERSION
              && ck->header_size == KM_CKPT_HEADER_SIZE))) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT,
        "checkpoint %s has format version %u (header %u bytes); only "
        "versions 1 and %u are supported", path, ck->format_version,
        ck->header_size, KM_CKPT_VERSION);
    return 0;
  }
  decode_header (h, ck);
  /* Check the sizes before they are used to compute or allocate. */
  if (ck->k == 0 || ck->d == 0 || ck->k > KM_MAX_CLUSTERS
      || ck->d > KM_MAX_DIMENSIONS
      || (guint64) ck->k * ck->d > KM_MAX_MODEL_FLOATS) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT,
        "checkpoint %s claims k=%u and d=%u, outside the supported limits",
        path, ck->k, ck->d);
    return 0;
  }
  mini = (ck->flags & KM_CKPT_FLAG_MINI_BATCH) != 0;
  initialized = (ck->flags & KM_CKPT_FLAG_INITIALIZED) != 0;
  /* A trainer is initialised exactly when all k rows are chosen, and
   * converges only after that; a loss is a finite sum of distances. */
  if (ck->metric > KM_METRIC_COSINE || ck->steps_per_sync == 0
      || (ck->flags & ~KM_CKPT_KNOWN_FLAGS) != 0
      || ck->initialized_rows > ck->k
      || initialized != (ck->initialized_rows == ck->k)
      || ((ck->flags & KM_CKPT_FLAG_CONVERGED) && !initialized)
      || ((ck->flags & KM_CKPT_FLAG_HAVE_PREV_LOSS)
          && !(isfinite (ck->prev_loss) && ck->prev_loss >= 0.0))
      || has_working_copy (ck) != (mini && ck->steps_per_sync > 1)
      || rng_is_zero (&ck->rng)
      || (ck->init_buffered > 0 && initialized)
      || (guint64) ck->init_buffered * ck->d > KM_MAX_MODEL_FLOATS) {
    set_corrupt (error, path, "inconsistent header fields");
    return 0;
  }
  return checkpoint_size (ck);
}

static gboolean
verify_digest (const guint8 * data, gsize size)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[KM_CKPT_DIGEST_SIZE];
  gsize len = sizeof (digest);
  gboolean ok;

  g_checksum_update (sum, data, size - KM_CKPT_DIGEST_SIZE);
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  ok = memcmp (digest, data + size - KM_CKPT_DIGEST_SIZE, len) == 0;
  return ok;
}

static void
locate_arrays (const guint8 * data, KmCheckpoint * ck)
{
  gsize k = ck->k, kd = (gsize) ck->k * ck->d;
  const guint8 *p = data + ck->header_size;

  ck->counts = p;
  p += 8 * k;
  ck->master_counts = ck->counts;
  if (has_working_copy (ck)) {
    ck->master_counts = p;
    p += 8 * k;
  }
  ck->master = p;
  p += 4 * kd;
  ck->working = has_working_copy (ck) ? p : NULL;
  if (ck->working != NULL)
    p += 4 * kd;
  ck->init_sample = p;
}

static gboolean
f64_array_is_sane (const guint8 * p, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++) {
    gdouble v = km_le_get_f64 (p + 8 * i);

    if (!isfinite (v) || v < 0.0)
      return FALSE;
  }
  return TRUE;
}

static gboolean
f32_array_is_finite (const guint8 * p, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++) {
    guint32 bits = km_le_get_u32 (p + 4 * i);

    if ((bits & 0x7f800000u) == 0x7f800000u)
      return FALSE;
  }
  return TRUE;
}

/* The checksum only proves the file is as written.  A writer never
 * produces NaN or Inf centers or negative counts (points are finite),
 * and training would spread such values silently: refuse them. */
static gboolean
values_are_sane (const KmCheckpoint * ck)
{
  gsize k = ck->k, kd = (gsize) ck->k * ck->d;

  return f64_array_is_sane (ck->counts, k)
      && f64_array_is_sane (ck->master_counts, k)
      && f32_array_is_finite (ck->master, kd)
      && (ck->working == NULL || f32_array_is_finite (ck->working, kd))
      && f32_array_is_finite (ck->init_sample,
      (gsize) ck->init_buffered * ck->d);
}

/* Reads and verifies @path; returns the file data (g_free) with @ck
 * decoded from it. */
static guint8 *
read_checkpoint (const gchar * path, KmCheckpoint * ck, GError ** error)
{
  guint8 header[KM_CKPT_HEADER_SIZE] = { 0 };
  guint8 *data = NULL;
  struct stat st;
  guint64 want;
  gint fd, err = 0;

  fd = km_file_open_regular (path, &st, &err);
  if (fd < 0) {
    if (err != 0)
      set_io_error (error, "open", path, err);
    else
      g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT,
          "checkpoint %s is not a regular file but %s", path,
          km_file_type_name (st.st_mode));
    return NULL;
  }
  if ((guint64) st.st_size < KM_CKPT_V1_HEADER_SIZE + KM_CKPT_DIGEST_SIZE) {
    set_corrupt (error, path, "truncated (shorter than the header)");
    goto out;
  }
  /* A format 1 file may be shorter than a format 2 header. */
  if (!read_exact (fd, header, MIN (sizeof (header), (gsize) st.st_size), 0,
          &err)) {
    set_io_error (error, "read", path, err);
    goto out;
  }
  want = checked_file_size (header, ck, path, error);
  if (want == 0)
    goto out;
  if (want != (guint64) st.st_size) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_CORRUPT,
        "checkpoint %s is %" G_GUINT64_FORMAT " bytes but its header "
        "describes %" G_GUINT64_FORMAT " bytes (truncated?)", path,
        (guint64) st.st_size, want);
    goto out;
  }
  data = g_try_malloc (want);
  if (data == NULL) {
    set_io_error (error, "allocate memory for", path, ENOMEM);
    goto out;
  }
  if (!read_exact (fd, data, want, 0, &err)) {
    set_io_error (error, "read", path, err);
    g_clear_pointer (&data, g_free);
    goto out;
  }
  if (!verify_digest (data, want)) {
    set_corrupt (error, path, "checksum mismatch");
    g_clear_pointer (&data, g_free);
    goto out;
  }
  locate_arrays (data, ck);
  if (!values_are_sane (ck)) {
    set_corrupt (error, path, "non-finite centers or counts, or negative "
        "counts");
    g_clear_pointer (&data, g_free);
  }

out:
  close (fd);
  return data;
}

static const gchar *
metric_name (guint32 metric)
{
  return metric == KM_METRIC_COSINE ? "cosine" : "squared-euclidean";
}

static gboolean
check_matches_config (const KmCheckpoint * ck, const KmConfig * cfg,
    const gchar * path, GError ** error)
{
  gboolean mini = (ck->flags & KM_CKPT_FLAG_MINI_BATCH) != 0;

  if (ck->k != cfg->k) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH,
        "checkpoint %s has k=%u but num-clusters is %u", path, ck->k, cfg->k);
  } else if (ck->d != cfg->d) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH,
        "checkpoint %s has d=%u but dimensions is %u", path, ck->d, cfg->d);
  } else if (ck->metric != (guint32) cfg->metric) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH,
        "checkpoint %s has metric %s but distance-metric is %s", path,
        metric_name (ck->metric), metric_name (cfg->metric));
  } else if (mini != !!cfg->mini_batch) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH,
        "checkpoint %s was written by %s training but mini-batch is %s",
        path, mini ? "mini-batch" : "full-batch",
        cfg->mini_batch ? "on" : "off");
  } else if (mini && ck->steps_per_sync != cfg->steps_per_sync) {
    g_set_error (error, KM_ERROR, KM_ERROR_CHECKPOINT_MISMATCH,
        "checkpoint %s has steps-per-sync=%u but steps-per-sync is %u",
        path, ck->steps_per_sync, cfg->steps_per_sync);
  } else {
    return TRUE;
  }
  return FALSE;
}

/* §3.6: the points gathered for initialisation so far. */
static void
restore_init_sample (KmTrainer * trainer, const KmCheckpoint * ck)
{
  gsize n = ck->init_buffered;

  g_clear_pointer (&trainer->init_buffer, g_free);
  trainer->init_capacity = trainer->init_buffered = n;
  if (n == 0)
    return;
  trainer->init_buffer = g_new (gfloat, n * ck->d);
  copy_f32_array (trainer->init_buffer, ck->init_sample, n * ck->d);
}

/* Replaces the trainer's state; @ck matches its config. */
static void
restore_state (KmTrainer * trainer, const KmCheckpoint * ck)
{
  gsize k = ck->k, kd = (gsize) ck->k * ck->d;

  trainer->rng = ck->rng;
  trainer->initialized = (ck->flags & KM_CKPT_FLAG_INITIALIZED) != 0;
  trainer->initialized_rows = ck->initialized_rows;
  trainer->converged = (ck->flags & KM_CKPT_FLAG_CONVERGED) != 0;
  trainer->have_prev_loss = (ck->flags & KM_CKPT_FLAG_HAVE_PREV_LOSS) != 0;
  trainer->prev_loss = ck->prev_loss;
  trainer->step = ck->step;
  trainer->version = ck->version;
  trainer->model_step = ck->model_step;
  trainer->update_in_steps = ck->update_in_steps;
  copy_f64_array (trainer->counts, ck->counts, k);
  if (trainer->working != NULL) {
    copy_f64_array (trainer->master_counts, ck->master_counts, k);
    copy_f32_array (trainer->working, ck->working, kd);
  }
  copy_f32_array (trainer->master, ck->master, kd);
  restore_init_sample (trainer, ck);
  trainer->points = ck->points;
  trainer->reassignments = ck->reassignments;
  km_dist_prepare (&trainer->dist, trainer->master);
  /* The version may repeat an earlier one of this trainer: drop the
   * cached model rather than compare. */
  g_clear_pointer (&trainer->snapshot, km_model_unref);
}

gboolean
km_trainer_load (KmTrainer * trainer, const gchar * path, GError ** error)
{
  KmCheckpoint ck;
  guint8 *data;

  g_return_val_if_fail (trainer != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = read_checkpoint (path, &ck, error);
  if (data == NULL)
    return FALSE;
  if (!check_matches_config (&ck, &trainer->cfg, path, error)) {
    g_free (data);
    return FALSE;
  }
  restore_state (trainer, &ck);
  g_free (data);
  return TRUE;
}

KmModel *
km_checkpoint_load_model (const gchar * path, GError ** error)
{
  KmCheckpoint ck;
  KmModel *model = NULL;
  guint8 *data;
  gfloat *centers;
  gdouble *counts;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = read_checkpoint (path, &ck, error);
  if (data == NULL)
    return NULL;
  if (!(ck.flags & KM_CKPT_FLAG_INITIALIZED)) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "checkpoint %s holds no model yet: initialisation was not finished",
        path);
    g_free (data);
    return NULL;
  }
  centers = g_new (gfloat, (gsize) ck.k * ck.d);
  counts = g_new (gdouble, ck.k);
  copy_f32_array (centers, ck.master, (gsize) ck.k * ck.d);
  copy_f64_array (counts, ck.master_counts, ck.k);
  model = km_model_new_full (ck.k, ck.d, ck.metric, centers, counts,
      ck.version, ck.model_step, error);
  g_free (centers);
  g_free (counts);
  g_free (data);
  return model;
}

static void
fill_info (const KmCheckpoint * ck, guint64 size, KmCheckpointInfo * info)
{
  memset (info, 0, sizeof (*info));
  info->format_version = ck->format_version;
  info->points = ck->points;
  info->reassignments = ck->reassignments;
  info->init_buffered = ck->init_buffered;
  info->k = ck->k;
  info->d = ck->d;
  info->metric = ck->metric;
  info->init = ck->init;
  info->mini_batch = (ck->flags & KM_CKPT_FLAG_MINI_BATCH) != 0;
  info->steps_per_sync = ck->steps_per_sync;
  info->initialized = (ck->flags & KM_CKPT_FLAG_INITIALIZED) != 0;
  info->initialized_rows = ck->initialized_rows;
  info->converged = (ck->flags & KM_CKPT_FLAG_CONVERGED) != 0;
  info->have_prev_loss = (ck->flags & KM_CKPT_FLAG_HAVE_PREV_LOSS) != 0;
  info->prev_loss = info->have_prev_loss ? ck->prev_loss : 0.0;
  info->time_unit = ck->time_unit;
  info->decay_factor = ck->decay_factor;
  info->initial_count = ck->initial_count;
  info->seed = ck->seed;
  info->step = ck->step;
  info->version = ck->version;
  info->model_step = ck->model_step;
  info->size = size;
}

gboolean
km_checkpoint_read_info (const gchar * path, KmCheckpointInfo * info,
    GError ** error)
{
  KmCheckpoint ck;
  guint8 *data;
  guint64 size;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = read_checkpoint (path, &ck, error);
  if (data == NULL)
    return FALSE;
  size = checkpoint_size (&ck);
  fill_info (&ck, size, info);
  g_free (data);
  return TRUE;
}

/* Beside the checkpoint code because it exists to build one from a model
 * trained elsewhere (tools/kmeans-checkpoint.c import). */
gboolean
km_trainer_set_counts (KmTrainer * trainer, const gdouble * counts, guint k,
    GError ** error)
{
  guint j;

  g_return_val_if_fail (trainer != NULL, FALSE);
  g_return_val_if_fail (counts != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!trainer->initialized) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "counts can only be set once the centers are");
    return FALSE;
  }
  if (k != trainer->cfg.k) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "%u counts but num-clusters is %u", k, trainer->cfg.k);
    return FALSE;
  }
  for (j = 0; j < k; j++) {
    if (!isfinite (counts[j]) || counts[j] < 0.0) {
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "count %u is %g: counts must be finite and >= 0", j, counts[j]);
      return FALSE;
    }
  }
  memcpy (trainer->master_counts, counts, k * sizeof (gdouble));
  /* Same version, other counts: the cached model no longer matches. */
  g_clear_pointer (&trainer->snapshot, km_model_unref);
  return TRUE;
}

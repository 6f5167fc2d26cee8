/* gst-kmeans core: a model as bytes between processes
 * (schemas/model-record.md): what a hub sends its workers. */
#include <math.h>
#include <string.h>

#include "kmprivate.h"

#define KM_MODEL_MAGIC "KMMODEL"        /* + NUL: 8 bytes */
#define KM_MODEL_MAGIC_LEN 8
#define KM_MODEL_FORMAT 1
#define KM_MODEL_HEADER_SIZE 48
#define KM_MODEL_TRAILER_SIZE 4
#define KM_MODEL_FLAG_COUNTS 1u

guint64
km_model_record_size (guint k, guint d, gboolean with_counts)
{
  guint64 size = KM_MODEL_HEADER_SIZE + KM_MODEL_TRAILER_SIZE
      + 4 * (guint64) k * d;

  if (with_counts)
    size += 8 * (guint64) k;
  return size;
}

guint8 *
km_model_serialize (const KmModel * model, gsize * len)
{
  gboolean with_counts = model->counts != NULL;
  gsize size = km_model_record_size (model->k, model->d, with_counts);
  gsize n = (gsize) model->k * model->d, i;
  guint8 *data = g_malloc (size), *p;

  memcpy (data, KM_MODEL_MAGIC, KM_MODEL_MAGIC_LEN);
  p = km_le_put_u32 (data + KM_MODEL_MAGIC_LEN, KM_MODEL_FORMAT);
  p = km_le_put_u32 (p, model->k);
  p = km_le_put_u32 (p, model->d);
  p = km_le_put_u32 (p, model->metric);
  p = km_le_put_u32 (p, with_counts ? KM_MODEL_FLAG_COUNTS : 0);
  p = km_le_put_u32 (p, 0);
  p = km_le_put_u64 (p, model->version);
  p = km_le_put_u64 (p, model->step);
  for (i = 0; i < n; i++) {
    guint32 bits;

    memcpy (&bits, &model->centers[i], 4);
    p = km_le_put_u32 (p, bits);
  }
  for (i = 0; with_counts && i < model->k; i++)
    p = km_le_put_f64 (p, model->counts[i]);
  km_le_put_u32 (p, km_crc32 (data, size - KM_MODEL_TRAILER_SIZE));
  *len = size;
  return data;
}

static gboolean
corrupt (GError ** error, const gchar * what)
{
  g_set_error (error, KM_ERROR, KM_ERROR_MODEL_CORRUPT,
      "model record refused: %s", what);
  return FALSE;
}

/* Rules 1 to 4 of the schema: nothing sized by the header is allocated
 * before they hold. */
static gboolean
check_header (const guint8 * data, gsize len, guint * k, guint * d,
    KmMetric * metric, gboolean * with_counts, GError ** error)
{
  guint32 flags;

  if (len < KM_MODEL_HEADER_SIZE + KM_MODEL_TRAILER_SIZE)
    return corrupt (error, "shorter than a header");
  if (memcmp (data, KM_MODEL_MAGIC, KM_MODEL_MAGIC_LEN) != 0)
    return corrupt (error, "not a KMMODEL record (magic)");
  if (km_le_get_u32 (data + 8) != KM_MODEL_FORMAT)
    return corrupt (error, "unknown format version");
  *k = km_le_get_u32 (data + 12);
  *d = km_le_get_u32 (data + 16);
  *metric = km_le_get_u32 (data + 20);
  flags = km_le_get_u32 (data + 24);
  if (*metric > KM_METRIC_COSINE)
    return corrupt (error, "unknown metric");
  if ((flags & ~KM_MODEL_FLAG_COUNTS) != 0 || km_le_get_u32 (data + 28) != 0)
    return corrupt (error, "unknown flags");
  if (!km_shape_validate (*k, *d, NULL))
    return corrupt (error, "k or d out of range");
  *with_counts = (flags & KM_MODEL_FLAG_COUNTS) != 0;
  if (len != km_model_record_size (*k, *d, *with_counts))
    return corrupt (error, "length does not match k and d");
  if (km_le_get_u32 (data + len - KM_MODEL_TRAILER_SIZE) !=
      km_crc32 (data, len - KM_MODEL_TRAILER_SIZE))
    return corrupt (error, "CRC-32 mismatch");
  return TRUE;
}

KmModel *
km_model_deserialize (const guint8 * data, gsize len, GError ** error)
{
  guint k, d;
  KmMetric metric;
  gboolean with_counts;
  gfloat *centers = NULL;
  gdouble *counts = NULL;
  KmModel *model = NULL;
  const guint8 *p;
  gsize n, i;

  if (!check_header (data, len, &k, &d, &metric, &with_counts, error))
    return NULL;
  n = (gsize) k *d;
  centers = g_new (gfloat, n);
  p = data + KM_MODEL_HEADER_SIZE;
  for (i = 0; i < n; i++, p += 4) {
    guint32 bits = km_le_get_u32 (p);

    memcpy (&centers[i], &bits, 4);
    if (!isfinite (centers[i])) {
      corrupt (error, "a center holds a NaN or an infinity");
      goto done;
    }
  }
  if (with_counts) {
    counts = g_new (gdouble, k);
    for (i = 0; i < k; i++, p += 8) {
      counts[i] = km_le_get_f64 (p);
      if (!isfinite (counts[i]) || counts[i] < 0) {
        corrupt (error, "a count is negative, a NaN or an infinity");
        goto done;
      }
    }
  }
  model = km_model_new_full (k, d, metric, centers, counts,
      km_le_get_u64 (data + 32), km_le_get_u64 (data + 40), error);
done:
  g_free (centers);
  g_free (counts);
  return model;
}

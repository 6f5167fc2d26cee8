/* Fuzzes reading a buffer of points, gst_kmeans_points_read(), the first
 * thing every point consumer does with the bytes it gets.
 *
 * Input: byte 0 picks the sample format (bit 0), the alignment of the
 * data (bit 1: one byte off) and whether D is small (bits 2-7 give
 * 1..63) or taken from bytes 1-2; the rest is the buffer.  It is read
 * twice with the same reader, as a stream of buffers would be.
 *
 * Promises checked, against a plain recount of the input: a size that is
 * not whole rows gives no row and PARTIAL_ROW; otherwise exactly the rows
 * whose values are all finite in float32 come back, in order and
 * unchanged, and the status and counters say how many were left out. */
#include <math.h>
#include <string.h>
#include <gst/gst.h>

#include "fuzz.h"
#include "kmeanselements.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  return 0;
}

static gboolean
value_at (const guint8 * row, guint j, GstKMeansSampleFormat format,
    gfloat * out)
{
  if (format == GST_KMEANS_SAMPLE_F32) {
    memcpy (out, row + 4 * j, 4);
  } else {
    gdouble v;

    memcpy (&v, row + 8 * j, 8);
    *out = (gfloat) v;
  }
  return isfinite (*out);
}

/* The finite rows of @data, the slow obvious way, compared with @rows. */
static void
check_rows (const guint8 * data, gsize size, const GstKMeansPointsInfo * info,
    const gfloat * rows, gsize n_rows, GstKMeansReadStatus status)
{
  gsize value_size = info->format == GST_KMEANS_SAMPLE_F32 ? 4 : 8;
  gsize row_size = value_size * info->dimensions;
  gsize total, r, kept = 0;
  guint j;

  if (size % row_size != 0) {
    fuzz_check (status == GST_KMEANS_READ_PARTIAL_ROW && n_rows == 0);
    return;
  }
  total = size / row_size;
  for (r = 0; r < total; r++) {
    const guint8 *row = data + r * row_size;
    gboolean finite = TRUE;
    gfloat v;

    for (j = 0; j < info->dimensions; j++)
      finite &= value_at (row, j, info->format, &v);
    if (!finite)
      continue;
    fuzz_check (kept < n_rows);
    for (j = 0; j < info->dimensions; j++) {
      gfloat got = rows[kept * info->dimensions + j];

      value_at (row, j, info->format, &v);
      fuzz_check (memcmp (&got, &v, sizeof (v)) == 0);
    }
    kept++;
  }
  fuzz_check (kept == n_rows);
  fuzz_check ((status == GST_KMEANS_READ_NON_FINITE) == (kept < total));
  fuzz_check (status != GST_KMEANS_READ_PARTIAL_ROW);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstKMeansPointsReader reader;
  GstKMeansPointsInfo info = { 0, };
  guint8 *copy;
  const guint8 *payload;
  gsize len, header = 1, pass;
  guint64 bad_rows = 0, bad_buffers = 0;

  if (size < 1)
    return 0;
  info.format = (data[0] & 1) ? GST_KMEANS_SAMPLE_F64 : GST_KMEANS_SAMPLE_F32;
  info.dimensions = data[0] >> 2;
  if (info.dimensions == 0) {
    if (size < 3)
      return 0;
    info.dimensions = 1 + (data[1] | (data[2] << 8));
    header = 3;
  }
  len = size - header;
  /* GstBuffer memory is usually aligned, but a sub-buffer need not be. */
  copy = g_malloc (len + 1);
  payload = copy + ((data[0] & 2) ? 1 : 0);
  memcpy ((guint8 *) payload, data + header, len);

  gst_kmeans_points_reader_init (&reader);
  for (pass = 0; pass < 2; pass++) {
    GstKMeansReadStatus status;
    gsize n_rows = 12345;
    const gfloat *rows = gst_kmeans_points_read (&reader, &info, payload,
        len, &n_rows, &status);

    fuzz_check ((rows != NULL) == (n_rows > 0));
    check_rows (payload, len, &info, rows, n_rows, status);
    if (status == GST_KMEANS_READ_PARTIAL_ROW)
      bad_buffers++;
    else
      bad_rows += len / (4 * (info.format + 1) * info.dimensions) - n_rows;
    fuzz_check (reader.bad_rows == bad_rows);
    fuzz_check (reader.bad_buffers == bad_buffers);
  }
  gst_kmeans_points_reader_clear (&reader);
  g_free (copy);
  return 0;
}

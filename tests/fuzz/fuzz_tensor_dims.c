/* Fuzzes the NNStreamer tensor dimension string parser,
 * gst_kmeans_parse_tensor_dimensions() ("D", "D:N", "D:N:1:1").
 * Promises checked: a refused string comes with a GST_STREAM_ERROR; an
 * accepted one gives 1 <= D <= KM_MAX_DIMENSIONS, and the canonical
 * "D:N" of the result parses to the same D and N. */
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

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *str = g_strndup ((const gchar *) data, size);
  GError *err = NULL;
  guint d = 0, n = 0, d2 = 0, n2 = 0;
  gchar *canonical;

  if (!gst_kmeans_parse_tensor_dimensions (str, &d, &n, &err)) {
    fuzz_check (err != NULL && err->domain == GST_STREAM_ERROR);
    g_error_free (err);
    g_free (str);
    return 0;
  }
  fuzz_check (err == NULL);
  fuzz_check (d >= 1 && d <= KM_MAX_DIMENSIONS);

  canonical = g_strdup_printf ("%u:%u", d, n);
  fuzz_check (gst_kmeans_parse_tensor_dimensions (canonical, &d2, &n2, NULL));
  fuzz_check (d2 == d && n2 == n);
  g_free (canonical);
  g_free (str);
  return 0;
}

/* gst-kmeans fuzz harnesses without libFuzzer: feeds every file of the
 * corpus folders (or single files) named on the command line to
 * LLVMFuzzerTestOneInput(), so `meson test` replays the corpus with any
 * compiler.  Any broken promise or sanitizer report aborts; the test
 * passes when every input ran.  An empty corpus fails: it would prove
 * nothing.
 *
 *   replay-HARNESS CORPUS-DIR|FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static guint
replay_file (const gchar * path)
{
  GError *err = NULL;
  gchar *data;
  gsize size;

  if (!g_file_get_contents (path, &data, &size, &err)) {
    g_printerr ("replay: %s\n", err->message);
    exit (1);
  }
  /* An exact-size copy, so that a read past the input is caught. */
  {
    guint8 *copy = g_memdup2 (data, size);

    g_free (data);
    LLVMFuzzerTestOneInput (copy, size);
    g_free (copy);
  }
  return 1;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Replays a folder's files in name order, so runs are reproducible. */
static guint
replay_dir (const gchar * dir_path)
{
  GError *err = NULL;
  GDir *dir = g_dir_open (dir_path, 0, &err);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i, n = 0;

  if (dir == NULL) {
    g_printerr ("replay: %s\n", err->message);
    exit (1);
  }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (paths, compare_names);
  for (i = 0; i < paths->len; i++) {
    const gchar *path = g_ptr_array_index (paths, i);

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      n += replay_file (path);
  }
  g_ptr_array_unref (paths);
  return n;
}

int
main (int argc, char **argv)
{
  guint total = 0;
  gint i;

  LLVMFuzzerInitialize (&argc, &argv);
  for (i = 1; i < argc; i++) {
    guint n = g_file_test (argv[i], G_FILE_TEST_IS_DIR) ?
        replay_dir (argv[i]) : replay_file (argv[i]);

    g_print ("replayed %u inputs from %s\n", n, argv[i]);
    total += n;
  }
  if (total == 0) {
    g_printerr ("replay: no input to replay\n");
    return 1;
  }
  return 0;
}

/* gst-kmeans fuzz harnesses: an in-memory file for parsers that take a
 * path.  See fuzz.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static gint fuzz_fd = -1;
static gchar fuzz_path[64];

static void
fuzz_file_open (void)
{
  fuzz_fd = memfd_create ("kmeans-fuzz", MFD_CLOEXEC);
  if (fuzz_fd < 0)
    fuzz_fail ("memfd_create: %s", g_strerror (errno));
  g_snprintf (fuzz_path, sizeof (fuzz_path), "/proc/self/fd/%d", fuzz_fd);
}

const gchar *
fuzz_file_set_contents (const guint8 * data, gsize size)
{
  gsize done = 0;

  if (fuzz_fd < 0)
    fuzz_file_open ();
  if (ftruncate (fuzz_fd, 0) != 0)
    fuzz_fail ("ftruncate: %s", g_strerror (errno));
  while (done < size) {
    gssize w = pwrite (fuzz_fd, data + done, size - done, done);

    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      fuzz_fail ("pwrite: %s", g_strerror (errno));
    done += w;
  }
  return fuzz_path;
}

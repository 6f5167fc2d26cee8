/* gst-kmeans core: opening files that come from users without blocking.
 *
 * A path given as a checkpoint, a model or a centers file may name a FIFO,
 * a device or a socket.  open() on a FIFO with no writer blocks forever,
 * so files are opened with O_NONBLOCK first and refused unless fstat()
 * says they are regular; only then is blocking mode restored.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmprivate.h"

const gchar *
km_file_type_name (guint mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return "a device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "something else";
}

gint
km_file_open_regular (const gchar * path, struct stat *st, gint * err)
{
  return km_file_open_regular_with (path, O_RDONLY, st, err);
}

gint
km_file_open (const gchar * path, gint flags, guint * mode, gint * err)
{
  struct stat st;
  gint fd = km_file_open_regular_with (path, flags, &st, err);

  *mode = fd < 0 && *err == 0 ? st.st_mode : 0;
  return fd;
}

gint
km_file_open_regular_with (const gchar * path, gint oflags, struct stat *st,
    gint * err)
{
  gint fd, flags;

  fd = open (path, oflags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (fstat (fd, st) != 0) {
    *err = errno;
    close (fd);
    return -1;
  }
  if (!S_ISREG (st->st_mode)) {
    *err = 0;
    close (fd);
    return -1;
  }
  flags = fcntl (fd, F_GETFL);
  if (flags >= 0)
    fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
  *err = 0;
  return fd;
}

gchar *
km_file_read_text (const gchar * path, gsize * len, GError ** error)
{
  struct stat st;
  gint err = 0;
  gint fd = km_file_open_regular (path, &st, &err);
  gchar *text;
  gsize done = 0;

  if (fd < 0) {
    if (err != 0)
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "cannot read %s: %s", path, g_strerror (err));
    else
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "cannot read %s: not a regular file but %s", path,
          km_file_type_name (st.st_mode));
    return NULL;
  }
  text = g_try_malloc ((gsize) st.st_size + 1);
  if (text == NULL) {
    close (fd);
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "cannot read %s: %s", path, g_strerror (ENOMEM));
    return NULL;
  }
  while (done < (gsize) st.st_size) {
    gssize r = read (fd, text + done, (gsize) st.st_size - done);

    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      err = errno;
      close (fd);
      g_free (text);
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "cannot read %s: %s", path, g_strerror (err));
      return NULL;
    }
    if (r == 0)                 /* shrank while reading: take what is there */
      break;
    done += r;
  }
  close (fd);
  text[done] = '\0';
  *len = done;
  return text;
}

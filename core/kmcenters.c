/* gst-kmeans core: initial centers from a text file. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "kmprivate.h"

static gboolean
is_separator (gchar c)
{
  return c == ',' || g_ascii_isspace (c);
}

/* Parses one line (comment already cut) into @values; returns the number
 * of values, or -1 with @error set. */
static gint64
parse_line (gchar * line, guint lineno, const gchar * path, GArray * values,
    GError ** error)
{
  gchar *p = line;
  gint64 count = 0;

  for (;;) {
    gboolean comma = FALSE;
    gchar *end;
    gdouble v;

    /* At most one comma between two values; white space anywhere. */
    while (*p != '\0' && is_separator (*p)) {
      if (*p == ',') {
        if (comma || count == 0)
          goto empty_field;
        comma = TRUE;
      }
      p++;
    }
    if (*p == '\0') {
      if (comma)
        goto empty_field;
      return count;
    }
    if (count > 0 && !comma && !g_ascii_isspace (p[-1]))
      goto bad_value;
    errno = 0;
    v = g_ascii_strtod (p, &end);
    if (end == p || (*end != '\0' && !is_separator (*end)))
      goto bad_value;
    if (!isfinite (v) || !isfinite ((gfloat) v)) {
      g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
          "%s:%u: value %.*s is not a finite float", path, lineno,
          (gint) (end - p), p);
      return -1;
    }
    {
      gfloat f = (gfloat) v;

      g_array_append_val (values, f);
    }
    count++;
    p = end;
  }

empty_field:
  g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
      "%s:%u: empty value between commas", path, lineno);
  return -1;
bad_value:
  {
    gsize len = strcspn (p, ", \t\r\n");

    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "%s:%u: '%.*s' is not a number", path, lineno, (gint) MIN (len, 40), p);
  }
  return -1;
}

static gboolean
check_row (gint64 width, guint64 * d, guint rows, guint lineno,
    const gchar * path, GError ** error)
{
  if (rows == 0) {
    if (width > KM_MAX_DIMENSIONS) {
      g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
          "%s:%u: %" G_GINT64_FORMAT " values, above the limit of %u "
          "dimensions", path, lineno, width, KM_MAX_DIMENSIONS);
      return FALSE;
    }
    *d = width;
    return TRUE;
  }
  if ((guint64) width != *d) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "%s:%u: %" G_GINT64_FORMAT " values but the first center has %"
        G_GUINT64_FORMAT, path, lineno, width, *d);
    return FALSE;
  }
  if (rows >= KM_MAX_CLUSTERS || (guint64) (rows + 1) * *d >
      KM_MAX_MODEL_FLOATS) {
    g_set_error (error, KM_ERROR, KM_ERROR_TOO_LARGE,
        "%s:%u: too many centers (limit %u clusters, %" G_GUINT64_FORMAT
        " values)", path, lineno, KM_MAX_CLUSTERS,
        (guint64) KM_MAX_MODEL_FLOATS);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_centers (gchar * text, const gchar * path, GArray * values, guint * k,
    guint * d, GError ** error)
{
  gchar *line = text;
  guint lineno = 0, rows = 0;
  guint64 width = 0;

  while (line != NULL) {
    gchar *next = strchr (line, '\n');
    gchar *hash;
    gint64 n;

    if (next != NULL)
      *next++ = '\0';
    lineno++;
    hash = strchr (line, '#');
    if (hash != NULL)
      *hash = '\0';
    n = parse_line (line, lineno, path, values, error);
    if (n < 0)
      return FALSE;
    if (n > 0) {
      if (!check_row (n, &width, rows, lineno, path, error))
        return FALSE;
      rows++;
    }
    line = next;
  }
  if (rows == 0) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "%s: no centers in file", path);
    return FALSE;
  }
  *k = rows;
  *d = (guint) width;
  return TRUE;
}

gfloat *
km_centers_parse_text (gchar * text, gsize len, const gchar * path,
    guint * k, guint * d, GError ** error)
{
  GArray *values;

  if (strlen (text) != len) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "%s: contains a NUL byte, not a text file", path);
    return NULL;
  }
  values = g_array_new (FALSE, FALSE, sizeof (gfloat));
  if (!parse_centers (text, path, values, k, d, error)) {
    g_array_free (values, TRUE);
    return NULL;
  }
  return (gfloat *) g_array_free (values, FALSE);
}

gfloat *
km_centers_load_text (const gchar * path, guint * k, guint * d, GError ** error)
{
  gchar *text = NULL;
  gsize len = 0;
  GError *err = NULL;
  gfloat *centers;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (k != NULL && d != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  text = km_file_read_text (path, &len, &err);
  if (text == NULL) {
    g_set_error (error, KM_ERROR, KM_ERROR_INVALID_ARGUMENT,
        "cannot read centers file: %s", err->message);
    g_error_free (err);
    return NULL;
  }
  centers = km_centers_parse_text (text, len, path, k, d, error);
  g_free (text);
  return centers;
}

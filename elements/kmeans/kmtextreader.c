/* gst-kmeans: what kmeans-parse's text readers share.  See kmtextreader.h.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <stdarg.h>
#include <string.h>

#include "kmeans.h"
#include "kmtextreader.h"

/* Longest reason handed to a sink, as the element's messages always had. */
#define MAX_REASON_LENGTH 255

GQuark
km_text_reader_error_quark (void)
{
  return g_quark_from_static_string ("km-text-reader-error-quark");
}

void
km_columns_clear (KmColumns * cols)
{
  g_free (cols->index);
  g_strfreev (cols->names);
  memset (cols, 0, sizeof (*cols));
}

static gboolean
is_column_index (const gchar * token, guint * index)
{
  guint64 v;

  if (!g_ascii_isdigit (token[0]))
    return FALSE;
  if (!g_ascii_string_to_unsigned (token, 10, 0, G_MAXINT, &v, NULL))
    return FALSE;
  *index = (guint) v;
  return TRUE;
}

/* Parses a column list: all indices or all names. */
gboolean
km_columns_parse (KmColumns * cols, const gchar * spec, GError ** error)
{
  gchar **tokens;
  guint i, n, names = 0;

  km_columns_clear (cols);
  if (spec == NULL || spec[0] == '\0')
    return TRUE;

  tokens = g_strsplit (spec, ",", -1);
  n = g_strv_length (tokens);
  if (n > KM_MAX_DIMENSIONS) {
    g_set_error (error, KM_TEXT_READER_ERROR, KM_TEXT_READER_ERROR_SETTINGS,
        "columns lists %u columns, more than %u", n, KM_MAX_DIMENSIONS);
    g_strfreev (tokens);
    return FALSE;
  }
  cols->n = n;
  cols->index = g_new0 (guint, n);
  for (i = 0; i < n; i++) {
    g_strstrip (tokens[i]);
    if (tokens[i][0] == '\0') {
      g_set_error (error, KM_TEXT_READER_ERROR, KM_TEXT_READER_ERROR_SETTINGS,
          "columns \"%s\": entry %u is empty", spec, i + 1);
      goto fail;
    }
    if (!is_column_index (tokens[i], &cols->index[i]))
      names++;
  }
  if (names > 0 && names < n) {
    g_set_error (error, KM_TEXT_READER_ERROR, KM_TEXT_READER_ERROR_SETTINGS,
        "columns \"%s\" mixes indices and names; use one or the other", spec);
    goto fail;
  }
  if (names > 0)
    cols->names = tokens;
  else
    g_strfreev (tokens);
  cols->resolved = names == 0;
  return TRUE;

fail:
  g_strfreev (tokens);
  km_columns_clear (cols);
  return FALSE;
}

gboolean
km_point_sink_malformed (const KmPointSink * sink, const gchar * format, ...)
{
  gchar reason[MAX_REASON_LENGTH + 1];
  const gchar *end;
  va_list args;

  va_start (args, format);
  g_vsnprintf (reason, sizeof (reason), format, args);
  va_end (args);
  /* The cut may split a character (json-glib quotes the text it met),
   * and GStreamer drops a message's debug text that is not UTF-8. */
  if (!g_utf8_validate (reason, -1, &end))
    *(gchar *) end = '\0';
  return sink->malformed (reason, sink->user_data);
}

void
km_point_sink_log (const KmPointSink * sink, GLogLevelFlags level,
    const gchar * format, ...)
{
  gchar *message;
  va_list args;

  if (sink->log == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  sink->log (level, message, sink->user_data);
  g_free (message);
}

KmPointVerdict
km_point_sink_point (const KmPointSink * sink, const gdouble * values,
    guint width)
{
  return sink->point (values, width, sink->user_data);
}

gsize
km_text_bom_length (const gchar * text, gsize len)
{
  return len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

gboolean
km_text_is_blank (const gchar * text, gsize len, gsize * first)
{
  gsize i;

  for (i = 0; i < len; i++) {
    if (!g_ascii_isspace (text[i])) {
      *first = i;
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
km_text_is_one_line (const gchar * text, gsize len)
{
  const gchar *nl;
  gsize first = 0, next;

  km_text_is_blank (text, len, &first);
  nl = memchr (text + first, '\n', len - first);
  if (nl == NULL)
    return TRUE;
  next = nl - text + 1;
  return km_text_is_blank (text + next, len - next, &first);
}

gboolean
km_text_opens_json (gchar first)
{
  return first == '[' || first == '{';
}

void
km_row_ensure (KmRow * row, guint n)
{
  if (n <= row->alloc)
    return;
  row->alloc = MAX (n, 2 * row->alloc);
  row->values = g_renew (gdouble, row->values, row->alloc);
  row->index = g_renew (guint, row->index, row->alloc);
}

void
km_row_clear (KmRow * row)
{
  g_free (row->values);
  g_free (row->index);
  memset (row, 0, sizeof (*row));
}

/* gst-kmeans: kmeans-parse's CSV reader.  See kmcsvreader.h.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <string.h>

#include "kmcsvreader.h"

/* Longest CSV field read as a number. */
#define MAX_NUMBER_LENGTH 255

typedef struct
{
  guint start;
  guint len;
} Span;

typedef enum
{
  HEADER_EXPECTED,              /* the next line may be one */
  HEADER_EXPECTED_ALONE,        /* ... and is a message by itself */
  HEADER_DONE
} HeaderState;

struct _KmCsvReader
{
  KmColumns *cols;
  gchar delimiter;
  KmCsvHeader header;
  KmPointSink sink;
  HeaderState header_state;
  GArray *spans;                /* fields of the current line */
  KmRow row;                    /* values of the current point */
};

KmCsvReader *
km_csv_reader_new (KmColumns * columns, gchar delimiter, KmCsvHeader header,
    const KmPointSink * sink)
{
  KmCsvReader *reader = g_new0 (KmCsvReader, 1);

  reader->cols = columns;
  reader->delimiter = delimiter;
  reader->header = header;
  reader->sink = *sink;
  reader->header_state = HEADER_EXPECTED;
  reader->spans = g_array_new (FALSE, FALSE, sizeof (Span));
  return reader;
}

void
km_csv_reader_free (KmCsvReader * reader)
{
  if (reader == NULL)
    return;
  g_array_unref (reader->spans);
  km_row_clear (&reader->row);
  g_free (reader);
}

void
km_csv_reader_expect_header (KmCsvReader * reader)
{
  reader->header_state = HEADER_EXPECTED;
}

void
km_csv_reader_expect_lone_line (KmCsvReader * reader)
{
  reader->header_state = HEADER_EXPECTED_ALONE;
}

gboolean
km_csv_delimiter_from_string (const gchar * str, gchar * delimiter)
{
  if (g_strcmp0 (str, "\\t") == 0 || g_strcmp0 (str, "tab") == 0) {
    *delimiter = '\t';
    return TRUE;
  }
  if (str == NULL || strlen (str) != 1 || str[0] == '"')
    return FALSE;
  if (!g_ascii_isprint (str[0]) && str[0] != '\t')
    return FALSE;
  *delimiter = str[0];
  return TRUE;
}

/* Copies up to 24 bytes of @text for a reason, printable ASCII only. */
static const gchar *
excerpt (const gchar * text, gsize len, gchar buf[32])
{
  gsize i, n = MIN (len, 24);

  for (i = 0; i < n; i++)
    buf[i] = g_ascii_isprint (text[i]) ? text[i] : '?';
  if (len > n) {
    memcpy (buf + n, "...", 3);
    n += 3;
  }
  buf[n] = '\0';
  return buf;
}

static gboolean
is_blank (gchar c)
{
  return c == ' ' || c == '\t';
}

/* Splits @line into field spans (quotes removed, blanks trimmed).  FALSE
 * on an unterminated quote or text after a closing quote. */
static gboolean
split_csv (const gchar * line, guint len, gchar delim, GArray * spans)
{
  guint i = 0;

  g_array_set_size (spans, 0);
  while (TRUE) {
    Span f;

    while (i < len && is_blank (line[i]) && line[i] != delim)
      i++;
    if (i < len && line[i] == '"') {
      guint j = i + 1;

      while (TRUE) {
        if (j >= len)
          return FALSE;
        if (line[j] == '"') {
          if (j + 1 < len && line[j + 1] == '"') {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      f.start = i + 1;
      f.len = j - f.start;
      i = j + 1;
      while (i < len && is_blank (line[i]) && line[i] != delim)
        i++;
      if (i < len && line[i] != delim)
        return FALSE;
    } else {
      guint j = i;

      while (j < len && line[j] != delim)
        j++;
      f.start = i;
      f.len = j - i;
      while (f.len > 0 && is_blank (line[f.start + f.len - 1])
          && line[f.start + f.len - 1] != delim)
        f.len--;
      i = j;
    }
    g_array_append_val (spans, f);
    if (i >= len)
      return TRUE;
    i++;                        /* the delimiter */
  }
}

/* Reads a whole field as a number (any double, NaN and Inf included). */
static gboolean
parse_number (const gchar * text, guint len, gdouble * value)
{
  gchar buf[MAX_NUMBER_LENGTH + 1];
  gchar *end;

  if (len == 0 || len > MAX_NUMBER_LENGTH)
    return FALSE;
  memcpy (buf, text, len);
  buf[len] = '\0';
  *value = g_ascii_strtod (buf, &end);
  return end == buf + len && end != buf;
}

static gboolean
span_number (const gchar * line, const Span * f, gdouble * value)
{
  return parse_number (line + f->start, f->len, value);
}

/* Compares a field, "" standing for one quote, with @name. */
static gboolean
span_equals (const gchar * line, const Span * f, const gchar * name)
{
  guint i = 0;
  const gchar *p = line + f->start;

  while (i < f->len) {
    if (*name == '\0' || p[i] != *name)
      return FALSE;
    i += (p[i] == '"' && i + 1 < f->len && p[i + 1] == '"') ? 2 : 1;
    name++;
  }
  return *name == '\0';
}

static gboolean
line_has_number (const gchar * line, GArray * spans)
{
  guint i;
  gdouble v;

  for (i = 0; i < spans->len; i++) {
    if (span_number (line, &g_array_index (spans, Span, i), &v))
      return TRUE;
  }
  return FALSE;
}

/* A header line: resolves column names against it. */
static gboolean
read_header (KmCsvReader * reader, const gchar * line)
{
  KmColumns *cols = reader->cols;
  guint i, j;

  km_point_sink_log (&reader->sink, G_LOG_LEVEL_DEBUG,
      "header line with %u fields", reader->spans->len);
  if (cols->names == NULL)
    return TRUE;

  cols->resolved = FALSE;
  for (i = 0; i < cols->n; i++) {
    for (j = 0; j < reader->spans->len; j++) {
      if (span_equals (line, &g_array_index (reader->spans, Span, j),
              cols->names[i]))
        break;
    }
    if (j == reader->spans->len)
      return km_point_sink_malformed (&reader->sink,
          "the header has no column \"%s\"", cols->names[i]);
    cols->index[i] = j;
  }
  cols->resolved = TRUE;
  return TRUE;
}

/* Every numeric field, while the columns are not chosen yet. */
static guint
numeric_fields (KmCsvReader * reader, const gchar * line)
{
  KmRow *row = &reader->row;
  guint j, width = 0;

  km_row_ensure (row, reader->spans->len);
  for (j = 0; j < reader->spans->len; j++) {
    if (span_number (line, &g_array_index (reader->spans, Span, j),
            &row->values[width]))
      row->index[width++] = j;
  }
  return width;
}

static void
fix_automatic_columns (KmCsvReader * reader, guint width, guint fields)
{
  KmColumns *cols = reader->cols;

  cols->n = width;
  cols->index = g_memdup2 (reader->row.index, width * sizeof (guint));
  cols->resolved = TRUE;
  cols->automatic = TRUE;
  cols->fields = fields;
  km_point_sink_log (&reader->sink, G_LOG_LEVEL_INFO,
      "using the %u numeric columns of %u", width, fields);
}

/* The first data line, with no columns chosen: its numeric fields, which
 * become the columns once the sink accepts the point. */
static gboolean
read_automatic_point (KmCsvReader * reader, const gchar * line)
{
  guint width = numeric_fields (reader, line);
  KmPointVerdict verdict;

  if (width == 0)
    return km_point_sink_malformed (&reader->sink, "no field is a number");
  verdict = km_point_sink_point (&reader->sink, reader->row.values, width);
  if (verdict == KM_POINT_ACCEPTED)
    fix_automatic_columns (reader, width, reader->spans->len);
  return verdict != KM_POINT_STOP;
}

static gboolean
read_point (KmCsvReader * reader, const gchar * line)
{
  KmColumns *cols = reader->cols;
  guint nf = reader->spans->len, i;
  gchar buf[32];

  if (cols->names != NULL && !cols->resolved)
    return km_point_sink_malformed (&reader->sink,
        "no header line names the columns");
  if (cols->n == 0)
    return read_automatic_point (reader, line);

  if (cols->automatic && nf != cols->fields)
    return km_point_sink_malformed (&reader->sink, "the line has %u fields, "
        "the first one had %u", nf, cols->fields);
  km_row_ensure (&reader->row, cols->n);
  for (i = 0; i < cols->n; i++) {
    const Span *f;

    if (cols->index[i] >= nf)
      return km_point_sink_malformed (&reader->sink, "the line has %u "
          "fields, column %u is missing", nf, cols->index[i]);
    f = &g_array_index (reader->spans, Span, cols->index[i]);
    if (!span_number (line, f, &reader->row.values[i]))
      return km_point_sink_malformed (&reader->sink, "column %u (\"%s\") is "
          "not a number", cols->index[i], excerpt (line + f->start, f->len,
              buf));
  }
  return km_point_sink_point (&reader->sink, reader->row.values,
      cols->n) != KM_POINT_STOP;
}

/* Whether the line after km_csv_reader_expect_header() is a header. */
static gboolean
is_header (KmCsvReader * reader, const gchar * line)
{
  switch (reader->header) {
    case KM_CSV_HEADER_PRESENT:
      return TRUE;
    case KM_CSV_HEADER_ABSENT:
      return FALSE;
    default:
      return !line_has_number (line, reader->spans);
  }
}

gboolean
km_csv_reader_read_line (KmCsvReader * reader, const gchar * line, guint len)
{
  if (!g_utf8_validate_len (line, len, NULL))
    return km_point_sink_malformed (&reader->sink,
        "the line is not valid UTF-8 text");
  if (!split_csv (line, len, reader->delimiter, reader->spans))
    return km_point_sink_malformed (&reader->sink, "unbalanced double quotes");

  if (reader->header_state != HEADER_DONE) {
    gboolean alone = reader->header_state == HEADER_EXPECTED_ALONE;

    reader->header_state = HEADER_DONE;
    if (!is_header (reader, line))
      return read_point (reader, line);
    /* header=auto guessed a header, but nothing follows it that it
     * could be the header of. */
    if (alone && reader->header == KM_CSV_HEADER_AUTO
        && reader->cols->names == NULL)
      return km_point_sink_malformed (&reader->sink, "the message is one "
          "line and none of its fields is a number (a header with no "
          "points after it?)");
    return read_header (reader, line);
  }
  return read_point (reader, line);
}

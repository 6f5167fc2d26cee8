/* gst-kmeans: kmeans-parse's CSV reader, free of GStreamer.
 *
 * Reads one CSV line at a time into points (see kmtextreader.h for the
 * sink and the columns).  Fields are separated by one delimiter and may
 * be enclosed in double quotes (`""` inside quotes is one quote; a quoted
 * field cannot span lines); blanks around fields are ignored; numbers are
 * read in the C locale, at most 255 characters.  The first line after
 * km_csv_reader_expect_header() may be a header naming the columns.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __KM_CSV_READER_H__
#define __KM_CSV_READER_H__

#include <glib.h>

#include "kmtextreader.h"

G_BEGIN_DECLS

typedef enum
{
  KM_CSV_HEADER_AUTO,           /* a header when none of its fields is a number */
  KM_CSV_HEADER_PRESENT,
  KM_CSV_HEADER_ABSENT
} KmCsvHeader;

typedef struct _KmCsvReader KmCsvReader;

/* A reader picking @columns (borrowed: it must outlive the reader, which
 * resolves names and fixes automatic columns in it) from fields cut at
 * @delimiter, giving what it reads to @sink (copied).  It expects a
 * header line first. */
KmCsvReader *km_csv_reader_new (KmColumns * columns, gchar delimiter,
    KmCsvHeader header, const KmPointSink * sink);
void km_csv_reader_free (KmCsvReader * reader);

/* The next line may be a header again (a new message or stream). */
void km_csv_reader_expect_header (KmCsvReader * reader);

/* The same for a message of a single line: with KM_CSV_HEADER_AUTO a line
 * without numbers is then a header only when the columns are names (it
 * names them for the messages to come); otherwise it is malformed, a
 * header with no points after it, rather than dropped unseen. */
void km_csv_reader_expect_lone_line (KmCsvReader * reader);

/* Reads one non-blank line of @len bytes, without its line ending: a
 * header, one point, or one malformed record.  FALSE when the sink said
 * stop. */
gboolean km_csv_reader_read_line (KmCsvReader * reader, const gchar * line,
    guint len);

/* The delimiter @str names: one printable ASCII character other than a
 * double quote, a tab, or "\t" or "tab" for a tab.  FALSE if none. */
gboolean km_csv_delimiter_from_string (const gchar * str, gchar * delimiter);

G_END_DECLS

#endif /* __KM_CSV_READER_H__ */

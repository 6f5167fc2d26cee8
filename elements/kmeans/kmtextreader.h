/* gst-kmeans: what kmeans-parse's text readers share, free of GStreamer.
 *
 * kmcsvreader.h reads CSV lines, kmjsonreader.h JSON documents.  Both
 * choose a point's coordinates by the same KmColumns and hand what they
 * find to a KmPointSink: every point, whatever its width or values (the
 * caller decides whether it fits its stream), and every malformed record
 * with the reason.  Framing text into records, counting records and the
 * bad-input policy are the caller's.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __KM_TEXT_READER_H__
#define __KM_TEXT_READER_H__

#include <glib.h>

G_BEGIN_DECLS

#define KM_TEXT_READER_ERROR (km_text_reader_error_quark ())
GQuark km_text_reader_error_quark (void);

typedef enum
{
  KM_TEXT_READER_ERROR_SETTINGS /* a column list that cannot be used */
} KmTextReaderError;

/* The columns a point is made of.  The CSV reader resolves names against
 * each header line and fixes automatic columns from the first accepted
 * line; the JSON reader only reads it. */
typedef struct
{
  guint n;                      /* columns chosen; 0 = every (numeric) one */
  guint *index;                 /* n field indices, valid when resolved */
  gchar **names;                /* n names when chosen by name, else NULL */
  gboolean resolved;            /* index[] can be used */
  gboolean automatic;           /* chosen from the first accepted CSV line */
  guint fields;                 /* automatic: that line's field count */
} KmColumns;

gboolean km_columns_parse (KmColumns * cols, const gchar * spec,
    GError ** error);
void km_columns_clear (KmColumns * cols);

/* What the sink made of a point. */
typedef enum
{
  KM_POINT_ACCEPTED,
  KM_POINT_REFUSED,             /* the sink reported it; reading goes on */
  KM_POINT_STOP                 /* reading stops here */
} KmPointVerdict;

/* Where a reader's findings go.  @point gets @width values (@width may
 * be 0 for an empty JSON point); @malformed gets the reason a record or
 * one point of it is malformed, and returns FALSE to stop reading.
 * @log, optional, gets what a reader learnt (a header line, automatic
 * columns) at G_LOG_LEVEL_DEBUG or G_LOG_LEVEL_INFO.  Once the sink said
 * stop, the reader calls nothing more for that record. */
typedef struct
{
  KmPointVerdict (*point) (const gdouble * values, guint width,
      gpointer user_data);
  gboolean (*malformed) (const gchar * reason, gpointer user_data);
  void (*log) (GLogLevelFlags level, const gchar * message,
      gpointer user_data);
  gpointer user_data;
} KmPointSink;

/* For the readers: the reason, printf-style and cut to 255 bytes (at a
 * character boundary: it stays UTF-8), to @sink's malformed().  Returns
 * what it returned. */
gboolean km_point_sink_malformed (const KmPointSink * sink,
    const gchar * format, ...) G_GNUC_PRINTF (2, 3);

/* For the readers: a message to @sink's log(), if it has one. */
void km_point_sink_log (const KmPointSink * sink, GLogLevelFlags level,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

/* For the readers: @values to @sink's point(). */
KmPointVerdict km_point_sink_point (const KmPointSink * sink,
    const gdouble * values, guint width);

/* The length of the UTF-8 byte-order mark @text (@len bytes) begins with:
 * 3, or 0 when it has none.  Framing strips one at the start of a stream
 * or message; the readers would take it for text. */
gsize km_text_bom_length (const gchar * text, gsize len);

/* For framing (kmeans-parse and its fuzz harness cut text alike): whether
 * @text (@len bytes) is all ASCII white space, else *@first is where the
 * rest begins. */
gboolean km_text_is_blank (const gchar * text, gsize len, gsize * first);

/* Whether the non-blank @text (@len bytes) holds one non-blank line. */
gboolean km_text_is_one_line (const gchar * text, gsize len);

/* Whether a record whose first non-blank byte is @first is JSON (format
 * auto): it opens with [ or {. */
gboolean km_text_opens_json (gchar first);

/* A growing array of values for the point being read. */
typedef struct
{
  gdouble *values;
  guint *index;                 /* where each value came from (CSV) */
  guint alloc;
} KmRow;

void km_row_ensure (KmRow * row, guint n);
void km_row_clear (KmRow * row);

G_END_DECLS

#endif /* __KM_TEXT_READER_H__ */

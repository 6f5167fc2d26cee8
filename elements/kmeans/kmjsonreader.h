/* gst-kmeans: kmeans-parse's JSON reader, free of GStreamer (json-glib).
 *
 * Reads one JSON document at a time into points (see kmtextreader.h for
 * the sink and the columns).  A document is one point, an array of
 * numbers (`[0.5, 1.5]`); several points, an array of arrays; an object
 * whose member @field holds one point or an array of points; or an array
 * of such objects.  With columns given as indices a point is made of
 * those elements of each array; given as names, of those members of each
 * object.  In a list of points each point is a record of its own.
 *
 * Before json-glib sees a document it is checked for what json-glib
 * cannot be trusted with: nesting beyond 32 levels (it recurses),
 * integers beyond 18 digits (it wraps them silently), more than one
 * top-level value (it ignores the rest) and more values than the reader's
 * max-values; such documents are malformed.
 *
 * json-glib builds a tree of about 100 bytes a value, so a large document
 * is never given to it whole: an array or object larger than the parse
 * limit (64 KiB) is walked as text (kmjsonscan.h) and json-glib parses one
 * member at a time, so memory stays near the size of the text.  Such a
 * document is first checked to be valid (the points before a syntax error
 * are not read), as a small one is by being parsed whole.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __KM_JSON_READER_H__
#define __KM_JSON_READER_H__

#include <glib.h>

#include "kmtextreader.h"

G_BEGIN_DECLS

typedef struct _KmJsonReader KmJsonReader;

/* A reader picking @columns (borrowed: it must outlive the reader) from
 * the points of each document, found in member @field (copied; NULL or
 * empty: objects are malformed unless columns are names), giving what it
 * reads to @sink (copied). */
KmJsonReader *km_json_reader_new (const KmColumns * columns,
    const gchar * field, const KmPointSink * sink);
void km_json_reader_free (KmJsonReader * reader);

/* The most values (numbers, strings, true, false, null, arrays and objects)
 * a document may hold; more is malformed.  Default
 * KM_JSON_READER_DEFAULT_MAX_VALUES. */
#define KM_JSON_READER_DEFAULT_MAX_VALUES (1u << 25)
void km_json_reader_set_max_values (KmJsonReader * reader, guint max_values);

/* For tests: arrays and objects larger than @bytes are walked rather than
 * parsed whole (default KM_JSON_READER_DEFAULT_PARSE_LIMIT); 0 walks every
 * one. */
#define KM_JSON_READER_DEFAULT_PARSE_LIMIT (64 * 1024)
void km_json_reader_set_parse_limit (KmJsonReader * reader, gsize bytes);

/* Reads one document of @len bytes: its points and malformed records,
 * or nothing when it holds no point.  FALSE when the sink said stop. */
gboolean km_json_reader_read (KmJsonReader * reader, const gchar * text,
    gsize len);

G_END_DECLS

#endif /* __KM_JSON_READER_H__ */

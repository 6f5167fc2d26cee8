/* gst-kmeans: JSON text as kmeans-parse's JSON reader sees it before (and
 * instead of) json-glib, free of json-glib and GStreamer.
 *
 * json-glib builds a whole document as a tree, about 100 bytes a value, so
 * kmjsonreader.c never hands it a large container: it walks the text of
 * one with KmJsonWalk, member by member, and gives json-glib only members
 * small enough (or scalars).  km_json_prescan() checks a document for what
 * json-glib cannot be trusted with and counts its values;
 * km_json_is_strict() tells whether it is plain RFC 8259 JSON, whose
 * members json-glib is sure to accept.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __KM_JSON_SCAN_H__
#define __KM_JSON_SCAN_H__

#include <glib.h>

G_BEGIN_DECLS

/* Nesting json-glib may see: it recurses per level and would overflow the
 * stack on a few hundred thousand brackets.  Our forms need 4. */
#define KM_JSON_MAX_DEPTH 32
/* json-glib wraps integers beyond int64 silently; they are refused. */
#define KM_JSON_MAX_INTEGER_DIGITS 18

/* Bytes [start, end) of a document's text. */
typedef struct
{
  gsize start;
  gsize end;
} KmJsonSpan;

typedef enum
{
  KM_JSON_SCALAR,               /* anything that does not open with [ or { */
  KM_JSON_ARRAY,
  KM_JSON_OBJECT
} KmJsonKind;

/* Checks @text before anything parses it: nesting beyond
 * KM_JSON_MAX_DEPTH, integers beyond KM_JSON_MAX_INTEGER_DIGITS, anything
 * but one array or object at the top level, unbalanced brackets, an
 * unterminated string.  Returns NULL when it may be parsed, with
 * *@values set to the number of its values (every number, string, true,
 * false, null, array and object; not the keys), else the reason. */
const gchar *km_json_prescan (const gchar * text, gsize len, guint64 * values);

/* Whether @text, which passed km_json_prescan(), is one JSON value exactly
 * as RFC 8259 writes it (no comments, single quotes, hexadecimal or other
 * json-glib extensions; strings without raw control characters or lone
 * surrogates). */
gboolean km_json_is_strict (const gchar * text, gsize len);

/* What @span of @text holds, from its first character after blanks. */
KmJsonKind km_json_kind (const gchar * text, KmJsonSpan span);

/* Whether @span holds only JSON blanks (space, tab, CR, LF). */
gboolean km_json_is_blank (const gchar * text, KmJsonSpan span);

/* The members of one array or object, in order, as text.  The walk checks
 * what lies between them (commas, colons, brackets, one value each); the
 * members themselves are the caller's to parse. */
typedef struct
{
  const gchar *text;
  gsize pos;                    /* where the next member begins */
  gsize end;                    /* end of the container's span */
  gchar close;                  /* ] or } */
  guint count;                  /* members given so far */
  gboolean done;
  const gchar *error;           /* why the walk stopped, or NULL */
  gsize error_pos;              /* where, as a byte offset in text */
} KmJsonWalk;

/* Starts a walk of the container @span holds (blanks around it allowed),
 * which must be of kind KM_JSON_ARRAY or KM_JSON_OBJECT. */
void km_json_walk_begin (KmJsonWalk * walk, const gchar * text,
    KmJsonSpan span);

/* The next member: its @value, and for an object its @key (the text
 * before the colon).  FALSE at the end, or on an error (walk->error). */
gboolean km_json_walk_next (KmJsonWalk * walk, KmJsonSpan * key,
    KmJsonSpan * value);

/* Line and column (from 1, in bytes) of byte @pos of @text. */
void km_json_position (const gchar * text, gsize pos, guint * line,
    guint * column);

G_END_DECLS

#endif /* __KM_JSON_SCAN_H__ */

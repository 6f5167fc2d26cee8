/* gst-kmeans: JSON text before json-glib.  See kmjsonscan.h.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <string.h>

#include "kmjsonscan.h"

/* JSON's blanks: json-glib skips the same four. */
static gboolean
is_blank (gchar c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

gboolean
km_json_is_blank (const gchar * text, KmJsonSpan span)
{
  gsize i;

  for (i = span.start; i < span.end; i++) {
    if (!is_blank (text[i]))
      return FALSE;
  }
  return TRUE;
}

KmJsonKind
km_json_kind (const gchar * text, KmJsonSpan span)
{
  gsize i = span.start;

  while (i < span.end && is_blank (text[i]))
    i++;
  if (i < span.end && text[i] == '[')
    return KM_JSON_ARRAY;
  if (i < span.end && text[i] == '{')
    return KM_JSON_OBJECT;
  return KM_JSON_SCALAR;
}

void
km_json_position (const gchar * text, gsize pos, guint * line, guint * column)
{
  gsize i, line_start = 0;
  guint n = 1;

  for (i = 0; i < pos; i++) {
    if (text[i] == '\n') {
      n++;
      line_start = i + 1;
    }
  }
  *line = n;
  *column = (guint) (pos - line_start + 1);
}

/* Skips the string opening at *@i; *@i ends on its closing quote.  FALSE
 * when it has none before @len. */
static gboolean
skip_string (const gchar * text, gsize len, gsize * i)
{
  gsize j;

  for (j = *i + 1; j < len && text[j] != '"'; j++) {
    if (text[j] == '\\')
      j++;
  }
  *i = j;
  return j < len;
}

/* --------------------------------------------------------------- prescan */

/* Skips a number starting at @i; *@i ends on its last character.  FALSE
 * for an integer with more digits than json-glib keeps exactly. */
static gboolean
skip_number (const gchar * text, gsize len, gsize * i)
{
  guint digits = 0;
  gboolean integer = TRUE;
  gsize j = *i;

  if (text[j] == '-')
    j++;
  for (; j < len; j++) {
    if (g_ascii_isdigit (text[j])) {
      digits += integer;
    } else if (text[j] == '.' || text[j] == 'e' || text[j] == 'E') {
      integer = FALSE;
    } else if (!(text[j] == '+' || text[j] == '-') || integer) {
      break;
    }
  }
  *i = j - 1;
  return !integer || digits <= KM_JSON_MAX_INTEGER_DIGITS;
}

/* Whether the string ending at @i is an object key. */
static gboolean
followed_by_colon (const gchar * text, gsize len, gsize i)
{
  for (i++; i < len && is_blank (text[i]); i++);
  return i < len && text[i] == ':';
}

const gchar *
km_json_prescan (const gchar * text, gsize len, guint64 * values)
{
  guint depth = 0, top = 0;
  gboolean in_token = FALSE;
  guint64 n = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    gchar c = text[i];

    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        in_token = FALSE;
        break;
      case '"':
        if (depth == 0)
          return "the document is not a JSON array or object";
        if (!skip_string (text, len, &i))
          return "unterminated JSON string";
        n += !followed_by_colon (text, len, i);
        in_token = FALSE;
        break;
      case '[':
      case '{':
        if (depth == 0 && ++top > 1)
          return "more than one JSON value in one record";
        if (++depth > KM_JSON_MAX_DEPTH)
          return "JSON nested more than 32 levels deep";
        n++;
        in_token = FALSE;
        break;
      case ']':
      case '}':
        if (depth == 0)
          return "unbalanced JSON brackets";
        depth--;
        in_token = FALSE;
        break;
      case ',':
      case ':':
        if (depth == 0)
          return "the document is not a JSON array or object";
        in_token = FALSE;
        break;
      default:
        if (depth == 0)
          return "the document is not a JSON array or object";
        /* A number, true, false, null (or what json-glib may make of
         * other words). */
        n += !in_token;
        in_token = TRUE;
        if ((c == '-' || g_ascii_isdigit (c)) && !skip_number (text, len, &i))
          return "JSON integer with more than 18 digits (use an exponent)";
        break;
    }
  }
  *values = n;
  return NULL;
}

/* ---------------------------------------------------------- strict JSON */

typedef struct
{
  const gchar *p;
  const gchar *end;
} Cursor;

static void
skip_blanks (Cursor * c)
{
  while (c->p < c->end && is_blank (*c->p))
    c->p++;
}

static gboolean
at (Cursor * c, gchar ch)
{
  return c->p < c->end && *c->p == ch;
}

static gboolean
strict_digits (Cursor * c)
{
  const gchar *start = c->p;

  while (c->p < c->end && g_ascii_isdigit (*c->p))
    c->p++;
  return c->p > start;
}

static gboolean
strict_number (Cursor * c)
{
  if (at (c, '-'))
    c->p++;
  if (at (c, '0'))
    c->p++;
  else if (!strict_digits (c))
    return FALSE;
  if (at (c, '.')) {
    c->p++;
    if (!strict_digits (c))
      return FALSE;
  }
  if (at (c, 'e') || at (c, 'E')) {
    c->p++;
    if (at (c, '+') || at (c, '-'))
      c->p++;
    if (!strict_digits (c))
      return FALSE;
  }
  return TRUE;
}

static gboolean
strict_hex4 (Cursor * c, guint * v)
{
  guint i;

  if (c->end - c->p < 4)
    return FALSE;
  *v = 0;
  for (i = 0; i < 4; i++) {
    gint d = g_ascii_xdigit_value (c->p[i]);

    if (d < 0)
      return FALSE;
    *v = *v * 16 + d;
  }
  c->p += 4;
  return TRUE;
}

/* \uXXXX, a surrogate only as the first of a pair. */
static gboolean
strict_unicode_escape (Cursor * c)
{
  guint u, low;

  if (!strict_hex4 (c, &u) || (u >= 0xdc00 && u <= 0xdfff))
    return FALSE;
  if (u < 0xd800 || u > 0xdbff)
    return TRUE;
  if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
    return FALSE;
  c->p += 2;
  return strict_hex4 (c, &low) && low >= 0xdc00 && low <= 0xdfff;
}

static gboolean
strict_string (Cursor * c)
{
  if (!at (c, '"'))
    return FALSE;
  for (c->p++; c->p < c->end;) {
    guchar ch = *c->p++;

    if (ch == '"')
      return TRUE;
    if (ch < 0x20)
      return FALSE;
    if (ch != '\\')
      continue;
    if (c->p >= c->end)
      return FALSE;
    ch = *c->p++;
    if (ch == 'u') {
      if (!strict_unicode_escape (c))
        return FALSE;
    } else if (ch == '\0' || strchr ("\"\\/bfnrt", ch) == NULL) {
      return FALSE;
    }
  }
  return FALSE;
}

static gboolean
strict_word (Cursor * c, const gchar * word)
{
  gsize n = strlen (word);

  if ((gsize) (c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return FALSE;
  c->p += n;
  return TRUE;
}

static gboolean strict_value (Cursor * c, guint depth);

static gboolean
strict_container (Cursor * c, guint depth, gchar close)
{
  if (depth > KM_JSON_MAX_DEPTH)
    return FALSE;
  c->p++;
  skip_blanks (c);
  if (at (c, close)) {
    c->p++;
    return TRUE;
  }
  while (TRUE) {
    if (close == '}') {
      if (!strict_string (c))
        return FALSE;
      skip_blanks (c);
      if (!at (c, ':'))
        return FALSE;
      c->p++;
      skip_blanks (c);
    }
    if (!strict_value (c, depth))
      return FALSE;
    skip_blanks (c);
    if (at (c, close)) {
      c->p++;
      return TRUE;
    }
    if (!at (c, ','))
      return FALSE;
    c->p++;
    skip_blanks (c);
  }
}

static gboolean
strict_value (Cursor * c, guint depth)
{
  if (c->p >= c->end)
    return FALSE;
  switch (*c->p) {
    case '[':
      return strict_container (c, depth + 1, ']');
    case '{':
      return strict_container (c, depth + 1, '}');
    case '"':
      return strict_string (c);
    case 't':
      return strict_word (c, "true");
    case 'f':
      return strict_word (c, "false");
    case 'n':
      return strict_word (c, "null");
    default:
      return strict_number (c);
  }
}

gboolean
km_json_is_strict (const gchar * text, gsize len)
{
  Cursor c = { text, text + len };

  skip_blanks (&c);
  if (!strict_value (&c, 0))
    return FALSE;
  skip_blanks (&c);
  return c.p == c.end;
}

/* ----------------------------------------------------------------- walk */

void
km_json_walk_begin (KmJsonWalk * walk, const gchar * text, KmJsonSpan span)
{
  gsize i = span.start;

  while (i < span.end && is_blank (text[i]))
    i++;
  g_assert (i < span.end && (text[i] == '[' || text[i] == '{'));
  memset (walk, 0, sizeof (*walk));
  walk->text = text;
  walk->close = text[i] == '[' ? ']' : '}';
  walk->pos = i + 1;
  walk->end = span.end;
}

static gboolean
walk_fail (KmJsonWalk * walk, gsize pos, const gchar * error)
{
  walk->done = TRUE;
  walk->error = error;
  walk->error_pos = pos;
  return FALSE;
}

/* Where the member starting at walk->pos ends: the comma or closing
 * bracket after it, at depth 0.  Checks that its value is one container
 * or anything without brackets (json-glib would silently ignore a
 * container after a value); *@colon is the key's colon (objects). */
static gboolean
find_member_end (KmJsonWalk * walk, gsize * end, gsize * colon)
{
  const gchar *text = walk->text;
  gboolean object = walk->close == '}';
  gboolean in_key = object, seen = FALSE, closed = FALSE;
  guint depth = 0;
  gsize i;

  *colon = 0;
  for (i = walk->pos; i < walk->end; i++) {
    gchar c = text[i];

    if (c == '"') {
      if (!skip_string (text, walk->end, &i))
        return walk_fail (walk, walk->end, "unterminated string");
      if (depth == 0 && !in_key && closed)
        return walk_fail (walk, i, "expected a comma or the end of the "
            "container");
      seen = TRUE;
      continue;
    }
    if (depth > 0) {
      if (c == '[' || c == '{')
        depth++;
      else if ((c == ']' || c == '}') && --depth == 0)
        closed = TRUE;
      continue;
    }
    if (is_blank (c))
      continue;
    if (c == ',' || c == ']' || c == '}') {
      if (c != ',' && c != walk->close)
        return walk_fail (walk, i, "mismatched brackets");
      *end = i;
      return TRUE;
    }
    if (c == ':' && in_key) {
      in_key = FALSE;
      seen = FALSE;
      *colon = i;
      continue;
    }
    if (in_key && (c == '[' || c == '{'))
      return walk_fail (walk, i, seen ? "expected a colon after the key" :
          "an object key must be a string");
    if (closed || (seen && (c == '[' || c == '{')))
      return walk_fail (walk, i, "expected a comma or the end of the "
          "container");
    if (c == '[' || c == '{')
      depth = 1;
    seen = TRUE;
  }
  return walk_fail (walk, walk->end, "unexpected end of the document");
}

gboolean
km_json_walk_next (KmJsonWalk * walk, KmJsonSpan * key, KmJsonSpan * value)
{
  KmJsonSpan member, after;
  gsize end, colon;

  if (walk->done || !find_member_end (walk, &end, &colon))
    return FALSE;
  member.start = walk->pos;
  member.end = end;
  walk->pos = end + 1;
  if (walk->text[end] == walk->close) {
    walk->done = TRUE;
    after.start = end + 1;
    after.end = walk->end;
    if (!km_json_is_blank (walk->text, after))
      return walk_fail (walk, end + 1, "text after the end of the "
          "container");
    if (walk->count == 0 && km_json_is_blank (walk->text, member))
      return FALSE;
  }
  if (walk->close == '}') {
    if (colon == 0)
      return walk_fail (walk, end, "expected a colon after the key");
    key->start = member.start;
    key->end = colon;
    if (km_json_is_blank (walk->text, *key))
      return walk_fail (walk, colon, "expected a key before the colon");
    member.start = colon + 1;
  }
  if (km_json_is_blank (walk->text, member))
    return walk_fail (walk, end, "expected a value");
  *value = member;
  walk->count++;
  return TRUE;
}

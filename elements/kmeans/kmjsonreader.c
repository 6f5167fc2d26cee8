/* gst-kmeans: kmeans-parse's JSON reader.  See kmjsonreader.h.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <json-glib/json-glib.h>

#include "kmeans.h"
#include "kmjsonreader.h"

/* JSON nesting json-glib may see: it recurses per level and would overflow
 * the stack on a few hundred thousand brackets.  Our forms need 4. */
#define MAX_JSON_DEPTH 32
/* json-glib wraps integers beyond int64 silently; refuse them instead. */
#define MAX_JSON_INTEGER_DIGITS 18

struct _KmJsonReader
{
  const KmColumns *cols;
  gchar *field;
  KmPointSink sink;
  JsonParser *parser;
  KmRow row;                    /* values of the current point */
};

KmJsonReader *
km_json_reader_new (const KmColumns * columns, const gchar * field,
    const KmPointSink * sink)
{
  KmJsonReader *reader = g_new0 (KmJsonReader, 1);

  reader->cols = columns;
  reader->field = g_strdup (field);
  reader->sink = *sink;
  reader->parser = json_parser_new_immutable ();
  return reader;
}

void
km_json_reader_free (KmJsonReader * reader)
{
  if (reader == NULL)
    return;
  g_free (reader->field);
  g_object_unref (reader->parser);
  km_row_clear (&reader->row);
  g_free (reader);
}

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
  return !integer || digits <= MAX_JSON_INTEGER_DIGITS;
}

/* Checks what json-glib cannot be trusted with before it parses: nesting
 * depth (it recurses), integers beyond int64 (it wraps them silently) and
 * more than one top-level value (it ignores the rest).  Returns NULL when
 * the text may be parsed, else the reason. */
static const gchar *
json_prescan (const gchar * text, gsize len)
{
  guint depth = 0, top = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    gchar c = text[i];

    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        break;
      case '"':
        if (depth == 0)
          return "the document is not a JSON array or object";
        for (i++; i < len && text[i] != '"'; i++) {
          if (text[i] == '\\')
            i++;
        }
        if (i >= len)
          return "unterminated JSON string";
        break;
      case '[':
      case '{':
        if (depth == 0 && ++top > 1)
          return "more than one JSON value in one record";
        if (++depth > MAX_JSON_DEPTH)
          return "JSON nested more than 32 levels deep";
        break;
      case ']':
      case '}':
        if (depth == 0)
          return "unbalanced JSON brackets";
        depth--;
        break;
      default:
        if (depth == 0)
          return "the document is not a JSON array or object";
        if ((c == '-' || g_ascii_isdigit (c)) && !skip_number (text, len, &i))
          return "JSON integer with more than 18 digits (use an exponent)";
        break;
    }
  }
  return NULL;
}

static gboolean
json_number (JsonNode * node, gdouble * value)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *value = (gdouble) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *value = json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

static gboolean
read_point (KmJsonReader * reader, JsonArray * array)
{
  const KmColumns *cols = reader->cols;
  guint n = json_array_get_length (array), i, width;

  if (cols->names != NULL)
    return km_point_sink_malformed (&reader->sink, "columns are names, but "
        "the point is an array, not an object");
  width = cols->n > 0 ? cols->n : n;
  if (width > KM_MAX_DIMENSIONS)
    return km_point_sink_malformed (&reader->sink, "the point has %u values, "
        "more than %u", width, KM_MAX_DIMENSIONS);
  km_row_ensure (&reader->row, width);
  for (i = 0; i < width; i++) {
    guint index = cols->n > 0 ? cols->index[i] : i;

    if (index >= n)
      return km_point_sink_malformed (&reader->sink, "the point has %u "
          "values, element %u is missing", n, index);
    if (!json_number (json_array_get_element (array, index),
            &reader->row.values[i]))
      return km_point_sink_malformed (&reader->sink, "element %u of the "
          "point is not a number", index);
  }
  return km_point_sink_point (&reader->sink, reader->row.values,
      width) != KM_POINT_STOP;
}

/* A point built from the members named by columns. */
static gboolean
read_named_point (KmJsonReader * reader, JsonObject * object)
{
  const KmColumns *cols = reader->cols;
  guint i;

  km_row_ensure (&reader->row, cols->n);
  for (i = 0; i < cols->n; i++) {
    JsonNode *member = json_object_get_member (object, cols->names[i]);

    if (member == NULL)
      return km_point_sink_malformed (&reader->sink, "the object has no "
          "member \"%s\"", cols->names[i]);
    if (!json_number (member, &reader->row.values[i]))
      return km_point_sink_malformed (&reader->sink, "member \"%s\" is not "
          "a number", cols->names[i]);
  }
  return km_point_sink_point (&reader->sink, reader->row.values,
      cols->n) != KM_POINT_STOP;
}

static gboolean read_object_points (KmJsonReader * reader, JsonObject * object);

static gboolean
is_container (JsonNode * node)
{
  return JSON_NODE_HOLDS_ARRAY (node) || JSON_NODE_HOLDS_OBJECT (node);
}

/* An array is one point when its first element is not a container, else a
 * list of points (arrays), or of objects when @objects. */
static gboolean
read_array_points (KmJsonReader * reader, JsonArray * array, gboolean objects)
{
  guint n = json_array_get_length (array), i;
  gboolean go_on = TRUE;

  if (n == 0)
    return TRUE;
  if (!is_container (json_array_get_element (array, 0)))
    return read_point (reader, array);

  for (i = 0; i < n && go_on; i++) {
    JsonNode *node = json_array_get_element (array, i);

    if (JSON_NODE_HOLDS_ARRAY (node))
      go_on = read_point (reader, json_node_get_array (node));
    else if (objects && JSON_NODE_HOLDS_OBJECT (node))
      go_on = read_object_points (reader, json_node_get_object (node));
    else
      go_on = km_point_sink_malformed (&reader->sink, "element %u of the "
          "list is not a point", i);
  }
  return go_on;
}

static gboolean
read_object_points (KmJsonReader * reader, JsonObject * object)
{
  const gchar *field = reader->field;
  JsonNode *member;

  if (reader->cols->names != NULL)
    return read_named_point (reader, object);
  if (field == NULL || field[0] == '\0')
    return km_point_sink_malformed (&reader->sink, "a JSON object, but the "
        "field property is empty");
  member = json_object_get_member (object, field);
  if (member == NULL)
    return km_point_sink_malformed (&reader->sink, "the object has no "
        "member \"%s\"", field);
  if (!JSON_NODE_HOLDS_ARRAY (member))
    return km_point_sink_malformed (&reader->sink, "member \"%s\" is not an "
        "array", field);
  return read_array_points (reader, json_node_get_array (member), FALSE);
}

gboolean
km_json_reader_read (KmJsonReader * reader, const gchar * text, gsize len)
{
  GError *err = NULL;
  const gchar *problem;
  JsonNode *root;
  gboolean go_on;

  if (!g_utf8_validate_len (text, len, NULL))
    return km_point_sink_malformed (&reader->sink,
        "the record is not valid UTF-8 text");
  problem = json_prescan (text, len);
  if (problem != NULL)
    return km_point_sink_malformed (&reader->sink, "%s", problem);
  if (!json_parser_load_from_data (reader->parser, text, len, &err)) {
    go_on = km_point_sink_malformed (&reader->sink, "%s", err->message);
    g_clear_error (&err);
    return go_on;
  }
  root = json_parser_get_root (reader->parser);
  if (root == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (root))
    return read_array_points (reader, json_node_get_array (root), TRUE);
  return read_object_points (reader, json_node_get_object (root));
}

/* gst-kmeans: kmeans-parse's JSON reader.  See kmjsonreader.h.
 *
 * A document no larger than the parse limit is parsed whole and read from
 * json-glib's tree (read_*).  A larger array or object is walked as text
 * (walk_*, kmjsonscan.h): each member small enough goes to json-glib on
 * its own and is read like a small document's, a larger one is walked in
 * turn.  Both ways read the same points and give the same reasons.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "kmeans.h"
#include "kmjsonreader.h"
#include "kmjsonscan.h"

struct _KmJsonReader
{
  const KmColumns *cols;
  gchar *field;
  KmPointSink sink;
  JsonParser *parser;
  KmRow row;                    /* values of the current point */
  guint max_values;
  gsize parse_limit;

  const gchar *text;            /* the document being read */
  gchar *problem;               /* why part of it did not parse */
  GString *scalar;              /* a scalar member, in brackets */
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
  reader->max_values = KM_JSON_READER_DEFAULT_MAX_VALUES;
  reader->parse_limit = KM_JSON_READER_DEFAULT_PARSE_LIMIT;
  reader->scalar = g_string_new (NULL);
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
  g_free (reader->problem);
  g_string_free (reader->scalar, TRUE);
  g_free (reader);
}

void
km_json_reader_set_max_values (KmJsonReader * reader, guint max_values)
{
  reader->max_values = max_values;
}

void
km_json_reader_set_parse_limit (KmJsonReader * reader, gsize bytes)
{
  reader->parse_limit = bytes;
}

/* -------------------------------------------------- from json-glib's tree */

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
names_on_array (KmJsonReader * reader)
{
  return km_point_sink_malformed (&reader->sink, "columns are names, but "
      "the point is an array, not an object");
}

static gboolean
too_wide (KmJsonReader * reader, guint width)
{
  return km_point_sink_malformed (&reader->sink, "the point has %u values, "
      "more than %u", width, KM_MAX_DIMENSIONS);
}

static gboolean
element_missing (KmJsonReader * reader, guint n, guint index)
{
  return km_point_sink_malformed (&reader->sink, "the point has %u "
      "values, element %u is missing", n, index);
}

static gboolean
element_not_a_number (KmJsonReader * reader, guint index)
{
  return km_point_sink_malformed (&reader->sink, "element %u of the "
      "point is not a number", index);
}

static gboolean
member_missing (KmJsonReader * reader, const gchar * name)
{
  return km_point_sink_malformed (&reader->sink, "the object has no "
      "member \"%s\"", name);
}

static gboolean
member_not_a_number (KmJsonReader * reader, const gchar * name)
{
  return km_point_sink_malformed (&reader->sink, "member \"%s\" is not "
      "a number", name);
}

static gboolean
field_empty (KmJsonReader * reader)
{
  return km_point_sink_malformed (&reader->sink, "a JSON object, but the "
      "field property is empty");
}

static gboolean
field_not_an_array (KmJsonReader * reader)
{
  return km_point_sink_malformed (&reader->sink, "member \"%s\" is not an "
      "array", reader->field);
}

static gboolean
not_a_point (KmJsonReader * reader, guint i)
{
  return km_point_sink_malformed (&reader->sink, "element %u of the "
      "list is not a point", i);
}

static gboolean
give_point (KmJsonReader * reader, guint width)
{
  return km_point_sink_point (&reader->sink, reader->row.values,
      width) != KM_POINT_STOP;
}

static gboolean
read_point (KmJsonReader * reader, JsonArray * array)
{
  const KmColumns *cols = reader->cols;
  guint n = json_array_get_length (array), i, width;

  if (cols->names != NULL)
    return names_on_array (reader);
  width = cols->n > 0 ? cols->n : n;
  if (width > KM_MAX_DIMENSIONS)
    return too_wide (reader, width);
  km_row_ensure (&reader->row, width);
  for (i = 0; i < width; i++) {
    guint index = cols->n > 0 ? cols->index[i] : i;

    if (index >= n)
      return element_missing (reader, n, index);
    if (!json_number (json_array_get_element (array, index),
            &reader->row.values[i]))
      return element_not_a_number (reader, index);
  }
  return give_point (reader, width);
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
      return member_missing (reader, cols->names[i]);
    if (!json_number (member, &reader->row.values[i]))
      return member_not_a_number (reader, cols->names[i]);
  }
  return give_point (reader, cols->n);
}

static gboolean read_object_points (KmJsonReader * reader, JsonObject * object);

static gboolean
is_container (JsonNode * node)
{
  return JSON_NODE_HOLDS_ARRAY (node) || JSON_NODE_HOLDS_OBJECT (node);
}

/* Element @i of a list: a point, or when @objects an object of points. */
static gboolean
read_list_element (KmJsonReader * reader, JsonNode * node, guint i,
    gboolean objects)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    return read_point (reader, json_node_get_array (node));
  if (objects && JSON_NODE_HOLDS_OBJECT (node))
    return read_object_points (reader, json_node_get_object (node));
  return not_a_point (reader, i);
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

  for (i = 0; i < n && go_on; i++)
    go_on = read_list_element (reader, json_array_get_element (array, i), i,
        objects);
  return go_on;
}

/* The points of an object's member named by the field property. */
static gboolean
read_field_points (KmJsonReader * reader, JsonNode * member)
{
  if (!JSON_NODE_HOLDS_ARRAY (member))
    return field_not_an_array (reader);
  return read_array_points (reader, json_node_get_array (member), FALSE);
}

static gboolean
read_object_points (KmJsonReader * reader, JsonObject * object)
{
  const gchar *field = reader->field;
  JsonNode *member;

  if (reader->cols->names != NULL)
    return read_named_point (reader, object);
  if (field == NULL || field[0] == '\0')
    return field_empty (reader);
  member = json_object_get_member (object, field);
  if (member == NULL)
    return member_missing (reader, field);
  return read_field_points (reader, member);
}

/* ----------------------------------------------------- parsing the text */

static gboolean
is_blank (gchar c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
set_problem (KmJsonReader * reader, gchar * problem)
{
  g_free (reader->problem);
  reader->problem = problem;
}

/* Reports what set_problem() noted as the document's malformed record. */
static gboolean
report_problem (KmJsonReader * reader)
{
  return km_point_sink_malformed (&reader->sink, "%s", reader->problem);
}

/* A parse error at byte @pos, worded as json-glib words its own. */
static void
problem_at (KmJsonReader * reader, gsize pos, const gchar * what)
{
  guint line, column;

  km_json_position (reader->text, pos, &line, &column);
  set_problem (reader, g_strdup_printf ("<data>:%u:%u: Parse error: %s",
          line, column, what));
}

/* json-glib's @message about the text from @start, its "<data>:L:C:"
 * position made one in the whole document. */
static void
problem_from_json_glib (KmJsonReader * reader, gsize start,
    const gchar * message)
{
  guint line, column, l, c;
  int consumed = 0;

  if (sscanf (message, "<data>:%u:%u:%n", &l, &c, &consumed) < 2
      || consumed == 0) {
    set_problem (reader, g_strdup (message));
    return;
  }
  km_json_position (reader->text, start, &line, &column);
  if (l <= 1) {
    column += c - 1;
  } else {
    line += l - 1;
    column = c;
  }
  set_problem (reader, g_strdup_printf ("<data>:%u:%u:%s", line, column,
          message + consumed));
}

/* Whether json-glib may build @span whole: small enough, or one scalar. */
static gboolean
parse_whole (KmJsonReader * reader, KmJsonSpan span)
{
  return span.end - span.start <= reader->parse_limit
      || km_json_kind (reader->text, span) == KM_JSON_SCALAR;
}

/* json-glib's tree of @text (@len bytes, which begin at byte @start of
 * the document), valid until the next parse; NULL with the problem noted
 * when it does not parse. */
static JsonNode *
parse_text (KmJsonReader * reader, const gchar * text, gsize len, gsize start)
{
  GError *err = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (reader->parser, text, len, &err)) {
    problem_from_json_glib (reader, start, err->message);
    g_error_free (err);
    return NULL;
  }
  root = json_parser_get_root (reader->parser);
  if (root == NULL)
    problem_at (reader, start, "expected a value");
  return root;
}

/* json-glib's tree of @span, valid until the next parse; NULL with the
 * problem noted when it does not parse. */
static JsonNode *
parse_span (KmJsonReader * reader, KmJsonSpan span)
{
  const gchar *text = reader->text + span.start;
  gsize len = span.end - span.start;
  JsonNode *array;

  /* json-glib skips one at the start of what it is given, which inside a
   * document is an error. */
  if (km_text_bom_length (text, len) > 0) {
    problem_at (reader, span.start, "a byte-order mark inside the document");
    return NULL;
  }
  if (km_json_kind (reader->text, span) != KM_JSON_SCALAR)
    return parse_text (reader, text, len, span.start);

  /* json-glib reads a number differently at the end of its text ("." is
   * 0 there, an error before a comma or bracket): a scalar is parsed where
   * a document has it, in an array, the bracket standing where the comma,
   * colon or bracket before it stands. */
  g_string_truncate (reader->scalar, 0);
  g_string_append_c (reader->scalar, '[');
  g_string_append_len (reader->scalar, text, len);
  g_string_append_c (reader->scalar, ']');
  array = parse_text (reader, reader->scalar->str, reader->scalar->len,
      span.start - 1);
  if (array == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (array)
      || json_array_get_length (json_node_get_array (array)) != 1) {
    problem_at (reader, span.start, "expected one value");
    return NULL;
  }
  return json_array_get_element (json_node_get_array (array), 0);
}

/* The key of an object member, decoded: *@name, @len bytes, pointing into
 * the text or into json-glib's tree (valid until the next parse).  FALSE
 * with the problem noted when it is not a string. */
static gboolean
decode_key (KmJsonReader * reader, KmJsonSpan span, const gchar ** name,
    gsize * len)
{
  const gchar *text = reader->text;
  JsonNode *node;

  while (is_blank (text[span.start]))
    span.start++;
  while (is_blank (text[span.end - 1]))
    span.end--;
  /* A plain "key", as nearly every document writes them. */
  if (span.end - span.start >= 2 && text[span.start] == '"'
      && text[span.end - 1] == '"'
      && memchr (text + span.start + 1, '\\', span.end - span.start - 2) ==
      NULL && memchr (text + span.start + 1, '"',
          span.end - span.start - 2) == NULL) {
    *name = text + span.start + 1;
    *len = span.end - span.start - 2;
    return TRUE;
  }
  node = parse_span (reader, span);
  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    problem_at (reader, span.start, "an object key must be a string");
    return FALSE;
  }
  *name = json_node_get_string (node);
  *len = strlen (*name);
  return TRUE;
}

/* Checks that @span parses, walking what is too large to parse whole. */
static gboolean
validate (KmJsonReader * reader, KmJsonSpan span)
{
  KmJsonWalk walk;
  KmJsonSpan key, value;
  const gchar *name;
  gsize len;

  if (parse_whole (reader, span))
    return parse_span (reader, span) != NULL;
  km_json_walk_begin (&walk, reader->text, span);
  while (km_json_walk_next (&walk, &key, &value)) {
    if (walk.close == '}' && !decode_key (reader, key, &name, &len))
      return FALSE;
    if (!validate (reader, value))
      return FALSE;
  }
  if (walk.error == NULL)
    return TRUE;
  problem_at (reader, walk.error_pos, walk.error);
  return FALSE;
}

/* ---------------------------------------------------- walking the text */

/* Reads a value that parses: FALSE when the sink said stop. */
typedef gboolean (*ReadNode) (KmJsonReader * reader, JsonNode * node,
    gpointer data);

/* Parses @span and reads it with @read; a parse error (which the checks
 * before reading leave no room for) is the document's malformed record. */
static gboolean
parse_and_read (KmJsonReader * reader, KmJsonSpan span, ReadNode read,
    gpointer data)
{
  JsonNode *node = parse_span (reader, span);

  if (node == NULL)
    return report_problem (reader);
  return read (reader, node, data);
}

/* The end of a walk: TRUE, or the error it met reported. */
static gboolean
walk_end (KmJsonReader * reader, KmJsonWalk * walk)
{
  if (walk->error == NULL)
    return TRUE;
  problem_at (reader, walk->error_pos, walk->error);
  return report_problem (reader);
}

/* Where, in a point array, the elements it is made of are. */
typedef struct
{
  guint64 n;                    /* its elements */
  KmJsonSpan *spans;            /* of the element for each column */
  guint *order;                 /* columns by their index */
} PointElements;

static gint
compare_index (gconstpointer a, gconstpointer b, gpointer data)
{
  const guint *index = data;
  guint ia = index[*(const guint *) a], ib = index[*(const guint *) b];

  return ia < ib ? -1 : ia > ib;
}

/* Walks a point array, noting its length and where each column's element
 * is (for all columns: the first KM_MAX_DIMENSIONS elements).  FALSE when
 * the walk met an error, reported, *@go_on saying what the sink said. */
static gboolean
locate_elements (KmJsonReader * reader, KmJsonSpan span, PointElements * pe,
    gboolean * go_on)
{
  const KmColumns *cols = reader->cols;
  KmJsonWalk walk;
  KmJsonSpan key, element;
  guint i, next = 0;

  pe->spans = g_new0 (KmJsonSpan, cols->n > 0 ? cols->n : KM_MAX_DIMENSIONS);
  pe->order = g_new (guint, MAX (cols->n, 1));
  for (i = 0; i < cols->n; i++)
    pe->order[i] = i;
  g_qsort_with_data (pe->order, cols->n, sizeof (guint), compare_index,
      cols->index);

  km_json_walk_begin (&walk, reader->text, span);
  for (pe->n = 0; km_json_walk_next (&walk, &key, &element); pe->n++) {
    if (cols->n == 0 && pe->n < KM_MAX_DIMENSIONS)
      pe->spans[pe->n] = element;
    for (; next < cols->n && cols->index[pe->order[next]] == pe->n; next++)
      pe->spans[pe->order[next]] = element;
  }
  if (walk.error == NULL)
    return TRUE;
  *go_on = walk_end (reader, &walk);
  return FALSE;
}

/* The number at @span into *@value.  FALSE when it is none (a container
 * too large to parse whole is none), *@failed when it did not parse. */
static gboolean
span_number (KmJsonReader * reader, KmJsonSpan span, gdouble * value,
    gboolean * failed)
{
  JsonNode *node;

  *failed = FALSE;
  if (!parse_whole (reader, span))
    return FALSE;
  node = parse_span (reader, span);
  *failed = node == NULL;
  return node != NULL && json_number (node, value);
}

/* An array too large to parse whole that is one point: as read_point(). */
static gboolean
walk_point (KmJsonReader * reader, KmJsonSpan span)
{
  const KmColumns *cols = reader->cols;
  PointElements pe = { 0 };
  gboolean go_on = TRUE, failed;
  guint i, width;

  if (cols->names != NULL)
    return names_on_array (reader);
  if (!locate_elements (reader, span, &pe, &go_on))
    goto done;
  if (cols->n == 0 && pe.n > KM_MAX_DIMENSIONS) {
    go_on = too_wide (reader, (guint) MIN (pe.n, G_MAXUINT));
    goto done;
  }
  width = cols->n > 0 ? cols->n : (guint) pe.n;
  km_row_ensure (&reader->row, width);
  for (i = 0; i < width; i++) {
    guint index = cols->n > 0 ? cols->index[i] : i;

    if (index >= pe.n) {
      go_on = element_missing (reader, (guint) pe.n, index);
      goto done;
    }
    if (!span_number (reader, pe.spans[i], &reader->row.values[i], &failed)) {
      go_on = failed ? report_problem (reader) :
          element_not_a_number (reader, index);
      goto done;
    }
  }
  go_on = give_point (reader, width);
done:
  g_free (pe.spans);
  g_free (pe.order);
  return go_on;
}

static gboolean walk_object_points (KmJsonReader * reader, KmJsonSpan span);

static gboolean
read_list_element_node (KmJsonReader * reader, JsonNode * node, gpointer data)
{
  const guint *args = data;

  return read_list_element (reader, node, args[0], args[1]);
}

/* Element @i of a list, as read_list_element(). */
static gboolean
walk_list_element (KmJsonReader * reader, KmJsonSpan span, guint i,
    gboolean objects)
{
  guint args[2] = { i, objects };
  KmJsonKind kind;

  if (parse_whole (reader, span))
    return parse_and_read (reader, span, read_list_element_node, args);
  kind = km_json_kind (reader->text, span);
  if (kind == KM_JSON_ARRAY)
    return walk_point (reader, span);
  if (objects && kind == KM_JSON_OBJECT)
    return walk_object_points (reader, span);
  return not_a_point (reader, i);
}

/* An array too large to parse whole, as read_array_points(). */
static gboolean
walk_array_points (KmJsonReader * reader, KmJsonSpan span, gboolean objects)
{
  KmJsonWalk walk;
  KmJsonSpan key, element;
  guint i;

  km_json_walk_begin (&walk, reader->text, span);
  if (!km_json_walk_next (&walk, &key, &element))
    return walk_end (reader, &walk);
  if (km_json_kind (reader->text, element) == KM_JSON_SCALAR)
    return walk_point (reader, span);
  for (i = 0;; i++) {
    if (!walk_list_element (reader, element, i, objects))
      return FALSE;
    if (!km_json_walk_next (&walk, &key, &element))
      return walk_end (reader, &walk);
  }
}

/* Where the members of an object named @names (@n of them) are: the last
 * of each name, as json-glib keeps it.  FALSE when the walk met an error,
 * reported, *@go_on saying what the sink said. */
static gboolean
locate_members (KmJsonReader * reader, KmJsonSpan span,
    const gchar * const *names, guint n, KmJsonSpan * spans,
    gboolean * found, gboolean * go_on)
{
  GHashTable *first = g_hash_table_new (g_str_hash, g_str_equal);
  KmJsonWalk walk;
  KmJsonSpan key, value;
  gboolean ok = TRUE;
  gpointer index;
  guint i;

  /* A name listed twice is looked for once, by its first column. */
  for (i = 0; i < n; i++) {
    if (!g_hash_table_contains (first, names[i]))
      g_hash_table_insert (first, (gpointer) names[i], GUINT_TO_POINTER (i));
  }
  km_json_walk_begin (&walk, reader->text, span);
  while (ok && km_json_walk_next (&walk, &key, &value)) {
    const gchar *name;
    gchar *copy;
    gsize len;

    ok = decode_key (reader, key, &name, &len);
    if (!ok)
      *go_on = report_problem (reader);
    copy = ok ? g_strndup (name, len) : NULL;
    if (ok && g_hash_table_lookup_extended (first, copy, NULL, &index)) {
      spans[GPOINTER_TO_UINT (index)] = value;
      found[GPOINTER_TO_UINT (index)] = TRUE;
    }
    g_free (copy);
  }
  for (i = 0; i < n; i++) {
    index = g_hash_table_lookup (first, names[i]);
    spans[i] = spans[GPOINTER_TO_UINT (index)];
    found[i] = found[GPOINTER_TO_UINT (index)];
  }
  g_hash_table_unref (first);
  if (ok && walk.error != NULL) {
    *go_on = walk_end (reader, &walk);
    ok = FALSE;
  }
  return ok;
}

/* An object too large to parse whole with columns by name, as
 * read_named_point(). */
static gboolean
walk_named_point (KmJsonReader * reader, KmJsonSpan span)
{
  const KmColumns *cols = reader->cols;
  KmJsonSpan *spans = g_new0 (KmJsonSpan, cols->n);
  gboolean *found = g_new0 (gboolean, cols->n);
  gboolean go_on = TRUE, failed;
  guint i;

  if (!locate_members (reader, span, (const gchar * const *) cols->names,
          cols->n, spans, found, &go_on))
    goto done;
  km_row_ensure (&reader->row, cols->n);
  for (i = 0; i < cols->n; i++) {
    if (!found[i]) {
      go_on = member_missing (reader, cols->names[i]);
      goto done;
    }
    if (!span_number (reader, spans[i], &reader->row.values[i], &failed)) {
      go_on = failed ? report_problem (reader) :
          member_not_a_number (reader, cols->names[i]);
      goto done;
    }
  }
  go_on = give_point (reader, cols->n);
done:
  g_free (spans);
  g_free (found);
  return go_on;
}

static gboolean
read_field_node (KmJsonReader * reader, JsonNode * node, gpointer data)
{
  return read_field_points (reader, node);
}

/* An object too large to parse whole, as read_object_points(). */
static gboolean
walk_object_points (KmJsonReader * reader, KmJsonSpan span)
{
  const gchar *field = reader->field;
  KmJsonSpan member;
  gboolean found = FALSE, go_on = TRUE;

  if (reader->cols->names != NULL)
    return walk_named_point (reader, span);
  if (field == NULL || field[0] == '\0')
    return field_empty (reader);
  if (!locate_members (reader, span, &field, 1, &member, &found, &go_on))
    return go_on;
  if (!found)
    return member_missing (reader, field);
  if (parse_whole (reader, member))
    return parse_and_read (reader, member, read_field_node, NULL);
  if (km_json_kind (reader->text, member) != KM_JSON_ARRAY)
    return field_not_an_array (reader);
  return walk_array_points (reader, member, FALSE);
}

/* ------------------------------------------------------------ documents */

static gboolean
read_document_node (KmJsonReader * reader, JsonNode * root, gpointer data)
{
  if (JSON_NODE_HOLDS_ARRAY (root))
    return read_array_points (reader, json_node_get_array (root), TRUE);
  return read_object_points (reader, json_node_get_object (root));
}

/* A document small enough for json-glib to build whole. */
static gboolean
read_small_document (KmJsonReader * reader, gsize len)
{
  GError *err = NULL;
  JsonNode *root;
  gboolean go_on;

  if (!json_parser_load_from_data (reader->parser, reader->text, len, &err)) {
    go_on = km_point_sink_malformed (&reader->sink, "%s", err->message);
    g_clear_error (&err);
    return go_on;
  }
  root = json_parser_get_root (reader->parser);
  if (root == NULL)
    return TRUE;
  return read_document_node (reader, root, NULL);
}

/* A larger one: checked whole first (plain JSON always parses, anything
 * else is parsed once member by member), then read member by member. */
static gboolean
read_large_document (KmJsonReader * reader, gsize len)
{
  KmJsonSpan all = { 0, len };

  if (!km_json_is_strict (reader->text, len) && !validate (reader, all))
    return report_problem (reader);
  if (km_json_kind (reader->text, all) == KM_JSON_ARRAY)
    return walk_array_points (reader, all, TRUE);
  return walk_object_points (reader, all);
}

gboolean
km_json_reader_read (KmJsonReader * reader, const gchar * text, gsize len)
{
  const gchar *problem;
  guint64 values = 0;
  gboolean go_on;

  if (!g_utf8_validate_len (text, len, NULL))
    return km_point_sink_malformed (&reader->sink,
        "the record is not valid UTF-8 text");
  problem = km_json_prescan (text, len, &values);
  if (problem != NULL)
    return km_point_sink_malformed (&reader->sink, "%s", problem);
  if (values > reader->max_values)
    return km_point_sink_malformed (&reader->sink, "the document holds %"
        G_GUINT64_FORMAT " values, more than max-values (%u)", values,
        reader->max_values);

  reader->text = text;
  if (len <= reader->parse_limit)
    go_on = read_small_document (reader, len);
  else
    go_on = read_large_document (reader, len);
  reader->text = NULL;
  return go_on;
}

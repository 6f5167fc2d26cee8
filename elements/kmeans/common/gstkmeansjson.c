/* gst-kmeans: the JSON documents of kmeans-format, and files of JSON lines.
 *
 * See gstkmeansjson.h.  The documents and their schemas are described in
 * kmeans-format's documentation and in schemas/.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gstkmeansjson.h"
#include "gstkmeansmodel.h"

/* ------------------------------------------------------------ values */

void
gst_kmeans_json_string (GString * s, const gchar * str)
{
  gchar *valid = NULL;
  const gchar *p;

  if (str == NULL) {
    g_string_append (s, "null");
    return;
  }
  if (!g_utf8_validate (str, -1, NULL))
    str = valid = g_utf8_make_valid (str, -1);

  g_string_append_c (s, '"');
  for (p = str; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\') {
      g_string_append_c (s, '\\');
      g_string_append_c (s, c);
    } else if (c < 0x20) {
      g_string_append_printf (s, "\\u%04x", c);
    } else {
      g_string_append_c (s, c);
    }
  }
  g_string_append_c (s, '"');
  g_free (valid);
}

/* "name": with the name's dashes turned into underscores. */
static void
json_key (GString * s, const gchar * name)
{
  const gchar *p;

  g_string_append_c (s, '"');
  for (p = name; *p; p++)
    g_string_append_c (s, *p == '-' ? '_' : *p);
  g_string_append (s, "\":");
}

/* The shortest text that reads back as the same float32 (or float64). */
const gchar *
gst_kmeans_json_format_number (gchar buf[G_ASCII_DTOSTR_BUF_SIZE], gdouble v,
    gboolean single)
{
  static const gchar *const f32[] = { "%.6g", "%.7g", "%.8g", "%.9g" };
  static const gchar *const f64[] = { "%.15g", "%.16g", "%.17g" };
  guint i;

  if (single) {
    gfloat f = (gfloat) v;

    for (i = 0; i < G_N_ELEMENTS (f32); i++) {
      g_ascii_formatd (buf, G_ASCII_DTOSTR_BUF_SIZE, f32[i], f);
      if ((gfloat) g_ascii_strtod (buf, NULL) == f)
        break;
    }
  } else {
    for (i = 0; i < G_N_ELEMENTS (f64); i++) {
      g_ascii_formatd (buf, G_ASCII_DTOSTR_BUF_SIZE, f64[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  }
  return buf;
}

void
gst_kmeans_json_number (GString * s, gdouble v, gboolean single)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v)) {
    g_string_append (s, "null");
    return;
  }
  g_string_append (s, gst_kmeans_json_format_number (buf, v, single));
}

void
gst_kmeans_json_uint64 (GString * s, guint64 v)
{
  g_string_append_printf (s, "%" G_GUINT64_FORMAT, v);
}

void
gst_kmeans_json_time (GString * s, GstClockTime t)
{
  if (GST_CLOCK_TIME_IS_VALID (t))
    gst_kmeans_json_uint64 (s, t);
  else
    g_string_append (s, "null");
}

void
gst_kmeans_json_model_version (GString * s, KmModel * model)
{
  if (model != NULL)
    gst_kmeans_json_uint64 (s, km_model_get_version (model));
  else
    g_string_append (s, "null");
}

/* --------------------------------------------------------- documents */

GString *
gst_kmeans_json_model_document (KmModel * model, const gchar * metric,
    GstClockTime pts)
{
  guint k = km_model_get_k (model), d = km_model_get_d (model), i, j;
  const gfloat *centers = km_model_get_centers (model);
  const gdouble *counts = km_model_get_counts (model);
  GString *s = g_string_sized_new (256 + (gsize) k * (d + 1) * 14);

  g_string_append (s, "{\"type\":\"model\",\"pts\":");
  gst_kmeans_json_time (s, pts);
  g_string_append (s, ",\"version\":");
  gst_kmeans_json_uint64 (s, km_model_get_version (model));
  g_string_append (s, ",\"step\":");
  gst_kmeans_json_uint64 (s, km_model_get_step (model));
  g_string_append_printf (s, ",\"clusters\":%u,\"dimensions\":%u,"
      "\"metric\":", k, d);
  gst_kmeans_json_string (s,
      metric != NULL ? metric : gst_kmeans_model_metric_nick (model));
  g_string_append (s, ",\"centers\":[");
  for (i = 0; i < k; i++) {
    g_string_append (s, i ? ",[" : "[");
    for (j = 0; j < d; j++) {
      if (j)
        g_string_append_c (s, ',');
      gst_kmeans_json_number (s, centers[(gsize) i * d + j], TRUE);
    }
    g_string_append_c (s, ']');
  }
  g_string_append (s, "],\"counts\":");
  if (counts != NULL) {
    g_string_append_c (s, '[');
    for (i = 0; i < k; i++) {
      if (i)
        g_string_append_c (s, ',');
      gst_kmeans_json_number (s, counts[i], FALSE);
    }
    g_string_append_c (s, ']');
  } else {
    g_string_append (s, "null");
  }
  g_string_append (s, "}\n");
  return s;
}

static void json_value (GString * s, const GValue * v);

static void
json_list (GString * s, const GValue * v)
{
  guint i, n;
  gboolean array = GST_VALUE_HOLDS_ARRAY (v);

  n = array ? gst_value_array_get_size (v) : gst_value_list_get_size (v);
  g_string_append_c (s, '[');
  for (i = 0; i < n; i++) {
    if (i)
      g_string_append_c (s, ',');
    json_value (s, array ? gst_value_array_get_value (v, i) :
        gst_value_list_get_value (v, i));
  }
  g_string_append_c (s, ']');
}

static void json_fields (GString * s, const GstStructure * st);

/* Any value a gst-kmeans message holds; an unsigned 64-bit all-ones value
 * is GST_CLOCK_TIME_NONE (or another "unset") and becomes null. */
static void
json_value (GString * s, const GValue * v)
{
  GType type = G_VALUE_TYPE (v);

  switch (G_TYPE_FUNDAMENTAL (type)) {
    case G_TYPE_BOOLEAN:
      g_string_append (s, g_value_get_boolean (v) ? "true" : "false");
      return;
    case G_TYPE_INT:
      g_string_append_printf (s, "%d", g_value_get_int (v));
      return;
    case G_TYPE_UINT:
      g_string_append_printf (s, "%u", g_value_get_uint (v));
      return;
    case G_TYPE_INT64:
      g_string_append_printf (s, "%" G_GINT64_FORMAT, g_value_get_int64 (v));
      return;
    case G_TYPE_UINT64:
      gst_kmeans_json_time (s, g_value_get_uint64 (v));
      return;
    case G_TYPE_FLOAT:
      gst_kmeans_json_number (s, g_value_get_float (v), TRUE);
      return;
    case G_TYPE_DOUBLE:
      gst_kmeans_json_number (s, g_value_get_double (v), FALSE);
      return;
    case G_TYPE_STRING:
      gst_kmeans_json_string (s, g_value_get_string (v));
      return;
    case G_TYPE_ENUM:{
      GEnumValue *e = g_enum_get_value (g_type_class_peek (type),
          g_value_get_enum (v));

      gst_kmeans_json_string (s, e ? e->value_nick : NULL);
      return;
    }
    default:
      break;
  }
  if (GST_VALUE_HOLDS_ARRAY (v) || GST_VALUE_HOLDS_LIST (v)) {
    json_list (s, v);
  } else if (GST_VALUE_HOLDS_STRUCTURE (v)) {
    g_string_append_c (s, '{');
    json_fields (s, gst_value_get_structure (v));
    g_string_append_c (s, '}');
  } else {
    gchar *text = gst_value_serialize (v);

    gst_kmeans_json_string (s, text);
    g_free (text);
  }
}

typedef struct
{
  GString *s;
  gboolean first;
} FieldsContext;

static gboolean
json_field (GQuark field, const GValue * value, gpointer user_data)
{
  FieldsContext *ctx = user_data;

  if (!ctx->first)
    g_string_append_c (ctx->s, ',');
  ctx->first = FALSE;
  json_key (ctx->s, g_quark_to_string (field));
  json_value (ctx->s, value);
  return TRUE;
}

static void
json_fields (GString * s, const GstStructure * st)
{
  FieldsContext ctx = { s, TRUE };

  gst_structure_foreach (st, json_field, &ctx);
}

static const struct
{
  const gchar *name;
  const gchar *type;
} message_types[] = {
  {"kmeans-score", "score"},
  {"kmeans-train", "progress"},
  {"kmeans-checkpoint", "checkpoint"},
  {"kmeans-initialized", "initialized"},
  {"kmeans-converged", "converged"},
  {"kmeans-model-loaded", "model-loaded"},
};

const gchar *
gst_kmeans_json_message_type (const GstStructure * s)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (message_types); i++) {
    if (gst_structure_has_name (s, message_types[i].name))
      return message_types[i].type;
  }
  return NULL;
}

GString *
gst_kmeans_json_message_document (const GstStructure * st, const gchar * type)
{
  GString *s = g_string_sized_new (256);

  g_string_append (s, "{\"type\":");
  gst_kmeans_json_string (s, type);
  if (gst_structure_n_fields (st) > 0)
    g_string_append_c (s, ',');
  json_fields (s, st);
  g_string_append (s, "}\n");
  return s;
}

static KmModel *
model_from_structure (const GstStructure * s)
{
  KmModel *model = NULL;

  if (!gst_structure_has_name (s, GST_KMEANS_MODEL_EVENT_NAME))
    return NULL;
  if (!gst_structure_get (s, "model", GST_TYPE_KMEANS_MODEL, &model, NULL))
    return NULL;
  return model;
}

gchar *
gst_kmeans_json_from_structure (const GstStructure * s)
{
  const gchar *type, *metric;
  KmModel *model;
  GString *doc;

  g_return_val_if_fail (s != NULL, NULL);

  type = gst_kmeans_json_message_type (s);
  if (type != NULL)
    return g_string_free (gst_kmeans_json_message_document (s, type), FALSE);

  model = model_from_structure (s);
  if (model == NULL)
    return NULL;
  metric = gst_structure_get_string (s, "metric");
  doc = gst_kmeans_json_model_document (model, metric, GST_CLOCK_TIME_NONE);
  km_model_unref (model);
  return g_string_free (doc, FALSE);
}

/* ------------------------------------------------- JSON lines files */

static void
set_not_regular_error (GError ** error, const gchar * path, guint mode)
{
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
      "cannot append to %s: not a regular file but %s", path,
      km_file_type_name (mode));
}

gint
gst_kmeans_json_lines_open (const gchar * path, GError ** error)
{
  struct stat st;
  guint mode = 0;
  gint fd, err = 0;

  fd = km_file_open (path, O_WRONLY | O_APPEND | O_CREAT, &mode, &err);
  if (fd >= 0)
    return fd;
  if (err == 0)
    set_not_regular_error (error, path, mode);
  /* EISDIR or ENXIO (a FIFO with no reader) say less than the type. */
  else if (stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    set_not_regular_error (error, path, st.st_mode);
  else
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
        "cannot append to %s: %s", path, g_strerror (err));
  return -1;
}

/* After a short write: cuts the @written bytes off again, so the file
 * holds whole lines only (O_APPEND left the offset at their end). */
static gboolean
drop_partial_line (gint fd, gssize written)
{
  off_t end = lseek (fd, 0, SEEK_CUR);

  return end >= written && ftruncate (fd, end - written) == 0;
}

gboolean
gst_kmeans_json_lines_append (gint fd, const gchar * path,
    const gchar * line, gsize len, GError ** error)
{
  gssize w;

  do
    w = write (fd, line, len);
  while (w < 0 && errno == EINTR);

  if (w < 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
        "cannot append to %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if ((gsize) w != len) {
    gboolean dropped = drop_partial_line (fd, w);

    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "cannot append to %s: only %" G_GSSIZE_FORMAT " of %" G_GSIZE_FORMAT
        " bytes written (file system full or file size limit reached); "
        "the partial line was %s", path, w, len,
        dropped ? "removed" : "left in place (could not truncate)");
    return FALSE;
  }
  return TRUE;
}

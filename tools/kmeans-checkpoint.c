/* kmeans-checkpoint: inspect, export and build gst-kmeans checkpoints.
 *
 *   kmeans-checkpoint show FILE [--json]
 *   kmeans-checkpoint export FILE --format csv|json|npy [-o OUT] ...
 *   kmeans-checkpoint import --centers FILE.csv|FILE.npy -o CKPT ...
 *
 * The estimator's get_variable_value / cluster_centers() outside a
 * pipeline.  Everything goes through the core library: show and export
 * read with the loader's own checks (schemas/checkpoint.md), import builds
 * a trainer from the given centers and saves it, so the result is a
 * checkpoint kmeans-train resumes from and kmeans-assign model-location
 * loads.  Export's JSON is kmeans-format's "model" document
 * (schemas/model.schema.json); .npy files are NumPy format 1.0, written
 * and read here (only float32 / float64, C order).
 *
 * Exit status: 0 success, 1 error (message on stderr), 2 usage error.
 * Files given with -o are written to a temporary file beside them and
 * renamed into place, so they are either complete or untouched; an
 * existing non-regular file (directory, FIFO, device) is never replaced.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "kmeans.h"
/* km_file_read_text, km_centers_parse_text: the core's non-blocking
 * reading of user-named files. */
#include "kmprivate.h"

#define PROGRAM "kmeans-checkpoint"

enum
{
  EXIT_OK = 0,
  EXIT_ERROR = 1,
  EXIT_USAGE = 2
};

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* Header lengths numpy pads to, so the data starts aligned. */
#define NPY_ALIGN 64

#define TOOL_ERROR (g_quark_from_static_string ("kmeans-checkpoint-error"))

static gboolean
fail (GError ** error, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static gboolean fail (GError ** error, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  *error = g_error_new_valist (TOOL_ERROR, 0, format, args);
  va_end (args);
  return FALSE;
}

static gint
usage_error (const gchar * command, const gchar * message)
{
  g_printerr ("%s: %s\nTry '%s %s --help'.\n", PROGRAM, message, PROGRAM,
      command);
  return EXIT_USAGE;
}

static gint
report_error (GError * error)
{
  g_printerr ("%s: %s\n", PROGRAM, error->message);
  g_error_free (error);
  return EXIT_ERROR;
}

/* ------------------------------------------------------------ names */

static const gchar *
metric_name (KmMetric metric)
{
  return metric == KM_METRIC_COSINE ? "cosine" : "squared-euclidean";
}

static const gchar *
init_name (KmInit init)
{
  switch (init) {
    case KM_INIT_RANDOM:
      return "random";
    case KM_INIT_KMEANS_PLUS_PLUS:
      return "kmeans++";
    case KM_INIT_GIVEN:
      return "given";
    default:
      return "unknown";
  }
}

static const gchar *
time_unit_name (KmTimeUnit unit)
{
  return unit == KM_TIME_UNIT_POINTS ? "points" : "batches";
}

static gboolean
parse_metric (const gchar * name, KmMetric * metric)
{
  if (g_strcmp0 (name, "squared-euclidean") == 0)
    *metric = KM_METRIC_SQUARED_EUCLIDEAN;
  else if (g_strcmp0 (name, "cosine") == 0)
    *metric = KM_METRIC_COSINE;
  else
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------ text out */

/* The shortest of %.6g..%.9g that reads back to the same float32: what
 * kmeans-format writes, so exported values round-trip bit for bit. */
static void
append_float (GString * s, gfloat f)
{
  static const gchar *const formats[] = { "%.6g", "%.7g", "%.8g", "%.9g" };
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, sizeof (buf), formats[i], f);
    if ((gfloat) g_ascii_strtod (buf, NULL) == f)
      break;
  }
  g_string_append (s, buf);
}

static void
append_double (GString * s, gdouble v)
{
  static const gchar *const formats[] = { "%.15g", "%.16g", "%.17g" };
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, sizeof (buf), formats[i], v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  g_string_append (s, buf);
}

static void
append_json_string (GString * s, const gchar * text)
{
  const guchar *p;

  g_string_append_c (s, '"');
  for (p = (const guchar *) text; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (s, "\\u%04x", *p);
    else
      g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
}

static void
append_json_key (GString * s, const gchar * key, gboolean first)
{
  if (!first)
    g_string_append_c (s, ',');
  append_json_string (s, key);
  g_string_append_c (s, ':');
}

/* ------------------------------------------------------------ files */

/* An existing output that is not a regular file (a directory, a FIFO, a
 * device) is refused rather than replaced by the rename. */
static gboolean
check_output_path (const gchar * path, GError ** error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0) {
    if (errno == ENOENT)
      return TRUE;
    return fail (error, "cannot write %s: %s", path, g_strerror (errno));
  }
  if (!S_ISREG (st.st_mode))
    return fail (error, "refusing to replace %s: it exists and is not a "
        "regular file", path);
  return TRUE;
}

static gboolean
write_all (gint fd, const guint8 * data, gsize len)
{
  while (len > 0) {
    gssize w = write (fd, data, len);

    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return FALSE;
    data += w;
    len -= w;
  }
  return TRUE;
}

/* File systems that cannot sync a directory say EINVAL: accepted. */
static void
sync_parent_directory (const gchar * path)
{
  gchar *dir = g_path_get_dirname (path);
  gint fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  g_free (dir);
}

/* Temporary file beside @path, fsync, rename: @path is either the whole
 * new content or what it was before. */
static gboolean
write_file_atomically (const gchar * path, const guint8 * data, gsize len,
    GError ** error)
{
  gchar *tmp;
  gint fd, err = 0;

  if (!check_output_path (path, error))
    return FALSE;
  tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0) {
    err = errno;
    g_free (tmp);
    return fail (error, "cannot create a temporary file for %s: %s", path,
        g_strerror (err));
  }
  /* mkstemp makes 0600; an export is an ordinary file. */
  {
    mode_t mask = umask (0);

    umask (mask);
    fchmod (fd, 0666 & ~mask);
  }
  if (!write_all (fd, data, len) || fsync (fd) != 0)
    err = errno;
  if (close (fd) != 0 && err == 0)
    err = errno;
  if (err == 0 && rename (tmp, path) != 0)
    err = errno;
  if (err != 0) {
    g_unlink (tmp);
    g_free (tmp);
    return fail (error, "cannot write %s: %s", path, g_strerror (err));
  }
  g_free (tmp);
  sync_parent_directory (path);
  return TRUE;
}

static gboolean
write_stdout (const gchar * text, gsize len, GError ** error)
{
  if (fwrite (text, 1, len, stdout) != len || fflush (stdout) != 0)
    return fail (error, "cannot write to standard output: %s",
        g_strerror (errno));
  return TRUE;
}

/* @out NULL or "-": standard output; otherwise an atomic file. */
static gboolean
write_output (const gchar * out, const gchar * text, gsize len, GError ** error)
{
  if (out == NULL || strcmp (out, "-") == 0)
    return write_stdout (text, len, error);
  return write_file_atomically (out, (const guint8 *) text, len, error);
}

/* ------------------------------------------------------------ .npy out */

/* NumPy format 1.0: magic, version, u16 header length, a Python dict
 * literal padded with spaces and ending in a newline, then the data. */
static GByteArray *
npy_new (const gchar * descr, const gchar * shape)
{
  GByteArray *out = g_byte_array_new ();
  GString *dict = g_string_new (NULL);
  gsize prefix = NPY_MAGIC_LEN + 4;
  guint8 len_le[2];

  g_string_printf (dict, "{'descr': '%s', 'fortran_order': False, "
      "'shape': %s, }", descr, shape);
  while ((prefix + dict->len + 1) % NPY_ALIGN != 0)
    g_string_append_c (dict, ' ');
  g_string_append_c (dict, '\n');
  len_le[0] = dict->len & 0xff;
  len_le[1] = (dict->len >> 8) & 0xff;
  g_byte_array_append (out, (const guint8 *) NPY_MAGIC, NPY_MAGIC_LEN);
  g_byte_array_append (out, (const guint8 *) "\x01\x00", 2);
  g_byte_array_append (out, len_le, 2);
  g_byte_array_append (out, (const guint8 *) dict->str, dict->len);
  g_string_free (dict, TRUE);
  return out;
}

static GByteArray *
npy_of_centers (const gfloat * centers, guint k, guint d)
{
  gchar *shape = g_strdup_printf ("(%u, %u)", k, d);
  GByteArray *out = npy_new ("<f4", shape);
  gsize i;

  for (i = 0; i < (gsize) k * d; i++) {
    guint32 bits;

    memcpy (&bits, &centers[i], 4);
    bits = GUINT32_TO_LE (bits);
    g_byte_array_append (out, (const guint8 *) &bits, 4);
  }
  g_free (shape);
  return out;
}

static GByteArray *
npy_of_counts (const gdouble * counts, guint k)
{
  gchar *shape = g_strdup_printf ("(%u,)", k);
  GByteArray *out = npy_new ("<f8", shape);
  guint i;

  for (i = 0; i < k; i++) {
    guint64 bits;

    memcpy (&bits, &counts[i], 8);
    bits = GUINT64_TO_LE (bits);
    g_byte_array_append (out, (const guint8 *) &bits, 8);
  }
  g_free (shape);
  return out;
}

/* ------------------------------------------------------------ .npy in */

typedef struct
{
  gboolean f64;                 /* float64, else float32 */
  gboolean big_endian;
  gboolean fortran_order;
  gboolean have_descr, have_order, have_shape;
  guint ndim;
  guint64 shape[2];
  const guint8 *data;
  gsize data_len;
} NpyArray;

typedef struct
{
  const gchar *p, *end;
} DictScanner;

static void
skip_spaces (DictScanner * sc)
{
  while (sc->p < sc->end && g_ascii_isspace (*sc->p))
    sc->p++;
}

static gboolean
take_char (DictScanner * sc, gchar c)
{
  skip_spaces (sc);
  if (sc->p < sc->end && *sc->p == c) {
    sc->p++;
    return TRUE;
  }
  return FALSE;
}

/* A quoted Python string without escapes (all numpy writes). */
static gchar *
take_string (DictScanner * sc)
{
  const gchar *start;
  gchar quote;

  skip_spaces (sc);
  if (sc->p >= sc->end || (*sc->p != '\'' && *sc->p != '"'))
    return NULL;
  quote = *sc->p++;
  start = sc->p;
  while (sc->p < sc->end && *sc->p != quote && *sc->p != '\\')
    sc->p++;
  if (sc->p >= sc->end || *sc->p != quote)
    return NULL;
  return g_strndup (start, sc->p++ - start);
}

static gboolean
take_word (DictScanner * sc, const gchar * word)
{
  gsize n = strlen (word);

  skip_spaces (sc);
  if ((gsize) (sc->end - sc->p) >= n && strncmp (sc->p, word, n) == 0) {
    sc->p += n;
    return TRUE;
  }
  return FALSE;
}

static gboolean
take_shape (DictScanner * sc, NpyArray * arr, const gchar * path,
    GError ** error)
{
  arr->ndim = 0;
  if (!take_char (sc, '('))
    return fail (error, "%s: .npy shape is not a tuple", path);
  while (!take_char (sc, ')')) {
    gchar *endp;
    guint64 v;

    skip_spaces (sc);
    if (sc->p >= sc->end || !g_ascii_isdigit (*sc->p))
      return fail (error, "%s: .npy shape is not a tuple of integers", path);
    v = g_ascii_strtoull (sc->p, &endp, 10);
    sc->p = endp;
    if (arr->ndim == 2)
      return fail (error, "%s: the array has more than 2 dimensions", path);
    arr->shape[arr->ndim++] = v;
    if (!take_char (sc, ',') && !(skip_spaces (sc), sc->p < sc->end
            && *sc->p == ')'))
      return fail (error, "%s: .npy shape is not a tuple of integers", path);
  }
  return TRUE;
}

static gboolean
take_descr (DictScanner * sc, NpyArray * arr, const gchar * path,
    GError ** error)
{
  gchar *descr = take_string (sc);
  gboolean ok = TRUE;

  if (descr == NULL)
    return fail (error, "%s: .npy descr is not a string", path);
  if (strlen (descr) != 3 || strchr ("<>=|", descr[0]) == NULL
      || descr[1] != 'f' || (descr[2] != '4' && descr[2] != '8')
      || descr[0] == '|') {
    ok = fail (error, "%s: dtype '%s' is not supported: only float32 "
        "('<f4') and float64 ('<f8')", path, descr);
  } else {
    arr->f64 = descr[2] == '8';
    arr->big_endian = descr[0] == '>'
        || (descr[0] == '=' && G_BYTE_ORDER == G_BIG_ENDIAN);
  }
  g_free (descr);
  return ok;
}

static gboolean
take_entry (DictScanner * sc, NpyArray * arr, const gchar * path,
    GError ** error)
{
  gchar *key = take_string (sc);
  gboolean ok;

  if (key == NULL || !take_char (sc, ':')) {
    g_free (key);
    return fail (error, "%s: malformed .npy header", path);
  }
  if (strcmp (key, "descr") == 0) {
    ok = take_descr (sc, arr, path, error);
    arr->have_descr = TRUE;
  } else if (strcmp (key, "fortran_order") == 0) {
    arr->fortran_order = take_word (sc, "True");
    ok = arr->fortran_order || take_word (sc, "False")
        || fail (error, "%s: .npy fortran_order is not True or False", path);
    arr->have_order = TRUE;
  } else if (strcmp (key, "shape") == 0) {
    ok = take_shape (sc, arr, path, error);
    arr->have_shape = TRUE;
  } else {
    ok = fail (error, "%s: unexpected key '%s' in the .npy header", path, key);
  }
  g_free (key);
  return ok;
}

static gboolean
parse_npy_dict (const gchar * text, gsize len, NpyArray * arr,
    const gchar * path, GError ** error)
{
  DictScanner sc = { text, text + len };

  if (!take_char (&sc, '{'))
    return fail (error, "%s: malformed .npy header", path);
  while (!take_char (&sc, '}')) {
    if (!take_entry (&sc, arr, path, error))
      return FALSE;
    if (!take_char (&sc, ',') && !(skip_spaces (&sc), sc.p < sc.end
            && *sc.p == '}'))
      return fail (error, "%s: malformed .npy header", path);
  }
  if (!arr->have_descr || !arr->have_order || !arr->have_shape)
    return fail (error, "%s: the .npy header lacks descr, fortran_order "
        "or shape", path);
  return TRUE;
}

/* Element count of the shape, checked against the core's limits before
 * anything is sized by it. */
static gboolean
npy_check_size (const NpyArray * arr, const gchar * path, GError ** error)
{
  guint64 rows = arr->shape[0], cols = arr->ndim == 2 ? arr->shape[1] : 1;
  guint64 want;

  if (arr->ndim == 0)
    return fail (error, "%s: the array is a scalar", path);
  if (rows == 0 || cols == 0)
    return fail (error, "%s: the array is empty", path);
  if (rows > KM_MAX_CLUSTERS || cols > KM_MAX_DIMENSIONS
      || rows * cols > KM_MAX_MODEL_FLOATS)
    return fail (error, "%s: shape (%" G_GUINT64_FORMAT ", %"
        G_GUINT64_FORMAT ") is beyond the limits (%u clusters, %u "
        "dimensions)", path, rows, cols, KM_MAX_CLUSTERS, KM_MAX_DIMENSIONS);
  want = rows * cols * (arr->f64 ? 8 : 4);
  if (arr->data_len < want)
    return fail (error, "%s: truncated: %" G_GSIZE_FORMAT " bytes of data "
        "but shape and dtype need %" G_GUINT64_FORMAT, path, arr->data_len,
        want);
  if (arr->data_len > want)
    return fail (error, "%s: %" G_GUINT64_FORMAT " bytes after the data "
        "(not a single array)", path, arr->data_len - want);
  return TRUE;
}

static gboolean
parse_npy (const guint8 * buf, gsize len, NpyArray * arr, const gchar * path,
    GError ** error)
{
  guint major;
  gsize header_len, start;

  memset (arr, 0, sizeof (*arr));
  if (len < NPY_MAGIC_LEN + 4 || memcmp (buf, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    return fail (error, "%s: not a NumPy .npy file (bad magic)", path);
  major = buf[6];
  if (major == 1) {
    header_len = buf[8] | (buf[9] << 8);
    start = 10;
  } else if ((major == 2 || major == 3) && len >= 12) {
    header_len = buf[8] | (buf[9] << 8) | (buf[10] << 16)
        | ((gsize) buf[11] << 24);
    start = 12;
  } else {
    return fail (error, "%s: .npy format version %u.%u is not supported",
        path, major, buf[7]);
  }
  if (header_len > len - start)
    return fail (error, "%s: truncated .npy header", path);
  if (!parse_npy_dict ((const gchar *) buf + start, header_len, arr, path,
          error))
    return FALSE;
  if (arr->fortran_order && arr->ndim == 2 && arr->shape[1] > 1)
    return fail (error, "%s: the array is in Fortran (column-major) order; "
        "save it in C order (numpy.ascontiguousarray)", path);
  arr->data = buf + start + header_len;
  arr->data_len = len - start - header_len;
  return npy_check_size (arr, path, error);
}

static gdouble
npy_value (const NpyArray * arr, gsize i)
{
  if (arr->f64) {
    guint64 bits;
    gdouble v;

    memcpy (&bits, arr->data + 8 * i, 8);
    bits = arr->big_endian ? GUINT64_FROM_BE (bits) : GUINT64_FROM_LE (bits);
    memcpy (&v, &bits, 8);
    return v;
  } else {
    guint32 bits;
    gfloat f;

    memcpy (&bits, arr->data + 4 * i, 4);
    bits = arr->big_endian ? GUINT32_FROM_BE (bits) : GUINT32_FROM_LE (bits);
    memcpy (&f, &bits, 4);
    return f;
  }
}

/* float32 from either dtype; a float64 beyond float32's range would
 * become infinite, so it is refused like NaN and Inf. */
static gfloat *
centers_of_npy (const NpyArray * arr, const gchar * path, guint * k,
    guint * d, GError ** error)
{
  gsize n, i;
  gfloat *centers;

  if (arr->ndim != 2) {
    fail (error, "%s: centers must be a 2-D array (K rows of D values), "
        "not %u-D", path, arr->ndim);
    return NULL;
  }
  *k = arr->shape[0];
  *d = arr->shape[1];
  n = (gsize) * k * *d;
  centers = g_new (gfloat, n);
  for (i = 0; i < n; i++) {
    gdouble v = npy_value (arr, i);

    centers[i] = (gfloat) v;
    if (!isfinite (v) || !isfinite (centers[i])) {
      fail (error, "%s: row %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT
          " is %g: centers must be finite float32 values", path, i / *d,
          i % *d, v);
      g_free (centers);
      return NULL;
    }
  }
  return centers;
}

/* ------------------------------------------------------------ show */

static gchar *
double_text (gdouble v)
{
  GString *s = g_string_new (NULL);

  append_double (s, v);
  return g_string_free (s, FALSE);
}

/* Doubles through g_ascii_formatd: the same text in every locale. */
static gchar *
show_as_text (const gchar * path, const KmCheckpointInfo * info)
{
  GString *s = g_string_new (NULL);
  gchar *name = g_filename_display_name (path);
  gchar *loss = info->have_prev_loss ? double_text (info->prev_loss) :
      g_strdup ("none");
  gchar *decay = double_text (info->decay_factor);
  gchar *initial = double_text (info->initial_count);

  g_string_append_printf (s, "checkpoint:       %s\n", name);
  g_string_append_printf (s, "format version:   %u (%" G_GUINT64_FORMAT
      " bytes)\n", info->format_version, info->size);
  g_string_append (s, "checksum:         valid (SHA-256)\n");
  g_string_append_printf (s, "clusters (k):     %u\n", info->k);
  g_string_append_printf (s, "dimensions (d):   %u\n", info->d);
  g_string_append_printf (s, "metric:           %s\n",
      metric_name (info->metric));
  if (info->mini_batch)
    g_string_append_printf (s, "mode:             mini-batch, %u step%s per "
        "sync\n", info->steps_per_sync, info->steps_per_sync == 1 ? "" : "s");
  else
    g_string_append (s, "mode:             full-batch\n");
  g_string_append_printf (s, "init:             %s\n", init_name (info->init));
  g_string_append_printf (s, "step:             %" G_GUINT64_FORMAT "\n",
      info->step);
  g_string_append_printf (s, "model version:    %" G_GUINT64_FORMAT "\n",
      info->version);
  g_string_append_printf (s, "model step:       %" G_GUINT64_FORMAT "\n",
      info->model_step);
  g_string_append_printf (s, "initialized:      %s (%u of %u centers "
      "chosen)\n", info->initialized ? "yes" : "no", info->initialized_rows,
      info->k);
  g_string_append_printf (s, "converged:        %s\n",
      info->converged ? "yes" : "no");
  g_string_append_printf (s, "previous loss:    %s\n", loss);
  g_string_append (s, "config (stored; a loading trainer's own config "
      "applies):\n");
  g_string_append_printf (s, "  seed:           %" G_GUINT64_FORMAT "\n",
      info->seed);
  g_string_append_printf (s, "  decay factor:   %s per %s\n", decay,
      info->time_unit == KM_TIME_UNIT_POINTS ? "point" : "batch");
  g_string_append_printf (s, "  initial count:  %s\n", initial);
  g_free (name);
  g_free (loss);
  g_free (decay);
  g_free (initial);
  return g_string_free (s, FALSE);
}

static gchar *
show_as_json (const gchar * path, const KmCheckpointInfo * info)
{
  GString *s = g_string_new ("{");
  gchar *name = g_filename_display_name (path);

  append_json_key (s, "file", TRUE);
  append_json_string (s, name);
  g_string_append_printf (s, ",\"format_version\":%u,\"size\":%"
      G_GUINT64_FORMAT ",\"checksum\":\"valid\",\"clusters\":%u,"
      "\"dimensions\":%u", info->format_version, info->size, info->k, info->d);
  append_json_key (s, "metric", FALSE);
  append_json_string (s, metric_name (info->metric));
  g_string_append_printf (s, ",\"mode\":\"%s\",\"steps_per_sync\":%u",
      info->mini_batch ? "mini-batch" : "full-batch", info->steps_per_sync);
  append_json_key (s, "init", FALSE);
  append_json_string (s, init_name (info->init));
  g_string_append_printf (s, ",\"step\":%" G_GUINT64_FORMAT
      ",\"model_version\":%" G_GUINT64_FORMAT ",\"model_step\":%"
      G_GUINT64_FORMAT ",\"initialized\":%s,\"initialized_centers\":%u,"
      "\"converged\":%s,\"previous_loss\":", info->step, info->version,
      info->model_step, info->initialized ? "true" : "false",
      info->initialized_rows, info->converged ? "true" : "false");
  if (info->have_prev_loss)
    append_double (s, info->prev_loss);
  else
    g_string_append (s, "null");
  g_string_append_printf (s, ",\"config\":{\"seed\":%" G_GUINT64_FORMAT
      ",\"decay_factor\":", info->seed);
  append_double (s, info->decay_factor);
  g_string_append_printf (s, ",\"time_unit\":\"%s\",\"initial_count\":",
      time_unit_name (info->time_unit));
  append_double (s, info->initial_count);
  g_string_append (s, "}}\n");
  g_free (name);
  return g_string_free (s, FALSE);
}

static gint
run_show (gint argc, gchar ** argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"json", 'j', 0, G_OPTION_ARG_NONE, &json,
        "Print the header as one JSON object", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("show FILE");
  GError *error = NULL;
  KmCheckpointInfo info;
  gchar *text;
  gboolean ok;

  g_option_context_set_summary (ctx, "Prints a checkpoint's header after "
      "verifying the whole file (sizes, SHA-256, finite values): k, d, "
      "metric, mode, init, step, model version, convergence and the "
      "stored config.  A damaged file is reported on stderr (exit 1).");
  g_option_context_set_description (ctx, "Example:\n  " PROGRAM
      " show model.ckpt --json\n\nExit status: 0 valid, 1 damaged or "
      "unreadable, 2 usage error.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_option_context_free (ctx);
    usage_error ("show", error->message);
    g_error_free (error);
    return EXIT_USAGE;
  }
  g_option_context_free (ctx);
  if (argc != 2)
    return usage_error ("show", "show takes exactly one FILE");

  if (!km_checkpoint_read_info (argv[1], &info, &error))
    return report_error (error);
  text = json ? show_as_json (argv[1], &info) : show_as_text (argv[1], &info);
  ok = write_stdout (text, strlen (text), &error);
  g_free (text);
  return ok ? EXIT_OK : report_error (error);
}

/* ------------------------------------------------------------ export */

static gchar *
centers_as_csv (KmModel * model, gboolean with_counts, gboolean header)
{
  guint k = km_model_get_k (model), d = km_model_get_d (model), i, j;
  const gfloat *centers = km_model_get_centers (model);
  const gdouble *counts = km_model_get_counts (model);
  GString *s = g_string_new (NULL);

  with_counts = with_counts && counts != NULL;
  /* A comment line: the file still reads back with import and with
   * numpy.loadtxt. */
  if (header) {
    g_string_append (s, "# ");
    for (j = 0; j < d; j++)
      g_string_append_printf (s, j ? ",x%u" : "x%u", j);
    if (with_counts)
      g_string_append (s, ",count");
    g_string_append_c (s, '\n');
  }
  for (i = 0; i < k; i++) {
    for (j = 0; j < d; j++) {
      if (j > 0)
        g_string_append_c (s, ',');
      append_float (s, centers[(gsize) i * d + j]);
    }
    if (with_counts) {
      g_string_append_c (s, ',');
      append_double (s, counts[i]);
    }
    g_string_append_c (s, '\n');
  }
  return g_string_free (s, FALSE);
}

/* kmeans-format's "model" document (schemas/model.schema.json), with a
 * null pts: a checkpoint has no stream position. */
static gchar *
model_as_json (KmModel * model)
{
  guint k = km_model_get_k (model), d = km_model_get_d (model), i, j;
  const gfloat *centers = km_model_get_centers (model);
  const gdouble *counts = km_model_get_counts (model);
  GString *s = g_string_new ("{\"type\":\"model\",\"pts\":null");

  g_string_append_printf (s, ",\"version\":%" G_GUINT64_FORMAT ",\"step\":%"
      G_GUINT64_FORMAT ",\"clusters\":%u,\"dimensions\":%u,\"metric\":",
      km_model_get_version (model), km_model_get_step (model), k, d);
  append_json_string (s, metric_name (km_model_get_metric (model)));
  g_string_append (s, ",\"centers\":[");
  for (i = 0; i < k; i++) {
    g_string_append (s, i ? ",[" : "[");
    for (j = 0; j < d; j++) {
      if (j > 0)
        g_string_append_c (s, ',');
      append_float (s, centers[(gsize) i * d + j]);
    }
    g_string_append_c (s, ']');
  }
  g_string_append (s, "],\"counts\":");
  if (counts == NULL) {
    g_string_append (s, "null");
  } else {
    g_string_append_c (s, '[');
    for (i = 0; i < k; i++) {
      if (i > 0)
        g_string_append_c (s, ',');
      append_double (s, counts[i]);
    }
    g_string_append_c (s, ']');
  }
  g_string_append (s, "}\n");
  return g_string_free (s, FALSE);
}

static gboolean
write_byte_array (const gchar * path, GByteArray * bytes, GError ** error)
{
  gboolean ok = write_file_atomically (path, bytes->data, bytes->len, error);

  g_byte_array_free (bytes, TRUE);
  return ok;
}

static gboolean
export_model (KmModel * model, const gchar * format, const gchar * out,
    gboolean with_counts, gboolean header, GError ** error)
{
  gchar *text;
  gboolean ok;

  if (strcmp (format, "npy") == 0)
    return write_byte_array (out, npy_of_centers (km_model_get_centers
            (model), km_model_get_k (model), km_model_get_d (model)), error);
  if (strcmp (format, "csv") == 0)
    text = centers_as_csv (model, with_counts, header);
  else
    text = model_as_json (model);
  ok = write_output (out, text, strlen (text), error);
  g_free (text);
  return ok;
}

static gint
check_export_usage (gint argc, const gchar * format, const gchar * out,
    gboolean with_counts, gboolean header)
{
  if (argc != 2)
    return usage_error ("export", "export takes exactly one FILE");
  if (format == NULL)
    return usage_error ("export", "--format is required (csv, json or npy)");
  if (strcmp (format, "csv") != 0 && strcmp (format, "json") != 0
      && strcmp (format, "npy") != 0)
    return usage_error ("export", "--format must be csv, json or npy");
  if (strcmp (format, "npy") == 0 && (out == NULL || strcmp (out, "-") == 0))
    return usage_error ("export", "--format npy needs -o OUT (binary "
        "output is not written to standard output)");
  if ((with_counts || header) && strcmp (format, "csv") != 0)
    return usage_error ("export", "--counts and --header apply to --format "
        "csv (json always has the counts; npy: --counts-npy)");
  return EXIT_OK;
}

static gint
run_export (gint argc, gchar ** argv)
{
  gchar *format = NULL, *out = NULL, *counts_npy = NULL;
  gboolean with_counts = FALSE, header = FALSE;
  GOptionEntry entries[] = {
    {"format", 'f', 0, G_OPTION_ARG_STRING, &format,
        "Output format: csv (one center a line), json (a kmeans-format "
          "\"model\" document) or npy (a K x D float32 array)", "FORMAT"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
        "Write to OUT (atomically) instead of standard output; required "
          "for npy", "OUT"},
    {"counts", 0, 0, G_OPTION_ARG_NONE, &with_counts,
        "csv: add each center's count as a last column", NULL},
    {"header", 0, 0, G_OPTION_ARG_NONE, &header,
          "csv: start with a '# x0,x1,...' comment line naming the columns",
        NULL},
    {"counts-npy", 0, 0, G_OPTION_ARG_FILENAME, &counts_npy,
        "Also write the K counts as a float64 .npy file", "OUT"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("export FILE");
  GError *error = NULL;
  KmModel *model;
  gint status;

  g_option_context_set_summary (ctx, "Writes a checkpoint's model (the "
      "master centers and their counts, as kmeans-assign loads it) as CSV, "
      "JSON or NumPy .npy.  Values are float32, written so they read back "
      "bit for bit.");
  g_option_context_set_description (ctx, "Examples:\n  " PROGRAM
      " export model.ckpt --format csv --counts\n  " PROGRAM
      " export model.ckpt --format npy -o centers.npy --counts-npy "
      "counts.npy\n\nExit status: 0 written, 1 error, 2 usage error.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_option_context_free (ctx);
    usage_error ("export", error->message);
    g_error_free (error);
    return EXIT_USAGE;
  }
  g_option_context_free (ctx);
  status = check_export_usage (argc, format, out, with_counts, header);
  if (status != EXIT_OK)
    goto done;

  status = EXIT_ERROR;
  model = km_checkpoint_load_model (argv[1], &error);
  if (model == NULL)
    goto done;
  if (export_model (model, format, out, with_counts, header, &error)
      && (counts_npy == NULL || write_byte_array (counts_npy,
              npy_of_counts (km_model_get_counts (model),
                  km_model_get_k (model)), &error)))
    status = EXIT_OK;
  km_model_unref (model);

done:
  if (error != NULL)
    report_error (error);
  g_free (format);
  g_free (out);
  g_free (counts_npy);
  return status;
}

/* ------------------------------------------------------------ import */

static gboolean
is_npy (const guint8 * data, gsize len)
{
  return len >= NPY_MAGIC_LEN && memcmp (data, NPY_MAGIC, NPY_MAGIC_LEN) == 0;
}

static gboolean
has_npy_suffix (const gchar * path)
{
  return g_str_has_suffix (path, ".npy") || g_str_has_suffix (path, ".NPY");
}

/* .npy (by content) or the core's text format of centers (one center a
 * line, values separated by commas or spaces, '#' comments). */
static gfloat *
load_centers (const gchar * path, guint * k, guint * d, GError ** error)
{
  gsize len;
  guint8 *data = (guint8 *) km_file_read_text (path, &len, error);
  gfloat *centers = NULL;
  NpyArray arr;

  if (data == NULL)
    return NULL;
  if (is_npy (data, len) || has_npy_suffix (path)) {
    if (parse_npy (data, len, &arr, path, error))
      centers = centers_of_npy (&arr, path, k, d, error);
  } else if (len >= 8 && memcmp (data, "GKMCKPT", 8) == 0) {
    fail (error, "%s is a checkpoint, not centers (its centers: "
        PROGRAM " export)", path);
  } else {
    /* The text already read, not the file opened again. */
    centers = km_centers_parse_text ((gchar *) data, len, path, k, d, error);
  }
  g_free (data);
  return centers;
}

static gdouble *
counts_of_npy (const NpyArray * arr, const gchar * path, guint k,
    GError ** error)
{
  gdouble *counts;
  guint i;

  if ((arr->ndim == 2 && arr->shape[1] != 1) || arr->shape[0] != k) {
    fail (error, "%s: counts must be %u values (shape (%u,)), one per "
        "center", path, k, k);
    return NULL;
  }
  counts = g_new (gdouble, k);
  for (i = 0; i < k; i++)
    counts[i] = npy_value (arr, i);
  return counts;
}

/* Counts as text: numbers separated by commas, white space or newlines,
 * '#' comments; parsed as doubles (counts are float64). */
static gdouble *
counts_of_text (gchar * text, const gchar * path, guint k, GError ** error)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i, j;

  for (i = 0; lines[i] != NULL; i++) {
    gchar **fields, *hash = strchr (lines[i], '#');

    if (hash != NULL)
      *hash = '\0';
    fields = g_strsplit_set (lines[i], ", \t\r", -1);
    for (j = 0; fields[j] != NULL; j++) {
      gchar *end;
      gdouble v;

      if (fields[j][0] == '\0')
        continue;
      v = g_ascii_strtod (fields[j], &end);
      if (*end != '\0') {
        fail (error, "%s:%u: '%s' is not a number", path, i + 1, fields[j]);
        g_strfreev (fields);
        goto fail;
      }
      g_array_append_val (values, v);
    }
    g_strfreev (fields);
  }
  g_strfreev (lines);
  if (values->len != k) {
    fail (error, "%s: %u counts but there are %u centers", path, values->len,
        k);
    g_array_free (values, TRUE);
    return NULL;
  }
  return (gdouble *) g_array_free (values, FALSE);

fail:
  g_strfreev (lines);
  g_array_free (values, TRUE);
  return NULL;
}

static gdouble *
load_counts (const gchar * path, guint k, GError ** error)
{
  gsize len;
  guint8 *data = (guint8 *) km_file_read_text (path, &len, error);
  gdouble *counts = NULL;
  NpyArray arr;

  if (data == NULL)
    return NULL;
  if (is_npy (data, len) || has_npy_suffix (path)) {
    if (parse_npy (data, len, &arr, path, error))
      counts = counts_of_npy (&arr, path, k, error);
  } else if (strlen ((gchar *) data) != len) {
    fail (error, "%s: contains a NUL byte, not a text or .npy file", path);
  } else {
    counts = counts_of_text ((gchar *) data, path, k, error);
  }
  g_free (data);
  return counts;
}

typedef struct
{
  KmMetric metric;
  gboolean full_batch;
  gint steps_per_sync;
  gint64 seed;
} ImportSettings;

/* A trainer at version 1, step 0, initialised with @centers ("given"),
 * saved by the core: the same file kmeans-train writes. */
static gboolean
build_checkpoint (const ImportSettings * set, const gfloat * centers, guint k,
    guint d, const gdouble * counts, const gchar * out, GError ** error)
{
  KmConfig cfg;
  KmTrainer *trainer;
  gboolean ok;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.metric = set->metric;
  cfg.init = KM_INIT_GIVEN;
  cfg.mini_batch = !set->full_batch;
  cfg.steps_per_sync = set->steps_per_sync;
  cfg.seed = set->seed;
  trainer = km_trainer_new (&cfg, error);
  if (trainer == NULL)
    return FALSE;
  ok = km_trainer_set_centers (trainer, centers, k, d, error)
      && (counts == NULL || km_trainer_set_counts (trainer, counts, k, error))
      && check_output_path (out, error)
      && km_trainer_save (trainer, out, error);
  km_trainer_free (trainer);
  return ok;
}

static gint
check_import_usage (gint argc, const gchar * centers, const gchar * out,
    const gchar * metric, ImportSettings * set)
{
  if (argc != 1)
    return usage_error ("import", "import takes no FILE argument; give "
        "--centers FILE and -o CKPT");
  if (centers == NULL || out == NULL)
    return usage_error ("import", "--centers FILE and -o CKPT are required");
  if (metric != NULL && !parse_metric (metric, &set->metric))
    return usage_error ("import", "--metric must be squared-euclidean or "
        "cosine");
  if (set->steps_per_sync < 1)
    return usage_error ("import", "--steps-per-sync must be >= 1");
  if (set->full_batch && set->steps_per_sync != 1)
    return usage_error ("import", "--steps-per-sync applies to mini-batch "
        "training, not --full-batch");
  if (set->seed < 0)
    return usage_error ("import", "--seed must be >= 0");
  return EXIT_OK;
}

static gint
run_import (gint argc, gchar ** argv)
{
  gchar *centers_path = NULL, *out = NULL, *metric = NULL, *counts_path = NULL;
  ImportSettings set = { KM_METRIC_SQUARED_EUCLIDEAN, FALSE, 1, 0 };
  GOptionEntry entries[] = {
    {"centers", 'c', 0, G_OPTION_ARG_FILENAME, &centers_path,
        "The centers: a .npy file (2-D float32 or float64, C order) or a "
          "text file of one center a line, values separated by commas or "
          "spaces, '#' comments", "FILE"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
        "The checkpoint to write (atomically; replaced if it exists)", "CKPT"},
    {"metric", 'm', 0, G_OPTION_ARG_STRING, &metric,
        "squared-euclidean (default) or cosine; cosine stores the centers "
          "normalised, as kmeans-train does", "METRIC"},
    {"counts", 0, 0, G_OPTION_ARG_FILENAME, &counts_path,
        "Each center's count (e.g. its cluster size): K values as .npy or "
          "text; default 1 each in mini-batch, 0 otherwise", "FILE"},
    {"full-batch", 0, 0, G_OPTION_ARG_NONE, &set.full_batch,
        "Write a full-batch checkpoint (default: mini-batch)", NULL},
    {"steps-per-sync", 0, 0, G_OPTION_ARG_INT, &set.steps_per_sync,
        "Mini-batch steps per sync, N >= 1 (default 1)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &set.seed,
        "Seed of the random state a resumed trainer continues with "
          "(default 0)", "SEED"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("import");
  GError *error = NULL;
  gfloat *centers = NULL;
  gdouble *counts = NULL;
  guint k = 0, d = 0;
  gint status;

  g_option_context_set_summary (ctx, "Builds a checkpoint from centers "
      "trained elsewhere (e.g. scikit-learn's cluster_centers_), through "
      "the core library: kmeans-assign model-location loads it and "
      "kmeans-train (same k, d, metric and mode) resumes from it.  The "
      "checkpoint is at step 0, model version 1, init \"given\".");
  g_option_context_set_description (ctx, "Example (scikit-learn):\n"
      "  python3 -c 'import numpy; numpy.save(\"c.npy\", "
      "km.cluster_centers_)'\n  " PROGRAM " import --centers c.npy -o "
      "model.ckpt\n  gst-launch-1.0 ... ! kmeans-assign "
      "model-location=model.ckpt ! ...\n\nThe centers are stored as "
      "float32.  Exit status: 0 written, 1 error (bad input: dtype, order, "
      "truncation, NaN/Inf), 2 usage error.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_option_context_free (ctx);
    usage_error ("import", error->message);
    g_error_free (error);
    return EXIT_USAGE;
  }
  g_option_context_free (ctx);
  status = check_import_usage (argc, centers_path, out, metric, &set);
  if (status != EXIT_OK)
    goto done;

  status = EXIT_ERROR;
  centers = load_centers (centers_path, &k, &d, &error);
  if (centers == NULL)
    goto done;
  if (counts_path != NULL) {
    counts = load_counts (counts_path, k, &error);
    if (counts == NULL)
      goto done;
  }
  if (build_checkpoint (&set, centers, k, d, counts, out, &error))
    status = EXIT_OK;

done:
  if (error != NULL)
    report_error (error);
  g_free (centers);
  g_free (counts);
  g_free (centers_path);
  g_free (out);
  g_free (metric);
  g_free (counts_path);
  return status;
}

/* ------------------------------------------------------------ main */

typedef struct
{
  const gchar *name;
    gint (*run) (gint argc, gchar ** argv);
} Command;

static const Command commands[] = {
  {"show", run_show},
  {"export", run_export},
  {"import", run_import},
};

static gchar *
main_help (void)
{
  GOptionContext *ctx = g_option_context_new ("COMMAND [ARGS...]");
  gchar *help;

  g_option_context_set_summary (ctx, "Inspects, exports and builds "
      "gst-kmeans checkpoints (schemas/checkpoint.md).\n\nCommands:\n"
      "  show FILE [--json]                 the header and checksum state\n"
      "  export FILE --format csv|json|npy  the centers (and counts)\n"
      "  import --centers FILE -o CKPT      a checkpoint from CSV or .npy\n"
      "\n'" PROGRAM " COMMAND --help' lists a command's options.");
  g_option_context_set_description (ctx, "Exit status: 0 success, 1 error "
      "(message on standard error), 2 usage error.");
  g_option_context_set_help_enabled (ctx, FALSE);
  help = g_option_context_get_help (ctx, TRUE, NULL);
  g_option_context_free (ctx);
  return help;
}

static gboolean
is_help (const gchar * arg)
{
  return strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0
      || strcmp (arg, "-?") == 0 || strcmp (arg, "help") == 0;
}

/* argv without the command name, for the command's own option parser. */
static gint
run_command (const Command * cmd, gint argc, gchar ** argv)
{
  gchar **args = g_new0 (gchar *, argc);
  gint i, status;

  args[0] = argv[0];
  for (i = 2; i < argc; i++)
    args[i - 1] = argv[i];
  /* The option parser removes entries from the vector, never frees them. */
  status = cmd->run (argc - 1, args);
  g_free (args);
  return status;
}

int
main (int argc, char **argv)
{
  gchar *help;
  guint i;

  setlocale (LC_ALL, "");
  g_set_prgname (PROGRAM);
  if (argc >= 2 && is_help (argv[1])) {
    help = main_help ();
    g_print ("%s", help);
    g_free (help);
    return EXIT_OK;
  }
  if (argc >= 2 && strcmp (argv[1], "--version") == 0) {
    g_print ("%s %s\n", PROGRAM, VERSION);
    return EXIT_OK;
  }
  if (argc < 2) {
    help = main_help ();
    g_printerr ("%s", help);
    g_free (help);
    return EXIT_USAGE;
  }
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return run_command (&commands[i], argc, argv);
  g_printerr ("%s: unknown command '%s' (show, export or import)\n"
      "Try '%s --help'.\n", PROGRAM, argv[1], PROGRAM);
  return EXIT_USAGE;
}

/* Fuzzes kmeans-parse's text readers, kmcsvreader.h and kmjsonreader.h,
 * directly, without GStreamer: the text is cut into records the way
 * kmeans-parse cuts it (messages, or lines across buffers), each record
 * goes to the reader of its format, and a sink standing in for the
 * element takes points (learning D, refusing points of another width or
 * out of range) and applies the bad-input policy.
 *
 * Input: three option bytes, then the text, cut into buffers at every
 * 0xff byte (never valid UTF-8, so no text is lost by it).
 *   byte 0: bits 0-1 format (auto, csv, json, auto), bit 2 lines mode,
 *           bits 3-4 header (auto, present, absent, auto), bit 5
 *           output-format=F64LE, bit 6 on-bad-input=skip, bit 7 DISCONT
 *           on every buffer after the first (lines mode: the unfinished
 *           line is lost);
 *   byte 1: bits 0-1 input caps (what format=auto follows), bits 2-3
 *           columns ("", "1,0", "x,y", "y"), bits 4-5 delimiter (",",
 *           ";", "\t", " "), bits 6-7 dimensions (0-3);
 *   byte 2: max-line-length, 16 + byte (0: the default); longer lines
 *           never reach a reader.
 *
 * Promises checked: after the sink says stop, a reader calls nothing more
 * and reports that it stopped; every reason is non-empty UTF-8 text of at
 * most 255 bytes; a CSV line gives at most one point or malformed record
 * (exactly one without a header), a forced header none; with columns
 * chosen every point has that many values, and the first point accepted
 * with automatic CSV columns fixes them to its width.  Every JSON document
 * is also read by two more readers that never stop, one parsing it whole
 * and one walking every array and object as text (parse limit 0): they
 * read the same points and reasons, except that where one finds a syntax
 * error ("<data>:" reasons) that is the only thing either reports, and
 * only a document outside strict JSON may parse whole yet not walked (the
 * walk refuses some json-glib extensions).  Framing drops a UTF-8
 * byte-order mark at the start of a message or of the stream. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "kmeans.h"
#include "kmcsvreader.h"
#ifdef HAVE_JSON_GLIB
#include "kmjsonreader.h"
#include "kmjsonscan.h"
#endif

typedef enum
{
  FORMAT_AUTO,
  FORMAT_CSV,
  FORMAT_JSON
} Format;

static const Format caps_formats[] = {
  FORMAT_AUTO, FORMAT_CSV, FORMAT_JSON, FORMAT_AUTO
};

static const Format formats[] = {
  FORMAT_AUTO, FORMAT_CSV, FORMAT_JSON, FORMAT_AUTO
};

static const KmCsvHeader headers[] = {
  KM_CSV_HEADER_AUTO, KM_CSV_HEADER_PRESENT, KM_CSV_HEADER_ABSENT,
  KM_CSV_HEADER_AUTO
};
static const gchar *const columns[] = { "", "1,0", "x,y", "y" };
static const gchar *const delimiters[] = { ",", ";", "\\t", " " };

#define DEFAULT_MAX_LINE_LENGTH (1024 * 1024)

/* The element's side of the readers, and what one read call did. */
typedef struct
{
  gboolean skip;                /* on-bad-input=skip */
  gboolean f64;
  guint d;                      /* 0 until learnt */
  KmColumns cols;
  KmCsvHeader header;
  Format format;                /* in force; AUTO until sniffed */
  gsize max_line_length;
  KmCsvReader *csv;
#ifdef HAVE_JSON_GLIB
  KmJsonReader *json;
#endif
  gboolean ended;               /* a stop ends the stream, as an error does */
  GString *line;                /* lines mode: the unfinished line */
  gboolean too_long;            /* ... is longer than max_line_length */
  gboolean stream_start;        /* lines mode: no line seen yet */

  /* One read call. */
  guint width_wanted;           /* columns chosen when it began, 0 if none */
  gboolean stopped;
  guint points;
  guint malformed;
  guint accepted_width;
} Parse;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_make_warnings_fatal ();
  return 0;
}

static gboolean
value_fits (Parse * p, gdouble v)
{
  return p->f64 ? isfinite (v) : isfinite ((gfloat) v);
}

static gboolean
point_fits (Parse * p, const gdouble * values, guint width)
{
  guint j;

  if (width == 0 || width > KM_MAX_DIMENSIONS || (p->d && width != p->d))
    return FALSE;
  for (j = 0; j < width; j++) {
    if (!value_fits (p, values[j]))
      return FALSE;
  }
  return TRUE;
}

static KmPointVerdict
sink_point (const gdouble * values, guint width, gpointer user_data)
{
  Parse *p = user_data;

  fuzz_check (!p->stopped);
  if (p->width_wanted > 0)
    fuzz_check (width == p->width_wanted);
  p->points++;
  if (!point_fits (p, values, width)) {
    p->stopped = !p->skip;
    return p->skip ? KM_POINT_REFUSED : KM_POINT_STOP;
  }
  p->d = width;
  p->accepted_width = width;
  return KM_POINT_ACCEPTED;
}

static gboolean
sink_malformed (const gchar * reason, gpointer user_data)
{
  Parse *p = user_data;
  gsize len = strlen (reason);

  fuzz_check (!p->stopped);
  fuzz_check (len > 0 && len <= 255);
  fuzz_check (g_utf8_validate (reason, len, NULL));
  p->malformed++;
  p->stopped = !p->skip;
  return p->skip;
}

static void
sink_log (GLogLevelFlags level, const gchar * message, gpointer user_data)
{
  fuzz_check (level == G_LOG_LEVEL_DEBUG || level == G_LOG_LEVEL_INFO);
  fuzz_check (message != NULL && message[0] != '\0');
}

static void
read_begin (Parse * p)
{
  p->width_wanted = p->cols.n;
  p->stopped = FALSE;
  p->points = p->malformed = p->accepted_width = 0;
}

/* What every read promises: it says whether the sink stopped it. */
static void
read_end (Parse * p, gboolean went_on)
{
  fuzz_check (went_on == !p->stopped);
  if (p->stopped)
    p->ended = TRUE;
}

static void
read_csv (Parse * p, const gchar * line, gsize len, gboolean may_be_header)
{
  gboolean automatic = p->cols.n == 0;
  gboolean went_on;

  read_begin (p);
  went_on = km_csv_reader_read_line (p->csv, line, (guint) len);
  read_end (p, went_on);

  fuzz_check (p->points + p->malformed <= 1);
  if (p->header == KM_CSV_HEADER_ABSENT)
    fuzz_check (p->points + p->malformed == 1);
  if (p->header == KM_CSV_HEADER_PRESENT && may_be_header)
    fuzz_check (p->points == 0);
  if (automatic && p->accepted_width > 0)
    fuzz_check (p->cols.automatic && p->cols.n == p->accepted_width);
}

#ifdef HAVE_JSON_GLIB
/* What a sink that never stops was given. */
typedef struct
{
  GString *log;                 /* "(1,2)" per point, "!reason;" per bad one */
  guint records;                /* points and malformed records */
  gboolean syntax_error;        /* a reason was a parse error, "<data>:..." */
} Logged;

static KmPointVerdict
log_point (const gdouble * values, guint width, gpointer user_data)
{
  Logged *l = user_data;
  guint j;

  g_string_append_c (l->log, '(');
  for (j = 0; j < width; j++)
    g_string_append_printf (l->log, "%s%.17g", j ? "," : "", values[j]);
  g_string_append_c (l->log, ')');
  l->records++;
  return KM_POINT_ACCEPTED;
}

static gboolean
log_malformed (const gchar * reason, gpointer user_data)
{
  Logged *l = user_data;

  g_string_append_printf (l->log, "!%s;", reason);
  l->records++;
  l->syntax_error |= g_str_has_prefix (reason, "<data>:");
  return TRUE;
}

static void
read_json_logged (Parse * p, const gchar * text, gsize len, gsize limit,
    Logged * l)
{
  const KmPointSink sink = { log_point, log_malformed, NULL, l };
  KmJsonReader *json = km_json_reader_new (&p->cols, "point", &sink);

  l->log = g_string_new (NULL);
  l->records = 0;
  l->syntax_error = FALSE;
  km_json_reader_set_parse_limit (json, limit);
  fuzz_check (km_json_reader_read (json, text, len));
  km_json_reader_free (json);
}

/* A syntax error is a document's only record. */
static gboolean
only_syntax_error (const Logged * l)
{
  return l->syntax_error && l->records == 1;
}

/* Parsed whole or walked, a document reads the same. */
static void
check_walk_reads_alike (Parse * p, const gchar * text, gsize len)
{
  Logged whole, walked;

  read_json_logged (p, text, len, G_MAXSIZE, &whole);
  read_json_logged (p, text, len, 0, &walked);
  if (whole.syntax_error)
    fuzz_check (only_syntax_error (&whole) && only_syntax_error (&walked));
  else if (walked.syntax_error)
    fuzz_check (only_syntax_error (&walked) && !km_json_is_strict (text, len));
  else
    fuzz_check (strcmp (whole.log->str, walked.log->str) == 0);
  g_string_free (whole.log, TRUE);
  g_string_free (walked.log, TRUE);
}
#endif

static void
read_json (Parse * p, const gchar * text, gsize len)
{
#ifdef HAVE_JSON_GLIB
  gboolean went_on;

  read_begin (p);
  went_on = km_json_reader_read (p->json, text, len);
  read_end (p, went_on);
  check_walk_reads_alike (p, text, len);
#else
  /* kmeans-parse without json-glib stops with an error here. */
  p->ended = TRUE;
#endif
}

static void
sniff_format (Parse * p, gchar first)
{
  if (p->format == FORMAT_AUTO)
    p->format = km_text_opens_json (first) ? FORMAT_JSON : FORMAT_CSV;
}

/* One record of lines mode, or one line of a CSV message. */
static void
read_record (Parse * p, const gchar * text, gsize len, gboolean * first_line)
{
  gsize first;

  if (len > 0 && text[len - 1] == '\r')
    len--;
  if (km_text_is_blank (text, len, &first))
    return;
  sniff_format (p, text[first]);
  if (p->format == FORMAT_JSON) {
    read_json (p, text, len);
  } else {
    read_csv (p, text, len, *first_line);
    *first_line = FALSE;
  }
}

static void
read_message (Parse * p, const gchar * data, gsize size)
{
  gboolean first_line = TRUE;
  gsize first, pos = 0, bom = km_text_bom_length (data, size);

  data += bom;
  size -= bom;
  if (km_text_is_blank (data, size, &first))
    return;
  sniff_format (p, data[first]);
  if (p->format == FORMAT_JSON) {
    read_json (p, data, size);
    return;
  }
  if (km_text_is_one_line (data, size))
    km_csv_reader_expect_lone_line (p->csv);
  else
    km_csv_reader_expect_header (p->csv);
  while (pos < size && !p->ended) {
    const gchar *nl = memchr (data + pos, '\n', size - pos);
    gsize len = nl ? (gsize) (nl - (data + pos)) : size - pos;

    read_record (p, data + pos, len, &first_line);
    pos += len + 1;
  }
}

/* Lines mode: the line gathered, the first one without its byte-order
 * mark. */
static void
read_line (Parse * p, gboolean * first_line)
{
  gsize bom = p->stream_start ? km_text_bom_length (p->line->str,
      p->line->len) : 0;

  p->stream_start = FALSE;
  read_record (p, p->line->str + bom, p->line->len - bom, first_line);
}

static void
line_restart (Parse * p)
{
  g_string_truncate (p->line, 0);
  p->too_long = FALSE;
}

/* Lines mode: every line, put back together across buffers; too long
 * ones are dropped. */
static void
read_lines (Parse * p, const gchar * data, gsize size, gboolean * first_line)
{
  gsize pos = 0;

  while (pos < size && !p->ended) {
    const gchar *nl = memchr (data + pos, '\n', size - pos);
    gsize len = nl ? (gsize) (nl - (data + pos)) : size - pos;

    if (p->line->len + len > p->max_line_length)
      p->too_long = TRUE;
    else if (!p->too_long)
      g_string_append_len (p->line, data + pos, len);
    if (nl == NULL)
      break;
    if (!p->too_long)
      read_line (p, first_line);
    p->stream_start = FALSE;
    line_restart (p);
    pos += len + 1;
  }
}

static void
parse_setup (Parse * p, const guint8 * opt)
{
  guint format = opt[0] & 3, header = (opt[0] >> 3) & 3;
  guint cols = (opt[1] >> 2) & 3, dims = opt[1] >> 6;
  const KmPointSink sink = { sink_point, sink_malformed, sink_log, p };
  gchar delimiter;

  memset (p, 0, sizeof (*p));
  /* As kmeans-parse accepts them: column names need a CSV header; a
   * column list fixes D. */
  if (cols >= 2 && header == 2 && format == 1)
    header = 0;
  if (cols != 0 && dims != 0)
    dims = cols == 3 ? 1 : 2;
  p->skip = (opt[0] & 64) != 0;
  p->f64 = (opt[0] & 32) != 0;
  p->d = dims;
  p->header = headers[header];
  p->format = formats[format] != FORMAT_AUTO ? formats[format] :
      caps_formats[opt[1] & 3];
  p->max_line_length = opt[2] ? 16 + opt[2] : DEFAULT_MAX_LINE_LENGTH;
  fuzz_check (km_columns_parse (&p->cols, columns[cols], NULL));
  fuzz_check (km_csv_delimiter_from_string (delimiters[(opt[1] >> 4) & 3],
          &delimiter));
  p->csv = km_csv_reader_new (&p->cols, delimiter, p->header, &sink);
#ifdef HAVE_JSON_GLIB
  p->json = km_json_reader_new (&p->cols, "point", &sink);
#endif
  p->line = g_string_new (NULL);
  p->stream_start = TRUE;
}

static void
parse_clear (Parse * p)
{
  km_csv_reader_free (p->csv);
#ifdef HAVE_JSON_GLIB
  km_json_reader_free (p->json);
#endif
  km_columns_clear (&p->cols);
  g_string_free (p->line, TRUE);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  const gchar *text = (const gchar *) data + 3;
  gboolean lines, discont, first_line = TRUE;
  gsize pos = 0;
  guint n = 0;
  Parse p;

  if (size < 3)
    return 0;
  parse_setup (&p, data);
  lines = (data[0] & 4) != 0;
  discont = (data[0] & 128) != 0;
  size -= 3;

  while (pos <= size && !p.ended) {
    const gchar *cut = memchr (text + pos, 0xff, size - pos);
    gsize len = cut ? (gsize) (cut - (text + pos)) : size - pos;

    if (!lines) {
      read_message (&p, text + pos, len);
    } else {
      if (discont && n > 0) {
        p.stream_start &= p.line->len == 0;
        line_restart (&p);
      }
      read_lines (&p, text + pos, len, &first_line);
    }
    pos += len + 1;
    n++;
  }
  /* EOS: the last line needs no newline. */
  if (lines && !p.ended && !p.too_long && p.line->len > 0)
    read_line (&p, &first_line);

  parse_clear (&p);
  return 0;
}

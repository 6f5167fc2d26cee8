/* Fuzzes kmeans-parse, CSV and JSON text to points, in process through a
 * GstHarness: the real element with its real pads, so the parsing code,
 * the line reassembly across buffers and the bad-input policy are all
 * exercised as in a pipeline.
 *
 * Input: three option bytes, then the text, cut into buffers at every
 * 0xff byte (never valid UTF-8, so no text is lost by it).
 *   byte 0: bits 0-1 format (auto, csv, json, auto), bit 2 lines mode,
 *           bits 3-4 header (auto, present, absent, auto), bit 5
 *           output-format=F64LE, bit 6 on-bad-input=skip, bit 7 DISCONT
 *           on every buffer after the first;
 *   byte 1: bits 0-1 input caps, bits 2-3 columns ("", "1,0", "x,y",
 *           "y"), bits 4-5 delimiter (",", ";", "\t", " "), bits 6-7
 *           dimensions (0-3);
 *   byte 2: max-line-length, 16 + byte (0: the default).
 *
 * Promises checked: output buffers hold whole points of the D in the
 * caps, all finite, and parsed-points counts them; GST_FLOW_ERROR only
 * after an error message; with on-bad-input=skip no error at all, and one
 * warning message exactly when a record was malformed. */
#include <math.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>

#include "fuzz.h"
#include "gstkmeansparse.h"
#include "kmeanselements.h"

static const gchar *const input_caps[] = {
  "application/octet-stream", "text/csv", "application/json",
  "text/x-raw, format=(string)utf8"
};
static const gchar *const formats[] = { "auto", "csv", "json", "auto" };
static const gchar *const headers[] = { "auto", "present", "absent", "auto" };
static const gchar *const columns[] = { "", "1,0", "x,y", "y" };
static const gchar *const delimiters[] = { ",", ";", "\\t", " " };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  if (!GST_ELEMENT_REGISTER (kmeans_parse, NULL))
    fuzz_fail ("cannot register kmeans-parse");
  return 0;
}

/* kmeans-parse with the options of @opt, adjusted to settings it accepts
 * (refused settings fail the state change, which is not this fuzzer's
 * subject). */
static GstElement *
make_parse (const guint8 * opt)
{
  GstElement *parse = gst_element_factory_make ("kmeans-parse", NULL);
  guint format = opt[0] & 3, header = (opt[0] >> 3) & 3;
  guint cols = (opt[1] >> 2) & 3, dims = opt[1] >> 6;

  fuzz_check (parse != NULL);
  /* Column names need a CSV header; a column list fixes D. */
  if (cols >= 2 && header == 2 && format == 1)
    header = 0;
  if (cols != 0 && dims != 0)
    dims = cols == 3 ? 1 : 2;
  gst_util_set_object_arg (G_OBJECT (parse), "format", formats[format]);
  gst_util_set_object_arg (G_OBJECT (parse), "mode",
      (opt[0] & 4) ? "lines" : "message");
  gst_util_set_object_arg (G_OBJECT (parse), "header", headers[header]);
  gst_util_set_object_arg (G_OBJECT (parse), "output-format",
      (opt[0] & 32) ? "F64LE" : "F32LE");
  gst_util_set_object_arg (G_OBJECT (parse), "on-bad-input",
      (opt[0] & 64) ? "skip" : "error");
  g_object_set (parse, "columns", columns[cols],
      "delimiter", delimiters[(opt[1] >> 4) & 3], "dimensions", dims, NULL);
  if (opt[2] != 0)
    g_object_set (parse, "max-line-length", (guint) (16 + opt[2]), NULL);
  return parse;
}

/* D and bytes per value from the caps kmeans-parse sent, 0 if none. */
static guint
output_dimensions (GstElement * parse, guint * value_size)
{
  GstPad *src = gst_element_get_static_pad (parse, "src");
  GstCaps *caps = gst_pad_get_current_caps (src);
  GstKMeansPointsInfo info;
  guint d = 0;

  gst_object_unref (src);
  if (caps == NULL)
    return 0;
  fuzz_check (gst_kmeans_points_info_from_caps (&info, caps, NULL));
  d = info.dimensions;
  *value_size = info.format == GST_KMEANS_SAMPLE_F64 ? 8 : 4;
  gst_caps_unref (caps);
  return d;
}

static guint64
check_output (GstHarness * h, GstElement * parse)
{
  guint value_size = 4;
  guint d = output_dimensions (parse, &value_size);
  guint64 points = 0;
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)) != NULL) {
    GstMapInfo map;
    gsize i;

    fuzz_check (d > 0);
    fuzz_check (gst_buffer_map (buf, &map, GST_MAP_READ));
    fuzz_check (map.size > 0 && map.size % (d * value_size) == 0);
    for (i = 0; i < map.size / value_size; i++) {
      gdouble v;

      if (value_size == 4) {
        gfloat f;

        memcpy (&f, map.data + 4 * i, 4);
        v = f;
      } else {
        memcpy (&v, map.data + 8 * i, 8);
      }
      fuzz_check (isfinite (v));
    }
    fuzz_check (GST_BUFFER_OFFSET (buf) == points);
    points += map.size / (d * value_size);
    fuzz_check (GST_BUFFER_OFFSET_END (buf) == points);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  return points;
}

static void
count_messages (GstBus * bus, guint * errors, guint * warnings)
{
  GstMessage *msg;

  *errors = *warnings = 0;
  while ((msg = gst_bus_pop (bus)) != NULL) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      (*errors)++;
    else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
      (*warnings)++;
    gst_message_unref (msg);
  }
}

static GstFlowReturn
push_chunks (GstHarness * h, const guint8 * text, gsize size, gboolean discont)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize pos = 0;
  guint64 n = 0;

  while (ret == GST_FLOW_OK && pos <= size) {
    const guint8 *cut = memchr (text + pos, 0xff, size - pos);
    gsize len = cut ? (gsize) (cut - (text + pos)) : size - pos;
    GstBuffer *buf = len ? gst_buffer_new_memdup (text + pos, len) :
        gst_buffer_new ();

    GST_BUFFER_PTS (buf) = n * GST_SECOND;
    if (discont && n > 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    ret = gst_harness_push (h, buf);
    pos += len + 1;
    n++;
  }
  return ret;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstElement *parse;
  GstHarness *h;
  GstBus *bus;
  GstFlowReturn ret;
  guint64 parsed = 0, malformed = 0, pulled;
  guint errors, warnings;
  gboolean skip;

  if (size < 3)
    return 0;
  parse = make_parse (data);
  skip = (data[0] & 64) != 0;
  bus = gst_bus_new ();
  gst_element_set_bus (parse, bus);
  h = gst_harness_new_with_element (parse, "sink", "src");
  gst_harness_set_src_caps_str (h, input_caps[data[1] & 3]);

  ret = push_chunks (h, data + 3, size - 3, (data[0] & 128) != 0);
  if (ret == GST_FLOW_OK)
    gst_harness_push_event (h, gst_event_new_eos ());

  pulled = check_output (h, parse);
  g_object_get (parse, "parsed-points", &parsed, "malformed-records",
      &malformed, NULL);
  fuzz_check (parsed == pulled);

  count_messages (bus, &errors, &warnings);
  if (ret == GST_FLOW_ERROR)
    fuzz_check (errors > 0);
  if (skip) {
    fuzz_check (ret == GST_FLOW_OK && errors == 0);
    fuzz_check (warnings == (malformed > 0 ? 1 : 0));
  } else {
    fuzz_check (malformed <= 1 && errors == malformed);
  }

  gst_harness_teardown (h);
  gst_element_set_bus (parse, NULL);
  gst_object_unref (bus);
  gst_object_unref (parse);
  return 0;
}

/* Raw video and audio read as points by the shared glue: caps parsing for
 * every accepted format (exactly the video library's RGB and gray ones),
 * pixels read through row padding in R, G, B order whatever the byte order
 * (alpha and padding never leak in), deeper and narrower components on the
 * 0..255 scale, planar formats, GstVideoMeta strides and offsets honoured
 * and checked, frames of the wrong size refused with a message naming the
 * frame, S16 audio scaled, F32 audio read in place, and the element
 * templates that take them. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "../elements/kmeans-test-helpers.h"

static const gchar *video_formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "GRAY8",
};

/* The caps' default layout, as GstVideoInfo has it. */
#define STRIDE(info) ((gsize) GST_VIDEO_INFO_PLANE_STRIDE (&(info).video, 0))
#define FRAME_SIZE(info) GST_VIDEO_INFO_SIZE (&(info).video)

static GstKMeansPointsInfo
video_info (const gchar * format, gint width, gint height)
{
  gchar *str = g_strdup_printf ("video/x-raw, format=%s, width=%d, "
      "height=%d, framerate=30/1", format, width, height);
  GstKMeansPointsInfo info;
  GError *err = NULL;

  fail_unless (info_from_string (str, &info, &err), "%s: %s", str,
      err ? err->message : "");
  g_free (str);
  return info;
}

/* Bytes per pixel and where a channel sits, worked out from the format's
 * name (packed formats name their bytes in memory order), independently
 * of the glue's own table. */
static guint
name_pixel_bytes (const gchar * format)
{
  return strcmp (format, "GRAY8") == 0 ? 1 : strlen (format);
}

static gint
name_offset (const gchar * format, gchar channel)
{
  const gchar *at = strchr (format, channel);

  return at ? at - format : -1;
}

GST_START_TEST (test_video_caps)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (video_formats); i++) {
    const gchar *f = video_formats[i];
    guint bpp = name_pixel_bytes (f);
    GstKMeansPointsInfo info = video_info (f, 5, 3);

    fail_unless_equals_int (info.media, GST_KMEANS_MEDIA_VIDEO);
    fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_U8);
    fail_unless_equals_string (info.format_name, f);
    fail_unless_equals_int (info.dimensions, bpp == 1 ? 1 : 3);
    fail_unless_equals_int (GST_VIDEO_INFO_COMP_PSTRIDE (&info.video, 0), bpp);
    /* GStreamer pads packed rows to 4 bytes. */
    fail_unless_equals_int (STRIDE (info), GST_ROUND_UP_4 (5 * bpp));
    fail_unless_equals_int (FRAME_SIZE (info), STRIDE (info) * 3);
    fail_unless_equals_int (gst_kmeans_points_info_count (&info,
            FRAME_SIZE (info)), 15);
    fail_unless_equals_int (gst_kmeans_points_info_count (&info,
            FRAME_SIZE (info) + 1), 0);
  }
}

GST_END_TEST;

GST_START_TEST (test_video_read)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (video_formats); i++) {
    const gchar *f = video_formats[i];
    const gint w = 5, h = 3;
    GstKMeansPointsInfo info = video_info (f, w, h);
    guint bpp = name_pixel_bytes (f), d = info.dimensions;
    gint off_r = name_offset (f, 'R'), off_g = name_offset (f, 'G');
    gint off_b = name_offset (f, 'B');
    GstKMeansPointsReader r;
    GstKMeansReadStatus status;
    const gfloat *rows;
    guint8 *frame;
    gsize n = 0;
    gint x, y;

    /* Alpha, padding and row padding hold values no channel has. */
    frame = g_malloc (FRAME_SIZE (info));
    memset (frame, 0xee, FRAME_SIZE (info));
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        guint8 *px = frame + y * STRIDE (info) + x * bpp;

        if (bpp == 1) {
          px[0] = 10 * y + x;
          continue;
        }
        px[off_r] = 10 * y + x;
        px[off_g] = 100 + 10 * y + x;
        px[off_b] = 200 + 10 * y + x;
      }

    gst_kmeans_points_reader_init (&r);
    rows = gst_kmeans_points_read (&r, &info, frame, FRAME_SIZE (info), &n,
        &status);
    fail_unless_equals_int (status, GST_KMEANS_READ_OK);
    fail_unless_equals_int (n, w * h);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        const gfloat *p = rows + (y * w + x) * d;

        fail_unless_equals_float (p[0], 10 * y + x);
        if (d == 3) {
          fail_unless_equals_float (p[1], 100 + 10 * y + x);
          fail_unless_equals_float (p[2], 200 + 10 * y + x);
        }
      }

    /* Any other size is not a frame: no points, counted. */
    rows = gst_kmeans_points_read (&r, &info, frame, FRAME_SIZE (info) - 1,
        &n, &status);
    fail_unless (rows == NULL);
    fail_unless_equals_int (n, 0);
    fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);
    fail_unless_equals_int (r.bad_buffers, 1);
    gst_kmeans_points_reader_clear (&r);
    g_free (frame);
  }
}

GST_END_TEST;

/* The error for a frame of the wrong size names the frame it expected. */
GST_START_TEST (test_video_wrong_size_message)
{
  GstKMeansPointsInfo info = video_info ("RGB", 5, 3);
  GstElement *e = gst_element_factory_make ("identity", NULL);
  GstBus *bus = gst_bus_new ();
  GstKMeansPointsReader r;
  GstKMeansReadStatus status;
  GstMessage *msg;
  GError *err = NULL;
  gboolean warned = FALSE;
  guint8 frame[48] = { 0, };
  guint64 skipped = 0;
  gsize n;

  gst_element_set_bus (e, bus);
  gst_kmeans_points_reader_init (&r);
  gst_kmeans_points_read (&r, &info, frame, 45, &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);
  fail_if (gst_kmeans_points_report_bad (e, &r, &info, status, 45,
          GST_KMEANS_ON_BAD_INPUT_ERROR, &warned, &skipped));
  fail_unless_equals_int (skipped, 15);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "45 bytes is not one 5x3 RGB frame "
          "(48 bytes)") != NULL, "message: %s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* skip: a warning, every pixel of the frame counted. */
  fail_unless (gst_kmeans_points_report_bad (e, &r, &info, status, 45,
          GST_KMEANS_ON_BAD_INPUT_SKIP, &warned, &skipped));
  fail_unless (warned);
  fail_unless_equals_int (skipped, 15);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  gst_kmeans_points_reader_clear (&r);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* The formats the caps advertise are exactly those the reader takes, as
 * the video library describes them: every RGB and gray format but the
 * paletted one, the eleven read before first; gray ones 1-D, colour ones
 * 3-D, deeper than 8 bits read from 16. */
GST_START_TEST (test_video_format_list)
{
  GstCaps *caps = gst_caps_from_string (GST_KMEANS_VIDEO_CAPS);
  const GValue *list = gst_structure_get_value (gst_caps_get_structure (caps,
          0), "format");
  const GstVideoFormat *raw;
  guint i, n_raw, n_supported = 0;

  fail_unless (GST_VALUE_HOLDS_LIST (list));
  for (i = 0; i < G_N_ELEMENTS (video_formats); i++)
    fail_unless_equals_string (g_value_get_string (gst_value_list_get_value
            (list, i)), video_formats[i]);

  raw = gst_video_formats_raw (&n_raw);
  for (i = 0; i < n_raw; i++) {
    const GstVideoFormatInfo *finfo = gst_video_format_get_info (raw[i]);
    gboolean supported = gst_kmeans_video_format_is_supported (raw[i]);
    gboolean listed = FALSE;
    guint j;

    for (j = 0; j < gst_value_list_get_size (list); j++)
      listed |= g_str_equal (g_value_get_string (gst_value_list_get_value
              (list, j)), finfo->name);
    fail_unless (listed == supported, "%s", finfo->name);
    fail_unless (supported == ((GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)
                || GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo))
            && !GST_VIDEO_FORMAT_INFO_HAS_PALETTE (finfo)), "%s", finfo->name);
    if (supported) {
      GstKMeansPointsInfo info = video_info (finfo->name, 7, 2);
      gboolean deep = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8;

      n_supported++;
      fail_unless_equals_int (info.dimensions,
          GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) ? 1 : 3);
      fail_unless_equals_int (info.format, deep ? GST_KMEANS_SAMPLE_U16 :
          GST_KMEANS_SAMPLE_U8);
      fail_unless_equals_string (info.format_name, finfo->name);
    }
  }
  fail_unless_equals_int (n_supported, gst_value_list_get_size (list));
  fail_unless (!gst_kmeans_video_format_is_supported (GST_VIDEO_FORMAT_RGB8P));
  fail_unless (!gst_kmeans_video_format_is_supported (GST_VIDEO_FORMAT_AYUV));
  fail_unless (!gst_kmeans_video_format_is_supported (GST_VIDEO_FORMAT_I420));
  gst_caps_unref (caps);
}

GST_END_TEST;

/* Reads the one-row frame @bytes of @format and @width pixels. */
static gfloat *
read_row (const gchar * format, gint width, const guint8 * bytes, gsize size)
{
  GstKMeansPointsInfo info = video_info (format, width, 1);
  GstKMeansPointsReader r;
  GstKMeansReadStatus status;
  const gfloat *rows;
  gfloat *out;
  gsize n = 0;

  fail_unless (FRAME_SIZE (info) == size, "%s", format);
  gst_kmeans_points_reader_init (&r);
  rows = gst_kmeans_points_read (&r, &info, bytes, size, &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_OK);
  fail_unless_equals_int (n, width);
  out = g_memdup2 (rows, n * info.dimensions * sizeof (gfloat));
  gst_kmeans_points_reader_clear (&r);
  return out;
}

/* 16-bit values are on the 0..255 scale: v / 257, so 0xffff is 255 and an
 * 8-bit value widened (v * 257) reads as itself. */
GST_START_TEST (test_video_read_16_bits)
{
  static const guint16 gray[] = { 0, 257 * 7, 0xffff, 1000 };
  static const guint16 rgba[] = { 257 * 200, 0x1234, 0, 0xabcd };
  guint8 le[8], be[8], px[8];
  gfloat *p;
  guint i;

  for (i = 0; i < 4; i++) {
    GST_WRITE_UINT16_LE (le + 2 * i, gray[i]);
    GST_WRITE_UINT16_BE (be + 2 * i, gray[i]);
    GST_WRITE_UINT16_LE (px + 2 * i, rgba[i]);
  }
  p = read_row ("GRAY16_LE", 4, le, 8);
  fail_unless_equals_float (p[0], 0);
  fail_unless_equals_float (p[1], 7);
  fail_unless_equals_float (p[2], 255);
  fail_unless_equals_float (p[3], 1000 / 257.0f);
  g_free (p);
  p = read_row ("GRAY16_BE", 4, be, 8);
  fail_unless_equals_float (p[1], 7);
  fail_unless_equals_float (p[3], 1000 / 257.0f);
  g_free (p);
  /* R, G, B; the alpha of RGBA64 plays no part. */
  p = read_row ("RGBA64_LE", 1, px, 8);
  fail_unless_equals_float (p[0], 200);
  fail_unless_equals_float (p[1], 0x1234 / 257.0f);
  fail_unless_equals_float (p[2], 0);
  g_free (p);
}

GST_END_TEST;

/* Components of fewer bits are widened as the video library does, by
 * repeating their top bits (5 bits v: v << 3 | v >> 2), so full scale is
 * 255: RGB16 (5-6-5), BGR10A2_LE and GRAY10_LE32 (10 bits, widened to
 * 16, then / 257). */
GST_START_TEST (test_video_read_few_bits)
{
  guint8 rgb16[4], bgr10a2[4], gray10[8] = { 0, };
  gfloat *p;
  guint r = 0x13, g = 0x2a, b = 0x1f;
  guint r10 = 0x3ff, g10 = 0x155, b10 = 0x001;

  GST_WRITE_UINT16_LE (rgb16, (r << 11) | (g << 5) | b);
  GST_WRITE_UINT16_LE (rgb16 + 2, 0);
  p = read_row ("RGB16", 2, rgb16, 4);
  fail_unless_equals_float (p[0], (r << 3) | (r >> 2));
  fail_unless_equals_float (p[1], (g << 2) | (g >> 4));
  fail_unless_equals_float (p[2], 255);
  fail_unless_equals_float (p[3] + p[4] + p[5], 0);
  g_free (p);

  GST_WRITE_UINT32_LE (bgr10a2, (2u << 30) | (r10 << 20) | (g10 << 10) | b10);
  p = read_row ("BGR10A2_LE", 1, bgr10a2, 4);
  fail_unless_equals_float (p[0], 255);
  fail_unless_equals_float (p[1], ((g10 << 6) | (g10 >> 4)) / 257.0f);
  fail_unless_equals_float (p[2], ((b10 << 6) | (b10 >> 4)) / 257.0f);
  g_free (p);

  /* Three pixels in 32 bits, the first in the low bits; rows in pairs. */
  GST_WRITE_UINT32_LE (gray10, (r10 << 20) | (g10 << 10) | b10);
  p = read_row ("GRAY10_LE32", 3, gray10, sizeof (gray10));
  fail_unless_equals_float (p[0], ((b10 << 6) | (b10 >> 4)) / 257.0f);
  fail_unless_equals_float (p[1], ((g10 << 6) | (g10 >> 4)) / 257.0f);
  fail_unless_equals_float (p[2], 255);
  g_free (p);
}

GST_END_TEST;

/* A planar format: GBR keeps G, B and R in planes 0, 1 and 2, each with
 * rows padded to 4 bytes. */
GST_START_TEST (test_video_read_planar)
{
  const gint w = 3, h = 2;
  GstKMeansPointsInfo info = video_info ("GBR", w, h);
  GstKMeansPointsReader r;
  GstKMeansReadStatus status;
  const gfloat *rows;
  guint8 frame[3 * 4 * 2];
  gsize n;
  gint x, y;

  fail_unless_equals_int (FRAME_SIZE (info), sizeof (frame));
  memset (frame, 0xee, sizeof (frame));
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      frame[0 * 8 + y * 4 + x] = 100 + 10 * y + x;      /* G */
      frame[1 * 8 + y * 4 + x] = 200 + 10 * y + x;      /* B */
      frame[2 * 8 + y * 4 + x] = 10 * y + x;    /* R */
    }
  gst_kmeans_points_reader_init (&r);
  rows = gst_kmeans_points_read (&r, &info, frame, sizeof (frame), &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_OK);
  fail_unless_equals_int (n, w * h);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      const gfloat *p = rows + 3 * (y * w + x);

      fail_unless_equals_float (p[0], 10 * y + x);
      fail_unless_equals_float (p[1], 100 + 10 * y + x);
      fail_unless_equals_float (p[2], 200 + 10 * y + x);
    }
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

/* An RGB frame of 63 pixels a row whose rows are 256 bytes apart, from
 * @offset on, 0xee everywhere else; pixel (x, y) is (x, y, x + y). */
static GstBuffer *
padded_rgb_buffer (gint height, gsize offset, gboolean with_meta)
{
  gsize offsets[GST_VIDEO_MAX_PLANES] = { offset, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 256, };
  gsize size = offset + 256 * height;
  guint8 *data = g_malloc (size);
  GstBuffer *buf;
  gint x, y;

  memset (data, 0xee, size);
  for (y = 0; y < height; y++)
    for (x = 0; x < 63; x++) {
      guint8 *px = data + offset + y * 256 + 3 * x;

      px[0] = x;
      px[1] = y;
      px[2] = x + y;
    }
  buf = gst_buffer_new_wrapped (data, size);
  if (with_meta)
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_FORMAT_RGB, 63, height, 1, offsets, strides);
  return buf;
}

static void
check_padded_rgb_points (const gfloat * rows, gsize n, gint height)
{
  gint x, y;

  fail_unless_equals_int (n, 63 * height);
  for (y = 0; y < height; y++)
    for (x = 0; x < 63; x++) {
      const gfloat *p = rows + 3 * (y * 63 + x);

      fail_unless_equals_float (p[0], x);
      fail_unless_equals_float (p[1], y);
      fail_unless_equals_float (p[2], x + y);
    }
}

/* Reads @buf as @info's video; the status, and the rows when OK. */
static GstKMeansReadStatus
read_video_buffer (GstKMeansPointsReader * r, const GstKMeansPointsInfo * info,
    GstBuffer * buf, const gfloat ** rows, gsize * n)
{
  GstKMeansReadStatus status;
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  *rows = gst_kmeans_points_read_buffer (r, info, buf, &map, n, &status);
  gst_buffer_unmap (buf, &map);
  return status;
}

/* A GstVideoMeta's stride and offset are honoured; without the meta the
 * same bytes are not a frame of the caps. */
GST_START_TEST (test_video_meta_read)
{
  GstKMeansPointsInfo info = video_info ("RGB", 63, 4);
  GstKMeansPointsReader r;
  const gfloat *rows;
  GstBuffer *buf;
  gsize n;

  fail_unless_equals_int (STRIDE (info), 192);
  gst_kmeans_points_reader_init (&r);

  buf = padded_rgb_buffer (4, 0, TRUE);
  fail_unless_equals_int (gst_kmeans_points_buffer_count (&info, buf), 252);
  fail_unless_equals_int (read_video_buffer (&r, &info, buf, &rows, &n),
      GST_KMEANS_READ_OK);
  check_padded_rgb_points (rows, n, 4);
  gst_buffer_unref (buf);

  buf = padded_rgb_buffer (4, 40, TRUE);
  fail_unless_equals_int (read_video_buffer (&r, &info, buf, &rows, &n),
      GST_KMEANS_READ_OK);
  check_padded_rgb_points (rows, n, 4);
  gst_buffer_unref (buf);

  buf = padded_rgb_buffer (4, 0, FALSE);
  fail_unless_equals_int (gst_kmeans_points_buffer_count (&info, buf), 0);
  fail_unless_equals_int (read_video_buffer (&r, &info, buf, &rows, &n),
      GST_KMEANS_READ_PARTIAL_ROW);
  fail_unless (rows == NULL && n == 0);
  fail_unless (r.last_frame_problem == NULL);
  fail_unless_equals_int (r.bad_buffers, 1);
  gst_buffer_unref (buf);

  /* The default layout in a buffer: read as before, meta or not. */
  buf = gst_buffer_new_allocate (NULL, FRAME_SIZE (info), NULL);
  gst_buffer_memset (buf, 0, 9, FRAME_SIZE (info));
  fail_unless_equals_int (read_video_buffer (&r, &info, buf, &rows, &n),
      GST_KMEANS_READ_OK);
  fail_unless_equals_int (n, 252);
  fail_unless_equals_float (rows[3 * 251 + 2], 9);
  gst_buffer_unref (buf);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

/* A meta that does not describe a frame of the caps within the buffer
 * is bad input, never read past: another format, a smaller frame, rows
 * past the end, a stride shorter than a row. */
GST_START_TEST (test_video_meta_refused)
{
  static const struct
  {
    GstVideoFormat format;
    guint width, height;
    gsize offset;
    gint stride;
    gsize size;
  } bad[] = {
    {GST_VIDEO_FORMAT_BGR, 63, 4, 0, 256, 1024},
    {GST_VIDEO_FORMAT_RGB, 62, 4, 0, 256, 1024},
    {GST_VIDEO_FORMAT_RGB, 63, 3, 0, 256, 1024},
    {GST_VIDEO_FORMAT_RGB, 63, 4, 0, 256, 256 * 3 + 188},
    {GST_VIDEO_FORMAT_RGB, 63, 4, 1, 256, 256 * 3 + 189},
    {GST_VIDEO_FORMAT_RGB, 63, 4, 0, 188, 1024},
    {GST_VIDEO_FORMAT_RGB, 63, 4, 0, -256, 1024},
    {GST_VIDEO_FORMAT_RGB, 63, 4, 4096, 256, 1024},
  };
  GstKMeansPointsInfo info = video_info ("RGB", 63, 4);
  GstElement *e = gst_element_factory_make ("identity", NULL);
  GstBus *bus = gst_bus_new ();
  GstKMeansPointsReader r;
  gboolean warned = FALSE;
  guint64 skipped;
  guint i;

  gst_element_set_bus (e, bus);
  gst_kmeans_points_reader_init (&r);
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gsize offsets[GST_VIDEO_MAX_PLANES] = { bad[i].offset, };
    gint strides[GST_VIDEO_MAX_PLANES] = { bad[i].stride, };
    GstBuffer *buf = gst_buffer_new_allocate (NULL, bad[i].size, NULL);
    const gfloat *rows;
    GstMessage *msg;
    GError *err = NULL;
    gsize n;

    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        bad[i].format, bad[i].width, bad[i].height, 1, offsets, strides);
    fail_unless (read_video_buffer (&r, &info, buf, &rows, &n) ==
        GST_KMEANS_READ_PARTIAL_ROW, "case %u", i);
    fail_unless (rows == NULL && n == 0);
    fail_unless (r.last_frame_problem != NULL, "case %u", i);
    fail_unless_equals_int (r.bad_buffers, i + 1);

    fail_if (gst_kmeans_points_report_bad (e, &r, &info,
            GST_KMEANS_READ_PARTIAL_ROW, bad[i].size,
            GST_KMEANS_ON_BAD_INPUT_ERROR, &warned, &skipped));
    fail_unless_equals_int (skipped, 252);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (g_str_has_prefix (err->message, "video buffer of ")
        && strstr (err->message, "is not one 63x4 RGB frame: its "
            "GstVideoMeta ") != NULL, "message: %s", err->message);
    g_error_free (err);
    gst_message_unref (msg);
    gst_buffer_unref (buf);
  }
  gst_kmeans_points_reader_clear (&r);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_END_TEST;

/* Planes in any order and place, as the meta says. */
GST_START_TEST (test_video_meta_planar)
{
  GstKMeansPointsInfo info = video_info ("GBR", 5, 2);
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 200, 100, 0 };
  gint strides[GST_VIDEO_MAX_PLANES] = { 16, 24, 32 };
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 300, NULL);
  GstKMeansPointsReader r;
  const gfloat *rows;
  GstMapInfo map;
  gsize n;
  gint x, y;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memset (map.data, 0xee, map.size);
  for (y = 0; y < 2; y++)
    for (x = 0; x < 5; x++) {
      map.data[200 + 16 * y + x] = 100 + 10 * y + x;    /* G */
      map.data[100 + 24 * y + x] = 200 + 10 * y + x;    /* B */
      map.data[0 + 32 * y + x] = 10 * y + x;    /* R */
    }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_GBR, 5, 2, 3, offsets, strides);

  gst_kmeans_points_reader_init (&r);
  fail_unless_equals_int (read_video_buffer (&r, &info, buf, &rows, &n),
      GST_KMEANS_READ_OK);
  fail_unless_equals_int (n, 10);
  for (y = 0; y < 2; y++)
    for (x = 0; x < 5; x++) {
      const gfloat *p = rows + 3 * (y * 5 + x);

      fail_unless_equals_float (p[0], 10 * y + x);
      fail_unless_equals_float (p[1], 100 + 10 * y + x);
      fail_unless_equals_float (p[2], 200 + 10 * y + x);
    }
  gst_kmeans_points_reader_clear (&r);
  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_audio_caps)
{
  static const gchar *refused[] = {
    "audio/x-raw, format=F32LE, channels=2",
    "audio/x-raw, format=F32LE, layout=non-interleaved, rate=8000, "
        "channels=2",
    "audio/x-raw, format=U8, layout=interleaved, rate=8000, channels=2",
    "audio/x-raw, format=S16LE, layout=interleaved, channels=2",
    "audio/x-raw, format=S16LE, layout=interleaved, rate=8000, channels=0",
    "video/x-raw, format=I420, width=4, height=4, framerate=0/1",
    "video/x-raw, format=RGB, height=4, framerate=0/1",
  };
  GstKMeansPointsInfo info;
  GError *err = NULL;
  guint i;

  fail_unless (info_from_string ("audio/x-raw, format=F32LE, "
          "layout=interleaved, rate=48000, channels=2, channel-mask=(bitmask)0x3",
          &info, &err));
  fail_unless_equals_int (info.media, GST_KMEANS_MEDIA_AUDIO);
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_F32);
  fail_unless_equals_int (info.dimensions, 2);
  fail_unless_equals_int (gst_kmeans_points_info_count (&info, 80), 10);

  fail_unless (info_from_string ("audio/x-raw, format=S16LE, "
          "layout=interleaved, rate=8000, channels=3", &info, &err));
  fail_unless_equals_int (info.format, GST_KMEANS_SAMPLE_S16);
  fail_unless_equals_string (info.format_name, "S16LE");
  fail_unless_equals_int (info.dimensions, 3);
  fail_unless_equals_int (gst_kmeans_points_info_count (&info, 60), 10);

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    GstKMeansPointsInfo untouched = info;

    fail_if (info_from_string (refused[i], &info, &err), "accepted %s",
        refused[i]);
    fail_unless (err != NULL);
    g_clear_error (&err);
    /* A refusal leaves what the caller had. */
    fail_unless_equals_int (info.media, untouched.media);
    fail_unless_equals_int (info.format, untouched.format);
    fail_unless_equals_int (info.dimensions, untouched.dimensions);
  }
}

GST_END_TEST;

GST_START_TEST (test_audio_read)
{
  const gint16 s16[] = { -32768, 16384, 0, 32767, 1, -1 };
  const gfloat f32[] = { 0.25f, -0.5f, 1.0f, 0.0f };
  GstKMeansPointsInfo info;
  GstKMeansPointsReader r;
  GstKMeansReadStatus status;
  const gfloat *rows;
  guint8 bytes[sizeof (s16)];
  GError *err = NULL;
  guint i;
  gsize n;

  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    GST_WRITE_UINT16_LE (bytes + 2 * i, (guint16) s16[i]);

  fail_unless (info_from_string ("audio/x-raw, format=S16LE, "
          "layout=interleaved, rate=8000, channels=2", &info, &err));
  gst_kmeans_points_reader_init (&r);
  rows = gst_kmeans_points_read (&r, &info, bytes, sizeof (bytes), &n, &status);
  fail_unless_equals_int (status, GST_KMEANS_READ_OK);
  fail_unless_equals_int (n, 3);
  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    fail_unless_equals_float (rows[i], s16[i] / 32768.0f);
  fail_unless_equals_float (rows[0], -1.0f);
  fail_unless (rows[3] < 1.0f);

  /* Half an audio frame. */
  rows = gst_kmeans_points_read (&r, &info, bytes, sizeof (bytes) - 2, &n,
      &status);
  fail_unless (rows == NULL);
  fail_unless_equals_int (status, GST_KMEANS_READ_PARTIAL_ROW);

  /* F32 audio is read where it lies. */
  fail_unless (info_from_string ("audio/x-raw, format=F32LE, "
          "layout=interleaved, rate=8000, channels=2", &info, &err));
  rows = gst_kmeans_points_read (&r, &info, (const guint8 *) f32,
      sizeof (f32), &n, &status);
  fail_unless (rows == f32);
  fail_unless_equals_int (n, 2);
  gst_kmeans_points_reader_clear (&r);
}

GST_END_TEST;

/* Every element that reads points takes raw video and audio. */
GST_START_TEST (test_element_templates)
{
  static const gchar *elements[] = {
    "kmeans-train", "kmeans-assign", "kmeans-score", "kmeans-viz",
  };
  GstCaps *video = gst_caps_from_string ("video/x-raw, format=BGRx, "
      "width=64, height=48, framerate=30/1");
  GstCaps *audio = gst_caps_from_string ("audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=44100, channels=2");
  GstCaps *media = gst_caps_from_string (GST_KMEANS_MEDIA_SINK_CAPS);
  guint i;

  fail_unless_equals_int (gst_caps_get_size (media), 4);
  for (i = 0; i < G_N_ELEMENTS (elements); i++) {
    GstElement *e = gst_element_factory_make (elements[i], NULL);
    GstPad *sink;

    fail_unless (e != NULL, "no %s", elements[i]);
    sink = gst_element_get_static_pad (e, "sink");
    fail_unless (gst_pad_query_accept_caps (sink, video), "%s", elements[i]);
    fail_unless (gst_pad_query_accept_caps (sink, audio), "%s", elements[i]);
    gst_object_unref (sink);
    gst_object_unref (e);
  }
  gst_caps_unref (media);
  gst_caps_unref (video);
  gst_caps_unref (audio);
}

GST_END_TEST;

static Suite *
mediapoints_suite (void)
{
  Suite *s = suite_create ("media-points");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_caps);
  tcase_add_test (tc, test_video_read);
  tcase_add_test (tc, test_video_wrong_size_message);
  tcase_add_test (tc, test_video_format_list);
  tcase_add_test (tc, test_video_read_16_bits);
  tcase_add_test (tc, test_video_read_few_bits);
  tcase_add_test (tc, test_video_read_planar);
  tcase_add_test (tc, test_video_meta_read);
  tcase_add_test (tc, test_video_meta_refused);
  tcase_add_test (tc, test_video_meta_planar);
  tcase_add_test (tc, test_audio_caps);
  tcase_add_test (tc, test_audio_read);
  tcase_add_test (tc, test_element_templates);
  return s;
}

GST_CHECK_MAIN (mediapoints);

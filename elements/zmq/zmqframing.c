/* gst-kmeans: the ZeroMQ framing header, parsed and written.
 *
 * See zmqframing.h, and schemas/zmq-framing.md for the layout.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "zmqframing.h"

/* Frames need not be aligned (ZeroMQ keeps small messages inside the
 * zmq_msg_t), and GStreamer's GST_READ_* / GST_WRITE_* access whole words
 * on x86, undefined behaviour at an unaligned address: copy instead. */
static guint32
read_u32_le (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, sizeof (v));
  return GUINT32_FROM_LE (v);
}

static guint64
read_u64_le (const guint8 * p)
{
  guint64 v;

  memcpy (&v, p, sizeof (v));
  return GUINT64_FROM_LE (v);
}

static void
write_u32_le (guint8 * p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, sizeof (v));
}

static void
write_u64_le (guint8 * p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, sizeof (v));
}

guint
gst_km_zmq_caps_nesting (const gchar * caps, gsize len)
{
  guint depth = 0, deepest = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    if (caps[i] == '{' || caps[i] == '[' || caps[i] == '<' || caps[i] == '(') {
      depth++;
      deepest = MAX (deepest, depth);
    } else if ((caps[i] == '}' || caps[i] == ']' || caps[i] == '>'
            || caps[i] == ')') && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

/* Caps and event structures go to the same GStreamer parser: @what (a
 * peer's text of @len bytes) must be NUL-free UTF-8 and nest brackets at
 * most GST_KM_ZMQ_MAX_CAPS_NESTING deep before it may see them. */
static gboolean
check_parser_text (const gchar * text, gsize len, const gchar * what,
    GstKmZmqFrameError code, GError ** error)
{
  if (memchr (text, '\0', len) != NULL
      || !g_utf8_validate_len (text, len, NULL)) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, code,
        "%s is not NUL-free UTF-8", what);
    return FALSE;
  }
  if (gst_km_zmq_caps_nesting (text, len) > GST_KM_ZMQ_MAX_CAPS_NESTING) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, code,
        "%s nests brackets more than %d deep", what,
        GST_KM_ZMQ_MAX_CAPS_NESTING);
    return FALSE;
  }
  return TRUE;
}

GQuark
gst_km_zmq_frame_error_quark (void)
{
  return g_quark_from_static_string ("gst-zmq-frame-error-quark");
}

gboolean
gst_km_zmq_frame_header_parse (const guint8 * data, gsize size,
    GstKmZmqFrameHeader * header, GError ** error)
{
  guint32 caps_len;

  g_return_val_if_fail (header != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (size >= 4 && read_u32_le (data) != GST_KM_ZMQ_FRAME_MAGIC) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR,
        GST_KM_ZMQ_FRAME_ERROR_BAD_MAGIC,
        "not a framing header: magic is %02x %02x %02x %02x, "
        "expected \"GZMQ\"", data[0], data[1], data[2], data[3]);
    return FALSE;
  }
  if (size < GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR,
        GST_KM_ZMQ_FRAME_ERROR_TRUNCATED,
        "header frame of %" G_GSIZE_FORMAT " bytes is shorter than the "
        "%d fixed bytes", size, GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE);
    return FALSE;
  }
  if (data[4] != GST_KM_ZMQ_FRAME_VERSION) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR,
        GST_KM_ZMQ_FRAME_ERROR_BAD_VERSION,
        "framing version %u is not supported (only %d)", data[4],
        GST_KM_ZMQ_FRAME_VERSION);
    return FALSE;
  }

  caps_len = read_u32_le (data + 12);
  if (caps_len > size - GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR,
        GST_KM_ZMQ_FRAME_ERROR_TRUNCATED,
        "caps string of %u bytes does not fit in a header frame of %"
        G_GSIZE_FORMAT " bytes", caps_len, size);
    return FALSE;
  }
  if (caps_len < size - GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_BAD_SIZE,
        "header frame of %" G_GSIZE_FORMAT " bytes has %" G_GSIZE_FORMAT
        " bytes after its caps string", size,
        size - GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE - caps_len);
    return FALSE;
  }
  if (caps_len > 0) {
    const gchar *caps =
        (const gchar *) data + GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE;

    if (!check_parser_text (caps, caps_len, "caps string",
            GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS, error))
      return FALSE;
    header->caps = caps;
  } else {
    header->caps = NULL;
  }

  header->version = data[4];
  header->flags = data[5];
  header->stream_id = read_u32_le (data + 8);
  header->caps_len = caps_len;
  header->sequence = read_u64_le (data + 16);
  header->pts = read_u64_le (data + 24);
  header->dts = read_u64_le (data + 32);
  header->duration = read_u64_le (data + 40);
  header->offset = read_u64_le (data + 48);
  header->offset_end = read_u64_le (data + 56);
  return TRUE;
}

static const gchar *const event_kind_names[] = {
  "custom-downstream",
  "custom-downstream-sticky",
  "custom-both"
};

const gchar *
gst_km_zmq_event_kind_name (GstKmZmqEventKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (event_kind_names), NULL);
  return event_kind_names[kind];
}

gboolean
gst_km_zmq_event_kind_parse (const guint8 * data, gsize size,
    GstKmZmqEventKind * kind, GError ** error)
{
  guint i;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  for (i = 0; i < G_N_ELEMENTS (event_kind_names); i++) {
    if (size == strlen (event_kind_names[i])
        && memcmp (data, event_kind_names[i], size) == 0) {
      *kind = (GstKmZmqEventKind) i;
      return TRUE;
    }
  }
  g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_BAD_EVENT,
      "kind frame of %" G_GSIZE_FORMAT " bytes names no event type this "
      "receiver takes", size);
  return FALSE;
}

gboolean
gst_km_zmq_event_structure_check (const guint8 * data, gsize size,
    gsize max_size, GError ** error)
{
  const gchar *text = (const gchar *) data;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (size == 0) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR,
        GST_KM_ZMQ_FRAME_ERROR_BAD_EVENT, "empty event structure");
    return FALSE;
  }
  if (size > max_size) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR,
        GST_KM_ZMQ_FRAME_ERROR_BAD_EVENT, "event structure of %"
        G_GSIZE_FORMAT " bytes is larger than the %" G_GSIZE_FORMAT
        " accepted", size, max_size);
    return FALSE;
  }
  return check_parser_text (text, size, "event structure",
      GST_KM_ZMQ_FRAME_ERROR_BAD_EVENT, error);
}

gsize
gst_km_zmq_frame_header_size (const GstKmZmqFrameHeader * header)
{
  return GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE + header->caps_len;
}

void
gst_km_zmq_frame_header_write (const GstKmZmqFrameHeader * header,
    guint8 * data)
{
  write_u32_le (data, GST_KM_ZMQ_FRAME_MAGIC);
  data[4] = GST_KM_ZMQ_FRAME_VERSION;
  data[5] = header->flags;
  data[6] = data[7] = 0;
  write_u32_le (data + 8, header->stream_id);
  write_u32_le (data + 12, (guint32) header->caps_len);
  write_u64_le (data + 16, header->sequence);
  write_u64_le (data + 24, header->pts);
  write_u64_le (data + 32, header->dts);
  write_u64_le (data + 40, header->duration);
  write_u64_le (data + 48, header->offset);
  write_u64_le (data + 56, header->offset_end);
  if (header->caps_len > 0)
    memcpy (data + GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE, header->caps,
        header->caps_len);
}

/* Fuzzes the ZeroMQ framing header parser, gst_km_zmq_frame_header_parse()
 * (schemas/zmq-framing.md; zmqframing.c, GLib only, compiled in as it is),
 * and what kmzmqsrc does with a header it accepts: its caps string parsed
 * as caps and read as a point stream, its flags put on a buffer.  Promises
 * checked: a refused frame comes with a GST_KM_ZMQ_FRAME_ERROR; an
 * accepted one is exactly one version-1 header whose caps lie inside the
 * frame and nest at most 16 brackets deep, writing it back gives the same
 * bytes (but the two reserved ones), and the frame parses the same at any
 * alignment. */
#include <string.h>
#include <gst/gst.h>

#define FUZZ_PARSES_CAPS_STRINGS
#include "fuzz.h"
#include "kmeanselements.h"
#include "zmqbufferflags.h"
#include "zmqframing.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  return 0;
}

static void
check_refused (GError * err)
{
  fuzz_check (err != NULL);
  fuzz_check (err->domain == GST_KM_ZMQ_FRAME_ERROR);
  fuzz_check (err->message != NULL && err->message[0] != '\0');
  g_error_free (err);
}

/* Writing the parsed header back must give the frame again. */
static void
check_round_trip (const GstKmZmqFrameHeader * h, const guint8 * data,
    gsize size)
{
  gsize n = gst_km_zmq_frame_header_size (h);
  guint8 *copy;

  fuzz_check (n == size);
  copy = g_malloc (n);
  gst_km_zmq_frame_header_write (h, copy);
  /* Bytes 6 and 7 are reserved: written 0, ignored when read. */
  fuzz_check (memcmp (copy, data, 6) == 0);
  fuzz_check (memcmp (copy + 8, data + 8, n - 8) == 0);
  g_free (copy);
}

/* Only the four buffer flags travel; EOS and unknown bits do not. */
static void
check_flags (guint8 flags)
{
  const guint8 buffer_bits = GST_KM_ZMQ_FRAME_FLAG_DISCONT |
      GST_KM_ZMQ_FRAME_FLAG_DELTA_UNIT | GST_KM_ZMQ_FRAME_FLAG_GAP |
      GST_KM_ZMQ_FRAME_FLAG_HEADER;
  GstBuffer *buf = gst_buffer_new ();

  gst_km_zmq_frame_flags_to_buffer (flags, buf);
  fuzz_check (gst_km_zmq_frame_flags_from_buffer (buf) ==
      (flags & buffer_bits));
  gst_buffer_unref (buf);
}

/* kmzmqsrc sets the sender's caps when they parse and are fixed; a point
 * consumer then reads them. */
static void
check_caps (const GstKmZmqFrameHeader * h)
{
  GstKMeansPointsInfo info;
  GError *err = NULL;
  GstCaps *caps;
  gchar *str;

  if (h->caps_len == 0) {
    fuzz_check (h->caps == NULL);
    return;
  }
  str = g_strndup (h->caps, h->caps_len);
  fuzz_check (strlen (str) == h->caps_len);
  caps = fuzz_caps_from_string (str);
  if (caps != NULL && gst_caps_is_fixed (caps)) {
    if (gst_kmeans_points_info_from_caps (&info, caps, &err)) {
      fuzz_check (info.dimensions >= 1 && info.dimensions <= KM_MAX_DIMENSIONS);
    } else {
      fuzz_check (err != NULL);
      g_error_free (err);
    }
  }
  gst_clear_caps (&caps);
  g_free (str);
}

/* ZeroMQ keeps small messages inside the zmq_msg_t, at any alignment:
 * the same frame one byte off must parse the same. */
static void
check_unaligned (const guint8 * data, gsize size, gboolean parsed,
    const GstKmZmqFrameHeader * h)
{
  guint8 *copy = g_malloc (size + 1);
  GstKmZmqFrameHeader h2;

  memcpy (copy + 1, data, size);
  fuzz_check (gst_km_zmq_frame_header_parse (copy + 1, size, &h2, NULL) ==
      parsed);
  if (parsed) {
    fuzz_check (h2.flags == h->flags && h2.stream_id == h->stream_id);
    fuzz_check (h2.sequence == h->sequence && h2.pts == h->pts);
    fuzz_check (h2.dts == h->dts && h2.duration == h->duration);
    fuzz_check (h2.offset == h->offset && h2.offset_end == h->offset_end);
    fuzz_check (h2.caps_len == h->caps_len);
  }
  g_free (copy);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstKmZmqFrameHeader h;
  GError *err = NULL;
  gboolean parsed;

  memset (&h, 0xa5, sizeof (h));
  parsed = gst_km_zmq_frame_header_parse (data, size, &h, &err);
  check_unaligned (data, size, parsed, &h);
  if (!parsed) {
    check_refused (err);
    return 0;
  }
  fuzz_check (err == NULL);
  fuzz_check (size >= GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE);
  fuzz_check (h.version == GST_KM_ZMQ_FRAME_VERSION);
  fuzz_check (h.caps_len == size - GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE);
  fuzz_check (h.caps_len == 0
      || h.caps == (const gchar *) data + GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE);
  /* Deeper caps would overflow GStreamer's parser: refused unparsed. */
  fuzz_check (gst_km_zmq_caps_nesting (h.caps, h.caps_len)
      <= GST_KM_ZMQ_MAX_CAPS_NESTING);
  check_round_trip (&h, data, size);
  check_flags (h.flags);
  check_caps (&h);
  return 0;
}

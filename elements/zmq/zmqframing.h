/* gst-kmeans: the self-describing ZeroMQ framing header
 * (schemas/zmq-framing.md): its layout, a pure parser and a writer.
 *
 * GLib only, no GStreamer and no libzmq: usable without a socket, so the
 * fuzzers and tests call it directly.  The GstBuffer side of the header
 * flags is zmqbufferflags.h.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_FRAMING_H__
#define __GST_KM_ZMQ_FRAMING_H__

#include <glib.h>

G_BEGIN_DECLS

/* "GZMQ" */
#define GST_KM_ZMQ_FRAME_MAGIC             0x514D5A47u
#define GST_KM_ZMQ_FRAME_VERSION           1
/* Bytes before the caps string. */
#define GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE 64

/* Header flags (byte 5). */
typedef enum
{
  GST_KM_ZMQ_FRAME_FLAG_EOS = (1 << 0),
  GST_KM_ZMQ_FRAME_FLAG_DISCONT = (1 << 1),
  GST_KM_ZMQ_FRAME_FLAG_DELTA_UNIT = (1 << 2),
  GST_KM_ZMQ_FRAME_FLAG_GAP = (1 << 3),
  GST_KM_ZMQ_FRAME_FLAG_HEADER = (1 << 4),
  /* An event message: always sent together with EOS (see
   * GST_KM_ZMQ_FRAME_FLAGS_EVENT_MESSAGE). */
  GST_KM_ZMQ_FRAME_FLAG_EVENT = (1 << 5)
} GstKmZmqFrameFlags;

/* The flags of an event message.  Receivers before the EVENT bit ignore
 * bits 5-7, so they see an EOS with payload frames, which they have always
 * dropped as malformed: an event never passes for data or for the end of
 * the stream there. */
#define GST_KM_ZMQ_FRAME_FLAGS_EVENT_MESSAGE \
    (GST_KM_ZMQ_FRAME_FLAG_EVENT | GST_KM_ZMQ_FRAME_FLAG_EOS)

/* A message carries at most this many payload frames (one per memory). */
#define GST_KM_ZMQ_MAX_PAYLOAD_FRAMES      16

/* The times are GstClockTime values (nanoseconds, G_MAXUINT64 for
 * GST_CLOCK_TIME_NONE), kept as guint64 so this unit needs no GStreamer. */
typedef struct
{
  guint8 version;
  guint8 flags;                 /* GstKmZmqFrameFlags; unknown bits ignored */
  guint32 stream_id;            /* random per kmzmqsink start */
  guint64 sequence;             /* per stream, from 0 */
  guint64 pts;
  guint64 dts;
  guint64 duration;
  guint64 offset;
  guint64 offset_end;
  const gchar *caps;            /* not NUL-terminated; NULL when caps_len 0 */
  gsize caps_len;
} GstKmZmqFrameHeader;

#define GST_KM_ZMQ_FRAME_ERROR (gst_km_zmq_frame_error_quark ())
GQuark gst_km_zmq_frame_error_quark (void);

typedef enum
{
  GST_KM_ZMQ_FRAME_ERROR_TRUNCATED,   /* shorter than its sizes say */
  GST_KM_ZMQ_FRAME_ERROR_BAD_MAGIC,   /* not a framing header */
  GST_KM_ZMQ_FRAME_ERROR_BAD_VERSION, /* a version we cannot read */
  GST_KM_ZMQ_FRAME_ERROR_BAD_SIZE,    /* longer than its sizes say */
  GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS,    /* caps not UTF-8 / holds NUL */
  GST_KM_ZMQ_FRAME_ERROR_BAD_EVENT    /* an event message that is not one */
} GstKmZmqFrameError;

/* gst_caps_from_string() parses nested lists, ranges and arrays
 * recursively: a peer's "{{{{..." a few hundred kilobytes deep overflows
 * the stack (GStreamer 1.22), and each failed level leaks a little.
 * Point caps nest two deep; a header whose caps nest deeper than this is
 * refused unparsed. */
#define GST_KM_ZMQ_MAX_CAPS_NESTING        16

/* How deep the @len bytes at @caps nest brackets ({[<( and their
 * closers).  Exposed for the fuzzers. */
guint gst_km_zmq_caps_nesting (const gchar * caps, gsize len);

/* Parses one header frame of @size bytes.  Pure: reads only @data and
 * writes only @header (whose caps point into @data).  FALSE with @error
 * on anything that is not exactly one well-formed version-1 header. */
gboolean gst_km_zmq_frame_header_parse (const guint8 * data, gsize size,
    GstKmZmqFrameHeader * header, GError ** error);

/* ------------------------------------------------------ event messages */

/* An event message is [topic] header kind structure: the kind frame names
 * the event type, the structure frame is the event's GstStructure as
 * gst_structure_serialize() writes it (UTF-8, no NUL, no terminator). */
#define GST_KM_ZMQ_EVENT_PAYLOAD_FRAMES    2

/* The event types an event message carries: the serialized custom events
 * that travel downstream. */
typedef enum
{
  GST_KM_ZMQ_EVENT_KIND_CUSTOM_DOWNSTREAM,
  GST_KM_ZMQ_EVENT_KIND_CUSTOM_DOWNSTREAM_STICKY,
  GST_KM_ZMQ_EVENT_KIND_CUSTOM_BOTH
} GstKmZmqEventKind;

/* The kind frame's text for @kind ("custom-downstream", ...), as
 * GStreamer names the event type. */
const gchar *gst_km_zmq_event_kind_name (GstKmZmqEventKind kind);

/* Reads a kind frame of @size bytes.  FALSE with @error unless it is
 * exactly one of the names. */
gboolean gst_km_zmq_event_kind_parse (const guint8 * data, gsize size,
    GstKmZmqEventKind * kind, GError ** error);

/* Checks a structure frame of @size bytes before anything parses it: at
 * most @max_size bytes, NUL-free UTF-8, brackets nested at most
 * GST_KM_ZMQ_MAX_CAPS_NESTING deep (the structure parser is the caps
 * parser).  FALSE with @error otherwise. */
gboolean gst_km_zmq_event_structure_check (const guint8 * data, gsize size,
    gsize max_size, GError ** error);

/* Size of the serialized @header (fixed part + caps). */
gsize gst_km_zmq_frame_header_size (const GstKmZmqFrameHeader * header);

/* Writes @header into @data, which holds gst_km_zmq_frame_header_size()
 * bytes.  The version written is always GST_KM_ZMQ_FRAME_VERSION. */
void gst_km_zmq_frame_header_write (const GstKmZmqFrameHeader * header,
    guint8 * data);

G_END_DECLS

#endif /* __GST_KM_ZMQ_FRAMING_H__ */

/* gst-kmeans: ZeroMQ glue shared by kmzmqsrc and kmzmqsink.
 *
 * - the self-describing framing header (schemas/zmq-framing.md): a pure
 *   parser and a writer, usable without a socket (fuzzers, tests),
 * - the settings both elements share and the GParamSpecs that expose them,
 * - opening a socket from those settings: its own context, endpoints,
 *   socket options, CURVE keys and the ZAP handler that admits listed
 *   client keys,
 * - waiting on a socket and a GCancellable at once, so unlock() can wake a
 *   streaming thread blocked in ZeroMQ without touching the socket.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_COMMON_H__
#define __GST_KM_ZMQ_COMMON_H__

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* ----------------------------------------------------- framing header */

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
  GST_KM_ZMQ_FRAME_FLAG_HEADER = (1 << 4)
} GstKmZmqFrameFlags;

/* A message carries at most this many payload frames (one per memory). */
#define GST_KM_ZMQ_MAX_PAYLOAD_FRAMES      16

typedef struct
{
  guint8 version;
  guint8 flags;                 /* GstKmZmqFrameFlags; unknown bits ignored */
  guint32 stream_id;            /* random per kmzmqsink start */
  guint64 sequence;             /* per stream, from 0 */
  GstClockTime pts;
  GstClockTime dts;
  GstClockTime duration;
  guint64 offset;
  guint64 offset_end;
  const gchar *caps;            /* not NUL-terminated; NULL when caps_len 0 */
  gsize caps_len;
} GstKmZmqFrameHeader;

#define GST_KM_ZMQ_FRAME_ERROR (gst_km_zmq_frame_error_quark ())
GQuark gst_km_zmq_frame_error_quark (void);

typedef enum
{
  GST_KM_ZMQ_FRAME_ERROR_TRUNCATED,        /* shorter than its sizes say */
  GST_KM_ZMQ_FRAME_ERROR_BAD_MAGIC,        /* not a framing header */
  GST_KM_ZMQ_FRAME_ERROR_BAD_VERSION,      /* a version we cannot read */
  GST_KM_ZMQ_FRAME_ERROR_BAD_SIZE,         /* longer than its sizes say */
  GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS          /* caps not UTF-8 / holds NUL */
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

/* Size of the serialized @header (fixed part + caps). */
gsize gst_km_zmq_frame_header_size (const GstKmZmqFrameHeader * header);

/* Writes @header into @data, which holds gst_km_zmq_frame_header_size()
 * bytes.  The version written is always GST_KM_ZMQ_FRAME_VERSION. */
void gst_km_zmq_frame_header_write (const GstKmZmqFrameHeader * header,
    guint8 * data);

/* Buffer flags <-> header flags (EOS is not a buffer flag). */
guint8 gst_km_zmq_frame_flags_from_buffer (GstBuffer * buffer);
void gst_km_zmq_frame_flags_to_buffer (guint8 flags, GstBuffer * buffer);

/* ------------------------------------------------------------ settings */

typedef enum
{
  GST_KM_ZMQ_FRAMING_RAW,
  GST_KM_ZMQ_FRAMING_GST
} GstKmZmqFraming;

GType gst_km_zmq_framing_get_type (void);
#define GST_TYPE_KM_ZMQ_FRAMING (gst_km_zmq_framing_get_type ())

/* Property ids of the settings both elements share; an element's own
 * properties are numbered after GST_KM_ZMQ_PROP_LAST. */
enum
{
  GST_KM_ZMQ_PROP_0,
  GST_KM_ZMQ_PROP_ENDPOINT,
  GST_KM_ZMQ_PROP_BIND,
  GST_KM_ZMQ_PROP_TOPIC,
  GST_KM_ZMQ_PROP_FRAMING,
  GST_KM_ZMQ_PROP_LINGER,
  GST_KM_ZMQ_PROP_CURVE_SERVER,
  GST_KM_ZMQ_PROP_CURVE_SECRET_KEY,
  GST_KM_ZMQ_PROP_CURVE_PUBLIC_KEY,
  GST_KM_ZMQ_PROP_CURVE_SERVER_KEY,
  GST_KM_ZMQ_PROP_CURVE_KEY_FILE,
  GST_KM_ZMQ_PROP_CURVE_SERVER_KEY_FILE,
  GST_KM_ZMQ_PROP_CURVE_ALLOWED_CLIENTS,
  GST_KM_ZMQ_PROP_LAST_ENDPOINT,
  GST_KM_ZMQ_PROP_LAST
};

#define GST_KM_ZMQ_DEFAULT_ENDPOINT        NULL
#define GST_KM_ZMQ_DEFAULT_TOPIC           NULL
#define GST_KM_ZMQ_DEFAULT_FRAMING         GST_KM_ZMQ_FRAMING_GST
#define GST_KM_ZMQ_DEFAULT_LINGER          1000
#define GST_KM_ZMQ_DEFAULT_HWM             1000
#define GST_KM_ZMQ_DEFAULT_MAX_MESSAGE_SIZE (G_GINT64_CONSTANT (64) << 20)

typedef struct
{
  gchar *endpoint;              /* comma-separated */
  gboolean bind;
  gchar *topic;
  GstKmZmqFraming framing;
  gint linger;                  /* ms, -1 = forever */
  gint hwm;                     /* send or receive high-water mark */
  gint64 max_message_size;      /* inbound, -1 = no limit */
  gboolean curve_server;
  gchar *curve_secret_key;
  gchar *curve_public_key;
  gchar *curve_server_key;
  gchar *curve_key_file;
  gchar *curve_server_key_file;
  gchar *curve_allowed_clients; /* comma-separated Z85 public keys */
} GstKmZmqSettings;

void gst_km_zmq_settings_init (GstKmZmqSettings * settings, gboolean bind);
void gst_km_zmq_settings_clear (GstKmZmqSettings * settings);
void gst_km_zmq_settings_copy (GstKmZmqSettings * dest,
    const GstKmZmqSettings * src);

/* Installs the shared properties (GST_KM_ZMQ_PROP_ENDPOINT ..
 * GST_KM_ZMQ_PROP_LAST_ENDPOINT).  @bind_default is the default of "bind";
 * @is_source picks the wording of the blurbs. */
void gst_km_zmq_install_properties (GObjectClass * klass,
    gboolean bind_default, gboolean is_source);

/* Set / get of a shared property; the caller holds the object lock.
 * FALSE if @prop_id is not a shared one.  @last_endpoint is the element's
 * resolved endpoint list (for the read-only property). */
gboolean gst_km_zmq_settings_set_property (GstKmZmqSettings * settings,
    guint prop_id, const GValue * value);
gboolean gst_km_zmq_settings_get_property (const GstKmZmqSettings * settings,
    const gchar * last_endpoint, guint prop_id, GValue * value);

/* -------------------------------------------------------------- socket */

typedef struct _GstKmZmqZap GstKmZmqZap;

typedef struct
{
  void *context;                /* one per element: its own ZAP handler */
  void *socket;
  GstKmZmqZap *zap;               /* NULL unless curve-allowed-clients */
  gchar *last_endpoint;         /* resolved endpoints, comma-separated */
  GCancellable *cancellable;    /* not owned: the element's unlock() */
  gint cancel_fd;               /* its descriptor, for gst_km_zmq_wait() */
} GstKmZmqConnection;

/* Creates a context and a socket of ZeroMQ type @zmq_type, applies the
 * settings and binds or connects every endpoint; resets @cancellable
 * (owned by the element, so unlock() can cancel it at any time) and makes
 * its descriptor conn->cancel_fd, which lets cancelling it wake a
 * gst_km_zmq_wait().  On failure returns
 * FALSE, leaves @conn closed and fills @error (GST_RESOURCE_ERROR:
 * SETTINGS for a bad endpoint, key or option; OPEN_READ / OPEN_WRITE
 * (per @for_reading) for a bind or name lookup that failed; NOT_FOUND
 * for an unreadable key file) with user-facing text, and @debug with
 * the specifics (zmq_strerror, the endpoint). */
gboolean gst_km_zmq_connection_open (GstKmZmqConnection * conn,
    const GstKmZmqSettings * settings, gint zmq_type, gboolean for_reading,
    GCancellable * cancellable, GError ** error, gchar ** debug);

/* Closes the socket, terminates the context and releases the cancel
 * descriptor.  Blocks at most the linger time for messages still queued. */
void gst_km_zmq_connection_close (GstKmZmqConnection * conn);

/* Client connections refused by the ZAP handler so far. */
guint64 gst_km_zmq_connection_get_rejected (GstKmZmqConnection * conn);

typedef enum
{
  GST_KM_ZMQ_WAIT_READY,
  GST_KM_ZMQ_WAIT_TIMEOUT,
  GST_KM_ZMQ_WAIT_CANCELLED,
  GST_KM_ZMQ_WAIT_ERROR            /* errno holds the reason */
} GstKmZmqWaitResult;

/* Waits until @socket has @events (ZMQ_POLLIN / ZMQ_POLLOUT), the
 * @cancel_fd becomes readable, or @timeout_ms passes (-1 = forever). */
GstKmZmqWaitResult gst_km_zmq_wait (void *socket, gshort events,
    gint cancel_fd, glong timeout_ms);

/* Posts an error message for @error (from gst_km_zmq_connection_open or
 * any GST_RESOURCE_ERROR) on @element: what GST_ELEMENT_ERROR does with
 * a domain and code only known at run time. */
void gst_km_zmq_post_error (GstElement * element, const GError * error,
    const gchar * debug, const gchar * file, const gchar * function,
    gint line);
#define GST_KM_ZMQ_POST_ERROR(el, error, debug) \
    gst_km_zmq_post_error (GST_ELEMENT (el), error, debug, __FILE__, \
        GST_FUNCTION, __LINE__)

/* Reads a CURVE key file: a ZeroMQ certificate ("public-key = \"...\"",
 * "secret-key = \"...\"" as zcert writes) or "public=..." / "secret=..."
 * lines.  Either key may be absent (NULL).  Exposed for tests. */
gboolean gst_km_zmq_read_key_file (const gchar * path, gchar ** public_key,
    gchar ** secret_key, GError ** error);

G_END_DECLS

#endif /* __GST_KM_ZMQ_COMMON_H__ */

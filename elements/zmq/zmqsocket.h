/* gst-kmeans: a ZeroMQ socket opened from the shared settings.
 *
 * - opening it: its own context, endpoints checked and bound or
 *   connected, socket options, CURVE keys (zmqcurve.h) and the ZAP
 *   handler that admits listed client keys (zmqzap.h),
 * - waiting on the socket and a GCancellable at once, so unlock() can
 *   wake a streaming thread blocked in ZeroMQ without touching the socket.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_SOCKET_H__
#define __GST_KM_ZMQ_SOCKET_H__

#include <gst/gst.h>
#include <gio/gio.h>
#include <zmq.h>

#include "zmqerrors.h"
#include "zmqsettings.h"
#include "zmqzap.h"

G_BEGIN_DECLS

typedef struct
{
  void *context;                /* one per element: its own ZAP handler */
  void *socket;
  GstKmZmqZap *zap;             /* NULL unless curve-allowed-clients */
  gchar *last_endpoint;         /* resolved endpoints, comma-separated */
  GCancellable *cancellable;    /* not owned: the element's unlock() */
  gint cancel_fd;               /* its descriptor, for gst_km_zmq_wait() */
} GstKmZmqConnection;

/* Creates a context and a socket of ZeroMQ type @zmq_type, applies the
 * settings and binds or connects every endpoint; resets @cancellable
 * (owned by the element, so unlock() can cancel it at any time) and makes
 * its descriptor conn->cancel_fd, which lets cancelling it wake a
 * gst_km_zmq_wait().  On failure returns FALSE, leaves @conn closed and
 * fills @error (GST_RESOURCE_ERROR: SETTINGS for a bad endpoint, key or
 * option; OPEN_READ / OPEN_WRITE (per @for_reading) for a bind or name
 * lookup that failed; NOT_FOUND for an unreadable key file) with
 * user-facing text, and @debug with the specifics (zmq_strerror, the
 * endpoint): post them with GST_KM_ZMQ_POST_ERROR (zmqerrors.h). */
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
  GST_KM_ZMQ_WAIT_ERROR         /* errno holds the reason */
} GstKmZmqWaitResult;

/* Waits until @socket has @events (ZMQ_POLLIN / ZMQ_POLLOUT), the
 * @cancel_fd becomes readable, or @timeout_ms passes (-1 = forever). */
GstKmZmqWaitResult gst_km_zmq_wait (void *socket, gshort events,
    gint cancel_fd, glong timeout_ms);

/* Receives every frame of one message, without waiting for the first:
 * up to @max_frames into @frames (initialised zmq_msg_t), the rest
 * discarded with *@too_many set; *@bytes (if not NULL) gets the size of
 * all of them.  Returns 0 (*@n_frames is 0 when no message was there),
 * or -1 with errno set. */
gint gst_km_zmq_receive_frames (void *socket, zmq_msg_t * frames,
    guint max_frames, guint * n_frames, gboolean * too_many, gsize * bytes);

/* Posts the error of a failed gst_km_zmq_receive_frames() (@err the
 * errno it left) on @endpoint. */
void gst_km_zmq_post_receive_error (GstElement * element,
    const gchar * endpoint, gint err, const gchar * file,
    const gchar * function, gint line);
#define GST_KM_ZMQ_POST_RECEIVE_ERROR(el, endpoint, err) \
    gst_km_zmq_post_receive_error (GST_ELEMENT (el), endpoint, err, \
        __FILE__, GST_FUNCTION, __LINE__)

typedef struct
{
  const void *data;
  gsize size;
} GstKmZmqFrame;

/* Sends @n_frames frames as one message (ZMQ_DONTWAIT in @flags: -1 with
 * errno EAGAIN when it cannot go at once; a partly sent message is
 * completed by ZeroMQ, which queues the frames of one message together).
 * Returns 0, or -1 with errno set. */
gint gst_km_zmq_send_frames (void *socket, const GstKmZmqFrame * frames,
    guint n_frames, gint flags);

G_END_DECLS

#endif /* __GST_KM_ZMQ_SOCKET_H__ */

/* gst-kmeans: the ZAP handler that admits only listed CURVE clients.
 *
 * ZeroMQ asks "inproc://zeromq.zap.01" in the socket's context whether a
 * CURVE client may connect (RFC 27).  One handler per element context,
 * answering from an immutable key list, on its own thread; it ends when
 * the context is shut down.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_ZAP_H__
#define __GST_KM_ZMQ_ZAP_H__

#include <glib.h>

G_BEGIN_DECLS

/* The ZMQ_ZAP_DOMAIN of a socket whose clients the handler checks. */
#define GST_KM_ZMQ_ZAP_DOMAIN "gst-zmq"

typedef struct _GstKmZmqZap GstKmZmqZap;

/* Binds the handler in @context and starts its thread, answering from
 * @allowed (binary keys, GST_KM_ZMQ_BINARY_KEY_LENGTH bytes each; a
 * reference is taken).  It must be bound before any client can reach a
 * socket of @context.  NULL with the error pair of
 * gst_km_zmq_connection_open on failure. */
GstKmZmqZap *gst_km_zmq_zap_start (void *context, GArray * allowed,
    GError ** error, gchar ** debug);

/* Waits for the thread and frees @zap.  The context must be shut down
 * first (zmq_ctx_shutdown) so the thread leaves zmq_recv. */
void gst_km_zmq_zap_join (GstKmZmqZap * zap);

/* Client connections refused so far; from any thread. */
guint64 gst_km_zmq_zap_get_rejected (GstKmZmqZap * zap);

G_END_DECLS

#endif /* __GST_KM_ZMQ_ZAP_H__ */

/* gst-kmeans: how the ZeroMQ glue reports.
 *
 * - the error pair of opening a socket: a GST_RESOURCE_ERROR with
 *   user-facing text, and a debug string with the specifics,
 * - posting that pair on an element,
 * - the debug category the glue logs to ("kmzmq").
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_ERRORS_H__
#define __GST_KM_ZMQ_ERRORS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_km_zmq_debug);

/* Registers gst_km_zmq_debug; any number of times, from any thread. */
void gst_km_zmq_debug_init (void);

/* Fills the error pair of gst_km_zmq_connection_open (zmqsocket.h): a
 * GST_RESOURCE_ERROR of @code with the message @format, and @debug_text.
 * Either is left alone when already set, so the first failure wins. */
void gst_km_zmq_set_open_error (GError ** error, gchar ** debug, gint code,
    const gchar * debug_text, const gchar * format, ...) G_GNUC_PRINTF (5, 6);

/* Posts an error message for @error (from gst_km_zmq_connection_open or
 * any GST_RESOURCE_ERROR) on @element: what GST_ELEMENT_ERROR does with
 * a domain and code only known at run time. */
void gst_km_zmq_post_error (GstElement * element, const GError * error,
    const gchar * debug, const gchar * file, const gchar * function,
    gint line);
#define GST_KM_ZMQ_POST_ERROR(el, error, debug) \
    gst_km_zmq_post_error (GST_ELEMENT (el), error, debug, __FILE__, \
        GST_FUNCTION, __LINE__)

/* Posts the error of a failed gst_km_zmq_wait() (zmq_poll, @err the
 * errno it left) on @endpoint; the caller returns GST_FLOW_ERROR. */
void gst_km_zmq_post_wait_error (GstElement * element, const gchar * endpoint,
    gint err, const gchar * file, const gchar * function, gint line);
#define GST_KM_ZMQ_POST_WAIT_ERROR(el, endpoint, err) \
    gst_km_zmq_post_wait_error (GST_ELEMENT (el), endpoint, err, __FILE__, \
        GST_FUNCTION, __LINE__)

G_END_DECLS

#endif /* __GST_KM_ZMQ_ERRORS_H__ */

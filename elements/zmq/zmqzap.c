/* gst-kmeans: the ZAP handler of the ZeroMQ glue (see zmqzap.h).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "zmqcurve.h"
#include "zmqerrors.h"
#include "zmqzap.h"

#define GST_CAT_DEFAULT gst_km_zmq_debug

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct _GstKmZmqZap
{
  void *socket;
  GThread *thread;
  GArray *allowed;              /* of guint8[32] */
  gint rejected;                /* atomic */
};

#define ZAP_FRAMES 7

static gboolean
zap_key_allowed (GstKmZmqZap * zap, const zmq_msg_t * credentials)
{
  guint i;

  if (zmq_msg_size ((zmq_msg_t *) credentials) != GST_KM_ZMQ_BINARY_KEY_LENGTH)
    return FALSE;
  for (i = 0; i < zap->allowed->len; i++) {
    const guint8 *key = &g_array_index (zap->allowed, guint8,
        i * GST_KM_ZMQ_BINARY_KEY_LENGTH);
    if (memcmp (key, zmq_msg_data ((zmq_msg_t *) credentials),
            GST_KM_ZMQ_BINARY_KEY_LENGTH) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
zap_send (void *socket, const void *data, gsize size, gboolean more)
{
  return zmq_send (socket, data, size, more ? ZMQ_SNDMORE : 0) >= 0;
}

/* Receives one request; FALSE when the context is shutting down. */
static gboolean
zap_receive (void *socket, zmq_msg_t * frames, guint * n_frames)
{
  gint more = 1;
  gsize more_size = sizeof (more);
  guint n = 0;

  while (more) {
    zmq_msg_t discard;
    zmq_msg_t *frame = n < ZAP_FRAMES ? &frames[n] : &discard;

    zmq_msg_init (frame);
    while (zmq_msg_recv (frame, socket, 0) < 0) {
      if (errno != EINTR) {
        zmq_msg_close (frame);
        while (n > 0)
          zmq_msg_close (&frames[--n]);
        return FALSE;
      }
    }
    zmq_getsockopt (socket, ZMQ_RCVMORE, &more, &more_size);
    if (frame == &discard)
      zmq_msg_close (frame);
    else
      n++;
  }
  *n_frames = n;
  return TRUE;
}

static gpointer
zap_thread_func (gpointer data)
{
  GstKmZmqZap *zap = data;
  zmq_msg_t frames[ZAP_FRAMES];
  guint n, i;

  while (zap_receive (zap->socket, frames, &n)) {
    gboolean allowed = n == ZAP_FRAMES
        && zmq_msg_size (&frames[5]) == 5
        && memcmp (zmq_msg_data (&frames[5]), "CURVE", 5) == 0
        && zap_key_allowed (zap, &frames[6]);
    const gchar *status_text = allowed ? "OK" : "client key not allowed";
    gchar client[GST_KM_ZMQ_Z85_KEY_LENGTH + 1] = "";

    if (n == ZAP_FRAMES
        && zmq_msg_size (&frames[6]) == GST_KM_ZMQ_BINARY_KEY_LENGTH)
      zmq_z85_encode (client, zmq_msg_data (&frames[6]),
          GST_KM_ZMQ_BINARY_KEY_LENGTH);
    if (allowed) {
      GST_DEBUG ("admitting CURVE client %s", client);
    } else {
      g_atomic_int_inc (&zap->rejected);
      GST_WARNING ("refusing CURVE client \"%s\": not in "
          "curve-allowed-clients", client);
    }
    /* Reply (REP must): version, request id, status code, status text,
     * user id, metadata. */
    zap_send (zap->socket, "1.0", 3, TRUE);
    zap_send (zap->socket, n >= 2 ? zmq_msg_data (&frames[1]) : "",
        n >= 2 ? zmq_msg_size (&frames[1]) : 0, TRUE);
    zap_send (zap->socket, allowed ? "200" : "400", 3, TRUE);
    zap_send (zap->socket, status_text, strlen (status_text), TRUE);
    zap_send (zap->socket, client, allowed ? strlen (client) : 0, TRUE);
    zap_send (zap->socket, "", 0, FALSE);
    for (i = 0; i < n; i++)
      zmq_msg_close (&frames[i]);
  }
  zmq_close (zap->socket);
  return NULL;
}

GstKmZmqZap *
gst_km_zmq_zap_start (void *context, GArray * allowed, GError ** error,
    gchar ** debug)
{
  GstKmZmqZap *zap;
  void *socket = zmq_socket (context, ZMQ_REP);
  gint linger = 0;

  if (socket == NULL || zmq_bind (socket, ZAP_ENDPOINT) != 0) {
    gchar *text = g_strdup_printf ("ZAP handler on %s: %s", ZAP_ENDPOINT,
        zmq_strerror (errno));
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
        "Could not start the CURVE client authentication handler.");
    g_free (text);
    if (socket)
      zmq_close (socket);
    return NULL;
  }
  zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger));
  zap = g_new0 (GstKmZmqZap, 1);
  zap->socket = socket;
  zap->allowed = g_array_ref (allowed);
  /* The thread owns the socket from here on. */
  zap->thread = g_thread_new ("zmq-zap", zap_thread_func, zap);
  return zap;
}

void
gst_km_zmq_zap_join (GstKmZmqZap * zap)
{
  g_thread_join (zap->thread);
  g_array_unref (zap->allowed);
  g_free (zap);
}

guint64
gst_km_zmq_zap_get_rejected (GstKmZmqZap * zap)
{
  return (guint64) g_atomic_int_get (&zap->rejected);
}

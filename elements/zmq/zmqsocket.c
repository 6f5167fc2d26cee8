/* gst-kmeans: a ZeroMQ socket opened from the shared settings (see
 * zmqsocket.h).
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
#include "zmqsocket.h"

#define GST_CAT_DEFAULT gst_km_zmq_debug

/* ----------------------------------------------------------- endpoints */

/* Checks what ZeroMQ would take silently: a tcp port out of range (it
 * binds a random port instead) or missing, a connect to a host name
 * that does not resolve (it would retry forever), inproc (meaningless
 * with one context per element). */
static gboolean
check_endpoint (const gchar * endpoint, gboolean bind, gboolean for_reading,
    gboolean * ipv6, GError ** error, gchar ** debug)
{
  const gchar *addr, *colon;
  gchar *host = NULL, *text = NULL;
  guint64 port;
  gboolean ok = FALSE;
  gint open_code = for_reading ? GST_RESOURCE_ERROR_OPEN_READ :
      GST_RESOURCE_ERROR_OPEN_WRITE;

  if (g_str_has_prefix (endpoint, "inproc://")) {
    text = g_strdup_printf ("\"%s\": inproc:// only reaches sockets of the "
        "same ZeroMQ context, and each element has its own", endpoint);
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
        "The ZeroMQ endpoint \"%s\" is not supported: use ipc:// between "
        "pipelines of one host.", endpoint);
    goto done;
  }
  if (!g_str_has_prefix (endpoint, "tcp://")) {
    ok = TRUE;                  /* ZeroMQ checks the others itself */
    goto done;
  }

  addr = endpoint + strlen ("tcp://");
  /* "tcp://source;host:port": the peer is after the ';'. */
  if (strchr (addr, ';') != NULL)
    addr = strchr (addr, ';') + 1;
  colon = strrchr (addr, ':');
  if (colon == NULL || colon == addr) {
    text = g_strdup_printf ("\"%s\" has no host:port", endpoint);
    goto malformed;
  }
  if (bind && g_str_equal (colon + 1, "*")) {
    port = 0;
  } else if (!g_ascii_string_to_unsigned (colon + 1, 10, bind ? 0 : 1, 65535,
          &port, NULL)) {
    text = g_strdup_printf ("\"%s\": port \"%s\" is not a number in %d..65535"
        "%s", endpoint, colon + 1, bind ? 0 : 1, bind ? " or *" : "");
    goto malformed;
  }
  host = g_strndup (addr, colon - addr);
  if (host[0] == '[') {
    *ipv6 = TRUE;
    ok = TRUE;
    goto done;
  }
  if (!bind && !g_hostname_is_ip_address (host)) {
    GResolver *resolver = g_resolver_get_default ();
    GList *addresses;
    GError *err = NULL;

    addresses = g_resolver_lookup_by_name (resolver, host, NULL, &err);
    g_object_unref (resolver);
    if (addresses == NULL) {
      text = g_strdup_printf ("Failed to resolve host '%s' of \"%s\": %s",
          host, endpoint, err->message);
      gst_km_zmq_set_open_error (error, debug, open_code, text,
          "Could not resolve the host of the ZeroMQ endpoint \"%s\".",
          endpoint);
      g_error_free (err);
      goto done;
    }
    g_resolver_free_addresses (addresses);
  }
  ok = TRUE;
  goto done;

malformed:
  gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
      "Invalid ZeroMQ endpoint \"%s\".", endpoint);
done:
  g_free (host);
  g_free (text);
  return ok;
}

/* Splits the comma-separated list; NULL (and an error) when it is empty
 * or has an empty entry. */
static gchar **
split_endpoints (const gchar * list, GError ** error, gchar ** debug)
{
  gchar **endpoints;
  guint i;

  endpoints = g_strsplit (list ? list : "", ",", -1);
  if (endpoints[0] == NULL || (endpoints[1] == NULL
          && *g_strstrip (endpoints[0]) == '\0')) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "the endpoint property is empty", "No ZeroMQ endpoint set.");
    g_strfreev (endpoints);
    return NULL;
  }
  for (i = 0; endpoints[i] != NULL; i++) {
    if (*g_strstrip (endpoints[i]) == '\0') {
      gchar *text = g_strdup_printf ("entry %u of \"%s\" is empty", i + 1,
          list);
      gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          text, "Invalid ZeroMQ endpoint list \"%s\".", list);
      g_free (text);
      g_strfreev (endpoints);
      return NULL;
    }
  }
  return endpoints;
}

/* -------------------------------------------------------------- socket */

/* ROUTER and DEALER both send and receive. */
static gboolean
is_two_way (gint zmq_type)
{
  return zmq_type == ZMQ_ROUTER || zmq_type == ZMQ_DEALER;
}

static gboolean
is_reader (gint zmq_type)
{
  return zmq_type == ZMQ_SUB || zmq_type == ZMQ_PULL || is_two_way (zmq_type);
}

static gboolean
set_option (void *socket, gint option, const void *value, gsize size,
    const gchar * name, GError ** error, gchar ** debug)
{
  gchar *text;

  if (zmq_setsockopt (socket, option, value, size) == 0)
    return TRUE;
  text = g_strdup_printf ("zmq_setsockopt (%s) failed: %s", name,
      zmq_strerror (errno));
  gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
      "Could not configure the ZeroMQ socket.");
  g_free (text);
  return FALSE;
}

#define SET_INT(sock, opt, val, err, dbg) \
    set_option (sock, opt, &(gint) {val}, sizeof (gint), #opt, err, dbg)

static gboolean
configure_socket (void *socket, gint zmq_type, const GstKmZmqSettings * s,
    const GstKmZmqCurveConfig * cc, gboolean ipv6, GError ** error,
    gchar ** debug)
{
  if (!SET_INT (socket, ZMQ_LINGER, s->linger, error, debug))
    return FALSE;
  if (ipv6 && !SET_INT (socket, ZMQ_IPV6, 1, error, debug))
    return FALSE;

  if (is_reader (zmq_type)) {
    gint64 max_size = s->max_message_size;

    if (!SET_INT (socket, ZMQ_RCVHWM, s->hwm, error, debug)
        || !set_option (socket, ZMQ_MAXMSGSIZE, &max_size, sizeof (max_size),
            "ZMQ_MAXMSGSIZE", error, debug))
      return FALSE;
  }
  if ((!is_reader (zmq_type) || is_two_way (zmq_type))
      && !SET_INT (socket, ZMQ_SNDHWM, s->hwm, error, debug))
    return FALSE;
  /* PUSH, DEALER: only hand messages to peers that are really connected,
   * not to the queue of an endpoint that may never come up (a DEALER
   * resends what matters itself).  The price: when the connection drops,
   * libzmq terminates the pipe at once (session_base_t::reconnect), and a
   * message that came just before the peer's FIN can go with it, so a
   * peer must not close right after its last message to a DEALER
   * (kmeans-hub's EOS grace). */
  if ((zmq_type == ZMQ_PUSH || zmq_type == ZMQ_DEALER)
      && !SET_INT (socket, ZMQ_IMMEDIATE, 1, error, debug))
    return FALSE;

  if (cc->enabled) {
    if (cc->server) {
      if (!SET_INT (socket, ZMQ_CURVE_SERVER, 1, error, debug)
          || !set_option (socket, ZMQ_CURVE_SECRETKEY, cc->secret_key,
              GST_KM_ZMQ_Z85_KEY_LENGTH, "ZMQ_CURVE_SECRETKEY", error, debug))
        return FALSE;
    } else if (!set_option (socket, ZMQ_CURVE_SERVERKEY, cc->server_key,
            GST_KM_ZMQ_Z85_KEY_LENGTH, "ZMQ_CURVE_SERVERKEY", error, debug)
        || !set_option (socket, ZMQ_CURVE_PUBLICKEY, cc->public_key,
            GST_KM_ZMQ_Z85_KEY_LENGTH, "ZMQ_CURVE_PUBLICKEY", error, debug)
        || !set_option (socket, ZMQ_CURVE_SECRETKEY, cc->secret_key,
            GST_KM_ZMQ_Z85_KEY_LENGTH, "ZMQ_CURVE_SECRETKEY", error, debug)) {
      return FALSE;
    }
    if (cc->allowed != NULL && !set_option (socket, ZMQ_ZAP_DOMAIN,
            GST_KM_ZMQ_ZAP_DOMAIN, strlen (GST_KM_ZMQ_ZAP_DOMAIN),
            "ZMQ_ZAP_DOMAIN", error, debug))
      return FALSE;
  }

  if (zmq_type == ZMQ_SUB) {
    const gchar *topic = s->topic ? s->topic : "";

    if (!set_option (socket, ZMQ_SUBSCRIBE, topic, strlen (topic),
            "ZMQ_SUBSCRIBE", error, debug))
      return FALSE;
  }
  return TRUE;
}

/* Binds or connects one endpoint and returns what it resolved to. */
static gchar *
attach_endpoint (void *socket, const gchar * endpoint, gboolean bind,
    gboolean for_reading, GError ** error, gchar ** debug)
{
  gchar resolved[1024];
  gsize size = sizeof (resolved);
  gint rc, err;
  gchar *text;

  rc = bind ? zmq_bind (socket, endpoint) : zmq_connect (socket, endpoint);
  if (rc == 0) {
    if (zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, resolved, &size) == 0
        && size > 1)
      return g_strdup (resolved);
    return g_strdup (endpoint);
  }

  err = errno;
  text = g_strdup_printf ("zmq_%s (\"%s\") failed: %s", bind ? "bind" :
      "connect", endpoint, zmq_strerror (err));
  switch (err) {
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
      gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          text, "Invalid ZeroMQ endpoint \"%s\".", endpoint);
      break;
    default:
      gst_km_zmq_set_open_error (error, debug, for_reading ?
          GST_RESOURCE_ERROR_OPEN_READ : GST_RESOURCE_ERROR_OPEN_WRITE, text,
          bind ? "Could not bind to the ZeroMQ endpoint \"%s\"." :
          "Could not connect to the ZeroMQ endpoint \"%s\".", endpoint);
      break;
  }
  g_free (text);
  return NULL;
}

/* Without it unlock() could not wake a streaming thread blocked in
 * gst_km_zmq_wait(). */
static gboolean
open_cancel_fd (GstKmZmqConnection * conn, GCancellable * cancellable,
    gboolean for_reading, GError ** error, gchar ** debug)
{
  GPollFD pollfd;
  gint code = for_reading ? GST_RESOURCE_ERROR_OPEN_READ :
      GST_RESOURCE_ERROR_OPEN_WRITE;
  gchar *text, *message;

  g_cancellable_reset (cancellable);
  if (g_cancellable_make_pollfd (cancellable, &pollfd)) {
    conn->cancellable = cancellable;
    conn->cancel_fd = pollfd.fd;
    return TRUE;
  }
  text = g_strdup_printf ("Could not create the wake-up descriptor: %s",
      g_strerror (errno));
  message = gst_error_get_message (GST_RESOURCE_ERROR, code);
  gst_km_zmq_set_open_error (error, debug, code, text, "%s", message);
  g_free (message);
  g_free (text);
  return FALSE;
}

gboolean
gst_km_zmq_connection_open (GstKmZmqConnection * conn,
    const GstKmZmqSettings * settings, gint zmq_type, gboolean for_reading,
    GCancellable * cancellable, GError ** error, gchar ** debug)
{
  GstKmZmqCurveConfig cc;
  gchar **endpoints;
  GString *resolved = NULL;
  gboolean ipv6 = FALSE;
  guint i;

  gst_km_zmq_debug_init ();
  memset (conn, 0, sizeof (*conn));
  conn->cancel_fd = -1;

  endpoints = split_endpoints (settings->endpoint, error, debug);
  if (endpoints == NULL)
    return FALSE;
  for (i = 0; endpoints[i] != NULL; i++) {
    if (!check_endpoint (endpoints[i], settings->bind, for_reading, &ipv6,
            error, debug)) {
      g_strfreev (endpoints);
      return FALSE;
    }
  }
  if (!gst_km_zmq_curve_config_resolve (&cc, settings, error, debug)) {
    g_strfreev (endpoints);
    return FALSE;
  }

  conn->context = zmq_ctx_new ();
  if (conn->context == NULL) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_FAILED,
        zmq_strerror (errno), "Could not create a ZeroMQ context.");
    goto failed;
  }
  /* The handler must be bound before any client can reach the socket. */
  if (cc.allowed != NULL) {
    conn->zap = gst_km_zmq_zap_start (conn->context, cc.allowed, error, debug);
    if (conn->zap == NULL)
      goto failed;
  }
  conn->socket = zmq_socket (conn->context, zmq_type);
  if (conn->socket == NULL) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_FAILED,
        zmq_strerror (errno), "Could not create a ZeroMQ socket.");
    goto failed;
  }
  if (!configure_socket (conn->socket, zmq_type, settings, &cc, ipv6, error,
          debug))
    goto failed;

  resolved = g_string_new (NULL);
  for (i = 0; endpoints[i] != NULL; i++) {
    gchar *one = attach_endpoint (conn->socket, endpoints[i], settings->bind,
        for_reading, error, debug);

    if (one == NULL)
      goto failed;
    GST_DEBUG ("%s %s", settings->bind ? "bound" : "connected to", one);
    if (resolved->len > 0)
      g_string_append_c (resolved, ',');
    g_string_append (resolved, one);
    g_free (one);
  }
  if (!open_cancel_fd (conn, cancellable, for_reading, error, debug))
    goto failed;
  conn->last_endpoint = g_string_free (resolved, FALSE);
  gst_km_zmq_curve_config_clear (&cc);
  g_strfreev (endpoints);
  return TRUE;

failed:
  if (resolved != NULL)
    g_string_free (resolved, TRUE);
  gst_km_zmq_curve_config_clear (&cc);
  g_strfreev (endpoints);
  gst_km_zmq_connection_close (conn);
  return FALSE;
}

void
gst_km_zmq_connection_close (GstKmZmqConnection * conn)
{
  if (conn->socket != NULL)
    zmq_close (conn->socket);
  conn->socket = NULL;
  if (conn->context != NULL) {
    if (conn->zap != NULL) {
      zmq_ctx_shutdown (conn->context);
      gst_km_zmq_zap_join (conn->zap);
      conn->zap = NULL;
    }
    /* Returns once queued messages are sent or the linger time passed. */
    zmq_ctx_term (conn->context);
    conn->context = NULL;
  }
  g_clear_pointer (&conn->last_endpoint, g_free);
  if (conn->cancellable != NULL)
    g_cancellable_release_fd (conn->cancellable);
  conn->cancellable = NULL;
  conn->cancel_fd = -1;
}

guint64
gst_km_zmq_connection_get_rejected (GstKmZmqConnection * conn)
{
  return conn->zap ? gst_km_zmq_zap_get_rejected (conn->zap) : 0;
}

/* ---------------------------------------------------------------- wait */

GstKmZmqWaitResult
gst_km_zmq_wait (void *socket, gshort events, gint cancel_fd, glong timeout_ms)
{
  zmq_pollitem_t items[2] = {
    {socket, 0, events, 0},
    {NULL, cancel_fd, ZMQ_POLLIN, 0},
  };
  gint64 deadline = timeout_ms < 0 ? -1 :
      g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;) {
    glong wait_ms = timeout_ms;
    gint rc;

    if (deadline >= 0)
      wait_ms = MAX (0, (deadline - g_get_monotonic_time () + 999) / 1000);
    rc = zmq_poll (items, cancel_fd >= 0 ? 2 : 1, wait_ms);
    if (rc < 0) {
      if (errno == EINTR)
        continue;
      return GST_KM_ZMQ_WAIT_ERROR;
    }
    if (cancel_fd >= 0 && (items[1].revents & ZMQ_POLLIN))
      return GST_KM_ZMQ_WAIT_CANCELLED;
    if (items[0].revents & events)
      return GST_KM_ZMQ_WAIT_READY;
    if (deadline >= 0 && g_get_monotonic_time () >= deadline)
      return GST_KM_ZMQ_WAIT_TIMEOUT;
  }
}

gint
gst_km_zmq_receive_frames (void *socket, zmq_msg_t * frames, guint max_frames,
    guint * n_frames, gboolean * too_many, gsize * bytes)
{
  guint n = 0;
  gsize size = 0;
  gboolean more = TRUE;

  *too_many = FALSE;
  *n_frames = 0;
  while (more) {
    zmq_msg_t discard;
    zmq_msg_t *frame = n < max_frames ? &frames[n] : &discard;
    /* Once the first frame is there, ZeroMQ has the whole message. */
    gint flags = n == 0 ? ZMQ_DONTWAIT : 0;

    if (frame == &discard)
      zmq_msg_init (&discard);
    if (zmq_msg_recv (frame, socket, flags) < 0) {
      gint err = errno;

      if (frame == &discard)
        zmq_msg_close (&discard);
      if (err == EINTR)
        continue;
      if (err == EAGAIN && n == 0)
        break;
      errno = err;
      return -1;
    }
    size += zmq_msg_size (frame);
    more = zmq_msg_more (frame);
    if (frame == &discard) {
      zmq_msg_close (&discard);
      *too_many = TRUE;
    } else {
      n++;
    }
  }
  *n_frames = n;
  if (bytes != NULL)
    *bytes = size;
  return 0;
}

void
gst_km_zmq_post_receive_error (GstElement * element, const gchar * endpoint,
    gint err, const gchar * file, const gchar * function, gint line)
{
  gst_element_message_full (element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ,
      g_strdup_printf ("Could not receive from the ZeroMQ endpoint \"%s\".",
          endpoint), g_strdup_printf ("zmq_msg_recv failed: %s",
          zmq_strerror (err)), file, function, line);
}

gint
gst_km_zmq_send_frames (void *socket, const GstKmZmqFrame * frames,
    guint n_frames, gint flags)
{
  guint i;

  for (i = 0; i < n_frames; i++) {
    gint more = i + 1 < n_frames ? ZMQ_SNDMORE : 0;

    while (zmq_send (socket, frames[i].data, frames[i].size, flags | more) < 0) {
      if (errno != EINTR)
        return -1;
    }
  }
  return 0;
}

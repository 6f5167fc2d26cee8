/* gst-kmeans: the settings kmzmqsrc and kmzmqsink share (see
 * zmqsettings.h).
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

#include "zmqerrors.h"
#include "zmqsettings.h"

GType
gst_km_zmq_framing_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_KM_ZMQ_FRAMING_RAW, "One message per buffer, payload only: for plain "
          "ZeroMQ programs", "raw"},
    {GST_KM_ZMQ_FRAMING_GST, "A header with caps, timestamps, flags and EOS "
          "before the payload: between GStreamer pipelines", "gst"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    /* Linked into kmzmq and kmdist: the second plugin loaded takes the
     * type the first registered. */
    GType t = g_type_from_name ("GstKmZmqFraming");

    if (t == 0)
      t = g_enum_register_static ("GstKmZmqFraming", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

void
gst_km_zmq_settings_init (GstKmZmqSettings * settings, gboolean bind)
{
  memset (settings, 0, sizeof (*settings));
  settings->endpoint = g_strdup (GST_KM_ZMQ_DEFAULT_ENDPOINT);
  settings->bind = bind;
  settings->topic = g_strdup (GST_KM_ZMQ_DEFAULT_TOPIC);
  settings->framing = GST_KM_ZMQ_DEFAULT_FRAMING;
  settings->linger = GST_KM_ZMQ_DEFAULT_LINGER;
  settings->hwm = GST_KM_ZMQ_DEFAULT_HWM;
  settings->max_message_size = GST_KM_ZMQ_DEFAULT_MAX_MESSAGE_SIZE;
}

void
gst_km_zmq_clear_secret (gchar ** secret)
{
  if (*secret != NULL)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

void
gst_km_zmq_settings_clear (GstKmZmqSettings * settings)
{
  g_clear_pointer (&settings->endpoint, g_free);
  g_clear_pointer (&settings->topic, g_free);
  gst_km_zmq_clear_secret (&settings->curve_secret_key);
  g_clear_pointer (&settings->curve_public_key, g_free);
  g_clear_pointer (&settings->curve_server_key, g_free);
  g_clear_pointer (&settings->curve_key_file, g_free);
  g_clear_pointer (&settings->curve_server_key_file, g_free);
  g_clear_pointer (&settings->curve_allowed_clients, g_free);
}

void
gst_km_zmq_settings_copy (GstKmZmqSettings * dest, const GstKmZmqSettings * src)
{
  *dest = *src;
  dest->endpoint = g_strdup (src->endpoint);
  dest->topic = g_strdup (src->topic);
  dest->curve_secret_key = g_strdup (src->curve_secret_key);
  dest->curve_public_key = g_strdup (src->curve_public_key);
  dest->curve_server_key = g_strdup (src->curve_server_key);
  dest->curve_key_file = g_strdup (src->curve_key_file);
  dest->curve_server_key_file = g_strdup (src->curve_server_key_file);
  dest->curve_allowed_clients = g_strdup (src->curve_allowed_clients);
}

#define READY_FLAGS \
    (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)

/* topic and framing: what kmzmqsrc and kmzmqsink do with messages. */
static void
install_message_properties (GObjectClass * klass, gboolean is_source)
{
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_TOPIC,
      g_param_spec_string ("topic", "Topic", is_source ?
          "Subscription prefix (SUB) and the first frame of every message, "
          "which is removed (empty: no topic frame, SUB receives all)" :
          "Frame sent first in every message, for subscribers to filter on "
          "(empty: no topic frame)", GST_KM_ZMQ_DEFAULT_TOPIC, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_FRAMING,
      g_param_spec_enum ("framing", "Framing", is_source ?
          "How messages become buffers: gst restores caps, timestamps and "
          "EOS sent by kmzmqsink; raw takes each message as it is" :
          "How buffers become messages: gst adds a header with caps, "
          "timestamps and EOS for kmzmqsrc; raw sends the bytes only",
          GST_TYPE_KM_ZMQ_FRAMING, GST_KM_ZMQ_DEFAULT_FRAMING, READY_FLAGS));
}

void
gst_km_zmq_install_properties (GObjectClass * klass, gboolean bind_default,
    gboolean is_source)
{
  gst_km_zmq_install_connection_properties (klass, bind_default);
  install_message_properties (klass, is_source);
}

void
gst_km_zmq_install_connection_properties (GObjectClass * klass,
    gboolean bind_default)
{
  gst_km_zmq_debug_init ();

  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_ENDPOINT,
      g_param_spec_string ("endpoint", "Endpoint",
          "ZeroMQ endpoints to bind or connect, comma-separated, e.g. "
          "\"tcp://127.0.0.1:5556\" or \"ipc:///tmp/points.ipc\" "
          "(tcp://127.0.0.1:* binds a free port: see last-endpoint)",
          GST_KM_ZMQ_DEFAULT_ENDPOINT, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_BIND,
      g_param_spec_boolean ("bind", "Bind",
          "Bind the endpoints (listen) instead of connecting to them",
          bind_default, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_LINGER,
      g_param_spec_int ("linger", "Linger",
          "How long stopping waits (ms) to deliver queued messages "
          "(0 = drop them at once, -1 = wait forever: stopping can hang)",
          -1, G_MAXINT, GST_KM_ZMQ_DEFAULT_LINGER, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_SERVER,
      g_param_spec_boolean ("curve-server", "CURVE server",
          "Be the CURVE server (needs curve-secret-key or curve-key-file): "
          "peers must connect with curve-server-key set to our public key",
          FALSE, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_SECRET_KEY,
      g_param_spec_string ("curve-secret-key", "CURVE secret key",
          "This socket's CURVE secret key, Z85 (40 characters); write-only. "
          "A client without one uses a fresh key pair",
          NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_PUBLIC_KEY,
      g_param_spec_string ("curve-public-key", "CURVE public key",
          "This socket's CURVE public key, Z85 (derived from the secret key "
          "when empty)", NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_SERVER_KEY,
      g_param_spec_string ("curve-server-key", "CURVE server key",
          "The CURVE server's public key, Z85: makes this socket a CURVE "
          "client that only talks to the holder of the matching secret key",
          NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_KEY_FILE,
      g_param_spec_string ("curve-key-file", "CURVE key file",
          "File with this socket's key pair (a ZeroMQ certificate or "
          "\"public=...\"/\"secret=...\" lines); replaces curve-secret-key "
          "and curve-public-key", NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_SERVER_KEY_FILE,
      g_param_spec_string ("curve-server-key-file", "CURVE server key file",
          "File holding the server's public key (same formats as "
          "curve-key-file); replaces curve-server-key", NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_CURVE_ALLOWED_CLIENTS,
      g_param_spec_string ("curve-allowed-clients", "CURVE allowed clients",
          "CURVE server only: comma-separated Z85 public keys of the only "
          "clients admitted (empty: any client that knows the server key)",
          NULL, READY_FLAGS));
  g_object_class_install_property (klass, GST_KM_ZMQ_PROP_LAST_ENDPOINT,
      g_param_spec_string ("last-endpoint", "Last endpoint",
          "The endpoints actually bound or connected, comma-separated, once "
          "started (a wildcard port shows the port chosen)", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
replace_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

gboolean
gst_km_zmq_settings_set_property (GstKmZmqSettings * settings, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case GST_KM_ZMQ_PROP_ENDPOINT:
      replace_string (&settings->endpoint, value);
      break;
    case GST_KM_ZMQ_PROP_BIND:
      settings->bind = g_value_get_boolean (value);
      break;
    case GST_KM_ZMQ_PROP_TOPIC:
      replace_string (&settings->topic, value);
      break;
    case GST_KM_ZMQ_PROP_FRAMING:
      settings->framing = g_value_get_enum (value);
      break;
    case GST_KM_ZMQ_PROP_LINGER:
      settings->linger = g_value_get_int (value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SERVER:
      settings->curve_server = g_value_get_boolean (value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SECRET_KEY:
      gst_km_zmq_clear_secret (&settings->curve_secret_key);
      settings->curve_secret_key = g_value_dup_string (value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_PUBLIC_KEY:
      replace_string (&settings->curve_public_key, value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SERVER_KEY:
      replace_string (&settings->curve_server_key, value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_KEY_FILE:
      replace_string (&settings->curve_key_file, value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SERVER_KEY_FILE:
      replace_string (&settings->curve_server_key_file, value);
      break;
    case GST_KM_ZMQ_PROP_CURVE_ALLOWED_CLIENTS:
      replace_string (&settings->curve_allowed_clients, value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_km_zmq_settings_get_property (const GstKmZmqSettings * settings,
    const gchar * last_endpoint, guint prop_id, GValue * value)
{
  switch (prop_id) {
    case GST_KM_ZMQ_PROP_ENDPOINT:
      g_value_set_string (value, settings->endpoint);
      break;
    case GST_KM_ZMQ_PROP_BIND:
      g_value_set_boolean (value, settings->bind);
      break;
    case GST_KM_ZMQ_PROP_TOPIC:
      g_value_set_string (value, settings->topic);
      break;
    case GST_KM_ZMQ_PROP_FRAMING:
      g_value_set_enum (value, settings->framing);
      break;
    case GST_KM_ZMQ_PROP_LINGER:
      g_value_set_int (value, settings->linger);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SERVER:
      g_value_set_boolean (value, settings->curve_server);
      break;
    case GST_KM_ZMQ_PROP_CURVE_PUBLIC_KEY:
      g_value_set_string (value, settings->curve_public_key);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SERVER_KEY:
      g_value_set_string (value, settings->curve_server_key);
      break;
    case GST_KM_ZMQ_PROP_CURVE_KEY_FILE:
      g_value_set_string (value, settings->curve_key_file);
      break;
    case GST_KM_ZMQ_PROP_CURVE_SERVER_KEY_FILE:
      g_value_set_string (value, settings->curve_server_key_file);
      break;
    case GST_KM_ZMQ_PROP_CURVE_ALLOWED_CLIENTS:
      g_value_set_string (value, settings->curve_allowed_clients);
      break;
    case GST_KM_ZMQ_PROP_LAST_ENDPOINT:
      g_value_set_string (value, last_endpoint);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

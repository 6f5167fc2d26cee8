/* gst-kmeans: ZeroMQ glue shared by kmzmqsrc and kmzmqsink.
 *
 * See zmqcommon.h for what lives here and why, and schemas/zmq-framing.md
 * for the header layout.
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

#include "zmqcommon.h"

GST_DEBUG_CATEGORY_STATIC (gst_km_zmq_common_debug);
#define GST_CAT_DEFAULT gst_km_zmq_common_debug

#define Z85_KEY_LENGTH 40
#define BINARY_KEY_LENGTH 32
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "gst-zmq"

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_km_zmq_common_debug, "zmqcommon", 0,
        "ZeroMQ glue shared by kmzmqsrc and kmzmqsink");
    g_once_init_leave (&done, 1);
  }
}

/* ------------------------------------------------------ framing header */

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
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_BAD_MAGIC,
        "not a framing header: magic is %02x %02x %02x %02x, "
        "expected \"GZMQ\"", data[0], data[1], data[2], data[3]);
    return FALSE;
  }
  if (size < GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_TRUNCATED,
        "header frame of %" G_GSIZE_FORMAT " bytes is shorter than the "
        "%d fixed bytes", size, GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE);
    return FALSE;
  }
  if (data[4] != GST_KM_ZMQ_FRAME_VERSION) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_BAD_VERSION,
        "framing version %u is not supported (only %d)", data[4],
        GST_KM_ZMQ_FRAME_VERSION);
    return FALSE;
  }

  caps_len = read_u32_le (data + 12);
  if (caps_len > size - GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE) {
    g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_TRUNCATED,
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
    const gchar *caps = (const gchar *) data + GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE;

    if (memchr (caps, '\0', caps_len) != NULL
        || !g_utf8_validate_len (caps, caps_len, NULL)) {
      g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS,
          "caps string is not NUL-free UTF-8");
      return FALSE;
    }
    if (gst_km_zmq_caps_nesting (caps, caps_len) > GST_KM_ZMQ_MAX_CAPS_NESTING) {
      g_set_error (error, GST_KM_ZMQ_FRAME_ERROR, GST_KM_ZMQ_FRAME_ERROR_BAD_CAPS,
          "caps string nests brackets more than %d deep",
          GST_KM_ZMQ_MAX_CAPS_NESTING);
      return FALSE;
    }
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

gsize
gst_km_zmq_frame_header_size (const GstKmZmqFrameHeader * header)
{
  return GST_KM_ZMQ_FRAME_HEADER_FIXED_SIZE + header->caps_len;
}

void
gst_km_zmq_frame_header_write (const GstKmZmqFrameHeader * header, guint8 * data)
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

static const struct
{
  GstKmZmqFrameFlags frame;
  GstBufferFlags buffer;
} flag_map[] = {
  {GST_KM_ZMQ_FRAME_FLAG_DISCONT, GST_BUFFER_FLAG_DISCONT},
  {GST_KM_ZMQ_FRAME_FLAG_DELTA_UNIT, GST_BUFFER_FLAG_DELTA_UNIT},
  {GST_KM_ZMQ_FRAME_FLAG_GAP, GST_BUFFER_FLAG_GAP},
  {GST_KM_ZMQ_FRAME_FLAG_HEADER, GST_BUFFER_FLAG_HEADER},
};

guint8
gst_km_zmq_frame_flags_from_buffer (GstBuffer * buffer)
{
  guint8 flags = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (flag_map); i++)
    if (GST_BUFFER_FLAG_IS_SET (buffer, flag_map[i].buffer))
      flags |= flag_map[i].frame;
  return flags;
}

void
gst_km_zmq_frame_flags_to_buffer (guint8 flags, GstBuffer * buffer)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (flag_map); i++)
    if (flags & flag_map[i].frame)
      GST_BUFFER_FLAG_SET (buffer, flag_map[i].buffer);
}

/* ------------------------------------------------------------ settings */

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
    GType t = g_enum_register_static ("GstKmZmqFraming", values);
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

static void
clear_secret (gchar ** secret)
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
  clear_secret (&settings->curve_secret_key);
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

void
gst_km_zmq_install_properties (GObjectClass * klass, gboolean bind_default,
    gboolean is_source)
{
  ensure_debug_category ();

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
      clear_secret (&settings->curve_secret_key);
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

/* ------------------------------------------------------------- errors */

void
gst_km_zmq_post_error (GstElement * element, const GError * error,
    const gchar * debug, const gchar * file, const gchar * function, gint line)
{
  gst_element_message_full (element, GST_MESSAGE_ERROR, error->domain,
      error->code, g_strdup (error->message), g_strdup (debug), file,
      function, line);
}

/* Fills the error pair of gst_km_zmq_connection_open. */
static void
set_open_error (GError ** error, gchar ** debug, gint code,
    const gchar * debug_text, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL && *error == NULL)
    *error = g_error_new_valist (GST_RESOURCE_ERROR, code, format, args);
  va_end (args);
  if (debug != NULL && *debug == NULL)
    *debug = g_strdup (debug_text);
}

/* --------------------------------------------------------------- keys */

static gboolean
is_z85_key (const gchar * key)
{
  guint8 binary[BINARY_KEY_LENGTH];

  return key != NULL && strlen (key) == Z85_KEY_LENGTH
      && zmq_z85_decode (binary, key) != NULL;
}

static gchar *
unquote (gchar * value)
{
  gsize len;

  g_strstrip (value);
  len = strlen (value);
  if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
    value[len - 1] = '\0';
    value++;
  }
  return value;
}

gboolean
gst_km_zmq_read_key_file (const gchar * path, gchar ** public_key,
    gchar ** secret_key, GError ** error)
{
  gchar *contents = NULL;
  gchar **lines;
  guint i;

  *public_key = NULL;
  *secret_key = NULL;
  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);
    gchar *eq = strchr (line, '=');
    gchar *name, *value;

    if (*line == '#' || eq == NULL)
      continue;
    *eq = '\0';
    name = g_strstrip (line);
    value = unquote (eq + 1);
    if (g_str_equal (name, "public-key") || g_str_equal (name, "public")) {
      g_free (*public_key);
      *public_key = g_strdup (value);
    } else if (g_str_equal (name, "secret-key")
        || g_str_equal (name, "secret")) {
      clear_secret (secret_key);
      *secret_key = g_strdup (value);
    }
  }
  /* The file may hold a secret: leave no copy behind. */
  memset (contents, 0, strlen (contents));
  g_free (contents);
  for (i = 0; lines[i] != NULL; i++)
    memset (lines[i], 0, strlen (lines[i]));
  g_strfreev (lines);

  if (*public_key == NULL && *secret_key == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "no \"public-key\"/\"secret-key\" (or \"public\"/\"secret\") line");
    return FALSE;
  }
  return TRUE;
}

/* The CURVE keys a socket ends up with, resolved from the settings. */
typedef struct
{
  gboolean enabled;
  gboolean server;
  gchar public_key[Z85_KEY_LENGTH + 1];
  gchar secret_key[Z85_KEY_LENGTH + 1];
  gchar server_key[Z85_KEY_LENGTH + 1];
  GArray *allowed;              /* of guint8[32] */
} CurveConfig;

static void
curve_config_clear (CurveConfig * cc)
{
  memset (cc->secret_key, 0, sizeof (cc->secret_key));
  if (cc->allowed != NULL)
    g_array_unref (cc->allowed);
  cc->allowed = NULL;
}

static gboolean
load_key_file (const gchar * what, const gchar * path, gchar ** public_key,
    gchar ** secret_key, GError ** error, gchar ** debug)
{
  GError *err = NULL;

  if (gst_km_zmq_read_key_file (path, public_key, secret_key, &err))
    return TRUE;
  *debug = g_strdup_printf ("%s \"%s\": %s", what, path, err->message);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "Could not read the CURVE key file \"%s\".", path);
  g_error_free (err);
  return FALSE;
}

static gboolean
check_key (const gchar * name, const gchar * key, GError ** error,
    gchar ** debug)
{
  gchar *text;

  if (is_z85_key (key))
    return TRUE;
  text = g_strdup_printf ("%s must be 40 Z85 characters, got %u characters",
      name, key != NULL ? (guint) strlen (key) : 0);
  set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
      "Invalid CURVE key in %s.", name);
  g_free (text);
  return FALSE;
}

static gboolean
parse_allowed_clients (const gchar * list, GArray ** allowed, GError ** error,
    gchar ** debug)
{
  gchar **keys = g_strsplit (list, ",", -1);
  guint i;
  gboolean ok = TRUE;

  *allowed = g_array_new (FALSE, FALSE, BINARY_KEY_LENGTH);
  for (i = 0; keys[i] != NULL && ok; i++) {
    guint8 binary[BINARY_KEY_LENGTH];
    gchar *key = g_strstrip (keys[i]);

    if (*key == '\0')
      continue;
    ok = check_key ("curve-allowed-clients", key, error, debug);
    if (ok) {
      zmq_z85_decode (binary, key);
      g_array_append_vals (*allowed, binary, 1);
    }
  }
  g_strfreev (keys);
  if (ok && (*allowed)->len == 0) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-allowed-clients holds no key",
        "No client key in curve-allowed-clients.");
    ok = FALSE;
  }
  return ok;
}

/* Resolves the CURVE role and keys; refuses every combination that
 * would silently run unencrypted or could never connect. */
static gboolean
curve_config_resolve (CurveConfig * cc, const GstKmZmqSettings * s,
    GError ** error, gchar ** debug)
{
  gchar *public_key = g_strdup (s->curve_public_key);
  gchar *secret_key = g_strdup (s->curve_secret_key);
  gchar *server_key = g_strdup (s->curve_server_key);
  gboolean restricted = s->curve_allowed_clients != NULL
      && *s->curve_allowed_clients != '\0';
  gboolean client;
  gboolean ok = FALSE;

  memset (cc, 0, sizeof (*cc));
  if (s->curve_key_file && *s->curve_key_file) {
    g_clear_pointer (&public_key, g_free);
    clear_secret (&secret_key);
    if (!load_key_file ("curve-key-file", s->curve_key_file, &public_key,
            &secret_key, error, debug))
      goto done;
  }
  if (s->curve_server_key_file && *s->curve_server_key_file) {
    gchar *unused_secret = NULL;

    g_clear_pointer (&server_key, g_free);
    if (!load_key_file ("curve-server-key-file", s->curve_server_key_file,
            &server_key, &unused_secret, error, debug))
      goto done;
    clear_secret (&unused_secret);
  }
  if (public_key && !*public_key)
    g_clear_pointer (&public_key, g_free);
  if (secret_key && !*secret_key)
    clear_secret (&secret_key);
  if (server_key && !*server_key)
    g_clear_pointer (&server_key, g_free);

  client = server_key != NULL;
  if (s->curve_server && client) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-server and curve-server-key are both set",
        "A socket cannot be both CURVE server and CURVE client.");
    goto done;
  }
  if (!s->curve_server && !client) {
    if (secret_key || public_key || restricted) {
      set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          "CURVE keys are set but neither curve-server nor curve-server-key",
          "CURVE keys are set but the socket is neither CURVE server nor "
          "client: it would not be encrypted.");
      goto done;
    }
    ok = TRUE;                  /* no CURVE at all */
    goto done;
  }
  if (!zmq_has ("curve")) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "zmq_has (\"curve\") is false",
        "This ZeroMQ library was built without CURVE security.");
    goto done;
  }
  if (restricted && !s->curve_server) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-allowed-clients is set without curve-server",
        "Only a CURVE server can restrict its clients.");
    goto done;
  }
  if (s->curve_server && secret_key == NULL) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-server needs curve-secret-key or curve-key-file",
        "A CURVE server needs its secret key.");
    goto done;
  }
  if (client && !check_key ("curve-server-key", server_key, error, debug))
    goto done;

  if (secret_key != NULL) {
    gchar derived[Z85_KEY_LENGTH + 1];

    if (!check_key ("curve-secret-key", secret_key, error, debug))
      goto done;
    if (zmq_curve_public (derived, secret_key) != 0) {
      set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          zmq_strerror (errno), "Invalid CURVE secret key.");
      goto done;
    }
    if (public_key != NULL && !g_str_equal (public_key, derived)) {
      set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          "curve-public-key is not the public key of curve-secret-key",
          "The CURVE public and secret keys do not belong together.");
      goto done;
    }
    memcpy (cc->public_key, derived, sizeof (derived));
    memcpy (cc->secret_key, secret_key, Z85_KEY_LENGTH + 1);
  } else if (public_key != NULL) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-public-key is set without its secret key",
        "A CURVE public key alone cannot be used.");
    goto done;
  } else {
    /* A client that need not be recognised: a throw-away key pair. */
    zmq_curve_keypair (cc->public_key, cc->secret_key);
  }
  if (client)
    memcpy (cc->server_key, server_key, Z85_KEY_LENGTH + 1);
  if (restricted && !parse_allowed_clients (s->curve_allowed_clients,
          &cc->allowed, error, debug))
    goto done;

  cc->enabled = TRUE;
  cc->server = s->curve_server;
  ok = TRUE;

done:
  if (!ok)
    curve_config_clear (cc);
  g_free (public_key);
  clear_secret (&secret_key);
  g_free (server_key);
  return ok;
}

/* ---------------------------------------------------------- ZAP handler */

/* ZeroMQ asks "inproc://zeromq.zap.01" in the socket's context whether a
 * CURVE client may connect (RFC 27).  One handler per element context,
 * answering from an immutable key list, on its own thread; it ends when
 * the context is shut down. */
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

  if (zmq_msg_size ((zmq_msg_t *) credentials) != BINARY_KEY_LENGTH)
    return FALSE;
  for (i = 0; i < zap->allowed->len; i++) {
    const guint8 *key = &g_array_index (zap->allowed, guint8,
        i * BINARY_KEY_LENGTH);
    if (memcmp (key, zmq_msg_data ((zmq_msg_t *) credentials),
            BINARY_KEY_LENGTH) == 0)
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
    gchar client[Z85_KEY_LENGTH + 1] = "";

    if (n == ZAP_FRAMES && zmq_msg_size (&frames[6]) == BINARY_KEY_LENGTH)
      zmq_z85_encode (client, zmq_msg_data (&frames[6]), BINARY_KEY_LENGTH);
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

static GstKmZmqZap *
zap_start (void *context, GArray * allowed, GError ** error, gchar ** debug)
{
  GstKmZmqZap *zap;
  void *socket = zmq_socket (context, ZMQ_REP);
  gint linger = 0;

  if (socket == NULL || zmq_bind (socket, ZAP_ENDPOINT) != 0) {
    gchar *text = g_strdup_printf ("ZAP handler on %s: %s", ZAP_ENDPOINT,
        zmq_strerror (errno));
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
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

/* The context must be shut down first so the thread leaves zmq_recv. */
static void
zap_join (GstKmZmqZap * zap)
{
  g_thread_join (zap->thread);
  g_array_unref (zap->allowed);
  g_free (zap);
}

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
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
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
      set_open_error (error, debug, open_code, text,
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
  set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
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
    set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "the endpoint property is empty", "No ZeroMQ endpoint set.");
    g_strfreev (endpoints);
    return NULL;
  }
  for (i = 0; endpoints[i] != NULL; i++) {
    if (*g_strstrip (endpoints[i]) == '\0') {
      gchar *text = g_strdup_printf ("entry %u of \"%s\" is empty", i + 1,
          list);
      set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
          "Invalid ZeroMQ endpoint list \"%s\".", list);
      g_free (text);
      g_strfreev (endpoints);
      return NULL;
    }
  }
  return endpoints;
}

/* -------------------------------------------------------------- socket */

static gboolean
is_reader (gint zmq_type)
{
  return zmq_type == ZMQ_SUB || zmq_type == ZMQ_PULL;
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
  set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
      "Could not configure the ZeroMQ socket.");
  g_free (text);
  return FALSE;
}

#define SET_INT(sock, opt, val, err, dbg) \
    set_option (sock, opt, &(gint) {val}, sizeof (gint), #opt, err, dbg)

static gboolean
configure_socket (void *socket, gint zmq_type, const GstKmZmqSettings * s,
    const CurveConfig * cc, gboolean ipv6, GError ** error, gchar ** debug)
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
  } else if (!SET_INT (socket, ZMQ_SNDHWM, s->hwm, error, debug)) {
    return FALSE;
  }
  /* PUSH: only hand messages to peers that are really connected, not to
   * the queue of an endpoint that may never come up. */
  if (zmq_type == ZMQ_PUSH && !SET_INT (socket, ZMQ_IMMEDIATE, 1, error, debug))
    return FALSE;

  if (cc->enabled) {
    if (cc->server) {
      if (!SET_INT (socket, ZMQ_CURVE_SERVER, 1, error, debug)
          || !set_option (socket, ZMQ_CURVE_SECRETKEY, cc->secret_key,
              Z85_KEY_LENGTH, "ZMQ_CURVE_SECRETKEY", error, debug))
        return FALSE;
    } else if (!set_option (socket, ZMQ_CURVE_SERVERKEY, cc->server_key,
            Z85_KEY_LENGTH, "ZMQ_CURVE_SERVERKEY", error, debug)
        || !set_option (socket, ZMQ_CURVE_PUBLICKEY, cc->public_key,
            Z85_KEY_LENGTH, "ZMQ_CURVE_PUBLICKEY", error, debug)
        || !set_option (socket, ZMQ_CURVE_SECRETKEY, cc->secret_key,
            Z85_KEY_LENGTH, "ZMQ_CURVE_SECRETKEY", error, debug)) {
      return FALSE;
    }
    if (cc->allowed != NULL && !set_option (socket, ZMQ_ZAP_DOMAIN,
            ZAP_DOMAIN, strlen (ZAP_DOMAIN), "ZMQ_ZAP_DOMAIN", error, debug))
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
      set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
          "Invalid ZeroMQ endpoint \"%s\".", endpoint);
      break;
    default:
      set_open_error (error, debug, for_reading ?
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
  set_open_error (error, debug, code, text, "%s", message);
  g_free (message);
  g_free (text);
  return FALSE;
}

gboolean
gst_km_zmq_connection_open (GstKmZmqConnection * conn,
    const GstKmZmqSettings * settings, gint zmq_type, gboolean for_reading,
    GCancellable * cancellable, GError ** error, gchar ** debug)
{
  CurveConfig cc;
  gchar **endpoints;
  GString *resolved = NULL;
  gboolean ipv6 = FALSE;
  guint i;

  ensure_debug_category ();
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
  if (!curve_config_resolve (&cc, settings, error, debug)) {
    g_strfreev (endpoints);
    return FALSE;
  }

  conn->context = zmq_ctx_new ();
  if (conn->context == NULL) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_FAILED,
        zmq_strerror (errno), "Could not create a ZeroMQ context.");
    goto failed;
  }
  /* The handler must be bound before any client can reach the socket. */
  if (cc.allowed != NULL) {
    conn->zap = zap_start (conn->context, cc.allowed, error, debug);
    if (conn->zap == NULL)
      goto failed;
  }
  conn->socket = zmq_socket (conn->context, zmq_type);
  if (conn->socket == NULL) {
    set_open_error (error, debug, GST_RESOURCE_ERROR_FAILED,
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
  curve_config_clear (&cc);
  g_strfreev (endpoints);
  return TRUE;

failed:
  if (resolved != NULL)
    g_string_free (resolved, TRUE);
  curve_config_clear (&cc);
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
      zap_join (conn->zap);
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
  return conn->zap ? (guint64) g_atomic_int_get (&conn->zap->rejected) : 0;
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

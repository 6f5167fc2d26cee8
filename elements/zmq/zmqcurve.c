/* gst-kmeans: CURVE keys for the ZeroMQ glue (see zmqcurve.h).
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

static gboolean
is_z85_key (const gchar * key)
{
  guint8 binary[GST_KM_ZMQ_BINARY_KEY_LENGTH];

  return key != NULL && strlen (key) == GST_KM_ZMQ_Z85_KEY_LENGTH
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
      gst_km_zmq_clear_secret (secret_key);
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

void
gst_km_zmq_curve_config_clear (GstKmZmqCurveConfig * cc)
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
  gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS, text,
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

  *allowed = g_array_new (FALSE, FALSE, GST_KM_ZMQ_BINARY_KEY_LENGTH);
  for (i = 0; keys[i] != NULL && ok; i++) {
    guint8 binary[GST_KM_ZMQ_BINARY_KEY_LENGTH];
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
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-allowed-clients holds no key",
        "No client key in curve-allowed-clients.");
    ok = FALSE;
  }
  return ok;
}

/* Resolves the CURVE role and keys; refuses every combination that
 * would silently run unencrypted or could never connect. */
gboolean
gst_km_zmq_curve_config_resolve (GstKmZmqCurveConfig * cc,
    const GstKmZmqSettings * s, GError ** error, gchar ** debug)
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
    gst_km_zmq_clear_secret (&secret_key);
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
    gst_km_zmq_clear_secret (&unused_secret);
  }
  if (public_key && !*public_key)
    g_clear_pointer (&public_key, g_free);
  if (secret_key && !*secret_key)
    gst_km_zmq_clear_secret (&secret_key);
  if (server_key && !*server_key)
    g_clear_pointer (&server_key, g_free);

  client = server_key != NULL;
  if (s->curve_server && client) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-server and curve-server-key are both set",
        "A socket cannot be both CURVE server and CURVE client.");
    goto done;
  }
  if (!s->curve_server && !client) {
    if (secret_key || public_key || restricted) {
      gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          "CURVE keys are set but neither curve-server nor curve-server-key",
          "CURVE keys are set but the socket is neither CURVE server nor "
          "client: it would not be encrypted.");
      goto done;
    }
    ok = TRUE;                  /* no CURVE at all */
    goto done;
  }
  if (!zmq_has ("curve")) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "zmq_has (\"curve\") is false",
        "This ZeroMQ library was built without CURVE security.");
    goto done;
  }
  if (restricted && !s->curve_server) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-allowed-clients is set without curve-server",
        "Only a CURVE server can restrict its clients.");
    goto done;
  }
  if (s->curve_server && secret_key == NULL) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-server needs curve-secret-key or curve-key-file",
        "A CURVE server needs its secret key.");
    goto done;
  }
  if (client && !check_key ("curve-server-key", server_key, error, debug))
    goto done;

  if (secret_key != NULL) {
    gchar derived[GST_KM_ZMQ_Z85_KEY_LENGTH + 1];

    if (!check_key ("curve-secret-key", secret_key, error, debug))
      goto done;
    if (zmq_curve_public (derived, secret_key) != 0) {
      gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          zmq_strerror (errno), "Invalid CURVE secret key.");
      goto done;
    }
    if (public_key != NULL && !g_str_equal (public_key, derived)) {
      gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
          "curve-public-key is not the public key of curve-secret-key",
          "The CURVE public and secret keys do not belong together.");
      goto done;
    }
    memcpy (cc->public_key, derived, sizeof (derived));
    memcpy (cc->secret_key, secret_key, GST_KM_ZMQ_Z85_KEY_LENGTH + 1);
  } else if (public_key != NULL) {
    gst_km_zmq_set_open_error (error, debug, GST_RESOURCE_ERROR_SETTINGS,
        "curve-public-key is set without its secret key",
        "A CURVE public key alone cannot be used.");
    goto done;
  } else {
    /* A client that need not be recognised: a throw-away key pair. */
    zmq_curve_keypair (cc->public_key, cc->secret_key);
  }
  if (client)
    memcpy (cc->server_key, server_key, GST_KM_ZMQ_Z85_KEY_LENGTH + 1);
  if (restricted && !parse_allowed_clients (s->curve_allowed_clients,
          &cc->allowed, error, debug))
    goto done;

  cc->enabled = TRUE;
  cc->server = s->curve_server;
  ok = TRUE;

done:
  if (!ok)
    gst_km_zmq_curve_config_clear (cc);
  g_free (public_key);
  gst_km_zmq_clear_secret (&secret_key);
  g_free (server_key);
  return ok;
}

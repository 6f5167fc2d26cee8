/* gst-kmeans: CURVE keys for the ZeroMQ glue.
 *
 * - reading a key file (a ZeroMQ certificate or "public=..." lines),
 * - resolving the CURVE role and keys a socket gets from the settings,
 *   refusing every combination that would run unencrypted or could never
 *   connect.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_CURVE_H__
#define __GST_KM_ZMQ_CURVE_H__

#include <glib.h>

#include "zmqsettings.h"

G_BEGIN_DECLS

/* A CURVE key as Z85 text and as the bytes it encodes. */
#define GST_KM_ZMQ_Z85_KEY_LENGTH    40
#define GST_KM_ZMQ_BINARY_KEY_LENGTH 32

/* Reads a CURVE key file: a ZeroMQ certificate ("public-key = \"...\"",
 * "secret-key = \"...\"" as zcert writes) or "public=..." / "secret=..."
 * lines.  Either key may be absent (NULL).  Exposed for tests. */
gboolean gst_km_zmq_read_key_file (const gchar * path, gchar ** public_key,
    gchar ** secret_key, GError ** error);

/* The CURVE keys a socket ends up with, resolved from the settings. */
typedef struct
{
  gboolean enabled;             /* FALSE: the socket uses no CURVE */
  gboolean server;              /* else a client of server_key */
  gchar public_key[GST_KM_ZMQ_Z85_KEY_LENGTH + 1];
  gchar secret_key[GST_KM_ZMQ_Z85_KEY_LENGTH + 1];
  gchar server_key[GST_KM_ZMQ_Z85_KEY_LENGTH + 1];
  GArray *allowed;              /* of guint8[32]; NULL: any client */
} GstKmZmqCurveConfig;

/* Fills @cc from @settings (keys, key files, allowed clients).  FALSE
 * with the error pair of gst_km_zmq_connection_open (GST_RESOURCE_ERROR
 * SETTINGS, or NOT_FOUND for an unreadable key file) and @cc cleared. */
gboolean gst_km_zmq_curve_config_resolve (GstKmZmqCurveConfig * cc,
    const GstKmZmqSettings * settings, GError ** error, gchar ** debug);

/* Zeroes the secret key and drops the allowed list. */
void gst_km_zmq_curve_config_clear (GstKmZmqCurveConfig * cc);

G_END_DECLS

#endif /* __GST_KM_ZMQ_CURVE_H__ */

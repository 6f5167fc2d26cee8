/* gst-kmeans: the settings kmzmqsrc and kmzmqsink share, and the
 * GParamSpecs that expose them as properties.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_SETTINGS_H__
#define __GST_KM_ZMQ_SETTINGS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

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

/* Only the properties of a connection: endpoint, bind, linger, the
 * CURVE keys and last-endpoint (no topic, no framing), for elements that
 * speak their own protocol over the socket. */
void gst_km_zmq_install_connection_properties (GObjectClass * klass,
    gboolean bind_default);

/* Set / get of a shared property; the caller holds the object lock.
 * FALSE if @prop_id is not a shared one.  @last_endpoint is the element's
 * resolved endpoint list (for the read-only property). */
gboolean gst_km_zmq_settings_set_property (GstKmZmqSettings * settings,
    guint prop_id, const GValue * value);
gboolean gst_km_zmq_settings_get_property (const GstKmZmqSettings * settings,
    const gchar * last_endpoint, guint prop_id, GValue * value);

/* Zeroes the string at *@secret (it may hold a secret key), frees it and
 * sets it to NULL. */
void gst_km_zmq_clear_secret (gchar ** secret);

G_END_DECLS

#endif /* __GST_KM_ZMQ_SETTINGS_H__ */

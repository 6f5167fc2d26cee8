/* gst-kmeans: how the ZeroMQ glue reports (see zmqerrors.h).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <zmq.h>

#include "zmqerrors.h"

GST_DEBUG_CATEGORY (gst_km_zmq_debug);

void
gst_km_zmq_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_km_zmq_debug, "kmzmq", 0,
        "ZeroMQ glue shared by kmzmqsrc and kmzmqsink");
    g_once_init_leave (&done, 1);
  }
}

void
gst_km_zmq_set_open_error (GError ** error, gchar ** debug, gint code,
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

void
gst_km_zmq_post_error (GstElement * element, const GError * error,
    const gchar * debug, const gchar * file, const gchar * function, gint line)
{
  gst_element_message_full (element, GST_MESSAGE_ERROR, error->domain,
      error->code, g_strdup (error->message), g_strdup (debug), file,
      function, line);
}

void
gst_km_zmq_post_wait_error (GstElement * element, const gchar * endpoint,
    gint err, const gchar * file, const gchar * function, gint line)
{
  gst_element_message_full (element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ,
      g_strdup_printf ("Could not wait for ZeroMQ messages on \"%s\".",
          endpoint), g_strdup_printf ("zmq_poll failed: %s",
          zmq_strerror (err)), file, function, line);
}

/* gst-kmeans: the kmzmq plugin, GStreamer buffers and events over ZeroMQ.
 *
 * This file only registers the elements; each lives in elements/zmq/.
 * They know nothing of k-means, so the plugin needs libzmq and GStreamer
 * only.  The names carry a "km" prefix because another public ZeroMQ
 * plugin registers zmqsrc, zmqsink and GstZmqSrc: a second registration
 * of a GType name fails, and a second feature of the same name silently
 * replaces the first in the registry.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstkmzmqsrc.h"
#include "gstkmzmqsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (km_zmq_src, plugin);
  ret |= GST_ELEMENT_REGISTER (km_zmq_sink, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kmzmq,
    "Buffers and events of any stream over ZeroMQ (PUB/SUB, PUSH/PULL, "
    "CURVE)", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)

/* gst-kmeans: the kmdist plugin, one k-means model trained by many
 * pipelines over ZeroMQ.
 *
 * This file only registers the elements; each lives in
 * elements/distributed/.  The plugin needs what both other plugins need:
 * OpenBLAS (the core) and libzmq.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstkmeanshub.h"
#include "gstkmeansworker.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (kmeans_hub, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_worker, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kmdist,
    "One k-means model trained by many pipelines: a hub holding the master "
    "centers and workers sharing the points, over ZeroMQ", plugin_init,
    VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)

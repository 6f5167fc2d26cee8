/* gst-kmeans: streaming k-means clustering elements.
 *
 * This file only registers the elements; each element lives in
 * elements/ and declares itself with GST_ELEMENT_REGISTER_DEFINE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstkmeanstrain.h"
#include "gstkmeansassign.h"
#include "gstkmeansscore.h"
#include "gstkmeanstestsrc.h"
#include "gstkmeansparse.h"
#include "gstkmeansformat.h"
#include "gstzmqsrc.h"
#include "gstzmqsink.h"
#include "gstkmeansviz.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (kmeans_train, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_assign, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_score, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_testsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_parse, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_format, plugin);
  ret |= GST_ELEMENT_REGISTER (zmq_src, plugin);
  ret |= GST_ELEMENT_REGISTER (zmq_sink, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_viz, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kmeans,
    "Streaming k-means clustering (train, assign, score) and ZeroMQ transport",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)

/* gst-kmeans: the kmeans plugin, streaming k-means clustering.
 *
 * This file only registers the elements; each lives in elements/kmeans/
 * and declares itself with GST_ELEMENT_REGISTER_DEFINE.  The ZeroMQ
 * elements are a plugin of their own (gstkmzmqplugin.c).
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
#include "gstkmeansviz.h"
#include "kmeanselements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  /* The in-band model's boxed type exists once the plugin is loaded, so
   * an application can look it up by name ("GstKMeansModel"). */
  g_type_ensure (GST_TYPE_KMEANS_MODEL);

  ret |= GST_ELEMENT_REGISTER (kmeans_train, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_assign, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_score, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_testsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_parse, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_format, plugin);
  ret |= GST_ELEMENT_REGISTER (kmeans_viz, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kmeans,
    "Streaming k-means clustering: train, assign, score, parse, format, "
    "visualise", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)

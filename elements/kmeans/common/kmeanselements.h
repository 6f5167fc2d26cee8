/* gst-kmeans: glue shared by the k-means elements (not an element).
 *
 * One header for all of it; each part has its own unit:
 * - gstkmeanscaps.[ch]: point-stream caps and their parsing,
 * - gstkmeanspoints.[ch]: reading a buffer of points, the bad-input policy,
 * - gstkmeansmodel.[ch]: the in-band model event, the watched model file,
 * - gstkmeansproperties.[ch]: property enums and GValue helpers,
 * - gstkmeanstrainsettings.[ch]: the training properties of kmeans-train,
 *   their config and the trainer they make (shared with kmeans-hub).
 */
#ifndef __GST_KMEANS_ELEMENTS_H__
#define __GST_KMEANS_ELEMENTS_H__

#include "gstkmeanscaps.h"
#include "gstkmeanspoints.h"
#include "gstkmeansmodel.h"
#include "gstkmeansproperties.h"
#include "gstkmeanstrainsettings.h"

#endif /* __GST_KMEANS_ELEMENTS_H__ */

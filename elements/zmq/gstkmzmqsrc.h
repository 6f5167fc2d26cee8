#ifndef __GST_KM_ZMQ_SRC_H__
#define __GST_KM_ZMQ_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_KM_ZMQ_SRC (gst_km_zmq_src_get_type ())
G_DECLARE_FINAL_TYPE (GstKmZmqSrc, gst_km_zmq_src, GST, KM_ZMQ_SRC, GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (km_zmq_src);

G_END_DECLS

#endif /* __GST_KM_ZMQ_SRC_H__ */

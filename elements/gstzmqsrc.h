#ifndef __GST_ZMQ_SRC_H__
#define __GST_ZMQ_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_ZMQ_SRC (gst_zmq_src_get_type ())
G_DECLARE_FINAL_TYPE (GstZmqSrc, gst_zmq_src, GST, ZMQ_SRC, GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (zmq_src);

G_END_DECLS

#endif /* __GST_ZMQ_SRC_H__ */

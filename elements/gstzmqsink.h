#ifndef __GST_ZMQ_SINK_H__
#define __GST_ZMQ_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_ZMQ_SINK (gst_zmq_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstZmqSink, gst_zmq_sink, GST, ZMQ_SINK, GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (zmq_sink);

G_END_DECLS

#endif /* __GST_ZMQ_SINK_H__ */

#ifndef __GST_KM_ZMQ_SINK_H__
#define __GST_KM_ZMQ_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_KM_ZMQ_SINK (gst_km_zmq_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstKmZmqSink, gst_km_zmq_sink, GST, KM_ZMQ_SINK, GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (km_zmq_sink);

G_END_DECLS

#endif /* __GST_KM_ZMQ_SINK_H__ */

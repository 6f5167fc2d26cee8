/* gst-kmeans: the GStreamer side of the ZeroMQ framing header: which
 * GstBuffer flags travel in its flags byte (zmqframing.h).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_ZMQ_BUFFER_FLAGS_H__
#define __GST_KM_ZMQ_BUFFER_FLAGS_H__

#include <gst/gst.h>

#include "zmqframing.h"

G_BEGIN_DECLS

/* Buffer flags <-> header flags (EOS is not a buffer flag). */
guint8 gst_km_zmq_frame_flags_from_buffer (GstBuffer * buffer);
void gst_km_zmq_frame_flags_to_buffer (guint8 flags, GstBuffer * buffer);

G_END_DECLS

#endif /* __GST_KM_ZMQ_BUFFER_FLAGS_H__ */

/* gst-kmeans: GstBuffer flags in the ZeroMQ framing header.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zmqbufferflags.h"

static const struct
{
  GstKmZmqFrameFlags frame;
  GstBufferFlags buffer;
} flag_map[] = {
  {GST_KM_ZMQ_FRAME_FLAG_DISCONT, GST_BUFFER_FLAG_DISCONT},
  {GST_KM_ZMQ_FRAME_FLAG_DELTA_UNIT, GST_BUFFER_FLAG_DELTA_UNIT},
  {GST_KM_ZMQ_FRAME_FLAG_GAP, GST_BUFFER_FLAG_GAP},
  {GST_KM_ZMQ_FRAME_FLAG_HEADER, GST_BUFFER_FLAG_HEADER},
};

guint8
gst_km_zmq_frame_flags_from_buffer (GstBuffer * buffer)
{
  guint8 flags = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (flag_map); i++)
    if (GST_BUFFER_FLAG_IS_SET (buffer, flag_map[i].buffer))
      flags |= flag_map[i].frame;
  return flags;
}

void
gst_km_zmq_frame_flags_to_buffer (guint8 flags, GstBuffer * buffer)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (flag_map); i++)
    if (flags & flag_map[i].frame)
      GST_BUFFER_FLAG_SET (buffer, flag_map[i].buffer);
}

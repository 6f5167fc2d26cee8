/* gst-kmeans: events a GstBaseSrc sends from its create().
 *
 * Until a source's first buffer went out, basesrc still has its segment
 * to send after create() returns: an event pushed from create() then
 * would come before it.  Such events are held, and a buffer probe pushes
 * them after the segment, before that first buffer (or the source pushes
 * them itself before EOS); from then on they go out at once, in order.
 * kmzmqsrc holds the custom events of its stream this way, kmeans-hub
 * its first model event.
 *
 * Everything but init runs on the streaming thread, or once it is gone
 * (reset, in stop()).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_KM_SRC_EVENTS_H__
#define __GST_KM_SRC_EVENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Called after each event went downstream (taken or not). */
typedef void (*GstKmSrcEventPushed) (gpointer user_data);

typedef struct
{
  GstPad *pad;                  /* the source pad; not a reference */
  GQueue held;
  gulong probe;
  gboolean flowing;             /* a buffer went out since the reset */
  GstKmSrcEventPushed pushed;
  gpointer user_data;
} GstKmSrcEvents;

void gst_km_src_events_init (GstKmSrcEvents * events, GstPad * pad,
    GstKmSrcEventPushed pushed, gpointer user_data);

/* Takes @event: pushes it now, or holds it until the first buffer. */
void gst_km_src_events_send (GstKmSrcEvents * events, GstEvent * event);

/* create() returns its first buffer (any later call is a no-op). */
void gst_km_src_events_buffer_out (GstKmSrcEvents * events);

/* Pushes the held events now: before create() returns EOS, which
 * basesrc sends after its segment. */
void gst_km_src_events_release (GstKmSrcEvents * events);

/* Drops the held events and the probe; the next buffer is a first one. */
void gst_km_src_events_reset (GstKmSrcEvents * events);

G_END_DECLS

#endif /* __GST_KM_SRC_EVENTS_H__ */

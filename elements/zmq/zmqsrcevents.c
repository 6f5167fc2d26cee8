/* gst-kmeans: events a GstBaseSrc sends from its create() (zmqsrcevents.h).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zmqsrcevents.h"
#include "zmqerrors.h"

#define GST_CAT_DEFAULT gst_km_zmq_debug

void
gst_km_src_events_init (GstKmSrcEvents * events, GstPad * pad,
    GstKmSrcEventPushed pushed, gpointer user_data)
{
  gst_km_zmq_debug_init ();
  events->pad = pad;
  g_queue_init (&events->held);
  events->probe = 0;
  events->flowing = FALSE;
  events->pushed = pushed;
  events->user_data = user_data;
}

static void
push_now (GstKmSrcEvents * events, GstEvent * event)
{
  GST_DEBUG_OBJECT (events->pad, "pushing %" GST_PTR_FORMAT, event);
  /* FALSE only when flushing or unlinked: the event is gone either way. */
  if (!gst_pad_push_event (events->pad, event))
    GST_DEBUG_OBJECT (events->pad, "downstream did not take the event");
  if (events->pushed != NULL)
    events->pushed (events->user_data);
}

void
gst_km_src_events_release (GstKmSrcEvents * events)
{
  GstEvent *event;

  while ((event = g_queue_pop_head (&events->held)) != NULL)
    push_now (events, event);
}

static GstPadProbeReturn
release_before_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstKmSrcEvents *events = user_data;

  gst_km_src_events_release (events);
  events->probe = 0;
  return GST_PAD_PROBE_REMOVE;
}

void
gst_km_src_events_send (GstKmSrcEvents * events, GstEvent * event)
{
  if (events->flowing && g_queue_is_empty (&events->held)) {
    push_now (events, event);
    return;
  }
  g_queue_push_tail (&events->held, event);
  if (events->probe == 0)
    events->probe = gst_pad_add_probe (events->pad,
        GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
        release_before_buffer, events, NULL);
}

void
gst_km_src_events_buffer_out (GstKmSrcEvents * events)
{
  events->flowing = TRUE;
}

void
gst_km_src_events_reset (GstKmSrcEvents * events)
{
  if (events->probe != 0) {
    gst_pad_remove_probe (events->pad, events->probe);
    events->probe = 0;
  }
  g_queue_clear_full (&events->held, (GDestroyNotify) gst_event_unref);
  events->flowing = FALSE;
}

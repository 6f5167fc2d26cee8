/* gst-kmeans: drawing on an RGBA picture, for kmeans-viz.
 *
 * Free of GStreamer: a canvas is plain memory.  Everything drawn is
 * clipped to the canvas and opaque (alpha 255).  Text uses a built-in 5x7
 * pixel font, so that a machine without fonts draws the same pixels.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __KM_VIZ_DRAW_H__
#define __KM_VIZ_DRAW_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 r, g, b;
} KmVizRgb;

/* @height rows of @width RGBA pixels, @stride bytes apart. */
typedef struct
{
  guint8 *data;
  gint width;
  gint height;
  gsize stride;
} KmVizCanvas;

/* Inline: points are drawn one small rectangle each. */
static inline void
km_viz_put_pixel (const KmVizCanvas * c, gint x, gint y, KmVizRgb colour)
{
  guint8 *p;

  if (x < 0 || y < 0 || x >= c->width || y >= c->height)
    return;
  p = c->data + y * c->stride + x * 4;
  p[0] = colour.r;
  p[1] = colour.g;
  p[2] = colour.b;
  p[3] = 255;
}

static inline void
km_viz_fill_rect (const KmVizCanvas * c, gint x0, gint y0, gint w, gint h,
    KmVizRgb colour)
{
  gint x, y;

  for (y = MAX (y0, 0); y < MIN (y0 + h, c->height); y++)
    for (x = MAX (x0, 0); x < MIN (x0 + w, c->width); x++)
      km_viz_put_pixel (c, x, y, colour);
}

void km_viz_fill (const KmVizCanvas * c, KmVizRgb colour);

/* Scales the colour of the top @rows rows by @keep_256 / 256, so that text
 * over them stands out. */
void km_viz_darken_rows (const KmVizCanvas * c, gint rows, guint keep_256);

/* @from moved toward @to by @amount (0: @from, 1: @to), rounded. */
KmVizRgb km_viz_mix (KmVizRgb from, KmVizRgb to, gdouble amount);

/* Both ends included.  The steps run from one end to the other, so keep
 * the ends within a few canvas sizes: far-off ends take long. */
void km_viz_draw_line (const KmVizCanvas * c, gint x0, gint y0, gint x1,
    gint y1, KmVizRgb colour);

/* A hollow ring: the pixels whose distance to (@cx, @cy) is at least @r0
 * and at most about @r1 + 1/2. */
void km_viz_draw_ring (const KmVizCanvas * c, gint cx, gint cy, gint r0,
    gint r1, KmVizRgb colour);

/* A square of side 2 @r + 1 around (@x, @y), filled with @colour and
 * outlined one pixel black, then one white. */
void km_viz_draw_marker (const KmVizCanvas * c, gint x, gint y, gint r,
    KmVizRgb colour);

/* Draws @text with its top-left corner at (@x, @y), each font pixel
 * @scale x @scale, glyphs 6 @scale apart.  Lower case is drawn as upper
 * case; characters the font lacks are blank.  Returns the x after the
 * text. */
gint km_viz_draw_text (const KmVizCanvas * c, gint x, gint y, gint scale,
    const gchar * text, KmVizRgb colour);

G_END_DECLS

#endif /* __KM_VIZ_DRAW_H__ */

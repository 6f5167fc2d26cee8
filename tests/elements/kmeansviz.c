/* Tests of kmeans-viz: the rendered frames are read back pixel by pixel
 * (markers at the centers' projected positions in their documented
 * colours, points in their cluster's colour, hollow true centers, paths,
 * fading, a legend that is not empty), the PCA projection, frame timing
 * on buffer timestamps, raw video as input, the checkpoint file and the
 * bad-input paths. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kmeans-test-helpers.h"

#define POINTS_CAPS "application/x-points,format=F32LE,dimensions=2"
#define WIDTH 320
#define HEIGHT 240
/* Rows of the legend band at 320x240: 3 lines of 10 plus 4. */
#define LEGEND_ROWS 34
/* Learned-center markers: fill radius 3, then black, then white. */
#define MARKER_R 3

typedef struct
{
  guint8 r, g, b;
} Rgb;

/* As documented in the element's SECTION block. */
static const Rgb palette[] = {
  {78, 154, 241}, {245, 166, 35}, {126, 211, 33}, {232, 71, 95},
};
static const Rgb background = { 20, 23, 28 };
static const Rgb no_model = { 160, 160, 160 };
static const Rgb text = { 240, 240, 240 };
static const Rgb black = { 0, 0, 0 };
static const Rgb white = { 255, 255, 255 };

static const gdouble square_view[4] = { -10, 10, -10, 10 };

/* ------------------------------------------------------------ helpers */

static void
set_doubles (GstElement * e, const gchar * prop, const gdouble * v, guint n)
{
  GValue arr = G_VALUE_INIT;
  guint i;

  gst_value_array_init (&arr, n);
  for (i = 0; i < n; i++) {
    GValue item = G_VALUE_INIT;

    g_value_init (&item, G_TYPE_DOUBLE);
    g_value_set_double (&item, v[i]);
    gst_value_array_append_and_take_value (&arr, &item);
  }
  g_object_set_property (G_OBJECT (e), prop, &arr);
  g_value_unset (&arr);
}

static void
set_centers (GstElement * e, const gchar * prop, const gfloat * c, guint k,
    guint d)
{
  GValue arr = G_VALUE_INIT;

  gst_value_array_init (&arr, k);
  gst_kmeans_value_set_centers (&arr, c, k, d);
  g_object_set_property (G_OBJECT (e), prop, &arr);
  g_value_unset (&arr);
}

static GstHarness *
viz_harness (GstBus * bus, const gdouble * view, const gchar * first_prop, ...)
{
  GstElement *e;
  va_list args;

  va_start (args, first_prop);
  e = element_new_valist ("kmeans-viz", bus, first_prop, args);
  va_end (args);
  /* Before the harness starts it. */
  if (view)
    set_doubles (e, "view", view, 4);
  return harness_take_element (e);
}

static void
push_model (GstHarness * h, guint k, guint d, const gfloat * centers,
    guint64 version)
{
  push_model_full (h, k, d, KM_METRIC_SQUARED_EUCLIDEAN, centers, version);
}

static GstFlowReturn
push_points (GstHarness * h, const gfloat * pts, gsize n_floats,
    GstClockTime pts_time)
{
  GstBuffer *buf = gst_buffer_new_memdup (pts, n_floats * sizeof (gfloat));

  GST_BUFFER_PTS (buf) = pts_time;
  return gst_harness_push (h, buf);
}

/* Where the element puts (x, y) in a fixed view, as its docs say.  The
 * tests pick positions away from .5 so that rounding is not in doubt. */
static void
to_pixel (const gdouble view[4], gdouble x, gdouble y, gint * px, gint * py)
{
  gdouble fx = (x - view[0]) / (view[1] - view[0]) * (WIDTH - 1);
  gdouble fy = (view[3] - y) / (view[3] - view[2]) * (HEIGHT - 1);

  fail_unless (fabs (fx - floor (fx) - 0.5) > 0.01, "x %g is on .5", fx);
  fail_unless (fabs (fy - floor (fy) - 0.5) > 0.01, "y %g is on .5", fy);
  *px = (gint) floor (fx + 0.5);
  *py = (gint) floor (fy + 0.5);
}

typedef struct
{
  GstBuffer *buf;
  GstMapInfo map;
} Frame;

static void
frame_pull (GstHarness * h, Frame * f)
{
  f->buf = gst_harness_pull (h);
  fail_unless (f->buf != NULL, "no frame");
  fail_unless (gst_buffer_map (f->buf, &f->map, GST_MAP_READ));
  fail_unless_equals_int (f->map.size, WIDTH * HEIGHT * 4);
}

static void
frame_release (Frame * f)
{
  gst_buffer_unmap (f->buf, &f->map);
  gst_buffer_unref (f->buf);
}

static Rgb
frame_pixel (const Frame * f, gint x, gint y)
{
  const guint8 *p;
  Rgb c;

  fail_unless (x >= 0 && y >= 0 && x < WIDTH && y < HEIGHT);
  p = f->map.data + (y * WIDTH + x) * 4;
  fail_unless_equals_int (p[3], 255);
  c.r = p[0];
  c.g = p[1];
  c.b = p[2];
  return c;
}

#define assert_pixel(f, x, y, want) G_STMT_START {                      \
  Rgb _got = frame_pixel ((f), (x), (y)), _want = (want);                \
  fail_unless (_got.r == _want.r && _got.g == _want.g && _got.b == _want.b, \
      "pixel (%d, %d) is (%u, %u, %u), expected (%u, %u, %u)", (x), (y),  \
      _got.r, _got.g, _got.b, _want.r, _want.g, _want.b);               \
} G_STMT_END

static gboolean
same (Rgb a, Rgb b)
{
  return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* A center's marker: its colour at the center, black then white around. */
static void
assert_marker (const Frame * f, const gdouble view[4], const gfloat * c,
    Rgb colour)
{
  gint px, py;

  to_pixel (view, c[0], c[1], &px, &py);
  assert_pixel (f, px, py, colour);
  assert_pixel (f, px + MARKER_R, py - MARKER_R, colour);
  assert_pixel (f, px + MARKER_R + 1, py, black);
  assert_pixel (f, px, py - MARKER_R - 2, white);
}

static guint
nearest (const gfloat * centers, guint k, const gfloat * p)
{
  guint i, best = 0;
  gdouble best_d = G_MAXDOUBLE;

  for (i = 0; i < k; i++) {
    gdouble dx = p[0] - centers[2 * i], dy = p[1] - centers[2 * i + 1];

    if (dx * dx + dy * dy < best_d) {
      best_d = dx * dx + dy * dy;
      best = i;
    }
  }
  return best;
}

static guint
count_colour (const Frame * f, gint y0, gint y1, Rgb colour)
{
  guint n = 0;
  gint x, y;

  for (y = y0; y < y1; y++)
    for (x = 0; x < WIDTH; x++)
      n += same (frame_pixel (f, x, y), colour);
  return n;
}

/* Three clusters, four points each, at least 18 pixels from any marker. */
static const gfloat three_centers[] = { -6, -4, 5, -5, 1, 5 };

static gfloat twelve_points[24];

static void
make_twelve_points (void)
{
  static const gfloat offsets[] = { -2, -1.5, 2, -1.5, -2, 1.5, 2, 1.5 };
  guint c, j;

  for (c = 0; c < 3; c++)
    for (j = 0; j < 4; j++) {
      twelve_points[(c * 4 + j) * 2] = three_centers[2 * c] + offsets[2 * j];
      twelve_points[(c * 4 + j) * 2 + 1] =
          three_centers[2 * c + 1] + offsets[2 * j + 1];
    }
}

/* ------------------------------------------------------------- tests */

GST_START_TEST (test_markers_points_legend)
{
  GstHarness *h = viz_harness (NULL, square_view, "fade", 0.0, NULL);
  GstCaps *caps, *want;
  Frame f;
  gint i, px, py;

  make_twelve_points ();
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 3, 2, three_centers, 7);
  fail_unless_equals_int (push_points (h, twelve_points, 24,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);

  caps = gst_pad_get_current_caps (h->sinkpad);
  want = gst_caps_from_string ("video/x-raw, format=RGBA, width=320, "
      "height=240, framerate=30/1, pixel-aspect-ratio=1/1");
  fail_unless (gst_caps_is_equal (caps, want), "caps %" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  gst_caps_unref (want);

  /* Each center marked in its palette colour. */
  for (i = 0; i < 3; i++)
    assert_marker (&f, square_view, three_centers + 2 * i, palette[i]);

  /* Each point in the colour of its nearest center's marker. */
  for (i = 0; i < 12; i++) {
    const gfloat *p = twelve_points + 2 * i;
    guint c = nearest (three_centers, 3, p);
    gint cx, cy;

    to_pixel (square_view, p[0], p[1], &px, &py);
    to_pixel (square_view, three_centers[2 * c], three_centers[2 * c + 1],
        &cx, &cy);
    fail_unless (same (frame_pixel (&f, px, py), frame_pixel (&f, cx, cy)),
        "point %d is not in its cluster's colour", i);
    /* 2x2 pixels, nothing beyond. */
    assert_pixel (&f, px + 1, py + 1, palette[c]);
    assert_pixel (&f, px + 2, py, background);
  }

  /* Empty space, and a legend with text in it and nowhere else. */
  assert_pixel (&f, 0, HEIGHT - 1, background);
  assert_pixel (&f, WIDTH / 2, HEIGHT - 3, background);
  fail_unless (count_colour (&f, 0, LEGEND_ROWS, text) > 200,
      "the legend has no text");
  fail_unless_equals_int (count_colour (&f, LEGEND_ROWS, HEIGHT, text), 0);
  frame_release (&f);

  fail_unless_equals_uint64 (get_u64 (h, "frames"), 1);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), 7);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_no_model_then_model)
{
  GstHarness *h = viz_harness (NULL, square_view, "fade", 0.0, NULL);
  Frame f;
  gint px, py;

  make_twelve_points ();
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, twelve_points, 24,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);
  to_pixel (square_view, twelve_points[0], twelve_points[1], &px, &py);
  assert_pixel (&f, px, py, no_model);
  fail_unless (count_colour (&f, 0, LEGEND_ROWS, text) > 50);
  frame_release (&f);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), 0);

  /* The window keeps its points; a model colours them. */
  push_model (h, 3, 2, three_centers, 1);
  fail_unless_equals_int (push_points (h, twelve_points, 2,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);
  assert_pixel (&f, px, py, palette[0]);
  to_pixel (square_view, twelve_points[22], twelve_points[23], &px, &py);
  assert_pixel (&f, px, py, palette[2]);
  frame_release (&f);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_true_centers_hollow)
{
  static const gfloat learned[] = { 1, 2 };
  static const gfloat truth[] = { 1, 2, 5.2, -5.2 };
  static const gfloat truth_3d[] = { 1, 2, 3 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = viz_harness (bus, square_view, NULL);
  GstElement *e;
  GstMessage *msg;
  GValue v = G_VALUE_INIT;
  gint px, py;
  Frame f;

  e = h->element;
  set_centers (e, "true-centers", truth, 2, 2);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 1, 2, learned, 1);
  fail_unless_equals_int (push_points (h, learned, 2, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);

  /* A true center alone: a white ring of radius 7..8, empty inside. */
  to_pixel (square_view, truth[2], truth[3], &px, &py);
  assert_pixel (&f, px, py, background);
  assert_pixel (&f, px + 3, py, background);
  assert_pixel (&f, px + 7, py, white);
  assert_pixel (&f, px, py - 8, white);
  assert_pixel (&f, px - 5, py - 5, white);
  assert_pixel (&f, px + 10, py, background);

  /* One under a learned center: the marker is on top, the ring around. */
  assert_marker (&f, square_view, learned, palette[0]);
  to_pixel (square_view, truth[0], truth[1], &px, &py);
  assert_pixel (&f, px - 7, py, white);
  frame_release (&f);

  /* Centers of another dimension are kept but not drawn, with a
   * warning. */
  set_centers (e, "true-centers", truth_3d, 1, 3);
  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (e), "true-centers", &v);
  fail_unless_equals_int (gst_value_array_get_size (&v), 1);
  g_value_unset (&v);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  fail_unless_equals_int (push_points (h, learned, 2, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);
  to_pixel (square_view, truth[2], truth[3], &px, &py);
  assert_pixel (&f, px + 7, py, background);
  frame_release (&f);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning about the true centers");
  gst_message_unref (msg);

  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_fade)
{
  static const gfloat two[] = { -5, 2.2, 5, 2.2 };
  static const gfloat one_center[] = { 0, -6 };
  GstHarness *h = viz_harness (NULL, square_view, "fade", 1.0, NULL);
  gint ox, oy, nx, ny;
  Rgb half;
  Frame f;

  to_pixel (square_view, two[0], two[1], &ox, &oy);
  to_pixel (square_view, two[2], two[3], &nx, &ny);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 1, 2, one_center, 1);

  /* fade=1: the oldest of the window vanishes, the newest is full. */
  fail_unless_equals_int (push_points (h, two, 4, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);
  assert_pixel (&f, ox, oy, background);
  assert_pixel (&f, nx, ny, palette[0]);
  frame_release (&f);

  /* Changed while playing: halfway.  Pushing the newest point again
   * makes the first one the oldest of three. */
  g_object_set (h->element, "fade", 0.5, NULL);
  fail_unless_equals_int (push_points (h, two + 2, 2, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);
  half.r = (guint8) lrint (palette[0].r + (background.r - palette[0].r) * .5);
  half.g = (guint8) lrint (palette[0].g + (background.g - palette[0].g) * .5);
  half.b = (guint8) lrint (palette[0].b + (background.b - palette[0].b) * .5);
  assert_pixel (&f, ox, oy, half);
  assert_pixel (&f, nx, ny, palette[0]);
  frame_release (&f);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_center_paths)
{
  static const gfloat steps[][2] = { {-6, 2.2}, {0, 2.2}, {6, 2.2} };
  static const gfloat far_point[] = { 0, -8 };
  guint lengths[] = { 8, 0 };
  guint run;

  for (run = 0; run < G_N_ELEMENTS (lengths); run++) {
    GstHarness *h = viz_harness (NULL, square_view, "path-length",
        lengths[run], NULL);
    Rgb path;
    gint px, py;
    Frame f;

    gst_harness_set_src_caps_str (h, POINTS_CAPS);
    push_model (h, 1, 2, steps[0], 1);
    push_model (h, 1, 2, steps[1], 2);
    push_model (h, 1, 2, steps[2], 3);
    fail_unless_equals_int (push_points (h, far_point, 2,
            GST_CLOCK_TIME_NONE), GST_FLOW_OK);
    frame_pull (h, &f);

    assert_marker (&f, square_view, steps[2], palette[0]);
    /* Between the versions: the path's dimmed colour, or nothing. */
    path.r = (guint8) lrint (palette[0].r + (background.r - palette[0].r) * .4);
    path.g = (guint8) lrint (palette[0].g + (background.g - palette[0].g) * .4);
    path.b = (guint8) lrint (palette[0].b + (background.b - palette[0].b) * .4);
    to_pixel (square_view, -3, 2.2, &px, &py);
    assert_pixel (&f, px, py, lengths[run] ? path : background);
    to_pixel (square_view, 3, 2.2, &px, &py);
    assert_pixel (&f, px, py, lengths[run] ? path : background);
    frame_release (&f);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Points spread 10 along u = (1,1,0)/sqrt2 and 4 along z around
 * (5,5,5): the first two principal components are u and z. */
GST_START_TEST (test_pca_projection)
{
  static const gdouble view[4] = { -12, 13, -11, 13 };
  const gdouble s = 10 / G_SQRT2;
  const gfloat centers[] = {
    5 + s, 5 + s, 5, 5 - s, 5 - s, 5, 5, 5, 9, 5, 5, 1,
  };
  static const gdouble projected[][2] = { {10, 0}, {-10, 0}, {0, 4}, {0, -4} };
  GstHarness *h = viz_harness (NULL, view, "projection", 1, NULL);
  Frame f;
  guint i;

  gst_harness_set_src_caps_str (h,
      "application/x-points,format=F32LE,dimensions=3");
  push_model (h, 4, 3, centers, 1);
  fail_unless_equals_int (push_points (h, centers, 12, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  fail_unless_equals_int (push_points (h, centers, 12, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);
  frame_release (&f);
  frame_pull (h, &f);
  for (i = 0; i < 4; i++) {
    gfloat at[2] = { projected[i][0], projected[i][1] };

    assert_marker (&f, view, at, palette[i]);
  }
  frame_release (&f);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* One frame per 1/framerate of buffer time that got points, pushed when a
 * later interval starts, and the open one at EOS. */
GST_START_TEST (test_frame_timing)
{
  static const gfloat p[] = { 1, 1 };
  GstHarness *h = viz_harness (NULL, NULL, "framerate", 10, 1, NULL);
  static const GstClockTime expected[] = { 0, 100, 300 };
  GstEvent *ev;
  guint i;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, p, 2, 0), GST_FLOW_OK);
  fail_unless_equals_int (push_points (h, p, 2, 50 * GST_MSECOND), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_int (push_points (h, p, 2, 120 * GST_MSECOND),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  fail_unless_equals_int (push_points (h, p, 2, 130 * GST_MSECOND),
      GST_FLOW_OK);
  /* 200..300 ms gets no points: no frame for it. */
  fail_unless_equals_int (push_points (h, p, 2, 350 * GST_MSECOND),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 3);

  for (i = 0; i < 3; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), expected[i] * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), 100 * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), i);
    gst_buffer_unref (buf);
  }
  /* EOS follows the last frame. */
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;

    gst_event_unref (ev);
    if (eos)
      break;
  }
  fail_unless (ev != NULL, "no EOS after the last frame");
  fail_unless_equals_uint64 (get_u64 (h, "frames"), 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_untimed_buffers)
{
  static const gfloat p[] = { 1, 1 };
  GstHarness *h = viz_harness (NULL, NULL, NULL);
  GstClockTime dur = gst_util_uint64_scale_int (GST_SECOND, 1, 30);
  guint i;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  for (i = 0; i < 3; i++) {
    GstBuffer *buf;

    fail_unless_equals_int (push_points (h, p, 2, GST_CLOCK_TIME_NONE),
        GST_FLOW_OK);
    buf = gst_harness_pull (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * dur);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), dur);
    gst_buffer_unref (buf);
  }
  /* Nothing new since the last frame: EOS adds none. */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Pixels as points: (R, G) is the position, padding bytes are skipped. */
GST_START_TEST (test_video_input)
{
  static const gdouble view[4] = { 0, 255, 0, 255 };
  static const gfloat colours[] = { 220, 0, 0, 0, 220, 0, 0, 0, 220 };
  /* 3x1 RGB: 9 bytes of pixels, 3 of row padding. */
  static const guint8 frame[12] = {
    200, 12, 12, 12, 200, 12, 12, 12, 200, 0xee, 0xee, 0xee
  };
  GstHarness *h = viz_harness (NULL, view, "fade", 0.0, "on-bad-input",
      GST_KMEANS_ON_BAD_INPUT_ERROR, NULL);
  Frame f;
  guint i;

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=3,height=1,framerate=30/1");
  push_model (h, 3, 3, colours, 1);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, sizeof (frame))), GST_FLOW_OK);
  frame_pull (h, &f);
  for (i = 0; i < 3; i++) {
    gint px, py;

    to_pixel (view, frame[3 * i], frame[3 * i + 1], &px, &py);
    assert_pixel (&f, px, py, palette[i]);
  }
  frame_release (&f);

  /* A frame of the wrong size is bad input. */
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_memdup (frame, 9)), GST_FLOW_ERROR);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_model_dimension_mismatch)
{
  static const gfloat c3[] = { 0, 0, 0 };
  static const gfloat p[] = { 1, 1 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = viz_harness (bus, NULL, NULL);
  GstMessage *msg;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 1, 3, c3, 1);
  fail_unless_equals_int (push_points (h, p, 2, GST_CLOCK_TIME_NONE),
      GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_unref (msg);
  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_bad_input)
{
  const gfloat p[] = { 1, 1, NAN, 2, -3, 2.2 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstMessage *msg;
  Frame f;
  gint px, py;

  /* error: an error naming the point. */
  h = viz_harness (bus, NULL, "on-bad-input", GST_KMEANS_ON_BAD_INPUT_ERROR,
      NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, p, 6, GST_CLOCK_TIME_NONE),
      GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_harness_teardown (h);

  /* skip: counted, warned once, the good points drawn. */
  h = viz_harness (bus, square_view, "on-bad-input", 1, "fade", 0.0, NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, p, 6, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 1);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  frame_pull (h, &f);
  to_pixel (square_view, p[4], p[5], &px, &py);
  assert_pixel (&f, px, py, no_model);
  frame_release (&f);
  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

/* The default skips bad points, counts them and warns once. */
GST_START_TEST (test_default_skips_bad_input)
{
  const gfloat p[] = { 1, 1, NAN, 2, -3, 2.2 };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = viz_harness (bus, square_view, "fade", 0.0, NULL);
  GstMessage *msg;
  Frame f;
  gint px, py;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, p, 6, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);
  to_pixel (square_view, p[4], p[5], &px, &py);
  assert_pixel (&f, px, py, no_model);
  frame_release (&f);
  /* A partial row: the whole buffer goes. */
  fail_unless_equals_int (push_points (h, p, 5, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (h, "skipped-points"), 1 + 3);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "the first skip posted no warning");
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  gst_harness_teardown (h);
  bus_free (bus);
}

GST_END_TEST;

GST_START_TEST (test_model_location)
{
  gchar *dir, *path = model_path_new ("kmeans-viz-XXXXXX", &dir);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg = NULL;
  GstHarness *h;
  guint64 version;
  Frame f;
  guint i;

  make_twelve_points ();
  save_checkpoint (path, 3, three_centers, &version);
  h = viz_harness (bus, square_view, "model-location", path, NULL);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL
      && !gst_message_has_name (msg, "kmeans-model-loaded"))
    gst_message_unref (msg);
  fail_unless (msg != NULL, "no kmeans-model-loaded message");
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), version);

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, twelve_points, 24,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);
  for (i = 0; i < 3; i++)
    assert_marker (&f, square_view, three_centers + 2 * i, palette[i]);
  frame_release (&f);

  gst_harness_teardown (h);
  bus_free (bus);
  model_path_free (path, dir);
}

GST_END_TEST;

/* Issue 11, defect 3: a replacement checkpoint of another dimension is
 * rejected with a warning naming it; the current model stays drawn. */
GST_START_TEST (test_unfit_replacement_keeps_model)
{
  gchar *dir, *path = model_path_new ("kmeans-viz-XXXXXX", &dir);
  gchar *tmp = g_build_filename (dir, "next", NULL);
  static const gfloat c3[] = { 0, 0, 0 };
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  GstHarness *h;
  guint64 version, vbad;
  Frame f;
  guint i;

  make_twelve_points ();
  save_checkpoint (path, 3, three_centers, &version);
  h = viz_harness (bus, square_view, "model-location", path,
      "model-poll-interval", G_GUINT64_CONSTANT (0), NULL);
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  fail_unless_equals_int (push_points (h, twelve_points, 24,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);
  frame_release (&f);

  save_checkpoint_d (tmp, 1, 3, c3, &vbad);
  fail_unless (g_rename (tmp, path) == 0);
  fail_unless_equals_int (push_points (h, twelve_points, 24,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);
  for (i = 0; i < 3; i++)
    assert_marker (&f, square_view, three_centers + 2 * i, palette[i]);
  frame_release (&f);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning about the unfit checkpoint");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, path) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "model has dimension 3, the stream "
          "has 2") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    fail_if (gst_message_has_name (msg, "kmeans-model-loaded"));
    gst_message_unref (msg);
  }
  fail_unless_equals_uint64 (get_u64 (h, "model-version"), version);
  fail_unless_equals_uint64 (get_u64 (h, "rejected-models"), 1);

  gst_harness_teardown (h);
  bus_free (bus);
  g_free (tmp);
  model_path_free (path, dir);
}

GST_END_TEST;

/* The view follows the data: every center and point lands on the picture,
 * below the legend. */
GST_START_TEST (test_automatic_view)
{
  static const gfloat far_centers[] = { 1000, 2000, 1300, 2100, 1100, 1900 };
  GstHarness *h = viz_harness (NULL, NULL, NULL);
  guint i, markers[3] = { 0, 0, 0 };
  Frame f;
  gint x, y;

  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 3, 2, far_centers, 1);
  fail_unless_equals_int (push_points (h, far_centers, 6,
          GST_CLOCK_TIME_NONE), GST_FLOW_OK);
  frame_pull (h, &f);
  for (y = LEGEND_ROWS; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++)
      for (i = 0; i < 3; i++)
        markers[i] += same (frame_pixel (&f, x, y), palette[i]);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (markers[i], 7 * 7);
  frame_release (&f);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Past the 12 palette colours, every cluster still gets its own. */
GST_START_TEST (test_many_clusters)
{
  GstHarness *h = viz_harness (NULL, square_view, NULL);
  gfloat centers[2 * 20];
  Rgb seen[20];
  guint i, j;
  Frame f;

  for (i = 0; i < 20; i++) {
    centers[2 * i] = -8.7f + 3.6f * (i % 5);
    centers[2 * i + 1] = -6.8f + 2.8f * (i / 5);
  }
  gst_harness_set_src_caps_str (h, POINTS_CAPS);
  push_model (h, 20, 2, centers, 1);
  fail_unless_equals_int (push_points (h, centers, 2, GST_CLOCK_TIME_NONE),
      GST_FLOW_OK);
  frame_pull (h, &f);
  for (i = 0; i < 20; i++) {
    gint px, py;

    to_pixel (square_view, centers[2 * i], centers[2 * i + 1], &px, &py);
    seen[i] = frame_pixel (&f, px, py);
    if (i < G_N_ELEMENTS (palette))
      assert_pixel (&f, px, py, palette[i]);
    fail_if (same (seen[i], background) || same (seen[i], black)
        || same (seen[i], white) || same (seen[i], no_model));
    for (j = 0; j < i; j++)
      fail_if (same (seen[i], seen[j]), "clusters %u and %u share a colour",
          j, i);
  }
  frame_release (&f);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
kmeansviz_suite (void)
{
  Suite *s = suite_create ("kmeans-viz");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_markers_points_legend);
  tcase_add_test (tc, test_no_model_then_model);
  tcase_add_test (tc, test_true_centers_hollow);
  tcase_add_test (tc, test_fade);
  tcase_add_test (tc, test_center_paths);
  tcase_add_test (tc, test_pca_projection);
  tcase_add_test (tc, test_frame_timing);
  tcase_add_test (tc, test_untimed_buffers);
  tcase_add_test (tc, test_video_input);
  tcase_add_test (tc, test_model_dimension_mismatch);
  tcase_add_test (tc, test_bad_input);
  tcase_add_test (tc, test_model_location);
  tcase_add_test (tc, test_default_skips_bad_input);
  tcase_add_test (tc, test_unfit_replacement_keeps_model);
  tcase_add_test (tc, test_automatic_view);
  tcase_add_test (tc, test_many_clusters);
  return s;
}

GST_CHECK_MAIN (kmeansviz);

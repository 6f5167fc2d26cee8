/* Fuzzes reading caps as a point stream, gst_kmeans_points_info_from_caps()
 * on whatever gst_caps_from_string() makes of the input (the caps of a
 * kmzmqsrc peer, of a capsfilter in a launch line): points, NNStreamer
 * tensors, raw audio and raw video.  Promises checked: only fixed caps of
 * one structure are accepted, with 1 <= D <= KM_MAX_DIMENSIONS; a refusal
 * comes with an error; fixed caps within the points or audio templates
 * are always accepted, and so are video caps within the template whose
 * frames fit the model limits, with the D they state. */
#include <string.h>
#include <gst/gst.h>

#define FUZZ_PARSES_CAPS_STRINGS
#include "fuzz.h"
#include "kmeanselements.h"

static GstCaps *points_template, *audio_template, *video_template;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  points_template = gst_caps_from_string (GST_KMEANS_POINTS_CAPS);
  audio_template = gst_caps_from_string (GST_KMEANS_AUDIO_CAPS);
  video_template = gst_caps_from_string (GST_KMEANS_VIDEO_CAPS);
  return 0;
}

/* The D that fixed caps within one of the templates state, 0 when they
 * are not such caps (or are video frames too large to read). */
static gint
stated_dimensions (GstCaps * caps)
{
  const GstStructure *s;
  gint d = 0, w = 0, h = 0;

  if (!gst_caps_is_fixed (caps))
    return 0;
  s = gst_caps_get_structure (caps, 0);
  if (gst_caps_is_subset (caps, points_template))
    gst_structure_get_int (s, "dimensions", &d);
  else if (gst_caps_is_subset (caps, audio_template))
    gst_structure_get_int (s, "channels", &d);
  else if (gst_caps_is_subset (caps, video_template)) {
    d = g_str_equal (gst_structure_get_string (s, "format"), "GRAY8") ? 1 : 3;
    gst_structure_get_int (s, "width", &w);
    gst_structure_get_int (s, "height", &h);
    if ((guint64) w * h * d > KM_MAX_MODEL_FLOATS)
      d = 0;
  }
  return d;
}

static void
check_points_info (GstCaps * caps)
{
  GstKMeansPointsInfo info;
  GError *err = NULL;
  gint stated_d = stated_dimensions (caps);
  gboolean must_accept = stated_d > 0;

  memset (&info, 0, sizeof (info));
  if (!gst_kmeans_points_info_from_caps (&info, caps, &err)) {
    if (must_accept)
      fuzz_fail ("refused %" GST_PTR_FORMAT ": %s", caps, err->message);
    fuzz_check (err != NULL && err->message != NULL);
    g_error_free (err);
    return;
  }
  fuzz_check (err == NULL);
  fuzz_check (gst_caps_is_fixed (caps) && gst_caps_get_size (caps) == 1);
  fuzz_check (info.dimensions >= 1 && info.dimensions <= KM_MAX_DIMENSIONS);
  fuzz_check (info.format <= GST_KMEANS_SAMPLE_U8);
  if (must_accept)
    fuzz_check ((gint) info.dimensions == stated_d && !info.is_tensors);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *str = g_strndup ((const gchar *) data, size);
  GstCaps *caps = fuzz_caps_from_string (str);

  g_free (str);
  if (caps == NULL)
    return 0;
  check_points_info (caps);
  /* What negotiation would pick from caps that leave a choice. */
  if (!gst_caps_is_fixed (caps) && !gst_caps_is_empty (caps)
      && !gst_caps_is_any (caps)) {
    caps = gst_caps_fixate (caps);
    check_points_info (caps);
  }
  gst_caps_unref (caps);
  return 0;
}

/* Fuzzes reading caps as a point stream, gst_kmeans_points_info_from_caps()
 * on whatever gst_caps_from_string() makes of the input (the caps of a
 * kmzmqsrc peer, of a capsfilter in a launch line): points, NNStreamer
 * tensors, raw audio and raw video.  Promises checked: only fixed caps of
 * one structure are accepted, with 1 <= D <= KM_MAX_DIMENSIONS; a refusal
 * comes with an error; fixed caps within the points or audio templates
 * are always accepted, and so are video caps within the template whose
 * frames fit the model limits (and do not carry one field a buffer,
 * interlace-mode=alternate), with the D they state (1 for gray formats, 3
 * for colour ones). */
#include <string.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#define FUZZ_PARSES_CAPS_STRINGS
#include "fuzz.h"
#include "kmeanselements.h"

static GstCaps *points_template, *audio_template, *video_template;

/* Set while the points parser reads caps: gst_video_info_from_caps()
 * answers an unknown multiview-mode string with a g_warning() and reads
 * the caps all the same, its reaction to caps a peer may send, not a bug
 * of ours.  That warning alone is tolerated, as fuzz.h tolerates the caps
 * parser's. */
static gboolean in_points_info;

static void
video_log_handler (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  if (in_points_info && (level & G_LOG_LEVEL_WARNING)
      && g_str_has_prefix (message, "Invalid multiview info"))
    return;
  fuzz_log_handler (domain, level, message, user_data);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();
  g_log_set_handler ("GStreamer-Video", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
      | G_LOG_FLAG_RECURSION, video_log_handler, NULL);
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
    const GstVideoFormatInfo *finfo = gst_video_format_get_info
        (gst_video_format_from_string (gst_structure_get_string (s,
                "format")));

    d = GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) ? 1 : 3;
    gst_structure_get_int (s, "width", &w);
    gst_structure_get_int (s, "height", &h);
    if ((guint64) w * h * d > KM_MAX_MODEL_FLOATS
        || g_strcmp0 (gst_structure_get_string (s, "interlace-mode"),
            "alternate") == 0)
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
  gboolean accepted;

  memset (&info, 0, sizeof (info));
  in_points_info = TRUE;
  accepted = gst_kmeans_points_info_from_caps (&info, caps, &err);
  in_points_info = FALSE;
  if (!accepted) {
    if (must_accept)
      fuzz_fail ("refused %" GST_PTR_FORMAT ": %s", caps, err->message);
    fuzz_check (err != NULL && err->message != NULL);
    g_error_free (err);
    return;
  }
  fuzz_check (err == NULL);
  fuzz_check (gst_caps_is_fixed (caps) && gst_caps_get_size (caps) == 1);
  fuzz_check (info.dimensions >= 1 && info.dimensions <= KM_MAX_DIMENSIONS);
  fuzz_check (info.format <= GST_KMEANS_SAMPLE_U16);
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

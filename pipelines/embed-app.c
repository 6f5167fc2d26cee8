/* embed-app: gst-kmeans inside a C application.
 *
 * Shows what a media or sensor application does to cluster its own stream:
 * it builds the pipeline with the GStreamer API
 *
 *   kmeans-testsrc ! kmeans-train ! kmeans-score ! kmeans-assign ! appsink
 *
 * (a real application puts its own source, e.g. an appsrc, first), gives
 * kmeans-train its initial centers as a GstValueArray, follows training
 * progress, checkpoints and scores on the bus, counts the assignments it
 * pulls from the appsink, and at the end reads kmeans-train's `centers`
 * property.  kmeans-testsrc's `true-centers` are printed for comparison.
 *
 *   embed-app [--buffers N] [--centers "X,Y;X,Y;X,Y"] [--checkpoint FILE]
 *
 *   GST_PLUGIN_PATH=build/plugin build/pipelines/embed-app
 *
 * Exits 0 at the end of the stream, 1 on a pipeline error, 2 on a bad
 * option.
 */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>

#define CLUSTERS 3
#define DIMENSIONS 2
#define POINTS_PER_BUFFER 256

/* A rough idea of where the clusters are, as a previous session or a
 * calibration would give: training starts from it instead of kmeans++. */
#define DEFAULT_CENTERS "0,5; 5,-5; -5,-5"

typedef struct
{
  GMainLoop *loop;
  gboolean failed;
  guint64 records;
  guint64 per_cluster[CLUSTERS];
} App;

/* "X,Y;X,Y;..." -> a GstValueArray of CLUSTERS GstValueArrays of
 * DIMENSIONS doubles, the type of kmeans-train's initial-centers-value. */
static gboolean
centers_from_text (const gchar * text, GValue * centers)
{
  gchar **rows = g_strsplit (text, ";", -1);
  gboolean ok = g_strv_length (rows) == CLUSTERS;
  guint i, j;

  g_value_init (centers, GST_TYPE_ARRAY);
  for (i = 0; ok && rows[i]; i++) {
    gchar **values = g_strsplit (rows[i], ",", -1);
    GValue row = G_VALUE_INIT;

    ok = g_strv_length (values) == DIMENSIONS;
    g_value_init (&row, GST_TYPE_ARRAY);
    for (j = 0; ok && values[j]; j++) {
      GValue v = G_VALUE_INIT;
      gchar *end;
      gdouble x = g_ascii_strtod (g_strstrip (values[j]), &end);

      ok = end != values[j] && *end == '\0';
      g_value_init (&v, G_TYPE_DOUBLE);
      g_value_set_double (&v, x);
      gst_value_array_append_and_take_value (&row, &v);
    }
    gst_value_array_append_and_take_value (centers, &row);
    g_strfreev (values);
  }
  g_strfreev (rows);
  if (!ok)
    g_value_unset (centers);
  return ok;
}

static void
print_centers (const gchar * title, const GValue * centers)
{
  guint i, j, n = gst_value_array_get_size (centers);

  g_print ("%s:\n", title);
  for (i = 0; i < n; i++) {
    const GValue *row = gst_value_array_get_value (centers, i);

    g_print ("  %u: (", i);
    for (j = 0; j < gst_value_array_get_size (row); j++)
      g_print ("%s%8.3f", j ? ", " : "",
          g_value_get_double (gst_value_array_get_value (row, j)));
    g_print (")\n");
  }
}

/* Reads a GstValueArray property (centers, true-centers) and prints it. */
static void
print_centers_property (GstElement * element, const gchar * property,
    const gchar * title)
{
  GValue centers = G_VALUE_INIT;

  g_value_init (&centers, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (element), property, &centers);
  print_centers (title, &centers);
  g_value_unset (&centers);
}

static void
print_element_message (const GstStructure * s)
{
  guint64 step = 0, version = 0, points = 0;
  gdouble value = 0;

  if (gst_structure_has_name (s, "kmeans-initialized")) {
    guint clusters = 0, dimensions = 0;

    gst_structure_get (s, "step", G_TYPE_UINT64, &step, "clusters",
        G_TYPE_UINT, &clusters, "dimensions", G_TYPE_UINT, &dimensions, NULL);
    g_print ("initialized: %u centers of dimension %u at step %"
        G_GUINT64_FORMAT "\n", clusters, dimensions, step);
  } else if (gst_structure_has_name (s, "kmeans-train")) {
    gst_structure_get (s, "step", G_TYPE_UINT64, &step, "loss",
        G_TYPE_DOUBLE, &value, "points", G_TYPE_UINT64, &points,
        "model-version", G_TYPE_UINT64, &version, NULL);
    g_print ("progress: step %" G_GUINT64_FORMAT ", loss %.2f, %"
        G_GUINT64_FORMAT " points trained, model v%" G_GUINT64_FORMAT "\n",
        step, value, points, version);
  } else if (gst_structure_has_name (s, "kmeans-checkpoint")) {
    gst_structure_get (s, "step", G_TYPE_UINT64, &step, "model-version",
        G_TYPE_UINT64, &version, NULL);
    g_print ("checkpoint: step %" G_GUINT64_FORMAT ", model v%"
        G_GUINT64_FORMAT " -> %s\n", step, version,
        gst_structure_get_string (s, "location"));
  } else if (gst_structure_has_name (s, "kmeans-score")) {
    gboolean final = FALSE;

    gst_structure_get (s, "num-points", G_TYPE_UINT64, &points, "mean",
        G_TYPE_DOUBLE, &value, "model-version", G_TYPE_UINT64, &version,
        "final", G_TYPE_BOOLEAN, &final, NULL);
    g_print ("score: mean %.3f over %" G_GUINT64_FORMAT " points (model v%"
        G_GUINT64_FORMAT ")%s\n", value, points, version,
        final ? ", final" : "");
  }
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *app = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      print_element_message (gst_message_get_structure (msg));
      break;
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("error from %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
          err->message, debug ? debug : "");
      g_clear_error (&err);
      g_free (debug);
      app->failed = TRUE;
      g_main_loop_quit (app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* The streaming thread hands each buffer of {gint32 cluster; gfloat
 * distance} records to the application here. */
static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  App *app = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstMapInfo map;
  gsize i;

  if (sample == NULL)
    return GST_FLOW_EOS;
  if (gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ)) {
    for (i = 0; i + 8 <= map.size; i += 8) {
      gint32 cluster = (gint32) GST_READ_UINT32_LE (map.data + i);

      if (cluster >= 0 && cluster < CLUSTERS)
        app->per_cluster[cluster]++;
      app->records++;
    }
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstElement *
make (GstElement * pipeline, const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    g_printerr ("no element %s: is GST_PLUGIN_PATH set to the plugin's "
        "folder (build/plugin)?\n", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (pipeline), e);
  return e;
}

int
main (int argc, char **argv)
{
  gint buffers = 100;
  gchar *centers_text = NULL, *checkpoint = NULL, *tmpdir = NULL;
  GOptionEntry entries[] = {
    {"buffers", 'n', 0, G_OPTION_ARG_INT, &buffers,
        "Buffers of 256 points to stream (default 100)", "N"},
    {"centers", 'c', 0, G_OPTION_ARG_STRING, &centers_text,
        "Initial centers (default \"" DEFAULT_CENTERS "\")", "X,Y;X,Y;X,Y"},
    {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint,
        "Checkpoint file (default: in a temporary folder, removed at the end;"
          " an existing one is resumed)", "FILE"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- gst-kmeans in a C app");
  GError *err = NULL;
  GstElement *pipeline, *src, *train, *score, *assign, *sink;
  GValue centers = G_VALUE_INIT;
  App app = { NULL, FALSE, 0, {0} };
  GstAppSinkCallbacks callbacks = { NULL, NULL, on_new_sample };
  GstBus *bus;
  guint watch, i;
  guint64 steps, points;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (!centers_from_text (centers_text ? centers_text : DEFAULT_CENTERS,
          &centers)) {
    g_printerr ("--centers needs %d points of %d numbers: \"X,Y;X,Y;X,Y\"\n",
        CLUSTERS, DIMENSIONS);
    return 2;
  }
  if (checkpoint == NULL) {
    tmpdir = g_dir_make_tmp ("embed-app-XXXXXX", &err);
    if (tmpdir == NULL) {
      g_printerr ("no temporary folder for a checkpoint: %s\n", err->message);
      return 1;
    }
    checkpoint = g_build_filename (tmpdir, "model.ckpt", NULL);
  }

  pipeline = gst_pipeline_new ("embed-app");
  src = make (pipeline, "kmeans-testsrc", "src");
  train = make (pipeline, "kmeans-train", "train");
  score = make (pipeline, "kmeans-score", "score");
  assign = make (pipeline, "kmeans-assign", "assign");
  sink = make (pipeline, "appsink", "sink");
  if (!src || !train || !score || !assign || !sink)
    return 1;

  g_object_set (src, "clusters", CLUSTERS, "dimensions", DIMENSIONS,
      "seed", (guint64) 4016, "points-per-buffer", POINTS_PER_BUFFER,
      "num-buffers", buffers, NULL);
  g_object_set (train, "num-clusters", CLUSTERS, "checkpoint-location",
      checkpoint, "checkpoint-interval", 25, "progress-interval", 25, NULL);
  g_object_set_property (G_OBJECT (train), "initial-centers-value", &centers);
  /* A score every 10 s of stream time (40 buffers at 1000 points/s). */
  g_object_set (score, "interval", 10 * GST_SECOND, NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, &app, NULL);
  if (!gst_element_link_many (src, train, score, assign, sink, NULL)) {
    g_printerr ("could not link the elements\n");
    return 1;
  }
  print_centers ("initial centers", &centers);
  g_value_unset (&centers);

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  watch = gst_bus_add_watch (bus, on_bus_message, &app);
  gst_object_unref (bus);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    app.failed = TRUE;
  else
    g_main_loop_run (app.loop);

  /* At EOS the elements still hold the final model: read it first. */
  if (!app.failed) {
    g_object_get (train, "steps", &steps, "points", &points, NULL);
    g_print ("assignments: %" G_GUINT64_FORMAT " points, per cluster:",
        app.records);
    for (i = 0; i < CLUSTERS; i++)
      g_print (" %" G_GUINT64_FORMAT, app.per_cluster[i]);
    g_print ("\ntrained: %" G_GUINT64_FORMAT " steps, %" G_GUINT64_FORMAT
        " points\n", steps, points);
    print_centers_property (train, "centers", "learned centers");
    print_centers_property (src, "true-centers", "true centers");
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_source_remove (watch);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  if (tmpdir) {
    g_unlink (checkpoint);
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  g_free (checkpoint);
  g_free (centers_text);
  return app.failed ? 1 : 0;
}

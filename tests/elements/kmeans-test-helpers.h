/* gst-kmeans: helpers shared by the k-means element tests (tests/elements)
 * and the media tests (tests/media). */
#ifndef __KMEANS_TEST_HELPERS_H__
#define __KMEANS_TEST_HELPERS_H__

#include <stdarg.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "kmeans.h"
#include "kmeanselements.h"

/* A @factory element with the given properties and @bus (may be NULL),
 * not in a harness yet. */
static inline GstElement *
element_new_valist (const gchar * factory, GstBus * bus,
    const gchar * first_prop, va_list args)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  fail_unless (e != NULL);
  if (first_prop)
    g_object_set_valist (G_OBJECT (e), first_prop, args);
  if (bus)
    gst_element_set_bus (e, bus);
  return e;
}

/* Puts @e (taking the caller's ref) in a harness; the harness starts it. */
static inline GstHarness *
harness_take_element (GstElement * e)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");

  gst_object_unref (e);
  return h;
}

static inline GstHarness *
element_harness (const gchar * factory, GstBus * bus,
    const gchar * first_prop, ...)
{
  GstElement *e;
  va_list args;

  va_start (args, first_prop);
  e = element_new_valist (factory, bus, first_prop, args);
  va_end (args);
  return harness_take_element (e);
}

/* Messages hold their element and the element holds the bus: drop the
 * messages so that both can go. */
static inline void
bus_free (GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

static inline guint64
get_u64 (GstHarness * h, const gchar * prop)
{
  guint64 v;

  g_object_get (h->element, prop, &v, NULL);
  return v;
}

static inline KmModel *
model_new (guint k, guint d, KmMetric metric, const gfloat * centers,
    guint64 version)
{
  GError *err = NULL;
  KmModel *model = km_model_new (k, d, metric, centers, version, &err);

  fail_unless (model != NULL, "%s", err ? err->message : "");
  return model;
}

/* The in-band model event as an application builds and reads it (the
 * layout ARCHITECTURE.md gives): these programs load the plugin and do not
 * link its glue, so the boxed type is the one the loaded plugin
 * registered, looked up by name. */
static inline GType
test_model_type (void)
{
  GstPlugin *plugin = gst_plugin_load_by_name ("kmeans");
  GType type;

  fail_unless (plugin != NULL, "the kmeans plugin did not load");
  gst_object_unref (plugin);
  type = g_type_from_name ("GstKMeansModel");
  fail_unless (type != 0, "the kmeans plugin registered no GstKMeansModel");
  return type;
}

static inline GstEvent *
test_model_event_new (KmModel * model)
{
  KmMetric metric = km_model_get_metric (model);
  GstStructure *s = gst_structure_new ("kmeans-model",
      "model", test_model_type (), model,
      "version", G_TYPE_UINT64, km_model_get_version (model),
      "step", G_TYPE_UINT64, km_model_get_step (model),
      "clusters", G_TYPE_UINT, km_model_get_k (model),
      "dimensions", G_TYPE_UINT, km_model_get_d (model),
      "metric", G_TYPE_STRING,
      metric == KM_METRIC_COSINE ? "cosine" : "squared-euclidean", NULL);

  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

/* TRUE if @event is a model event; then *model is a new reference. */
static inline gboolean
test_model_event_parse (GstEvent * event, KmModel ** model)
{
  *model = NULL;
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY
      || !gst_event_has_name (event, "kmeans-model"))
    return FALSE;
  return gst_structure_get (gst_event_get_structure (event), "model",
      test_model_type (), model, NULL) && *model != NULL;
}

static inline void
push_model_full (GstHarness * h, guint k, guint d, KmMetric metric,
    const gfloat * centers, guint64 version)
{
  KmModel *model = model_new (k, d, metric, centers, version);

  fail_unless (gst_harness_push_event (h, test_model_event_new (model)));
  km_model_unref (model);
}

/* Writes a checkpoint of @k @d-dimensional @centers to @path, as
 * kmeans-train would; @version is the saved model's. */
static inline void
save_checkpoint_d (const gchar * path, guint k, guint d,
    const gfloat * centers, guint64 * version)
{
  GError *err = NULL;
  KmTrainer *t;
  KmConfig cfg;
  KmModel *m;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.init = KM_INIT_GIVEN;
  t = km_trainer_new (&cfg, &err);
  fail_unless (t != NULL, "%s", err ? err->message : "");
  fail_unless (km_trainer_set_centers (t, centers, k, d, &err), "%s",
      err ? err->message : "");
  fail_unless (km_trainer_save (t, path, &err), "%s", err ? err->message : "");
  m = km_trainer_get_model (t);
  *version = km_model_get_version (m);
  km_model_unref (m);
  km_trainer_free (t);
}

/* save_checkpoint_d() of two-dimensional centers. */
static inline void
save_checkpoint (const gchar * path, guint k, const gfloat * centers,
    guint64 * version)
{
  save_checkpoint_d (path, k, 2, centers, version);
}

/* The path of a model file (not created) in a fresh temporary folder;
 * model_path_free() removes both. */
static inline gchar *
model_path_new (const gchar * dir_template, gchar ** dir)
{
  *dir = g_dir_make_tmp (dir_template, NULL);
  return g_build_filename (*dir, "model.kmc", NULL);
}

static inline void
model_path_free (gchar * path, gchar * dir)
{
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static inline gboolean
info_from_string (const gchar * str, GstKMeansPointsInfo * info, GError ** err)
{
  GstCaps *caps = gst_caps_from_string (str);
  gboolean ok;

  fail_unless (caps != NULL, "bad caps string %s", str);
  ok = gst_kmeans_points_info_from_caps (info, caps, err);
  gst_caps_unref (caps);
  return ok;
}

#endif /* __KMEANS_TEST_HELPERS_H__ */

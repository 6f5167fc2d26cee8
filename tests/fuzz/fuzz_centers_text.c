/* Fuzzes the initial-centers text file reader, km_centers_load_text()
 * (kmeans-train init=file initial-centers=PATH), and hands what it
 * accepts to a trainer, as kmeans-train does.
 *
 * Promises checked: a refused file comes with a KM_ERROR; an accepted one
 * gives k >= 1 rows of the same 1 <= d <= KM_MAX_DIMENSIONS finite
 * values within the model limits, which a trainer of that k and d takes
 * as its initial centers. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "kmeans.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_make_warnings_fatal ();
  return 0;
}

static void
check_centers_usable (const gfloat * centers, guint k, guint d)
{
  KmConfig cfg;
  KmTrainer *trainer;
  GError *err = NULL;
  KmModel *model;

  km_config_init (&cfg);
  cfg.k = k;
  cfg.d = d;
  cfg.init = KM_INIT_GIVEN;
  trainer = km_trainer_new (&cfg, &err);
  if (trainer == NULL)
    fuzz_fail ("no trainer for k=%u d=%u: %s", k, d, err->message);
  if (!km_trainer_set_centers (trainer, centers, k, d, &err))
    fuzz_fail ("centers refused by the trainer: %s", err->message);
  fuzz_check (km_trainer_is_initialized (trainer));
  model = km_trainer_get_model (trainer);
  fuzz_check (model != NULL && memcmp (km_model_get_centers (model), centers,
          (gsize) k * d * sizeof (gfloat)) == 0);
  km_model_unref (model);
  km_trainer_free (trainer);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  const gchar *path = fuzz_file_set_contents (data, size);
  GError *err = NULL;
  guint k = 0, d = 0;
  gfloat *centers = km_centers_load_text (path, &k, &d, &err);
  gsize i;

  if (centers == NULL) {
    fuzz_check (err != NULL && err->domain == KM_ERROR);
    g_error_free (err);
    return 0;
  }
  fuzz_check (err == NULL);
  fuzz_check (k >= 1 && k <= KM_MAX_CLUSTERS);
  fuzz_check (d >= 1 && d <= KM_MAX_DIMENSIONS);
  fuzz_check ((guint64) k * d <= KM_MAX_MODEL_FLOATS);
  for (i = 0; i < (gsize) k * d; i++)
    fuzz_check (isfinite (centers[i]));
  check_centers_usable (centers, k, d);
  g_free (centers);
  return 0;
}

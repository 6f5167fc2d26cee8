/* gst-kmeans core: xoshiro256** seeded through splitmix64.
 *
 * The state is four words of plain data so that a checkpoint can carry it
 * and a resumed run draws the same numbers as an uninterrupted one. */
#include <math.h>

#include "kmprivate.h"

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
splitmix64 (guint64 * x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void
km_rng_seed (KmRng * rng, guint64 seed)
{
  guint64 x = seed;
  guint i;

  g_return_if_fail (rng != NULL);

  /* splitmix64 never yields four zero words, the one bad xoshiro state. */
  for (i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
}

guint64
km_rng_next (KmRng * rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

guint64
km_rng_uniform_int (KmRng * rng, guint64 n)
{
  guint64 threshold, r;

  g_return_val_if_fail (rng != NULL, 0);
  g_return_val_if_fail (n > 0, 0);

  /* Reject the first 2^64 mod n values so that every residue is equally
   * likely. */
  threshold = (0 - n) % n;
  do {
    r = km_rng_next (rng);
  } while (r < threshold);
  return r % n;
}

gdouble
km_rng_uniform (KmRng * rng)
{
  g_return_val_if_fail (rng != NULL, 0.0);

  return (km_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

gdouble
km_rng_gaussian (KmRng * rng)
{
  gdouble u1, u2;

  g_return_val_if_fail (rng != NULL, 0.0);

  /* Box-Muller without a cached second value: the state stays just s[4]. */
  u1 = 1.0 - km_rng_uniform (rng);      /* (0, 1] so log() is finite */
  u2 = km_rng_uniform (rng);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/* The helper threads and the chunk claims that share a job among them
 * (km_parallel_run, KmChunkClaims): every chunk of a job runs exactly
 * once whoever claims it, when parts never run, when real threads race
 * for the same ranges, and when calls come far enough apart that the
 * helpers fall asleep between them; and a sleeping helper always wakes
 * for the next job. */
#include "kmtest.h"

#define MAX_CHUNKS 200

typedef struct
{
  KmChunkClaims claims;
  gint runs[MAX_CHUNKS];        /* atomic: times chunk c ran */
  gint by_helper;               /* atomic: chunks run by parts > 0 */
  gint spin;                    /* work per chunk, loop iterations */
  gint part_runs[KM_MAX_PARTS]; /* atomic: times part p was run */
} Job;

static void
job_init (Job * job, guint chunks, guint parts, gint spin)
{
  memset (job, 0, sizeof (*job));
  km_chunk_claims_init (&job->claims, chunks, parts);
  job->spin = spin;
}

static void
assert_each_once (const Job * job, guint chunks)
{
  guint c;

  for (c = 0; c < MAX_CHUNKS; c++)
    g_assert_cmpint (job->runs[c], ==, c < chunks ? 1 : 0);
}

/* The caller ran part 0; each helper that came ran a part of its own
 * (its own range), none past @parts.  Only a machine with three cores
 * or more (two helpers) can show two helpers on one part. */
static void
assert_parts_ran_once (const Job * job, guint parts)
{
  guint p;

  g_assert_cmpint (job->part_runs[0], ==, 1);
  for (p = 1; p < KM_MAX_PARTS; p++)
    g_assert_cmpint (job->part_runs[p], <=, p < parts ? 1 : 0);
}

/* Some work, so that a racing thread has time to claim. */
static void
busy (gint spin)
{
  volatile gdouble x = 0.0;
  gint i;

  for (i = 0; i < spin; i++)
    x += i;
}

static void
run_chunks (gpointer data, guint part, KmWorkspace * ws)
{
  Job *job = data;
  gint64 c;

  (void) ws;
  g_assert_cmpuint (part, <, KM_MAX_PARTS);
  g_atomic_int_inc (&job->part_runs[part]);
  while ((c = km_chunk_claims_next (&job->claims, part)) >= 0) {
    g_assert_cmpint (c, <, MAX_CHUNKS);
    busy (job->spin);
    g_atomic_int_inc (&job->runs[c]);
    if (part > 0)
      g_atomic_int_inc (&job->by_helper);
  }
}

/* One thread claims for a part, and then, its own range empty, takes
 * every other part's chunks from their backs: the calling thread's view
 * when the helpers are late.  Any chunk count, any number of parts,
 * fewer chunks than parts too. */
static void
test_claims_one_thread (void)
{
  guint parts, chunks, part;

  for (parts = 1; parts <= KM_MAX_PARTS; parts++)
    for (chunks = 0; chunks <= 40; chunks++)
      for (part = 0; part < parts; part++) {
        Job job;

        job_init (&job, chunks, parts, 0);
        run_chunks (&job, part, NULL);
        assert_each_once (&job, chunks);
        /* Empty now, for every part. */
        g_assert_cmpint (km_chunk_claims_next (&job.claims, 0), ==, -1);
      }
}

/* The ranges split the chunks evenly and in order: part p's first claim
 * is the first chunk of its share, so each thread reads one stream. */
static void
test_claims_ranges (void)
{
  Job job;

  job_init (&job, 10, 4, 0);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 0), ==, 0);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 1), ==, 2);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 2), ==, 5);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 3), ==, 7);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 0), ==, 1);
  /* Part 0's range is done: it takes part 1's last chunk (4), then
   * part 1's next front claim gets 3. */
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 0), ==, 4);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 1), ==, 3);
  g_assert_cmpint (km_chunk_claims_next (&job.claims, 1), ==, 6);
}

typedef struct
{
  Job *job;
  guint part;
  gint *go;
} Racer;

static gpointer
racer_main (gpointer data)
{
  Racer *r = data;

  while (!g_atomic_int_get (r->go))
    g_thread_yield ();
  run_chunks (r->job, r->part, NULL);
  return NULL;
}

/* Real threads race for the same ranges, some parts with no thread at
 * all, some with two: still every chunk exactly once. */
static void
test_claims_racing_threads (void)
{
  const guint threads = 6;
  guint round;

  for (round = 0; round < 200; round++) {
    const guint parts = 1 + round % KM_MAX_PARTS;
    const guint chunks = (round * 37) % MAX_CHUNKS;
    Racer racers[6];
    GThread *t[6];
    gint go = 0;
    Job job;
    guint i;

    job_init (&job, chunks, parts, 50);
    for (i = 0; i < threads; i++) {
      /* Parts 0 .. threads/2 - 1, twice each: higher parts, if any, are
       * left to the others' back claims. */
      racers[i] = (Racer) {
      &job, i % (threads / 2), &go};
      t[i] = g_thread_new ("racer", racer_main, &racers[i]);
    }
    g_atomic_int_set (&go, 1);
    for (i = 0; i < threads; i++)
      g_thread_join (t[i]);
    assert_each_once (&job, chunks);
  }
}

/* Through the process's helpers: calls back to back, 20 us apart (the
 * helper looks through the gap), and further apart than a helper ever
 * looks (KM_HELPER_LOOK_US, 500 us), so that it sleeps and wakes between
 * them.
 * Whether a helper got to a chunk depends on the scheduler and is only
 * reported; that every call returns with every chunk done once is
 * asserted. */
static void
test_parallel_run_spaced_calls (void)
{
  const guint parts = km_parallel_parts ();
  KmWorkspace *ws = km_workspace_new ();
  const gulong gaps_us[] = { 0, 20, 1000 };
  guint g;

  for (g = 0; g < G_N_ELEMENTS (gaps_us); g++) {
    gint helped = 0;
    guint call;

    for (call = 0; call < 300; call++) {
      const guint chunks = 1 + call % 16;
      Job job;

      job_init (&job, chunks, parts, 2000);
      km_parallel_run (run_chunks, &job, parts, ws);
      assert_each_once (&job, chunks);
      assert_parts_ran_once (&job, parts);
      helped += job.by_helper;
      if (gaps_us[g] > 0)
        g_usleep (gaps_us[g]);
    }
    g_test_message ("%u parts, %lu us between calls: helpers ran %d chunks",
        parts, gaps_us[g], helped);
  }
  km_workspace_free (ws);
}

typedef struct
{
  KmChunkClaims claims;
  gint helper_ran;              /* atomic: a helper claimed a chunk */
  gboolean wait_for_helper;     /* part 0 waits until a helper ran */
  gulong helper_chunk_us;       /* a helper's chunks take this long */
} WakeJob;

#define HELPER_WAIT_S 10

static void
wake_chunks (gpointer data, guint part, KmWorkspace * ws)
{
  WakeJob *job = data;
  gint64 until = g_get_monotonic_time () + HELPER_WAIT_S * G_USEC_PER_SEC;

  (void) ws;
  /* The caller claims nothing before a helper claimed a chunk. */
  if (part == 0 && job->wait_for_helper)
    while (!g_atomic_int_get (&job->helper_ran)
        && g_get_monotonic_time () < until)
      g_usleep (100);
  while (km_chunk_claims_next (&job->claims, part) >= 0)
    if (part > 0) {
      g_atomic_int_set (&job->helper_ran, 1);
      g_usleep (job->helper_chunk_us);
    }
}

/* A job always reaches a helper that fell asleep, whatever slept before
 * it: each round makes the caller wait for a slow helper chunk (so both
 * may lie on the helper's cond at once), lets the helper fall asleep,
 * then posts a job whose own part waits until a helper ran.  A lost
 * wake-up leaves the helper asleep and the wait runs out (10 s). */
static void
test_parallel_run_wakes_helper (void)
{
  KmWorkspace *ws = km_workspace_new ();
  guint round;

  if (km_parallel_parts () < 2) {
    g_test_skip ("one core (or KMEANS_THREADS=1): no helper to wake");
    km_workspace_free (ws);
    return;
  }
  for (round = 0; round < 100; round++) {
    WakeJob slow = { 0, }, probe = { 0, };

    /* The caller waits until the helper took its chunk, which it then
     * sleeps through: the caller's wait for it ends on the cond. */
    km_chunk_claims_init (&slow.claims, 2, 2);
    slow.wait_for_helper = TRUE;
    slow.helper_chunk_us = 300;
    km_parallel_run (wake_chunks, &slow, 2, ws);
    g_usleep (round % 2 ? 300 : 1000);

    km_chunk_claims_init (&probe.claims, 4, 2);
    probe.wait_for_helper = TRUE;
    km_parallel_run (wake_chunks, &probe, 2, ws);
    g_assert_true (g_atomic_int_get (&probe.helper_ran));
  }
  km_workspace_free (ws);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/parallel/claims-one-thread", test_claims_one_thread);
  g_test_add_func ("/parallel/claims-ranges", test_claims_ranges);
  g_test_add_func ("/parallel/claims-racing-threads",
      test_claims_racing_threads);
  g_test_add_func ("/parallel/spaced-calls", test_parallel_run_spaced_calls);
  g_test_add_func ("/parallel/wakes-helper", test_parallel_run_wakes_helper);
  return g_test_run ();
}

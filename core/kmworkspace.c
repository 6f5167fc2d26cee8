/* gst-kmeans core: per-thread scratch memory that only ever grows, so
 * that steady-state processing allocates nothing. */
#include "kmprivate.h"

#define KM_WS_ALIGN 64

struct _KmWorkspace
{
  gpointer buf[KM_WS_NUM_SLOTS];
  gsize size[KM_WS_NUM_SLOTS];
};

KmWorkspace *
km_workspace_new (void)
{
  return g_new0 (KmWorkspace, 1);
}

void
km_workspace_free (KmWorkspace * ws)
{
  guint i;

  if (ws == NULL)
    return;
  for (i = 0; i < KM_WS_NUM_SLOTS; i++)
    g_aligned_free (ws->buf[i]);
  g_free (ws);
}

gpointer
km_workspace_get (KmWorkspace * ws, KmWorkspaceSlot slot, gsize bytes)
{
  gsize want;

  g_return_val_if_fail (ws != NULL, NULL);
  g_return_val_if_fail (slot < KM_WS_NUM_SLOTS, NULL);

  if (bytes <= ws->size[slot] && ws->buf[slot] != NULL)
    return ws->buf[slot];

  /* Grow by at least half so that slowly increasing batch sizes do not
   * reallocate on every call. */
  want = MAX (bytes, ws->size[slot] + ws->size[slot] / 2);
  want = MAX (want, KM_WS_ALIGN);
  want = (want + KM_WS_ALIGN - 1) & ~(gsize) (KM_WS_ALIGN - 1);
  g_aligned_free (ws->buf[slot]);
  ws->buf[slot] = g_aligned_alloc (want, 1, KM_WS_ALIGN);
  ws->size[slot] = want;
  return ws->buf[slot];
}

/* ------------------------------------------------------------------ */
/* Helper threads (km_parallel_run). */

/* How long a caller spins for a helper to finish, and a helper for the
 * next job before it yields its core to any other thread between looks.
 * Waking a sleeping helper took 40-57 us on a 2-core VM, longer than a
 * 4096-point job, and a pipeline's calls come a buffer's copy apart
 * (~50 us for 256 KiB): a helper that slept after 50 us was woken too
 * late for most jobs.  So a helper looks for twice the last gap between
 * jobs, up to KM_HELPER_LOOK_US, yielding; after a longer gap (a slow
 * stream, where looking would only burn a core) for KM_SPIN_US. */
#define KM_SPIN_US 50
#define KM_HELPER_LOOK_US 500

enum
{
  KM_HELPER_IDLE,
  KM_HELPER_POSTED,             /* a job waits for the helper */
  KM_HELPER_RUNNING             /* the helper took it */
};

typedef struct
{
  GMutex busy;                  /* held by the caller using this helper */
  GMutex lock;
  GCond cond;
  gint state;                   /* KM_HELPER_*, atomic */
  gint sleepers;                /* threads in sleep_for_state, atomic */
  KmPartFunc func;
  gpointer data;
  KmWorkspace *ws;
  guint part;                   /* the part of a job it runs: its index + 1 */
} __attribute__((aligned (64))) KmHelper;       /* no line shared by two */

static KmHelper *helpers;
static guint n_helpers;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

/* Looks at most @look_us until @state is @want, TRUE if it came: spins
 * for the first KM_SPIN_US, then yields every 64 looks. */
static gboolean
spin_for_state (gint * state, gint want, gint64 look_us)
{
  gint64 start = 0;
  guint i;

  for (i = 0;; i++) {
    if (g_atomic_int_get (state) == want)
      return TRUE;
    if ((i & 63) == 0) {
      gint64 now = g_get_monotonic_time ();

      if (start == 0)
        start = now;
      else if (now - start > look_us)
        return FALSE;
      else if (now - start > KM_SPIN_US)
        g_thread_yield ();
    }
    cpu_relax ();
  }
}

/* Sleeps on the helper's cond until @state is @want, or with @once until
 * the first wake-up.  The sleeper counts itself in before its last look
 * at the state, and set_state() stores the state before it looks for
 * sleepers (both sequentially consistent), so one of the two always sees
 * the other.  A count, not a flag: the helper and its caller can both be
 * in here (the caller, woken, has yet to take the lock back when the
 * helper lies down again), and a flag the caller cleared on its way out
 * left the helper asleep through every later job. */
static void
sleep_for_state (KmHelper * h, gint want, gboolean once)
{
  g_mutex_lock (&h->lock);
  __atomic_add_fetch (&h->sleepers, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n (&h->state, __ATOMIC_SEQ_CST) != want) {
    g_cond_wait (&h->cond, &h->lock);
    if (once)
      break;
  }
  __atomic_sub_fetch (&h->sleepers, 1, __ATOMIC_SEQ_CST);
  g_mutex_unlock (&h->lock);
}

/* Without a sleeper, one store: a hand-over between spinning threads
 * then moves only the state's cache line. */
static void
set_state (KmHelper * h, gint state)
{
  __atomic_store_n (&h->state, state, __ATOMIC_SEQ_CST);
  if (__atomic_load_n (&h->sleepers, __ATOMIC_SEQ_CST) == 0)
    return;
  g_mutex_lock (&h->lock);
  g_cond_broadcast (&h->cond);
  g_mutex_unlock (&h->lock);
}

static gpointer
helper_main (gpointer user_data)
{
  KmHelper *h = user_data;
  gint64 look_us = KM_SPIN_US, done_at = 0;

  for (;;) {
    gint64 gap;

    /* A wake-up takes longer than a small job: by then its caller has
     * often done the work and withdrawn it.  Look again after every
     * wake-up, so that the next job of a stream finds the helper awake
     * (staying asleep until a job waits let a stream of 4096-point
     * buffers run on one thread). */
    if (!spin_for_state (&h->state, KM_HELPER_POSTED, look_us)) {
      sleep_for_state (h, KM_HELPER_POSTED, TRUE);
      continue;
    }
    gap = done_at ? g_get_monotonic_time () - done_at : G_MAXINT64;
    look_us = gap <= KM_HELPER_LOOK_US ? CLAMP (2 * gap, KM_SPIN_US,
        KM_HELPER_LOOK_US) : KM_SPIN_US;
    /* The caller may have done all the work and withdrawn the job. */
    if (g_atomic_int_compare_and_exchange (&h->state, KM_HELPER_POSTED,
            KM_HELPER_RUNNING)) {
      h->func (h->data, h->part, h->ws);
      set_state (h, KM_HELPER_IDLE);
    }
    done_at = g_get_monotonic_time ();
  }
  return NULL;
}

static gpointer
start_helpers (gpointer unused)
{
  guint cores = g_get_num_processors (), i;
  const gchar *cap = g_getenv ("KMEANS_THREADS");

  if (cap != NULL && g_ascii_strtoull (cap, NULL, 10) > 0)
    cores = MIN (cores, g_ascii_strtoull (cap, NULL, 10));
  n_helpers = MIN (cores, KM_MAX_PARTS) - 1;
  helpers = g_aligned_alloc0 (MAX (n_helpers, 1), sizeof (KmHelper),
      G_ALIGNOF (KmHelper));
  for (i = 0; i < n_helpers; i++) {
    GError *error = NULL;
    GThread *thread;

    g_mutex_init (&helpers[i].busy);
    g_mutex_init (&helpers[i].lock);
    g_cond_init (&helpers[i].cond);
    helpers[i].ws = km_workspace_new ();
    helpers[i].part = i + 1;
    thread = g_thread_try_new ("km-helper", helper_main, &helpers[i], &error);
    if (thread == NULL) {
      /* Fewer helpers: their share runs in the callers. */
      g_warning ("k-means helper thread: %s", error->message);
      g_error_free (error);
      n_helpers = i;
      break;
    }
    g_thread_unref (thread);
  }
  return NULL;
}

guint
km_parallel_parts (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, start_helpers, NULL);
  return n_helpers + 1;
}

void
km_parallel_run (KmPartFunc func, gpointer data, guint parts, KmWorkspace * ws)
{
  KmHelper *taken[KM_MAX_PARTS];
  guint n_taken = 0, i;

  /* More parts than threads: the others' ranges are taken by the threads
   * there are. */
  parts = MIN (parts, km_parallel_parts ());
  for (i = 0; i + 1 < parts; i++) {
    KmHelper *h = &helpers[i];

    if (!g_mutex_trylock (&h->busy))
      continue;
    h->func = func;
    h->data = data;
    set_state (h, KM_HELPER_POSTED);
    taken[n_taken++] = h;
  }

  func (data, 0, ws);

  for (i = 0; i < n_taken; i++) {
    KmHelper *h = taken[i];

    /* Withdraw a job the helper did not start (it was not scheduled in
     * time); otherwise wait for it to finish. */
    if (!g_atomic_int_compare_and_exchange (&h->state, KM_HELPER_POSTED,
            KM_HELPER_IDLE)
        && !spin_for_state (&h->state, KM_HELPER_IDLE, KM_SPIN_US))
      sleep_for_state (h, KM_HELPER_IDLE, FALSE);
    g_mutex_unlock (&h->busy);
  }
}

/* ------------------------------------------------------------------ */
/* Chunk claims (KmChunkClaims). */

#define KM_RANGE(next, end) (((guint64) (end) << 32) | (guint32) (next))

void
km_chunk_claims_init (KmChunkClaims * claims, guint chunks, guint parts)
{
  guint p;

  /* Out of range, one part: still every chunk, by whoever claims. */
  parts = CLAMP (parts, 1, KM_MAX_PARTS);
  claims->parts = parts;
  for (p = 0; p < parts; p++)
    claims->part[p].range = KM_RANGE ((guint64) chunks * p / parts,
        (guint64) chunks * (p + 1) / parts);
}

/* The front chunk of @r (@front) or its back one; -1 when it is empty. */
static gint64
take_chunk (KmChunkRange * r, gboolean front)
{
  guint64 v = __atomic_load_n (&r->range, __ATOMIC_RELAXED);

  for (;;) {
    const guint32 next = (guint32) v, end = (guint32) (v >> 32);
    const guint64 left = front ? KM_RANGE (next + 1, end) :
        KM_RANGE (next, end - 1);

    if (next >= end)
      return -1;
    /* On failure v is reloaded. */
    if (__atomic_compare_exchange_n (&r->range, &v, left, FALSE,
            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
      return front ? next : end - 1;
  }
}

gint64
km_chunk_claims_next (KmChunkClaims * claims, guint part)
{
  guint i;
  gint64 c;

  if (part < claims->parts && (c = take_chunk (&claims->part[part], TRUE)) >= 0)
    return c;
  /* The next parts first, so that thieves spread over the ranges. */
  for (i = 1; i <= claims->parts; i++) {
    c = take_chunk (&claims->part[(part + i) % claims->parts], FALSE);
    if (c >= 0)
      return c;
  }
  return -1;
}

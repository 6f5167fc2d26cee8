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

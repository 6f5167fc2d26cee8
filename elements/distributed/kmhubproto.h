/* gst-kmeans: the messages between kmeans-hub and its kmeans-worker
 * elements (schemas/hub-protocol.md), GLib and the core only.
 *
 * A message is a ZeroMQ multipart message: a 16-byte header frame, then
 * the frames its type names.  The hub's ROUTER socket sees the worker's
 * routing id before them; nothing here knows of sockets: the elements
 * send and receive the frames, these functions write and check them. */
#ifndef __KM_HUB_PROTO_H__
#define __KM_HUB_PROTO_H__

#include <glib.h>
#include "kmeans.h"
#include "kmstats.h"

G_BEGIN_DECLS

#define KM_HUB_PROTO_VERSION 1
#define KM_HUB_HEADER_SIZE 16
#define KM_HUB_HELLO_SIZE 16
#define KM_HUB_CONTROL_SIZE 32
#define KM_HUB_SEND_INIT_SIZE 16
/* A refusal's reason is cut to this many bytes. */
#define KM_HUB_MAX_REASON 1024
/* "any" in a hello's k or metric. */
#define KM_HUB_ANY G_MAXUINT32

typedef enum
{
  /* worker -> hub */
  KM_HUB_MSG_HELLO = 1,         /* + hello frame */
  KM_HUB_MSG_INIT = 2,          /* + points frame (float32 LE, n x d) */
  KM_HUB_MSG_STATS = 3,         /* + KMSTATS record (schemas/stats.md) */
  KM_HUB_MSG_BYE = 4,           /* no frame: the worker leaves (EOS, stop) */
  /* hub -> worker */
  KM_HUB_MSG_MODEL = 16,        /* + control frame + KMMODEL record */
  KM_HUB_MSG_SEND_INIT = 17,    /* + send-init frame */
  KM_HUB_MSG_REFUSED = 18       /* + reason frame (UTF-8) */
} KmHubMsgType;

typedef enum
{
  KM_HUB_MODE_SYNC = 0,
  KM_HUB_MODE_ASYNC = 1
} KmHubMode;

/* The header frame: magic "KMHB", protocol version, type, the worker id
 * (0 from the hub), flags (0). */
typedef struct
{
  KmHubMsgType type;
  guint32 worker;
} KmHubHeader;

/* A worker's introduction: the dimension of its points, and the k and
 * metric it insists on (KM_HUB_ANY: whatever the hub trains). */
typedef struct
{
  guint32 d;
  guint32 k;
  guint32 metric;
} KmHubHello;

/* What travels with every model: how the hub runs its rounds, and the
 * round number the worker is to give its next contribution. */
typedef struct
{
  KmHubMode mode;
  guint32 sync_interval;        /* batches per round */
  guint64 next_round;
  guint32 max_staleness;        /* async: versions a contribution may lag */
} KmHubControl;

/* The hub is not initialised yet: send up to @points points of @d
 * dimensions for its initialisation. */
typedef struct
{
  guint32 points;
  guint32 d;
  guint32 k;
  guint32 metric;
} KmHubSendInit;

void km_hub_header_write (guint8 out[KM_HUB_HEADER_SIZE], KmHubMsgType type,
    guint32 worker);
/* FALSE with a reason in @error for another magic, version, unknown type
 * or non-zero flags. */
gboolean km_hub_header_read (const guint8 * data, gsize len,
    KmHubHeader * header, GError ** error);

void km_hub_hello_write (guint8 out[KM_HUB_HELLO_SIZE],
    const KmHubHello * hello);
gboolean km_hub_hello_read (const guint8 * data, gsize len,
    KmHubHello * hello, GError ** error);

void km_hub_control_write (guint8 out[KM_HUB_CONTROL_SIZE],
    const KmHubControl * control);
gboolean km_hub_control_read (const guint8 * data, gsize len,
    KmHubControl * control, GError ** error);

void km_hub_send_init_write (guint8 out[KM_HUB_SEND_INIT_SIZE],
    const KmHubSendInit * send_init);
gboolean km_hub_send_init_read (const guint8 * data, gsize len,
    KmHubSendInit * send_init, GError ** error);

/* Points of an INIT frame: @len must be a whole, non-zero number of
 * @d-float rows, every value finite.  Returns the rows (g_free), their
 * count in @n. */
gfloat *km_hub_init_points_read (const guint8 * data, gsize len, guint d,
    gsize * n, GError ** error);
/* Writes @n rows of @d floats little endian (g_free the result). */
guint8 *km_hub_init_points_write (const gfloat * points, gsize n, guint d,
    gsize * len);

/* A refusal's reason as text: valid UTF-8 up to KM_HUB_MAX_REASON bytes
 * (invalid bytes replaced), never NULL. */
gchar *km_hub_reason_read (const guint8 * data, gsize len);

const gchar *km_hub_msg_type_name (KmHubMsgType type);

G_END_DECLS

#endif /* __KM_HUB_PROTO_H__ */

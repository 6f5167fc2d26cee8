/* gst-kmeans: the messages between kmeans-hub and kmeans-worker
 * (schemas/hub-protocol.md). */
#include <math.h>
#include <string.h>

#include "kmhubproto.h"

#define KM_HUB_MAGIC "KMHB"

static void
put_u32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static void
put_u64 (guint8 * p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static guint32
get_u32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint64
get_u64 (const guint8 * p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static gboolean
refuse (GError ** error, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static gboolean refuse (GError ** error, const gchar * format, ...)
{
  va_list args;

  if (error != NULL) {
    va_start (args, format);
    *error = g_error_new_valist (KM_ERROR, KM_ERROR_INVALID_ARGUMENT, format,
        args);
    va_end (args);
  }
  return FALSE;
}

static gboolean
check_size (const gchar * what, gsize len, gsize expected, GError ** error)
{
  if (len == expected)
    return TRUE;
  return refuse (error, "%s frame of %" G_GSIZE_FORMAT " bytes, not %"
      G_GSIZE_FORMAT, what, len, expected);
}

static gboolean
is_known_type (guint type)
{
  return (type >= KM_HUB_MSG_HELLO && type <= KM_HUB_MSG_BYE)
      || (type >= KM_HUB_MSG_MODEL && type <= KM_HUB_MSG_REFUSED);
}

void
km_hub_header_write (guint8 out[KM_HUB_HEADER_SIZE], KmHubMsgType type,
    guint32 worker)
{
  memset (out, 0, KM_HUB_HEADER_SIZE);
  memcpy (out, KM_HUB_MAGIC, 4);
  out[4] = KM_HUB_PROTO_VERSION;
  out[5] = type;
  put_u32 (out + 8, worker);
}

gboolean
km_hub_header_read (const guint8 * data, gsize len, KmHubHeader * header,
    GError ** error)
{
  if (!check_size ("header", len, KM_HUB_HEADER_SIZE, error))
    return FALSE;
  if (memcmp (data, KM_HUB_MAGIC, 4) != 0)
    return refuse (error, "not a hub message (magic)");
  if (data[4] != KM_HUB_PROTO_VERSION)
    return refuse (error, "protocol version %u, not %u", data[4],
        KM_HUB_PROTO_VERSION);
  if (!is_known_type (data[5]))
    return refuse (error, "unknown message type %u", data[5]);
  if (data[6] != 0 || data[7] != 0 || get_u32 (data + 12) != 0)
    return refuse (error, "flags or reserved bytes are not 0");
  header->type = data[5];
  header->worker = get_u32 (data + 8);
  return TRUE;
}

void
km_hub_hello_write (guint8 out[KM_HUB_HELLO_SIZE], const KmHubHello * hello)
{
  put_u32 (out, hello->d);
  put_u32 (out + 4, hello->k);
  put_u32 (out + 8, hello->metric);
  put_u32 (out + 12, 0);
}

gboolean
km_hub_hello_read (const guint8 * data, gsize len, KmHubHello * hello,
    GError ** error)
{
  if (!check_size ("hello", len, KM_HUB_HELLO_SIZE, error))
    return FALSE;
  hello->d = get_u32 (data);
  hello->k = get_u32 (data + 4);
  hello->metric = get_u32 (data + 8);
  if (hello->d == 0 || hello->d > KM_MAX_DIMENSIONS)
    return refuse (error, "hello with %u dimensions", hello->d);
  if (hello->k == 0 || (hello->k > KM_MAX_CLUSTERS && hello->k != KM_HUB_ANY))
    return refuse (error, "hello with k = %u", hello->k);
  if (hello->metric > KM_METRIC_COSINE && hello->metric != KM_HUB_ANY)
    return refuse (error, "hello with unknown metric %u", hello->metric);
  if (get_u32 (data + 12) != 0)
    return refuse (error, "hello with reserved bytes not 0");
  return TRUE;
}

void
km_hub_control_write (guint8 out[KM_HUB_CONTROL_SIZE],
    const KmHubControl * control)
{
  memset (out, 0, KM_HUB_CONTROL_SIZE);
  put_u32 (out, control->mode);
  put_u32 (out + 4, control->sync_interval);
  put_u64 (out + 8, control->next_round);
  put_u32 (out + 16, control->max_staleness);
}

gboolean
km_hub_control_read (const guint8 * data, gsize len, KmHubControl * control,
    GError ** error)
{
  if (!check_size ("control", len, KM_HUB_CONTROL_SIZE, error))
    return FALSE;
  control->mode = get_u32 (data);
  control->sync_interval = get_u32 (data + 4);
  control->next_round = get_u64 (data + 8);
  control->max_staleness = get_u32 (data + 16);
  if (control->mode > KM_HUB_MODE_ASYNC)
    return refuse (error, "unknown mode %u", control->mode);
  if (control->sync_interval == 0)
    return refuse (error, "sync-interval 0");
  if (get_u32 (data + 20) != 0 || get_u64 (data + 24) != 0)
    return refuse (error, "control with reserved bytes not 0");
  return TRUE;
}

void
km_hub_send_init_write (guint8 out[KM_HUB_SEND_INIT_SIZE],
    const KmHubSendInit * send_init)
{
  put_u32 (out, send_init->points);
  put_u32 (out + 4, send_init->d);
  put_u32 (out + 8, send_init->k);
  put_u32 (out + 12, send_init->metric);
}

gboolean
km_hub_send_init_read (const guint8 * data, gsize len,
    KmHubSendInit * send_init, GError ** error)
{
  if (!check_size ("send-init", len, KM_HUB_SEND_INIT_SIZE, error))
    return FALSE;
  send_init->points = get_u32 (data);
  send_init->d = get_u32 (data + 4);
  send_init->k = get_u32 (data + 8);
  send_init->metric = get_u32 (data + 12);
  if (send_init->points == 0)
    return refuse (error, "send-init asking for 0 points");
  if (send_init->d > KM_MAX_DIMENSIONS || send_init->k == 0
      || send_init->k > KM_MAX_CLUSTERS || send_init->metric > KM_METRIC_COSINE)
    return refuse (error, "send-init with d = %u, k = %u, metric %u",
        send_init->d, send_init->k, send_init->metric);
  return TRUE;
}

gfloat *
km_hub_init_points_read (const guint8 * data, gsize len, guint d, gsize * n,
    GError ** error)
{
  gsize row = (gsize) d * sizeof (gfloat), count, i;
  gfloat *points;

  if (d == 0 || len == 0 || len % row != 0)
    return refuse (error, "init frame of %" G_GSIZE_FORMAT " bytes is not "
        "a whole number of %u-float points", len, d), NULL;
  count = len / row;
  points = g_new (gfloat, count * d);
  for (i = 0; i < count * d; i++) {
    guint32 bits = get_u32 (data + 4 * i);

    memcpy (&points[i], &bits, 4);
    if (!isfinite (points[i])) {
      g_free (points);
      return refuse (error, "init point %" G_GSIZE_FORMAT " holds a NaN or "
          "an infinity", i / d), NULL;
    }
  }
  *n = count;
  return points;
}

guint8 *
km_hub_init_points_write (const gfloat * points, gsize n, guint d, gsize * len)
{
  gsize count = n * d, i;
  guint8 *out = g_malloc (count * 4);

  for (i = 0; i < count; i++) {
    guint32 bits;

    memcpy (&bits, &points[i], 4);
    put_u32 (out + 4 * i, bits);
  }
  *len = count * 4;
  return out;
}

gchar *
km_hub_reason_read (const guint8 * data, gsize len)
{
  return g_utf8_make_valid ((const gchar *) data, MIN (len, KM_HUB_MAX_REASON));
}

const gchar *
km_hub_msg_type_name (KmHubMsgType type)
{
  switch (type) {
    case KM_HUB_MSG_HELLO:
      return "HELLO";
    case KM_HUB_MSG_INIT:
      return "INIT";
    case KM_HUB_MSG_STATS:
      return "STATS";
    case KM_HUB_MSG_BYE:
      return "BYE";
    case KM_HUB_MSG_MODEL:
      return "MODEL";
    case KM_HUB_MSG_SEND_INIT:
      return "SEND-INIT";
    case KM_HUB_MSG_REFUSED:
      return "REFUSED";
  }
  return "unknown";
}

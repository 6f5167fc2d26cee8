/* A plain libzmq subscriber for kmzmqsink: no GStreamer, no GLib.
 *
 * Shows what a C program needs to read a gst-kmeans stream: a SUB socket,
 * an optional topic frame, and the 64-byte little-endian header of gst
 * framing (schemas/zmq-framing.md) decoded with byte shifts.  Messages
 * without a header (framing=raw) are printed as float32 values, except
 * kmeans-format's JSON documents, which are printed as they are, one per
 * line (JSON Lines).
 *
 *   zmq-subscriber ENDPOINT [TOPIC]
 *
 *   gst-launch-1.0 kmeans-testsrc is-live=true ! \
 *       kmzmqsink endpoint=tcp://127.0.0.1:5556 topic=points
 *   build/pipelines/zmq-subscriber tcp://127.0.0.1:5556 points
 *
 *   gst-launch-1.0 kmeans-testsrc num-buffers=100 ! \
 *       kmeans-train num-clusters=4 ! kmeans-assign ! kmeans-format ! \
 *       kmzmqsink endpoint=tcp://127.0.0.1:5556 framing=raw sync=false \
 *       wait-for-subscriber=true
 *   build/pipelines/zmq-subscriber tcp://127.0.0.1:5556 | grep assignments
 *
 * Ends at an EOS header or on Ctrl-C.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define HEADER_SIZE 64
#define FLAG_EOS 0x01
#define FLAG_EVENT 0x20         /* set with FLAG_EOS: old readers drop it */
#define MAX_FRAMES 32

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

static uint64_t
read_u64 (const unsigned char *p)
{
  uint64_t v = 0;
  int i;

  for (i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static uint32_t
read_u32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
      (uint32_t) p[3] << 24;
}

/* A version-1 header: "GZMQ", 1, and exactly 64 + caps length bytes. */
static int
is_header (const unsigned char *p, size_t size)
{
  return size >= HEADER_SIZE && memcmp (p, "GZMQ", 4) == 0 && p[4] == 1
      && size == HEADER_SIZE + (size_t) read_u32 (p + 12);
}

static void
print_time (const char *name, uint64_t t)
{
  if (t == UINT64_MAX)
    printf (" %s=none", name);
  else
    printf (" %s=%.6fs", name, t / 1e9);
}

static void
print_floats (const zmq_msg_t * frames, int first, int n)
{
  size_t bytes = 0;
  int i, shown = 0;

  for (i = first; i < n; i++)
    bytes += zmq_msg_size (&frames[i]);
  printf ("   payload: %zu bytes in %d frame(s):", bytes, n - first);
  for (i = first; i < n && shown < 8; i++) {
    const unsigned char *p = zmq_msg_data ((zmq_msg_t *) & frames[i]);
    size_t size = zmq_msg_size (&frames[i]), k;

    for (k = 0; k + 4 <= size && shown < 8; k += 4, shown++) {
      float f;
      uint32_t u = read_u32 (p + k);

      memcpy (&f, &u, sizeof (f));
      printf (" %g", f);
    }
  }
  printf ("%s\n", shown == 8 ? " ..." : "");
}

/* kmeans-format's JSON documents (framing=raw, or gst framing with
 * application/json caps) are text: one document per message. */
static int
is_json (const zmq_msg_t * frames, int first, int n)
{
  return first < n && zmq_msg_size (&frames[first]) > 0
      && *(const char *) zmq_msg_data ((zmq_msg_t *) & frames[first]) == '{';
}

/* Prints the text as it is, without the trailing newline, so that the
 * output of a JSON stream is JSON Lines (pipe it to jq). */
static void
print_text (const zmq_msg_t * frames, int first, int n)
{
  int i;

  for (i = first; i < n; i++) {
    const char *p = zmq_msg_data ((zmq_msg_t *) & frames[i]);
    size_t size = zmq_msg_size (&frames[i]);

    if (i == n - 1 && size > 0 && p[size - 1] == '\n')
      size--;
    fwrite (p, 1, size, stdout);
  }
  printf ("\n");
}

/* Prints one message; returns 1 when it was the end of the stream. */
static int
print_message (zmq_msg_t * frames, int n, int has_topic, long index)
{
  int first = has_topic ? 1 : 0;
  const unsigned char *h;
  size_t size;

  if (first >= n) {
    printf ("#%ld: topic frame only\n", index);
    return 0;
  }
  h = zmq_msg_data (&frames[first]);
  size = zmq_msg_size (&frames[first]);
  if (!is_header (h, size)) {
    if (is_json (frames, first, n)) {
      print_text (frames, first, n);
      return 0;
    }
    printf ("#%ld raw:\n", index);
    print_floats (frames, first, n);
    return 0;
  }

  printf ("#%ld stream=%08x seq=%llu flags=0x%02x", index, read_u32 (h + 8),
      (unsigned long long) read_u64 (h + 16), h[5]);
  print_time ("pts", read_u64 (h + 24));
  print_time ("duration", read_u64 (h + 40));
  printf ("\n   caps: %.*s\n", (int) read_u32 (h + 12), h + HEADER_SIZE);
  if (h[5] & FLAG_EVENT) {
    if (n > first + 2) {
      size_t len = zmq_msg_size (&frames[first + 2]);

      printf ("   event %.*s: %.*s\n", (int) zmq_msg_size (&frames[first + 1]),
          (const char *) zmq_msg_data (&frames[first + 1]),
          (int) (len < 200 ? len : 200),
          (const char *) zmq_msg_data (&frames[first + 2]));
    }
    return 0;
  }
  if (h[5] & FLAG_EOS) {
    printf ("end of stream\n");
    return 1;
  }
  if (is_json (frames, first + 1, n))
    print_text (frames, first + 1, n);
  else
    print_floats (frames, first + 1, n);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *endpoint, *topic;
  void *ctx, *sub;
  long index = 0;
  int done = 0, linger = 0, status = 0;

  if (argc < 2 || argc > 3 || strcmp (argv[1], "--help") == 0
      || strcmp (argv[1], "-h") == 0) {
    fprintf (argc < 2 || argc > 3 ? stderr : stdout,
        "usage: %s ENDPOINT [TOPIC]\n"
        "Subscribes to a kmzmqsink (or any ZeroMQ publisher) and prints each "
        "message,\ndecoding the gst framing header when there is one.\n",
        argv[0]);
    return argc == 2 ? 0 : 2;
  }
  endpoint = argv[1];
  topic = argc == 3 ? argv[2] : "";

  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  ctx = zmq_ctx_new ();
  sub = zmq_socket (ctx, ZMQ_SUB);
  zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof (linger));
  zmq_setsockopt (sub, ZMQ_SUBSCRIBE, topic, strlen (topic));
  if (zmq_connect (sub, endpoint) != 0) {
    fprintf (stderr, "cannot connect to %s: %s\n", endpoint,
        zmq_strerror (errno));
    status = 1;
    done = 1;
  }

  while (!done && !interrupted) {
    zmq_msg_t frames[MAX_FRAMES];
    int n = 0, more = 1, i;

    while (more) {
      zmq_msg_t *frame = &frames[n < MAX_FRAMES ? n : MAX_FRAMES - 1];

      if (n >= MAX_FRAMES)
        zmq_msg_close (frame);  /* keep the first ones, drop the rest */
      zmq_msg_init (frame);
      if (zmq_msg_recv (frame, sub, 0) < 0) {
        zmq_msg_close (frame);
        if (errno != EINTR) {
          fprintf (stderr, "receive failed: %s\n", zmq_strerror (errno));
          status = 1;
        }
        done = 1;
        break;
      }
      more = zmq_msg_more (frame);
      if (n < MAX_FRAMES)
        n++;
    }
    if (!done)
      done = print_message (frames, n, topic[0] != '\0', ++index);
    fflush (stdout);
    for (i = 0; i < n; i++)
      zmq_msg_close (&frames[i]);
  }

  zmq_close (sub);
  zmq_ctx_term (ctx);
  return status;
}

/* gst-kmeans fuzz harnesses: what they share.
 *
 * Every harness defines LLVMFuzzerInitialize() and LLVMFuzzerTestOneInput().
 * Built with clang -fsanitize=fuzzer they are libFuzzer targets
 * (scripts/fuzz.sh); built with replay.c instead they replay a corpus in
 * the normal test suite.  A harness checks what the parser promises, not
 * only that it survives: a broken promise calls fuzz_fail(), which aborts
 * so that libFuzzer keeps the input.
 */
#ifndef __KMEANS_FUZZ_H__
#define __KMEANS_FUZZ_H__

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* Aborts with a message: a promise of the code under test is broken. */
#define fuzz_fail(...) G_STMT_START {                                   \
    g_printerr ("fuzz: %s:%d: ", __FILE__, __LINE__);                   \
    g_printerr (__VA_ARGS__);                                           \
    g_printerr ("\n");                                                  \
    abort ();                                                           \
  } G_STMT_END

#define fuzz_check(cond) G_STMT_START {                                 \
    if (G_UNLIKELY (!(cond)))                                           \
      fuzz_fail ("check failed: %s", #cond);                            \
  } G_STMT_END

/* Set while GStreamer parses a caps string for us: it answers some bad
 * strings (0.10-style caps, bad feature or structure names) with a
 * g_warning() or g_critical(), its reaction to input a peer may send, not
 * a bug of ours.  Those are neither printed nor fatal. */
static gboolean fuzz_in_caps_parser;

static inline void
fuzz_log_handler (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  if (fuzz_in_caps_parser && g_strcmp0 (domain, "GStreamer") == 0)
    return;
  g_log_default_handler (domain, level, message, user_data);
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
}

#ifdef FUZZ_PARSES_CAPS_STRINGS
#include "zmqframing.h"

/* GStreamer 1.22's gst_caps_from_string() leaks the value list it was
 * parsing when a "{...}" list in the string is malformed ("a, b={1,":
 * 208 bytes a call, reproduced with a plain program).  The harnesses
 * that parse caps strings suppress it, and only they: in them nothing
 * but that parser makes a GValue. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:g_value_init\n";
}

/* Suppressions match the stack an allocation was made from; GLib and
 * GStreamer have no frame pointers, so only the slow unwinder sees past
 * them.  A default: ASAN_OPTIONS still wins. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

/* Deeper nesting is not parsed: GStreamer's recursive parser overflows
 * its stack on a deep enough string (kmzmqsrc refuses more than 16 levels
 * before parsing), and its per-level leak on bad lists would exhaust a
 * campaign's memory.  Point caps nest two deep. */
#define FUZZ_MAX_CAPS_NESTING 4

/* gst_caps_from_string(), tolerating its own warnings (see above); NULL
 * for strings nested too deep. */
static inline GstCaps *
fuzz_caps_from_string (const gchar * str)
{
  GstCaps *caps;

  if (gst_km_zmq_caps_nesting (str, strlen (str)) > FUZZ_MAX_CAPS_NESTING)
    return NULL;
  fuzz_in_caps_parser = TRUE;
  caps = gst_caps_from_string (str);
  fuzz_in_caps_parser = FALSE;
  return caps;
}
#endif

/* A critical or warning from GLib or GStreamer (a failed
 * g_return_if_fail, a refcount gone wrong) is a bug found, not noise. */
static inline void
fuzz_make_warnings_fatal (void)
{
  g_log_set_always_fatal (0);
  g_log_set_default_handler (fuzz_log_handler, NULL);
}

/* A path that reads back @data, for the parsers that take a file name:
 * an in-memory file (memfd) reached through /proc/self/fd, rewritten for
 * every input so a run touches no disk.  Returns a static string. */
const gchar *fuzz_file_set_contents (const guint8 * data, gsize size);

G_END_DECLS

#endif /* __KMEANS_FUZZ_H__ */

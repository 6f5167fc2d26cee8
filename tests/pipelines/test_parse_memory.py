#!/usr/bin/python3
"""kmeans-parse's memory on one large JSON message stays near its size.

Issue 11, defect 4: json-glib built the whole tree of a message, about 50
times its size (a 64 MiB message cost over 3 GiB).  This runs one 16 MiB
message of dense 3-D points, `[[1,2,3],[4,5,6],...]`, through
`gst-launch-1.0 filesrc blocksize=<size> ! kmeans-parse ! fakesink` as
bench/parse_rss.py does, and checks that every point came out and that the
child's peak resident memory (wait4's ru_maxrss) exceeds that of the same
pipeline on a one-point message by less than 4 times the message size
(816 MiB before the fix, about 40 MiB after: the message and its float32
points).  A bound on memory, not on time.

Skipped under AddressSanitizer (its quarantine keeps freed memory
resident) and in a build without json-glib.

Environment: GST_PLUGIN_PATH_1_0, KMEANS_SOURCE_ROOT and KMEANS_BUILD_ROOT
(for config.h), as tests/pipelines/meson.build sets them.
"""
import os
import re
import sys
import tempfile

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "bench"))
import parse_rss  # noqa: E402

MESSAGE_MIB = 16
BOUND = 4                       # times the message size, over the baseline


def built_with_json():
    config = os.path.join(os.environ.get("KMEANS_BUILD_ROOT", "."),
                          "config.h")
    with open(config) as f:
        return re.search(r"^#define HAVE_JSON_GLIB\b", f.read(), re.M) \
            is not None


def main():
    if "asan" in os.environ.get("LD_PRELOAD", "") or \
            "ASAN_OPTIONS" in os.environ:
        print("SKIP: resident memory means nothing under AddressSanitizer")
        return 77
    if not built_with_json():
        print("SKIP: kmeans-parse is built without json-glib")
        return 77
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    with tempfile.TemporaryDirectory(prefix="test_parse_memory.") as tmp:
        base = parse_rss.baseline(env, tmp)
        run = parse_rss.Run(env, tmp, MESSAGE_MIB)
    growth = run.peak - base
    print("message %d bytes: %d points of %d, peak RSS %.1f MiB, baseline "
          "%.1f MiB, growth %.2f times the message (bound %d)"
          % (run.size, run.points, run.expected, run.peak / parse_rss.MIB,
             base / parse_rss.MIB, growth / run.size, BOUND))
    if not run.ok:
        print("FAIL: the pipeline did not parse the message (exit %d):\n%s"
              % (run.status, run.output[-2000:]))
        return 1
    if growth >= BOUND * run.size:
        print("FAIL: kmeans-parse used %.1f times the message size"
              % (growth / run.size))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Absurd dimensions, k, batch and buffer sizes are refused with a clear
error before any large allocation.

Each case runs in a child process (this file with --run: parse_launch,
PLAYING, the first ERROR message, NULL): the first error must be the
element's own message (not a generic stream error), and the child's peak
RSS (VmHWM) must stay small: what was asked for would need gigabytes to
terabytes.  (Not gst-launch-1.0: under load, 1.22's gst-launch sometimes
hangs when two errors come during preroll, with any element.)
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

from loadlib import MEMORY_CHECKED, WAIT, require_plugin

# A build without json-glib (-Djson=disabled) has a kmeans-parse that
# reads CSV only.
HAVE_JSON = os.environ.get("KMEANS_HAVE_JSON", "1") == "1"
NEEDS_JSON = unittest.skipUnless(HAVE_JSON, "kmeans-parse built without "
                                 "JSON support (-Djson=disabled)")

PEAK_KIB = 96 * 1024         # python3 with Gst and numpy: about 50 MiB
HUGE_D = 65536               # the largest dimension caps allow


class AbsurdSizesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="kmeans-absurd-")
        wide = ",".join(["1"] * 70000)
        with open(os.path.join(cls.dir.name, "wide.csv"), "w") as f:
            f.write(wide + "\n")
        with open(os.path.join(cls.dir.name, "wide.json"), "w") as f:
            f.write('{"point": [%s]}\n' % wide)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def launch(self, description):
        """Runs the pipeline in a child; returns (message, debug) of its
        first error, or the child's output when linking failed."""
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--run", description],
            capture_output=True, text=True, timeout=120)
        out = proc.stdout + proc.stderr
        peak = int(re.search(r"peak-rss-kib (\d+)", out).group(1))
        first = re.search(r"^error: (.*)\ndebug: (.*)$", proc.stdout, re.M)
        print("%s\n  -> %s | %s | peak RSS %d KiB" % (
            description, first.group(1) if first else out.strip()[:200],
            first.group(2) if first else "", peak))
        if MEMORY_CHECKED:
            self.assertLess(peak, PEAK_KIB, out)
        return (first.group(1), first.group(2)) if first else (out, out)

    def test_train_k_times_d(self):
        message, debug = self.launch(
            "kmeans-testsrc dimensions=%d points-per-buffer=1 num-buffers=1 ! "
            "kmeans-train num-clusters=1048576 ! fakesink" % HUGE_D)
        self.assertEqual(
            message, "Invalid k-means settings for 65536-dimensional points: "
            "num-clusters x dimensions = 68719476736 is above the limit of "
            "268435456 values")

    def test_train_batch_size(self):
        message, debug = self.launch(
            "kmeans-testsrc dimensions=%d points-per-buffer=1 num-buffers=1 ! "
            "kmeans-train num-clusters=2 batch-size=16777216 ! fakesink"
            % HUGE_D)
        self.assertEqual(message, "batch-size 16777216 is too large for "
                         "65536-dimensional points.")
        self.assertEqual(debug, "batch-size x dimensions = 1099511627776 "
                         "floats: above the limit of 268435456 or out of "
                         "memory")

    def test_testsrc_buffer_size(self):
        message, debug = self.launch(
            "kmeans-testsrc dimensions=%d points-per-buffer=1048576 "
            "num-buffers=1 ! fakesink" % HUGE_D)
        self.assertEqual(message, "Buffers would be too large: lower "
                         "points-per-buffer or dimensions.")

    def check_parse_wide(self, fmt):
        message, debug = self.launch(
            "filesrc location=%s ! kmeans-parse format=%s mode=lines "
            "on-bad-input=error ! fakesink"
            % (os.path.join(self.dir.name, "wide." + fmt), fmt))
        self.assertEqual(message, "Malformed record in the input.")
        self.assertEqual(debug,
                         "record 1: the point has 70000 values, more than "
                         "65536")

    def test_parse_wide_csv(self):
        self.check_parse_wide("csv")

    @NEEDS_JSON
    def test_parse_wide_json(self):
        self.check_parse_wide("json")

    def test_caps_dimensions_refused(self):
        out, _ = self.launch(
            "filesrc location=/dev/null ! application/x-points,format=F32LE,"
            "dimensions=2147483647 ! kmeans-train ! fakesink")
        self.assertIn("kmeanstrain0 can't handle caps", out)


def run_child(description):
    """The child: runs @description until its first error (at most WAIT s),
    prints it and the peak RSS."""
    from loadlib import Gst, status_kib
    try:
        pipeline = Gst.parse_launch(description)
    except Exception as e:      # linking failed: no pipeline at all
        print("parse: %s" % e)
    else:
        pipeline.set_state(Gst.State.PLAYING)
        msg = pipeline.get_bus().timed_pop_filtered(
            int(WAIT * Gst.SECOND), Gst.MessageType.ERROR)
        if msg is not None:
            err, debug = msg.parse_error()
            print("error: %s\ndebug: %s" % (err.message,
                                            debug.split("\n")[-1]))
        pipeline.set_state(Gst.State.NULL)
    print("peak-rss-kib %d" % status_kib("VmHWM"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        run_child(sys.argv[2])
        sys.exit(0)
    require_plugin()
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""The embedding examples, run for real: pipelines/embed-app.c (built) and
pipelines/embed-app.py.

Both build kmeans-testsrc ! kmeans-train ! kmeans-score ! kmeans-assign !
appsink, give initial centers, print the bus messages, count the
assignments they pull and print the learned and true centers.  These tests
read that output back and check it against what the apps were asked to do.

Environment: EMBED_APP (the built C example), GST_PLUGIN_PATH_1_0 and
KMEANS_SOURCE_ROOT, as tests/pipelines/meson.build sets them.
"""
import os
import re
import subprocess
import unittest

import numpy as np

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PY_APP = ["/usr/bin/python3",
          os.path.join(SOURCE_ROOT, "pipelines", "embed-app.py")]
C_APP = [os.environ.get("EMBED_APP", "embed-app")]
HANG_GUARD_SECONDS = 60
POINTS_PER_BUFFER = 256


def run(app, *args):
    proc = subprocess.run(app + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True,
                          timeout=HANG_GUARD_SECONDS)
    return proc.returncode, proc.stdout, proc.stderr


def centers_after(title, text):
    """The rows printed under "title:" as "  i: (x, y)" lines."""
    block = text.split(title + ":\n", 1)[1]
    rows = []
    for line in block.splitlines():
        m = re.match(r"  \d+: \((.*)\)$", line)
        if not m:
            break
        rows.append([float(x) for x in m.group(1).split(",")])
    return np.array(rows)


class EmbedAppChecks:
    """Shared by the C and the Python app (mixed into a TestCase)."""
    APP = None

    @classmethod
    def setUpClass(cls):
        cls.status, cls.out, cls.err = run(cls.APP, "--buffers", "60")

    def test_exits_0(self):
        self.assertEqual(self.status, 0, self.err + self.out)

    def test_starts_from_the_given_centers(self):
        np.testing.assert_array_equal(
            centers_after("initial centers", self.out),
            [[0, 5], [5, -5], [-5, -5]])
        self.assertIn("initialized: 3 centers of dimension 2 at step 0\n",
                      self.out)
        # Given centers need no initialisation batch: every point, from the
        # first buffer on, is trained on and assigned.
        points = 60 * POINTS_PER_BUFFER
        self.assertIn("trained: 60 steps, %d points\n" % points, self.out)
        counts = re.search(r"^assignments: (\d+) points, per cluster: "
                           r"(\d+) (\d+) (\d+)$", self.out, re.M)
        self.assertIsNotNone(counts, self.out)
        self.assertEqual(int(counts.group(1)), points)
        self.assertEqual(sum(int(counts.group(i)) for i in (2, 3, 4)),
                         points)

    def test_prints_progress_checkpoints_and_scores(self):
        self.assertEqual(re.findall(r"^progress: step (\d+)", self.out,
                                    re.M), ["25", "50"])
        self.assertEqual(re.findall(r"^checkpoint: step (\d+)", self.out,
                                    re.M), ["25", "50", "60"])
        # 60 buffers are 15.36 s of stream: one 10 s interval (40 buffers)
        # and the final one with the 20 buffers left.
        scores = re.findall(r"^score: mean ([\d.]+) over (\d+) points "
                            r"\(model v(\d+)\)(, final)?$", self.out, re.M)
        self.assertEqual([(int(n), f) for _, n, _, f in scores],
                         [(40 * POINTS_PER_BUFFER, ""),
                          (20 * POINTS_PER_BUFFER, ", final")])
        # Mean squared distance of 2-D unit Gaussian points: 2.
        for mean, _, _, _ in scores:
            self.assertAlmostEqual(float(mean), 2.0, delta=0.2)

    def test_learns_the_true_centers(self):
        learned = centers_after("learned centers", self.out)
        true = centers_after("true centers", self.out)
        self.assertEqual(learned.shape, (3, 2))
        self.assertEqual(true.shape, (3, 2))
        # Learned center i belongs to true center i (the given centers
        # start next to them); ~5000 points a blob of sd 1 pin the mean
        # to ~0.02, and the true centers are 11+ apart.
        distance = np.linalg.norm(learned - true, axis=1)
        self.assertTrue(np.all(distance < 0.2), distance)

    def test_rejects_malformed_centers(self):
        status, out, err = run(self.APP, "--centers", "1,2;3")
        self.assertEqual(status, 2, out + err)
        self.assertIn("--centers needs 3 points of 2 numbers", err)


class TestEmbedAppC(EmbedAppChecks, unittest.TestCase):
    APP = C_APP


class TestEmbedAppPython(EmbedAppChecks, unittest.TestCase):
    APP = PY_APP


class TestSameApp(unittest.TestCase):

    def test_c_and_python_print_the_same(self):
        outputs = []
        for app in (C_APP, PY_APP):
            status, out, err = run(app, "--buffers", "30")
            self.assertEqual(status, 0, err)
            outputs.append(re.sub(r"/\S+/model\.ckpt", "CKPT", out))
        self.assertEqual(outputs[0], outputs[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)

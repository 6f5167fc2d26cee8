#!/usr/bin/python3
"""The flagship demo, end to end: pipelines/demo.py as the quick start runs it.

A pyzmq publisher process sends raw float32 points to kmzmqsrc, the pipeline
trains, scores, assigns and formats, kmzmqsink publishes JSON documents and a
pyzmq subscriber process receives them.  demo.py --json-out writes what
happened: the counters, the true and learned centers and the text of every
document the subscriber received.  These tests check that outcome against
what was published and against schemas/.

Environment: GST_PLUGIN_PATH_1_0 (the build's plugin folder) and
KMEANS_SOURCE_ROOT, as tests/meson.build sets them.
"""
import json
import os
import subprocess
import tempfile
import unittest

import jsonschema
import numpy as np

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEMO = os.path.join(SOURCE_ROOT, "pipelines", "demo.py")
SCHEMAS = os.path.join(SOURCE_ROOT, "schemas")
# Only against a hang: demo.py bounds itself with --timeout.
HANG_GUARD_SECONDS = 150

# Each blob has a standard deviation of 1 per coordinate and gets about
# 10000 of the 50000 points, so its mean is known to about
# sqrt(3 / 10000) = 0.017 (the printed true centers are rounded to 1e-4).
# 0.25 leaves room for the early mini-batch steps taken with poor centers,
# yet is far below the 12.5 between the two closest true centers (seed 0):
# a center stuck between blobs or two centers in one blob fails it.
CENTER_TOLERANCE = 0.25


# Runs demo.py (argv[1]) with its publisher or subscriber (argv[2])
# replaced by a program that fails; the rest of argv goes to demo.py.
BROKEN_HELPER = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("demo", sys.argv[1])
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)
real_init, who = demo.Program.__init__, "[%s]" % sys.argv[2]
def init(self, out, prefix, argv, stream):
    if prefix == who:
        argv = [demo.PYTHON, "-c", "raise SystemExit(3)"]
    real_init(self, out, prefix, argv, stream)
demo.Program.__init__ = init
sys.exit(demo.main(sys.argv[3:]))
"""


def run_demo(*args):
    """Runs demo.py with @args; returns (exit status, outcome, stderr)."""
    with tempfile.TemporaryDirectory(prefix="flagship-test-") as tmp:
        out = os.path.join(tmp, "outcome.json")
        proc = subprocess.run(
            ["/usr/bin/python3", DEMO, "--quiet", "--json-out", out,
             "--timeout", "100"] + list(args),
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=HANG_GUARD_SECONDS)
        outcome = None
        if os.path.exists(out):
            with open(out) as f:
                outcome = json.load(f)
    return proc.returncode, outcome, proc.stdout + proc.stderr


def strict_json(text):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(token):
        raise ValueError("not JSON: %s" % token)
    return json.loads(text, parse_constant=refuse)


def validators():
    out = {}
    for kind in ("assignments", "model", "score"):
        with open(os.path.join(SCHEMAS, kind + ".schema.json")) as f:
            out[kind] = jsonschema.Draft202012Validator(json.load(f))
    return out


def nearest_distances(true, learned):
    """For each true center, the distance to the nearest learned one."""
    true, learned = np.array(true), np.array(learned)
    return np.linalg.norm(true[:, None] - learned[None], axis=-1).min(1)


class TestFlagshipDefaults(unittest.TestCase):
    """demo.py with the quick start's settings (only --quiet added)."""

    @classmethod
    def setUpClass(cls):
        cls.status, cls.outcome, cls.log = run_demo()
        if cls.outcome is None:
            raise AssertionError("demo.py wrote no outcome:\n" + cls.log)
        cls.docs = [strict_json(t) for t in cls.outcome["documents"]]

    def of_type(self, kind):
        return [d for d in self.docs if d["type"] == kind]

    def test_exits_0(self):
        self.assertEqual(self.status, 0, self.log)
        self.assertEqual(self.outcome["errors"], [])

    def test_zmqsrc_received_every_message(self):
        o = self.outcome
        self.assertEqual(o["messages_published"], 20)
        self.assertEqual(o["points_published"], 50000)
        self.assertEqual(o["zmqsrc_messages_in"], o["messages_published"])

    def test_every_document_validates(self):
        schemas = validators()
        self.assertEqual({d["type"] for d in self.docs},
                         {"assignments", "model", "score"})
        for text, doc in zip(self.outcome["documents"], self.docs):
            with self.subTest(document=text[:80]):
                schemas[doc["type"]].validate(doc)

    def test_assignments_cover_every_published_point(self):
        docs = self.of_type("assignments")
        # One assignments document per published message, in order.
        self.assertEqual(len(docs), self.outcome["messages_published"])
        for d in docs:
            self.assertEqual(d["clusters"], 5)
            self.assertEqual(d["count"], 2500)
            self.assertEqual(len(d["cluster"]), d["count"])
            self.assertEqual(len(d["distance"]), d["count"])
            self.assertTrue(all(0 <= c < 5 for c in d["cluster"]))
            self.assertTrue(all(x >= 0 for x in d["distance"]))
        # The first message is the first batch: nothing left unassigned.
        self.assertEqual(self.outcome["assign_dropped_points"], 0)
        self.assertEqual(sum(d["count"] for d in docs),
                         self.outcome["points_published"])

    def test_every_cluster_gets_a_fifth(self):
        counts = np.bincount(np.concatenate(
            [d["cluster"] for d in self.of_type("assignments")]),
            minlength=5)
        # Blob labels are drawn uniformly: 10000 +- 100 (sd) each.
        self.assertTrue(np.all(np.abs(counts - 10000) < 1000), counts)

    def test_scores_add_up_and_end_with_the_final_one(self):
        docs = self.of_type("score")
        # interval-points=15000 on 2500-point buffers: 3 full intervals,
        # then the final one with the 5000 points left.
        self.assertEqual([d["num_points"] for d in docs],
                         [15000, 15000, 15000, 5000])
        self.assertEqual([d["final"] for d in docs],
                         [False, False, False, True])
        self.assertEqual(self.docs[-1], docs[-1])
        for d in docs:
            self.assertEqual(sum(d["cluster_counts"]), d["num_points"])
            self.assertAlmostEqual(sum(d["cluster_scores"]), d["score"],
                                   delta=1e-6 * d["score"])
            self.assertAlmostEqual(d["mean"], d["score"] / d["num_points"])
        # A fitted model: the mean squared distance of 3-D unit Gaussian
        # points to their center is 3.
        self.assertAlmostEqual(docs[-1]["mean"], 3.0, delta=0.3)

    def test_models_come_before_their_use(self):
        seen = []
        for d in self.docs:
            if d["type"] == "model":
                seen.append(d["version"])
            elif d["type"] in ("assignments", "score"):
                self.assertIn(d["model_version"], seen)
        self.assertEqual(seen, sorted(set(seen)))
        self.assertEqual(seen[-1], self.outcome["model_version"])

    def test_last_model_document_holds_the_learned_centers(self):
        last = self.of_type("model")[-1]
        np.testing.assert_allclose(last["centers"],
                                   self.outcome["learned_centers"],
                                   rtol=1e-6, atol=1e-6)

    def test_loss_curve_has_every_step(self):
        # progress-interval=1: one kmeans-train message per step, and
        # together they cover every point trained.
        o, curve = self.outcome, self.outcome["loss_curve"]
        self.assertEqual([c["step"] for c in curve],
                         list(range(1, o["train_steps"] + 1)))
        self.assertEqual(sum(c["batch_points"] for c in curve),
                         o["train_points"])
        # From a k-means++ start to the noise floor: the mean squared
        # distance of 3-D unit Gaussian points to their center is 3.
        mean = [c["loss"] / c["batch_points"] for c in curve]
        self.assertGreater(mean[0], mean[-1])
        self.assertAlmostEqual(mean[-1], 3.0, delta=0.3)

    def test_learned_centers_are_near_the_true_ones(self):
        o = self.outcome
        self.assertEqual(len(o["true_centers"]), 5)
        self.assertEqual(len(o["learned_centers"]), 5)
        nearest = nearest_distances(o["true_centers"], o["learned_centers"])
        self.assertTrue(np.all(nearest < CENTER_TOLERANCE), nearest)
        # ... and one to one: no learned center serves two true ones.
        true, learned = (np.array(o["true_centers"]),
                         np.array(o["learned_centers"]))
        owner = np.linalg.norm(true[:, None] - learned[None],
                               axis=-1).argmin(1)
        self.assertEqual(sorted(owner.tolist()), list(range(5)))


class TestFlagshipSettings(unittest.TestCase):

    def test_counts_add_up_when_the_first_batch_spans_messages(self):
        # Batches of 2500 points from 1000-point messages: the init sample
        # (three batches) spans eight messages, which kmeans-train holds
        # until the first model, so every point is assigned.
        status, o, log = run_demo("--points", "20000",
                                  "--points-per-message", "1000",
                                  "--batch-size", "2500", "--rate", "0")
        self.assertEqual(status, 0, log)
        docs = [strict_json(t) for t in o["documents"]]
        assigned = sum(d["count"] for d in docs
                       if d["type"] == "assignments")
        self.assertEqual(o["assign_dropped_points"], 0)
        self.assertEqual(assigned, 20000)
        scored = sum(d["num_points"] for d in docs if d["type"] == "score")
        self.assertEqual(scored, o["scored_points"])
        self.assertEqual(o["zmqsrc_messages_in"], 20)

    def test_loss_png_is_a_picture(self):
        with tempfile.TemporaryDirectory(prefix="flagship-png-") as tmp:
            png = os.path.join(tmp, "loss.png")
            status, o, log = run_demo("--points", "20000", "--rate", "0",
                                      "--loss-png", png)
            self.assertEqual(status, 0, log)
            with open(png, "rb") as f:
                head = f.read(24)
        # PNG signature, then the IHDR chunk: width and height.
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(head[12:16], b"IHDR")
        width, height = (int.from_bytes(head[16:20], "big"),
                         int.from_bytes(head[20:24], "big"))
        self.assertGreaterEqual(min(width, height), 200, (width, height))
        self.assertEqual(len(o["loss_curve"]), o["train_steps"])

    def test_loss_png_that_cannot_be_written_fails(self):
        # 4 messages: 3 are the init sample, the last one is a step.
        status, o, log = run_demo("--points", "10000", "--rate", "0",
                                  "--loss-png", "/nonexistent/loss.png")
        self.assertEqual(status, 1, log)
        self.assertIn("FAILED: cannot write --loss-png /nonexistent/loss.png",
                      log)

    def test_fails_when_a_center_is_too_far(self):
        status, o, log = run_demo("--points", "5000", "--rate", "0",
                                  "--check-distance", "1e-9")
        self.assertEqual(status, 1, log)
        self.assertIn("FAILED: a learned center is", log)
        self.assertEqual(len(o["errors"]), 1)

    def test_fails_when_a_helper_program_fails(self):
        # demo.py with one of its two programs replaced by one that exits
        # with status 3 at once: it must say so and exit 1, not hang (a
        # kmzmqsink waiting for a subscriber would wait for ever).
        for who in ("publisher", "subscriber"):
            with self.subTest(program=who):
                proc = subprocess.run(
                    ["/usr/bin/python3", "-c", BROKEN_HELPER, DEMO, who,
                     "--quiet", "--timeout", "100"],
                    stdin=subprocess.DEVNULL, capture_output=True,
                    text=True, timeout=HANG_GUARD_SECONDS)
                self.assertEqual(proc.returncode, 1,
                                 proc.stdout + proc.stderr)
                self.assertIn("FAILED: the %s" % who, proc.stderr)
                self.assertIn("exit status 3", proc.stderr)

    def test_rejects_a_partial_message(self):
        status, o, log = run_demo("--points", "1001")
        self.assertEqual(status, 2, log)
        self.assertIn("multiple of --points-per-message", log)
        self.assertIsNone(o)


if __name__ == "__main__":
    unittest.main(verbosity=2)

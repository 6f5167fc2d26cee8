#!/usr/bin/python3
"""kmeans-score's eval-location: the file of score documents.

Runs real pipelines (a training kmeans-train upstream) and checks that the
file holds one JSON line per interval or per model version, valid against
schemas/score.schema.json, with the values of the bus messages; that runs
append; and that a directory, a FIFO or a failing write is a clear error
and leaves only whole lines.

Environment: GST_PLUGIN_PATH_1_0 (the build's plugin folder) and
KMEANS_SOURCE_ROOT (for schemas/), as tests/meson.build sets them.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    import jsonschema
except (ImportError, ValueError) as exc:  # pragma: no cover
    print("SKIP: missing Python module: %s" % exc)
    sys.exit(77)

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# Only against a hang; no test depends on timing.
HANG_GUARD_SECONDS = 120
POINTS_PER_BUFFER = 64

Gst.init(None)

with open(os.path.join(SOURCE_ROOT, "schemas", "score.schema.json")) as f:
    SCORE_SCHEMA = jsonschema.Draft202012Validator(json.load(f))


def strict_json(text):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(token):
        raise ValueError("not JSON: %s" % token)
    return json.loads(text, parse_constant=refuse)


def message_to_json(structure):
    converter = Gst.ElementFactory.make("kmeans-format", None)
    return converter.emit("message-to-json", structure)


def training_pipeline(location, score_props="", buffers=20):
    """testsrc ! train (a step, so a new model version, every 3 buffers;
    the first batch initialises, init-size=0) ! score: every buffer ends a
    bus interval (interval-points), so each message covers the points of
    one buffer and one model version."""
    return ("kmeans-testsrc num-buffers=%d points-per-buffer=%d ! "
            "kmeans-train num-clusters=3 batch-size=%d seed=7 init-size=0 ! "
            "kmeans-score name=score eval-location=\"%s\" "
            "interval-points=%d %s ! fakesink"
            % (buffers, POINTS_PER_BUFFER, 3 * POINTS_PER_BUFFER, location,
               POINTS_PER_BUFFER, score_props))


def run(description):
    """Runs @description to EOS; returns the kmeans-score message
    structures, the score element's num-points, and the error (a GError
    and its debug text) if one ended the run instead."""
    pipeline = Gst.parse_launch(description)
    bus = pipeline.get_bus()
    messages, error = [], None
    pipeline.set_state(Gst.State.PLAYING)
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    try:
        while True:
            msg = bus.timed_pop(Gst.SECOND // 20)
            if msg is None:
                if time.monotonic() > deadline:
                    raise AssertionError("no EOS: %s" % description)
                continue
            if msg.type == Gst.MessageType.ERROR:
                error = msg.parse_error()
                break
            if (msg.type == Gst.MessageType.ELEMENT
                    and msg.get_structure().get_name() == "kmeans-score"):
                messages.append(msg.get_structure().copy())
            if msg.type == Gst.MessageType.EOS:
                break
        num_points = pipeline.get_by_name("score").get_property("num-points")
    finally:
        pipeline.set_state(Gst.State.NULL)
    return messages, num_points, error


def read_lines(testcase, path):
    """The file's documents; every line a whole, valid score document."""
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    testcase.assertTrue(data == "" or data.endswith("\n"), data[-200:])
    docs = []
    for line in data.splitlines():
        doc = strict_json(line)
        SCORE_SCHEMA.validate(doc)
        docs.append(doc)
    return data, docs


def scalar_fields(structure):
    return {
        "num_points": structure.get_uint64("num-points")[1],
        "skipped_points": structure.get_uint64("skipped-points")[1],
        "score": structure.get_double("score")[1],
        "mean": structure.get_double("mean")[1],
        "model_version": structure.get_uint64("model-version")[1],
        "final": structure.get_boolean("final")[1],
    }


class EvalLocationTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "eval.jsonl")

    def tearDown(self):
        self.tmp.cleanup()

    def test_per_model_version(self):
        messages, num_points, error = run(training_pipeline(
            self.path, "eval-per=model-version"))
        self.assertIsNone(error)
        _, docs = read_lines(self, self.path)

        # Group the per-buffer messages by version, in order.
        by_version = {}
        for s in messages:
            m = scalar_fields(s)
            if m["num_points"] == 0:
                continue        # the final message at EOS may be empty
            counts = strict_json(message_to_json(s))["cluster_counts"]
            acc = by_version.setdefault(m["model_version"], {
                "num_points": 0, "skipped_points": 0, "score": 0.0,
                "cluster_counts": [0] * len(counts)})
            acc["num_points"] += m["num_points"]
            acc["skipped_points"] += m["skipped_points"]
            acc["score"] += m["score"]
            acc["cluster_counts"] = [a + b for a, b in
                                     zip(acc["cluster_counts"], counts)]

        versions = [d["model_version"] for d in docs]
        self.assertGreater(len(docs), 2)
        self.assertEqual(versions, sorted(by_version))
        self.assertEqual(len(set(versions)), len(versions))
        self.assertEqual([d["final"] for d in docs],
                         [False] * (len(docs) - 1) + [True])
        self.assertEqual(sum(d["num_points"] for d in docs), num_points)
        for i, doc in enumerate(docs):
            want = by_version[doc["model_version"]]
            # A step every 3 buffers: 3 buffers per version; the first
            # model also covers the 3 buffers of the first batch, which
            # kmeans-train held for it.
            self.assertEqual(doc["num_points"],
                             (5 if i == 0 else 3) * POINTS_PER_BUFFER)
            self.assertEqual(doc["num_points"], want["num_points"])
            self.assertEqual(doc["skipped_points"], want["skipped_points"])
            self.assertEqual(doc["cluster_counts"], want["cluster_counts"])
            self.assertAlmostEqual(doc["score"], want["score"],
                                   delta=1e-9 * want["score"])
            self.assertAlmostEqual(doc["mean"],
                                   doc["score"] / doc["num_points"],
                                   delta=1e-12 * doc["mean"])
            self.assertEqual(doc["duration"],
                             doc["num_points"] * Gst.MSECOND)

    def test_per_interval_equals_messages(self):
        messages, _, error = run(training_pipeline(self.path))
        self.assertIsNone(error)
        data, docs = read_lines(self, self.path)
        self.assertGreater(len(messages), 2)
        # The same bytes kmeans-format makes of each bus message.
        self.assertEqual(data, "".join(message_to_json(s) for s in messages))
        for s, doc in zip(messages, docs):
            for key, value in scalar_fields(s).items():
                self.assertEqual(doc[key], value, key)

    def test_written_without_bus_messages(self):
        _, _, error = run(training_pipeline(self.path))
        self.assertIsNone(error)
        _, want = read_lines(self, self.path)
        os.unlink(self.path)
        messages, _, error = run(training_pipeline(self.path,
                                                   "post-messages=false"))
        self.assertIsNone(error)
        self.assertEqual(messages, [])
        _, docs = read_lines(self, self.path)
        self.assertEqual(docs, want)

    def test_runs_append(self):
        with open(self.path, "w") as f:
            f.write('{"type":"score","note":"an older line"}\n')
        for _ in range(2):
            _, _, error = run(training_pipeline(
                self.path, "eval-per=model-version", buffers=8))
            self.assertIsNone(error)
        with open(self.path) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], '{"type":"score","note":"an older line"}')
        docs = [strict_json(line) for line in lines[1:]]
        for doc in docs:
            SCORE_SCHEMA.validate(doc)
        half = len(docs) // 2
        self.assertGreater(half, 0)
        # The same seed and input: the second run repeats the first.
        self.assertEqual(docs[:half], docs[half:])
        self.assertTrue(docs[half - 1]["final"])

    def expect_open_error(self, location, words):
        messages, _, error = run(training_pipeline(location))
        self.assertIsNotNone(error, "no error for %s" % location)
        err, debug = error
        self.assertIn("eval-location", err.message)
        self.assertIn(words, debug)
        self.assertEqual(messages, [])

    def test_directory_refused(self):
        self.expect_open_error(self.tmp.name, "a directory")

    def test_fifo_refused(self):
        fifo = os.path.join(self.tmp.name, "fifo")
        os.mkfifo(fifo)
        # No reader: opening must not block.
        self.expect_open_error(fifo, "a FIFO")
        # With a reader: opened, then refused, nothing written to it.
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            self.expect_open_error(fifo, "a FIFO")
            # No writer left and nothing written: end of file.
            self.assertEqual(os.read(reader, 1), b"")
        finally:
            os.close(reader)

    def test_write_error(self):
        """A file size limit makes a write fail part way: the run ends in
        an error and the file keeps whole lines only."""
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))

        argv = ["gst-launch-1.0"] + training_pipeline(
            self.path, "eval-per=model-version").replace('"', "").split()
        proc = subprocess.run(argv, preexec_fn=limit_file_size,
                              capture_output=True, text=True,
                              timeout=HANG_GUARD_SECONDS)
        self.assertNotEqual(proc.returncode, 0)
        output = proc.stdout + proc.stderr
        self.assertIn("Could not write to eval-location", output)
        self.assertIn("the partial line was removed", output)
        _, docs = read_lines(self, self.path)
        self.assertGreater(len(docs), 0)
        self.assertLess(os.path.getsize(self.path), 1500)


if __name__ == "__main__":
    unittest.main(verbosity=2)

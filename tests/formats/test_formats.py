#!/usr/bin/python3
"""Text formats of gst-kmeans, end to end.

Runs real pipelines through kmeans-parse and kmeans-format and checks every
document they produce against the JSON Schemas in schemas/, and the values
against what went in (numpy).  Also checks the schemas themselves and their
example files.  Tests that need an element still being written (a stub) are
skipped, so the file works before and after they land.

Environment: GST_PLUGIN_PATH_1_0 (the build's plugin folder) and
KMEANS_SOURCE_ROOT (for schemas/), as tests/meson.build sets them.
"""

import csv
import glob
import io
import json
import os
import sys
import tempfile
import time
import unittest

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    import jsonschema
    import numpy as np
except (ImportError, ValueError) as exc:  # pragma: no cover
    print("SKIP: missing Python module: %s" % exc)
    sys.exit(77)

# A build without json-glib (-Djson=disabled) has a kmeans-parse that
# reads CSV only.
HAVE_JSON = os.environ.get("KMEANS_HAVE_JSON", "1") == "1"
NEEDS_JSON = unittest.skipUnless(HAVE_JSON, "kmeans-parse built without "
                                 "JSON support (-Djson=disabled)")

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCHEMAS = os.path.join(SOURCE_ROOT, "schemas")
EXAMPLES = os.path.join(SCHEMAS, "examples")
# Documents kmeans-format writes, by their "type".
DOCUMENT_TYPES = ("assignments", "points", "model", "score", "progress",
                  "checkpoint", "initialized", "converged", "model-loaded")
# Only against a hang; no test depends on timing.
HANG_GUARD_SECONDS = 120

Gst.init(None)


def load_schema(name):
    with open(os.path.join(SCHEMAS, name + ".schema.json")) as f:
        return json.load(f)


def validator(name):
    schema = load_schema(name)
    return jsonschema.Draft202012Validator(schema)


def strict_json(text):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(token):
        raise ValueError("not JSON: %s" % token)
    return json.loads(text, parse_constant=refuse)


def element_ready(name):
    factory = Gst.ElementFactory.find(name)
    return (factory is not None
            and factory.get_metadata("long-name") != "stub")


class Run:
    """What a pipeline produced: appsink buffers and converted messages."""

    def __init__(self):
        self.buffers = []       # (bytes, pts, duration)
        self.messages = []      # JSON text of bus element messages

    def texts(self):
        return [b.decode("utf-8") for b, _, _ in self.buffers]

    def documents(self, testcase):
        """Every buffer as one newline-terminated JSON document, checked
        against the schema of its type."""
        docs = []
        for text in self.texts():
            testcase.assertTrue(text.endswith("\n"), text)
            testcase.assertEqual(text.count("\n"), 1, text)
            doc = strict_json(text)
            check_document(testcase, doc)
            docs.append(doc)
        return docs


def check_document(testcase, doc):
    testcase.assertIn(doc.get("type"), DOCUMENT_TYPES, doc)
    validator(doc["type"]).validate(doc)
    if doc["type"] == "assignments":
        testcase.assertEqual(len(doc["cluster"]), doc["count"])
        testcase.assertEqual(len(doc["distance"]), doc["count"])
        for c in doc["cluster"]:
            testcase.assertTrue(0 <= c < doc["clusters"], doc)
    elif doc["type"] == "points":
        testcase.assertEqual(len(doc["points"]), doc["count"])
        for row in doc["points"]:
            testcase.assertEqual(len(row), doc["dimensions"])
    elif doc["type"] == "model":
        testcase.assertEqual(len(doc["centers"]), doc["clusters"])
        for row in doc["centers"]:
            testcase.assertEqual(len(row), doc["dimensions"])
        if doc["counts"] is not None:
            testcase.assertEqual(len(doc["counts"]), doc["clusters"])


def message_to_json(structure):
    """kmeans-format's message-to-json action signal."""
    converter = Gst.ElementFactory.make("kmeans-format", None)
    return converter.emit("message-to-json", structure)


def run_pipeline(description, feed=None):
    """Runs @description to EOS.  `src` (an appsrc) gets the buffers of
    @feed, `out` (an appsink, optional) collects; bus element messages are
    converted to JSON with kmeans-format's message-to-json."""
    pipeline = Gst.parse_launch(description)
    src = pipeline.get_by_name("src")
    out = pipeline.get_by_name("out")
    result = Run()
    bus = pipeline.get_bus()

    assert pipeline.set_state(Gst.State.PLAYING) != \
        Gst.StateChangeReturn.FAILURE, description
    if src is not None:
        for buf in feed or []:
            assert src.emit("push-buffer", buf) == Gst.FlowReturn.OK
        src.emit("end-of-stream")
    # appsink holds EOS back until its samples are pulled: pull while
    # watching the bus.
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    try:
        while True:
            if out is not None:
                sample = out.emit("try-pull-sample", Gst.SECOND // 20)
                if sample is not None:
                    buf = sample.get_buffer()
                    result.buffers.append((buf.extract_dup(0, buf.get_size()),
                                           buf.pts, buf.duration))
                    continue
            msg = bus.timed_pop(0 if out is not None else Gst.SECOND // 20)
            if msg is None:
                if time.monotonic() > deadline:
                    raise AssertionError("no EOS: %s" % description)
                continue
            if msg.type == Gst.MessageType.ERROR:
                err, debug = msg.parse_error()
                raise AssertionError("%s: %s (%s)" % (description,
                                                     err.message, debug))
            if msg.type == Gst.MessageType.ELEMENT:
                text = message_to_json(msg.get_structure())
                if text is not None:
                    result.messages.append(text)
            if msg.type == Gst.MessageType.EOS:
                break
    finally:
        pipeline.set_state(Gst.State.NULL)
    return result


def points_buffer(points, pts, duration):
    buf = Gst.Buffer.new_wrapped(np.ascontiguousarray(points).tobytes())
    buf.pts = pts
    buf.duration = duration
    return buf


def time_or_none(t):
    return None if t == Gst.CLOCK_TIME_NONE else t


def float32_equal(a, b):
    return np.float32(a) == np.float32(b)


# --------------------------------------------------------------- schemas


class SchemaFiles(unittest.TestCase):

    def schema_names(self):
        return sorted(os.path.basename(p)[:-len(".schema.json")]
                      for p in glob.glob(os.path.join(SCHEMAS,
                                                      "*.schema.json")))

    def schema_for_example(self, path):
        stem = os.path.basename(path)[:-len(".json")]
        return "parse-input" if stem.startswith("parse-input") else stem

    def test_schemas_are_valid_2020_12(self):
        names = self.schema_names()
        self.assertEqual(set(names),
                         set(DOCUMENT_TYPES) | {"parse-input"})
        for name in names:
            schema = load_schema(name)
            self.assertEqual(schema["$schema"],
                             "https://json-schema.org/draft/2020-12/schema")
            jsonschema.Draft202012Validator.check_schema(schema)

    def test_examples_validate(self):
        examples = sorted(glob.glob(os.path.join(EXAMPLES, "*.json")))
        covered = set()
        for path in examples:
            with open(path) as f:
                doc = strict_json(f.read())
            name = self.schema_for_example(path)
            with self.subTest(example=os.path.basename(path)):
                validator(name).validate(doc)
                if name != "parse-input":
                    self.assertEqual(doc["type"], name)
                    check_document(self, doc)
            covered.add(name)
        self.assertEqual(covered, set(self.schema_names()))

    def test_schemas_refuse_wrong_documents(self):
        """The schemas are strict: a missing, extra or mistyped field is
        an error, so a format change cannot slip through the tests."""
        with open(os.path.join(EXAMPLES, "assignments.json")) as f:
            good = strict_json(f.read())
        v = validator("assignments")
        bad = [dict(good, extra=1), dict(good, pts="0"),
               dict(good, cluster=[0.5]), dict(good, type="points"),
               {k: good[k] for k in good if k != "model_version"}]
        for doc in bad:
            with self.subTest(doc=doc):
                self.assertFalse(v.is_valid(doc))
        v = validator("parse-input")
        for doc in ([], [[]], [["1"]], {"points": [1]}, "1", [[1], 2]):
            with self.subTest(doc=doc):
                self.assertEqual(v.is_valid(doc), doc == [], doc)


# -------------------------------------------------------- kmeans-format


class FormatPoints(unittest.TestCase):

    def setUp(self):
        if not element_ready("kmeans-format"):
            self.skipTest("kmeans-format is not built yet")

    def test_float32_points_as_json(self):
        rng = np.random.default_rng(1)
        batches = [rng.normal(size=(5, 3)).astype(np.float32),
                   rng.normal(scale=1e6, size=(2, 3)).astype(np.float32)]
        batches[1][1, 2] = np.nan
        run = run_pipeline(
            "appsrc name=src format=time caps=application/x-points,"
            "format=F32LE,dimensions=3 ! kmeans-format ! "
            "appsink name=out sync=false",
            [points_buffer(b, i * Gst.SECOND, Gst.SECOND)
             for i, b in enumerate(batches)])
        docs = run.documents(self)
        self.assertEqual([d["type"] for d in docs], ["points", "points"])
        for i, (doc, batch) in enumerate(zip(docs, batches)):
            self.assertEqual(doc["pts"], i * Gst.SECOND)
            self.assertEqual(doc["duration"], Gst.SECOND)
            self.assertIsNone(doc["model_version"])
            self.assertEqual(doc["count"], len(batch))
            for row, expected in zip(doc["points"], batch):
                for value, x in zip(row, expected):
                    if np.isnan(x):
                        self.assertIsNone(value)
                    else:
                        self.assertTrue(float32_equal(value, x), (value, x))
        self.assertEqual([pts for _, pts, _ in run.buffers],
                         [0, Gst.SECOND])

    def test_float64_points_as_csv(self):
        rng = np.random.default_rng(2)
        batch = rng.normal(size=(4, 2))
        run = run_pipeline(
            "appsrc name=src format=time caps=application/x-points,"
            "format=F64LE,dimensions=2 ! kmeans-format format=csv ! "
            "appsink name=out sync=false",
            [points_buffer(batch, 7, Gst.CLOCK_TIME_NONE)])
        rows = list(csv.reader(io.StringIO("".join(run.texts()))))
        self.assertEqual(rows[0], ["pts", "x0", "x1"])
        self.assertEqual(len(rows), 1 + len(batch))
        for row, expected in zip(rows[1:], batch):
            self.assertEqual(row[0], "7")
            self.assertEqual([float(v) for v in row[1:]], list(expected))


class ParseRoundTrips(unittest.TestCase):

    def setUp(self):
        for name in ("kmeans-parse", "kmeans-format"):
            if not element_ready(name):
                self.skipTest("%s is not built yet" % name)

    def points_of(self, run):
        docs = run.documents(self)
        self.assertTrue(all(d["type"] == "points" for d in docs))
        return [row for d in docs for row in d["points"]]

    def test_csv_file_with_header_and_label(self):
        rng = np.random.default_rng(3)
        data = rng.normal(size=(500, 3))
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as f:
            f.write("label,a,b,c\n")
            for i, row in enumerate(data):
                f.write("p%d,%s\n" % (i, ",".join(repr(v) for v in row)))
            path = f.name
        try:
            # blocksize cuts lines across buffers.
            run = run_pipeline(
                "filesrc location=%s blocksize=97 ! text/csv ! "
                "kmeans-parse mode=lines columns=c,a ! kmeans-format ! "
                "appsink name=out sync=false" % path)
        finally:
            os.unlink(path)
        rows = self.points_of(run)
        self.assertEqual(len(rows), len(data))
        for row, expected in zip(rows, data):
            self.assertTrue(float32_equal(row[0], expected[2]))
            self.assertTrue(float32_equal(row[1], expected[0]))

    def expected_points(self, doc):
        """kmeans-parse's reading of a parse-input example."""
        if isinstance(doc, dict):
            doc = doc["point"]
            return [doc] if doc and not isinstance(doc[0], list) else doc
        if doc and not isinstance(doc[0], (list, dict)):
            return [doc]
        points = []
        for item in doc:
            points += self.expected_points(item) if isinstance(
                item, dict) else [item]
        return points

    @NEEDS_JSON
    def test_parse_input_examples(self):
        for path in sorted(glob.glob(os.path.join(EXAMPLES,
                                                  "parse-input-*.json"))):
            with self.subTest(example=os.path.basename(path)):
                with open(path) as f:
                    expected = self.expected_points(json.load(f))
                run = run_pipeline(
                    "filesrc location=%s ! application/json ! kmeans-parse "
                    "output-format=F64LE ! kmeans-format ! "
                    "appsink name=out sync=false" % path)
                self.assertEqual(self.points_of(run), expected)

    @NEEDS_JSON
    def test_format_output_parses_back(self):
        rng = np.random.default_rng(4)
        batches = [rng.normal(size=(n, 2)) for n in (3, 1, 4)]
        run = run_pipeline(
            "appsrc name=src format=time caps=application/x-points,"
            "format=F64LE,dimensions=2 ! kmeans-format ! "
            "kmeans-parse mode=lines field=points output-format=F64LE ! "
            "kmeans-format ! appsink name=out sync=false",
            [points_buffer(b, i, 1) for i, b in enumerate(batches)])
        docs = run.documents(self)
        self.assertEqual([d["pts"] for d in docs], [0, 1, 2])
        for doc, batch in zip(docs, batches):
            self.assertEqual(doc["points"], batch.tolist())


# --------------------------------------- with the other k-means elements


def nearest(centers, points):
    d = ((points[:, None, :].astype(np.float64)
          - centers[None, :, :].astype(np.float64)) ** 2).sum(axis=2)
    return d


class ModelAndAssignments(unittest.TestCase):

    def setUp(self):
        for name in ("kmeans-format", "kmeans-train", "kmeans-assign"):
            if not element_ready(name):
                self.skipTest("%s is not built yet" % name)

    def test_assignments_follow_the_model_documents(self):
        rng = np.random.default_rng(5)
        centers = np.array([[-10, 0], [10, 0], [0, 10]], dtype=np.float32)
        batches = [(centers[rng.integers(0, 3, 16)]
                    + rng.normal(size=(16, 2))).astype(np.float32)
                   for _ in range(12)]
        by_pts = {i * 1000: b for i, b in enumerate(batches)}
        run = run_pipeline(
            "appsrc name=src format=time caps=application/x-points,"
            "format=F32LE,dimensions=2 ! kmeans-train num-clusters=3 "
            "init=kmeans++ ! kmeans-assign ! kmeans-format ! "
            "appsink name=out sync=false",
            [points_buffer(b, pts, 1000) for pts, b in by_pts.items()])
        docs = run.documents(self)
        models = {}
        current = None
        assigned = 0
        for doc in docs:
            if doc["type"] == "model":
                self.assertEqual(doc["clusters"], 3)
                self.assertEqual(doc["metric"], "squared-euclidean")
                if current is not None:
                    self.assertGreater(doc["version"], current)
                current = doc["version"]
                models[current] = np.array(doc["centers"], dtype=np.float32)
                continue
            self.assertEqual(doc["type"], "assignments")
            # Every assignment names the model of the last model document.
            self.assertEqual(doc["model_version"], current)
            points = by_pts[doc["pts"]]
            self.assertEqual(doc["count"], len(points))
            dist = nearest(models[current], points)
            for i, (c, d) in enumerate(zip(doc["cluster"], doc["distance"])):
                best = dist[i].min()
                self.assertLessEqual(abs(d - best), 1e-4 * (1 + best))
                # Ties (to rounding) may go either way.
                self.assertLessEqual(dist[i][c] - best, 1e-4 * (1 + best))
            assigned += doc["count"]
        self.assertGreater(len(models), 1)
        self.assertGreater(assigned, 0)

    def test_assignments_as_csv(self):
        run = run_pipeline(
            "kmeans-testsrc num-buffers=5 points-per-buffer=10 ! "
            "kmeans-train num-clusters=2 ! kmeans-assign ! "
            "kmeans-format format=csv ! appsink name=out sync=false")
        rows = list(csv.reader(io.StringIO("".join(run.texts()))))
        self.assertEqual(rows[0], ["pts", "cluster", "distance"])
        self.assertGreater(len(rows), 1)
        for pts, cluster, distance in rows[1:]:
            self.assertTrue(pts.isdigit())
            self.assertIn(cluster, ("0", "1"))
            self.assertGreaterEqual(float(distance), 0)


class Messages(unittest.TestCase):

    def setUp(self):
        for name in ("kmeans-format", "kmeans-train", "kmeans-score",
                     "kmeans-testsrc"):
            if not element_ready(name):
                self.skipTest("%s is not built yet" % name)

    def test_bus_messages_as_json(self):
        fd, checkpoint = tempfile.mkstemp(suffix=".ckpt")
        os.close(fd)
        os.unlink(checkpoint)
        try:
            run = run_pipeline(
                "kmeans-testsrc num-buffers=40 points-per-buffer=16 seed=3 "
                "! kmeans-train num-clusters=3 progress-interval=1 "
                "checkpoint-location=%s checkpoint-interval=5 "
                "relative-tolerance=0.05 ! kmeans-score interval-points=64 "
                "! kmeans-format ! appsink name=out sync=false"
                % checkpoint)
            seen = set()
            for text in run.messages:
                self.assertTrue(text.endswith("\n"))
                doc = strict_json(text)
                check_document(self, doc)
                seen.add(doc["type"])
            self.assertTrue({"initialized", "progress", "checkpoint",
                             "score"} <= seen, seen)
            # In-band documents (kmeans-score's events, once it sends
            # them) must validate too.
            for doc in run.documents(self):
                self.assertIn(doc["type"], ("points", "model", "score"))

            if element_ready("kmeans-assign"):
                run = run_pipeline(
                    "kmeans-testsrc num-buffers=2 ! kmeans-assign "
                    "model-location=%s ! kmeans-format ! "
                    "appsink name=out sync=false" % checkpoint)
                loaded = [strict_json(t) for t in run.messages]
                self.assertIn("model-loaded", [d["type"] for d in loaded])
                for doc in loaded:
                    check_document(self, doc)
                for doc in run.documents(self):
                    self.assertIn(doc["type"], ("assignments", "model"))
        finally:
            if os.path.exists(checkpoint):
                os.unlink(checkpoint)

    def test_converged_message(self):
        run = run_pipeline(
            "kmeans-testsrc num-buffers=60 points-per-buffer=64 seed=1 "
            "clusters=2 ! kmeans-train num-clusters=2 mini-batch=false "
            "relative-tolerance=0.01 ! fakesink")
        converged = [strict_json(t) for t in run.messages
                     if '"type":"converged"' in t]
        self.assertEqual(len(converged), 1)
        check_document(self, converged[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""kmeans-checkpoint (tools/kmeans-checkpoint.c), end to end.

Runs the built tool as a process on real checkpoints: ones kmeans-train
writes in a gst-launch-1.0 pipeline, and ones the tool builds from centers
fitted by scikit-learn, which kmeans-assign then loads through
model-location.  Checks the values against numpy bit for bit, the JSON
export against schemas/model.schema.json, and that bad input (damaged
checkpoints, truncated or Fortran-order .npy, NaN in CSV, directories,
FIFOs) ends with exit status 1 and a message, usage mistakes with 2.

Environment (tests/tools/meson.build): KMEANS_CHECKPOINT_TOOL (the built
tool), GST_PLUGIN_PATH_1_0 (the build's plugins), KMEANS_SOURCE_ROOT.
"""

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

try:
    import jsonschema
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin
except ImportError as exc:  # pragma: no cover
    print("SKIP: missing Python module: %s" % exc)
    sys.exit(77)

TOOL = os.environ.get("KMEANS_CHECKPOINT_TOOL")
SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL_SCHEMA = os.path.join(SOURCE_ROOT, "schemas", "model.schema.json")
# Only against a hang; no test depends on timing.
HANG_GUARD_SECONDS = 120
ASSIGNMENT = np.dtype([("cluster", "<i4"), ("distance", "<f4")])


def tool(*args):
    return subprocess.run([TOOL] + [str(a) for a in args],
                          capture_output=True, text=True,
                          timeout=HANG_GUARD_SECONDS)


def gst_launch(description):
    proc = subprocess.run(["gst-launch-1.0", "-q"] + description.split(),
                          capture_output=True, text=True,
                          timeout=HANG_GUARD_SECONDS)
    if proc.returncode != 0:
        raise AssertionError("pipeline failed: %s\n%s%s" % (
            description, proc.stdout, proc.stderr))


def blobs(seed, n=3000, k=4, d=3):
    """n float32 points around k well separated centers."""
    rng = np.random.default_rng(seed)
    true_centers = rng.uniform(-20, 20, size=(k, d))
    labels = rng.integers(0, k, size=n)
    points = true_centers[labels] + rng.normal(0, 1.0, size=(n, d))
    return points.astype(np.float32)


def points_file(path, points):
    points.astype("<f4").tofile(path)
    return path


def points_source(path, d):
    # One buffer of 250 points (a whole number of rows) at a time.
    return ("filesrc location=%s blocksize=%d ! "
            "application/x-points,format=F32LE,dimensions=%d" %
            (path, 250 * d * 4, d))


def assign_with_checkpoint(workdir, points_path, d, ckpt):
    out = os.path.join(workdir, "assignments.bin")
    gst_launch("%s ! kmeans-assign model-location=%s ! filesink location=%s"
               % (points_source(points_path, d), ckpt, out))
    return np.fromfile(out, dtype=ASSIGNMENT)


def bits(a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    return a.view(np.uint32)


def assert_bit_equal(testcase, a, b):
    testcase.assertEqual(np.shape(a), np.shape(b))
    testcase.assertTrue(np.array_equal(bits(a), bits(b)),
                        "arrays differ:\n%r\n%r" % (a, b))


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


class ToolTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kmeans-ckpt-tool-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def assert_ok(self, proc):
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def assert_error(self, proc, *words):
        """Exit status 1 and one clear line on stderr, no crash."""
        self.assertEqual(proc.returncode, 1,
                         "rc %d: %s" % (proc.returncode, proc.stderr))
        self.assertTrue(proc.stderr.startswith("kmeans-checkpoint: "),
                        proc.stderr)
        for w in words:
            self.assertIn(w, proc.stderr)
        self.assertEqual(proc.stdout, "")

    def assert_no_temporaries(self):
        left = [n for n in os.listdir(self.dir) if ".tmp-" in n]
        self.assertEqual(left, [])

    def trained_checkpoint(self, points, k=4, extra=""):
        d = points.shape[1]
        src = points_file(self.path("train.f32"), points)
        ckpt = self.path("trained.ckpt")
        # The first buffer initialises (init-size=0): step n is buffer n+1.
        gst_launch("%s ! kmeans-train num-clusters=%d init=kmeans++ seed=3 "
                   "init-size=0 %s checkpoint-location=%s ! fakesink"
                   % (points_source(src, d), k, extra, ckpt))
        return ckpt

    def export_npy(self, ckpt, name="centers.npy", counts=None):
        out = self.path(name)
        args = ["export", ckpt, "--format", "npy", "-o", out]
        if counts is not None:
            args += ["--counts-npy", self.path(counts)]
        self.assert_ok(tool(*args))
        return np.load(out)

    def imported(self, centers, *extra, name="imported.ckpt"):
        src = self.path("in.npy")
        np.save(src, centers)
        ckpt = self.path(name)
        self.assert_ok(tool("import", "--centers", src, "-o", ckpt, *extra))
        return ckpt


class ShowTest(ToolTest):
    def test_show_text_and_json(self):
        ckpt = self.trained_checkpoint(blobs(1))
        text = self.assert_ok(tool("show", ckpt)).stdout
        for line in ("checksum:         valid", "clusters (k):     4",
                     "dimensions (d):   3", "metric:           squared-"
                     "euclidean", "mode:             mini-batch, 1 step "
                     "per sync", "init:             kmeans++",
                     "converged:        no", "seed:           3"):
            self.assertIn(line, text)
        info = json.loads(self.assert_ok(tool("show", "--json", ckpt)).stdout)
        self.assertEqual(info["checksum"], "valid")
        self.assertEqual((info["clusters"], info["dimensions"]), (4, 3))
        self.assertEqual(info["mode"], "mini-batch")
        self.assertEqual(info["steps_per_sync"], 1)
        self.assertTrue(info["initialized"])
        # 12 buffers: one for kmeans++, 11 training steps, each a version.
        self.assertEqual(info["step"], 11)
        self.assertEqual(info["model_version"], 12)
        self.assertEqual(info["config"]["seed"], 3)
        self.assertEqual(info["size"], os.path.getsize(ckpt))

    def test_show_full_batch_and_steps_per_sync(self):
        points = blobs(2)
        ckpt = self.trained_checkpoint(points, extra="mini-batch=false")
        info = json.loads(self.assert_ok(tool("show", "-j", ckpt)).stdout)
        self.assertEqual(info["mode"], "full-batch")
        ckpt = self.imported(points[:4], "--steps-per-sync", "5")
        info = json.loads(self.assert_ok(tool("show", "-j", ckpt)).stdout)
        self.assertEqual((info["mode"], info["steps_per_sync"]),
                         ("mini-batch", 5))
        self.assertEqual((info["step"], info["model_version"]), (0, 1))
        self.assertEqual(info["init"], "given")


class ExportTest(ToolTest):
    def test_npy_equals_csv_and_json(self):
        ckpt = self.trained_checkpoint(blobs(3))
        centers = self.export_npy(ckpt, counts="counts.npy")
        counts = np.load(self.path("counts.npy"))
        self.assertEqual(centers.dtype, np.float32)
        self.assertEqual(counts.dtype, np.float64)
        self.assertEqual(centers.shape, (4, 3))
        self.assertTrue(centers.flags.c_contiguous)

        csv = self.assert_ok(tool("export", ckpt, "--format", "csv",
                                  "--counts", "--header")).stdout
        self.assertTrue(csv.startswith("# x0,x1,x2,count\n"))
        table = np.loadtxt(csv.splitlines(), delimiter=",", ndmin=2)
        assert_bit_equal(self, table[:, :3].astype(np.float32), centers)
        self.assertTrue(np.array_equal(table[:, 3], counts))
        # 3000 points, 250 a buffer: the first buffer initialises.
        self.assertEqual(counts.sum(), 2750 + 4)

        doc = json.loads(self.assert_ok(tool("export", ckpt, "-f",
                                             "json")).stdout)
        assert_bit_equal(self, np.array(doc["centers"]), centers)
        self.assertEqual(doc["counts"], counts.tolist())

    def test_json_is_a_model_document(self):
        with open(MODEL_SCHEMA) as f:
            validator = jsonschema.Draft202012Validator(json.load(f))
        ckpt = self.trained_checkpoint(blobs(4))
        out = self.path("model.json")
        self.assert_ok(tool("export", ckpt, "--format", "json", "-o", out))
        with open(out) as f:
            text = f.read()
        self.assertTrue(text.endswith("}\n"))
        doc = json.loads(text)
        validator.validate(doc)
        info = json.loads(self.assert_ok(tool("show", "--json", ckpt)).stdout)
        self.assertEqual(doc["type"], "model")
        self.assertIsNone(doc["pts"])
        self.assertEqual(doc["version"], info["model_version"])
        self.assertEqual(doc["step"], info["model_step"])
        self.assertEqual((doc["clusters"], doc["dimensions"]), (4, 3))

    def test_output_replaced_whole_or_not_at_all(self):
        ckpt = self.trained_checkpoint(blobs(5))
        out = self.path("centers.csv")
        with open(out, "w") as f:
            f.write("previous\n")
        bad = self.path("bad.ckpt")
        shutil.copy(ckpt, bad)
        flip_byte(bad, 150)
        self.assert_error(tool("export", bad, "-f", "csv", "-o", out),
                          "checksum mismatch")
        with open(out) as f:
            self.assertEqual(f.read(), "previous\n")
        self.assert_ok(tool("export", ckpt, "-f", "csv", "-o", out))
        self.assertEqual(np.loadtxt(out, delimiter=",").shape, (4, 3))
        self.assert_no_temporaries()


class ImportTest(ToolTest):
    def test_float32_npy_round_trip_is_bit_exact(self):
        rng = np.random.default_rng(6)
        centers = rng.normal(0, 1e3, size=(7, 5)).astype(np.float32)
        centers[0, :3] = [np.float32(1e-38), np.float32(-3.4e38), -0.0]
        centers[1, 0] = np.nextafter(np.float32(1), np.float32(2))
        ckpt = self.imported(centers)
        assert_bit_equal(self, self.export_npy(ckpt), centers)
        csv = self.assert_ok(tool("export", ckpt, "-f", "csv")).stdout
        assert_bit_equal(self, np.loadtxt(csv.splitlines(), delimiter=",",
                                          dtype=np.float32), centers)

    def test_float64_and_big_endian_npy(self):
        centers = np.random.default_rng(7).normal(size=(3, 4))
        ckpt = self.imported(centers)
        assert_bit_equal(self, self.export_npy(ckpt),
                         centers.astype(np.float32))
        ckpt = self.imported(centers.astype(">f4"), name="be.ckpt")
        assert_bit_equal(self, self.export_npy(ckpt),
                         centers.astype(np.float32))

    def test_csv_export_imports_back(self):
        centers = np.random.default_rng(8).normal(size=(5, 2))
        ckpt = self.imported(centers.astype(np.float32))
        csv = self.path("centers.csv")
        self.assert_ok(tool("export", ckpt, "-f", "csv", "--header", "-o",
                            csv))
        again = self.path("again.ckpt")
        self.assert_ok(tool("import", "-c", csv, "-o", again))
        assert_bit_equal(self, self.export_npy(again),
                         centers.astype(np.float32))

    def test_counts(self):
        centers = np.arange(6, dtype=np.float32).reshape(3, 2)
        counts = np.array([1.5, 123456789.25, 0.0])
        np.save(self.path("counts.npy"), counts)
        ckpt = self.imported(centers, "--counts", self.path("counts.npy"))
        doc = json.loads(self.assert_ok(tool("export", ckpt, "-f",
                                             "json")).stdout)
        self.assertEqual(doc["counts"], counts.tolist())
        with open(self.path("counts.txt"), "w") as f:
            f.write("# cluster sizes\n7\n8, 9\n")
        ckpt = self.imported(centers, "--counts", self.path("counts.txt"),
                             name="text.ckpt")
        doc = json.loads(self.assert_ok(tool("export", ckpt, "-f",
                                             "json")).stdout)
        self.assertEqual(doc["counts"], [7, 8, 9])
        self.assert_error(tool("import", "-c", self.path("in.npy"), "-o",
                               self.path("x.ckpt"), "--counts",
                               self.path("in.npy")), "counts must be 3")

    def test_cosine_centers_are_stored_normalised(self):
        centers = np.array([[3, 4], [0, 2]], dtype=np.float32)
        ckpt = self.imported(centers, "--metric", "cosine")
        doc = json.loads(self.assert_ok(tool("export", ckpt, "-f",
                                             "json")).stdout)
        self.assertEqual(doc["metric"], "cosine")
        np.testing.assert_allclose(doc["centers"], [[0.6, 0.8], [0, 1]],
                                   rtol=1e-6)


class ScikitLearnTest(ToolTest):
    def test_sklearn_model_runs_in_a_pipeline(self):
        """fit in scikit-learn, np.save, import, kmeans-assign labels the
        points as KMeans.predict does."""
        points = blobs(9)
        km = KMeans(n_clusters=4, n_init=4, random_state=0).fit(points)
        ckpt = self.imported(km.cluster_centers_)
        src = points_file(self.path("points.f32"), points)
        records = assign_with_checkpoint(self.dir, src, 3, ckpt)
        self.assertEqual(len(records), len(points))
        self.assertTrue(np.array_equal(records["cluster"],
                                       km.predict(points)))
        c32 = km.cluster_centers_.astype(np.float32).astype(np.float64)
        want = ((points.astype(np.float64)[:, None, :] - c32[None]) ** 2
                ).sum(axis=2).min(axis=1)
        np.testing.assert_allclose(records["distance"], want, rtol=1e-4,
                                   atol=1e-3)

    def test_trained_checkpoint_matches_nearest_center(self):
        """train with a pipeline, export, label with numpy and scikit-learn:
        the same labels as kmeans-assign from the checkpoint."""
        points = blobs(10)
        ckpt = self.trained_checkpoint(points)
        centers = self.export_npy(ckpt)
        src = points_file(self.path("points.f32"), points)
        records = assign_with_checkpoint(self.dir, src, 3, ckpt)
        d2 = ((points[:, None, :].astype(np.float64)
               - centers[None].astype(np.float64)) ** 2).sum(axis=2)
        self.assertTrue(np.array_equal(records["cluster"], d2.argmin(axis=1)))
        self.assertTrue(np.array_equal(
            records["cluster"], pairwise_distances_argmin(points, centers)))
        # The learned centers are scikit-learn's fixed point, nearly.
        km = KMeans(n_clusters=4, init=centers, n_init=1).fit(points)
        np.testing.assert_allclose(km.cluster_centers_, centers, atol=0.1)

    def test_imported_checkpoint_resumes_training(self):
        points = blobs(11)
        km = KMeans(n_clusters=4, n_init=4, random_state=0).fit(points)
        sizes = np.bincount(km.labels_, minlength=4).astype(np.float64)
        np.save(self.path("sizes.npy"), sizes)
        ckpt = self.imported(km.cluster_centers_, "--counts",
                             self.path("sizes.npy"))
        src = points_file(self.path("points.f32"), points)
        gst_launch("%s ! kmeans-train num-clusters=4 checkpoint-location=%s "
                   "! fakesink" % (points_source(src, 3), ckpt))
        info = json.loads(self.assert_ok(tool("show", "--json", ckpt)).stdout)
        # Resumed at version 1, step 0: every buffer is a training step.
        self.assertEqual((info["step"], info["model_version"]), (12, 13))
        self.export_npy(ckpt, counts="counts.npy")
        counts = np.load(self.path("counts.npy"))
        self.assertEqual(counts.sum(), sizes.sum() + len(points))
        np.testing.assert_allclose(self.export_npy(ckpt),
                                   km.cluster_centers_, atol=0.1)


def readme_commands():
    """The kmeans-checkpoint lines of README.md's "Checkpoint tool"."""
    with open(os.path.join(SOURCE_ROOT, "README.md")) as f:
        text = f.read()
    section = text.split("\n## Checkpoint tool\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line.split("#", 1)[0]) for line in block.splitlines()
            if line.startswith("kmeans-checkpoint ")]


class ReadmeTest(ToolTest):
    def test_readme_commands_run(self):
        commands = readme_commands()
        self.assertGreaterEqual(len(commands), 5)
        shutil.copy(self.trained_checkpoint(blobs(12)), self.path("model.ckpt"))
        for argv in commands:
            proc = subprocess.run([TOOL] + argv[1:], cwd=self.dir,
                                  capture_output=True, text=True,
                                  timeout=HANG_GUARD_SECONDS)
            self.assertEqual(proc.returncode, 0, (argv, proc.stderr))
        assert_bit_equal(self, self.export_npy(self.path("copy.ckpt")),
                         np.load(self.path("centers.npy")))


class BadInputTest(ToolTest):
    def setUp(self):
        super().setUp()
        self.good = self.path("good.ckpt")
        self.assert_ok(tool("import", "-c", self.write_csv("good.csv",
                                                           "1,2\n3,4\n"),
                            "-o", self.good))

    def write_csv(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def test_corrupt_checkpoint(self):
        bad = self.path("bad.ckpt")
        shutil.copy(self.good, bad)
        flip_byte(bad, 0xba)  # past the 168-byte header of format 2
        for cmd in (["show", bad], ["show", "--json", bad],
                    ["export", bad, "-f", "csv"]):
            self.assert_error(tool(*cmd), "checksum mismatch")

    def test_truncated_and_foreign_checkpoint(self):
        with open(self.good, "rb") as f:
            data = f.read()
        with open(self.path("short.ckpt"), "wb") as f:
            f.write(data[:-5])
        self.assert_error(tool("show", self.path("short.ckpt")), "truncated")
        self.assert_error(tool("show", self.write_csv("c.csv", "1,2\n" * 60)),
                          "bad magic")

    def test_directory_and_fifo_as_file(self):
        self.assert_error(tool("show", self.dir), "directory")
        self.assert_error(tool("export", self.dir, "-f", "json"),
                          "directory")
        self.assert_error(tool("import", "-c", self.dir, "-o",
                               self.path("x.ckpt")), "directory")
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        self.assert_error(tool("show", fifo), "FIFO")
        self.assert_error(tool("import", "-c", fifo, "-o", self.path("x")),
                          "not a regular file")

    def test_non_regular_outputs_are_refused(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        sub = self.path("sub")
        os.mkdir(sub)
        for out in (fifo, sub):
            self.assert_error(tool("import", "-c", self.path("good.csv"),
                                   "-o", out), "not a regular file")
            self.assert_error(tool("export", self.good, "-f", "npy", "-o",
                                   out), "not a regular file")
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        self.assertEqual(os.listdir(sub), [])
        self.assert_no_temporaries()

    def npy_error(self, array_or_bytes, *words):
        path = self.path("bad.npy")
        if isinstance(array_or_bytes, bytes):
            with open(path, "wb") as f:
                f.write(array_or_bytes)
        else:
            np.save(path, array_or_bytes)
        out = self.path("out.ckpt")
        self.assert_error(tool("import", "--centers", path, "-o", out),
                          *words)
        self.assertFalse(os.path.exists(out))
        self.assert_no_temporaries()

    def test_bad_npy(self):
        good = np.arange(12, dtype=np.float32).reshape(4, 3)
        np.save(self.path("ok.npy"), good)
        with open(self.path("ok.npy"), "rb") as f:
            data = f.read()
        self.npy_error(data[:-1], "truncated")
        self.npy_error(data[:40], "truncated")
        self.npy_error(data + b"\0" * 4, "after the data")
        self.npy_error(np.asfortranarray(good.astype(np.float64)), "Fortran")
        self.npy_error(good.astype(np.int32), "dtype '<i4'")
        self.npy_error(good.astype(np.float16), "dtype '<f2'")
        self.npy_error(good.ravel(), "2-D")
        self.npy_error(np.zeros((0, 3), dtype=np.float32), "empty")
        self.npy_error(np.zeros((2, 2, 2), dtype=np.float32), "more than 2")
        nan = good.copy()
        nan[2, 1] = np.nan
        self.npy_error(nan, "row 2, column 1", "finite")
        self.npy_error(np.array([[1e300, 0.0]]), "finite")
        self.npy_error(b"\x93NUMPX" + data[6:], "bad magic")
        self.npy_error(data.replace(b"'descr'", b"'dexcr'"), "unexpected key")

    def test_bad_csv(self):
        out = self.path("out.ckpt")
        for text, words in (("1,2\n3,nan\n", ("nan", "finite")),
                            ("1,2\n3,inf\n", ("finite",)),
                            ("1,2\n3\n", ("values but the first",)),
                            ("1,x\n", ("not a number",)), ("", ("no centers",))):
            csv = self.write_csv("bad.csv", text)
            self.assert_error(tool("import", "-c", csv, "-o", out), *words)
            self.assertFalse(os.path.exists(out))
        self.assert_error(tool("import", "-c", self.good, "-o", out),
                          "is a checkpoint")

    def test_usage_errors_exit_2(self):
        for args in ([], ["frobnicate"], ["show"], ["show", "a", "b"],
                     ["show", "--bogus", self.good],
                     ["export", self.good],
                     ["export", self.good, "-f", "xml"],
                     ["export", self.good, "-f", "npy"],
                     ["export", self.good, "-f", "json", "--counts"],
                     ["import", "-c", "x.csv"],
                     ["import", "-c", "x.csv", "-o", "y", "-m", "manhattan"],
                     ["import", "-c", "x.csv", "-o", "y", "--steps-per-sync",
                      "0"]):
            proc = tool(*args)
            self.assertEqual(proc.returncode, 2, (args, proc.stderr))
            self.assertIn("kmeans-checkpoint", proc.stderr)

    def test_help(self):
        text = self.assert_ok(tool("--help")).stdout
        for cmd in ("show", "export", "import", "Exit status"):
            self.assertIn(cmd, text)
        for cmd, opts in (("show", ["--json"]),
                          ("export", ["--format", "--output", "--counts",
                                      "--counts-npy", "--header"]),
                          ("import", ["--centers", "--output", "--metric",
                                      "--counts", "--full-batch",
                                      "--steps-per-sync", "--seed"])):
            text = self.assert_ok(tool(cmd, "--help")).stdout
            for opt in opts:
                self.assertIn(opt, text)


if __name__ == "__main__":
    if not TOOL or not os.access(TOOL, os.X_OK):
        print("KMEANS_CHECKPOINT_TOOL does not name the built tool")
        sys.exit(1)
    unittest.main(verbosity=2)

"""Shared by the crash-safety tests: TAP output, reading a checkpoint file
on its own (schemas/checkpoint.md, independently of the C code), point
files, and running kmeans-train in a real gst-launch-1.0 process.

meson runs the tests with GST_PLUGIN_PATH_1_0 pointing at the build's
plugin; by hand, set KMEANS_BUILD_ROOT (default <repo>/build).
"""
import hashlib
import os
import struct
import subprocess
import sys

import numpy as np

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))))
BUILD_ROOT = os.environ.get("KMEANS_BUILD_ROOT",
                            os.path.join(SOURCE_ROOT, "build"))
PLUGIN_DIR = os.path.join(BUILD_ROOT, "plugin")
# Longest any single gst-launch-1.0 run may take before it counts as hung.
COMMAND_TIMEOUT = 120

HEADER_SIZE = 144  # the shortest: format 1
# (format version, header size) of the formats a trainer reads.
HEADER_SIZES = {(1, 144), (2, 168)}
DIGEST_SIZE = 32


class Tap:
    """TAP producer: ok / not ok lines, diagnostics, the plan at the end."""

    def __init__(self):
        self.count = 0
        self.failures = 0

    def result(self, passed, description, diagnostics=""):
        self.count += 1
        print("%s %d - %s" % ("ok" if passed else "not ok", self.count,
                              description))
        if not passed:
            self.failures += 1
            for line in str(diagnostics).splitlines()[-30:]:
                print("#   " + line[:300])
        sys.stdout.flush()
        return passed

    def skip(self, description, reason):
        self.count += 1
        print("ok %d - %s # SKIP %s" % (self.count, description, reason))
        sys.stdout.flush()

    def diag(self, text):
        for line in text.splitlines():
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.count)
        return 1 if self.failures else 0


class Checkpoint:
    """A checkpoint file checked against schemas/checkpoint.md."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.error = self._check()

    def _check(self):
        d = self.data
        if len(d) < HEADER_SIZE + DIGEST_SIZE:
            return "%d bytes, shorter than a header" % len(d)
        if d[:8] != b"GKMCKPT\0":
            return "bad magic"
        version, header_size, self.k, self.d = struct.unpack_from("<4I", d, 8)
        if (version, header_size) not in HEADER_SIZES:
            return "format version %d, header %d" % (version, header_size)
        self.flags, = struct.unpack_from("<I", d, 32)
        self.step, self.version = struct.unpack_from("<2Q", d, 72)
        # Format 2: the points gathered for initialisation follow.
        sample = 0
        if version >= 2:
            sample, = struct.unpack_from("<I", d, 160)
        copies = 2 if self.flags & 16 else 1
        size = (header_size + copies * (8 * self.k + 4 * self.k * self.d)
                + 4 * sample * self.d + DIGEST_SIZE)
        if len(d) != size:
            return "%d bytes but the header describes %d" % (len(d), size)
        if hashlib.sha256(d[:-DIGEST_SIZE]).digest() != d[-DIGEST_SIZE:]:
            return "checksum mismatch"
        return None

    @property
    def valid(self):
        return self.error is None


def make_points(path, n, d, k, seed):
    """n float32 points in d dimensions around k centers, deterministic."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10.0, 10.0, size=(k, d))
    points = centers[rng.integers(0, k, size=n)] + rng.normal(
        0.0, 1.0, size=(n, d))
    points.astype("<f4").tofile(path)
    return points.astype(np.float32)


def gst_env():
    env = dict(os.environ)
    env.setdefault("GST_PLUGIN_PATH_1_0", PLUGIN_DIR)
    # One BLAS thread: the same arithmetic in every run.
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def train_command(points, dimensions, batch_rows, checkpoint, extra=()):
    """gst-launch-1.0 training on a raw float32 file, one batch per
    buffer, checkpointing after every step, printing bus messages.  The
    first batch initialises (init-size=0, the estimator's rule), so step
    n is buffer n + 1."""
    return ["gst-launch-1.0", "-m",
            "filesrc", "location=" + points,
            "blocksize=%d" % (batch_rows * dimensions * 4), "!",
            "application/x-points,format=F32LE,dimensions=%d" % dimensions,
            "!", "kmeans-train", "num-clusters=8", "init=random", "seed=7", "init-size=0",
            "batch-size=%d" % batch_rows,
            "checkpoint-location=" + checkpoint, "checkpoint-interval=1",
            "progress-interval=1"] + list(extra) + ["!", "fakesink"]


def run(command, log, **kwargs):
    """Runs @command to completion with its output in @log; returns the
    exit status (None if it hung).  The output goes through a pipe, which
    a file size limit set for the command does not cut."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=gst_env(),
                              timeout=COMMAND_TIMEOUT, **kwargs)
        status, output = done.returncode, done.stdout
    except subprocess.TimeoutExpired as e:
        status, output = None, (e.stdout or b"") + b"\n(timed out)\n"
    with open(log, "wb") as out:
        out.write(output)
    return status


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def message_values(log_text, message, field):
    """The values of @field in the @message element messages printed by
    gst-launch-1.0 -m, in order."""
    values = []
    tag = "(element): %s, " % message
    key = " %s=(guint64)" % field
    for line in log_text.splitlines():
        if tag in line and key in line:
            value = line.split(key, 1)[1].split(",", 1)[0].split(";", 1)[0]
            values.append(int(value))
    return values


def temporary_files(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp-" in n)


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

"""Shared by the distributed-training tests: a kmeans-hub and a reference
kmeans-train run in this process (python3-gi), hub peers computing their
statistics with numpy (hubpeer.py), kmeans-hub / kmeans-worker pipelines as
real gst-launch-1.0 processes, scratch folders for ipc endpoints and files.

Every wait is bounded: a broken element fails a test, it never hangs it.
meson sets GST_PLUGIN_PATH_1_0 to the build's plugin; by hand, set
GST_PLUGIN_PATH (or KMEANS_BUILD_ROOT) yourself.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

import gi
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hubpeer  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

WAIT = 20.0         # seconds for something that should happen
HANG = 20.0         # seconds after which a stop counts as hung
ULP = 2.0 ** -23    # one float32 rounding, relative


def require_elements(*names):
    missing = [n for n in names if Gst.ElementFactory.find(n) is None]
    if missing:
        print("elements not found: %s (GST_PLUGIN_PATH set to the build?)"
              % ", ".join(missing), file=sys.stderr)
        sys.exit(1)


def have_worker():
    return Gst.ElementFactory.find("kmeans-worker") is not None


def free_tcp_port():
    """A port free now on 127.0.0.1 (for a process that binds it later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=WAIT, interval=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class ScratchTestCase(unittest.TestCase):
    """A test with a scratch folder (ipc endpoints, point files,
    checkpoints) removed afterwards."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kmdist-")
        self.peers = []
        self.procs = []
        self.pipelines = []

    def tearDown(self):
        for p in self.peers:
            p.close()
        for proc in self.procs:
            proc.kill()
        for p in self.pipelines:
            p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def ipc(self, name):
        return "ipc://%s/%s" % (self.dir, name)

    def path(self, name):
        return os.path.join(self.dir, name)

    def peer(self, endpoint, worker, d, **kw):
        p = hubpeer.Peer(endpoint, worker, d, **kw)
        self.peers.append(p)
        return p

    def pipeline(self, description):
        p = Pipeline(description)
        self.pipelines.append(p)
        return p

    def launch(self, description, **kw):
        proc = Launch(description, **kw)
        self.procs.append(proc)
        return proc

    def peer_process(self, endpoint, worker, *options):
        proc = PeerProcess(endpoint, worker, *options)
        self.procs.append(proc)
        return proc


# ---------------------------------------------------------------- values

def centers_arg(centers):
    """@centers as the text of an initial-centers-value property (values
    printed so that they read back as the same doubles)."""
    return "<%s>" % ",".join(
        "<%s>" % ",".join(repr(float(v)) for v in row) for row in centers)


def centers_of(element):
    return np.array([list(r) for r in element.get_property("centers")],
                    dtype=np.float64)


def counts_of(element):
    return np.array(list(element.get_property("counts")), dtype=np.float64)


def grid_points(rng, n, d, means):
    """Points on the grid of §10.2 (multiples of 1/64 below 64 in
    magnitude): every double addition of their sums is exact."""
    x = means[rng.integers(len(means), size=n)] + rng.normal(size=(n, d))
    return (np.clip(np.round(x * 64) / 64, -63, 63)).astype(np.float32)


def float_points(rng, n, d, means):
    x = means[rng.integers(len(means), size=n)] + rng.normal(size=(n, d))
    return x.astype(np.float32)


def normalised(x):
    """Rows as the core normalises them (§4.2): the sum of squares in
    double, the scale rounded to float32, the product in float32."""
    x = np.asarray(x, np.float32)
    ss = (x.astype(np.float64) ** 2).sum(1)
    scale = (1.0 / np.sqrt(np.maximum(ss, 1e-12))).astype(np.float32)
    return (x * scale[:, None]).astype(np.float32)


def assign(centers, points, metric=0):
    """Nearest centers (ties to the lowest index) and distances, §4."""
    c = np.asarray(centers, np.float32)
    x = np.asarray(points, np.float32)
    if metric == 1:
        xn, cn = normalised(x), normalised(c)
        dist = 1.0 - xn.astype(np.float64) @ cn.astype(np.float64).T
        dist = np.maximum(dist, 0.0)
    else:
        dist = ((x[:, None, :].astype(np.float64) - c[None]) ** 2).sum(2)
    idx = dist.argmin(1)
    return idx, dist[np.arange(len(x)), idx]


def stats_record(centers, batches, version, worker, round_, metric=0):
    """A KMSTATS record (schemas/stats.md) of @batches (a list of point
    arrays) assigned to @centers: what a worker sends after a round."""
    c = np.asarray(centers, np.float32)
    k, d = c.shape
    counts = np.zeros(k, "<f8")
    sums = np.zeros((k, d), "<f8")
    loss, points, nonempty = 0.0, 0, 0
    for b in batches:
        x = np.asarray(b, np.float32).reshape(-1, d)
        idx, dist = assign(c, x, metric)
        counts += np.bincount(idx, minlength=k)
        xs = normalised(x) if metric == 1 else x
        np.add.at(sums, idx, xs.astype(np.float64))
        loss += float(dist.sum())
        points += len(x)
        nonempty += 1 if len(x) else 0
    body = hubpeer.STATS_HDR.pack(b"KMSTATS\0", 1, k, d, metric, version,
                                  worker, 0, round_, points, nonempty, loss)
    body += counts.tobytes() + sums.tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def write_points(path, points):
    np.asarray(points, "<f4").tofile(path)


# -------------------------------------------------------------- peers

def join_all(peers, init_points=None):
    """HELLO from every peer, INIT from the first only (with
    @init_points), until each has a MODEL."""
    for p in peers:
        p.hello()
    pending = list(peers)
    sent_init = False
    end = time.monotonic() + WAIT
    while pending and time.monotonic() < end:
        for p in list(pending):
            got = p.recv(100)
            if got is None:
                continue
            kind, what = got
            if kind == hubpeer.REFUSED:
                raise AssertionError("worker %d refused: %s"
                                     % (p.worker, what))
            if kind == hubpeer.MODEL:
                pending.remove(p)
            elif kind == hubpeer.SEND_INIT and p is peers[0] and not sent_init:
                assert init_points is not None, "the hub wants init points"
                want = what[0]
                assert want <= len(init_points), (want, len(init_points))
                p.send(hubpeer.INIT, np.asarray(init_points[:want],
                                                "<f4").tobytes())
                sent_init = True
    assert not pending, "no model for workers %s" % [p.worker for p in pending]


def sync_round(peers, batches_per_peer, metric=0):
    """One synchronous round: every peer sends the statistics of its
    batches against its model, then waits for the next model (resending
    once a second as a worker does)."""
    bodies = []
    for p, batches in zip(peers, batches_per_peer):
        m = p.model
        body = stats_record(m["centers"], batches, m["version"], p.worker,
                            p.control["next_round"], metric)
        p.send(hubpeer.STATS, body)
        bodies.append(body)
    for p, body in zip(peers, bodies):
        kind, what = p.next_model(resend_body=body)
        assert kind == hubpeer.MODEL, what
    return bodies


# ------------------------------------------------------------ pipelines

class Pipeline:
    """A pipeline in this process, with its bus."""

    def __init__(self, description):
        self.description = description
        self.pipeline = Gst.parse_launch(description)
        self.bus = self.pipeline.get_bus()
        self.messages = []
        self.stopped = False

    def element(self, name):
        return self.pipeline.get_by_name(name)

    def play(self):
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, self.error()

    def error(self):
        msg = self.bus.pop_filtered(Gst.MessageType.ERROR)
        if msg is None:
            return None
        err, debug = msg.parse_error()
        return "%s (%s)" % (err.message, debug)

    def element_messages(self, name):
        """Structures of the element messages named @name posted so far."""
        while True:
            msg = self.bus.pop_filtered(Gst.MessageType.ELEMENT)
            if msg is None:
                break
            self.messages.append(msg.get_structure().copy())
        return [s for s in self.messages if s.get_name() == name]

    def wait_eos(self, timeout=WAIT):
        msg = self.bus.timed_pop_filtered(
            int(timeout * Gst.SECOND),
            Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert msg is not None, "no EOS within %g s" % timeout
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            raise AssertionError("%s (%s)" % (err.message, debug))

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.pipeline.set_state(Gst.State.NULL)


class Reference:
    """One kmeans-train fed from an appsrc, one buffer per step; without
    the rules the hub cannot apply to sums (docs/algorithm.md §2.6: no
    reassignment; the hub's init batch is its own init-size)."""

    def __init__(self, d, props, centers=None):
        self.d = d
        self.p = Pipeline(
            "appsrc name=src format=time caps=application/x-points,"
            "format=F32LE,dimensions=%d ! kmeans-train name=train "
            "init-size=0 reassignment-ratio=0 %s ! "
            "fakesink sync=false" % (d, props))
        self.train = self.p.element("train")
        self.src = self.p.element("src")
        if centers is not None:
            Gst.util_set_object_arg(self.train, "initial-centers-value",
                                    centers_arg(centers))
        self.fed = 0
        self.p.play()

    def feed(self, points):
        """Feeds one batch and waits until the trainer took it."""
        points = np.asarray(points, "<f4").reshape(-1, self.d)
        before = (self.train.get_property("points"),
                  self.train.get_property("model-version"))
        self.src.emit("push-buffer", Gst.Buffer.new_wrapped(points.tobytes()))
        self.fed += 1
        assert wait_until(lambda: (self.train.get_property("points"),
                                   self.train.get_property("model-version"))
                          != before), "kmeans-train did not take batch %d" % \
            self.fed
        err = self.p.error()
        assert err is None, err

    def state(self):
        t = self.train
        return dict(centers=centers_of(t), counts=counts_of(t),
                    version=t.get_property("model-version"),
                    steps=t.get_property("steps"))

    def stop(self):
        self.p.stop()


class Process:
    """A process whose output (stdout and stderr) a thread reads, so that
    it never blocks on a full pipe."""

    def __init__(self, args, env=None):
        self.args = list(args)
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})), start_new_session=True)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def output(self):
        with self.lock:
            return list(self.lines)

    def text(self):
        return "\n".join(self.output())

    def wait_line(self, predicate, timeout=WAIT, start=0):
        """Index of the first line from @start matching @predicate."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            lines = self.output()
            for i in range(start, len(lines)):
                if predicate(lines[i]):
                    return i
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        return None

    def signal(self, sig):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def wait(self, timeout=HANG):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGKILL)
        self.proc.wait(HANG)
        self.reader.join(HANG)
        self.proc.stdout.close()


class Launch(Process):
    """gst-launch-1.0 (-m: its messages on stdout) with @description, a
    string of space-separated arguments or a list of them."""

    def __init__(self, description, messages=True, env=None):
        args = ["gst-launch-1.0"] + (["-m"] if messages else ["-q"])
        args += description.split() if isinstance(description, str) \
            else list(description)
        super().__init__(args, env)


class PeerProcess(Process):
    """peerproc.py: a hubpeer worker in a process of its own."""

    def __init__(self, endpoint, worker, *options):
        super().__init__([sys.executable, os.path.join(HERE, "peerproc.py"),
                          endpoint, str(worker)] + [str(o) for o in options])

    def events(self, kind):
        """The values of its `kind ...` lines, as tuples of ints."""
        return [tuple(int(v) for v in line.split()[1:])
                for line in self.output() if line.startswith(kind + " ")]


def launch_messages(lines, name):
    """The element messages named @name in gst-launch -m output, as dicts
    of their fields."""
    out = []
    for line in lines:
        at = line.find(" (element): %s," % name)
        if at < 0:
            continue
        s = Gst.Structure.from_string(line[at + len(" (element): "):])[0]
        if s is not None:
            out.append({s.nth_field_name(i): s.get_value(s.nth_field_name(i))
                        for i in range(s.n_fields())})
    return out


def hub_messages(lines):
    return launch_messages(lines, "kmeans-hub")

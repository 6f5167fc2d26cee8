"""Helpers for the ZeroMQ integration tests: real pyzmq peers, real pipelines.

Every wait is bounded (a broken element fails a test, it never hangs it) and
no assertion depends on how fast anything runs: a test that must see
nothing watches for WATCH seconds while traffic is offered.
"""
import shutil
import struct
import sys
import tempfile
import threading
import time
import unittest

import gi
import numpy as np
import zmq

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

WAIT = 20.0      # seconds to wait for something that should happen
WATCH = 1.0      # seconds to watch for something that must not happen
POINTS_CAPS = "application/x-points,format=F32LE,dimensions=3"
HEADER = struct.Struct("<4sBBHIIQQQQQQ")
NONE = 2 ** 64 - 1


def require_plugin():
    if Gst.ElementFactory.find("kmzmqsrc") is None:
        print("kmzmqsrc not found: is GST_PLUGIN_PATH set to the build?",
              file=sys.stderr)
        sys.exit(1)


def rows(index, n=8, d=3):
    """The points of message @index: known to sender and receiver."""
    rng = np.random.default_rng(index)
    data = rng.normal(size=(n, d)).astype("<f4")
    data[0, 0] = index          # readable index, exact in float32
    return data


def index_of(payload, d=3):
    return int(np.frombuffer(payload, dtype="<f4", count=1)[0])


def parse_header(frame):
    (magic, version, flags, _, stream, caps_len, seq, pts, dts, duration,
     offset, offset_end) = HEADER.unpack_from(frame)
    assert magic == b"GZMQ" and version == 1, (magic, version)
    assert len(frame) == HEADER.size + caps_len, (len(frame), caps_len)
    return dict(flags=flags, stream=stream, seq=seq, pts=pts, dts=dts,
                duration=duration, offset=offset, offset_end=offset_end,
                caps=frame[HEADER.size:].decode())


class Endpoints:
    """A tcp endpoint with a free port or an ipc one in a scratch folder."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zmqtest-")

    def ipc(self, name):
        return "ipc://%s/%s" % (self.dir, name)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class PeerTestCase(unittest.TestCase):
    """A test whose plain pyzmq peers share self.ctx, with self.endpoints
    for their ipc endpoints; both go after each test."""

    def setUp(self):
        self.ctx = zmq.Context()
        self.endpoints = Endpoints()

    def tearDown(self):
        self.ctx.destroy(linger=0)
        self.endpoints.close()


def bind_any(sock, transport, endpoints, name="sock"):
    if transport == "tcp":
        sock.bind("tcp://127.0.0.1:*")
    else:
        sock.bind(endpoints.ipc(name))
    return sock.last_endpoint.decode()


class Pipeline:
    """A pipeline ending in `appsink name=out`, or without one."""

    def __init__(self, description):
        self.pipeline = Gst.parse_launch(description)
        self.sink = self.pipeline.get_by_name("out")
        self.bus = self.pipeline.get_bus()

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

    def check_no_error(self):
        err = self.error()
        assert err is None, err

    def pull(self, timeout=WAIT):
        """The next buffer's bytes and the sample, or (None, None)."""
        sample = self.sink.emit("try-pull-sample", int(timeout * Gst.SECOND))
        if sample is None:
            return None, None
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        assert ok
        data = bytes(info.data)
        buf.unmap(info)
        return data, sample

    def wait_eos(self, timeout=WAIT):
        msg = self.bus.timed_pop_filtered(
            int(timeout * Gst.SECOND),
            Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert msg is not None, "no EOS within %g s" % timeout
        assert msg.type == Gst.MessageType.EOS, self.error()

    def stats(self, name):
        return self.element(name).get_property("stats")

    def stop(self):
        start = time.monotonic()
        self.pipeline.set_state(Gst.State.NULL)
        return time.monotonic() - start


class Sender(threading.Thread):
    """Calls send(i) for i = 0, 1, ... until stopped (or @count sent)."""

    def __init__(self, send, count=0, interval=0.01):
        super().__init__(daemon=True)
        self.send, self.count, self.interval = send, count, interval
        self.stopping = threading.Event()
        self.sent = 0
        self.error = None

    def run(self):
        try:
            while not self.stopping.is_set() and (
                    self.count == 0 or self.sent < self.count):
                self.send(self.sent)
                self.sent += 1
                time.sleep(self.interval)
        except Exception as e:      # reported by stop()
            self.error = e

    def stop(self):
        self.stopping.set()
        self.join(WAIT)
        assert not self.is_alive(), "sender stuck"
        assert self.error is None, self.error


def wait_until(predicate, timeout=WAIT, interval=0.005):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def connected_peers(monitor, count, timeout=WAIT):
    """Reads a socket monitor until @count peers completed the ZeroMQ
    handshake (then a PUSH deals to all of them); returns how many did."""
    from zmq.utils.monitor import recv_monitor_message
    seen = 0
    end = time.monotonic() + timeout
    while seen < count and time.monotonic() < end:
        if monitor.poll(100):
            event = recv_monitor_message(monitor)
            if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                seen += 1
    return seen


def collect(pipelines, n, timeout=WAIT):
    """Pulls from every pipeline until @n buffers arrived in all (or the
    time is up); returns the message indices each one got."""
    got = [[] for _ in pipelines]
    end = time.monotonic() + timeout
    while sum(map(len, got)) < n and time.monotonic() < end:
        for which, p in enumerate(pipelines):
            data, _ = p.pull(timeout=0.01)
            if data is not None:
                got[which].append(index_of(data))
    return got


def main():
    require_plugin()
    unittest.main(verbosity=2)

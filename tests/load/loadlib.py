"""Helpers for the load tests: process memory, descriptor and thread counts,
gst-framed messages, and a flooding publisher run as its own process (so
that its send queue is not counted in the pipeline's memory).

Every loop is bounded in count and in time; endpoints are loopback only.
"""
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "zmq"))
from zmqtestlib import (HEADER, NONE, WAIT, WATCH, Endpoints,  # noqa: E402,F401
                        Pipeline, Gst, bind_any, require_plugin, rows,
                        index_of, wait_until)

MIB = 1024 * 1024
# Under AddressSanitizer (meson test --setup sanitizers preloads it) freed
# memory sits in a quarantine: RSS bounds mean nothing, only behaviour is
# checked.
MEMORY_CHECKED = "asan" not in os.environ.get("LD_PRELOAD", "")
FLAG_EOS = 1


def status_kib(field, pid="self"):
    """A VmXXX line of /proc/<pid>/status, in KiB."""
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def thread_count():
    return len(os.listdir("/proc/self/task"))


def header(seq, stream=0x10AD, caps="", flags=0):
    caps = caps.encode()
    return HEADER.pack(b"GZMQ", 1, flags, 0, stream, len(caps), seq,
                       NONE, NONE, NONE, NONE, NONE) + caps


def start_publisher(endpoint, dimensions, points, count, seconds):
    """A PUB process that binds @endpoint and sends gst-framed messages of
    @points x @dimensions float32 as fast as it can: @count messages or for
    @seconds, whichever ends first, then one every 50 ms until its stdin
    is closed.  It prints how many it sent in the flood and after."""
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "publish", endpoint,
         str(dimensions), str(points), str(count), str(seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _publish(endpoint, dimensions, points, count, seconds):
    import numpy as np
    import zmq
    ctx = zmq.Context()
    # XPUB: a PUB that sees the subscription, so the flood starts once
    # the subscriber is there (else PUB drops it all unseen).
    pub = ctx.socket(zmq.XPUB)
    pub.sndhwm = 16
    pub.bind(endpoint)
    if not pub.poll(WAIT * 1000):
        print("no subscriber", flush=True)
        sys.exit(1)
    pub.recv()
    caps = "application/x-points, format=(string)F32LE, dimensions=(int)%d" % (
        dimensions)
    payload = np.random.default_rng(1).normal(
        size=(points, dimensions)).astype("<f4").tobytes()
    sent = 0
    end = time.monotonic() + seconds
    while sent < count and time.monotonic() < end:
        pub.send_multipart([header(sent, caps=caps), payload], copy=False)
        sent += 1
    print("flood", sent, flush=True)
    # Then one message every 50 ms until stdin closes (at most WAIT s):
    # the first the subscriber gets after its queue drained shows the gap.
    import select
    tail = 0
    end = time.monotonic() + WAIT
    while time.monotonic() < end and not select.select([sys.stdin], [], [],
                                                       0.05)[0]:
        pub.send_multipart([header(sent + tail, caps=caps), payload])
        tail += 1
    print("tail", tail, flush=True)
    pub.close(linger=0)
    ctx.term()


if __name__ == "__main__" and sys.argv[1:2] == ["publish"]:
    _publish(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             int(sys.argv[5]), float(sys.argv[6]))

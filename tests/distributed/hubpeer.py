"""A kmeans-hub worker in Python (schemas/hub-protocol.md), for tests and
benchmarks: it proves the protocol can be spoken without the C code, and
lets a test misbehave on purpose (resend, lie about its shape, die)."""
import struct
import zlib

import numpy as np
import zmq

HDR = struct.Struct("<4sBBHII")
STATS_HDR = struct.Struct("<8sIIIIQIIQQQd")
HELLO, INIT, STATS, BYE = 1, 2, 3, 4
MODEL, SEND_INIT, REFUSED = 16, 17, 18
ANY = 0xFFFFFFFF


def header(kind, worker):
    return HDR.pack(b"KMHB", 1, kind, 0, worker, 0)


def read_model(buf):
    magic, fmt, k, d, metric, flags, _, version, step = struct.unpack_from(
        "<8sIIIIIIQQ", buf)
    assert magic == b"KMMODEL\0" and fmt == 1, magic
    assert zlib.crc32(buf[:-4]) == struct.unpack_from("<I", buf, len(buf) - 4)[0]
    centers = np.frombuffer(buf, "<f4", k * d, 48).reshape(k, d).copy()
    counts = (np.frombuffer(buf, "<f8", k, 48 + 4 * k * d).copy()
              if flags & 1 else None)
    return dict(k=k, d=d, metric=metric, version=version, step=step,
                centers=centers, counts=counts)


def stats_bytes(centers, points, version, worker, round_, metric=0):
    c = np.asarray(centers, np.float32)
    x = np.asarray(points, np.float32)
    k, d = c.shape
    dist = ((x[:, None, :].astype(np.float64) - c[None]) ** 2).sum(2)
    idx = dist.argmin(1)
    counts = np.bincount(idx, minlength=k).astype("<f8")
    sums = np.zeros((k, d), "<f8")
    np.add.at(sums, idx, x.astype(np.float64))
    loss = float(dist[np.arange(len(x)), idx].sum())
    body = STATS_HDR.pack(b"KMSTATS\0", 1, k, d, metric, version, worker, 0,
                          round_, len(x), 1 if len(x) else 0, loss)
    body += counts.tobytes() + sums.tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


class Peer:
    """One DEALER connection speaking as worker @worker."""

    def __init__(self, endpoint, worker, d, k=ANY, metric=ANY, curve=None):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            server_public, public, secret = curve
            self.sock.curve_serverkey = server_public
            self.sock.curve_publickey = public
            self.sock.curve_secretkey = secret
        self.sock.connect(endpoint)
        self.worker, self.d, self.k, self.metric = worker, d, k, metric
        self.model = None
        self.control = None

    def close(self):
        self.sock.close(0)
        self.ctx.term()

    def send(self, kind, *frames):
        self.sock.send_multipart([header(kind, self.worker), *frames])

    def hello(self):
        self.send(HELLO, struct.pack("<IIII", self.d, self.k, self.metric, 0))

    def recv(self, timeout_ms=5000):
        """(type, frames) of the next message, or None on timeout."""
        if not self.sock.poll(timeout_ms):
            return None
        head, *frames = self.sock.recv_multipart()
        magic, version, kind, flags, worker, _ = HDR.unpack(head)
        assert magic == b"KMHB" and version == 1, head
        if kind == MODEL:
            mode, interval, next_round, staleness, r1, r2 = struct.unpack(
                "<IIQIIQ", frames[0])
            self.control = dict(mode=mode, sync_interval=interval,
                                next_round=next_round, max_staleness=staleness)
            self.model = read_model(frames[1])
            return kind, self.model
        if kind == SEND_INIT:
            return kind, struct.unpack("<IIII", frames[0])
        if kind == REFUSED:
            return kind, frames[0].decode("utf-8", "replace")
        return kind, frames

    def wait_for(self, kinds, timeout_ms=10000, resend=None):
        """The next message of one of @kinds; @resend() is called each
        second without an answer."""
        waited = 0
        while waited < timeout_ms:
            got = self.recv(1000)
            if got is None:
                waited += 1000
                if resend:
                    resend()
                continue
            if got[0] in kinds:
                return got
        raise TimeoutError(f"worker {self.worker}: no {kinds} in {timeout_ms} ms")

    def join(self, init_points=None):
        """HELLO until a MODEL, answering SEND-INIT with @init_points."""
        self.hello()
        while True:
            kind, what = self.wait_for((MODEL, SEND_INIT, REFUSED),
                                       resend=self.hello)
            if kind == REFUSED:
                return kind, what
            if kind == MODEL:
                return kind, what
            want = what[0]
            pts = np.asarray(init_points[:want], "<f4")
            init_points = init_points[want:]
            self.send(INIT, pts.tobytes())

    def contribute(self, points, round_=None):
        """Sends the statistics of @points against the current model."""
        if round_ is None:
            round_ = self.control["next_round"]
        m = self.model
        body = stats_bytes(m["centers"], points, m["version"], self.worker,
                           round_)
        self.send(STATS, body)
        return body

    def next_model(self, resend_body=None, timeout_ms=20000):
        """Waits for a model newer than the current one."""
        version = self.model["version"]
        resend = (lambda: self.send(STATS, resend_body)) if resend_body else None
        waited = 0
        while waited < timeout_ms:
            kind, what = self.wait_for((MODEL, REFUSED), timeout_ms, resend)
            if kind == REFUSED:
                return kind, what
            if what["version"] > version:
                return kind, what
            waited += 1000
        raise TimeoutError("no newer model")

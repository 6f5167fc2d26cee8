#!/usr/bin/python3
"""One model, many pipelines: a hub, three workers and a remote assigner,
with a worker and the hub killed midway.

Starts, each as its own process on this machine (they would run the same
on many machines: only the endpoints change):

  publisher   this script: PUSHes 2-D blob points over ZeroMQ (raw
              framing), which ZeroMQ shares fairly among the workers
  hub         gst-launch-1.0 kmeans-hub endpoint=tcp://127.0.0.1:HUB
                  num-clusters=4 init=kmeans++ checkpoint-location=...
                  ! kmeans-format emit-model=true
                  ! kmzmqsink endpoint=tcp://127.0.0.1:MODELS framing=raw
  3 workers   gst-launch-1.0 kmzmqsrc endpoint=tcp://127.0.0.1:POINTS
                  socket-type=pull framing=raw caps=...
                  ! kmeans-worker endpoint=tcp://127.0.0.1:HUB worker-id=N
                  ! fakesink        (worker 1: ! kmzmqsink ...:ASSIGN)
  assigner    gst-launch-1.0 kmzmqsrc endpoint=tcp://127.0.0.1:ASSIGN
                  ! kmeans-assign ! kmeans-format ! fdsink
              (worker 1's points, each buffer with the global model as of
              that point in the stream)

and subscribes to the hub's model documents itself.  It kills worker 3
(SIGKILL) at --kill-worker-at, the hub at --kill-hub-at, restarts the hub
from its checkpoint two seconds later, and prints the model converging to
the true centers anyway.  Exits 0 when the final model is within
--tolerance of the true centers and the assigner used the model after the
hub's restart, 1 otherwise.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import zmq

TRUE_CENTERS = np.array([[-6, -6], [6, -6], [-6, 6], [6, 6]], np.float32)
CAPS = "application/x-points,format=F32LE,dimensions=2"


def parse_args():
    doc = __doc__.split("\n\n")
    ap = argparse.ArgumentParser(
        description=doc[0], epilog="\n\n".join(doc[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=20.0,
                    help="seconds to run (default %(default)s)")
    ap.add_argument("--kill-worker-at", type=float, default=6.0)
    ap.add_argument("--kill-hub-at", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=100,
                    help="messages of 256 points per second (default "
                    "%(default)s)")
    ap.add_argument("--tolerance", type=float, default=0.25,
                    help="largest distance allowed between a final center "
                    "and its true center (the blobs' spread is 1.0)")
    ap.add_argument("--build", default=os.environ.get(
        "KMEANS_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..",
                                         "build")))
    return ap.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Roles:
    def __init__(self, build):
        self.env = dict(os.environ)
        self.env["GST_PLUGIN_PATH"] = os.path.join(os.path.abspath(build),
                                                   "plugin")
        self.ports = {n: free_port() for n in ("points", "hub", "models",
                                               "assign")}
        self.dir = tempfile.mkdtemp(prefix="kmeans-dist-demo-")
        self.checkpoint = os.path.join(self.dir, "hub.ckpt")
        self.procs = {}

    def endpoint(self, name):
        return "tcp://127.0.0.1:%d" % self.ports[name]

    def launch(self, name, description, stdout=subprocess.DEVNULL):
        print("  %-9s gst-launch-1.0 %s" % (name, description))
        self.procs[name] = subprocess.Popen(
            ["gst-launch-1.0", "-q"] + description.split(), env=self.env,
            stdout=stdout, stderr=subprocess.PIPE, text=True)

    def start_hub(self):
        self.launch("hub",
                    "kmeans-hub endpoint=%s num-clusters=4 init=kmeans++ "
                    "init-size=512 seed=3 sync-timeout=1500 "
                    "checkpoint-location=%s ! kmeans-format emit-model=true "
                    "! kmzmqsink endpoint=%s framing=raw"
                    % (self.endpoint("hub"), self.checkpoint,
                       self.endpoint("models")))

    def start_worker(self, n):
        tail = ("kmzmqsink endpoint=%s" % self.endpoint("assign")
                if n == 1 else "fakesink")
        self.launch("worker%d" % n,
                    "kmzmqsrc endpoint=%s socket-type=pull framing=raw caps=%s "
                    "! kmeans-worker endpoint=%s worker-id=%d batch-size=1024 "
                    "! %s" % (self.endpoint("points"), CAPS,
                              self.endpoint("hub"), n, tail))

    def start_assigner(self):
        self.launch("assigner",
                    "kmzmqsrc endpoint=%s ! kmeans-assign ! kmeans-format ! "
                    "fdsink fd=1" % self.endpoint("assign"),
                    stdout=subprocess.PIPE)

    def kill(self, name):
        p = self.procs[name]
        p.send_signal(signal.SIGKILL)
        p.wait()

    def stop_all(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def publish(ctx, endpoint, rate, stop):
    """The points: blobs of spread 1 around TRUE_CENTERS, 256 a message."""
    sock = ctx.socket(zmq.PUSH)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDHWM, 50)
    sock.bind(endpoint)
    rng = np.random.default_rng(7)
    while not stop.is_set():
        labels = rng.integers(0, 4, 256)
        pts = TRUE_CENTERS[labels] + rng.standard_normal((256, 2)).astype(
            np.float32)
        try:
            sock.send(pts.astype("<f4").tobytes(), zmq.NOBLOCK)
        except zmq.Again:
            pass                        # no worker connected yet
        time.sleep(1.0 / rate)
    sock.close(0)


def center_error(centers):
    """Largest distance from a true center to the nearest model center."""
    c = np.asarray(centers, np.float64)
    d = np.sqrt(((TRUE_CENTERS[:, None, :] - c[None]) ** 2).sum(2))
    return float(d.min(1).max())


def read_assigner(proc, seen):
    for line in proc.stdout:
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if doc.get("type") == "assignments" and doc.get("model_version"):
            seen.append((time.monotonic(), doc["model_version"]))


def main():
    args = parse_args()
    roles = Roles(args.build)
    ctx = zmq.Context()
    stop = threading.Event()
    print("Starting (each a process of its own):")
    roles.start_hub()
    for n in (1, 2, 3):
        roles.start_worker(n)
    roles.start_assigner()
    publisher = threading.Thread(target=publish, daemon=True, args=(
        ctx, roles.endpoint("points"), args.rate, stop))
    publisher.start()
    assigned = []
    threading.Thread(target=read_assigner, daemon=True,
                     args=(roles.procs["assigner"], assigned)).start()

    models = ctx.socket(zmq.SUB)
    models.setsockopt(zmq.SUBSCRIBE, b"")
    models.connect(roles.endpoint("models"))
    print("true centers:", TRUE_CENTERS.tolist())
    t0 = time.monotonic()
    last_print, last = 0.0, None
    events = [(args.kill_worker_at, "kill worker3"),
              (args.kill_hub_at, "kill hub"),
              (args.kill_hub_at + 2.0, "restart hub")]
    hub_restarted_at = None
    while time.monotonic() - t0 < args.duration:
        now = time.monotonic() - t0
        while events and now >= events[0][0]:
            what = events.pop(0)[1]
            print("t=%4.1fs  --- %s ---" % (now, what), flush=True)
            if what == "kill worker3":
                roles.kill("worker3")
            elif what == "kill hub":
                roles.kill("hub")
            else:
                roles.start_hub()
                hub_restarted_at = time.monotonic()
        if models.poll(100):
            doc = json.loads(models.recv())
            if doc.get("type") == "model":
                last = doc
        if last is not None and now - last_print >= 1.0:
            last_print = now
            print("t=%4.1fs  model v%-5d step %-5d largest center error %.3f"
                  % (now, last["version"], last["step"],
                     center_error(last["centers"])), flush=True)
    stop.set()
    roles.stop_all()
    ctx.destroy(0)

    ok = last is not None and center_error(last["centers"]) <= args.tolerance
    after = [v for t, v in assigned if hub_restarted_at and t > hub_restarted_at]
    print("final model v%s, largest center error %.3f (tolerance %.2f)"
          % (last and last["version"], center_error(last["centers"])
             if last else float("nan"), args.tolerance))
    print("remote assigner: %d buffers assigned, %d after the hub's restart "
          "(model v%s)" % (len(assigned), len(after),
                           after[-1] if after else "-"))
    return 0 if ok and after else 1


if __name__ == "__main__":
    sys.exit(main())

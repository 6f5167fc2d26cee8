#!/usr/bin/python3
"""Sharded training on one machine: W kmeans-worker processes and one
kmeans-hub, on loopback.

For each run: every worker is a gst-launch-1.0 process reading its own shard
(filesrc, batch-size 4096, one thread: OPENBLAS_NUM_THREADS=1 and
KMEANS_THREADS=1), the hub runs in this
process (so its counters can be read at the end).  Printed per run:
points/s of all workers together, rounds/s, bytes per round received by the
hub, the hub's merge+apply time per round, and the hub's share of the time:
the CPU time of its thread (busy-time: reading, merging, applying,
answering) over the wall time, i.e. the fraction of one core it takes.  The baseline
is kmeans-train alone on the same points with one BLAS thread, measured in
the same run.

  /usr/bin/python3 bench/dist_scale.py [--build DIR] [--workload NAME]
      [--workers 1,2,4,8] [--sync-interval 1] [--points N] [--json OUT]
"""
import argparse
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kmbench  # noqa: E402  (the workloads and their data)

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

BATCH = 4096
EXEC_RE = re.compile(r"Execution ended after (\d+):(\d+):(\d+\.\d+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exec_seconds(text):
    m = EXEC_RE.search(text)
    if m is None:
        raise RuntimeError("no 'Execution ended' in:\n" + text[-2000:])
    h, mi, s = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(s)


def make_shards(points_file, n_total, d, w, out_dir):
    """@w files holding disjoint slices of the first @n_total points
    (repeating the data set when it is smaller)."""
    import numpy as np

    x = np.fromfile(points_file, dtype=np.float32).reshape(-1, d)
    reps = -(-n_total // len(x))
    if reps > 1:
        x = np.concatenate([x] * reps)
    x = x[:n_total]
    per = n_total // w
    files = []
    for i in range(w):
        f = os.path.join(out_dir, "shard-%d-of-%d.f32" % (i, w))
        x[i * per:(i + 1) * per].tofile(f)
        files.append((f, per))
    return files


class Hub:
    """kmeans-hub ! fakesink in this process, until stop()."""

    def __init__(self, endpoint, k, init_txt, sync_interval):
        self.pipeline = Gst.parse_launch(
            "kmeans-hub name=hub endpoint=%s num-clusters=%d init=file "
            "initial-centers=%s sync-interval=%d join-window=0 "
            "sync-timeout=30000 ! fakesink" % (endpoint, k, init_txt,
                                               sync_interval))
        self.hub = self.pipeline.get_by_name("hub")
        self.merge_ns = []
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::element", self.on_element)
        bus.connect("message::error", self.on_error)
        self.loop = GLib.MainLoop()
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.error = None

    def on_element(self, bus, msg):
        s = msg.get_structure()
        if s.get_name() == "kmeans-hub":
            self.merge_ns.append(s.get_value("merge-time"))

    def on_error(self, bus, msg):
        self.error = msg.parse_error()
        self.loop.quit()

    def start(self):
        self.thread.start()
        self.pipeline.set_state(Gst.State.PLAYING)
        self.pipeline.get_state(5 * Gst.SECOND)

    def stop(self):
        stats = {p: self.hub.get_property(p) for p in
                 ("rounds", "contributions", "points", "bytes-received",
                  "busy-time", "model-version", "dropped-messages", "stale")}
        self.pipeline.set_state(Gst.State.NULL)
        self.loop.quit()
        self.thread.join(5)
        return stats


def worker_cmd(shard, d, endpoint, wid):
    caps = "application/x-points,format=F32LE,dimensions=%d" % d
    return ["gst-launch-1.0", "filesrc", "location=" + shard,
            "blocksize=%d" % (BATCH * d * 4), "!", caps, "!",
            "kmeans-worker", "endpoint=" + endpoint, "worker-id=%d" % wid,
            "batch-size=%d" % BATCH, "post-messages=false", "!", "fakesink"]


def one_blas_thread_env(build_dir):
    env = kmbench.gst_env(build_dir)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["KMEANS_THREADS"] = "1"             # the core's own helpers too
    return env


def run_workers(name, build_dir, shards, w, sync_interval):
    n, d, k = kmbench.WORKLOADS[name]
    background = kmbench.wait_quiet(120, "W=%d" % w)
    p = kmbench.paths(os.path.join(build_dir, "bench", "data"), name)
    endpoint = "tcp://127.0.0.1:%d" % free_port()
    hub = Hub(endpoint, k, p["init_txt"], sync_interval)
    hub.start()
    env = one_blas_thread_env(build_dir)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    procs = [subprocess.Popen(worker_cmd(f, d, endpoint, i + 1), env=env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for i, (f, _) in enumerate(shards)]
    outs = [pr.communicate(timeout=600)[0] for pr in procs]
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats = hub.stop()
    if hub.error is not None or any(pr.returncode for pr in procs):
        raise RuntimeError("run failed: %s\n%s" % (hub.error, outs[0][-2000:]))
    execs = [exec_seconds(o) for o in outs]
    total = sum(per for _, per in shards)
    rounds = max(stats["rounds"], 1)
    merges = sorted(hub.merge_ns)
    return {
        "workers": w, "sync_interval": sync_interval, "points": total,
        "exec_s": execs, "wall_s": wall,
        "points_per_s": total / max(execs),
        "rounds": stats["rounds"], "rounds_per_s": stats["rounds"] / max(execs),
        "bytes_per_round": stats["bytes-received"] / rounds,
        "merge_us_median": merges[len(merges) // 2] / 1e3 if merges else 0,
        "hub_busy_share": stats["busy-time"] / 1e9 / max(execs),
        # Everything this process did: the hub's thread, ZeroMQ's I/O
        # thread, and the Python that hosts it (an upper bound).
        "hub_process_share": (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime
                              - cpu0.ru_stime) / wall,
        "hub_points": stats["points"], "stale": stats["stale"],
        "dropped": stats["dropped-messages"], "background_load": background,
    }


def run_train_alone(name, build_dir, shard, count):
    n, d, k = kmbench.WORKLOADS[name]
    p = kmbench.paths(os.path.join(build_dir, "bench", "data"), name)
    caps = "application/x-points,format=F32LE,dimensions=%d" % d
    cmd = ["gst-launch-1.0", "filesrc", "location=" + shard,
           "blocksize=%d" % (BATCH * d * 4), "!", caps, "!", "kmeans-train",
           "num-clusters=%d" % k, "init=file", "initial-centers=" + p["init_txt"],
           "batch-size=%d" % BATCH, "!", "fakesink"]
    out = subprocess.run(cmd, env=one_blas_thread_env(build_dir),
                         capture_output=True, text=True, timeout=600)
    secs = exec_seconds(out.stdout + out.stderr)
    return {"points": count, "exec_s": secs, "points_per_s": count / secs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build-bench"))
    ap.add_argument("--workload", default="embedding",
                    choices=sorted(kmbench.WORKLOADS))
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--sync-interval", type=int, default=1)
    ap.add_argument("--points", type=int, default=0,
                    help="points in all (default: 4x the workload's N)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs per configuration, the best kept")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    os.environ.update(kmbench.gst_env(build))
    Gst.init(None)
    data_dir = os.path.join(build, "bench", "data")
    n, d, k = kmbench.WORKLOADS[args.workload]
    total = args.points or 4 * n
    p = kmbench.ensure_data(args.workload, data_dir)
    results = {"workload": args.workload, "n": total, "d": d, "k": k,
               "runs": []}
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        one = make_shards(p["points"], total, d, 1, tmp)
        base = max((run_train_alone(args.workload, build, one[0][0], total)
                    for _ in range(args.repeat)),
                    key=lambda r: r["points_per_s"])
        results["train_alone"] = base
        print("kmeans-train alone (1 BLAS thread): %.3g points/s"
              % base["points_per_s"], flush=True)
        for w in [int(v) for v in args.workers.split(",")]:
            shards = one if w == 1 else make_shards(p["points"], total, d,
                                                    w, tmp)
            r = max((run_workers(args.workload, build, shards, w,
                                 args.sync_interval)
                     for _ in range(args.repeat)),
                    key=lambda r: r["points_per_s"])
            results["runs"].append(r)
            print("W=%d: %.3g points/s (%.2fx train alone), %.0f rounds/s, "
                  "%.0f bytes/round, merge+apply %.0f us/round, hub CPU "
                  "%.1f%% of one core (process, with ZeroMQ I/O: %.1f%%)" % (
                      w, r["points_per_s"],
                      r["points_per_s"] / base["points_per_s"],
                      r["rounds_per_s"], r["bytes_per_round"],
                      r["merge_us_median"], 100 * r["hub_busy_share"],
                      100 * r["hub_process_share"]),
                  flush=True)
            for f, _ in shards:
                if shards is not one:
                    os.unlink(f)
    w1 = [r for r in results["runs"] if r["workers"] == 1]
    w2 = [r for r in results["runs"] if r["workers"] == 2]
    if w1 and w2:
        results["speedup_2_vs_1"] = w2[0]["points_per_s"] / w1[0]["points_per_s"]
        print("2 workers / 1 worker: %.2fx" % results["speedup_2_vs_1"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Soak: the whole chain at full rate for N minutes, with flat memory.

    GST_PLUGIN_PATH=build/plugin /usr/bin/python3 bench/soak.py [MINUTES]

Runs, as its own process (gst-launch-1.0),

    kmeans-testsrc ! kmeans-train ! kmeans-score ! kmeans-assign
        ! kmeans-format format=csv ! kmzmqsink (PUB, gst framing, sync=false)

as fast as it goes, and reads it with a pyzmq SUB socket in this process.
Every SAMPLE seconds it prints the pipeline's VmRSS, the points received
(CSV rows) and the messages lost (gaps in the gst framing's sequence
numbers: the subscriber could not keep up).  At the end: points/s and the
RSS growth, max sample minus the first sample after warm-up.  Not a test:
it only measures (exit status 1 if the pipeline died).
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import zmq

HEADER = struct.Struct("<4sBBHIIQQQQQQ")   # schemas/zmq-framing.md
FLAG_EOS = 1


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pipeline_args(endpoint, args):
    return ["gst-launch-1.0", "-q",
            "kmeans-testsrc", "dimensions=%d" % args.dimensions,
            "clusters=%d" % args.k, "points-per-buffer=%d" % args.batch,
            "seed=1", "drift=1", "!",
            "kmeans-train", "num-clusters=%d" % args.k, "!",
            "kmeans-score", "!",
            "kmeans-assign", "!",
            "kmeans-format", "format=csv", "csv-header=false", "!",
            "kmzmqsink", "endpoint=" + endpoint, "sync=false"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("minutes", nargs="?", type=float, default=10.0)
    ap.add_argument("--sample", type=float, default=10.0,
                    help="seconds between RSS samples (default 10)")
    ap.add_argument("--dimensions", type=int, default=8)
    ap.add_argument("-k", type=int, default=16)
    ap.add_argument("--batch", type=int, default=1024,
                    help="points per buffer (default 1024)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="samples before the RSS baseline (default 1)")
    args = ap.parse_args()

    folder = tempfile.mkdtemp(prefix="kmeans-soak-")
    endpoint = "ipc://%s/soak" % folder
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVHWM, 100000)
    proc = subprocess.Popen(pipeline_args(endpoint, args))
    print("pipeline pid %d: %s" % (proc.pid,
                                   " ".join(pipeline_args(endpoint, args))))
    sub.connect(endpoint)

    points = messages = lost = 0
    last_seq = None
    samples = []
    start = time.monotonic()
    end = start + args.minutes * 60
    next_sample = start
    alive = True
    try:
        while True:
            now = time.monotonic()
            if now >= next_sample:
                if proc.poll() is not None:
                    alive = False
                    break
                kib = rss_kib(proc.pid)
                samples.append((now - start, kib, points))
                print("t=%6.0f s  rss=%7d KiB  points=%12d  messages=%9d"
                      "  lost=%d" % (now - start, kib, points, messages, lost),
                      flush=True)
                next_sample += args.sample
            if now >= end:
                break
            if not sub.poll(100):
                continue
            while True:     # drain what is there without polling each one
                try:
                    frames = sub.recv_multipart(zmq.NOBLOCK, copy=True)
                except zmq.Again:
                    break
                seq = HEADER.unpack_from(frames[0])[6]
                if last_seq is not None and seq > last_seq + 1:
                    lost += seq - last_seq - 1
                last_seq = seq
                messages += 1
                for payload in frames[1:]:
                    points += payload.count(b"\n")
    except KeyboardInterrupt:
        pass
    finally:
        elapsed = time.monotonic() - start
        if proc.poll() is None:
            proc.terminate()
            proc.wait(20)
        sub.close(0)
        ctx.term()
        shutil.rmtree(folder, ignore_errors=True)

    if not alive:
        print("the pipeline exited early with status %s" % proc.returncode)
    base = samples[min(args.warmup, len(samples) - 1)][1] if samples else 0
    top = max(s[1] for s in samples) if samples else 0
    print("duration %.0f s, %d points received, %.0f points/s, "
          "%d messages lost by the subscriber" % (
              elapsed, points, points / elapsed if elapsed else 0, lost))
    print("RSS: first %d KiB, after warm-up %d KiB, max %d KiB, last %d KiB; "
          "max growth after warm-up %d KiB" % (
              samples[0][1] if samples else 0, base, top,
              samples[-1][1] if samples else 0, top - base))
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""1000 NULL -> PLAYING -> NULL cycles of a ZeroMQ pipeline leak nothing.

    kmzmqsrc (PULL, bind) ! kmeans-train ! kmeans-assign ! kmzmqsink (PUB, bind)

In every DATA_EVERY-th cycle a pyzmq PUSH peer sends points and a pyzmq
SUB peer waits for the assignments to come out; the other cycles stop a
pipeline that never got data (still prerolling).  The file descriptors
(/proc/self/fd), threads (/proc/self/task) and VmRSS after a warm-up must
not grow by the end (RSS: a few MiB allowance for malloc's caches).
"""
import os
import time
import unittest

import numpy as np
import zmq

from loadlib import (MEMORY_CHECKED, WAIT, Endpoints, Gst, Pipeline, fd_count,
                     require_plugin, status_kib, thread_count, wait_until)

CYCLES = int(os.environ.get("KMEANS_STATE_CYCLES", "1000"))
WARMUP = 50
DATA_EVERY = 10
RSS_ALLOWANCE_KIB = 4 * 1024
CAPS = "application/x-points,format=F32LE,dimensions=3"


class StateCyclesTest(unittest.TestCase):

    def test_cycles(self):
        endpoints = Endpoints()
        points_in = endpoints.ipc("in")
        results_out = endpoints.ipc("out")
        p = Pipeline(
            "kmzmqsrc name=src endpoint=%s bind=true socket-type=pull "
            "framing=raw caps=%s linger=0 ! "
            "kmeans-train num-clusters=2 post-messages=false ! "
            "kmeans-assign ! kmzmqsink name=sink endpoint=%s linger=0 "
            "sync=false" % (points_in, CAPS, results_out))
        ctx = zmq.Context()
        push = ctx.socket(zmq.PUSH)
        push.linger = 0
        push.connect(points_in)
        sub = ctx.socket(zmq.SUB)
        sub.linger = 0
        sub.subscribe(b"")
        sub.connect(results_out)
        payload = np.random.default_rng(0).normal(
            size=(8, 3)).astype("<f4").tobytes()
        samples = {}
        delivered = 0
        start = time.monotonic()
        try:
            for cycle in range(CYCLES):
                if cycle == WARMUP:
                    samples["warm"] = self.sample()
                ret = p.pipeline.set_state(Gst.State.PLAYING)
                self.assertNotEqual(ret, Gst.StateChangeReturn.FAILURE,
                                    p.error())
                if cycle % DATA_EVERY == 0:
                    delivered += self.exchange(push, sub, payload)
                p.pipeline.set_state(Gst.State.NULL)
                p.check_no_error()
            elapsed = time.monotonic() - start
            # Idle pool threads may take a moment to exit (bounded).
            warm = samples["warm"]
            wait_until(lambda: thread_count() <= warm[1], timeout=WAIT,
                       interval=0.1)
            end = self.sample()
            print("%d cycles in %.1f s, %d with data (all delivered: %d); "
                  "fds %d -> %d, threads %d -> %d, VmRSS %d -> %d KiB "
                  "(+%d KiB)" % (CYCLES, elapsed, CYCLES // DATA_EVERY,
                                 delivered, warm[0], end[0], warm[1], end[1],
                                 warm[2], end[2], end[2] - warm[2]))
            self.assertEqual(delivered, (CYCLES + DATA_EVERY - 1)
                             // DATA_EVERY)
            self.assertLessEqual(end[0], warm[0], "file descriptors leak")
            self.assertLessEqual(end[1], warm[1], "threads leak")
            if MEMORY_CHECKED:
                self.assertLess(end[2] - warm[2], RSS_ALLOWANCE_KIB,
                                "memory grows")
        finally:
            p.pipeline.set_state(Gst.State.NULL)
            push.close(0)
            sub.close(0)
            ctx.term()
            endpoints.close()

    @staticmethod
    def sample():
        return fd_count(), thread_count(), status_kib("VmRSS")

    def exchange(self, push, sub, payload):
        """Sends points until assignments come out (the peers reconnect
        to the rebound endpoints by themselves); 1 if they did."""
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            try:
                push.send(payload, zmq.NOBLOCK)
            except zmq.Again:   # not reconnected yet
                pass
            if sub.poll(50):
                frames = sub.recv_multipart()
                while sub.poll(0):      # the rest of this cycle's output
                    sub.recv_multipart()
                return 1 if len(frames) >= 2 else 0
        return 0


if __name__ == "__main__":
    require_plugin()
    unittest.main(verbosity=2)

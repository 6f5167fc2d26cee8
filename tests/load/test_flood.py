#!/usr/bin/python3
"""A publisher floods kmzmqsrc far faster than kmeans-train can train.

The pipeline (in this process) must keep running, count what ZeroMQ drops
(gaps in the gst framing's sequence numbers on SUB), and its memory must
stay bounded by the receive high-water mark times the message size, not
grow with what was offered.  The publisher is a separate process, so its
own send queue is not in our RSS.  No assertion depends on speed: the flood
offers COUNT messages (at most SECONDS), and a memory bound is a size.
"""
import threading
import time
import unittest

from loadlib import (MEMORY_CHECKED, MIB, WAIT, Endpoints, Pipeline, Gst,
                     require_plugin, start_publisher, status_kib, wait_until)

D = 64
POINTS = 4096                   # 1 MiB per message
MESSAGE = POINTS * D * 4
K = 4096                        # 2 GFLOP per training step
HWM = 8
COUNT = 4000                    # offered: 4 GiB, 500 x the high-water mark
SECONDS = 8.0


def counted(src):
    stats = src.get_property("stats")
    return stats.get_value("messages-in") + stats.get_value("dropped")


class RssSampler(threading.Thread):
    """The peak VmRSS of this process, sampled every 10 ms until stop()."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.peak = 0

    def run(self):
        while not self.stopping.wait(0.01):
            self.peak = max(self.peak, status_kib("VmRSS"))

    def stop(self):
        self.stopping.set()
        self.join(WAIT)
        return max(self.peak, status_kib("VmRSS"))


class FloodTest(unittest.TestCase):

    def test_flood_bounded(self):
        endpoints = Endpoints()
        endpoint = endpoints.ipc("flood")
        p = Pipeline(
            "kmzmqsrc name=src endpoint=%s receive-hwm=%d ! "
            "kmeans-train name=train num-clusters=%d post-messages=false ! "
            "fakesink sync=false" % (endpoint, HWM, K))
        publisher = None
        try:
            p.play()        # prerolls on the first message
            base = status_kib("VmRSS")
            publisher = start_publisher(endpoint, D, POINTS, COUNT, SECONDS)
            peak = base
            # The flood lasts at most SECONDS; RSS is sampled meanwhile
            # by a thread (reading the pipe blocks).
            sampler = RssSampler()
            sampler.start()
            sent = int(publisher.stdout.readline().split()[1])
            # Wait until a tail message arrived after the whole flood: then
            # every flood message was either received or counted dropped.
            src = p.element("src")
            self.assertTrue(wait_until(
                lambda: counted(src) > sent, timeout=WAIT),
                "no message got through after the flood")
            publisher.stdin.close()
            publisher.wait(WAIT)
            tail = int(publisher.stdout.readline().split()[1])
            peak = max(base, sampler.stop())
            stats = p.stats("src")
            received = stats.get_value("messages-in")
            dropped = stats.get_value("dropped")
            steps = p.element("train").get_property("steps")
            print("flood: offered %d messages of %d KiB (%d MiB), received "
                  "%d, dropped (sequence gaps) %d, pushed %d, train steps "
                  "%d; RSS %d KiB before, peak %d KiB (+%d KiB)"
                  % (sent, MESSAGE // 1024, sent * MESSAGE // MIB, received,
                     dropped, stats.get_value("messages-out"), steps, base,
                     peak, peak - base))
            p.check_no_error()
            self.assertEqual(p.pipeline.get_state(WAIT * Gst.SECOND)[1],
                             Gst.State.PLAYING)
            self.assertGreater(received, 0)
            self.assertGreater(steps, 0)
            self.assertEqual(stats.get_value("malformed"), 0)
            # Most of the flood was dropped, and counted.
            self.assertLess(received, sent // 2, "the flood was not a flood")
            self.assertGreater(dropped, 0)
            # The publisher waited for the subscription, so the first
            # message was sequence 0: every message up to the last one
            # received is received or counted as dropped.
            self.assertGreater(received + dropped, sent)
            self.assertLessEqual(received + dropped, sent + tail)
            # Memory: the SUB queue (HWM), what ZeroMQ's decoder and the
            # streaming thread hold (a few messages), the model, malloc's
            # slack.  Unbounded queuing would be gigabytes.
            bound = (4 * HWM * MESSAGE + 8 * K * D * 4) // 1024 + 64 * 1024
            if MEMORY_CHECKED:
                self.assertLess(peak - base, bound,
                                "RSS grew %d KiB, bound %d KiB" % (
                                    peak - base, bound))
        finally:
            if publisher is not None and publisher.poll() is None:
                publisher.kill()
                publisher.wait()
            if publisher is not None:
                publisher.stdin.close()
                publisher.stdout.close()
            p.stop()
            endpoints.close()


if __name__ == "__main__":
    require_plugin()
    unittest.main(verbosity=2)

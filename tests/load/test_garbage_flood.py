#!/usr/bin/python3
"""A peer floods kmzmqsrc with malformed messages: random bytes, truncated
headers, and the same malformed caps over and over.  Every one is dropped
and counted as malformed, the stream goes on (a good message afterwards
comes out), nothing is posted on the bus, and memory does not grow with
the number of messages (GStreamer 1.22 leaks on some malformed caps
strings; kmzmqsrc parses a rejected caps string once, not per message).
"""
import unittest

import numpy as np
import zmq

from loadlib import (MEMORY_CHECKED, WAIT, Endpoints, Pipeline, header,
                     require_plugin, rows, status_kib, wait_until)

CAPS = "application/x-points, format=(string)F32LE, dimensions=(int)3"
BAD_CAPS = "application/x-points, format=(string){ F32LE, dimensions=(int)3"
COUNT = 60000           # per kind of garbage
GROWTH_KIB = 8 * 1024   # GStreamer 1.22 leaks ~17 MiB per 60000 such parses


class GarbageFloodTest(unittest.TestCase):

    def test_garbage_flood(self):
        ctx = zmq.Context()
        endpoints = Endpoints()
        p = Pipeline("kmzmqsrc name=src endpoint=%s bind=true socket-type=pull "
                     "! appsink name=out sync=false max-buffers=1 drop=true"
                     % endpoints.ipc("garbage"))
        push = ctx.socket(zmq.PUSH)
        # Bounded queues (the sender is in this process): sending waits
        # for kmzmqsrc to read, at most WAIT s per message.
        push.sndhwm = 1000
        push.sndtimeo = int(WAIT * 1000)
        rng = np.random.default_rng(7)
        noise = [rng.bytes(int(n)) for n in rng.integers(1, 200, 256)]
        try:
            p.play()
            push.connect(p.element("src").get_property("last-endpoint"))
            payload = rows(0).tobytes()
            # Warm-up: the first bad caps are parsed once (and may leak once).
            push.send_multipart([header(0, caps=BAD_CAPS), payload])
            src = p.element("src")
            self.assertTrue(wait_until(
                lambda: p.stats("src").get_value("malformed") == 1))
            # Two rounds: the first warms up malloc and ZeroMQ's queues,
            # the second must not grow.
            self.flood(push, p, payload, noise, 0)
            base = status_kib("VmRSS")
            self.flood(push, p, payload, noise, 1)
            stats = src.get_property("stats")
            growth = status_kib("VmRSS") - base
            print("%d malformed messages: malformed %d, messages-out %d, "
                  "VmRSS +%d KiB" % (2 * 3 * COUNT + 1,
                                     stats.get_value("malformed"),
                                     stats.get_value("messages-out"), growth))
            self.assertEqual(stats.get_value("malformed"),
                             2 * 3 * COUNT + 1)
            self.assertEqual(stats.get_value("messages-out"), 2)
            p.check_no_error()
            if MEMORY_CHECKED:
                self.assertLess(growth, GROWTH_KIB)
        finally:
            p.stop()
            push.close(0)
            ctx.term()
            endpoints.close()

    def flood(self, push, p, payload, noise, round_):
        """3 x COUNT malformed messages, then a good one that must come out
        (so all were read)."""
        seq = round_ * (COUNT + 2) + 1
        for i in range(COUNT):
            push.send_multipart([header(seq + i, caps=BAD_CAPS), payload])
            push.send(noise[i % len(noise)])
            push.send(header(i)[:40])
        push.send_multipart([header(seq + COUNT, caps=CAPS), payload])
        data, _ = p.pull()
        self.assertEqual(data, payload, "the stream did not go on")


if __name__ == "__main__":
    require_plugin()
    unittest.main(verbosity=2)

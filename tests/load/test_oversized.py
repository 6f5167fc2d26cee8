#!/usr/bin/python3
"""A peer sends a frame larger than kmzmqsrc's max-message-size.

ZeroMQ checks the size in the frame's length prefix, before it allocates
anything, and closes the connection: the message never reaches the
pipeline, no buffer is pushed, the element keeps running and nothing is
posted on the bus.  The sender sees a disconnect (its socket reconnects by
itself); later messages of normal size, from it or from others, get
through.
"""
import time
import unittest

import zmq
from zmq.utils.monitor import recv_monitor_message

from loadlib import (MEMORY_CHECKED, MIB, WAIT, WATCH, Endpoints, Pipeline,
                     require_plugin, status_kib)

LIMIT = 64 * 1024
CAPS = "application/x-points,format=F32LE,dimensions=4"


def wait_event(monitor, event, timeout=WAIT):
    """Reads the monitor until @event comes (or the time is up)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if monitor.poll(100) and recv_monitor_message(monitor)["event"] == \
                event:
            return True
    return False


class OversizedTest(unittest.TestCase):

    def check_oversized(self, transport, size):
        ctx = zmq.Context()
        endpoints = Endpoints()
        endpoint = ("tcp://127.0.0.1:*" if transport == "tcp"
                    else endpoints.ipc("big"))
        p = Pipeline("kmzmqsrc name=src endpoint=%s bind=true socket-type=pull "
                     "framing=raw caps=%s max-message-size=%d ! "
                     "appsink name=out sync=false" % (endpoint, CAPS, LIMIT))
        bad = ctx.socket(zmq.PUSH)
        good = ctx.socket(zmq.PUSH)
        monitor = bad.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        try:
            p.play()
            endpoint = p.element("src").get_property("last-endpoint")
            rss = status_kib("VmRSS")
            bad.connect(endpoint)
            bad.send(b"\0" * size)
            # ZeroMQ drops the connection on the length prefix.
            self.assertTrue(wait_event(monitor, zmq.EVENT_DISCONNECTED),
                            "the peer was not disconnected")
            data, _ = p.pull(timeout=WATCH)
            self.assertIsNone(data, "the oversized message got through")
            stats = p.stats("src")
            self.assertEqual(stats.get_value("messages-in"), 0)
            self.assertEqual(stats.get_value("bytes-in"), 0)
            p.check_no_error()
            # Never read into memory (the tcp case sends 256 MiB).
            if MEMORY_CHECKED:
                self.assertLess((status_kib("VmRSS") - rss) * 1024,
                                16 * MIB)
            # The element is alive: a normal message from another peer, and
            # one from the disconnected peer once it reconnected, arrive.
            good.connect(endpoint)
            good.send(b"\1" * 4 * 4 * 8)
            data, _ = p.pull()
            self.assertEqual(data, b"\1" * 128)
            bad.send(b"\2" * 4 * 4 * 8)
            data, _ = p.pull()
            self.assertEqual(data, b"\2" * 128)
            self.assertEqual(p.stats("src").get_value("messages-in"), 2)
            p.check_no_error()
        finally:
            p.stop()
            bad.disable_monitor()
            monitor.close(0)
            bad.close(0)
            good.close(0)
            ctx.term()
            endpoints.close()

    def test_oversized_tcp(self):
        self.check_oversized("tcp", 256 * MIB)

    def test_oversized_ipc(self):
        self.check_oversized("ipc", LIMIT + 1)


if __name__ == "__main__":
    require_plugin()
    unittest.main(verbosity=2)

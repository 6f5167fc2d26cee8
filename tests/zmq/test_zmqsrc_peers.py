#!/usr/bin/python3
"""kmzmqsrc fed by plain pyzmq senders: PUB/SUB, PUSH/PULL fan-out, tcp, ipc."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402

from zmqtestlib import (POINTS_CAPS, WAIT, Gst, PeerTestCase,  # noqa: E402
                        Pipeline, Sender, bind_any, collect, connected_peers,
                        index_of, main, rows)


class RawPublisherTest(PeerTestCase):
    """A plain PUB sends raw float32 rows; kmzmqsrc framing=raw gives them to
    an appsink, bit for bit, in order, with the caps of its property."""

    def run_publisher(self, transport, topic):
        pub = self.ctx.socket(zmq.PUB)
        endpoint = bind_any(pub, transport, self.endpoints)
        n = 20
        p = Pipeline(
            "kmzmqsrc name=src endpoint=%s framing=raw topic=%s caps=%s "
            "num-buffers=%d ! appsink name=out sync=false"
            % (endpoint, topic or '""', POINTS_CAPS, n))
        p.play()

        def send(i):
            if topic:
                pub.send_multipart([topic.encode(), rows(i).tobytes()])
            else:
                pub.send(rows(i).tobytes())

        sender = Sender(send)
        sender.start()
        try:
            # PUB sends what is published before the subscription reached
            # it to nobody: the first buffer is whatever came first; after
            # it every message arrives, in order.
            data, sample = p.pull()
            self.assertIsNotNone(data, "nothing received")
            first = index_of(data)
            self.assertEqual(data, rows(first).tobytes())
            caps = sample.get_caps().to_string()
            self.assertIn("application/x-points", caps)
            self.assertIn("dimensions=(int)3", caps)
            for k in range(1, n):
                data, _ = p.pull()
                self.assertIsNotNone(data, "buffer %d missing" % k)
                self.assertEqual(index_of(data), first + k)
                self.assertEqual(data, rows(first + k).tobytes())
            p.wait_eos()
            stats = p.stats("src")
            self.assertEqual(stats.get_value("messages-out"), n)
            self.assertEqual(stats.get_value("malformed"), 0)
        finally:
            sender.stop()
            p.stop()
            pub.close(0)

    def test_tcp(self):
        self.run_publisher("tcp", None)

    def test_ipc(self):
        self.run_publisher("ipc", None)

    def test_tcp_topic(self):
        self.run_publisher("tcp", "points")

    def test_ipc_topic(self):
        self.run_publisher("ipc", "points")


class FanOutTest(PeerTestCase):
    """A plain PUSH with two kmzmqsrc PULL pipelines: each gets a share, and
    together exactly every message, none twice."""

    def fan_out(self, transport):
        push = self.ctx.socket(zmq.PUSH)
        monitor = push.get_monitor_socket()
        endpoint = bind_any(push, transport, self.endpoints)
        receivers = [Pipeline(
            "kmzmqsrc name=src endpoint=%s socket-type=pull framing=raw "
            "caps=%s ! appsink name=out sync=false" % (endpoint, POINTS_CAPS))
            for _ in range(2)]
        for r in receivers:
            r.play()
        try:
            # PUSH deals only among connected peers: wait for both.
            self.assertEqual(connected_peers(monitor, 2), 2)
            n = 40
            for i in range(n):
                push.send(rows(i).tobytes())
            got = collect(receivers, n)
            self.assertTrue(got[0] and got[1],
                            "one receiver got nothing: %s" % got)
            self.assertEqual(sorted(got[0] + got[1]), list(range(n)))
            # Round robin: each in the order sent.
            self.assertEqual(got[0], sorted(got[0]))
            self.assertEqual(got[1], sorted(got[1]))
            for r in receivers:
                r.check_no_error()
        finally:
            for r in receivers:
                r.stop()
            push.disable_monitor()
            monitor.close(0)
            push.close(0)

    def test_tcp(self):
        self.fan_out("tcp")

    def test_ipc(self):
        self.fan_out("ipc")


class StopTest(unittest.TestCase):
    """A kmzmqsrc waiting for messages that never come stops at once."""

    def test_stop_while_waiting(self):
        p = Pipeline("kmzmqsrc name=src endpoint=tcp://127.0.0.1:* bind=true "
                     "socket-type=pull timeout=50000000 ! appsink name=out")
        p.play()
        msg = p.bus.timed_pop_filtered(int(WAIT * Gst.SECOND),
                                       Gst.MessageType.ELEMENT)
        self.assertIsNotNone(msg)
        self.assertEqual(msg.get_structure().get_name(), "GstKmZmqSrcTimeout")
        # The functional promise, bounded generously.
        self.assertLess(p.stop(), 2.0)


if __name__ == "__main__":
    main()

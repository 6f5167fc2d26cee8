#!/usr/bin/python3
"""kmzmqsink read by plain pyzmq receivers: both framings, tcp and ipc."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402

from zmqtestlib import (NONE, POINTS_CAPS, WAIT, WATCH,  # noqa: E402
                        Gst, PeerTestCase, Pipeline, main, parse_header, rows)

MS = 1000000


def push_points(pipeline, n):
    src = pipeline.element("in")
    for i in range(n):
        buf = Gst.Buffer.new_wrapped(rows(i).tobytes())
        buf.pts = i * 10 * MS
        buf.duration = 10 * MS
        buf.offset = 8 * i
        buf.offset_end = 8 * (i + 1)
        assert src.emit("push-buffer", buf) == Gst.FlowReturn.OK
    assert src.emit("end-of-stream") == Gst.FlowReturn.OK


def recv(sock, timeout=WAIT):
    if not sock.poll(int(timeout * 1000)):
        return None
    return sock.recv_multipart()


class SinkToPlainReceiverTest(PeerTestCase):

    def sender(self, endpoint, extra):
        return Pipeline(
            "appsrc name=in caps=%s format=time ! kmzmqsink name=sink "
            "endpoint=%s sync=false %s" % (POINTS_CAPS, endpoint, extra))

    def check_gst_framing(self, endpoint):
        p = self.sender(endpoint, "wait-for-subscriber=true")
        p.play()
        sub = self.ctx.socket(zmq.SUB)
        sub.subscribe(b"")
        sub.connect(p.element("sink").get_property("last-endpoint"))
        n = 10
        try:
            # Held until this subscriber is there: all ten arrive.
            push_points(p, n)
            stream = None
            for i in range(n):
                frames = recv(sub)
                self.assertIsNotNone(frames, "message %d missing" % i)
                self.assertEqual(len(frames), 2)
                h = parse_header(frames[0])
                self.assertEqual(h["seq"], i)
                self.assertEqual(h["flags"] & 1, 0)
                self.assertEqual(h["pts"], i * 10 * MS)
                self.assertEqual(h["dts"], NONE)
                self.assertEqual(h["duration"], 10 * MS)
                self.assertEqual((h["offset"], h["offset_end"]),
                                 (8 * i, 8 * (i + 1)))
                caps = Gst.Caps.from_string(h["caps"])
                self.assertTrue(caps.is_equal(
                    Gst.Caps.from_string(POINTS_CAPS)), h["caps"])
                stream = stream or h["stream"]
                self.assertEqual(h["stream"], stream)
                self.assertEqual(frames[1], rows(i).tobytes())
            frames = recv(sub)
            self.assertEqual(len(frames), 1, "EOS is a header alone")
            h = parse_header(frames[0])
            self.assertEqual(h["flags"], 1)
            self.assertEqual(h["seq"], n)
            p.wait_eos()
            stats = p.stats("sink")
            self.assertEqual(stats.get_value("messages-out"), n + 1)
            self.assertEqual(stats.get_value("messages-in"), n)
        finally:
            p.stop()
            sub.close(0)

    def test_gst_framing_tcp(self):
        self.check_gst_framing("tcp://127.0.0.1:*")

    def test_gst_framing_ipc(self):
        self.check_gst_framing(self.endpoints.ipc("gst"))

    def test_raw_topic_ipc(self):
        endpoint = self.endpoints.ipc("raw")
        p = self.sender(endpoint, "framing=raw topic=points "
                        "wait-for-subscriber=true")
        p.play()
        sub = self.ctx.socket(zmq.SUB)
        sub.subscribe(b"points")
        sub.connect(endpoint)
        try:
            push_points(p, 5)
            for i in range(5):
                frames = recv(sub)
                self.assertEqual(frames, [b"points", rows(i).tobytes()])
            # No EOS message in raw framing.
            self.assertIsNone(recv(sub, WATCH))
            p.wait_eos()
        finally:
            p.stop()
            sub.close(0)

    def test_push_to_plain_pull(self):
        """kmeans-testsrc's points, pushed to a plain PULL that binds."""
        pull = self.ctx.socket(zmq.PULL)
        pull.bind("tcp://127.0.0.1:*")
        endpoint = pull.last_endpoint.decode()
        p = Pipeline("kmeans-testsrc num-buffers=4 points-per-buffer=16 "
                     "dimensions=3 ! kmzmqsink name=sink socket-type=push "
                     "bind=false sync=false endpoint=%s" % endpoint)
        p.play()
        try:
            for i in range(4):
                frames = recv(pull)
                self.assertIsNotNone(frames)
                h = parse_header(frames[0])
                self.assertIn("application/x-points", h["caps"])
                self.assertIn("dimensions=(int)3", h["caps"])
                self.assertEqual(h["seq"], i)
                self.assertNotEqual(h["pts"], NONE)
                self.assertEqual(sum(map(len, frames[1:])), 16 * 3 * 4)
            self.assertEqual(parse_header(recv(pull)[0])["flags"], 1)
            p.wait_eos()
        finally:
            p.stop()
            pull.close(0)


if __name__ == "__main__":
    main()

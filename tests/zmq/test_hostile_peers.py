#!/usr/bin/python3
"""No single peer can stop a pipeline fed by kmzmqsrc (RELIABILITY.md §3).

Real pyzmq peers on loopback, default properties everywhere but the
endpoint and the caps a raw stream needs:

- garbage: raw messages of 1, 5, 13 and 4097 random bytes (none a whole
  number of 3-D float32 points) and points holding NaN, then 300 good
  points: kmzmqsrc drops and counts the garbage, kmeans-assign skips and
  counts the NaN rows, all 300 good points are assigned, and the pipeline
  is still playing with no error;
- a late subscriber: gst-framed messages without caps before any with
  caps are dropped and counted with one warning, and the stream goes on
  once caps arrive;
- a malformed message inside a stream is counted as malformed only, not
  again as a lost message.
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import zmq  # noqa: E402

from zmqtestlib import (HEADER, NONE, POINTS_CAPS, WAIT, Gst,  # noqa: E402
                        PeerTestCase, Pipeline, bind_any, connected_peers,
                        main)

FLAG_EOS = 1


def gst_header(seq, caps=b"", stream=0x1234):
    return HEADER.pack(b"GZMQ", 1, 0, 0, stream, len(caps), seq, NONE, NONE,
                       NONE, NONE, NONE) + caps


def make_model(folder):
    """A 3-D checkpoint of 4 centers, trained by kmeans-train."""
    path = os.path.join(folder, "model.ckpt")
    subprocess.run(["gst-launch-1.0", "-q", "kmeans-testsrc", "dimensions=3",
                    "clusters=4", "num-buffers=20", "!", "kmeans-train",
                    "num-clusters=4", "checkpoint-location=" + path, "!",
                    "fakesink"], check=True, timeout=WAIT,
                   stdin=subprocess.DEVNULL)
    return path


def drain(bus):
    """The texts of the warning and of the error messages on @bus."""
    found = {Gst.MessageType.WARNING: [], Gst.MessageType.ERROR: []}
    while True:
        msg = bus.pop_filtered(Gst.MessageType.WARNING
                               | Gst.MessageType.ERROR)
        if msg is None:
            return found[Gst.MessageType.WARNING], found[Gst.MessageType.ERROR]
        err, debug = (msg.parse_warning() if msg.type ==
                      Gst.MessageType.WARNING else msg.parse_error())
        found[msg.type].append("%s (%s)" % (err.message, debug))


def subscribed_pub(test, transport="tcp"):
    """A PUB socket bound on loopback and a monitor of its peers."""
    pub = test.ctx.socket(zmq.PUB)
    endpoint = bind_any(pub, transport, test.endpoints)
    monitor = pub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    return pub, endpoint, monitor


def wait_subscribed(test, monitor):
    test.assertEqual(connected_peers(monitor, 1), 1, "nobody subscribed")
    # The subscription follows the handshake on the same connection.
    time.sleep(0.3)


class GarbageTest(PeerTestCase):

    def test_garbage_then_good_points(self):
        folder = tempfile.mkdtemp(prefix="hostile-", dir=self.endpoints.dir)
        model = make_model(folder)
        pub, endpoint, monitor = subscribed_pub(self)
        p = Pipeline("kmzmqsrc name=src endpoint=%s framing=raw caps=%s ! "
                     "kmeans-assign name=assign model-location=%s ! "
                     "appsink name=out sync=false" % (endpoint, POINTS_CAPS,
                                                      model))
        p.play()
        try:
            wait_subscribed(self, monitor)
            rng = np.random.default_rng(11)
            for size in (1, 5, 13, 4097):
                pub.send(rng.bytes(size))
            nan_rows = rng.normal(size=(10, 3)).astype("<f4")
            nan_rows[::2, 1] = np.nan
            pub.send(nan_rows.tobytes())
            good = rng.normal(size=(300, 3)).astype("<f4")
            for chunk in np.split(good, 6):
                pub.send(chunk.tobytes())

            assigned = 0
            end = time.monotonic() + WAIT
            while assigned < 305 and time.monotonic() < end:
                data, _ = p.pull(timeout=1.0)
                if data is not None:
                    assigned += len(data) // 8
            stats = p.stats("src")
            # A state change still completing is waited for (bounded).
            state = p.pipeline.get_state(5 * Gst.SECOND)[1]
            texts, errors = drain(p.bus)
            self.assertEqual(errors, [])
            self.assertEqual(assigned, 305, "5 good NaN-batch rows and 300 "
                             "good points should be assigned")
            self.assertEqual(stats.get_value("malformed"), 4)
            self.assertEqual(p.element("assign").get_property(
                "skipped-points"), 5)
            self.assertEqual(state, Gst.State.PLAYING)
            self.assertTrue(any("whole number of points" in t
                                for t in texts), texts)
        finally:
            self.assertLess(p.stop(), 5.0)
            pub.close(0)


class LateSubscriberTest(PeerTestCase):

    def test_capless_before_caps(self):
        pub, endpoint, monitor = subscribed_pub(self)
        p = Pipeline("kmzmqsrc name=src endpoint=%s ! appsink name=out "
                     "sync=false" % endpoint)
        p.play()
        try:
            wait_subscribed(self, monitor)
            payload = np.arange(6, dtype="<f4").tobytes()
            # Joined late: the caps went with message 0, never seen here.
            for seq in (1, 2, 3):
                pub.send_multipart([gst_header(seq), payload])
            pub.send_multipart([gst_header(4, POINTS_CAPS.encode()),
                                payload])
            pub.send_multipart([gst_header(5), payload])
            got = []
            for _ in range(2):
                data, sample = p.pull()
                self.assertIsNotNone(data, "stream did not go on")
                got.append(sample.get_caps().to_string())
            texts, errors = drain(p.bus)
            self.assertEqual(errors, [])
            stats = p.stats("src")
            self.assertEqual(stats.get_value("messages-out"), 2)
            self.assertEqual(stats.get_value("malformed"), 0)
            # Sequences 1..3 arrived and were dropped for want of caps
            # (tracking starts at the first sequence seen: no gap).
            self.assertEqual(stats.get_value("dropped"), 3)
            self.assertTrue(all("dimensions=(int)3" in c for c in got), got)
            self.assertEqual(len([t for t in texts if "caps" in t]), 1,
                             texts)
        finally:
            self.assertLess(p.stop(), 5.0)
            pub.close(0)

    def test_malformed_not_counted_as_lost(self):
        pub, endpoint, monitor = subscribed_pub(self)
        p = Pipeline("kmzmqsrc name=src endpoint=%s ! appsink name=out "
                     "sync=false" % endpoint)
        p.play()
        try:
            wait_subscribed(self, monitor)
            payload = np.arange(6, dtype="<f4").tobytes()
            caps = POINTS_CAPS.encode()
            pub.send_multipart([gst_header(0, caps), payload])
            # Message 1 of the stream arrives with a header cut short.
            pub.send_multipart([gst_header(1, caps)[:20], payload])
            pub.send_multipart([gst_header(2, caps), payload])
            for _ in range(2):
                data, _ = p.pull()
                self.assertIsNotNone(data)
            stats = p.stats("src")
            self.assertEqual(stats.get_value("malformed"), 1)
            self.assertEqual(stats.get_value("dropped"), 0)
        finally:
            p.stop()
            pub.close(0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Asynchronous rounds (kmeans-hub mode=async, docs/algorithm.md §10.4):
each contribution is applied as it arrives, its sender alone gets the new
model, and a contribution computed against a model more than
max-staleness versions old is refused (counted in `stale`) and answered
with the current model.  Real sockets, hubpeer workers whose statistics
numpy computes, a reference kmeans-core trainer through kmeans-train."""
import unittest

import numpy as np

import distlib
import hubpeer
from distlib import centers_arg, centers_of, counts_of, wait_until

K, D, B = 3, 2, 60
START = np.array([[0.0, 0.0], [4.0, 4.0], [8.0, 8.0]])


class Async(distlib.ScratchTestCase):

    def start_hub(self, staleness):
        self.endpoint = self.ipc("hub")
        self.hub_p = self.pipeline(
            "kmeans-hub name=hub endpoint=%s num-clusters=%d dimensions=%d "
            "mode=async max-staleness=%d join-window=0 ! fakesink sync=false"
            % (self.endpoint, K, D, staleness))
        self.hub = self.hub_p.element("hub")
        distlib.Gst.util_set_object_arg(self.hub, "initial-centers-value",
                                        centers_arg(START))
        self.hub_p.play()

    def batch(self, seed):
        return distlib.grid_points(np.random.default_rng(seed), B, D, START)

    def contribute(self, peer, batch, model=None):
        m = model or peer.model
        body = distlib.stats_record(m["centers"], [batch], m["version"],
                                    peer.worker, peer.control["next_round"])
        peer.send(hubpeer.STATS, body)
        return peer.wait_for((hubpeer.MODEL,))[1]

    def test_applied_as_they_arrive(self):
        self.start_hub(staleness=4)
        a, b = (self.peer(self.endpoint, w, D) for w in (1, 2))
        distlib.join_all([a, b])
        ref = distlib.Reference(D, "num-clusters=%d batch-size=%d"
                                % (K, B), START)
        self.pipelines.append(ref.p)
        # a contributes twice without waiting for b: each is one step.
        first, second = self.batch(1), self.batch(2)
        m1 = self.contribute(a, first)
        m2 = self.contribute(a, second)
        ref.feed(first)
        ref.feed(second)
        want = ref.state()
        self.assertEqual((m1["version"], m2["version"]), (2, 3))
        np.testing.assert_array_equal(m2["centers"], want["centers"])
        np.testing.assert_array_equal(m2["counts"], want["counts"])
        # b still holds version 1: a contribution two versions behind is
        # applied (within max-staleness), with the centers b assigned to.
        m3 = self.contribute(b, self.batch(3))
        self.assertEqual(m3["version"], 4)
        self.assertEqual(self.hub.get_property("stale"), 0)
        self.assertEqual(self.hub.get_property("rounds"), 3)
        np.testing.assert_array_equal(centers_of(self.hub),
                                      m3["centers"].astype(np.float64))
        # Every point of the three counted once, on top of the initial
        # weight 1 of each given center.
        self.assertEqual(counts_of(self.hub).sum(), K + 3 * B)

    def test_too_stale_is_refused(self):
        self.start_hub(staleness=1)
        a, b = (self.peer(self.endpoint, w, D) for w in (1, 2))
        distlib.join_all([a, b])
        old = dict(b.model)
        self.contribute(a, self.batch(1))     # version 2
        self.contribute(a, self.batch(2))     # version 3
        # b computed against version 1: two behind, max-staleness 1.
        reply = self.contribute(b, self.batch(3), model=old)
        self.assertTrue(wait_until(lambda: self.hub.get_property("stale")
                                   == 1))
        self.assertEqual(reply["version"], 3)
        self.assertEqual(self.hub.get_property("rounds"), 2)
        # With the model it was sent, b's next contribution counts.
        reply = self.contribute(b, self.batch(4))
        self.assertEqual(reply["version"], 4)

    def test_rounds_without_a_hub_are_counted(self):
        """An asynchronous worker does not wait: a round due while no hub
        is connected is lost to the model, counted in unsent-points and
        warned about once."""
        if not distlib.have_worker():
            self.skipTest("kmeans-worker is not built")
        self.start_hub(staleness=4)
        w_p = self.pipeline(
            "kmeans-testsrc dimensions=%d clusters=%d seed=4 "
            "points-per-buffer=50 is-live=true points-per-second=20000 ! "
            "kmeans-worker name=w endpoint=%s worker-id=5 batch-size=50 "
            "resend-interval=200 ! fakesink sync=false"
            % (D, K, self.endpoint))
        w = w_p.element("w")
        w_p.play()
        self.assertTrue(wait_until(lambda: w.get_property("rounds") >= 3))
        self.assertEqual(w.get_property("unsent-points"), 0)
        self.hub_p.stop()
        self.assertTrue(wait_until(
            lambda: w.get_property("unsent-points") >= 100))
        self.assertEqual(w.get_property("unsent-points") % 50, 0)
        warnings = [m for m in iter(lambda: w_p.bus.pop_filtered(
            distlib.Gst.MessageType.WARNING), None)]
        self.assertEqual(len(warnings), 1, [m.parse_warning()[0].message
                                            for m in warnings])
        self.assertIn("not contributed", warnings[0].parse_warning()[0].message)


if __name__ == "__main__":
    distlib.require_elements("kmeans-hub", "kmeans-train")
    unittest.main(verbosity=2)

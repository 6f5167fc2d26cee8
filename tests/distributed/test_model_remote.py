#!/usr/bin/python3
"""The hub's model crosses ZeroMQ into a remote kmeans-assign (issue 12
§1, §2): `kmeans-hub ! kmzmqsink` in one process, and `kmeans-worker !
kmzmqsink` (the worker's points with the hub's models in-band) in
another, each read here by `kmzmqsrc ! kmeans-assign`.  Every buffer must
be assigned with the model in force at its place in the stream: the
nearest center, by numpy, of the last model event before it."""
import base64
import threading
import unittest

import numpy as np

import distlib
from distlib import Gst, wait_until

K, D, B = 3, 2, 50
START = np.array([[0.0, 0.0], [4.0, 4.0], [8.0, 8.0]])


def points(seed, n):
    rng = np.random.default_rng(seed)
    return (START[rng.integers(K, size=n)] + rng.normal(size=(n, D))) \
        .astype("<f4")


class RemoteAssign:
    """`kmzmqsrc ! kmeans-assign ! appsink` in this process, recording at
    kmeans-assign's sink pad the model events and the points in stream
    order, and at the appsink the assignments of each buffer."""

    def __init__(self, endpoint):
        self.p = distlib.Pipeline(
            "kmzmqsrc name=src socket-type=pull bind=false endpoint=%s ! "
            "kmeans-assign name=assign output=assignments ! appsink name=out "
            "sync=false emit-signals=true" % endpoint)
        self.lock = threading.Lock()
        self.inputs = []        # (model fields or None, points)
        self.model = None
        self.models = []
        self.outputs = []
        pad = self.p.element("assign").get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER |
                      Gst.PadProbeType.EVENT_DOWNSTREAM, self.probe)
        self.p.element("out").connect("new-sample", self.on_sample)
        self.p.play()

    def probe(self, pad, info):
        if info.type & Gst.PadProbeType.BUFFER:
            data = info.get_buffer().extract_dup(0, info.get_buffer()
                                                 .get_size())
            with self.lock:
                self.inputs.append((self.model, np.frombuffer(
                    data, "<f4").reshape(-1, D)))
        else:
            s = info.get_event().get_structure()
            if s is not None and s.get_name() == "kmeans-model":
                k, d = s.get_value("clusters"), s.get_value("dimensions")
                model = dict(version=s.get_value("version"), centers=np.
                             frombuffer(base64.b64decode(
                                 s.get_value("centers")), "<f4")
                             .reshape(k, d))
                with self.lock:
                    self.model = model
                    self.models.append(model)
        return Gst.PadProbeReturn.OK

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        data = buf.extract_dup(0, buf.get_size())
        rec = np.frombuffer(data, dtype=[("cluster", "<i4"),
                                         ("distance", "<f4")])
        with self.lock:
            self.outputs.append(rec.copy())
        return Gst.FlowReturn.OK

    def snapshot(self):
        with self.lock:
            return list(self.inputs), list(self.outputs), list(self.models)

    def check(self, test):
        """Each buffer's assignments are numpy's nearest centers of the
        model it met; returns the models seen."""
        inputs, outputs, models = self.snapshot()
        test.assertEqual(self.p.element("assign").get_property(
            "dropped-points"), 0)
        test.assertEqual(len(outputs), len(inputs))
        for i, ((model, pts), rec) in enumerate(zip(inputs, outputs)):
            test.assertIsNotNone(model, "buffer %d before any model" % i)
            test.assertGreater(model["version"], 0)
            idx, dist = distlib.assign(model["centers"], pts)
            np.testing.assert_array_equal(rec["cluster"], idx,
                                          "buffer %d" % i)
            np.testing.assert_allclose(rec["distance"], dist, rtol=1e-5,
                                       atol=1e-5)
        versions = [m["version"] for m in models]
        test.assertEqual(versions, sorted(versions))
        return models


class RemoteModel(distlib.ScratchTestCase):

    def start_remote(self, name):
        remote = RemoteAssign(self.ipc(name))
        self.pipelines.append(remote.p)
        return remote

    def test_hub_models_reach_a_remote_assign(self):
        hub_ep, out_ep = self.ipc("hub"), self.ipc("models")
        remote = self.start_remote("models")
        self.launch("kmeans-hub endpoint=%s num-clusters=%d init-size=30 "
                    "join-window=0 ! kmzmqsink socket-type=push endpoint=%s "
                    "sync=false" % (hub_ep, K, out_ep))
        peers = [self.peer(hub_ep, w, D) for w in (1, 2)]
        distlib.join_all(peers, points(9, 30))
        rounds = 5
        for r in range(rounds):
            distlib.sync_round(peers, [[points(10 * r + w, B)]
                                       for w in (1, 2)])
        final = peers[0].model
        self.assertTrue(wait_until(lambda: any(
            m["version"] == final["version"]
            for m in remote.snapshot()[2])), remote.snapshot()[2][-1:])
        self.assertTrue(wait_until(lambda: len(remote.snapshot()[1]) ==
                                   len(remote.snapshot()[2])))
        models = remote.check(self)
        # One model per version, the initial one and one per round; each
        # followed by a buffer of its centers.
        self.assertEqual([m["version"] for m in models],
                         list(range(final["version"] - rounds,
                                    final["version"] + 1)))
        np.testing.assert_array_equal(models[-1]["centers"],
                                      final["centers"])
        inputs = remote.snapshot()[0]
        np.testing.assert_array_equal(inputs[-1][1], final["centers"])

    @unittest.skipUnless(distlib.have_worker(), "kmeans-worker not built")
    def test_worker_output_assigned_remotely(self):
        hub_ep = self.ipc("hub")
        hub = self.launch("kmeans-hub endpoint=%s num-clusters=%d "
                          "init-size=40 join-window=0 ! fakesink sync=false"
                          % (hub_ep, K))
        remote = self.start_remote("points")
        path = self.path("shard.f32")
        n = 20 * B
        distlib.write_points(path, points(3, n))
        worker = self.launch(
            "filesrc location=%s blocksize=%d ! application/x-points,"
            "format=F32LE,dimensions=%d ! kmeans-worker endpoint=%s "
            "worker-id=4 batch-size=%d ! kmzmqsink socket-type=push "
            "endpoint=%s sync=false" % (path, B * D * 4, D, hub_ep, B,
                                        self.ipc("points")))
        self.assertEqual(worker.wait(), 0, worker.text()[-3000:])
        self.assertTrue(wait_until(lambda: sum(
            len(p) for _, p in remote.snapshot()[0]) == n),
            "%d points arrived" % sum(len(p) for _, p in
                                      remote.snapshot()[0]))
        self.assertTrue(wait_until(lambda: len(remote.snapshot()[1]) ==
                                   len(remote.snapshot()[0])))
        models = remote.check(self)
        # The worker trained: later buffers met newer models of the hub.
        self.assertGreater(len(models), 5)
        rounds = distlib.hub_messages(hub.output())
        self.assertTrue(rounds, hub.text()[-2000:])
        self.assertLessEqual(models[-1]["version"],
                             rounds[-1]["model-version"])


if __name__ == "__main__":
    distlib.require_elements("kmeans-hub", "kmeans-assign", "kmzmqsrc")
    unittest.main(verbosity=2)

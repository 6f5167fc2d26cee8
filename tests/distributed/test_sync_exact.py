#!/usr/bin/python3
"""Synchronous sharded training is exact (docs/algorithm.md §10.2): W = 3
workers on disjoint shards train, through one kmeans-hub, the model one
kmeans-train reaches when fed, per round, the concatenation of the
workers' batches.

The hub and the reference trainer run in this process; the workers are
hubpeer peers (numpy statistics, schemas/stats.md) or kmeans-worker
pipelines in their own processes.  Counts and versions are compared
exactly (a point assigned differently anywhere would change a count);
centers within the bound §10.2 gives for the mode, in float32 roundings
of the largest coordinate."""
import math
import unittest

import numpy as np

import distlib
from distlib import ULP, centers_arg, centers_of, counts_of

K, D, W, B, ROUNDS = 4, 3, 3, 40, 6


def case_data(seed, rounds, n_steps, grid):
    """Centers to start from, the init batch, and per round and step the
    batch of each worker (rounds + 1: one to spare for N > 1)."""
    rng = np.random.default_rng(seed)
    means = np.round(rng.normal(scale=5.0, size=(K, D)) * 64) / 64
    make = distlib.grid_points if grid else distlib.float_points
    start = means + np.round(rng.normal(size=(K, D)) * 64) / 64
    init = make(rng, W * B, D, means)
    data = [[[make(rng, B, D, means) for _ in range(W)]
             for _ in range(n_steps)] for _ in range(rounds + 1)]
    return start, init, data


class SyncExact(distlib.ScratchTestCase):

    def run_case(self, seed, props="", grid=True, bound=lambda r: 0,
                 init="file", metric=0, steps=1, rounds=ROUNDS):
        """Trains with @props on the hub and the reference; @bound(r) is
        the centers' bound after round r, in float32 roundings."""
        start, init_batch, data = case_data(seed, rounds, steps, grid)
        common = "num-clusters=%d seed=%d steps-per-sync=%d %s" % (
            K, seed, steps, props)
        if metric == 1:
            common += " distance-metric=cosine"
        given = start if init == "file" else None
        if given is None:
            common += " init=%s" % init
        endpoint = self.ipc("hub-%d-%d" % (seed, len(self.pipelines)))
        hub_p = self.pipeline(
            "kmeans-hub name=hub endpoint=%s join-window=0 init-size=%d %s ! "
            "fakesink sync=false" % (endpoint, W * B, common))
        hub = hub_p.element("hub")
        if given is not None:
            distlib.Gst.util_set_object_arg(hub, "initial-centers-value",
                                            centers_arg(given))
        hub_p.play()
        ref = distlib.Reference(D, "batch-size=%d %s" % (W * B, common),
                                given)
        self.pipelines.append(ref.p)

        peers = [self.peer(endpoint, w + 1, D) for w in range(W)]
        distlib.join_all(peers, init_batch)
        if given is None:
            ref.feed(init_batch)
        self.compare(hub, ref, peers, 0, 0, steps)
        self.first = centers_of(hub)

        schedule = [np.concatenate(data[r][s]) for r in range(rounds + 1)
                    for s in range(steps)]
        fed = 0
        for r in range(rounds):
            distlib.sync_round(peers, [[data[r][s][w] for s in range(steps)]
                                       for w in range(W)], metric)
            # With N > 1 the reference syncs its master at the start of
            # its next step: the first one of the next round (§2.3).
            while fed < (r + 1) * steps + (1 if steps > 1 else 0):
                ref.feed(schedule[fed])
                fed += 1
            self.compare(hub, ref, peers, r + 1, bound(r + 1), steps)

        messages = hub_p.element_messages("kmeans-hub")
        self.assertEqual([m.get_value("model-version") for m in messages],
                         [peers[0].model["version"] - rounds + i + 1
                          for i in range(rounds)])
        self.assertTrue(all(m.get_value("contributions") == W and
                            m.get_value("points") == W * B * steps and
                            not m.get_value("timed-out") for m in messages))
        self.assertEqual(hub.get_property("duplicates"), 0)
        self.assertEqual(hub.get_property("dropped-messages"), 0)
        # The rounds trained: the centers moved away from where they began.
        self.assertGreater(np.abs(centers_of(hub) - self.first).max(), 0.01)
        for p in peers:
            p.close()
        self.peers.clear()
        hub_p.stop()
        ref.stop()

    def compare(self, hub, ref, peers, r, ulps, steps):
        want = ref.state()
        got = centers_of(hub)
        where = "round %d" % r
        self.assertEqual(got.shape, (K, D), where)
        # The hub's master and the reference's (after its sync, N > 1).
        self.assertEqual(hub.get_property("model-version"), want["version"],
                         where)
        np.testing.assert_array_equal(counts_of(hub), want["counts"], where)
        scale = 1.0 if "cosine" in ref.p.description else \
            np.abs(want["centers"]).max()
        diff = np.abs(got - want["centers"]).max() / (ULP * scale)
        self.assertLessEqual(diff, ulps, "%s: centers %d roundings apart"
                             % (where, diff))
        # What the workers received is that model.
        for p in peers:
            m = p.model
            self.assertEqual(m["version"], want["version"], where)
            self.assertEqual(m["step"] + (1 if steps > 1 and r > 0 else 0),
                             want["steps"], where)
            np.testing.assert_array_equal(m["centers"],
                                          got.astype(np.float32), where)
            if len(want["counts"]):
                np.testing.assert_array_equal(m["counts"], want["counts"],
                                              where)

    # mini-batch, N = 1: bit for bit on the grid, 2r roundings otherwise.
    def test_minibatch_grid(self):
        for seed in (1, 2, 3):
            with self.subTest(seed=seed):
                self.run_case(seed)

    def test_minibatch_floats(self):
        for seed in (4, 5):
            with self.subTest(seed=seed):
                self.run_case(seed, grid=False, bound=lambda r: 2 * r)

    # N = 3: a round is one iteration of 3 batches per worker.
    def test_steps_per_sync(self):
        for seed in (6, 7):
            with self.subTest(seed=seed):
                self.run_case(seed, grid=False, steps=3,
                              bound=lambda r: 3 + 1)

    def test_full_batch(self):
        for seed in (8, 9):
            with self.subTest(seed=seed):
                self.run_case(seed, "mini-batch=false")
        self.run_case(10, "mini-batch=false", grid=False,
                      bound=lambda r: 1)

    def test_decay(self):
        for seed in (11, 12):
            with self.subTest(seed=seed):
                self.run_case(seed, "decay-factor=0.8")
        self.run_case(13, "decay-factor=0.8", grid=False,
                      bound=lambda r: 2 * r)

    def test_cosine(self):
        for seed in (14, 15):
            with self.subTest(seed=seed):
                self.run_case(seed, grid=False, metric=1,
                              bound=lambda r: 2 * r)
        self.run_case(16, "mini-batch=false", grid=False, metric=1,
                      bound=lambda r: 3 + math.sqrt(D))

    # kmeans-worker pipelines (one process each, a file per shard).
    @unittest.skipUnless(distlib.have_worker(), "kmeans-worker not built")
    def test_c_workers(self):
        for seed, grid, ulps in ((21, True, 0), (22, False, 2 * ROUNDS)):
            with self.subTest(seed=seed):
                self.run_c_workers(seed, grid, ulps)

    def run_c_workers(self, seed, grid, ulps):
        start, _, data = case_data(seed, ROUNDS, 1, grid)
        endpoint = self.ipc("c-hub-%d" % seed)
        workers = []
        # Started first, they wait for the hub (ZeroMQ connects when it
        # binds); its join window lets all three into the first round.
        for w in range(W):
            path = self.path("shard-%d-%d.f32" % (seed, w))
            distlib.write_points(path, np.concatenate(
                [data[r][0][w] for r in range(ROUNDS)]))
            workers.append(self.launch(
                "filesrc location=%s ! application/x-points,format=F32LE,"
                "dimensions=%d ! kmeans-worker endpoint=%s worker-id=%d "
                "batch-size=%d ! fakesink" % (path, D, endpoint, w + 1, B)))
        for w in workers:
            self.assertIsNotNone(w.wait_line(lambda line: "PREROLLING" in
                                             line), w.text())
        common = "num-clusters=%d seed=%d" % (K, seed)
        hub_p = self.pipeline(
            "kmeans-hub name=hub endpoint=%s join-window=2000 %s ! "
            "fakesink sync=false" % (endpoint, common))
        hub = hub_p.element("hub")
        distlib.Gst.util_set_object_arg(hub, "initial-centers-value",
                                        centers_arg(start))
        hub_p.play()
        for w in workers:
            self.assertEqual(w.wait(), 0, w.text()[-3000:])
        ref = distlib.Reference(D, "batch-size=%d %s" % (W * B, common),
                                start)
        self.pipelines.append(ref.p)
        for r in range(ROUNDS):
            ref.feed(np.concatenate(data[r][0]))
        want = ref.state()
        messages = hub_p.element_messages("kmeans-hub")
        applied = messages
        self.assertEqual(len(applied), ROUNDS, [m.to_string()
                                                for m in messages])
        self.assertTrue(all(m.get_value("contributions") == W and
                            m.get_value("points") == W * B
                            for m in applied))
        self.assertEqual(hub.get_property("model-version"), want["version"])
        np.testing.assert_array_equal(counts_of(hub), want["counts"])
        diff = np.abs(centers_of(hub) - want["centers"]).max() / (
            ULP * np.abs(want["centers"]).max())
        self.assertLessEqual(diff, ulps)
        hub_p.stop()
        ref.stop()

    # Initialisation by the hub from one peer's points, as the reference
    # does from its first batch: the same centers bit for bit.
    def test_random_init(self):
        for seed in (17, 18):
            with self.subTest(seed=seed):
                self.run_case(seed, init="random")

    def test_kmeanspp_init(self):
        for seed in (19, 20):
            with self.subTest(seed=seed):
                self.run_case(seed, init="kmeans++")


if __name__ == "__main__":
    distlib.require_elements("kmeans-hub", "kmeans-train")
    unittest.main(verbosity=2)

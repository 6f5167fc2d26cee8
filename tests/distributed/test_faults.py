#!/usr/bin/python3
"""Faults of sharded training (issue 12 §3), with real processes and
sockets: a worker killed mid-round and restarted, the hub killed and
restarted from its checkpoint, a contribution sent twice, workers of the
wrong shape, peers without the right CURVE key, garbage on the hub's
socket, and prompt stops of a hub and a worker that are blocked.

Workers are kmeans-worker pipelines where the element exists, and
hubpeer peers (peerproc.py as a process) where a test must misbehave on
purpose or the C worker is not built.  No assertion depends on speed:
waits are bounded and generous."""
import signal
import struct
import threading
import time
import unittest

import numpy as np
import zmq

import distlib
import hubpeer
from distlib import HANG, centers_arg, centers_of, counts_of, \
    wait_until

K, D = 3, 2
START = np.array([[0.0, 0.0], [4.0, 4.0], [8.0, 8.0]])
WATCH = 2.0     # seconds to watch for something that must not happen


def hub_description(endpoint, extra=""):
    return ("kmeans-hub name=hub endpoint=%s num-clusters=%d dimensions=%d "
            "%s ! fakesink sync=false" % (endpoint, K, D, extra))


def points(seed, n):
    rng = np.random.default_rng(seed)
    return (START[rng.integers(K, size=n)] + rng.normal(size=(n, D))) \
        .astype("<f4")


def round_messages(pipeline):
    return [{f: s.get_value(f) for f in ("round", "model-version",
                                         "contributions", "members",
                                         "timed-out")}
            for s in pipeline.element_messages("kmeans-hub")]


def worker_launch(test, endpoint, worker, extra=""):
    """A kmeans-worker pipeline on an endless synthetic stream."""
    return test.launch(
        "kmeans-testsrc dimensions=%d clusters=%d seed=%d points-per-buffer=50"
        " ! kmeans-worker name=w endpoint=%s worker-id=%d batch-size=50 %s ! "
        "fakesink sync=false" % (D, K, worker, endpoint, worker, extra))


class InProcessHub(distlib.ScratchTestCase):
    """A kmeans-hub pipeline in this process: its properties and bus."""

    def start_hub(self, extra="", given=True, name="hub"):
        self.endpoint = self.ipc(name)
        self.hub_p = self.pipeline(hub_description(self.endpoint, extra))
        self.hub = self.hub_p.element("hub")
        if given:
            distlib.Gst.util_set_object_arg(self.hub, "initial-centers-value",
                                            centers_arg(START))
        self.hub_p.play()
        return self.hub

    def count(self, prop):
        return self.hub.get_property(prop)


class WorkerFaults(InProcessHub):

    def setUp(self):
        super().setUp()
        self.start_hub("join-window=0 sync-timeout=1500")

    def start_worker(self, worker):
        return self.peer_process(self.endpoint, worker, "--d", D, "--k", K)

    def test_killed_worker_leaves_and_rejoins(self):
        workers = {w: self.start_worker(w) for w in (1, 2, 3)}
        seen = []

        def rounds_where(cond):
            seen[:] = [m for m in self.all_rounds() if cond(m)]
            return bool(seen)

        self.assertTrue(wait_until(lambda: rounds_where(
            lambda m: m["contributions"] == 3 and m["members"] == 3)),
            "never a round of all three: %s" % self.all_rounds()[-5:])
        # Killed while the rounds go on, wherever it is in its round.
        workers[3].signal(signal.SIGKILL)
        workers[3].wait()
        killed_at = self.hub.get_property("model-version")
        self.assertTrue(wait_until(lambda: rounds_where(
            lambda m: m["timed-out"] and m["model-version"] > killed_at)),
            "no timed-out round after the kill: %s" % self.all_rounds()[-5:])
        timed_out = seen[0]
        self.assertEqual(timed_out["members"], 2, timed_out)
        self.assertEqual(self.count("members"), 2)
        # The others go on, without waiting for it any more.
        self.assertTrue(wait_until(lambda: rounds_where(
            lambda m: m["model-version"] > timed_out["model-version"] + 2
            and m["contributions"] == 2 and not m["timed-out"])),
            self.all_rounds()[-5:])

        # Restarted, it joins at the version the hub has now.
        before = self.hub.get_property("model-version")
        again = self.start_worker(3)
        self.assertTrue(wait_until(lambda: len(again.events("sent")) >= 2),
                        again.text())
        first_model = again.events("model")[0][0]
        first_sent = again.events("sent")[0]
        self.assertGreaterEqual(first_model, before)
        self.assertEqual(first_sent[0], first_model)
        self.assertTrue(wait_until(lambda: rounds_where(
            lambda m: m["model-version"] > first_model and
            m["contributions"] == 3 and m["members"] == 3)),
            self.all_rounds()[-5:])
        self.assertEqual(self.count("members"), 3)
        for w in (1, 2):
            self.assertIsNone(workers[w].proc.poll(), workers[w].text())

    @unittest.skipUnless(distlib.have_worker(), "kmeans-worker not built")
    def test_killed_c_worker_leaves_and_rejoins(self):
        workers = {w: worker_launch(self, self.endpoint, w)
                   for w in (1, 2, 3)}
        self.assertTrue(wait_until(lambda: any(
            m["contributions"] == 3 for m in self.all_rounds())),
            "never a round of all three: %s" % self.all_rounds()[-5:])
        workers[3].signal(signal.SIGKILL)
        workers[3].wait()
        killed_at = self.hub.get_property("model-version")
        self.assertTrue(wait_until(lambda: any(
            m["timed-out"] and m["model-version"] > killed_at
            for m in self.all_rounds())), self.all_rounds()[-5:])
        timed = [m for m in self.all_rounds() if m["timed-out"]][0]
        self.assertEqual(timed["members"], 2, timed)
        before = self.hub.get_property("model-version")
        again = worker_launch(self, self.endpoint, 3)
        self.assertTrue(wait_until(lambda: any(
            m["model-version"] > before + 1 and m["contributions"] == 3
            and m["members"] == 3 for m in self.all_rounds())),
            self.all_rounds()[-5:])
        # Its first round was computed against the hub's current model.
        sent = distlib.launch_messages(again.output(), "kmeans-worker")
        self.assertTrue(sent, again.text()[-2000:])
        self.assertGreaterEqual(sent[0]["model-version"], before)
        self.assertEqual(self.count("members"), 3)
        for w in (1, 2):
            self.assertIsNone(workers[w].proc.poll(), workers[w].text())

    def all_rounds(self):
        return round_messages(self.hub_p)


class HubRestart(distlib.ScratchTestCase):

    def hub_launch(self, endpoint, checkpoint):
        return self.launch(
            "kmeans-hub endpoint=%s num-clusters=%d dimensions=%d "
            "init-size=30 sync-timeout=1500 join-window=1500 "
            "checkpoint-location=%s ! fakesink sync=false"
            % (endpoint, K, D, checkpoint))

    def checkpoint_version(self, path):
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"GKMCKPT\0")
        return struct.unpack_from("<Q", data, 80)[0]

    def test_hub_killed_resumes_from_checkpoint(self):
        endpoint, ckpt = self.ipc("hub"), self.path("hub.ckpt")
        hub = self.hub_launch(endpoint, ckpt)
        if distlib.have_worker():
            workers = [worker_launch(self, endpoint, w) for w in (1, 2)]
        else:
            workers = [self.peer_process(endpoint, w, "--d", D, "--k", K)
                       for w in (1, 2)]

        def rounds(proc):
            return distlib.hub_messages(proc.output())

        self.assertTrue(wait_until(lambda: len(
            [m for m in rounds(hub) if m["contributions"] == 2]) >= 3),
            hub.text()[-3000:])
        hub.signal(signal.SIGKILL)
        self.assertIsNotNone(hub.wait(), "SIGKILL did not end the hub")
        last = rounds(hub)[-1]["model-version"]
        saved = self.checkpoint_version(ckpt)
        # The round message goes out just before the round's checkpoint
        # is written (and gst-launch prints it later still).
        self.assertGreaterEqual(saved, last - 1)

        again = self.hub_launch(endpoint, ckpt)
        self.assertTrue(wait_until(lambda: len(
            [m for m in rounds(again) if m["contributions"] == 2]) >= 3),
            again.text()[-3000:])
        versions = [m["model-version"] for m in rounds(again)]
        # The first round after the restart is the one after the
        # checkpoint's: the version continues, and keeps growing.
        self.assertEqual(versions[0], saved + 1, versions)
        self.assertEqual(versions, list(range(saved + 1,
                                              saved + 1 + len(versions))))
        for w in workers:
            self.assertIsNone(w.proc.poll(), w.text()[-2000:])


class Duplicates(InProcessHub):

    def test_same_stats_twice_applied_once(self):
        hub = self.start_hub("join-window=0 sync-timeout=10000")
        ref = distlib.Reference(D, "num-clusters=%d batch-size=%d"
                                % (K, 3 * 60), START)
        self.pipelines.append(ref.p)
        peers = [self.peer(self.endpoint, w, D) for w in (1, 2, 3)]
        distlib.join_all(peers)

        batches = [distlib.grid_points(np.random.default_rng(w), 60, D,
                                       START) for w in (1, 2, 3)]
        bodies = []
        for p, b in zip(peers, batches):
            m = p.model
            bodies.append(distlib.stats_record(
                m["centers"], [b], m["version"], p.worker,
                p.control["next_round"]))
        peers[0].send(hubpeer.STATS, bodies[0])
        peers[1].send(hubpeer.STATS, bodies[1])
        peers[1].send(hubpeer.STATS, bodies[1])      # again, same round
        self.assertTrue(wait_until(lambda: self.count("duplicates") == 1))
        peers[2].send(hubpeer.STATS, bodies[2])
        for p in peers:
            kind, model = p.next_model()
            self.assertEqual(kind, hubpeer.MODEL)
        ref.feed(np.concatenate(batches))
        want = ref.state()
        self.assertEqual(self.count("model-version"), want["version"])
        np.testing.assert_array_equal(counts_of(hub), want["counts"])
        np.testing.assert_array_equal(centers_of(hub), want["centers"])
        self.assertEqual(self.count("points"), 180)

        # Sent again after the round was applied: ignored, answered with
        # the current model, nothing changes.
        peers[1].send(hubpeer.STATS, bodies[1])
        kind, model = peers[1].wait_for((hubpeer.MODEL,))
        self.assertEqual(model["version"], want["version"])
        self.assertEqual(self.count("duplicates"), 2)
        self.assertEqual(self.count("rounds"), 1)
        np.testing.assert_array_equal(centers_of(hub), want["centers"])


class WrongShape(InProcessHub):

    def test_other_dimensions_refused(self):
        self.start_hub("join-window=0")
        bad = self.peer(self.endpoint, 7, 3)
        kind, reason = bad.join()
        self.assertEqual(kind, hubpeer.REFUSED)
        self.assertIn("3 dimensions", reason)
        self.assertIn("2", reason)
        self.assertEqual(self.count("refused"), 1)
        other_k = self.peer(self.endpoint, 8, D, k=5)
        kind, reason = other_k.join()
        self.assertEqual(kind, hubpeer.REFUSED)
        self.assertIn("5 clusters", reason)
        self.assertEqual(self.count("refused"), 2)

        # A worker that fits trains; statistics of another shape sent by
        # a joined worker are refused too and change nothing.
        good = self.peer(self.endpoint, 1, D)
        self.assertEqual(good.join()[0], hubpeer.MODEL)
        before = centers_of(self.hub)
        wrong = distlib.stats_record(np.zeros((K, 3)), [np.ones((4, 3))],
                                     good.model["version"], 1,
                                     good.control["next_round"])
        good.send(hubpeer.STATS, wrong)
        kind, reason = good.wait_for((hubpeer.REFUSED,))
        self.assertIn("3 dimensions", reason)
        self.assertEqual(self.count("refused"), 3)
        np.testing.assert_array_equal(centers_of(self.hub), before)
        body = good.contribute(points(1, 40))
        self.assertEqual(good.next_model(body)[0], hubpeer.MODEL)
        self.assertEqual(self.count("rounds"), 1)

    @unittest.skipUnless(distlib.have_worker(), "kmeans-worker not built")
    def test_c_worker_of_other_dimensions_fails_with_the_reason(self):
        self.start_hub("join-window=0")
        path = self.path("p3.f32")
        distlib.write_points(path, np.ones((100, 3)))
        w = self.launch("filesrc location=%s ! application/x-points,"
                        "format=F32LE,dimensions=3 ! kmeans-worker "
                        "endpoint=%s ! fakesink" % (path, self.endpoint))
        rc = w.wait()
        self.assertIsNotNone(rc, "the refused worker did not stop")
        self.assertNotEqual(rc, 0)
        self.assertIn("the worker's points have 3 dimensions, the hub's "
                      "model 2", w.text())
        self.assertGreaterEqual(self.count("refused"), 1)


class Curve(InProcessHub):

    def test_only_listed_clients(self):
        server_pub, server_sec = zmq.curve_keypair()
        good_pub, good_sec = zmq.curve_keypair()
        bad_pub, bad_sec = zmq.curve_keypair()
        self.start_hub("join-window=0 curve-server=true curve-secret-key=%s "
                       "curve-allowed-clients=%s"
                       % (server_sec.decode(), good_pub.decode()))
        bad = self.peer(self.endpoint, 2, D,
                        curve=(server_pub, bad_pub, bad_sec))
        bad.hello()
        self.assertIsNone(bad.recv(int(WATCH * 1000)))
        self.assertTrue(wait_until(
            lambda: self.count("rejected-clients") >= 1))

        good = self.peer(self.endpoint, 1, D,
                         curve=(server_pub, good_pub, good_sec))
        self.assertEqual(good.join()[0], hubpeer.MODEL)
        body = good.contribute(points(1, 40))
        self.assertEqual(good.next_model(body)[0], hubpeer.MODEL)
        self.assertEqual(self.count("rounds"), 1)
        self.assertEqual(self.count("members"), 1)
        # Its connection is gone: a DEALER without a peer would block.
        try:
            bad.sock.send_multipart([hubpeer.header(hubpeer.HELLO, 2),
                                     struct.pack("<IIII", D, K, 0, 0)],
                                    zmq.NOBLOCK)
        except zmq.Again:
            pass
        self.assertIsNone(bad.recv(int(WATCH * 1000)))
        self.assertEqual(self.count("members"), 1)


class Garbage(InProcessHub):

    def test_dropped_and_counted(self):
        self.start_hub("join-window=0")
        good = self.peer(self.endpoint, 1, D)
        self.assertEqual(good.join()[0], hubpeer.MODEL)
        ctx = zmq.Context.instance()
        raw = ctx.socket(zmq.DEALER)
        raw.setsockopt(zmq.LINGER, 0)
        raw.connect(self.endpoint)
        rng = np.random.default_rng(5)
        m = good.model
        stats = distlib.stats_record(m["centers"], [points(2, 10)],
                                     m["version"], 9, 1)
        bad_crc = bytearray(stats)
        bad_crc[-1] ^= 0xFF
        header = hubpeer.header(hubpeer.STATS, 9)
        messages = [
            [rng.bytes(100)],                                 # noise
            [rng.bytes(16), rng.bytes(40)],                   # noise header
            [b"XXXX" + header[4:], stats],                    # wrong magic
            [header, stats[:len(stats) // 2]],                # truncated
            [header, bytes(bad_crc)],                         # bad CRC
            [hubpeer.header(hubpeer.HELLO, 9)],               # frame missing
            [hubpeer.header(hubpeer.MODEL, 9), b"x", b"y"],   # not for a hub
        ]
        for i, frames in enumerate(messages):
            before = self.count("dropped-messages")
            raw.send_multipart(frames)
            self.assertTrue(wait_until(
                lambda: self.count("dropped-messages") > before),
                "message %d not counted" % i)
        raw.close(0)
        # The hub still serves the good peer; nothing garbage sent applied.
        self.assertEqual(self.count("rounds"), 0)
        body = good.contribute(points(1, 40))
        self.assertEqual(good.next_model(body)[0], hubpeer.MODEL)
        self.assertEqual(self.count("rounds"), 1)
        self.assertEqual(self.count("points"), 40)


class PromptStop(InProcessHub):

    def stop_in_thread(self, pipeline):
        t = threading.Thread(target=pipeline.stop, daemon=True)
        t.start()
        t.join(HANG)
        self.assertFalse(t.is_alive(), "set_state(NULL) hung")

    def test_hub_waiting_for_workers_sigint(self):
        hub = self.launch(hub_description(self.ipc("lonely")))
        self.assertIsNotNone(hub.wait_line(
            lambda l: "new-state=(GstState)playing" in l and
            '"hub"' in l), hub.text())
        hub.signal(signal.SIGINT)
        self.assertIsNotNone(hub.wait(HANG), "hub hung on SIGINT")

    def test_hub_blocked_in_an_open_round_set_state_null(self):
        self.start_hub("join-window=0 sync-timeout=600000")
        peers = [self.peer(self.endpoint, w, D) for w in (1, 2)]
        distlib.join_all(peers)
        peers[0].contribute(points(1, 20))
        self.assertTrue(wait_until(lambda: self.count("members") == 2))
        self.stop_in_thread(self.hub_p)

    @unittest.skipUnless(distlib.have_worker(), "kmeans-worker not built")
    def test_worker_waiting_for_absent_hub(self):
        path = self.path("pts.f32")
        distlib.write_points(path, points(1, 1000))
        description = ("filesrc location=%s ! application/x-points,"
                       "format=F32LE,dimensions=%d ! kmeans-worker "
                       "endpoint=%s ! fakesink" % (path, D,
                                                   self.ipc("nobody")))
        w = self.launch(description)
        self.assertIsNotNone(w.wait_line(lambda l: "PAUSED" in l), w.text())
        time.sleep(0.5)     # into its wait for the hub; not a measurement
        w.signal(signal.SIGINT)
        self.assertIsNotNone(w.wait(HANG), "worker hung on SIGINT")
        inproc = self.pipeline(description)
        inproc.play()
        time.sleep(0.5)
        self.stop_in_thread(inproc)


if __name__ == "__main__":
    distlib.require_elements("kmeans-hub", "kmeans-train")
    unittest.main(verbosity=2)

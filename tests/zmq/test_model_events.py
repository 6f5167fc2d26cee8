#!/usr/bin/python3
"""The in-band model crosses ZeroMQ: event messages of gst framing.

kmeans-train ! kmzmqsink in one pipeline, kmzmqsrc ! kmeans-assign in
another: every buffer meets the model it met in one pipeline; a plain pyzmq
program reads the model from the event messages (schemas/model-event.md);
malformed event messages are counted and the stream goes on.
"""
import base64
import re
import struct
import time

import numpy as np
import zmq

from zmqtestlib import (HEADER, NONE, WAIT, WATCH, Gst, PeerTestCase,
                        Pipeline, main, rows, wait_until)

FLAG_EOS, FLAG_EVENT = 0x01, 0x20
EVENT_FLAGS = FLAG_EOS | FLAG_EVENT
K, D, PER_BUFFER, BUFFERS = 4, 3, 64, 30
SOURCE = ("kmeans-testsrc num-buffers=%d points-per-buffer=%d dimensions=%d "
          "clusters=%d seed=7 ! kmeans-train name=train num-clusters=%d "
          "seed=2" % (BUFFERS, PER_BUFFER, D, K, K))
ASSIGN = "kmeans-assign name=assign ! appsink name=out sync=false"


def header(flags, seq, caps=b"", stream=0x5EED, pts=NONE):
    return HEADER.pack(b"GZMQ", 1, flags, 0, stream, len(caps), seq, pts,
                       NONE, NONE, NONE, NONE) + caps


# --------------------------------------------- a reader without GStreamer

FIELD = re.compile(r'\s*([A-Za-z][\w.+-]*)=\(([\w]+)\)("(?:[^"\\]|\\.)*"|[^,;]*)')


def parse_structure(text):
    """Name and fields of a serialized GstStructure of scalar fields, as
    schemas/model-event.md describes it."""
    name, _, rest = text.partition(",")
    fields = {}
    for m in FIELD.finditer(rest):
        key, typ, value = m.groups()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if typ in ("int", "uint", "gint64", "guint64"):
            value = int(value)
        elif typ in ("double", "float"):
            value = float(value)
        fields[key] = value
    return name.strip(), fields


def model_from_event(fields):
    k, d = fields["clusters"], fields["dimensions"]
    centers = np.frombuffer(base64.b64decode(fields["centers"]), "<f4")
    counts = (np.frombuffer(base64.b64decode(fields["counts"]), "<f8")
              if "counts" in fields else None)
    return centers.reshape(k, d), counts


# ----------------------------------------------------------------- helpers

def record(pipeline, pad_owner, pad_name="sink"):
    """Per buffer reaching @pad_owner's pad: the version of the last
    kmeans-model event before it."""
    seen = {"version": 0, "per_buffer": [], "events": []}

    def probe(pad, info):
        if info.type & Gst.PadProbeType.BUFFER:
            seen["per_buffer"].append(seen["version"])
        else:
            ev = info.get_event()
            s = ev.get_structure()
            if s is not None and s.get_name() == "kmeans-model":
                seen["version"] = s.get_value("version")
                seen["events"].append(seen["version"])
        return Gst.PadProbeReturn.OK

    pad = pipeline.element(pad_owner).get_static_pad(pad_name)
    pad.add_probe(Gst.PadProbeType.BUFFER |
                  Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
    return seen


def drain(pipeline):
    """Every output buffer until EOS."""
    out = []
    while True:
        data, _ = pipeline.pull()
        if data is None:
            break
        out.append(data)
    pipeline.wait_eos()
    return out


def receiver_stats_ok(test, stats):
    test.assertEqual(stats["malformed"], 0)
    test.assertEqual(stats["dropped"], 0)


class ModelCrossesZmq(PeerTestCase):
    def local_run(self):
        p = Pipeline("%s ! %s" % (SOURCE, ASSIGN))
        seen = record(p, "assign")
        p.play()
        out = drain(p)
        result = dict(out=out, per_buffer=seen["per_buffer"],
                      dropped=p.element("assign").get_property(
                          "dropped-points"),
                      version=p.element("train").get_property(
                          "model-version"))
        p.stop()
        return result

    def remote_run(self, sink_args, src_args):
        endpoint = self.endpoints.ipc("model")
        recv = Pipeline("kmzmqsrc name=src endpoint=%s %s ! %s"
                        % (endpoint, src_args, ASSIGN))
        seen = record(recv, "assign")
        recv.play()
        send = Pipeline("%s ! kmzmqsink name=sink endpoint=%s sync=false %s"
                        % (SOURCE, endpoint, sink_args))
        send.play()
        out = drain(recv)
        send.wait_eos()
        result = dict(out=out, per_buffer=seen["per_buffer"],
                      events=seen["events"],
                      dropped=recv.element("assign").get_property(
                          "dropped-points"),
                      version=send.element("train").get_property(
                          "model-version"),
                      src=recv.stats("src"), sink=send.stats("sink"))
        send.stop()
        recv.stop()
        return result

    def check_same_as_local(self, remote):
        local = self.local_run()
        receiver_stats_ok(self, remote["src"])
        self.assertEqual(len(remote["out"]), BUFFERS)
        # Each buffer met the model version it met in one pipeline ...
        self.assertEqual(remote["per_buffer"], local["per_buffer"])
        self.assertGreater(remote["per_buffer"][-1], 0)
        # ... so it got the same assignments, bit for bit.
        self.assertEqual(remote["out"], local["out"])
        # Only what came before the first model was dropped, as locally.
        before_model = remote["per_buffer"].count(0) * PER_BUFFER
        self.assertEqual(remote["dropped"], before_model)
        self.assertEqual(remote["dropped"], local["dropped"])
        self.assertEqual(remote["version"], local["version"])
        self.assertEqual(remote["events"][-1], remote["version"])
        self.assertEqual(remote["src"]["events-out"],
                         remote["sink"]["events-out"])
        self.assertGreater(remote["sink"]["events-out"], 0)

    def test_pub_sub(self):
        """The issue's case: a remote kmeans-assign behind PUB/SUB."""
        self.check_same_as_local(self.remote_run(
            "wait-for-subscriber=true", ""))

    def test_push_pull(self):
        self.check_same_as_local(self.remote_run(
            "socket-type=push bind=false", "socket-type=pull bind=true"))

    def test_events_none(self):
        """events="" sends buffers and EOS only, as before: the receiver
        never gets a model."""
        remote = self.remote_run("wait-for-subscriber=true events=\"\"", "")
        self.assertEqual(remote["sink"]["events-out"], 0)
        self.assertEqual(remote["per_buffer"], [0] * BUFFERS)
        self.assertEqual(remote["dropped"], BUFFERS * PER_BUFFER)

    def test_events_by_name(self):
        remote = self.remote_run(
            "wait-for-subscriber=true events=\"other, kmeans-model\"", "")
        self.assertGreater(remote["sink"]["events-out"], 0)
        self.assertGreater(remote["per_buffer"][-1], 0)


    def test_stop_while_blocked_on_an_event(self):
        """A PUSH with no puller blocks on the first message, here the
        initial model event: stopping still returns."""
        send = Pipeline("%s ! kmzmqsink name=sink endpoint=%s "
                        "socket-type=push" % (SOURCE,
                                              self.endpoints.ipc("nobody")))
        send.pipeline.set_state(Gst.State.PLAYING)
        self.assertTrue(wait_until(
            lambda: send.element("train").get_property("model-version") > 0))
        time.sleep(WATCH)       # the sink is blocked in its event()
        self.assertEqual(send.stats("sink")["events-out"], 0)
        send.stop()             # a hang fails the test by its timeout
        self.assertEqual(send.stats("sink")["events-out"], 0)


class PlainSubscriber(PeerTestCase):
    def test_pyzmq_reads_the_model(self):
        """A pyzmq PULL decodes the model events with numpy: the last one
        is kmeans-train's centers and counts."""
        pull = self.ctx.socket(zmq.PULL)
        pull.bind(self.endpoints.ipc("plain"))
        send = Pipeline("%s ! kmzmqsink name=sink endpoint=%s sync=false "
                        "socket-type=push bind=false"
                        % (SOURCE, self.endpoints.ipc("plain")))
        send.play()

        models, buffers, kinds = [], 0, set()
        while True:
            self.assertTrue(pull.poll(int(WAIT * 1000)), "no message")
            frames = pull.recv_multipart()
            flags = frames[0][5]
            if flags & FLAG_EVENT:
                self.assertEqual(flags & EVENT_FLAGS, EVENT_FLAGS)
                self.assertEqual(len(frames), 3)
                kinds.add(frames[1].decode())
                name, fields = parse_structure(frames[2].decode())
                if name == "kmeans-model":
                    self.assertNotIn("model", fields)  # no pointer travels
                    models.append(fields)
            elif flags & FLAG_EOS:
                self.assertEqual(len(frames), 1)
                break
            else:
                buffers += 1
        send.wait_eos()
        train = send.element("train")
        centers = np.array([list(r) for r in train.get_property("centers")])
        counts = np.array(list(train.get_property("counts")))
        version = train.get_property("model-version")
        send.stop()

        self.assertEqual(buffers, BUFFERS)
        self.assertEqual(kinds, {"custom-downstream-sticky"})
        versions = [m["version"] for m in models]
        self.assertEqual(versions, sorted(versions))
        last = models[-1]
        self.assertEqual(last["version"], version)
        self.assertEqual((last["clusters"], last["dimensions"],
                          last["metric"]), (K, D, "squared-euclidean"))
        got_centers, got_counts = model_from_event(last)
        np.testing.assert_array_equal(got_centers,
                                      centers.astype(np.float32))
        np.testing.assert_array_equal(got_counts, counts)


class MalformedEvents(PeerTestCase):
    def setUp(self):
        super().setUp()
        self.push = self.ctx.socket(zmq.PUSH)
        self.push.bind(self.endpoints.ipc("bad"))
        self.seq = 0

    def start(self, downstream="appsink name=out sync=false"):
        self.p = Pipeline("kmzmqsrc name=src socket-type=pull endpoint=%s "
                          "max-event-size=4096 ! %s"
                          % (self.endpoints.ipc("bad"), downstream))
        self.events = []

        def probe(pad, info):
            s = info.get_event().get_structure()
            if s is not None and not s.get_name().startswith("GstKmeans") \
                    and info.get_event().type in (
                        Gst.EventType.CUSTOM_DOWNSTREAM,
                        Gst.EventType.CUSTOM_DOWNSTREAM_STICKY):
                self.events.append(s.to_string())
            return Gst.PadProbeReturn.OK

        self.p.element("src").get_static_pad("src").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
        self.p.play()

    def send(self, *frames):
        self.push.send_multipart(list(frames))
        self.seq += 1

    def event(self, kind, text, flags=EVENT_FLAGS, caps=b""):
        self.send(header(flags, self.seq, caps), kind, text)

    def points(self, index):
        self.send(header(0, self.seq, b"application/x-points, "
                         b"format=F32LE, dimensions=3", pts=index),
                  rows(index).tobytes())

    def tearDown(self):
        self.p.stop()
        super().tearDown()

    def test_malformed_event_messages_counted(self):
        self.start()
        self.points(0)
        self.assertIsNotNone(self.p.pull()[0])
        good = b"test-event, n=(int)5"
        bad = [
            # The event bit without EOS: a buffer to an old receiver.
            (header(FLAG_EVENT, 0), b"custom-downstream", good),
            (header(EVENT_FLAGS, 0), b"custom-downstream"),
            (header(EVENT_FLAGS, 0), b"custom-downstream", good, b"x"),
            (header(EVENT_FLAGS, 0), b"custom-upstream", good),
            (header(EVENT_FLAGS, 0), b"", good),
            (header(EVENT_FLAGS, 0, b"application/x-points"),
             b"custom-downstream", good),
            (header(EVENT_FLAGS, 0), b"custom-downstream", b""),
            (header(EVENT_FLAGS, 0), b"custom-downstream", b"!!! not one"),
            # The same refused string again: counted, not parsed again.
            (header(EVENT_FLAGS, 0), b"custom-downstream", b"!!! not one"),
            (header(EVENT_FLAGS, 0), b"custom-downstream",
             b"test-event, n=(int)5 trailing"),
            (header(EVENT_FLAGS, 0), b"custom-downstream",
             b"test-event, v=(string)" + b"{" * 100 + b"}" * 100),
            (header(EVENT_FLAGS, 0), b"custom-downstream",
             b"test-event, s=(string)\xff\xfe"),
            (header(EVENT_FLAGS, 0), b"custom-downstream",
             b"test-event, s=(string)a\x00b"),
            (header(EVENT_FLAGS, 0), b"custom-downstream",
             b"test-event, s=(string)" + b"a" * 5000),
        ]
        for frames in bad:
            h = bytearray(frames[0])
            struct.pack_into("<Q", h, 16, self.seq)
            self.send(bytes(h), *frames[1:])
        self.event(b"custom-downstream", good)
        self.points(1)
        data, _ = self.p.pull()
        self.assertIsNotNone(data, "the stream stopped")
        self.assertEqual(data, rows(1).tobytes())
        stats = self.p.stats("src")
        self.assertEqual(stats["malformed"], len(bad))
        self.assertEqual(stats["dropped"], 0)
        self.assertEqual(stats["events-out"], 1)
        self.assertEqual(self.events, ["test-event, n=(int)5;"])
        self.p.check_no_error()

    def test_event_order_and_kinds(self):
        """Events come out in stream order, each of its kind, the ones
        before the first buffer after the segment."""
        self.start()
        self.event(b"custom-downstream-sticky", b"first, n=(int)1")
        self.event(b"custom-downstream", b"second, n=(int)2")
        self.points(0)
        self.event(b"custom-both", b"third, n=(int)3")
        self.points(1)
        self.assertEqual(self.p.pull()[0], rows(0).tobytes())
        self.assertEqual(self.p.pull()[0], rows(1).tobytes())
        self.assertEqual(self.events, ["first, n=(int)1;",
                                       "second, n=(int)2;"])
        # custom-both is not in the probe's two kinds: still pushed.
        self.assertEqual(self.p.stats("src")["events-out"], 3)
        sticky = self.p.element("out").get_static_pad("sink") \
            .get_sticky_event(Gst.EventType.CUSTOM_DOWNSTREAM_STICKY, 0)
        self.assertEqual(sticky.get_structure().get_name(), "first")
        self.p.check_no_error()

    def test_bad_model_event_ignored(self):
        """A kmeans-model event that crossed the network is outside input:
        kmeans-assign rebuilds only a whole, finite model."""
        self.start("kmeans-assign name=assign ! appsink name=out "
                   "sync=false")
        centers = np.arange(6, dtype="<f4").reshape(2, 3)

        def model(version, data=centers, k=2, extra=""):
            text = ("kmeans-model, version=(guint64)%d, step=(guint64)1, "
                    "clusters=(uint)%d, dimensions=(uint)3, "
                    "metric=(string)squared-euclidean, centers=(string)\"%s\""
                    "%s" % (version, k, base64.b64encode(
                        data.tobytes()).decode(), extra))
            self.event(b"custom-downstream-sticky", text.encode())

        model(5)
        nan = centers.copy()
        nan[1, 2] = np.nan
        model(6, nan)                           # not finite
        model(7, k=3)                           # too few values for k
        model(8, centers[:1])                   # too few bytes
        model(9, extra=", counts=(string)\"%s\"" % base64.b64encode(
            np.array([1.0, -1.0], "<f8").tobytes()).decode())
        self.points(0)
        self.assertIsNotNone(self.p.pull()[0])
        assign = self.p.element("assign")
        self.assertEqual(assign.get_property("model-version"), 5)
        self.assertEqual(assign.get_property("dropped-points"), 0)
        self.assertEqual(self.p.stats("src")["malformed"], 0)
        self.p.check_no_error()


if __name__ == "__main__":
    main()

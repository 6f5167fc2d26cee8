#!/usr/bin/python3
"""CURVE: the right keys deliver; a wrong key, no key or an unlisted client
key delivers nothing, in either direction, over tcp and ipc."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402
import zmq.auth  # noqa: E402

from zmqtestlib import (POINTS_CAPS, WATCH, PeerTestCase,  # noqa: E402
                        Pipeline, Sender, bind_any, index_of, main, rows,
                        wait_until)


def curve_client(sock, server_public, keypair=None):
    public, secret = keypair or zmq.curve_keypair()
    sock.curve_serverkey = server_public
    sock.curve_publickey = public
    sock.curve_secretkey = secret


def key(k):
    return k.decode()


class CurveTest(PeerTestCase):

    def setUp(self):
        super().setUp()
        self.server_public, self.server_secret = zmq.curve_keypair()

    def curve_publisher(self, transport):
        pub = self.ctx.socket(zmq.PUB)
        pub.curve_server = True
        pub.curve_secretkey = self.server_secret
        endpoint = bind_any(pub, transport, self.endpoints)
        sender = Sender(lambda i: pub.send(rows(i).tobytes()))
        sender.start()
        return pub, endpoint, sender

    def subscriber(self, endpoint, curve):
        return Pipeline("kmzmqsrc name=src endpoint=%s framing=raw caps=%s %s "
                        "! appsink name=out sync=false"
                        % (endpoint, POINTS_CAPS, curve))

    def check_zmqsrc_client(self, transport):
        pub, endpoint, sender = self.curve_publisher(transport)
        wrong_public, _ = zmq.curve_keypair()
        try:
            good = self.subscriber(endpoint, "curve-server-key=%s"
                                   % key(self.server_public))
            wrong = self.subscriber(endpoint, "curve-server-key=%s"
                                    % key(wrong_public))
            plain = self.subscriber(endpoint, "")
            for p in (good, wrong, plain):
                p.play()
            data, _ = good.pull()
            self.assertIsNotNone(data, "the right key got nothing")
            self.assertEqual(data, rows(index_of(data)).tobytes())
            # Meanwhile, and for a while longer, the others get nothing.
            for p in (wrong, plain):
                data, _ = p.pull(timeout=WATCH)
                self.assertIsNone(data)
                self.assertEqual(p.stats("src").get_value("messages-in"), 0)
                p.check_no_error()
            for p in (good, wrong, plain):
                p.stop()
        finally:
            sender.stop()
            pub.close(0)

    def test_zmqsrc_client_tcp(self):
        self.check_zmqsrc_client("tcp")

    def test_zmqsrc_client_ipc(self):
        self.check_zmqsrc_client("ipc")

    def test_zmqsink_server(self):
        """kmzmqsink is the CURVE server: only a subscriber with its public
        key reads anything; an eavesdropper without it reads nothing."""
        p = Pipeline("appsrc name=in caps=%s format=time is-live=true ! "
                     "kmzmqsink name=sink endpoint=tcp://127.0.0.1:* sync=false "
                     "curve-server=true curve-secret-key=%s"
                     % (POINTS_CAPS, key(self.server_secret)))
        p.play()
        endpoint = p.element("sink").get_property("last-endpoint")
        good, wrong, plain = (self.ctx.socket(zmq.SUB) for _ in range(3))
        curve_client(good, self.server_public)
        curve_client(wrong, zmq.curve_keypair()[0])
        for s in (good, wrong, plain):
            s.subscribe(b"")
            s.connect(endpoint)
        src = p.element("in")

        def push(i):
            from zmqtestlib import Gst
            src.emit("push-buffer", Gst.Buffer.new_wrapped(rows(i).tobytes()))

        sender = Sender(push)
        sender.start()
        try:
            self.assertTrue(good.poll(20000), "the right key got nothing")
            frames = good.recv_multipart()
            self.assertEqual(frames[1], rows(index_of(frames[1])).tobytes())
            self.assertEqual(wrong.poll(int(WATCH * 1000)), 0)
            self.assertEqual(plain.poll(0), 0)
        finally:
            sender.stop()
            p.stop()
            for s in (good, wrong, plain):
                s.close(0)

    def test_allowed_clients(self):
        """kmzmqsrc is the server and admits only the listed publisher."""
        friend = zmq.curve_keypair()
        stranger = zmq.curve_keypair()
        p = Pipeline("kmzmqsrc name=src endpoint=tcp://127.0.0.1:* bind=true "
                     "socket-type=pull framing=raw caps=%s curve-server=true "
                     "curve-secret-key=%s curve-allowed-clients=%s ! "
                     "appsink name=out sync=false"
                     % (POINTS_CAPS, key(self.server_secret), key(friend[0])))
        p.play()
        endpoint = p.element("src").get_property("last-endpoint")
        good, bad = self.ctx.socket(zmq.PUSH), self.ctx.socket(zmq.PUSH)
        curve_client(good, self.server_public, friend)
        curve_client(bad, self.server_public, stranger)
        try:
            bad.connect(endpoint)
            self.assertTrue(wait_until(lambda: p.stats("src").get_value(
                "clients-rejected") >= 1), "the stranger was not refused")
            try:        # refused at the handshake: usually not even queued
                bad.send(rows(666).tobytes(), zmq.NOBLOCK)
            except zmq.Again:
                pass
            good.connect(endpoint)
            good.send(rows(1).tobytes())
            data, _ = p.pull()
            self.assertEqual(data, rows(1).tobytes())
            data, _ = p.pull(timeout=WATCH)
            self.assertIsNone(data, "the stranger got through")
            self.assertEqual(p.stats("src").get_value("messages-in"), 1)
        finally:
            p.stop()
            good.close(0)
            bad.close(0)

    def test_key_files_between_pipelines(self):
        """Certificates written by pyzmq (zcert format) on both sides of a
        kmzmqsink -> kmzmqsrc link."""
        public_file, secret_file = zmq.auth.create_certificates(
            self.endpoints.dir, "server")
        endpoint = self.endpoints.ipc("curve")
        sink = Pipeline("kmeans-testsrc num-buffers=5 points-per-buffer=4 ! "
                        "kmzmqsink name=sink endpoint=%s wait-for-subscriber=true"
                        " curve-server=true curve-key-file=%s sync=false"
                        % (endpoint, secret_file))
        src = Pipeline("kmzmqsrc name=src endpoint=%s curve-server-key-file=%s "
                       "! appsink name=out sync=false" % (endpoint,
                                                         public_file))
        sink.play()
        src.play()
        try:
            for i in range(5):
                data, sample = src.pull()
                self.assertIsNotNone(data, "buffer %d missing" % i)
                self.assertEqual(len(data), 4 * 2 * 4)
                self.assertIn("application/x-points",
                              sample.get_caps().to_string())
            src.wait_eos()
            sink.wait_eos()
        finally:
            src.stop()
            sink.stop()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""kmzmqsrc as the CURVE server (bind, PULL) against hostile clients: one
without keys (plain ZeroMQ) and one with the wrong server key.  They keep
sending; nothing they send reaches the pipeline (messages-in stays 0, no
buffer, no error), while a client with the right key gets through.
(tests/zmq/test_zmq_curve.py covers kmzmqsrc as a CURVE client, kmzmqsink as
the server, and clients refused by curve-allowed-clients.)
"""
import unittest

import zmq

from loadlib import (WATCH, Endpoints, Pipeline, require_plugin, rows,
                     wait_until)

CAPS = "application/x-points,format=F32LE,dimensions=3"
ATTEMPTS = 200          # messages each hostile client offers


class CurveHostileTest(unittest.TestCase):

    def check(self, transport):
        ctx = zmq.Context()
        endpoints = Endpoints()
        server_public, server_secret = zmq.curve_keypair()
        endpoint = ("tcp://127.0.0.1:*" if transport == "tcp"
                    else endpoints.ipc("curve"))
        p = Pipeline("kmzmqsrc name=src endpoint=%s bind=true socket-type=pull "
                     "framing=raw caps=%s curve-server=true "
                     "curve-secret-key=%s ! appsink name=out sync=false"
                     % (endpoint, CAPS, server_secret.decode()))
        plain = ctx.socket(zmq.PUSH)
        wrong = ctx.socket(zmq.PUSH)
        wrong.curve_serverkey = zmq.curve_keypair()[0]
        wrong.curve_publickey, wrong.curve_secretkey = zmq.curve_keypair()
        good = ctx.socket(zmq.PUSH)
        good.curve_serverkey = server_public
        good.curve_publickey, good.curve_secretkey = zmq.curve_keypair()
        monitors = [s.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                                         | zmq.EVENT_HANDSHAKE_FAILED_AUTH
                                         | zmq.EVENT_DISCONNECTED)
                    for s in (plain, wrong)]
        sockets = (plain, wrong, good)
        try:
            p.play()
            endpoint = p.element("src").get_property("last-endpoint")
            for s in sockets:
                s.linger = 0
                s.connect(endpoint)
            offered = 0
            for i in range(ATTEMPTS):
                for s in (plain, wrong):
                    try:        # never admitted: usually not even queued
                        s.send(rows(666).tobytes(), zmq.NOBLOCK)
                        offered += 1
                    except zmq.Again:
                        pass
            # Both hostile connections fail their handshake (bounded).
            for m in monitors:
                self.assertTrue(wait_until(lambda: m.poll(0)),
                                "a hostile client was not refused")
            good.send(rows(1).tobytes())
            data, _ = p.pull()
            self.assertEqual(data, rows(1).tobytes(), "the right key failed")
            data, _ = p.pull(timeout=WATCH)
            self.assertIsNone(data, "a hostile client got through")
            stats = p.stats("src")
            print("%s: hostile clients offered %d messages; kmzmqsrc "
                  "messages-in %d, malformed %d" % (
                      transport, offered, stats.get_value("messages-in"),
                      stats.get_value("malformed")))
            self.assertEqual(stats.get_value("messages-in"), 1)
            self.assertEqual(stats.get_value("malformed"), 0)
            p.check_no_error()
        finally:
            p.stop()
            for s in (plain, wrong):
                s.disable_monitor()
            for m in monitors:
                m.close(0)
            for s in sockets:
                s.close(0)
            ctx.term()
            endpoints.close()

    def test_tcp(self):
        self.check("tcp")

    def test_ipc(self):
        self.check("ipc")


if __name__ == "__main__":
    require_plugin()
    unittest.main(verbosity=2)

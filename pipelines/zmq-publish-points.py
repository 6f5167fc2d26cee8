#!/usr/bin/python3
"""Publishes random blob points over ZeroMQ, raw framing, as a plain program would.

Shows what `kmzmqsrc framing=raw` expects from a non-GStreamer sender: each
message is one payload frame of N rows of D little-endian float32 values
(`application/x-points, format=F32LE, dimensions=D`), optionally preceded by
a topic frame.  Nothing else travels: the receiver sets the caps itself:

    gst-launch-1.0 kmzmqsrc endpoint=tcp://127.0.0.1:5557 framing=raw \\
        caps="application/x-points,format=F32LE,dimensions=2" ! ...
    pipelines/zmq-publish-points.py --endpoint tcp://127.0.0.1:5557

The points come from K Gaussian blobs whose centers are printed at start.
By default the socket is a PUB that binds and sends forever, 10 messages a
second; see --help for PUSH, connecting, a topic and CURVE.
"""
import argparse
import sys
import time

import numpy as np
import zmq


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5557",
                        help="ZeroMQ endpoint (default %(default)s)")
    parser.add_argument("--connect", action="store_true",
                        help="connect to the endpoint instead of binding it")
    parser.add_argument("--socket-type", choices=("pub", "push"),
                        default="pub")
    parser.add_argument("--topic", default="",
                        help="send this topic as a first frame")
    parser.add_argument("--clusters", "-k", type=int, default=4)
    parser.add_argument("--dimensions", "-d", type=int, default=2)
    parser.add_argument("--points-per-message", "-n", type=int, default=64)
    parser.add_argument("--rate", type=float, default=10.0,
                        help="messages per second (0 = as fast as possible)")
    parser.add_argument("--count", type=int, default=0,
                        help="messages to send, then exit (0 = forever)")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds to wait before the first message")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--curve-server-key", metavar="Z85",
                        help="be a CURVE client of the server with this "
                        "public key")
    parser.add_argument("--curve-secret-key", metavar="Z85",
                        help="this socket's CURVE secret key (a client "
                        "without one uses a fresh key pair)")
    parser.add_argument("--curve-server", action="store_true",
                        help="be the CURVE server (needs --curve-secret-key)")
    args = parser.parse_args()
    if min(args.clusters, args.dimensions, args.points_per_message) < 1:
        parser.error("clusters, dimensions and points per message must be "
                     "positive")
    if args.curve_server and not args.curve_secret_key:
        parser.error("--curve-server needs --curve-secret-key")
    return args


def configure_curve(sock, args):
    if args.curve_server:
        sock.curve_server = True
        sock.curve_secretkey = args.curve_secret_key.encode()
    elif args.curve_server_key:
        if args.curve_secret_key:
            secret = args.curve_secret_key.encode()
            public = zmq.curve_public(secret)
        else:
            public, secret = zmq.curve_keypair()
        sock.curve_serverkey = args.curve_server_key.encode()
        sock.curve_publickey = public
        sock.curve_secretkey = secret


def main():
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    centers = rng.uniform(-10, 10, size=(args.clusters, args.dimensions))
    print("true centers:", file=sys.stderr)
    for c in centers:
        print("  " + " ".join("%.4f" % v for v in c), file=sys.stderr)

    ctx = zmq.Context()
    sock = ctx.socket(zmq.PUB if args.socket_type == "pub" else zmq.PUSH)
    sock.linger = 1000
    configure_curve(sock, args)
    if args.connect:
        sock.connect(args.endpoint)
    else:
        sock.bind(args.endpoint)
    print("%s %s %s" % (args.socket_type.upper(),
                        "connected to" if args.connect else "bound to",
                        sock.last_endpoint.decode()), file=sys.stderr)
    if args.delay > 0:
        time.sleep(args.delay)

    sent = 0
    try:
        while args.count == 0 or sent < args.count:
            labels = rng.integers(0, args.clusters,
                                  size=args.points_per_message)
            rows = centers[labels] + rng.normal(
                size=(args.points_per_message, args.dimensions))
            payload = rows.astype("<f4").tobytes()
            if args.topic:
                sock.send_multipart([args.topic.encode(), payload])
            else:
                sock.send(payload)
            sent += 1
            if args.rate > 0:
                time.sleep(1.0 / args.rate)
    except KeyboardInterrupt:
        pass
    print("sent %d messages" % sent, file=sys.stderr)
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Prints the messages a kmzmqsink (or any ZeroMQ sender) publishes.

Shows both framings from the receiving end, without GStreamer.  A message
from `kmzmqsink framing=gst` is `[topic] header payload...`; the 64-byte
header plus caps string (schemas/zmq-framing.md) is decoded here with one
struct.unpack.  A message from `framing=raw` is `[topic] payload`.  With
--dtype and --dimensions the payload is also printed as rows:

    gst-launch-1.0 kmeans-testsrc is-live=true ! \\
        kmzmqsink endpoint=tcp://127.0.0.1:5556 topic=points
    pipelines/zmq-subscribe.py --endpoint tcp://127.0.0.1:5556 --topic points \\
        --dtype float32 --dimensions 2

A payload that is a kmeans-format JSON document (schemas/) is printed as
one line saying what it holds: an `assignments` document as its model
version, point count and points per cluster, a `score` as its mean
distance, a `model` as how far the centers moved since the previous one:

    gst-launch-1.0 kmeans-testsrc points-per-second=10000 \\
        points-per-buffer=500 num-buffers=40 ! kmeans-train num-clusters=4 ! \\
        kmeans-score interval-points=5000 ! kmeans-assign ! kmeans-format ! \\
        kmzmqsink endpoint=tcp://127.0.0.1:5556 framing=raw \\
        wait-for-subscriber=true
    pipelines/zmq-subscribe.py --endpoint tcp://127.0.0.1:5556 --until-final

By default a SUB socket connects and prints messages until interrupted or
until --count messages, an EOS header, or (with --until-final) the final
score document arrived.
"""
import argparse
import json
import struct
import sys

import numpy as np
import zmq

HEADER = struct.Struct("<4sBBHIIQQQQQQ")   # 64 bytes, then the caps string
NONE = 2 ** 64 - 1
FLAGS = ((1, "EOS"), (2, "DISCONT"), (4, "DELTA_UNIT"), (8, "GAP"),
         (16, "HEADER"), (32, "EVENT"))


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5556",
                        help="ZeroMQ endpoint (default %(default)s)")
    parser.add_argument("--bind", action="store_true",
                        help="bind the endpoint instead of connecting")
    parser.add_argument("--socket-type", choices=("sub", "pull"),
                        default="sub")
    parser.add_argument("--topic", default="",
                        help="subscribe to this topic and strip its frame")
    parser.add_argument("--count", type=int, default=0,
                        help="stop after this many messages (0 = never)")
    parser.add_argument("--timeout", type=float, default=0,
                        help="give up after this many seconds without a "
                        "message (0 = wait forever)")
    parser.add_argument("--dtype", choices=("float32", "float64"),
                        help="print payloads as rows of this type")
    parser.add_argument("--dimensions", type=int, default=0,
                        help="values per row for --dtype")
    parser.add_argument("--curve-server-key", metavar="Z85",
                        help="be a CURVE client of the server with this "
                        "public key")
    parser.add_argument("--until-final", action="store_true",
                        help="stop after the score document kmeans-score "
                        "sends at the end of the stream (\"final\": true)")
    parser.add_argument("--save", metavar="FILE",
                        help="also write every JSON document received to "
                        "FILE as received, one per line (JSON Lines)")
    return parser.parse_args()


def parse_header(frame):
    """The header fields, or None when the frame is not a header."""
    if len(frame) < HEADER.size or frame[:4] != b"GZMQ":
        return None
    (_, version, flags, _, stream, caps_len, seq, pts, dts, duration,
     offset, offset_end) = HEADER.unpack_from(frame)
    if version != 1 or len(frame) != HEADER.size + caps_len:
        return None
    return {
        "flags": [name for bit, name in FLAGS if flags & bit],
        "stream": "%08x" % stream, "sequence": seq,
        "pts": None if pts == NONE else pts / 1e9,
        "duration": None if duration == NONE else duration / 1e9,
        "offset": None if offset == NONE else offset,
        "caps": frame[HEADER.size:].decode("utf-8"),
    }


def describe_payload(frames, args):
    data = b"".join(frames)
    text = "%d bytes in %d frame(s)" % (len(data), len(frames))
    if args.dtype and args.dimensions > 0:
        dtype = np.dtype("<f4" if args.dtype == "float32" else "<f8")
        if len(data) % (dtype.itemsize * args.dimensions) == 0:
            rows = np.frombuffer(data, dtype=dtype).reshape(-1,
                                                            args.dimensions)
            text += "\n" + np.array2string(rows, precision=3)
        else:
            text += " (not whole rows of %d %s)" % (args.dimensions,
                                                     args.dtype)
    return text


def json_document(frames):
    """The kmeans-format document a payload holds, or None."""
    data = b"".join(frames)
    if not data.lstrip().startswith(b"{"):
        return None
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "type" in doc else None


class Documents:
    """Describes kmeans-format documents in one line each and keeps the
    totals: what a subscriber of the results needs."""

    def __init__(self):
        self.counts = {}
        self.points = 0
        self.centers = None
        self.version = None

    def describe(self, doc):
        kind = doc["type"]
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "assignments":
            self.points += doc["count"]
            per_cluster = np.bincount(doc["cluster"],
                                      minlength=doc["clusters"])
            return ("assignments: model v%-3s %5d points  cluster counts %s"
                    % (doc["model_version"], doc["count"],
                       " ".join("%4d" % n for n in per_cluster)))
        if kind == "score":
            return ("score: mean %.3f over %d points (model v%d)%s"
                    % (doc["mean"], doc["num_points"], doc["model_version"],
                       ", final" if doc["final"] else ""))
        if kind == "model":
            centers = np.array(doc["centers"], dtype=float)
            text = ("model v%d (step %d): %d centers of dimension %d"
                    % (doc["version"], doc["step"], doc["clusters"],
                       doc["dimensions"]))
            if self.centers is not None \
                    and self.centers.shape == centers.shape:
                text += ", moved at most %.3f since v%d" % (
                    np.linalg.norm(centers - self.centers, axis=1).max(),
                    self.version)
            self.centers, self.version = centers, doc["version"]
            return text
        return "%s: %s" % (kind, json.dumps(doc, separators=(",", ":")))

    def summary(self):
        text = "received %s" % (", ".join(
            "%d %s" % (n, kind) for kind, n in sorted(self.counts.items()))
            or "no document")
        if self.points:
            text += "; %d points assigned" % self.points
        if self.centers is not None:
            text += "\nlast model v%d centers:\n%s" % (
                self.version, np.array2string(self.centers, precision=3))
        return text


def main():
    args = parse_args()
    documents = Documents()
    save = open(args.save, "w") if args.save else None
    ctx = zmq.Context()
    sock = ctx.socket(zmq.SUB if args.socket_type == "sub" else zmq.PULL)
    sock.linger = 0
    if args.curve_server_key:
        public, secret = zmq.curve_keypair()
        sock.curve_serverkey = args.curve_server_key.encode()
        sock.curve_publickey = public
        sock.curve_secretkey = secret
    if args.socket_type == "sub":
        sock.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    if args.bind:
        sock.bind(args.endpoint)
    else:
        sock.connect(args.endpoint)
    print("%s %s %s" % (args.socket_type.upper(),
                        "bound to" if args.bind else "connected to",
                        sock.last_endpoint.decode()), file=sys.stderr)

    received = 0
    try:
        while args.count == 0 or received < args.count:
            if args.timeout > 0 and not sock.poll(args.timeout * 1000):
                print("no message for %g s" % args.timeout, file=sys.stderr)
                return 1
            frames = sock.recv_multipart()
            received += 1
            if args.topic:
                frames = frames[1:]
            header = parse_header(frames[0]) if frames else None
            payload = frames[1:] if header else frames
            doc = json_document(payload)
            if doc is not None:
                if save:
                    # As received: the text kmeans-format wrote.
                    save.write(b"".join(payload).decode().rstrip("\n")
                               + "\n")
                    save.flush()
                print(documents.describe(doc))
                sys.stdout.flush()
                if args.until_final and doc["type"] == "score" \
                        and doc.get("final"):
                    break
                continue
            if header is None:
                print("#%d raw: %s" % (received, describe_payload(frames,
                                                                  args)))
                sys.stdout.flush()
                continue
            print("#%d %s" % (received, header))
            if "EVENT" in header["flags"]:
                # An event message sets EOS too, so that old receivers drop
                # it (schemas/zmq-framing.md): the kind, then the structure.
                print("   event %s: %.200s" % (
                    frames[1].decode("utf-8", "replace"),
                    frames[2].decode("utf-8", "replace")
                    if len(frames) > 2 else ""))
                sys.stdout.flush()
                continue
            if "EOS" in header["flags"]:
                print("end of stream")
                break
            print("   payload: %s" % describe_payload(frames[1:], args))
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    if documents.counts:
        print(documents.summary())
    if save:
        save.close()
    sock.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())

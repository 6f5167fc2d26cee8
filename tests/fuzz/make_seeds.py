#!/usr/bin/python3
"""Writes the starting inputs of the fuzz harnesses into corpus/<harness>/.

Each seed is a small well-formed input (or a near miss) in the harness's
input layout (see the comment at the top of tests/fuzz/fuzz_<harness>.c),
so a campaign starts from the formats' interesting corners instead of from
nothing.  Checkpoints are encoded here from schemas/checkpoint.md alone, so
a seed the core refuses would show that document and code disagree.
scripts/fuzz.sh merges what the campaigns find into the same folders.

    tests/fuzz/make_seeds.py [CORPUS-DIR]
"""
import hashlib
import os
import struct
import sys


def write(corpus, harness, name, data):
    folder = os.path.join(corpus, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------ zmq_header
def zmq_header(flags=0, caps=b"", version=1, magic=b"GZMQ", seq=0,
               pts=0, dts=0xFFFFFFFFFFFFFFFF, duration=1000, offset=0,
               offset_end=4):
    return (magic + struct.pack("<BBHII", version, flags, 0, 0x1234abcd,
                                len(caps))
            + struct.pack("<QQQQQQ", seq, pts, dts, duration, offset,
                          offset_end) + caps)


def zmq_seeds(corpus):
    points = b"application/x-points, format=(string)F32LE, dimensions=(int)3"
    tensors = (b"other/tensors, format=(string)static, num_tensors=(int)1, "
               b"types=(string)float32, dimensions=(string)4:16:1:1, "
               b"framerate=(fraction)0/1")
    write(corpus, "zmq_header", "points", zmq_header(caps=points))
    write(corpus, "zmq_header", "tensors", zmq_header(flags=2, caps=tensors))
    write(corpus, "zmq_header", "no-caps", zmq_header(flags=0x1e))
    write(corpus, "zmq_header", "eos", zmq_header(flags=1))
    write(corpus, "zmq_header", "bad-magic", zmq_header(magic=b"GZMX"))
    write(corpus, "zmq_header", "bad-version", zmq_header(version=2))
    write(corpus, "zmq_header", "truncated", zmq_header(caps=points)[:70])
    write(corpus, "zmq_header", "trailing", zmq_header() + b"x")
    write(corpus, "zmq_header", "nul-in-caps", zmq_header(caps=b"a\0b"))
    write(corpus, "zmq_header", "short", b"GZMQ\x01")


# ----------------------------------------------------------------- parse
def parse_seed(opt0, opt1, opt2, *chunks):
    return bytes([opt0, opt1, opt2]) + b"\xff".join(chunks)


LINES, SKIP, F64, DISCONT = 4, 64, 32, 128
CSV, JSON = 1, 2


def parse_seeds(corpus):
    w = lambda name, *a: write(corpus, "parse", name, parse_seed(*a))
    w("csv-header", LINES, 1, 0, b"x,y\n1.5,2\n3,4.25\n")
    w("csv-split", LINES | SKIP, 0, 0, b"x,y\n1.", b"5,2\n3,4", b".25")
    w("csv-quotes", LINES | SKIP | CSV, 1, 0,
      b'"a","b"\n"1.5","2"\n"3""",4\n')
    w("csv-label", LINES | SKIP, 0, 0, b"id,label,x,y\n1,a,1.5,2\n2,b,oops,3\n")
    w("csv-columns", LINES | SKIP, 4 | 1, 0, b"5,6,7\n8,9,10\n")
    w("csv-names", LINES | SKIP, 8 | 1, 0, b"y,x\n1,2\n3,4\n")
    w("csv-semicolon", LINES | SKIP | F64, 16 | 1, 0, b"1;2\r\n3;4\r\n")
    w("csv-tab", LINES | SKIP, 32 | 1, 0, b"1\t2\n3\t4\n")
    w("csv-long-line", LINES | SKIP, 0, 1, b"1,2\n" + b"3" * 40 + b"\n5,6\n")
    w("csv-discont", LINES | SKIP | DISCONT, 0, 0, b"1,2\n3,", b"4\n5,6\n")
    w("csv-message", SKIP, 1, 0, b"x,y\n1,2\n3,4", b"5,6\n7,8")
    w("csv-nonfinite", LINES | SKIP, 0, 0, b"1,2\nnan,3\ninf,4\n1e39,5\n")
    w("csv-dims", LINES | SKIP, 128 | 1, 0, b"1,2\n1,2,3\n")
    w("json-point", SKIP | JSON, 2, 0, b"[0.5, 1.5]")
    w("json-points", SKIP, 2, 0, b"[[0.5, 1.5], [2, 3]]")
    w("json-object", SKIP, 2, 0, b'{"point": [0.5, 1.5], "id": 7}')
    w("json-objects", SKIP, 0, 0,
      b'[{"point": [0.5, 1.5]}, {"point": [2, 3]}]')
    w("json-names", SKIP | JSON, 8, 0, b'{"x": 0.5, "y": 1.5}')
    w("json-lines", LINES | SKIP, 0, 0,
      b'{"id":1,"point":[1,2]}\n{"id":2,"point":[[3,4],[5,6]]}\n')
    w("json-deep", SKIP | JSON, 0, 0, b"[" * 40 + b"1" + b"]" * 40)
    w("json-bigint", SKIP | JSON, 0, 0, b"[12345678901234567890, 1]")
    w("json-bad", SKIP | JSON, 0, 0, b'{"point": [1, "a"]}', b"[1,2] [3]")
    w("json-f64", SKIP | JSON | F64, 0, 0, b"[1e300, -1e-300]")
    w("error-policy", LINES, 0, 0, b"1,2\nx\n3,4\n")
    w("binary", LINES | SKIP, 0, 0, bytes(range(0, 255)))
    w("empty-buffers", LINES | SKIP, 0, 0, b"", b"1,", b"", b"2\n")
    # Issue 11: byte-order marks, one-line messages, what the walk of
    # large documents must read alike (every JSON seed is walked too).
    w("bom-lines", LINES | SKIP, 1, 0, b"\xef", b"\xbb\xbfx,y\n1,2\n")
    w("bom-message", SKIP, 0, 0, b"\xef\xbb\xbf[1,2]",
      b"\xef\xbb\xbf1,2\n3,4", b"1,\xef\xbb\xbf2")
    w("lone-line", SKIP, 0, 0, b"x,y", b"\n x,y \r\n", b"x,y\n1,2")
    w("lone-line-names", SKIP, 8, 0, b"x,y", b"1,2")
    w("json-walk", SKIP | JSON, 0, 0,
      b'{"a": {"point": [9]}, "point": [[1, 2], [3, 4]], "point": [[5, 6]]}',
      b"[[1,2],[3,4]] ", b"[{'point': [[0x10, .5]]}, [01, 2]]",
      b'[[1],[2],]', b'{"p" [1]}', b"[[1], 2 [3]]", b"[1, /*c*/]")
    w("json-scalars", SKIP | JSON, 4, 0, b"[1, .]", b"[10, 20, 30, -0.0]",
      b'{"point": [1, 2], "x": .}')


# ------------------------------------------------------------ checkpoint
def checkpoint(k, d, metric=0, init=0, mini_batch=True, n=1,
               initialized=True, converged=False, prev_loss=None, step=7,
               version=8, decay=1.0, time_unit=0, rows=None):
    working = mini_batch and n > 1
    flags = ((1 if mini_batch else 0) | (2 if initialized else 0)
             | (4 if converged else 0) | (8 if prev_loss is not None else 0)
             | (16 if working else 0))
    rows = k if rows is None else rows
    header = b"GKMCKPT\0" + struct.pack(
        "<IIIIIIIIII", 1, 144, k, d, metric, init, flags, n, rows, time_unit)
    header += struct.pack("<ddQQQQqd", decay, 1.0, 42, step, version, step,
                          n - 1 if working else 0,
                          prev_loss if prev_loss is not None else 0.0)
    header += struct.pack("<4Q", 1, 2, 3, 4)
    assert len(header) == 144
    counts = struct.pack("<%dd" % k, *[float(i + 1) for i in range(k)])
    centers = struct.pack("<%df" % (k * d),
                          *[float((i * 37) % 11) - 5.0 for i in range(k * d)])
    body = header + counts + (counts if working else b"") + centers
    body += centers if working else b""
    return body + hashlib.sha256(body).digest()


def checkpoint_seeds(corpus):
    w = lambda name, opt, data: write(corpus, "checkpoint", name,
                                      bytes([opt]) + data)
    w("mini-batch", 2, checkpoint(3, 2))
    w("mini-batch-fix-digest", 3, checkpoint(3, 2))
    w("steps-per-sync", 2, checkpoint(2, 3, n=3))
    w("full-batch", 2, checkpoint(4, 2, mini_batch=False, prev_loss=2.5))
    w("cosine", 2, checkpoint(2, 4, metric=1, converged=True, prev_loss=1.0))
    w("decay", 2, checkpoint(3, 1, decay=0.5, time_unit=1))
    w("uninitialized", 2, checkpoint(3, 2, initialized=False, rows=1))
    w("kmeans-plus-plus", 2, checkpoint(2, 2, init=1, initialized=False,
                                        rows=0))
    w("bad-digest", 2, checkpoint(3, 2)[:-1] + b"\0")
    w("truncated", 2, checkpoint(3, 2)[:-8])
    w("huge-k", 3, checkpoint(1, 1)[:16] + struct.pack("<I", 1 << 20)
      + checkpoint(1, 1)[20:])
    w("version-2", 3, checkpoint(1, 1)[:8] + struct.pack("<I", 2)
      + checkpoint(1, 1)[12:])
    nan = struct.pack("<f", float("nan"))
    good = checkpoint(2, 2)
    w("nan-center", 3, good[:144 + 16] + nan + good[144 + 16 + 4:])
    w("negative-count", 3, good[:144] + struct.pack("<d", -1.0)
      + good[144 + 8:])
    w("zero-rng", 3, good[:112] + bytes(32) + good[144:])


# ------------------------------------------------------------ tensor_dims
def tensor_dims_seeds(corpus):
    for name, s in [("d", "4"), ("d-n", "4:32"), ("padded", "4:32:1:1"),
                    ("zero-pad", "3:1:0"), ("rank3", "4:2:2"),
                    ("spaces", " 4 : 2 "), ("two-tensors", "4:2,3:2"),
                    ("too-big", "65537"), ("huge", "99999999999"),
                    ("zero", "0:4"), ("empty-part", "4::1"),
                    ("rank17", ":".join(["1"] * 17)), ("sign", "+4:-1")]:
        write(corpus, "tensor_dims", name, s)


# ------------------------------------------------------------------ caps
def caps_seeds(corpus):
    for name, s in [
            ("points", "application/x-points, format=(string)F32LE, "
             "dimensions=(int)3"),
            ("points-f64", "application/x-points, format=F64LE, "
             "dimensions=65536"),
            ("points-range", "application/x-points, format={F32LE,F64LE}, "
             "dimensions=[1,65536]"),
            ("tensors", "other/tensors, format=static, num_tensors=1, "
             "types=float32, dimensions=(string)4:32, framerate=0/1"),
            ("tensors-f64", "other/tensors, types=(string)float64, "
             "dimensions=(string)2"),
            ("tensors-rank3", "other/tensors, types=float32, "
             "dimensions=(string)4:2:3"),
            ("tensors-flagset", "other/tensors, types=float32, "
             "dimensions=4:32"),
            ("tensors-many", "other/tensors, num_tensors=2, types=float32, "
             "dimensions=(string)4:32"),
            ("two-structures", "application/x-points, format=F32LE, "
             "dimensions=2; other/tensors"),
            ("audio", "audio/x-raw, format=F32LE, channels=2"),
            ("video", "video/x-raw, format=BGRx, width=4, height=2, "
             "framerate=30/1"),
            ("video-gray", "video/x-raw, format=GRAY8, width=32767, "
             "height=32767"),
            ("video-yuv", "video/x-raw, format=I420, width=4, height=2"),
            ("audio", "audio/x-raw, format=S16LE, layout=interleaved, "
             "rate=44100, channels=2"),
            ("audio-f32", "audio/x-raw, format=F32LE, layout=interleaved, "
             "rate=8000, channels=65536"),
            ("audio-planar", "audio/x-raw, format=F32LE, "
             "layout=non-interleaved, rate=8000, channels=2"),
            ("any", "ANY"), ("empty", "EMPTY"),
            ("features", "application/x-points(memory:SystemMemory), "
             "format=F32LE, dimensions=2")]:
        write(corpus, "caps", name, s)


# ----------------------------------------------------------- points_read
def points_read_seeds(corpus):
    # byte 0: media (0 F32 points, 1 F64, 2 tensors, 3 F32 audio, 4 S16
    # audio, 5.. video), bit 4 one byte off alignment, bit 5 one frame.
    def opt(media=0, unaligned=False, d=2, h=0, frame=False):
        return bytes([media | (16 if unaligned else 0) | (32 if frame else 0),
                      d - 1, max(h - 1, 0)])

    f = lambda *v: struct.pack("<%df" % len(v), *v)
    dd = lambda *v: struct.pack("<%dd" % len(v), *v)
    s16 = lambda *v: struct.pack("<%dh" % len(v), *v)
    nan, inf = float("nan"), float("inf")
    w = lambda name, data: write(corpus, "points_read", name, data)
    w("f32", opt() + f(1, 2, 3, 4))
    w("f32-unaligned", opt(unaligned=True) + f(1, 2, 3, 4))
    w("f32-nan", opt() + f(1, nan, 3, 4, inf, 0))
    w("f32-partial", opt() + f(1, 2, 3))
    w("f64", opt(1) + dd(1, 2, 1e300, 4))
    w("f64-nan", opt(1, d=1) + dd(nan, 2, -inf))
    w("tensors", opt(2, d=3) + f(1, 2, 3))
    w("audio-f32", opt(3) + f(0.5, -0.5, nan, 1))
    w("audio-s16", opt(4) + s16(-32768, 32767, 0, 1))
    w("audio-s16-partial", opt(4) + s16(1, 2, 3))
    w("video-rgb", opt(5, d=3, h=2, frame=True) + bytes(range(24)))
    w("video-bgra-unaligned", opt(8, d=2, h=2, unaligned=True, frame=True)
      + bytes(range(16)))
    w("video-gray-short", opt(11, d=5, h=1) + bytes(3))
    w("wide", bytes([0, 31, 0]) + f(*range(64)))
    w("empty", opt())


# ---------------------------------------------------------- centers_text
def centers_text_seeds(corpus):
    w = lambda name, s: write(corpus, "centers_text", name, s)
    w("commas", "1.5, 2\n-3, 4e2\n")
    w("spaces", "# centers\n1 2 3\n\n4\t5\t6  # last\n")
    w("crlf", "1,2\r\n3,4\r\n")
    w("width-mismatch", "1,2\n3\n")
    w("empty-field", "1,,2\n")
    w("not-a-number", "1,abc\n")
    w("overflow", "1e39,1\n")
    w("nan", "nan,1\n")
    w("nul", "1,2\n\0")
    w("only-comments", "# nothing\n")


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    zmq_seeds(corpus)
    parse_seeds(corpus)
    checkpoint_seeds(corpus)
    tensor_dims_seeds(corpus)
    caps_seeds(corpus)
    points_read_seeds(corpus)
    centers_text_seeds(corpus)


if __name__ == "__main__":
    main()

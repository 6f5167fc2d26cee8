#!/usr/bin/python3
"""Audio frames as points: two square waves of different frequencies on
the two channels of one stream (audiotestsrc into interleave), so every
audio frame is one of four corner points.  kmeans-train with k = 4 must
learn exactly those four points, for F32LE and for S16LE (scaled to
[-1, 1)), while the stream passes through unchanged."""
import numpy as np

from mediatestlib import Gst, check, finish, run, centers_of

WAVE = ("audiotestsrc wave=square freq={f} volume={v} samplesperbuffer=1024 "
        "num-buffers=20 ! audio/x-raw,format={fmt},rate=8000,channels=1 ! "
        "i.sink_{n}")


def corners_learned(fmt, dtype, scale):
    pipeline, sinks = run(
        "interleave name=i ! audio/x-raw,format={fmt},channels=2 ! "
        "kmeans-train name=train num-clusters=4 init=kmeans++ ! tee name=t "
        "t. ! queue ! appsink name=frames "
        "{a} {b}".format(fmt=fmt,
                         a=WAVE.format(f=100, v=0.5, fmt=fmt, n=0),
                         b=WAVE.format(f=330, v=0.25, fmt=fmt, n=1)))
    centers = centers_of(pipeline.get_by_name("train"))
    pipeline.set_state(Gst.State.NULL)

    data = []
    for sample in sinks["frames"]:
        buf = sample.get_buffer()
        data.append(np.frombuffer(buf.extract_dup(0, buf.get_size()),
                                  dtype=dtype))
    points = np.concatenate(data).reshape(-1, 2).astype(np.float32) / scale
    corners = {tuple(p) for p in points.tolist()}
    learned = {tuple(c) for c in centers.astype(np.float32).tolist()}
    print("  %s corners %s" % (fmt, sorted(corners)))
    print("  %s learned %s" % (fmt, sorted(learned)))
    check(len(points) == 20 * 1024,
          "%s: every audio frame passed through (%d)" % (fmt, len(points)))
    check(len(corners) == 4, "%s: the stream holds four distinct frames"
          % fmt)
    check(learned == corners,
          "%s: the four centers are exactly the four corners" % fmt)


def main():
    corners_learned("F32LE", "<f4", 1.0)
    corners_learned("S16LE", "<i2", 32768.0)
    finish()


if __name__ == "__main__":
    main()

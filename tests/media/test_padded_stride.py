#!/usr/bin/python3
"""Frames whose rows are padded beyond GStreamer's default, as a
GstVideoMeta describes them, in a real pipeline: videotestsrc draws 85
RGB pixels a row (256 bytes), and rawvideoparse hands on their first 63
pixels as 63-wide frames that keep the 256-byte rows, with a GstVideoMeta
(the default stride would be 192).  kmeans-train must learn from those
pixels exactly what it learns from the same pixels cropped into default
frames by videocrop, and kmeans-assign output=recolor must paint each
pixel in its nearest center's colour in the padded layout, the meta
kept, the bytes past the 63 pixels (the picture's other 22 columns)
untouched."""
import numpy as np
import gi

gi.require_version("GstVideo", "1.0")
from gi.repository import GstVideo  # noqa: E402

from mediatestlib import Gst, check, finish, run, centers_of  # noqa: E402

W, FULL_W, H, FRAMES, K = 63, 85, 48, 6, 5
SOURCE = ("videotestsrc pattern=smpte num-buffers=%d ! "
          "video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1"
          % (FRAMES, FULL_W, H))
PADDED = ("rawvideoparse use-sink-caps=false format=rgb width=%d height=%d "
          "plane-strides=\"<256>\" frame-size=%d framerate=30/1"
          % (W, H, 256 * H))
CROPPED = "videocrop right=%d" % (FULL_W - W)


def train_and_recolor(cut):
    pipeline, sinks = run(
        "{src} ! {cut} ! tee name=t t. ! queue ! appsink name=before "
        "t. ! queue ! kmeans-train name=train num-clusters={k} "
        "init=kmeans++ mini-batch=false seed=1 ! "
        "kmeans-assign output=recolor ! appsink name=after"
        .format(src=SOURCE, cut=cut, k=K))
    centers = centers_of(pipeline.get_by_name("train"))
    pipeline.set_state(Gst.State.NULL)
    return sinks["before"], sinks["after"], centers


def layout(sample):
    """(stride, offset, bytes) of a sample's buffer, through its meta."""
    buf = sample.get_buffer()
    meta = GstVideo.buffer_get_video_meta(buf)
    ok, info = buf.map(Gst.MapFlags.READ)
    assert ok
    try:
        data = np.frombuffer(info.data, dtype=np.uint8).copy()
    finally:
        buf.unmap(info)
    if meta is None:
        return (W * 3 + 3) // 4 * 4, 0, data
    return meta.stride[0], meta.offset[0], data


def pixels(sample):
    stride, offset, data = layout(sample)
    rows = data[offset:offset + stride * H].reshape(H, stride)
    return rows[:, :W * 3].reshape(H, W, 3)


def main():
    before, after, centers = train_and_recolor(PADDED)
    ref_before, ref_after, ref_centers = train_and_recolor(CROPPED)

    check(len(before) == len(after) == FRAMES,
          "%d padded frames in, %d recolored out" % (FRAMES, len(after)))
    stride, offset, data_in = layout(before[-1])
    out_stride, out_offset, data_out = layout(after[-1])
    check(stride == 256 and offset == 0,
          "the input frames carry a GstVideoMeta of stride %d (default "
          "192)" % stride)
    check(out_stride == 256 and out_offset == 0 and
          len(data_out) == len(data_in) == 256 * H,
          "the recolored frames keep that layout")
    check(np.array_equal(pixels(before[-1]), pixels(ref_before[-1])),
          "the padded frame holds the pixels of the cropped one")

    check(centers.shape == (K, 3) and np.array_equal(centers, ref_centers),
          "kmeans-train learns the same centers from padded and from "
          "default frames")

    src = pixels(before[-1]).reshape(-1, 3).astype(float)
    out = pixels(after[-1]).reshape(-1, 3)
    dist = ((src[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    palette = np.clip(np.rint(centers), 0, 255).astype(int)
    painted = np.array([[np.array_equal(o, p) for p in palette] for o in out])
    nearest = dist <= dist.min(axis=1, keepdims=True) * (1 + 1e-6) + 1e-6
    check(bool((painted & nearest).any(axis=1).all()),
          "every pixel is painted in its nearest center's colour")
    check(np.array_equal(out, pixels(ref_after[-1]).reshape(-1, 3)),
          "the recolored pixels are those of the default-frame pipeline")
    pad_in = data_in.reshape(H, 256)[:, W * 3:]
    pad_out = data_out.reshape(H, 256)[:, W * 3:]
    check(np.array_equal(pad_in, pad_out) and pad_in.any(),
          "the bytes past the 63 pixels (columns 63..84 of the picture) "
          "are untouched")
    finish()


if __name__ == "__main__":
    main()

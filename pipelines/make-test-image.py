#!/usr/bin/python3
"""Draws the small test picture the colour-quantization demo uses.

A 320x240 landscape made of smooth gradients (sky, sun, hills, water):
many distinct colours, so that quantizing it to k colours visibly loses
less as k grows.  Written as a PNG with GStreamer's pngenc (no imaging
library needed); it is the same picture every time.

    pipelines/make-test-image.py [OUTPUT.png]   (default pipelines/data/scene.png)
"""
import argparse
import os
import sys

import numpy as np
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

WIDTH, HEIGHT = 320, 240


def lerp(a, b, t):
    t = np.clip(t, 0.0, 1.0)[..., None]
    return np.asarray(a, float) * (1 - t) + np.asarray(b, float) * t


def scene():
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(float)
    img = lerp([40, 70, 160], [250, 170, 110], y / 130.0)  # evening sky

    sun = np.hypot(x - 230, y - 95)
    glow = np.exp(-sun / 40.0)
    img = lerp(img, [255, 220, 120], glow * 0.8)
    img[sun < 22] = [255, 240, 190]

    far = 130 + 12 * np.sin(x / 37.0) + 6 * np.sin(x / 11.0 + 1)
    near = 165 + 18 * np.sin(x / 53.0 + 2) + 5 * np.sin(x / 7.0)
    img = np.where((y > far)[..., None], lerp([90, 80, 120], [60, 60, 90],
                                              (y - far) / 40.0), img)
    img = np.where((y > near)[..., None], lerp([50, 110, 40], [20, 60, 25],
                                               (y - near) / 60.0), img)

    water = y > 200
    ripple = 0.5 + 0.5 * np.sin(x / 5.0 + y * 1.3)
    img = np.where(water[..., None],
                   lerp([30, 60, 120], [200, 150, 110], ripple * 0.35), img)

    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_png(rgb, path):
    Gst.init(None)
    pipeline = Gst.parse_launch(
        "appsrc name=src ! videoconvert ! pngenc ! filesink name=out")
    src = pipeline.get_by_name("src")
    pipeline.get_by_name("out").set_property("location", path)
    src.set_property("caps", Gst.Caps.from_string(
        "video/x-raw,format=RGB,width=%d,height=%d,framerate=1/1"
        % (WIDTH, HEIGHT)))
    src.set_property("format", Gst.Format.TIME)
    # GStreamer's RGB rows are padded to 4 bytes; 320 * 3 already is.
    buf = Gst.Buffer.new_wrapped(rgb.tobytes())
    buf.pts = 0
    buf.duration = Gst.SECOND
    pipeline.set_state(Gst.State.PLAYING)
    src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    msg = pipeline.get_bus().timed_pop_filtered(
        30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        err = msg.parse_error()[0].message if msg else "timed out"
        sys.exit("make-test-image: could not write %s: %s" % (path, err))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", nargs="?",
                    default=os.path.join(here, "data", "scene.png"))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    write_png(scene(), args.output)
    print("make-test-image: wrote %s (%dx%d)" % (args.output, WIDTH, HEIGHT))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Live colour quantization: kmeans-train learns K colours from the frames
that kmeans-assign output=recolor then paints.  For a test pattern and for
the demo picture, and K = 2, 4, 8, 16, the last recolored frame (compared
with the same frame taken before training by a tee) must hold at most K
colours, each a learned center rounded to bytes, keep the padding bytes,
and its mean squared error against the input must fall as K grows."""
import os

import numpy as np

from mediatestlib import (Gst, SOURCE_ROOT, check, finish, run, frame,
                          centers_of)

SOURCES = {
    "smpte": "videotestsrc pattern=smpte num-buffers=12 ! "
             "video/x-raw,format=RGBx,width=160,height=120,framerate=30/1",
    "scene": "filesrc location=%s ! pngdec ! videoconvert ! "
             "video/x-raw,format=RGBx ! imagefreeze num-buffers=12"
             % os.path.join(SOURCE_ROOT, "pipelines", "data", "scene.png"),
}


def quantize(source, k):
    pipeline, sinks = run(
        "{src} ! tee name=t t. ! queue ! appsink name=before "
        "t. ! queue ! kmeans-train name=train num-clusters={k} init=kmeans++ "
        "mini-batch=false seed=1 ! kmeans-assign output=recolor ! "
        "appsink name=after".format(src=source, k=k))
    centers = centers_of(pipeline.get_by_name("train"))
    pipeline.set_state(Gst.State.NULL)
    return sinks["before"], sinks["after"], centers


def main():
    for name, source in SOURCES.items():
        errors = []
        for k in (2, 4, 8, 16):
            before, after, centers = quantize(source, k)
            check(len(before) == len(after) == 12,
                  "%s k=%d: 12 frames in, 12 recolored out" % (name, k))
            a, b = frame(after[-1]), frame(before[-1])
            check(after[-1].get_caps().is_equal(before[-1].get_caps()),
                  "%s k=%d: the recolored frame has the input's caps"
                  % (name, k))
            found = {tuple(c) for c in a[..., :3].reshape(-1, 3).tolist()}
            palette = {tuple(np.clip(np.rint(c), 0, 255).astype(int).tolist())
                       for c in centers}
            check(len(centers) == k and len(found) <= k,
                  "%s k=%d: %d colours in the frame, at most %d"
                  % (name, k, len(found), k))
            check(found <= palette,
                  "%s k=%d: every colour is a learned center" % (name, k))
            check(np.array_equal(a[..., 3], b[..., 3]),
                  "%s k=%d: the padding bytes are kept" % (name, k))
            mse = float(((a[..., :3].astype(float) -
                          b[..., :3].astype(float)) ** 2).mean())
            errors.append(mse)
            print("  %s k=%2d: mean squared error %.2f per channel"
                  % (name, k, mse))
        check(all(x > y for x, y in zip(errors, errors[1:])),
              "%s: the error falls as k grows: %s"
              % (name, ", ".join("%.1f" % e for e in errors)))
    finish()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""kmeans-viz pictures read back from PNG files, and the demos of
pipelines/ that draw them.

1. kmeans-testsrc ! kmeans-train ! tee ! kmeans-viz ! pngenc ! multifilesink
   with a fixed view: the last PNG, decoded by pngdec, must show every
   learned center's marker at its projected position in its palette
   colour, and, everywhere outside the markers and the legend, exactly the
   points of the stream (tapped by the tee) drawn in the colour of their
   nearest learned center, on the background; the legend holds text.
2. pipelines/viz-clusters.py, viz-colours.sh, quantize-pattern.sh and
   quantize-image.sh run and write the pictures they promise (quantized
   ones with at most K colours), and make-test-image.py redraws the
   committed pipelines/data/scene.png pixel for pixel.
"""
import os
import subprocess
import tempfile

import numpy as np

from mediatestlib import (Gst, SOURCE_ROOT, BUILD_ROOT, PALETTE, BACKGROUND,
                          TEXT, LEGEND_ROWS, check, finish, run, read_png,
                          centers_of, colours)

W, H = 320, 240
VIEW = (-15.0, 15.0, -15.0, 15.0)
PIPELINES = os.path.join(SOURCE_ROOT, "pipelines")


def to_pixel(x, y):
    """kmeans-viz's documented mapping, in the same double arithmetic."""
    fx = (x - VIEW[0]) / (VIEW[1] - VIEW[0]) * (W - 1)
    fy = (VIEW[3] - y) / (VIEW[3] - VIEW[2]) * (H - 1)
    return np.floor(fx + 0.5).astype(int), np.floor(fy + 0.5).astype(int)


def expected_points_layer(points, centers):
    """Background plus the points, oldest first, 2x2 each, in the colour of
    the nearest center; and a mask of pixels whose point lies so close to
    the middle of two centers that float32 may pick either."""
    img = np.zeros((H, W, 3), dtype=int)
    img[:] = BACKGROUND
    unsure = np.zeros((H, W), dtype=bool)
    d2 = ((points[:, None, :] - centers[None]) ** 2).sum(-1)
    order = np.sort(d2, axis=1)
    nearest = d2.argmin(1)
    tie = order[:, 1] - order[:, 0] < 1e-4 * (1 + order[:, 0])
    px, py = to_pixel(points[:, 0].astype(np.float64),
                      points[:, 1].astype(np.float64))
    for i in range(len(points)):
        for dy in (0, 1):
            for dx in (0, 1):
                x, y = px[i] + dx, py[i] + dy
                if 0 <= x < W and 0 <= y < H:
                    img[y, x] = PALETTE[nearest[i]]
                    unsure[y, x] = tie[i]
    return img, unsure


def check_decoded_frame(tmp):
    frames_dir = os.path.join(tmp, "frames")
    os.makedirs(frames_dir)
    pipeline, sinks = run(
        "kmeans-testsrc clusters=3 seed=5 points-per-buffer=64 "
        "points-per-second=1920 num-buffers=40 ! "
        "kmeans-train name=train num-clusters=3 init=kmeans++ ! tee name=t "
        "t. ! queue ! appsink name=points "
        "t. ! queue ! kmeans-viz view=\"<-15.0, 15.0, -15.0, 15.0>\" fade=0 "
        "path-length=0 ! pngenc ! multifilesink location=%s/f-%%03d.png"
        % frames_dir)
    centers = centers_of(pipeline.get_by_name("train"))
    pipeline.set_state(Gst.State.NULL)

    points = np.concatenate([
        np.frombuffer(s.get_buffer().extract_dup(0, s.get_buffer().get_size()),
                      dtype="<f4") for s in sinks["points"]]).reshape(-1, 2)
    files = sorted(os.listdir(frames_dir))
    check(len(files) == 40, "one PNG per 1/30 s of points: %d" % len(files))
    img = read_png(os.path.join(frames_dir, files[-1]))
    check(img.shape == (H, W, 4), "the PNG is 320x240 RGBA")
    rgb = img[..., :3].astype(int)

    cx, cy = to_pixel(centers[:, 0], centers[:, 1])
    for i in range(len(centers)):
        check(tuple(rgb[cy[i], cx[i]]) == PALETTE[i],
              "center %d %s: its marker at (%d, %d) is palette colour %d"
              % (i, np.round(centers[i], 2).tolist(), cx[i], cy[i], i))
        check(tuple(rgb[cy[i], cx[i] + 4]) == (0, 0, 0) and
              tuple(rgb[cy[i], cx[i] + 5]) == (255, 255, 255),
              "center %d: outlined black then white" % i)

    want, unsure = expected_points_layer(points, centers)
    compare = np.ones((H, W), dtype=bool)
    compare[:LEGEND_ROWS] = False
    for i in range(len(centers)):
        compare[max(cy[i] - 6, 0):cy[i] + 7, max(cx[i] - 6, 0):cx[i] + 7] = False
    bad = compare & ~unsure & (rgb != want).any(-1)
    drawn = compare & (want != BACKGROUND).any(-1)
    check(drawn.sum() > 2000, "%d point pixels to compare" % drawn.sum())
    check(bad.sum() == 0,
          "every point in its nearest center's colour, nothing else drawn "
          "(%d pixels differ)" % bad.sum())
    legend = (rgb[:LEGEND_ROWS] == TEXT).all(-1).sum()
    check(legend > 200, "the legend holds text (%d pixels)" % legend)


def script(args, **env):
    environment = dict(os.environ, KMEANS_BUILD_DIR=BUILD_ROOT, **env)
    res = subprocess.run(args, env=environment, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=240)
    print(res.stdout.rstrip())
    return res.returncode


def check_demos(tmp):
    out = os.path.join(tmp, "demo")
    path = os.path.join(out, "viz-clusters.png")
    rc = script([os.path.join(PIPELINES, "viz-clusters.py"), "--output", path])
    check(rc == 0 and os.path.exists(path), "viz-clusters.py writes its PNG")
    if os.path.exists(path):
        img = read_png(path)[..., :3]
        found = colours(img)
        check(img.shape == (H, W, 3) and
              all(PALETTE[i] in found for i in range(5)),
              "viz-clusters.png: 320x240 with the 5 cluster colours")
        check((img == 255).all(-1).sum() > 100,
              "viz-clusters.png: white rings and outlines drawn")

    path = os.path.join(out, "colours.png")
    rc = script([os.path.join(PIPELINES, "viz-colours.sh"), "", "6", path])
    check(rc == 0 and os.path.exists(path), "viz-colours.sh writes its PNG")
    if os.path.exists(path):
        found = colours(read_png(path))
        check(all(PALETTE[i] in found for i in range(6)),
              "viz-colours PNG shows the 6 cluster colours")

    rc = script([os.path.join(PIPELINES, "quantize-pattern.sh"), "5", out])
    before = os.path.join(out, "quantize-smpte-before.png")
    after = os.path.join(out, "quantize-smpte-k5.png")
    check(rc == 0 and os.path.exists(before) and os.path.exists(after),
          "quantize-pattern.sh writes before and after")
    if os.path.exists(after):
        check(len(colours(read_png(before))) > 5 and
              len(colours(read_png(after))) <= 5,
              "quantize-pattern: more than 5 colours before, at most 5 after")

    rc = script([os.path.join(PIPELINES, "quantize-image.sh"), "", "6", out])
    before = os.path.join(out, "quantize-scene-before.png")
    after = os.path.join(out, "quantize-scene-k6.png")
    check(rc == 0 and os.path.exists(before) and os.path.exists(after),
          "quantize-image.sh writes before and after")
    if os.path.exists(after):
        scene = read_png(os.path.join(PIPELINES, "data", "scene.png"))
        check(np.array_equal(read_png(before), scene),
              "quantize-image: 'before' is the picture as it came")
        check(len(colours(read_png(after))) <= 6,
              "quantize-image: at most 6 colours after")

    path = os.path.join(out, "scene.png")
    rc = script([os.path.join(PIPELINES, "make-test-image.py"), path])
    check(rc == 0 and np.array_equal(
        read_png(path), read_png(os.path.join(PIPELINES, "data", "scene.png"))),
        "make-test-image.py redraws the committed scene.png")

    for name in ("viz-clusters.py", "viz-colours.sh", "quantize-pattern.sh",
                 "quantize-image.sh", "make-test-image.py"):
        check(script([os.path.join(PIPELINES, name), "--help"]) == 0,
              "%s --help exits 0" % name)


def main():
    with tempfile.TemporaryDirectory(prefix="kmeans-viz-") as tmp:
        check_decoded_frame(tmp)
        check_demos(tmp)
    finish()


if __name__ == "__main__":
    main()

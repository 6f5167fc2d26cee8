"""What the media tests share: the build's plugin, pipelines run to EOS
with their appsinks drained, frames as numpy arrays, PNG decoding."""
import os
import sys

import numpy as np
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_ROOT = os.environ.get("KMEANS_BUILD_DIR",
                            os.path.join(SOURCE_ROOT, "build"))
os.environ["GST_PLUGIN_PATH_1_0"] = os.pathsep.join(
    p for p in (os.path.join(BUILD_ROOT, "plugin"),
                os.environ.get("GST_PLUGIN_PATH_1_0")) if p)
Gst.init(None)

# kmeans-viz's documented palette and colours.
PALETTE = [(78, 154, 241), (245, 166, 35), (126, 211, 33), (232, 71, 95),
           (181, 126, 220), (80, 227, 194), (248, 231, 28), (255, 126, 185)]
BACKGROUND = (20, 23, 28)
TEXT = (240, 240, 240)
LEGEND_ROWS = 34

failures = []


def check(cond, what):
    print(("ok     " if cond else "FAILED ") + what)
    if not cond:
        failures.append(what)


def finish():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


def run(description, timeout_s=120):
    """Plays @description to EOS.  Returns the pipeline, still PLAYING so
    that its elements can be asked about the run (set it to NULL after),
    and {appsink name: [Gst.Sample]}."""
    pipeline = Gst.parse_launch(description)
    sinks = {}
    it = pipeline.iterate_elements()
    while True:
        res, el = it.next()
        if res != Gst.IteratorResult.OK:
            break
        if el.get_factory() and el.get_factory().get_name() == "appsink":
            el.set_property("sync", False)
            sinks[el.get_name()] = []
    bus = pipeline.get_bus()
    assert pipeline.set_state(Gst.State.PLAYING) != \
        Gst.StateChangeReturn.FAILURE, description
    deadline = timeout_s * 1000
    waited = 0
    done = False
    while not done:
        got = False
        for name, samples in sinks.items():
            sample = pipeline.get_by_name(name).emit("try-pull-sample", 0)
            if sample is not None:
                samples.append(sample)
                got = True
        msg = bus.timed_pop_filtered(0 if got else 10 * Gst.MSECOND,
                                     Gst.MessageType.EOS |
                                     Gst.MessageType.ERROR)
        if msg is not None:
            if msg.type == Gst.MessageType.ERROR:
                err, debug = msg.parse_error()
                pipeline.set_state(Gst.State.NULL)
                raise RuntimeError("%s (%s)" % (err.message, debug))
            done = True
        waited += 0 if got else 10
        if waited > deadline:
            pipeline.set_state(Gst.State.NULL)
            raise RuntimeError("no EOS after %d s: %s" % (timeout_s,
                                                          description))
    for name, samples in sinks.items():
        while True:
            sample = pipeline.get_by_name(name).emit("try-pull-sample", 0)
            if sample is None:
                break
            samples.append(sample)
    return pipeline, sinks


def frame(sample, channels=4):
    """A packed video sample as an (height, width, channels) uint8 array."""
    s = sample.get_caps().get_structure(0)
    w, h = s.get_value("width"), s.get_value("height")
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    assert ok
    try:
        data = np.frombuffer(info.data, dtype=np.uint8).copy()
    finally:
        buf.unmap(info)
    stride = (w * channels + 3) // 4 * 4
    return data.reshape(h, stride)[:, :w * channels].reshape(h, w, channels)


def read_png(path):
    """A PNG file decoded by GStreamer's pngdec, as RGBA."""
    pipeline, sinks = run(
        "filesrc location=%s ! pngdec ! videoconvert ! "
        "video/x-raw,format=RGBA ! appsink name=img" % path)
    pipeline.set_state(Gst.State.NULL)
    assert len(sinks["img"]) == 1, path
    return frame(sinks["img"][0])


def centers_of(element):
    return np.array([list(row) for row in element.get_property("centers")],
                    dtype=float)


def colours(img):
    """The distinct RGB colours of an image, as a set of tuples."""
    return set(map(tuple, img[..., :3].reshape(-1, 3).tolist()))

#!/usr/bin/python3
"""A FIFO (named pipe) where a checkpoint or a model file is expected never
blocks an element (RELIABILITY.md §1).

open() on a FIFO with no writer blocks until a writer comes, so a loader
that opened before checking the file type would hang forever.  Through
real pipelines:

- kmeans-train checkpoint-location=FIFO, kmeans-assign and kmeans-score
  model-location=FIFO: a clear error at start that names the FIFO, and
  gst-launch-1.0 ends by itself.
- kmeans-assign watching a model file that is replaced by a FIFO while
  playing: a warning naming the file, the old model stays in force (points
  still assigned), and set_state(NULL) returns.

TAP output; every wait is bounded.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashlib  # noqa: E402

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

D, B = 2, 64


def launch(tap, work, name, *elements):
    log = os.path.join(work, name + ".log")
    points = os.path.join(work, "points.f32")
    command = ["gst-launch-1.0", "filesrc", "location=" + points,
               "blocksize=%d" % (B * D * 4), "!",
               "application/x-points,format=F32LE,dimensions=%d" % D, "!"]
    command += list(elements) + ["!", "fakesink"]
    started = time.monotonic()
    status = crashlib.run(command, log)
    return status, crashlib.read_text(log), time.monotonic() - started


def test_at_start(tap, work):
    fifo = os.path.join(work, "f.ckpt")
    os.mkfifo(fifo)
    cases = [
        ("train", ["kmeans-train", "num-clusters=2",
                   "checkpoint-location=" + fifo],
         "Could not resume from the checkpoint"),
        ("assign", ["kmeans-assign", "model-location=" + fifo], fifo),
        ("score", ["kmeans-score", "model-location=" + fifo], fifo),
    ]
    for name, elements, expect in cases:
        status, output, took = launch(tap, work, name, *elements)
        tap.result(status not in (0, None) and expect in output
                   and "FIFO" in output,
                   "kmeans-%s with a FIFO at its file: a clear error at "
                   "start, ended after %.1f s" % (name, took), output)
    os.unlink(fifo)


def save_model(work):
    """A real checkpoint, trained by kmeans-train on the points."""
    path = os.path.join(work, "model.ckpt")
    status, output, _ = launch(None, work, "make-model", "kmeans-train",
                               "num-clusters=2", "init=random", "seed=3",
                               "checkpoint-location=" + path)
    if status != 0:
        raise RuntimeError("cannot make a model:\n" + output)
    return path


def test_replaced_while_playing(tap, work):
    model = save_model(work)
    pipeline = Gst.parse_launch(
        "appsrc name=src is-live=true format=time "
        "caps=application/x-points,format=F32LE,dimensions=%d ! "
        "kmeans-assign name=assign model-location=%s "
        "model-poll-interval=10000000 ! appsink name=sink sync=false "
        "emit-signals=false" % (D, model))
    src = pipeline.get_by_name("src")
    sink = pipeline.get_by_name("sink")
    assign = pipeline.get_by_name("assign")
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)

    def push_and_pull(n):
        got = 0
        for _ in range(n):
            data = bytes(B * D * 4)
            src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
            sample = sink.emit("try-pull-sample", 5 * Gst.SECOND)
            if sample is not None:
                got += 1
        return got

    before = push_and_pull(3)
    version = assign.get_property("model-version")
    fifo = model + ".fifo"
    os.mkfifo(fifo)
    os.rename(fifo, model)
    time.sleep(0.1)
    after = push_and_pull(3)

    warning = None
    deadline = time.monotonic() + 5
    while warning is None and time.monotonic() < deadline:
        msg = bus.timed_pop_filtered(100 * Gst.MSECOND,
                                     Gst.MessageType.WARNING
                                     | Gst.MessageType.ERROR)
        if msg is not None:
            warning = msg
    text = ""
    if warning is not None:
        err, debug = (warning.parse_warning()
                      if warning.type == Gst.MessageType.WARNING
                      else warning.parse_error())
        text = "%s %s" % (err.message, debug)

    now = assign.get_property("model-version")
    stopped = threading.Event()

    def stop():
        pipeline.set_state(Gst.State.NULL)
        stopped.set()

    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    stopper.join(10)
    tap.result(before == 3 and after == 3 and version > 0
               and now == version
               and warning is not None
               and warning.type == Gst.MessageType.WARNING
               and "FIFO" in text and stopped.is_set(),
               "a watched model replaced by a FIFO while playing: a "
               "warning, the old model kept, points still assigned, and "
               "set_state(NULL) returns",
               "before=%d after=%d version=%d now=%d stopped=%s message=%r"
               % (before, after, version, now, stopped.is_set(), text))


def main():
    Gst.init(None)
    tap = crashlib.Tap()
    with tempfile.TemporaryDirectory(prefix="kmeans-fifo-") as work:
        crashlib.make_points(os.path.join(work, "points.f32"), 20 * B, D, 2,
                             seed=1)
        test_at_start(tap, work)
        test_replaced_while_playing(tap, work)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())

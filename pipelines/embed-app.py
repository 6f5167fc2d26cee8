#!/usr/bin/python3
"""embed-app.py: gst-kmeans inside a Python application (PyGObject).

Shows what a media or sensor application does to cluster its own stream:
it builds the pipeline element by element

    kmeans-testsrc ! kmeans-train ! kmeans-score ! kmeans-assign ! appsink

(a real application puts its own source, e.g. an appsrc, first), gives
kmeans-train its initial centers as a Gst.ValueArray, follows training
progress, checkpoints and scores on the bus, counts the assignments it
pulls from the appsink, and at the end reads kmeans-train's `centers`
property.  kmeans-testsrc's `true-centers` are printed for comparison.
pipelines/embed-app.c is the same application in C.

    GST_PLUGIN_PATH=build/plugin pipelines/embed-app.py

Exits 0 at the end of the stream, 1 on a pipeline error, 2 on a bad option.
"""
import argparse
import os
import shutil
import sys
import tempfile

import gi
import numpy as np

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

CLUSTERS = 3
DIMENSIONS = 2
POINTS_PER_BUFFER = 256
# A rough idea of where the clusters are, as a previous session or a
# calibration would give: training starts from it instead of kmeans++.
DEFAULT_CENTERS = "0,5; 5,-5; -5,-5"
RECORD = np.dtype([("cluster", "<i4"), ("distance", "<f4")])


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--buffers", "-n", type=int, default=100,
                        help="buffers of 256 points to stream "
                        "(default %(default)s)")
    parser.add_argument("--centers", "-c", default=DEFAULT_CENTERS,
                        metavar="X,Y;X,Y;X,Y",
                        help="initial centers (default %(default)r)")
    parser.add_argument("--checkpoint", metavar="FILE",
                        help="checkpoint file (default: in a temporary "
                        "folder, removed at the end; an existing one is "
                        "resumed)")
    args = parser.parse_args()
    try:
        args.centers = [[float(x) for x in row.split(",")]
                        for row in args.centers.split(";")]
    except ValueError:
        args.centers = None
    if not args.centers or len(args.centers) != CLUSTERS or any(
            len(row) != DIMENSIONS for row in args.centers):
        parser.error("--centers needs %d points of %d numbers: "
                     "\"X,Y;X,Y;X,Y\"" % (CLUSTERS, DIMENSIONS))
    return args


def print_centers(title, centers):
    print("%s:" % title)
    for i, row in enumerate(centers):
        print("  %d: (%s)" % (i, ", ".join("%8.3f" % x for x in row)))


def print_element_message(s):
    name = s.get_name()
    if name == "kmeans-initialized":
        print("initialized: %d centers of dimension %d at step %d"
              % (s["clusters"], s["dimensions"], s["step"]))
    elif name == "kmeans-train":
        print("progress: step %d, loss %.2f, %d points trained, model v%d"
              % (s["step"], s["loss"], s["points"], s["model-version"]))
    elif name == "kmeans-checkpoint":
        print("checkpoint: step %d, model v%d -> %s"
              % (s["step"], s["model-version"], s["location"]))
    elif name == "kmeans-score":
        print("score: mean %.3f over %d points (model v%d)%s"
              % (s["mean"], s["num-points"], s["model-version"],
                 ", final" if s["final"] else ""))


class App:
    def __init__(self, args, checkpoint):
        self.loop = GLib.MainLoop()
        self.failed = False
        self.per_cluster = np.zeros(CLUSTERS, dtype=np.int64)
        self.pipeline = Gst.Pipeline.new("embed-app")
        self.src = self.make("kmeans-testsrc", clusters=CLUSTERS,
                             dimensions=DIMENSIONS, seed=4016,
                             points_per_buffer=POINTS_PER_BUFFER,
                             num_buffers=args.buffers)
        self.train = self.make("kmeans-train", num_clusters=CLUSTERS,
                               checkpoint_location=checkpoint,
                               checkpoint_interval=25, progress_interval=25)
        self.train.set_property("initial-centers-value", Gst.ValueArray(
            [Gst.ValueArray(row) for row in args.centers]))
        # A score every 10 s of stream time (40 buffers at 1000 points/s).
        score = self.make("kmeans-score", interval=10 * Gst.SECOND)
        assign = self.make("kmeans-assign")
        sink = self.make("appsink", sync=False, emit_signals=True)
        sink.connect("new-sample", self.on_new_sample)
        if not self.src.link(self.train) or not self.train.link(score) \
                or not score.link(assign) or not assign.link(sink):
            sys.exit("could not link the elements")

    def make(self, factory, **properties):
        element = Gst.ElementFactory.make(factory)
        if element is None:
            sys.exit("no element %s: is GST_PLUGIN_PATH set to the plugin's "
                     "folder (build/plugin)?" % factory)
        for name, value in properties.items():
            element.set_property(name.replace("_", "-"), value)
        self.pipeline.add(element)
        return element

    def on_new_sample(self, sink):
        """The streaming thread hands each buffer of {int32 cluster;
        float32 distance} records to the application here."""
        sample = sink.emit("pull-sample")
        if sample is None:
            return Gst.FlowReturn.EOS
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            records = np.frombuffer(info.data, dtype=RECORD)
            self.per_cluster += np.bincount(records["cluster"],
                                            minlength=CLUSTERS)[:CLUSTERS]
            buf.unmap(info)
        return Gst.FlowReturn.OK

    def on_bus_message(self, bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            print_element_message(msg.get_structure())
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("error from %s: %s (%s)" % (msg.src.get_name(),
                                              err.message, debug),
                  file=sys.stderr)
            self.failed = True
            self.loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            self.loop.quit()

    def run(self):
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_bus_message)
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            self.failed = True
        else:
            self.loop.run()
        # At EOS the elements still hold the final model: read it first.
        if not self.failed:
            print("assignments: %d points, per cluster: %s"
                  % (self.per_cluster.sum(),
                     " ".join(str(n) for n in self.per_cluster)))
            print("trained: %d steps, %d points"
                  % (self.train.get_property("steps"),
                     self.train.get_property("points")))
            print_centers("learned centers", self.train.get_property(
                "centers"))
            print_centers("true centers", self.src.get_property(
                "true-centers"))
        self.pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        return 1 if self.failed else 0


def main():
    args = parse_args()
    Gst.init(None)
    tmpdir = None
    checkpoint = args.checkpoint
    if checkpoint is None:
        tmpdir = tempfile.mkdtemp(prefix="embed-app-")
        checkpoint = os.path.join(tmpdir, "model.ckpt")
    print_centers("initial centers", args.centers)
    try:
        return App(args, checkpoint).run()
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir)


if __name__ == "__main__":
    sys.exit(main())

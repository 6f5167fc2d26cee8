#!/usr/bin/python3
"""gst-kmeans local demo: learn the centers of known Gaussian blobs.

The whole k-means part of the plugin in one PyGObject application, without
ZeroMQ (pipelines/demo.py, the quick start's demo, adds the network):

    kmeans-testsrc ! tee name=t
      t. ! queue ! kmeans-train (kmeans++, mini-batches, checkpoints) ! tee name=m
             m. ! queue ! kmeans-assign ! fakesink      (model in-band)
             m. ! queue ! kmeans-score ! fakesink       (model in-band)
      t. ! queue ! kmeans-score model-location=<checkpoint> ! fakesink
                                                        (model from the file)

It prints kmeans-train's progress (step, loss), its checkpoints, the score
messages of both kmeans-score elements, and at the end the learned centers
(kmeans-train's `centers` property) next to the true ones (kmeans-testsrc's
`true-centers`), matched one to one by distance.  Exits non-zero when the
pipeline posts an error (or with --check-distance, when a learned center is
farther than that from its true center).

The plugin is found through GST_PLUGIN_PATH:
    GST_PLUGIN_PATH=build/plugin /usr/bin/python3 pipelines/demo-local.py
"""
import argparse
import os
import sys
import tempfile

import gi
import numpy as np

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

# The flagship demo's helpers (pipelines/ is on sys.path: it holds this
# script).
from demo import check_plugin, match_centers  # noqa: E402

ELEMENTS = ("kmeans-testsrc", "kmeans-train", "kmeans-assign", "kmeans-score")


def parse_args():
    parser = argparse.ArgumentParser(
        description="Train streaming k-means on known blobs and compare.")
    parser.add_argument("--clusters", type=int, default=5)
    parser.add_argument("--dimensions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spread", type=float, default=1.0,
                        help="standard deviation of each blob")
    parser.add_argument("--buffers", type=int, default=200,
                        help="number of 500-point buffers to stream")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--checkpoint-dir",
                        help="where model.ckpt goes (default: a new "
                        "temporary folder; an existing checkpoint there is "
                        "resumed)")
    parser.add_argument("--check-distance", type=float,
                        help="fail unless every true center has its learned "
                        "center within this Euclidean distance")
    parser.add_argument("--quiet", action="store_true",
                        help="only print the final comparison")
    return parser.parse_args()


def build_pipeline(args, checkpoint):
    # Stream time runs at 10000 points/s: 500-point buffers are 50 ms, so
    # score intervals of one second cover 20 buffers each.
    description = (
        "kmeans-testsrc name=src clusters={k} dimensions={d} seed={seed} "
        "  spread={spread} points-per-buffer=500 points-per-second=10000 "
        "  num-buffers={buffers} ! tee name=t "
        "t. ! queue ! kmeans-train name=train num-clusters={k} init=kmeans++ "
        "  batch-size={batch} seed={seed} checkpoint-location=\"{ckpt}\" "
        "  checkpoint-interval=25 progress-interval=10 ! tee name=m "
        "m. ! queue ! kmeans-assign name=assign ! fakesink "
        "m. ! queue ! kmeans-score name=score interval=1000000000 ! fakesink "
        "t. ! queue ! kmeans-score name=filescore model-location=\"{ckpt}\" "
        "  model-poll-interval=0 interval=1000000000 ! fakesink"
    ).format(k=args.clusters, d=args.dimensions, seed=args.seed,
             spread=args.spread, buffers=args.buffers, batch=args.batch_size,
             ckpt=checkpoint)
    return Gst.parse_launch(description)


class AssignmentCounter:
    """Counts the records kmeans-assign outputs, per cluster (pad probe)."""

    def __init__(self, pad):
        self.records = 0
        self.per_cluster = {}
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_buffer)

    def on_buffer(self, pad, info):
        buf = info.get_buffer()
        ok, mapinfo = buf.map(Gst.MapFlags.READ)
        if ok:
            clusters = np.frombuffer(mapinfo.data, dtype="<i4",
                                     count=len(mapinfo.data) // 4)[0::2]
            for cluster, n in zip(*np.unique(clusters, return_counts=True)):
                self.per_cluster[int(cluster)] = (
                    self.per_cluster.get(int(cluster), 0) + int(n))
            self.records += len(clusters)
            buf.unmap(mapinfo)
        return Gst.PadProbeReturn.OK


def fmt_time(ns):
    return "%.2fs" % (ns / Gst.SECOND) if ns != Gst.CLOCK_TIME_NONE else "-"


def describe(msg, quiet):
    """Prints one element message of ours; returns nothing."""
    s = msg.get_structure()
    name = s.get_name()
    src = msg.src.get_name()
    if quiet:
        return
    if name == "kmeans-train":
        print("[train]      step %4d  loss %12.3f  points %7d  model v%d"
              % (s.get_value("step"), s.get_value("loss"),
                 s.get_value("points"), s.get_value("model-version")))
    elif name == "kmeans-initialized":
        print("[train]      initialized %d centers of dimension %d at step %d"
              % (s.get_value("clusters"), s.get_value("dimensions"),
                 s.get_value("step")))
    elif name == "kmeans-checkpoint":
        print("[train]      checkpoint at step %d (model v%d) -> %s"
              % (s.get_value("step"), s.get_value("model-version"),
                 s.get_value("location")))
    elif name == "kmeans-converged":
        print("[train]      converged at step %d (relative change %g)"
              % (s.get_value("step"), s.get_value("relative-change")))
    elif name == "kmeans-score":
        print("[%-10s] %s..%s  %6d points  score %12.3f  mean %8.4f  "
              "model v%d%s"
              % (src, fmt_time(s.get_value("stream-time")),
                 fmt_time(s.get_value("stream-time")
                          + s.get_value("duration")),
                 s.get_value("num-points"), s.get_value("score"),
                 s.get_value("mean"), s.get_value("model-version"),
                 "  (final)" if s.get_value("final") else ""))
    elif name == "kmeans-model-loaded":
        print("[%-10s] loaded model v%d (step %d) from %s"
              % (src, s.get_value("model-version"), s.get_value("step"),
                 s.get_value("location")))


def run(pipeline, quiet):
    """Runs to EOS; returns the list of error strings (empty: success)."""
    errors = []
    bus = pipeline.get_bus()
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        errors.append("the pipeline could not start")
    types = (Gst.MessageType.ERROR | Gst.MessageType.WARNING
             | Gst.MessageType.EOS | Gst.MessageType.ELEMENT)
    while not errors:
        msg = bus.timed_pop_filtered(120 * Gst.SECOND, types)
        if msg is None:
            errors.append("no EOS after two minutes")
        elif msg.type == Gst.MessageType.EOS:
            break
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            errors.append("%s: %s (%s)" % (msg.src.get_name(), err.message,
                                          debug))
        elif msg.type == Gst.MessageType.WARNING:
            warn, debug = msg.parse_warning()
            print("warning from %s: %s (%s)" % (msg.src.get_name(),
                                                warn.message, debug))
        else:
            describe(msg, quiet)
    return errors


def rows(value_array):
    return [[float(x) for x in row] for row in value_array]


def report(pipeline, counter, args):
    """Prints the comparison; returns False if --check-distance failed."""
    src = pipeline.get_by_name("src")
    train = pipeline.get_by_name("train")
    true_centers = rows(src.get_property("true-centers"))
    learned = rows(train.get_property("centers"))
    vec = lambda v: "(" + ", ".join("%7.3f" % x for x in v) + ")"  # noqa: E731

    print()
    print("kmeans-train: %d steps, %d points trained, model v%d"
          % (train.get_property("steps"), train.get_property("points"),
             train.get_property("model-version")))
    print("kmeans-assign: %d records; points per cluster: %s"
          % (counter.records, " ".join(
              "%d:%d" % kv for kv in sorted(counter.per_cluster.items()))))
    if not learned:
        print("kmeans-train learned no centers")
        return args.check_distance is None
    if len(learned) != len(true_centers):
        print("kmeans-train has %d centers for %d true ones"
              % (len(learned), len(true_centers)))
        return args.check_distance is None

    print()
    print("%-4s %-30s %-30s %s" % ("", "true center", "learned center",
                                   "distance"))
    worst = 0.0
    for i, j, d in match_centers(true_centers, learned):
        print("%-4d %-30s %-30s %.4f" % (i, vec(true_centers[i]),
                                         vec(learned[j]), d))
        worst = max(worst, d)
    print("largest distance: %.4f (blob spread %.2f)" % (worst, args.spread))
    if args.check_distance is not None and worst > args.check_distance:
        print("FAILED: a learned center is farther than %g from its true "
              "center" % args.check_distance)
        return False
    return True


def main():
    args = parse_args()
    Gst.init(None)
    check_plugin(ELEMENTS)

    tmpdir = None
    if args.checkpoint_dir:
        os.makedirs(args.checkpoint_dir, exist_ok=True)
        checkpoint = os.path.join(os.path.abspath(args.checkpoint_dir),
                                  "model.ckpt")
    else:
        tmpdir = tempfile.TemporaryDirectory(prefix="kmeans-demo-")
        checkpoint = os.path.join(tmpdir.name, "model.ckpt")

    print("gst-kmeans demo: %d blobs in %d dimensions, %d points, "
          "checkpoint %s" % (args.clusters, args.dimensions,
                             args.buffers * 500, checkpoint))
    pipeline = build_pipeline(args, checkpoint)
    counter = AssignmentCounter(
        pipeline.get_by_name("assign").get_static_pad("src"))

    errors = run(pipeline, args.quiet)
    # Read the properties at EOS, before stopping the elements.
    ok = report(pipeline, counter, args) if not errors else False
    pipeline.set_state(Gst.State.NULL)
    if tmpdir:
        tmpdir.cleanup()

    for e in errors:
        print("ERROR: " + e, file=sys.stderr)
    return 0 if ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Draws k-means learning Gaussian blobs, with the true centers beside.

Shows: kmeans-viz fed from a tee after kmeans-train (the model reaches it
in-band), the true centers copied from kmeans-testsrc's read-only
true-centers into kmeans-viz's true-centers (drawn as hollow rings), the
paths the learned centers take from a random start, and the legend.

Offline (default) it writes the last frame as a PNG, and with --frames-dir
every frame; --live shows it in a window instead (autovideosink) at the
stream's own pace, and needs a display (DISPLAY or WAYLAND_DISPLAY): without
one it exits 1 saying so.  Prints how far each learned center ended from the
nearest true one.

    pipelines/viz-clusters.py [--output docs/images/viz-clusters.png]
        [--frames-dir DIR] [--live] [--clusters K] [--dimensions D]
        [--projection first-two|pca] [--seed S] [--buffers N]

Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
"""
import argparse
import os
import sys

import numpy as np
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def use_build_plugin():
    build = os.path.realpath(os.environ.get("KMEANS_BUILD_DIR",
                                            os.path.join(HERE, "..", "build")))
    plugin = os.path.join(build, "plugin")
    if not os.path.exists(os.path.join(plugin, "libgstkmeans.so")):
        sys.exit("error: no plugin in %s; run ./scripts/build.sh first" % plugin)
    os.environ["GST_PLUGIN_PATH"] = os.pathsep.join(
        p for p in (plugin, os.environ.get("GST_PLUGIN_PATH")) if p)


def pipeline_description(args):
    source = ("kmeans-testsrc name=src clusters={k} dimensions={d} seed={s} "
              "spread=1.2 points-per-buffer=64 points-per-second=1920 "
              "num-buffers={n} is-live={live}").format(
                  k=args.clusters, d=args.dimensions, s=args.seed,
                  n=args.buffers, live="true" if args.live else "false")
    train = ("kmeans-train name=train num-clusters={k} init=random seed={s}"
             .format(k=args.clusters, s=args.seed))
    viz = ("kmeans-viz name=viz projection={p} fade=0.85 max-points=2048"
           .format(p=args.projection))
    if args.live:
        out = "videoconvert ! autovideosink name=window"
    else:
        out = "tee name=v v. ! queue ! appsink name=frames sync=false"
        if args.frames_dir:
            out += (" v. ! queue ! pngenc ! multifilesink location=%s"
                    % os.path.join(args.frames_dir, "frame-%04d.png"))
    # The viz branch is one tap on the stream; the points go on to kmeans-score.
    return ("{src} ! {train} ! tee name=t "
            "t. ! queue ! kmeans-score ! fakesink "
            "t. ! queue ! {viz} ! {out}").format(
                src=source, train=train, viz=viz, out=out)


def require_display():
    """--live needs a screen: autovideosink would silently show nothing."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        sys.exit("viz-clusters: --live opens a window and needs a display, "
                 "but neither DISPLAY nor WAYLAND_DISPLAY is set; without "
                 "one, leave out --live (writes --output, a PNG) or add "
                 "--frames-dir DIR")


def require_window_sink(pipeline):
    """autovideosink falls back to a fakesink when no video sink opens."""
    window = pipeline.get_by_name("window")
    if window is None:
        return
    for i in range(window.get_children_count()):
        factory = window.get_child_by_index(i).get_factory()
        if factory is not None and factory.get_name() == "fakesink":
            pipeline.set_state(Gst.State.NULL)
            sys.exit("viz-clusters: --live: no video sink could open a "
                     "window on display %s (autovideosink fell back to a "
                     "fakesink); check that the display is reachable and "
                     "that a video sink is installed (gstreamer1.0-x, "
                     "gstreamer1.0-gl), or leave out --live" %
                     (os.environ.get("WAYLAND_DISPLAY")
                      or os.environ.get("DISPLAY")))


def copy_true_centers(pipeline):
    """kmeans-testsrc draws its centers at start (READY to PAUSED)."""
    if pipeline.set_state(Gst.State.PAUSED) == Gst.StateChangeReturn.FAILURE:
        sys.exit("viz-clusters: the pipeline does not start")
    pipeline.get_state(10 * Gst.SECOND)
    src = pipeline.get_by_name("src")
    centers = src.get_property("true-centers")
    pipeline.get_by_name("viz").set_property("true-centers", centers)
    return np.array([list(row) for row in centers], dtype=float)


def run(pipeline, appsink):
    """Plays to EOS; returns the last frame (a Gst.Sample) if any."""
    bus = pipeline.get_bus()
    last = None
    pipeline.set_state(Gst.State.PLAYING)
    while True:
        if appsink is not None:
            sample = appsink.emit("try-pull-sample", 20 * Gst.MSECOND)
            if sample is not None:
                last = sample
                continue
        msg = bus.timed_pop_filtered(
            0 if appsink is not None else Gst.CLOCK_TIME_NONE,
            Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg is None:
            if appsink is not None and appsink.get_property("eos"):
                break
            continue
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            pipeline.set_state(Gst.State.NULL)
            sys.exit("viz-clusters: %s (%s)" % (err.message, debug))
        break
    while appsink is not None:
        sample = appsink.emit("try-pull-sample", 0)
        if sample is None:
            break
        last = sample
    return last


def write_png(sample, path):
    pipeline = Gst.parse_launch("appsrc name=src ! pngenc ! filesink name=out")
    src = pipeline.get_by_name("src")
    src.set_property("caps", sample.get_caps())
    pipeline.get_by_name("out").set_property("location", path)
    pipeline.set_state(Gst.State.PLAYING)
    src.emit("push-sample", sample)
    src.emit("end-of-stream")
    msg = pipeline.get_bus().timed_pop_filtered(
        30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        sys.exit("viz-clusters: could not write %s" % path)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default=os.path.normpath(
        os.path.join(HERE, "..", "docs", "images", "viz-clusters.png")),
        help="PNG of the last frame (default docs/images/viz-clusters.png)")
    ap.add_argument("--frames-dir", help="also write every frame here")
    ap.add_argument("--live", action="store_true",
                    help="show it in a window at the stream's pace")
    ap.add_argument("--clusters", type=int, default=5)
    ap.add_argument("--dimensions", type=int, default=2)
    ap.add_argument("--projection", choices=["first-two", "pca"],
                    default="first-two")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--buffers", type=int, default=150,
                    help="buffers of 64 points, 30 a second (default 150)")
    args = ap.parse_args()
    if args.live:
        require_display()

    use_build_plugin()
    Gst.init(None)
    if args.frames_dir:
        os.makedirs(args.frames_dir, exist_ok=True)
    pipeline = Gst.parse_launch(pipeline_description(args))
    truth = copy_true_centers(pipeline)
    require_window_sink(pipeline)
    appsink = pipeline.get_by_name("frames")
    last = run(pipeline, appsink)

    train = pipeline.get_by_name("train")
    learned = np.array([list(row) for row in train.get_property("centers")],
                       dtype=float)
    frames = pipeline.get_by_name("viz").get_property("frames")
    pipeline.set_state(Gst.State.NULL)

    print("viz-clusters: %d frames, model version %d" %
          (frames, train.get_property("model-version")))
    for i, c in enumerate(learned):
        gap = np.sqrt(((truth - c) ** 2).sum(1)).min()
        print("  learned center %d %s: %.3f from the nearest true center" %
              (i, np.round(c, 2).tolist(), gap))
    if last is not None:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)),
                    exist_ok=True)
        write_png(last, args.output)
        print("viz-clusters: wrote %s" % args.output)


if __name__ == "__main__":
    main()

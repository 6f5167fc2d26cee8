#!/usr/bin/python3
"""gst-kmeans flagship demo: streaming k-means between ZeroMQ programs.

Three programs talk over ZeroMQ on loopback tcp (free ports, no broker):

    publisher   pipelines/zmq-publish-points.py: plain pyzmq, PUSH
        |   raw float32 points from blobs whose true centers it prints
        v
    pipeline    kmzmqsrc framing=raw ! kmeans-train ! kmeans-score !
                kmeans-assign ! kmeans-format ! kmzmqsink framing=raw
        |   JSON documents (schemas/): model, assignments, score
        v
    subscriber  pipelines/zmq-subscribe.py: plain pyzmq, SUB

The pipeline runs here, in PyGObject; the publisher and the subscriber are
separate processes that know nothing of GStreamer.  Their output is shown
with a [publisher] / [subscriber] prefix, the pipeline's own bus messages
(training progress, checkpoints) with [pipeline].

Raw framing carries no end of stream, so this application ends the stream
itself: once the publisher has exited and kmzmqsrc has gone idle (its
GstKmZmqSrcTimeout message), it checks that kmzmqsrc received every message and
sends EOS.  kmeans-score then sends its final score, which tells the
subscriber to stop.  At the end the learned centers (kmeans-train's
`centers`) are printed next to the true ones.  Exits non-zero on any
failure: a pipeline error, a lost message, a program that failed, or (with
--check-distance) a learned center too far from its true center.  With
--loss-png it also draws the training loss of every step (from
kmeans-train's bus messages) as a picture.

The plugin is found through GST_PLUGIN_PATH, which ./scripts/demo.sh sets;
by hand: GST_PLUGIN_PATH=build/plugin /usr/bin/python3 pipelines/demo.py
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
ELEMENTS = ("kmzmqsrc", "kmeans-train", "kmeans-score", "kmeans-assign",
            "kmeans-format", "kmzmqsink")
# kmzmqsrc reports this much silence; the stream ends on the first silence
# after the publisher exited.
IDLE_NS = 200 * Gst.MSECOND
# Silences (after the publisher exited) to wait for missing messages.
MAX_IDLE_AFTER_EXIT = 25
# Seconds the subscriber gets to read the last documents after EOS.
SUBSCRIBER_GRACE = 30
# kmeans-train reports every step (for the loss curve); one in this many
# is printed.
PRINT_EVERY_STEPS = 5

PIPELINE = (
    "kmzmqsrc name=src socket-type=pull bind=true endpoint=tcp://127.0.0.1:* "
    "  framing=raw timeout={idle} ! "
    "kmeans-train name=train num-clusters={k} init=kmeans++ seed={seed} "
    "  batch-size={batch} checkpoint-location=\"{ckpt}\" "
    "  checkpoint-interval=10 progress-interval=1 ! "
    "kmeans-score name=score interval-points={score_points} ! "
    "kmeans-assign name=assign ! "
    "kmeans-format name=format ! "
    # send-hwm=0: queue every document for a slow subscriber, drop none.
    "kmzmqsink name=sink endpoint=tcp://127.0.0.1:* framing=raw "
    "  wait-for-subscriber=true send-hwm=0")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--points", type=int, default=50000,
                        help="points to publish (a multiple of "
                        "--points-per-message; default %(default)s)")
    parser.add_argument("--points-per-message", type=int, default=2500)
    parser.add_argument("--rate", type=float, default=10.0,
                        help="messages per second (0: as fast as possible; "
                        "default %(default)s)")
    parser.add_argument("--clusters", type=int, default=5)
    parser.add_argument("--dimensions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the publisher's blobs and of "
                        "kmeans-train's initialisation")
    parser.add_argument("--batch-size", type=int,
                        help="kmeans-train batch-size (default: "
                        "--points-per-message, so the first message is the "
                        "first batch and every point gets assigned)")
    parser.add_argument("--score-points", type=int, default=15000,
                        help="kmeans-score interval-points: a score "
                        "document every that many points")
    parser.add_argument("--checkpoint-dir",
                        help="where model.ckpt goes (default: a temporary "
                        "folder; an existing checkpoint there is resumed)")
    parser.add_argument("--check-distance", type=float,
                        help="fail unless every true center has its learned "
                        "center within this Euclidean distance")
    parser.add_argument("--json-out", metavar="FILE",
                        help="write the outcome as one JSON object: true and "
                        "learned centers, counters, errors, and the text of "
                        "every document the subscriber received")
    parser.add_argument("--loss-png", metavar="FILE",
                        help="draw the loss of every training step (per "
                        "point, from kmeans-train's messages) as a PNG "
                        "(needs python3-matplotlib)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="give up after this many seconds "
                        "(default %(default)s)")
    parser.add_argument("--quiet", action="store_true",
                        help="only print the final comparison")
    args = parser.parse_args(argv)
    if min(args.points, args.points_per_message, args.clusters,
           args.dimensions, args.score_points) < 1:
        parser.error("counts must be positive")
    if args.points % args.points_per_message:
        parser.error("--points must be a multiple of --points-per-message")
    if args.batch_size is None:
        args.batch_size = args.points_per_message
    return args


class Output:
    """Prints whole lines from several threads, each with its prefix."""

    def __init__(self, quiet):
        self.quiet = quiet
        self.lock = threading.Lock()

    def line(self, prefix, text, force=False):
        if self.quiet and not force:
            return
        with self.lock:
            for part in text.split("\n"):
                print("%-12s %s" % (prefix, part) if prefix else part)
            sys.stdout.flush()


class Program:
    """A helper process whose output lines are relayed with a prefix."""

    def __init__(self, out, prefix, argv, stream):
        self.out, self.prefix = out, prefix
        self.lines = []
        merge = stream == "stdout"
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, text=True, bufsize=1,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge else subprocess.PIPE)
        pipe = self.proc.stdout if stream == "stdout" else self.proc.stderr
        self.reader = threading.Thread(target=self.relay, args=(pipe,),
                                       daemon=True)
        self.reader.start()
        if stream == "stderr":
            # The publisher writes nothing on stdout; drain it anyway.
            threading.Thread(target=self.proc.stdout.read,
                             daemon=True).start()

    def relay(self, pipe):
        for line in pipe:
            line = line.rstrip("\n")
            self.lines.append(line)
            self.out.line(self.prefix, line)

    def finish(self, timeout):
        """The exit status, killing the process if it is still running."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.reader.join(5)
            return None
        self.reader.join(5)
        return self.proc.returncode


def true_centers(publisher_lines):
    """The centers zmq-publish-points.py prints after 'true centers:'."""
    centers, reading = [], False
    for line in publisher_lines:
        if line.startswith("true centers:"):
            reading = True
        elif reading and line.startswith("  "):
            centers.append([float(v) for v in line.split()])
        elif reading:
            break
    return centers


def check_plugin(elements=ELEMENTS):
    """Exits with a hint when any of elements is not found (also
    used by demo-local.py)."""
    missing = [e for e in elements if Gst.ElementFactory.find(e) is None]
    if missing:
        sys.stderr.write(
            "error: element(s) %s not found. Build the plugin and point "
            "GST_PLUGIN_PATH at <build>/plugin (./scripts/demo.sh does both); "
            "GST_PLUGIN_PATH is now %r\n"
            % (", ".join(missing), os.environ.get("GST_PLUGIN_PATH")))
        sys.exit(1)


def describe(s):
    """One line for a kmeans-train bus message, or None."""
    name = s.get_name()
    if name == "kmeans-train":
        return ("train step %3d: loss %10.2f over %d points, %d points "
                "trained, model v%d"
                % (s.get_value("step"), s.get_value("loss"),
                   s.get_value("batch-points"), s.get_value("points"),
                   s.get_value("model-version")))
    if name == "kmeans-initialized":
        return ("initialized %d centers of dimension %d at step %d"
                % (s.get_value("clusters"), s.get_value("dimensions"),
                   s.get_value("step")))
    if name == "kmeans-checkpoint":
        return ("checkpoint: step %d, model v%d -> %s"
                % (s.get_value("step"), s.get_value("model-version"),
                   s.get_value("location")))
    if name == "kmeans-converged":
        return "converged at step %d" % s.get_value("step")
    return None


class Flagship:
    """Runs publisher -> pipeline -> subscriber once; see the module doc."""

    def __init__(self, args, checkpoint, documents_file):
        self.args = args
        self.out = Output(args.quiet)
        self.documents_file = documents_file
        self.messages = args.points // args.points_per_message
        self.errors = []
        # (step, batch loss, batch points) of every kmeans-train message.
        self.losses = []
        self.publisher = self.subscriber = None
        self.idle_after_exit = 0
        self.eos_sent = False
        self.loop = GLib.MainLoop()
        self.pipeline = Gst.parse_launch(PIPELINE.format(
            idle=IDLE_NS, k=args.clusters, seed=args.seed,
            batch=args.batch_size, ckpt=checkpoint,
            score_points=args.score_points))
        # Raw framing: the bytes say nothing, the application says it all.
        self.src = self.pipeline.get_by_name("src")
        self.src.set_property("caps", Gst.Caps.from_string(
            "application/x-points,format=F32LE,dimensions=%d"
            % args.dimensions))

    def start(self):
        """Binds both sockets (PAUSED), then starts the two programs on
        the ports chosen.  False if the pipeline could not start."""
        if self.pipeline.set_state(Gst.State.PAUSED) == \
                Gst.StateChangeReturn.FAILURE:
            self.fail("the pipeline could not start")
            return False
        points_ep = self.src.get_property("last-endpoint")
        results_ep = self.pipeline.get_by_name("sink").get_property(
            "last-endpoint")
        self.out.line("", "publisher -> %s -> pipeline -> %s -> subscriber"
                      % (points_ep, results_ep))
        subscriber = [PYTHON, os.path.join(HERE, "zmq-subscribe.py"),
                      "--endpoint", results_ep, "--until-final",
                      "--timeout", str(self.args.timeout)]
        if self.documents_file:
            subscriber += ["--save", self.documents_file]
        self.subscriber = Program(self.out, "[subscriber]", subscriber,
                                  "stdout")
        self.publisher = Program(self.out, "[publisher]", [
            PYTHON, os.path.join(HERE, "zmq-publish-points.py"),
            "--endpoint", points_ep, "--connect", "--socket-type", "push",
            "--clusters", str(self.args.clusters),
            "--dimensions", str(self.args.dimensions),
            "--points-per-message", str(self.args.points_per_message),
            "--count", str(self.messages), "--rate", str(self.args.rate),
            "--seed", str(self.args.seed)], "stderr")
        self.pipeline.set_state(Gst.State.PLAYING)
        return True

    def run(self):
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        self.guard = GLib.timeout_add_seconds(int(self.args.timeout),
                                              self.on_timeout)
        if self.start():
            tick = GLib.timeout_add(IDLE_NS // Gst.MSECOND, self.on_tick)
            self.loop.run()
            GLib.source_remove(tick)
        if self.guard:
            GLib.source_remove(self.guard)
        bus.remove_signal_watch()

    def fail(self, text):
        self.errors.append(text)
        self.loop.quit()

    def on_tick(self):
        """Notices a helper program that failed: the stream would wait for
        it for ever (a blocked kmzmqsink posts no kmzmqsrc timeouts)."""
        status = self.publisher.proc.poll()
        if status:
            self.fail("the publisher failed (exit status %d)" % status)
            return GLib.SOURCE_CONTINUE
        status = self.subscriber.proc.poll()
        # After EOS it stops by itself, at the final score document.
        if status is not None and (status != 0 or not self.eos_sent):
            self.fail("the subscriber exited before the end (exit status %d)"
                      % status)
        return GLib.SOURCE_CONTINUE

    def on_timeout(self):
        self.guard = None
        self.fail("no end of stream after %g s" % self.args.timeout)
        return GLib.SOURCE_REMOVE

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.fail("%s: %s (%s)" % (msg.src.get_name(), err.message,
                                       debug))
        elif msg.type == Gst.MessageType.WARNING:
            warn, debug = msg.parse_warning()
            self.out.line("[pipeline]", "warning from %s: %s"
                          % (msg.src.get_name(), warn.message), force=True)
        elif msg.type == Gst.MessageType.EOS:
            self.loop.quit()
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "GstKmZmqSrcTimeout":
                self.on_idle()
            else:
                if s.get_name() == "kmeans-train":
                    self.losses.append((s.get_value("step"),
                                        s.get_value("loss"),
                                        s.get_value("batch-points")))
                    if s.get_value("step") % PRINT_EVERY_STEPS:
                        return
                text = describe(s)
                if text:
                    self.out.line("[pipeline]", text)

    def on_idle(self):
        """kmzmqsrc heard nothing for IDLE_NS: the end, if the publisher is
        done and every message it sent came in."""
        status = self.publisher.proc.poll()
        if status is None or status != 0 or self.eos_sent:
            return
        received = self.src.get_property("stats").get_value("messages-in")
        if received >= self.messages:
            self.out.line("[pipeline]", "publisher done, %d messages in: "
                          "sending EOS" % received)
            self.eos_sent = True
            self.pipeline.send_event(Gst.Event.new_eos())
            return
        self.idle_after_exit += 1
        if self.idle_after_exit >= MAX_IDLE_AFTER_EXIT:
            self.fail("kmzmqsrc received %d of the %d messages sent"
                      % (received, self.messages))

    def finish(self):
        """Reads the outcome at EOS, then stops everything; returns it."""
        train = self.pipeline.get_by_name("train")
        outcome = {
            "messages_published": self.messages,
            "points_published": self.args.points,
            "zmqsrc_messages_in": self.src.get_property("stats").get_value(
                "messages-in"),
            "train_points": train.get_property("points"),
            "train_steps": train.get_property("steps"),
            "model_version": train.get_property("model-version"),
            "learned_centers": [[float(x) for x in row]
                                for row in train.get_property("centers")],
            "assign_dropped_points": self.pipeline.get_by_name(
                "assign").get_property("dropped-points"),
            "scored_points": self.pipeline.get_by_name(
                "score").get_property("num-points"),
            "loss_curve": [{"step": step, "loss": loss, "batch_points": n}
                           for step, loss, n in self.losses],
        }
        # The final score document is the subscriber's cue to stop.
        sub_status = self.subscriber.finish(
            SUBSCRIBER_GRACE if not self.errors else 0) \
            if self.subscriber else None
        pub_status = self.publisher.finish(0 if self.errors else 10) \
            if self.publisher else None
        self.pipeline.set_state(Gst.State.NULL)
        if not self.errors:
            if sub_status != 0:
                self.errors.append("the subscriber did not end well (%s)"
                                   % ("still running" if sub_status is None
                                      else "exit status %d" % sub_status))
            if pub_status != 0:
                self.errors.append("the publisher did not end well (%s)"
                                   % pub_status)
        outcome["true_centers"] = true_centers(
            self.publisher.lines if self.publisher else [])
        return outcome


def match_centers(true, learned):
    """One-to-one matching minimising the total distance (Hungarian when
    scipy is there, greedy otherwise); returns sorted (true index, learned
    index, distance) tuples.  Also used by demo-local.py."""
    dist = [[math.dist(t, c) for c in learned] for t in true]
    try:
        from scipy.optimize import linear_sum_assignment
        ti, li = linear_sum_assignment(dist)
        pairs = list(zip(ti.tolist(), li.tolist()))
    except ImportError:
        pairs, used = [], set()
        for i in sorted(range(len(true)), key=lambda i: min(dist[i])):
            j = min((j for j in range(len(learned)) if j not in used),
                    key=lambda j: dist[i][j])
            used.add(j)
            pairs.append((i, j))
    return sorted((i, j, dist[i][j]) for i, j in pairs)


def report(outcome, args, out):
    """Prints the comparison; returns the list of failures."""
    true, learned = outcome["true_centers"], outcome["learned_centers"]
    vec = lambda v: "(" + ", ".join("%7.3f" % x for x in v) + ")"  # noqa
    say = lambda text="": out.line("", text, force=True)  # noqa: E731
    say()
    say("published %d points in %d messages; kmzmqsrc received %d messages"
        % (outcome["points_published"], outcome["messages_published"],
           outcome["zmqsrc_messages_in"]))
    say("kmeans-train: %d steps, %d points trained, model v%d; "
        "kmeans-score scored %d points; kmeans-assign dropped %d"
        % (outcome["train_steps"], outcome["train_points"],
           outcome["model_version"], outcome["scored_points"],
           outcome["assign_dropped_points"]))
    if len(true) != args.clusters or len(learned) != len(true):
        return ["%d learned centers for %d true ones"
                % (len(learned), len(true))]
    say()
    say("%-3s %-30s %-30s %s" % ("", "true center", "learned center",
                                 "distance"))
    worst = 0.0
    for i, j, d in match_centers(true, learned):
        say("%-3d %-30s %-30s %.4f" % (i, vec(true[i]), vec(learned[j]), d))
        worst = max(worst, d)
    say("largest distance: %.4f (blob spread 1.0)" % worst)
    if args.check_distance is not None and worst > args.check_distance:
        return ["a learned center is %.4f from its true center, more than "
                "%g" % (worst, args.check_distance)]
    return []


def write_loss_png(curve, path, dimensions):
    """Draws the loss per point of each step of @curve (outcome's
    loss_curve) into the PNG @path; returns an error text or None."""
    try:
        import matplotlib
        matplotlib.use("Agg")           # no display needed
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError as e:
        return "cannot draw --loss-png: %s (install python3-matplotlib)" % e
    if not curve:
        return "cannot draw --loss-png: kmeans-train reported no step"
    steps = [c["step"] for c in curve]
    mean = [c["loss"] / max(c["batch_points"], 1) for c in curve]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, mean, marker="o", markersize=3, linewidth=1.2,
            label="batch loss / points in the batch")
    # Unit-variance blobs: a point's squared distance to its true center
    # averages the number of dimensions, the floor a good model reaches.
    ax.axhline(dimensions, color="grey", linestyle="--", linewidth=0.8,
               label="noise floor (%d = dimensions)" % dimensions)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("mean squared distance to the nearest center")
    ax.set_title("kmeans-train loss, %d steps of %d points"
                 % (len(curve), curve[0]["batch_points"]))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as e:
        return "cannot write --loss-png %s: %s" % (path, e.strerror or e)
    finally:
        plt.close(fig)
    return None


def main(argv=None):
    args = parse_args(argv)
    Gst.init(None)
    check_plugin()

    with tempfile.TemporaryDirectory(prefix="kmeans-flagship-") as tmp:
        ckpt_dir = os.path.abspath(args.checkpoint_dir or tmp)
        os.makedirs(ckpt_dir, exist_ok=True)
        documents = os.path.join(tmp, "documents.jsonl") \
            if args.json_out else None
        demo = Flagship(args, os.path.join(ckpt_dir, "model.ckpt"),
                        documents)
        demo.run()
        outcome = demo.finish()
        errors = demo.errors or report(outcome, args, demo.out)
        if args.loss_png and not demo.errors:
            error = write_loss_png(outcome["loss_curve"], args.loss_png,
                                   args.dimensions)
            errors += [error] if error else []
            if not error:
                demo.out.line("", "loss curve: %s" % args.loss_png,
                              force=True)
        elif not errors:
            demo.out.line("", "hint: --loss-png FILE draws the loss of "
                          "every training step as a picture", force=True)
        if args.json_out:
            # The text of each document, as the subscriber received it.
            outcome["documents"] = []
            if documents and os.path.exists(documents):
                with open(documents) as f:
                    outcome["documents"] = f.read().splitlines()
            outcome["errors"] = errors
            with open(args.json_out, "w") as f:
                json.dump(outcome, f)

    for e in errors:
        print("FAILED: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

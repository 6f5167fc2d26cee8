#!/usr/bin/python3
"""Peak memory of kmeans-parse on one large JSON message (issue 11, defect 4).

For each size (MiB) it writes one JSON message of dense 3-D points,
`[[1,2,3],[4,5,6],...]` (8 bytes a point), and runs

    gst-launch-1.0 -v filesrc location=MSG blocksize=SIZE num-buffers=1 !
        kmeans-parse [PROPS] ! fakesink silent=false

as a child process: blocksize makes the whole file one buffer, i.e. one
message, as kmzmqsrc delivers it.  The child's peak resident memory is
ru_maxrss from wait4(); the same pipeline on a one-point message gives the
process's own baseline.  The points that reached fakesink are counted from
its last-message lines, so a run that parsed nothing is not mistaken for a
lean one.

    /usr/bin/python3 bench/parse_rss.py --plugin-path build/plugin
    /usr/bin/python3 bench/parse_rss.py --plugin-path build/plugin \\
        --sizes 8,32 --shape object

Prints one line per size: peak RSS, peak minus baseline, both as multiples
of the message size, the wall time, and the points parsed.  Exit status 1
when a run failed or parsed the wrong number of points.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1 << 20
POINT_BYTES = 8                 # "[1,2,3]," : one point, 3 float32 values
DIMENSIONS = 3


# What the points are wrapped in: a bare list, or an object as
# kmeans-format writes it (read with field=points).
SHAPES = {
    "list": (b"[", b"]", []),
    "object": (b'{"type": "points", "points": [', b"]}", ["field=points"]),
}


def write_message(path, size, shape="list"):
    """A JSON message of dense 3-D points, at most @size bytes; returns the
    number of points."""
    head, tail, _ = SHAPES[shape]
    points = (size - len(head) - len(tail) + 1) // POINT_BYTES
    unit = b"[1,2,3],[4,5,6],[7,8,9],[0,1,2],"
    per_unit = len(unit) // POINT_BYTES
    with open(path, "wb") as f:
        f.write(head)
        whole, rest = divmod(points, per_unit)
        block = unit * 4096
        for _ in range(whole // 4096):
            f.write(block)
        f.write(unit * (whole % 4096))
        f.write(unit[:rest * POINT_BYTES])
        # The last point has no comma after it.
        f.seek(-1, os.SEEK_CUR)
        f.write(tail)
        f.truncate()
    return points


# Against a hang only (gst-launch-1.0 itself now and then hangs on an
# error while prerolling); no figure depends on time.
HANG_GUARD_SECONDS = 600


def run_child(args, env):
    """Runs @args; returns (exit status, ru_maxrss in bytes, seconds,
    stdout).  A child that hangs is killed (status -9)."""
    start = time.monotonic()
    child = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    guard = threading.Timer(HANG_GUARD_SECONDS, child.kill)
    guard.start()
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    guard.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    return (child.returncode, usage.ru_maxrss * 1024,
            time.monotonic() - start, out.decode("utf-8", "replace"))


def parsed_points(out):
    """Points fakesink received, from its last-message notifications."""
    total = 0
    for m in re.finditer(r"last-message = chain.*?\((\d+) bytes", out):
        total += int(m.group(1))
    return total // (4 * DIMENSIONS)


def pipeline(path, size, props):
    return (["gst-launch-1.0", "-v", "filesrc", "location=" + path,
             "blocksize=%d" % max(size, 4096), "num-buffers=1", "!",
             "kmeans-parse"] + props + ["!", "fakesink", "silent=false"])


def baseline(env, tmp, props=()):
    """Peak RSS in bytes of the pipeline on a one-point message."""
    tiny = os.path.join(tmp, "tiny.json")
    with open(tiny, "wb") as f:
        f.write(b"[[1,2,3]]")
    # The first run may build the registry: only the second counts.
    run_child(pipeline(tiny, 9, list(props)), env)
    status, peak, _, out = run_child(pipeline(tiny, 9, list(props)), env)
    if status != 0 or parsed_points(out) != 1:
        raise RuntimeError("baseline run failed (exit %d):\n%s"
                           % (status, out))
    return peak


class Run:
    """One message of @mib MiB through the pipeline."""

    def __init__(self, env, tmp, mib, props=(), shape="list"):
        path = os.path.join(tmp, "msg.json")
        self.expected = write_message(path, mib * MIB, shape)
        self.size = os.path.getsize(path)
        props = list(props) + SHAPES[shape][2]
        self.status, self.peak, self.seconds, self.output = run_child(
            pipeline(path, self.size, props), env)
        self.points = parsed_points(self.output)
        self.ok = self.status == 0 and self.points == self.expected
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plugin-path", required=True,
                    help="folder holding libgstkmeans.so")
    ap.add_argument("--sizes", default="8,32,64",
                    help="message sizes in MiB (default 8,32,64)")
    ap.add_argument("--prop", action="append", default=[],
                    help="a kmeans-parse property, name=value (repeatable)")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="list",
                    help="list: [[1,2,3],...]; object: {\"type\": "
                    "\"points\", \"points\": [[1,2,3],...]} (field=points)")
    args = ap.parse_args()

    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = os.path.abspath(args.plugin_path)
    env["GST_PLUGIN_PATH"] = env["GST_PLUGIN_PATH_1_0"]
    env.setdefault("GST_REGISTRY_1_0", os.path.join(
        tempfile.gettempdir(), "parse_rss.%d.registry" % os.getuid()))
    # One BLAS thread: the plugin links OpenBLAS, whose thread pool would
    # only add noise to the baseline.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")

    failed = False
    with tempfile.TemporaryDirectory(prefix="parse_rss.") as tmp:
        base = baseline(env, tmp, args.prop)
        print("plugin %s, shape %s\nbaseline (one-point message): %.1f MiB"
              % (args.plugin_path, args.shape, base / MIB))
        print("%8s %10s %12s %8s %10s %8s %10s" % (
            "message", "peak RSS", "peak-base", "peak/msg", "(p-b)/msg",
            "time", "points"))
        for mib in [int(s) for s in args.sizes.split(",")]:
            r = Run(env, tmp, mib, args.prop, args.shape)
            failed |= not r.ok
            print("%5d MiB %6.0f MiB %8.0f MiB %7.2fx %9.2fx %7.1fs %10d%s"
                  % (mib, r.peak / MIB, (r.peak - base) / MIB,
                     r.peak / r.size, (r.peak - base) / r.size, r.seconds,
                     r.points, "" if r.ok else
                     "  FAILED (exit %d, %d points expected)"
                     % (r.status, r.expected)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""gst-kmeans benchmarks against scikit-learn (driven by bench/run.sh).

Subcommands:
  gen       write a workload's points and initial centers (seeded blobs)
  sklearn   time the peer: MiniBatchKMeans.partial_fit per batch, and
            KMeans.predict on all points; write its centers and labels
  memory    resident memory of kmeans-testsrc ! kmeans-train !
            kmeans-assign ! fakesink after 1M and after 100M points
  run       everything above, the C core benchmark (kmbench) and the
            gst-launch-1.0 pipelines; prints the table, writes RESULTS.md
  report    RESULTS.md again from the last run's results.json

run and report also draw the table as a picture (bench/plot.py, --plot).

Every workload is float32 Gaussian blobs: K true centers uniform in
[-10, 10]^D, every point a true center plus N(0, 1) noise, labels
uniform.  Both sides start from the same initial centers (k-means++ of
sklearn on the first 3 * 4096 points), so the final inertias compare.
"""
import argparse
import json
import math
import os
import platform
import re
import shlex
import subprocess
import sys
import time

WORKLOADS = {
    # name: (N, D, K)
    "sensor": (2_000_000, 3, 8),
    "features": (1_000_000, 16, 64),
    "embedding": (500_000, 128, 256),
}
BATCH = 4096
SEED = 20240611
# Training's reassignment ratio on both sides of the core/pipeline
# comparison, passed explicitly so that defaults cannot differ:
# kmeans-train's (and MiniBatchKMeans's) default.
REASSIGNMENT_RATIO = 0.01
# The pipelines read the points this many times over (one file of the
# copies), so that a run lasts a few tenths of a second: a sensor pass
# over N alone ends in about 10 ms, where start-up jitter decides.
PIPELINE_COPIES = {"sensor": 10, "features": 4, "embedding": 1}
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)


def paths(data_dir, name):
    base = os.path.join(data_dir, name)
    return {
        "points": base + ".points.f32",
        "init": base + ".init.f32",
        "init_txt": base + ".init.txt",
        "sk_centers": base + ".sklearn-centers.f32",
        "sk_labels": base + ".sklearn-labels.i32",
        "sk_json": base + ".sklearn.json",
        "core_json": base + ".core.json",
        "ours_centers": base + ".core-centers.f32",
        "checkpoint": base + ".init.ckpt",
        "pipeline_points": base + ".pipeline.f32",
    }


# ----------------------------------------------------------------- data


def generate(name, data_dir):
    import numpy as np
    from sklearn.cluster import kmeans_plusplus

    n, d, k = WORKLOADS[name]
    p = paths(data_dir, name)
    os.makedirs(data_dir, exist_ok=True)
    rng = np.random.default_rng(SEED + d)
    true_centers = rng.uniform(-10.0, 10.0, size=(k, d)).astype(np.float32)
    labels = rng.integers(0, k, size=n)
    x = rng.standard_normal(size=(n, d), dtype=np.float32)
    x += true_centers[labels]
    init, _ = kmeans_plusplus(x[: 3 * BATCH], k, random_state=SEED)
    init = np.ascontiguousarray(init, dtype=np.float32)
    x.tofile(p["points"])
    init.tofile(p["init"])
    with open(p["init_txt"], "w") as f:
        f.write("# %s: k-means++ (sklearn) on the first %d points\n"
                % (name, 3 * BATCH))
        for row in init:
            f.write(" ".join("%.9g" % v for v in row) + "\n")
    return p


def ensure_data(name, data_dir):
    p = paths(data_dir, name)
    n, d, k = WORKLOADS[name]
    ok = (os.path.exists(p["points"])
          and os.path.getsize(p["points"]) == n * d * 4
          and os.path.exists(p["init_txt"]))
    if not ok:
        log("generating %s (N=%d D=%d K=%d) in %s" % (name, n, d, k,
                                                      data_dir))
        generate(name, data_dir)
    copies = PIPELINE_COPIES.get(name, 1)
    if copies > 1 and not (os.path.exists(p["pipeline_points"])
                           and os.path.getsize(p["pipeline_points"])
                           == copies * n * d * 4):
        with open(p["points"], "rb") as f:
            data = f.read()
        with open(p["pipeline_points"], "wb") as f:
            for _ in range(copies):
                f.write(data)
    return p


def pipeline_points(name, data_dir):
    """(file, points) the file pipelines read."""
    p = paths(data_dir, name)
    copies = PIPELINE_COPIES.get(name, 1)
    return (p["pipeline_points"] if copies > 1 else p["points"],
            copies * WORKLOADS[name][0])


def load(name, data_dir):
    import numpy as np

    n, d, k = WORKLOADS[name]
    p = paths(data_dir, name)
    x = np.fromfile(p["points"], dtype=np.float32).reshape(n, d)
    init = np.fromfile(p["init"], dtype=np.float32).reshape(k, d)
    return x, init


# ---------------------------------------------------------------- peer


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{key: i.get(key) for key in ("internal_api", "version",
                                         "architecture", "num_threads",
                                         "threading_layer")}
            for i in threadpool_info()]


def run_sklearn(name, data_dir, repeat):
    import warnings

    import numpy as np
    import sklearn
    from sklearn.cluster import KMeans, MiniBatchKMeans

    warnings.filterwarnings("ignore")
    n, d, k = WORKLOADS[name]
    p = paths(data_dir, name)
    x, init = load(name, data_dir)

    train_times, centers = [], None
    for _ in range(repeat):
        m = MiniBatchKMeans(n_clusters=k, init=init, n_init=1,
                            batch_size=BATCH, random_state=SEED)
        start = time.perf_counter()
        for i in range(0, n, BATCH):
            m.partial_fit(x[i:i + BATCH])
        train_times.append(time.perf_counter() - start)
        if centers is None:
            centers = np.ascontiguousarray(m.cluster_centers_,
                                           dtype=np.float32)
            own_inertia = -m.score(x)

    # KMeans with the initial centers as its fitted centers.
    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=1).fit(init)
    km.cluster_centers_ = init.copy()
    predict_times, labels = [], None
    km.predict(x[:BATCH])                       # warm-up
    for _ in range(repeat):
        start = time.perf_counter()
        labels = km.predict(x)
        predict_times.append(time.perf_counter() - start)

    centers.tofile(p["sk_centers"])
    labels.astype(np.int32).tofile(p["sk_labels"])
    result = {
        "sklearn": sklearn.__version__, "numpy": np.__version__,
        "blas": blas_info(),
        "train_s": train_times, "predict_s": predict_times,
        "train_per_s": n / min(train_times),
        "predict_per_s": n / min(predict_times),
        "own_inertia": float(own_inertia),
    }
    with open(p["sk_json"], "w") as f:
        json.dump(result, f, indent=1)
    return result


# ---------------------------------------------------------- core (C)


def run_core(name, data_dir, build_dir, repeat):
    n, d, k = WORKLOADS[name]
    p = paths(data_dir, name)
    cmd = [os.path.join(build_dir, "bench", "kmbench"),
           "--points", p["points"], "--init", p["init"],
           "--peer-centers", p["sk_centers"], "--peer-labels", p["sk_labels"],
           "--centers-out", p["ours_centers"],
           "--checkpoint-out", p["checkpoint"],
           "-n", str(n), "-d", str(d), "-k", str(k), "--batch", str(BATCH),
           "--reassignment-ratio", str(REASSIGNMENT_RATIO),
           "--repeat", str(repeat)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env=blas_quiet_env(os.environ))
    result = json.loads(out.stdout)
    result["command"] = " ".join(shlex.quote(c) for c in cmd)
    with open(p["core_json"], "w") as f:
        json.dump(result, f, indent=1)
    return result


def merge_sklearn(acc, new):
    if acc is None:
        return new
    n = new["train_per_s"] * min(new["train_s"])
    acc["train_s"] += new["train_s"]
    acc["predict_s"] += new["predict_s"]
    acc["train_per_s"] = n / min(acc["train_s"])
    acc["predict_per_s"] = n / min(acc["predict_s"])
    return acc


def merge_core(acc, new):
    """Best of each timing over the rounds; GFLOP/s and SGEMM follow."""
    if acc is None:
        return new
    n = new["n"]
    flops = 2.0 * n * new["d"] * new["k"]
    for key in ("train", "assign", "assign_batched", "train_assign"):
        runs = acc[key]["runs_s"] + new[key]["runs_s"]
        best = min(runs)
        acc[key].update(runs_s=runs, best_s=best, per_s=n / best,
                        median_s=sorted(runs)[len(runs) // 2])
        if "gflops" in acc[key]:
            acc[key]["gflops"] = flops / best / 1e9
    for key in ("sgemm_square_gflops", "sgemm_shape_gflops",
                "sgemm_square_1thread_gflops", "read_gbps",
                "read_1thread_gbps"):
        if key in new:
            acc[key] = max(acc.get(key, 0.0), new[key])
    acc["repeat"] += new["repeat"]
    return acc


def merge_pipelines(acc, new):
    if acc is None:
        return new
    for key, r in new.items():
        acc[key]["runs_s"] += r["runs_s"]
        acc[key]["per_s"] = r["per_s"] * min(r["runs_s"]) / min(
            acc[key]["runs_s"])
    return acc


# ----------------------------------------------------------- pipelines


def blas_quiet_env(base):
    """@base with OpenBLAS's idle workers sleeping at once: by default
    they spin for ~0.1 s after start-up and after every BLAS call, which
    on a 2-core machine takes a core from a run as short as ours (the
    whole of a sensor pipeline).  Only idle behaviour changes."""
    env = dict(base)
    env.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    return env


def gst_env(build_dir):
    env = blas_quiet_env(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(build_dir, "plugin")
    env.setdefault("GST_REGISTRY", os.path.join(build_dir, "bench",
                                                "registry.bin"))
    return env


EXEC_RE = re.compile(r"Execution ended after (\d+):(\d+):(\d+\.\d+)")


def gst_launch(description, build_dir):
    """Runs gst-launch-1.0; returns the seconds from PLAYING to EOS (its
    "Execution ended after" line, so start-up is not counted)."""
    cmd = ["gst-launch-1.0"] + shlex.split(description)
    out = subprocess.run(cmd, env=gst_env(build_dir), capture_output=True,
                         text=True)
    m = EXEC_RE.search(out.stdout + out.stderr)
    if out.returncode != 0 or m is None:
        raise RuntimeError("gst-launch-1.0 %s failed:\n%s%s"
                           % (description, out.stdout, out.stderr))
    h, mi, s = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(s)


def pipelines(name, data_dir):
    _, d, k = WORKLOADS[name]
    p = paths(data_dir, name)
    location, n = pipeline_points(name, data_dir)
    caps = "application/x-points,format=F32LE,dimensions=%d" % d
    src = "filesrc location=%s blocksize=%d ! %s" % (location,
                                                     BATCH * d * 4, caps)
    train = ("kmeans-train num-clusters=%d init=file initial-centers=%s "
             "reassignment-ratio=%g" % (k, p["init_txt"], REASSIGNMENT_RATIO))
    buffers = (n + BATCH - 1) // BATCH
    testsrc = ("kmeans-testsrc clusters=%d dimensions=%d points-per-buffer=%d"
               " num-buffers=%d seed=1" % (k, d, BATCH, buffers))
    return {
        "file_train_assign": "%s ! %s ! kmeans-assign ! fakesink" % (src,
                                                                    train),
        "file_train": "%s ! %s ! fakesink" % (src, train),
        "file_assign": "%s ! kmeans-assign model-location=%s ! fakesink"
                       % (src, p["checkpoint"]),
        "testsrc_train_assign": "%s ! kmeans-train num-clusters=%d seed=1 "
                                "! kmeans-assign ! fakesink" % (testsrc, k),
        "testsrc_only": "%s ! fakesink" % testsrc,
        # The source's own limit: filesrc copies every byte out of the
        # page cache, which the roofline's bandwidth does not count.
        "file_only": "%s ! fakesink" % src,
    }


def run_pipelines(name, data_dir, build_dir, repeat):
    n = pipeline_points(name, data_dir)[1]
    result = {}
    for key, desc in pipelines(name, data_dir).items():
        times = [gst_launch(desc, build_dir) for _ in range(repeat)]
        result[key] = {"command": "gst-launch-1.0 " + desc, "runs_s": times,
                       "per_s": n / min(times)}
    return result


# -------------------------------------------------------------- memory


MEMORY_APP = r"""
import sys, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib
Gst.init(None)
marks = [int(m) for m in sys.argv[2].split(",")]
pipe = Gst.parse_launch(sys.argv[1])
seen = {"points": 0, "rss": {}}

def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def probe(pad, info):
    seen["points"] += info.get_buffer().get_size() // 8   # one record each
    while marks and seen["points"] >= marks[0]:
        seen["rss"][marks.pop(0)] = rss_kib()
    return Gst.PadProbeReturn.OK

pipe.get_by_name("out").get_static_pad("sink").add_probe(
    Gst.PadProbeType.BUFFER, probe)
loop = GLib.MainLoop()
def on_message(bus, msg):
    if msg.type == Gst.MessageType.ERROR:
        print(msg.parse_error(), file=sys.stderr); loop.quit()
    elif msg.type == Gst.MessageType.EOS:
        loop.quit()
bus = pipe.get_bus(); bus.add_signal_watch(); bus.connect("message", on_message)
pipe.set_state(Gst.State.PLAYING); loop.run()
seen["rss"][seen["points"]] = rss_kib()          # at EOS
pipe.set_state(Gst.State.NULL)
print(" ".join("%d:%d" % kv for kv in sorted(seen["rss"].items())))
"""


def run_memory(build_dir, total=100_000_000, d=3, k=8):
    buffers = (total + BATCH - 1) // BATCH
    desc = ("kmeans-testsrc clusters=%d dimensions=%d points-per-buffer=%d "
            "num-buffers=%d seed=1 ! kmeans-train num-clusters=%d seed=1 ! "
            "kmeans-assign ! fakesink name=out" % (k, d, BATCH, buffers, k))
    # The first buffer initialises the centers (no model downstream yet),
    # so the last mark is the points seen at EOS.
    marks = [m for m in (1_000_000, 10_000_000, total // 2) if m < total]
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", MEMORY_APP, desc,
                          ",".join(str(m) for m in marks)],
                         env=gst_env(build_dir), capture_output=True,
                         text=True, check=True)
    rss = {int(a): int(b) for a, b in
           (kv.split(":") for kv in out.stdout.split())}
    return {"command": "python3 -c MEMORY_APP (bench/kmbench.py) '%s'" % desc,
            "rss_kib": rss, "seconds": time.perf_counter() - start}


# ---------------------------------------------------------------- load


def cpu_busy(seconds=1.0, niced=False):
    """Fraction of all cores busy over @seconds (from /proc/stat): with
    processes at normal priority, or with niced ones (@niced).  A process
    at nice 19 gets ~1.5% of a core against ours, so it barely counts."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[1], v[3] + v[4], sum(v)
    n0, i0, t0 = sample()
    time.sleep(seconds)
    n1, i1, t1 = sample()
    total = max(t1 - t0, 1)
    if niced:
        return (n1 - n0) / total
    return 1.0 - (i1 - i0 + n1 - n0) / total


def core_scaling():
    """numpy SGEMM on all cores over one core, now: how much of the other
    cores we would get (their kernel time does not tell niced work
    apart)."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.ones((768, 768), dtype=np.float32)

    def best():
        times = []
        for _ in range(5):
            start = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - start)
        return min(times)
    with threadpool_limits(1):
        one = best()
    return one / best()


def wait_quiet(limit, what):
    """Waits up to @limit seconds until the cores are ours: little other
    work at normal priority, or all cores giving their share (niced work
    only); returns the background load seen last (fraction of all
    cores)."""
    start = time.monotonic()
    while True:
        busy = cpu_busy()
        scaling = core_scaling()
        if busy <= 0.40 and scaling >= 0.9 * (os.cpu_count() or 1):
            return busy
        if time.monotonic() - start > limit:
            log("%s: measuring anyway with %.0f%% background load"
                % (what, 100 * busy))
            return busy
        log("%s: cores %.0f%% busy with other work (SGEMM scaling %.2f), "
            "waiting" % (what, 100 * busy, scaling))
        time.sleep(5)


# ------------------------------------------------------------ roofline


def work_per_point(d, k):
    """(FLOPs, bytes) per point of each measured operation.  FLOPs: the
    distance step as a GEMM, 2*K*D (the norms add O(K + D)); training
    adds the update, D adds into the sum of the point's center; train +
    assign is two assignments (old model, new model) and one update.
    Bytes: the point read once, 4*D, plus the label and distance written,
    8, where points are assigned (training keeps its labels in cache)."""
    return {
        "assign": (2 * k * d, 4 * d + 8),
        "train": (2 * k * d + d, 4 * d),
        "train_assign": (4 * k * d + d, 4 * d + 8),
    }


# operation: (its core figure, its pipeline figure)
ROOFLINE_FIGURES = {
    "assign": ("assign", "file_assign"),
    "train": ("train", "file_train"),
    "train_assign": ("train_assign", "file_train_assign"),
}


def roofline(name, r):
    """Per operation, the bound min(peak / FLOPs, bandwidth / bytes) in
    points/s from this run's all-core SGEMM 2048^3 and read bandwidth, and
    the fraction of it the core and the file pipeline reached; None when
    the run has no probes (an older results.json)."""
    c = r["core"]
    if not c.get("read_gbps") or not c.get("sgemm_square_gflops"):
        return None
    n, d, k = WORKLOADS[name]
    peak, bw = c["sgemm_square_gflops"] * 1e9, c["read_gbps"] * 1e9
    out = {"peak_gflops": c["sgemm_square_gflops"],
           "peak_1thread_gflops": c.get("sgemm_square_1thread_gflops"),
           "read_gbps": c["read_gbps"],
           "read_1thread_gbps": c.get("read_1thread_gbps")}
    for op, (flops, nbytes) in work_per_point(d, k).items():
        compute, memory = peak / flops, bw / nbytes
        bound = min(compute, memory)
        core_key, pipe_key = ROOFLINE_FIGURES[op]
        pl = (r.get("pipelines") or {}).get(pipe_key)
        out[op] = {"flops_per_point": flops, "bytes_per_point": nbytes,
                   "compute_bound_per_s": compute,
                   "memory_bound_per_s": memory, "bound_per_s": bound,
                   "limit": "compute" if compute < memory else "memory",
                   "core_per_s": c[core_key]["per_s"],
                   "core_fraction": c[core_key]["per_s"] / bound,
                   "pipeline": pipe_key,
                   "pipeline_per_s": pl["per_s"] if pl else None,
                   "pipeline_fraction": pl["per_s"] / bound if pl else None}
    return out


def fmt_bound(v):
    if v >= 1e9:
        return "%.2fG" % (v / 1e9)
    return fmt_rate(v)


def fmt_fraction(v):
    return "–" if v is None else "%.0f%%" % (100 * v)


# -------------------------------------------------------------- report


def log(msg):
    print("[kmbench] " + msg, file=sys.stderr, flush=True)


def fmt_rate(v):
    if v >= 1e6:
        return "%.1fM" % (v / 1e6)
    return "%.0fk" % (v / 1e3)


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    flags = open("/proc/cpuinfo").read()
    isa = [i for i in ("avx512f", "avx2", "fma") if " %s " % i in flags]
    return "%s, %d cores (%s), Linux %s" % (cpu, os.cpu_count(),
                                             ", ".join(isa),
                                             platform.release())


def contended(r):
    """Was this workload measured while other work had the cores?"""
    c = r["core"]
    scaling = c["sgemm_square_gflops"] / c["sgemm_square_1thread_gflops"]
    return scaling < 0.9 * (os.cpu_count() or 1) \
        or r["background_load_after"] > 0.10


def targets(results, memory):
    """(target, workload, measured, met) rows."""
    rows = []

    def row(what, name, text, ok):
        met = "yes" if ok else "**no**"
        if name in results and contended(results[name]):
            met += " (unreliable: contended)"
        rows.append((what, name, text, met))

    for name, r in results.items():
        c, s = r["core"], r["sklearn"]
        ratio = c["train"]["per_s"] / s["train_per_s"]
        row("train >= 5x scikit-learn", name, "%.1f×" % ratio, ratio >= 5)
        inertia = c["inertia"] / c["peer_inertia"]
        row("final inertia <= 1.01x scikit-learn's", name, "%.4f" % inertia,
            inertia <= 1.01)
        if name == "embedding":
            share = c["assign"]["gflops"] / c["sgemm_square_gflops"]
            row("assign distance step >= 75% of SGEMM", name,
                "%.0f%%" % (100 * share), share >= 0.75)
        else:
            ratio = c["assign"]["per_s"] / s["predict_per_s"]
            row("assign >= 3x KMeans.predict", name, "%.1f×" % ratio,
                ratio >= 3)
        if r["pipelines"]:
            ratio = (r["pipelines"]["file_train_assign"]["per_s"]
                     / c["train_assign"]["per_s"])
            row("file pipeline >= 0.5x core train+assign", name,
                "%.2f" % ratio, ratio >= 0.5)
    for name, r in results.items():
        roof = r.get("roofline") or roofline(name, r)
        if roof is None:
            continue
        a = roof["assign"]
        if name in ("sensor", "features"):
            row("assign >= 70% of the roofline, core", name,
                fmt_fraction(a["core_fraction"]), a["core_fraction"] >= 0.7)
            if a["pipeline_fraction"] is not None:
                text = fmt_fraction(a["pipeline_fraction"])
                only = (r["pipelines"] or {}).get("file_only")
                if only:
                    text += " (filesrc alone: %s)" % fmt_fraction(
                        only["per_s"] / a["bound_per_s"])
                row("assign >= 70% of the roofline, file ! kmeans-assign",
                    name, text, a["pipeline_fraction"] >= 0.7)
            share = roof["train"]["core_per_s"] / a["bound_per_s"]
            row("train >= 50% of the assign bound", name,
                fmt_fraction(share), share >= 0.5)
    if memory:
        rss = memory["rss_kib"]
        marks = sorted(rss)
        growth = (rss[marks[-1]] - rss[marks[0]]) / 1024
        row("VmRSS flat: %s vs %s points" % (fmt_rate(marks[-1]),
                                             fmt_rate(marks[0])),
            "sensor", "%+.2f MiB" % growth, growth <= 4)
    return rows


def report_roofline(w, results):
    """The roofline section: the machine's limits and, per workload and
    operation, the bound and the fraction of it reached."""
    roofs = {name: r.get("roofline") or roofline(name, r)
             for name, r in results.items()}
    roofs = {name: roof for name, roof in roofs.items() if roof}
    if not roofs:
        return
    w("## Roofline")
    w("")
    w("This machine's limits, measured in the same rounds by "
      "`bench/kmbench.c`: FMA peak as OpenBLAS SGEMM 2048³, memory read "
      "bandwidth as a sum over a buffer of at least 1 GiB and twice the "
      "last-level cache (best of 3):  ")
    for name, roof in roofs.items():
        c = results[name]["core"]
        w("%s: %.0f GFLOP/s on all cores, %.0f on one; %.1f GB/s on all "
          "cores, %.1f on one (%s MiB buffer, last-level cache %s MiB).  "
          % (name, roof["peak_gflops"], roof["peak_1thread_gflops"] or 0,
             roof["read_gbps"], roof["read_1thread_gbps"] or 0,
             c.get("read_buffer_mib", "?"), c.get("last_level_cache_mib",
                                                  "?")))
    w("")
    w("Bound = min(peak / FLOPs per point, bandwidth / bytes per point), "
      "all cores, points/s, (c) compute- or (m) memory-bound. FLOPs per "
      "point: assign 2·K·D (the distance step as a GEMM), train 2·K·D + D "
      "(the update adds the point to its center's sum), train+assign "
      "4·K·D + D (two assignments, one update). Bytes per point: the point "
      "(4·D) read once, plus label and distance (8) written where points "
      "are assigned. *core* and *file* are the fractions of the bound "
      "reached by the core library and by the `filesrc ! ...` pipeline.")
    w("")
    w("| workload | FLOP, bytes / point: assign, train | assign bound | "
      "core | file ! assign | train bound | core | file ! train | "
      "train+assign bound | core | file ! train ! assign |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
      "| ---: |")
    for name, roof in roofs.items():
        cells = ["%s" % name, "%d, %d; %d, %d" % (
            roof["assign"]["flops_per_point"],
            roof["assign"]["bytes_per_point"],
            roof["train"]["flops_per_point"],
            roof["train"]["bytes_per_point"])]
        for op in ("assign", "train", "train_assign"):
            e = roof[op]
            cells += ["%s (%s)" % (fmt_bound(e["bound_per_s"]),
                                   e["limit"][0]),
                      fmt_fraction(e["core_fraction"]),
                      fmt_fraction(e["pipeline_fraction"])]
        w("| " + " | ".join(cells) + " |")
    w("")


def report(results, memory, args):
    lines = []
    w = lines.append
    w("# gst-kmeans benchmark results")
    w("")
    w("Produced by `./bench/run.sh` (bench/kmbench.py, bench/kmbench.c) on "
      "%s, %s." % (machine(), time.strftime("%Y-%m-%d")))
    w("Every figure is the best of %s rounds, each round running the peer, "
      "the core library and the pipelines one after the other (all runs in "
      "results.json next to the data); points/s unless noted; *ratio* = "
      "ours / the peer." % "/".join(sorted({str(r["core"]["repeat"])
                                             for r in results.values()})))
    w("Background load on the cores from other processes at normal "
      "priority just before / after each workload (niced ones, e.g. "
      "fuzzers at nice 19, in brackets), and when it was measured: "
      + ", ".join(
          "%s %.0f%% / %.0f%% [%.0f%%] (%s)" % (
              name, 100 * r["background_load"],
              100 * r["background_load_after"],
              100 * r.get("background_niced", 0),
              r.get("measured_at", "?"))
          for name, r in results.items()) + ".")
    for name, r in results.items():
        c = r["core"]
        scaling = c["sgemm_square_gflops"] / c["sgemm_square_1thread_gflops"]
        if contended(r):
            w("")
            w("**Warning: %s was measured while other work used the cores "
              "(SGEMM scaling %.2f, background %.0f%% after); scikit-learn's "
              "OpenMP suffers most, so its ratios are inflated.  Re-run it "
              "with `./bench/run.sh %s --update` on an idle machine.**"
              % (name, scaling, 100 * r["background_load_after"], name))
    w("")
    w("## Core library vs scikit-learn")
    w("")
    w("| workload | N, D, K | train ours | train sklearn | ratio | "
      "assign ours | predict sklearn | ratio | assign GFLOP/s | "
      "% of SGEMM | inertia ours / sklearn |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
      "| ---: |")
    for name, r in results.items():
        n, d, k = WORKLOADS[name]
        c, s = r["core"], r["sklearn"]
        w("| %s | %d, %d, %d | %s | %s | %.1f× | %s | %s | %.1f× | %.0f | "
          "%.0f%% | %.4f |" % (
              name, n, d, k, fmt_rate(c["train"]["per_s"]),
              fmt_rate(s["train_per_s"]),
              c["train"]["per_s"] / s["train_per_s"],
              fmt_rate(c["assign"]["per_s"]), fmt_rate(s["predict_per_s"]),
              c["assign"]["per_s"] / s["predict_per_s"],
              c["assign"]["gflops"],
              100 * c["assign"]["gflops"] / c["sgemm_square_gflops"],
              c["inertia"] / c["peer_inertia"]))
    w("")
    w("SGEMM reference (OpenBLAS `cblas_sgemm` in the same rounds; the "
      "scaling from one core to all shows how much of the second core the "
      "machine gave):  ")
    for name, r in results.items():
        c = r["core"]
        w("%s: 2048³ %.0f GFLOP/s on all cores, %.0f on one (scaling "
          "%.2f); the distance step's own shape (%d×%d×%d) %.0f GFLOP/s.  "
          % (name, c["sgemm_square_gflops"],
             c["sgemm_square_1thread_gflops"],
             c["sgemm_square_gflops"] / c["sgemm_square_1thread_gflops"],
             BATCH, WORKLOADS[name][2], WORKLOADS[name][1],
             c["sgemm_shape_gflops"]))
    w("")
    report_roofline(w, results)
    w("## Pipelines (gst-launch-1.0, %d-point buffers)" % BATCH)
    w("")
    w("The pipelines read the workload's points several times over (%s), "
      "so that a run lasts a few tenths of a second; *filesrc alone* is "
      "`filesrc ! fakesink` on the same file, the copy out of the page "
      "cache that every file pipeline pays." % ", ".join(
          "%s %d×" % (name, PIPELINE_COPIES.get(name, 1))
          for name in results))
    w("")
    w("| workload | file ! train ! assign | core train+assign | ratio | "
      "file ! train | file ! assign | filesrc alone (of the assign bound) | "
      "testsrc ! train ! assign | testsrc alone |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        pl, c = r["pipelines"], r["core"]
        roof = r.get("roofline") or roofline(name, r)
        only = pl.get("file_only")
        alone = "–"
        if only:
            alone = fmt_rate(only["per_s"])
            if roof:
                alone += " (%s)" % fmt_fraction(
                    only["per_s"] / roof["assign"]["bound_per_s"])
        w("| %s | %s | %s | %.2f | %s | %s | %s | %s | %s |" % (
            name, fmt_rate(pl["file_train_assign"]["per_s"]),
            fmt_rate(c["train_assign"]["per_s"]),
            pl["file_train_assign"]["per_s"] / c["train_assign"]["per_s"],
            fmt_rate(pl["file_train"]["per_s"]),
            fmt_rate(pl["file_assign"]["per_s"]), alone,
            fmt_rate(pl["testsrc_train_assign"]["per_s"]),
            fmt_rate(pl["testsrc_only"]["per_s"])))
    w("")
    if memory:
        rss = memory["rss_kib"]
        marks = sorted(rss)
        w("## Memory")
        w("")
        w("VmRSS of `kmeans-testsrc ! kmeans-train ! kmeans-assign ! "
          "fakesink` (D=3, K=8): " + ", ".join(
              "%s points: %.1f MiB" % (fmt_rate(m).replace(".0M", "M"),
                                       rss[m] / 1024) for m in marks)
          + "; growth from %s to %s points: %.2f MiB." % (
              fmt_rate(marks[0]), fmt_rate(marks[-1]),
              (rss[marks[-1]] - rss[marks[0]]) / 1024))
        w("")
    w("## Targets (issues 4 and 14)")
    w("")
    w("| target | workload | measured | met |")
    w("| --- | --- | ---: | :---: |")
    for row in targets(results, memory):
        w("| %s | %s | %s | %s |" % row)
    w("")
    w("## Commands")
    w("")
    for name, r in results.items():
        w("- %s, core: `%s`" % (name, r["core"]["command"]))
        w("- %s, sklearn: `python3 bench/kmbench.py sklearn %s`"
          % (name, name))
        for key, pl in r["pipelines"].items():
            w("- %s, %s: `%s`" % (name, key, pl["command"]))
    if memory:
        w("- memory: `python3 bench/kmbench.py memory` runs `%s`"
          % memory["command"].split("'")[1])
    w("")
    w("Peer: scikit-learn %s, numpy %s, BLAS %s." % (
        next(iter(results.values()))["sklearn"]["sklearn"],
        next(iter(results.values()))["sklearn"]["numpy"],
        ", ".join("%s %s %s (%s threads)" % (b.get("internal_api"),
                                             b.get("version"),
                                             b.get("architecture") or "",
                                             b.get("num_threads"))
                  for b in next(iter(results.values()))["sklearn"]["blas"])))
    return "\n".join(lines) + "\n"


def draw_plot(results, args):
    """The picture of @results (bench/plot.py); a missing matplotlib
    costs the picture, not the measurements."""
    if args.no_plot:
        return
    sys.path.insert(0, HERE)
    import plot
    try:
        plot.plot(plot.rows_from_results(results), args.plot,
                  "%s, %s" % (machine(), time.strftime("%Y-%m-%d")))
    except ImportError as e:
        log("no picture: %s; install python3-matplotlib "
            "(./scripts/setup-deps.sh)" % e)
        return
    log("wrote %s" % args.plot)


def load_memory(saved):
    """The memory figures of a results.json (JSON keys are strings)."""
    memory = saved.get("memory")
    if memory:
        memory["rss_kib"] = {int(k): v for k, v in memory["rss_kib"].items()}
    return memory


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("command", choices=["gen", "sklearn", "memory", "run",
                                        "report"])
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--build-dir", default=os.path.join(SOURCE_ROOT,
                                                        "build-bench"))
    ap.add_argument("--data-dir", default=None,
                    help="where the data goes (default BUILD/bench/data)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="rounds; every figure is the best of them (5)")
    ap.add_argument("--memory-points", type=int, default=100_000_000)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--update", action="store_true",
                    help="keep the other workloads (and memory) of the "
                    "previous run in RESULTS.md: re-measure one workload "
                    "that ran under other load")
    ap.add_argument("--wait-quiet", type=float, default=300,
                    help="seconds to wait for idle cores before each "
                    "workload (default 300)")
    ap.add_argument("--no-pipelines", action="store_true")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--plot", metavar="PNG", default=os.path.join(
        SOURCE_ROOT, "docs", "images", "bench.png"),
        help="the throughput and inertia picture run and report draw "
        "(bench/plot.py; default docs/images/bench.png)")
    ap.add_argument("--no-plot", action="store_true",
                    help="draw no picture")
    args = ap.parse_intermixed_args()
    data_dir = args.data_dir or os.path.join(args.build_dir, "bench", "data")
    for name in args.workloads:
        if name not in WORKLOADS:
            ap.error("unknown workload %s" % name)

    if args.command == "gen":
        for name in args.workloads:
            generate(name, data_dir)
        return
    if args.command == "sklearn":
        for name in args.workloads:
            ensure_data(name, data_dir)
            print(json.dumps(run_sklearn(name, data_dir, args.repeat),
                             indent=1))
        return
    if args.command == "report":
        # RESULTS.md again from the last run's results.json.
        with open(os.path.join(data_dir, "results.json")) as f:
            saved = json.load(f)
        text = report(saved["results"], load_memory(saved), args)
        with open(args.results, "w") as f:
            f.write(text)
        print(text)
        draw_plot(saved["results"], args)
        return
    if args.command == "memory":
        print(json.dumps(run_memory(args.build_dir, args.memory_points),
                         indent=1))
        return

    results = {}
    for name in args.workloads:
        ensure_data(name, data_dir)
        load = wait_quiet(args.wait_quiet, name)
        # Rounds of peer, core and pipelines, each figure the best over
        # the rounds: a machine whose speed drifts over minutes (a VM with
        # busy neighbours) then skews no ratio.
        sk = core = pl = None
        for r in range(args.repeat):
            log("%s: round %d of %d" % (name, r + 1, args.repeat))
            sk = merge_sklearn(sk, run_sklearn(name, data_dir, 1))
            core = merge_core(core, run_core(name, data_dir, args.build_dir,
                                             1))
            if not args.no_pipelines:
                pl = merge_pipelines(pl, run_pipelines(name, data_dir,
                                                       args.build_dir, 1))
        results[name] = {"sklearn": sk, "core": core, "pipelines": pl or {},
                         "background_load": load,
                         "background_niced": cpu_busy(niced=True),
                         "background_load_after": cpu_busy(),
                         "measured_at": time.strftime("%Y-%m-%d %H:%M")}
        results[name]["roofline"] = roofline(name, results[name])
    memory = None
    if not args.no_memory:
        log("memory: %d points" % args.memory_points)
        memory = run_memory(args.build_dir, args.memory_points)
    saved = os.path.join(data_dir, "results.json")
    if args.update and os.path.exists(saved):
        # Keep the other workloads (and memory) of the previous run.
        with open(saved) as f:
            old = json.load(f)
        merged = {n: old["results"][n] for n in WORKLOADS
                  if n in old["results"] and n not in results}
        merged.update(results)
        results = {n: merged[n] for n in WORKLOADS if n in merged}
        memory = memory or load_memory(old)
    with open(saved, "w") as f:
        json.dump({"results": results, "memory": memory}, f, indent=1)
    if args.no_pipelines:
        log("table needs the pipelines; raw results in %s"
            % os.path.join(data_dir, "results.json"))
        print(json.dumps(results, indent=1))
        return
    text = report(results, memory, args)
    print(text)
    with open(args.results, "w") as f:
        f.write(text)
    log("wrote %s" % args.results)
    draw_plot(results, args)


if __name__ == "__main__":
    main()

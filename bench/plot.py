#!/usr/bin/python3
"""Draws the benchmark against scikit-learn as a PNG.

Three panels, one group of bars per workload: training throughput
(points/s, ours vs MiniBatchKMeans.partial_fit), assignment throughput
(ours vs KMeans.predict), both on a log scale with the ratio written
above each pair, and the final inertia ours / scikit-learn's against the
1.01 target.

The figures come from a run's results.json (bench/kmbench.py run writes
it next to the data and calls this at its end) or, when there is none,
from the "Core library vs scikit-learn" table of bench/RESULTS.md, so
the picture can be redrawn without running the benchmark again.

  bench/plot.py [--results-json FILE | --results-md FILE] [-o PNG]

Needs python3-matplotlib (Debian); draws off screen (Agg).
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
DEFAULT_PNG = os.path.join(SOURCE_ROOT, "docs", "images", "bench.png")
INERTIA_TARGET = 1.01
TABLE_HEADING = "## Core library vs scikit-learn"


class NoData(Exception):
    pass


def rows_from_results(results):
    """Plot rows from results.json's "results" object (kmbench.py run)."""
    rows = []
    for name, r in results.items():
        c, s = r["core"], r["sklearn"]
        rows.append({
            "workload": name, "shape": "N=%d D=%d K=%d" % (c["n"], c["d"],
                                                         c["k"]),
            "train_ours": c["train"]["per_s"],
            "train_sklearn": s["train_per_s"],
            "assign_ours": c["assign"]["per_s"],
            "assign_sklearn": s["predict_per_s"],
            "inertia_ratio": c["inertia"] / c["peer_inertia"],
        })
    return rows


def parse_rate(text):
    """'313.5M' or '744k' (kmbench.py's fmt_rate) as points/s."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kM]?)\s*", text)
    if not m:
        raise NoData("not a rate: %r" % text)
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6}[m.group(2)]


def rows_from_markdown(text):
    """Plot rows from RESULTS.md's core-library table, found by its
    header cells so a new column does not shift the others."""
    lines = text.splitlines()
    try:
        start = lines.index(TABLE_HEADING)
    except ValueError:
        raise NoData("no '%s' section" % TABLE_HEADING)
    table = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip("|").split("|")])
    if len(table) < 3:
        raise NoData("the '%s' table has no rows" % TABLE_HEADING)
    header = table[0]
    wanted = {"workload": "workload", "shape": "N, D, K",
              "train_ours": "train ours", "train_sklearn": "train sklearn",
              "assign_ours": "assign ours",
              "assign_sklearn": "predict sklearn",
              "inertia_ratio": "inertia ours / sklearn"}
    missing = [c for c in wanted.values() if c not in header]
    if missing:
        raise NoData("the table has no column %s" % ", ".join(missing))
    col = {key: header.index(cell) for key, cell in wanted.items()}
    # The table's own ratios, from unrounded rates: the "ratio" right of
    # each peer column.
    for key in ("train", "assign"):
        ratio = col[key + "_sklearn"] + 1
        if ratio < len(header) and header[ratio] == "ratio":
            col[key + "_ratio"] = ratio
    rows = []
    for cells in table[2:]:
        n, d, k = (int(v) for v in cells[col["shape"]].split(","))
        rows.append({
            "workload": cells[col["workload"]],
            "shape": "N=%d D=%d K=%d" % (n, d, k),
            "inertia_ratio": float(cells[col["inertia_ratio"]]),
            **{key: parse_rate(cells[col[key]]) for key in
               ("train_ours", "train_sklearn", "assign_ours",
                "assign_sklearn")}})
        for key in ("train_ratio", "assign_ratio"):
            if key in col:
                rows[-1][key] = float(cells[col[key]].rstrip("×x"))
    return rows


def load_rows(results_json=None, results_md=None):
    """(rows, subtitle): the machine and date for a RESULTS.md."""
    if results_json:
        with open(results_json) as f:
            return rows_from_results(json.load(f)["results"]), ""
    with open(results_md) as f:
        text = f.read()
    m = re.search(r"^Produced by .*? on (.*)\.$", text, re.M)
    return rows_from_markdown(text), m.group(1) if m else ""


def human(v):
    if v >= 1e6:
        return "%.3gM" % (v / 1e6)
    return "%.3gk" % (v / 1e3)


def throughput_panel(ax, rows, what):
    """Grouped bars ours / peer per workload, the ratio above each pair;
    returns the two bar containers (for the figure's legend)."""
    x = range(len(rows))
    width = 0.38
    ours = [r[what + "_ours"] for r in rows]
    peer = [r[what + "_sklearn"] for r in rows]
    bars_ours = ax.bar([i - width / 2 for i in x], ours, width,
                       label="gst-kmeans", color="#1f77b4")
    bars_peer = ax.bar([i + width / 2 for i in x], peer, width,
                       label="scikit-learn", color="#ff7f0e")
    ax.set_yscale("log")
    ax.set_ylim(min(peer + ours) / 3, max(peer + ours) * 6)
    for bars in (bars_ours, bars_peer):
        for b in bars:
            ax.annotate(human(b.get_height()),
                        (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7,
                        xytext=(0, 2), textcoords="offset points")
    for i, (r, o, p) in enumerate(zip(rows, ours, peer)):
        ratio = r.get(what + "_ratio", o / p)
        ax.annotate("%.1f×" % ratio, (i, max(o, p) * 2.6), ha="center",
                    fontsize=9, fontweight="bold")
    ax.set_xticks(list(x))
    ax.set_xticklabels(["%s\n%s" % (r["workload"], r["shape"])
                        for r in rows], fontsize=7)
    ax.set_ylabel("points per second (log)")
    ax.grid(axis="y", which="major", alpha=0.3)
    return bars_ours, bars_peer


def inertia_panel(ax, rows):
    x = range(len(rows))
    ratios = [r["inertia_ratio"] for r in rows]
    colours = ["#2ca02c" if v <= INERTIA_TARGET else "#d62728"
               for v in ratios]
    bars = ax.bar(list(x), ratios, 0.5, color=colours)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(INERTIA_TARGET, color="#d62728", linewidth=0.8,
               linestyle="--", label="target ≤ %.2f" % INERTIA_TARGET)
    for b, v in zip(bars, ratios):
        ax.annotate("%.4f" % v, (b.get_x() + b.get_width() / 2, v),
                    ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    low = min(ratios + [1.0])
    ax.set_ylim(low - 0.15 * (1.05 - low) - 0.02, 1.05)
    ax.set_xticks(list(x))
    ax.set_xticklabels([r["workload"] for r in rows], fontsize=8)
    ax.set_ylabel("final inertia, ours / scikit-learn")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="y", alpha=0.3)


def plot(rows, png, subtitle=""):
    """Writes the three panels for @rows to @png."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        raise NoData("no workloads to plot")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6),
                             gridspec_kw={"width_ratios": [3, 3, 2]})
    bars = throughput_panel(axes[0], rows, "train")
    axes[0].set_title("train, 4096-point batches\n"
                      "(peer: MiniBatchKMeans.partial_fit)", fontsize=10)
    throughput_panel(axes[1], rows, "assign")
    axes[1].set_title("assign every point to its nearest center\n"
                      "(peer: KMeans.predict)", fontsize=10)
    inertia_panel(axes[2], rows)
    axes[2].set_title("quality: final inertia\n(lower is better)",
                      fontsize=10)
    fig.suptitle("gst-kmeans core library vs scikit-learn" +
                 ("\n" + subtitle if subtitle else ""), fontsize=11)
    fig.legend(bars, ["gst-kmeans", "scikit-learn"], loc="lower center",
               ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--results-json", metavar="FILE",
                     help="a results.json written by kmbench.py run")
    src.add_argument("--results-md", metavar="FILE",
                     default=os.path.join(HERE, "RESULTS.md"),
                     help="a RESULTS.md (default %(default)s)")
    ap.add_argument("-o", "--output", metavar="PNG", default=DEFAULT_PNG,
                    help="the picture to write (default %(default)s)")
    args = ap.parse_args(argv)
    source = args.results_json or args.results_md
    try:
        rows, subtitle = load_rows(args.results_json, args.results_md)
        plot(rows, args.output, subtitle)
    except (OSError, ValueError, KeyError, NoData) as e:
        print("plot.py: cannot plot %s: %s" % (source, e), file=sys.stderr)
        return 1
    except ImportError as e:
        print("plot.py: %s; install python3-matplotlib "
              "(./scripts/setup-deps.sh)" % e, file=sys.stderr)
        return 1
    print("plot.py: wrote %s (%d workloads from %s)"
          % (args.output, len(rows), source))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Writes a raw point file for the file pipelines (train-file.sh, assign-file.sh).

Shows the point-stream wire format: a file of N rows of D little-endian
float32 values, nothing else -- exactly what `filesrc ! application/x-points,
format=F32LE,dimensions=D` expects.  The points are Gaussian blobs around K
true centers drawn uniformly in [-range, range]^D; the centers are written
next to it as text (one center per line), which kmeans-train can also read
as `init=file initial-centers=...`.

    pipelines/make-points.py points.f32 --clusters 4 --dimensions 2 --points 20000
"""
import argparse
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="raw float32 point file to write")
    parser.add_argument("--centers", help="text file for the true centers "
                        "(default: OUTPUT with .centers.txt)")
    parser.add_argument("--clusters", "-k", type=int, default=4)
    parser.add_argument("--dimensions", "-d", type=int, default=2)
    parser.add_argument("--points", "-n", type=int, default=20000)
    parser.add_argument("--spread", type=float, default=1.0,
                        help="standard deviation of each blob")
    parser.add_argument("--range", type=float, default=10.0,
                        help="centers are drawn in [-range, range] per axis")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.clusters < 1 or args.dimensions < 1 or args.points < 1:
        parser.error("clusters, dimensions and points must be positive")

    rng = np.random.default_rng(args.seed)
    centers = rng.uniform(-args.range, args.range,
                          size=(args.clusters, args.dimensions))
    labels = rng.integers(0, args.clusters, size=args.points)
    points = centers[labels] + rng.normal(0.0, args.spread,
                                          size=(args.points, args.dimensions))
    points.astype("<f4").tofile(args.output)

    centers_path = args.centers or args.output.rsplit(".", 1)[0] + ".centers.txt"
    with open(centers_path, "w") as f:
        f.write("# %d true centers of %s, one per line\n"
                % (args.clusters, args.output))
        for c in centers:
            f.write(" ".join("%.9g" % v for v in c) + "\n")

    print("wrote %d points of dimension %d (%d bytes) to %s; true centers in %s"
          % (args.points, args.dimensions, args.points * args.dimensions * 4,
             args.output, centers_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())

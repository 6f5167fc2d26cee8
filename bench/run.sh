#!/bin/sh
# gst-kmeans benchmarks against scikit-learn: one command.
#
#   ./bench/run.sh [workload ...] [--repeat N] [--no-memory] ...
#
# Builds (meson, release) if needed, generates the data (seeded blobs,
# once), then runs scikit-learn, the core library (bench/kmbench.c) and
# the gst-launch-1.0 pipelines for each workload (sensor, features,
# embedding by default) and the memory check; prints the table and writes
# bench/RESULTS.md.  Options go to bench/kmbench.py (--help).
#
# KMEANS_BENCH_BUILD: build directory (default build-bench).
#
# Run it on an otherwise idle machine: every figure is the best of
# --repeat rounds (5), but other work on the cores still shows.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KMEANS_BENCH_BUILD:-$SRC/build-bench}

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" "$SRC" --buildtype=release
fi
ninja -C "$BUILD"

# Some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE to dodge old
# OpenBLAS bugs; they slow numpy (and our SGEMM reference) down, so they
# are unset for the benchmark only, never for tests.
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  /usr/bin/python3 "$SRC/bench/kmbench.py" run --build-dir "$BUILD" "$@"

#!/usr/bin/env bash
# Assigns every point of a raw float32 file to its nearest center of a saved
# checkpoint, writes the assignment records and prints a few of them.
#
# Shows: kmeans-assign taking its model from a checkpoint file
# (model-location) instead of an upstream kmeans-train, and the assignment
# wire format: one record per point, {int32 cluster; float32 distance}
# little endian (8 bytes), the distance being the metric's own (squared
# Euclidean by default).  GStreamer's progressreport prints how much of the
# file has been read, every second and at the end.
#
#   pipelines/assign-file.sh POINTS.f32 DIMENSIONS CHECKPOINT [OUTPUT]
#
#   OUTPUT  default: POINTS with .assignments.bin instead of .f32
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
if [ $# -lt 3 ]; then
  usage >&2
  exit 2
fi
points="$1"
dimensions="$2"
checkpoint="$3"
output="${4:-${points%.*}.assignments.bin}"

require_plugin
for f in "$points" "$checkpoint"; do
  if [ ! -s "$f" ]; then
    echo "error: '$f' is missing or empty" >&2
    exit 1
  fi
done

blocksize=$(( 256 * dimensions * 4 ))

gst-launch-1.0 \
  filesrc location="$points" blocksize="$blocksize" ! \
  progressreport name=progress update-freq=1 ! \
  "application/x-points,format=F32LE,dimensions=$dimensions" ! \
  kmeans-assign model-location="$checkpoint" ! \
  filesink location="$output"

/usr/bin/python3 - "$output" <<'PY'
import sys
import numpy as np

records = np.fromfile(sys.argv[1], dtype=[("cluster", "<i4"), ("distance", "<f4")])
print("%s: %d assignment records (8 bytes each)" % (sys.argv[1], len(records)))
for i, r in enumerate(records[:5]):
    print("  point %d -> cluster %d, distance %.4f" % (i, r["cluster"], r["distance"]))
if len(records):
    counts = np.bincount(records["cluster"])
    print("points per cluster:", " ".join("%d:%d" % (c, n) for c, n in enumerate(counts)))
    print("mean distance: %.4f" % records["distance"].mean())
PY

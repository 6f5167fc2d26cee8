#!/usr/bin/env bash
# Trains k-means on a raw float32 point file and saves a checkpoint.
#
# Shows: reading points from a file (filesrc + application/x-points caps),
# kmeans-train with kmeans++ init, mini-batches of a fixed size, periodic
# checkpoints, and kmeans-train's bus messages (gst-launch-1.0 -m): its
# step, loss and points every 10 steps.  GStreamer's progressreport tells
# how much of the file has been read, every second and at the end:
#   progress: 30 % (48000000 of 160000000 bytes)
# Run it again with the same checkpoint and training resumes where it
# stopped.
#
#   pipelines/train-file.sh POINTS.f32 DIMENSIONS CHECKPOINT [CLUSTERS] [PROP=VALUE...]
#
#   POINTS.f32  N rows of DIMENSIONS little-endian float32 values
#               (pipelines/make-points.py writes one)
#   CHECKPOINT  written at every checkpoint-interval steps and at EOS;
#               resumed from when it exists
#   CLUSTERS    default 4
#   PROP=VALUE  more kmeans-train properties, e.g. batch-size=512 seed=3
#               progress-interval=1 (a message every step)
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
clusters="${4:-4}"
shift $(( $# < 4 ? $# : 4 ))

require_plugin
if [ ! -s "$points" ]; then
  echo "error: no points in '$points'" >&2
  exit 1
fi

# 256 whole rows per buffer.
blocksize=$(( 256 * dimensions * 4 ))

# progressreport's bus messages, shortened to one line each: silent=true,
# because its own prints come from the streaming thread and can land in the
# middle of a line gst-launch-1.0 -m is printing.
show_progress() {
  sed -u -E 's/^Got message #[0-9]+ from element "progress" \(element\): progress, percent=\(int\)(-?[0-9]+), percent-double=\(double\)[^,]*, current=\(gint64\)(-?[0-9]+), total=\(gint64\)(-?[0-9]+), format=\(GstFormat\)([a-z]+);$/progress: \1 % (\2 of \3 \4)/'
}

gst-launch-1.0 -m \
  filesrc location="$points" blocksize="$blocksize" ! \
  progressreport name=progress silent=true update-freq=1 ! \
  "application/x-points,format=F32LE,dimensions=$dimensions" ! \
  kmeans-train num-clusters="$clusters" init=kmeans++ batch-size=1024 \
    checkpoint-location="$checkpoint" checkpoint-interval=10 \
    progress-interval=10 "$@" ! \
  fakesink | \
  drop_bookkeeping_messages | \
  show_progress

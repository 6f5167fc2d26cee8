#!/usr/bin/env bash
# Trains k-means on a raw float32 point file and saves a checkpoint.
#
# Shows: reading points from a file (filesrc + application/x-points caps),
# kmeans-train with kmeans++ init, mini-batches of a fixed size, periodic
# checkpoints, and kmeans-train's bus messages (gst-launch-1.0 -m).  Run it
# again with the same checkpoint and training resumes where it stopped.
#
#   pipelines/train-file.sh POINTS.f32 DIMENSIONS CHECKPOINT [CLUSTERS] [PROP=VALUE...]
#
#   POINTS.f32  N rows of DIMENSIONS little-endian float32 values
#               (pipelines/make-points.py writes one)
#   CHECKPOINT  written at every checkpoint-interval steps and at EOS;
#               resumed from when it exists
#   CLUSTERS    default 4
#   PROP=VALUE  more kmeans-train properties, e.g. batch-size=512 seed=3
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

gst-launch-1.0 -m \
  filesrc location="$points" blocksize="$blocksize" ! \
  "application/x-points,format=F32LE,dimensions=$dimensions" ! \
  kmeans-train num-clusters="$clusters" init=kmeans++ batch-size=1024 \
    checkpoint-location="$checkpoint" checkpoint-interval=10 \
    progress-interval=1 "$@" ! \
  fakesink | \
  drop_bookkeeping_messages

#!/usr/bin/env bash
# Trains k-means on raw float32 points from a plain ZeroMQ program.
#
# Shows: kmzmqsrc framing=raw, for senders that know nothing of GStreamer:
# every message is one buffer of N rows of DIMENSIONS little-endian float32
# values, and the caps property says so (no caps travel).  There is no
# end of stream in raw framing: NUM_BUFFERS (default 100) bounds the run.
# Pair it with pipelines/zmq-publish-points.py, which binds a PUB socket:
#
#   pipelines/zmq-publish-points.py --endpoint tcp://127.0.0.1:5557 &
#   pipelines/zmq-receive-raw.sh tcp://127.0.0.1:5557 2
#
#   pipelines/zmq-receive-raw.sh [ENDPOINT] [DIMENSIONS] [CLUSTERS] [PROP=VALUE...]
#
#   ENDPOINT    default tcp://127.0.0.1:5557
#   DIMENSIONS  values per point, default 2
#   CLUSTERS    default 4
#   PROP=VALUE  more kmzmqsrc properties, e.g. topic=points is-live=true
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
endpoint="${1:-tcp://127.0.0.1:5557}"
dimensions="${2:-2}"
clusters="${3:-4}"
shift $(( $# < 3 ? $# : 3 ))

require_plugin kmeans kmzmq

gst-launch-1.0 -m \
  kmzmqsrc endpoint="$endpoint" framing=raw num-buffers="${NUM_BUFFERS:-100}" \
    caps="application/x-points,format=F32LE,dimensions=$dimensions" "$@" ! \
  kmeans-train num-clusters="$clusters" init=kmeans++ progress-interval=10 ! \
  fakesink | \
  drop_bookkeeping_messages

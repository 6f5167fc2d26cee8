#!/usr/bin/env bash
# Publishes a live stream of points on ZeroMQ: pipeline -> network.
#
# Shows: kmzmqsink with its default gst framing, so caps, timestamps and the
# final EOS reach a kmzmqsrc in another pipeline (pipelines/zmq-receive-train.sh)
# or any ZeroMQ program (pipelines/zmq-subscribe.py, zmq-subscriber).  The
# PUB socket binds ENDPOINT and waits for a first subscriber before sending.
#
#   pipelines/zmq-send-points.sh [ENDPOINT] [PROP=VALUE...]
#
#   ENDPOINT    default tcp://127.0.0.1:5556 (ipc:///tmp/points.ipc on one
#               host); tcp://0.0.0.0:5556 listens on every interface
#   PROP=VALUE  more kmzmqsink properties, e.g. topic=points framing=raw
#               curve-server=true curve-secret-key=...
#
# NUM_BUFFERS (default 200) buffers of 256 two-dimensional points from four
# blobs, 1024 points per second, i.e. 50 seconds; then EOS.
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
endpoint="${1:-tcp://127.0.0.1:5556}"
shift $(( $# < 1 ? $# : 1 ))

require_plugin kmeans kmzmq

gst-launch-1.0 \
  kmeans-testsrc is-live=true clusters=4 dimensions=2 seed=1 \
    points-per-buffer=256 points-per-second=1024 \
    num-buffers="${NUM_BUFFERS:-200}" ! \
  kmzmqsink endpoint="$endpoint" wait-for-subscriber=true "$@"

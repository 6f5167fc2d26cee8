#!/usr/bin/env bash
# Trains k-means on points received from ZeroMQ: network -> pipeline.
#
# Shows: kmzmqsrc restoring what a kmzmqsink in another pipeline sent (caps,
# timestamps, EOS: the gst framing), feeding kmeans-train, whose progress
# messages gst-launch-1.0 -m prints.  Start it before or after
# pipelines/zmq-send-points.sh; it ends when the sender's EOS arrives.
#
#   pipelines/zmq-receive-train.sh [ENDPOINT] [CLUSTERS] [PROP=VALUE...]
#
#   ENDPOINT    default tcp://127.0.0.1:5556 (the sender binds it)
#   CLUSTERS    default 4
#   PROP=VALUE  more kmzmqsrc properties, e.g. topic=points timeout=1000000000
#               curve-server-key=...
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
endpoint="${1:-tcp://127.0.0.1:5556}"
clusters="${2:-4}"
shift $(( $# < 2 ? $# : 2 ))

require_plugin kmeans kmzmq

gst-launch-1.0 -m \
  kmzmqsrc endpoint="$endpoint" "$@" ! \
  kmeans-train num-clusters="$clusters" init=kmeans++ progress-interval=10 ! \
  fakesink | \
  drop_bookkeeping_messages

#!/usr/bin/env bash
# Trains k-means on points received from ZeroMQ: network -> pipeline.
#
# Shows: zmqsrc restoring what a zmqsink in another pipeline sent (caps,
# timestamps, EOS: the gst framing), feeding kmeans-train, whose progress
# messages gst-launch-1.0 -m prints.  Start it before or after
# pipelines/zmq-send-points.sh; it ends when the sender's EOS arrives.
#
#   pipelines/zmq-receive-train.sh [ENDPOINT] [CLUSTERS] [PROP=VALUE...]
#
#   ENDPOINT    default tcp://127.0.0.1:5556 (the sender binds it)
#   CLUSTERS    default 4
#   PROP=VALUE  more zmqsrc properties, e.g. topic=points timeout=1000000000
#               curve-server-key=...
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(realpath -m "${KMEANS_BUILD_DIR:-$here/../build}")"
export GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

case "${1:-}" in
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
esac
endpoint="${1:-tcp://127.0.0.1:5556}"
clusters="${2:-4}"
shift $(( $# < 2 ? $# : 2 ))

if [ ! -f "$build/plugin/libgstkmeans.so" ]; then
  echo "error: no plugin in $build/plugin; run ./scripts/build.sh first" >&2
  exit 1
fi

# -m prints every bus message; leave out the state bookkeeping.
noise='^Got message .*\((state-changed|stream-status|stream-start|async-done|new-clock|latency|reset-time|need-context|have-context)\)'
gst-launch-1.0 -m \
  zmqsrc endpoint="$endpoint" "$@" ! \
  kmeans-train num-clusters="$clusters" init=kmeans++ progress-interval=10 ! \
  fakesink | \
  grep --line-buffered -v -E "$noise"

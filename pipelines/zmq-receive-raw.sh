#!/usr/bin/env bash
# Trains k-means on raw float32 points from a plain ZeroMQ program.
#
# Shows: zmqsrc framing=raw, for senders that know nothing of GStreamer:
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
#   PROP=VALUE  more zmqsrc properties, e.g. topic=points is-live=true
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
endpoint="${1:-tcp://127.0.0.1:5557}"
dimensions="${2:-2}"
clusters="${3:-4}"
shift $(( $# < 3 ? $# : 3 ))

if [ ! -f "$build/plugin/libgstkmeans.so" ]; then
  echo "error: no plugin in $build/plugin; run ./scripts/build.sh first" >&2
  exit 1
fi

noise='^Got message .*\((state-changed|stream-status|stream-start|async-done|new-clock|latency|reset-time|need-context|have-context)\)'
gst-launch-1.0 -m \
  zmqsrc endpoint="$endpoint" framing=raw num-buffers="${NUM_BUFFERS:-100}" \
    caps="application/x-points,format=F32LE,dimensions=$dimensions" "$@" ! \
  kmeans-train num-clusters="$clusters" init=kmeans++ progress-interval=10 ! \
  fakesink | \
  grep --line-buffered -v -E "$noise"

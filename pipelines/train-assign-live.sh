#!/usr/bin/env bash
# Trains and assigns live, in one pipeline.
#
# Shows: a live point source (kmeans-testsrc is-live=true, paced by the
# clock), kmeans-train sending its model in-band to the elements after it,
# and a tee feeding both kmeans-assign (cluster of every point) and
# kmeans-score (score messages per second of stream).  gst-launch-1.0 -m
# prints the kmeans-train, kmeans-initialized and kmeans-score messages.
# Bounded by num-buffers: NUM_BUFFERS (default 40) buffers of 256 points at
# 2560 points per second, i.e. 4 seconds.
#
#   pipelines/train-assign-live.sh
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
require_plugin

gst-launch-1.0 -m \
  kmeans-testsrc is-live=true clusters=4 dimensions=2 seed=1 \
    points-per-buffer=256 points-per-second=2560 \
    num-buffers="${NUM_BUFFERS:-40}" ! \
  kmeans-train num-clusters=4 init=kmeans++ progress-interval=5 ! \
  tee name=t \
  t. ! queue ! kmeans-assign ! fakesink \
  t. ! queue ! kmeans-score interval=1000000000 ! fakesink | \
  drop_bookkeeping_messages

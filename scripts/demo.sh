#!/usr/bin/env bash
# The quick start: installs what is missing, builds, and runs the flagship
# demo (pipelines/demo.py) on loopback, no broker needed: a plain ZeroMQ
# publisher sends points to a kmzmqsrc ! kmeans-train ! kmeans-score !
# kmeans-assign ! kmeans-format ! kmzmqsink pipeline, and a plain ZeroMQ
# subscriber prints the assignments, models and scores live; at the end
# the learned centers are printed next to the true ones.  Exits non-zero
# if anything failed.  Arguments go to demo.py (--help lists them).
#
#   ./scripts/demo.sh [DEMO-OPTION...]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KMEANS_BUILD_DIR="$(realpath -m "${KMEANS_BUILD_DIR:-$repo/build}")"
export KMEANS_BUILD_DIR

"$repo/scripts/setup-deps.sh"
"$repo/scripts/build.sh"

export GST_PLUGIN_PATH="$KMEANS_BUILD_DIR/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
exec /usr/bin/python3 "$repo/pipelines/demo.py" "$@"

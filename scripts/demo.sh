#!/usr/bin/env bash
# The quick start: installs what is missing, builds, and runs the demo
# (pipelines/demo.py): streaming k-means learns the centers of known
# Gaussian blobs, printing progress, checkpoints and scores, then the
# learned centers next to the true ones.  Arguments go to demo.py
# (--help lists them).
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

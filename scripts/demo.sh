#!/usr/bin/env bash
# The quick start: installs what is missing, builds, and runs the flagship
# demo (pipelines/demo.py) on loopback, no broker needed: a plain ZeroMQ
# publisher sends points to a kmzmqsrc ! kmeans-train ! kmeans-score !
# kmeans-assign ! kmeans-format ! kmzmqsink pipeline, and a plain ZeroMQ
# subscriber prints the assignments, models and scores live; at the end
# the learned centers are printed next to the true ones.  Exits non-zero
# if anything failed, or at once, saying so, when the build lacks one of
# the two plugins.  Arguments go to demo.py (--help lists them).
#
#   ./scripts/demo.sh [DEMO-OPTION...]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The usage, then demo.py's options (argparse only: nothing is installed,
# built or run).
case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  echo
  /usr/bin/python3 "$repo/pipelines/demo.py" --help || true
  exit 0 ;;
esac

KMEANS_BUILD_DIR="$(realpath -m "${KMEANS_BUILD_DIR:-$repo/build}")"
export KMEANS_BUILD_DIR

"$repo/scripts/setup-deps.sh"
"$repo/scripts/build.sh"

# Both plugins are optional in a build (-Dkmeans / -Dzmq, meson_options.txt):
# say which one this build lacks, rather than let demo.py find no element.
missing_plugin() {
  local plugin="$1" option="$2" dependency="$3" hint="${4:-}"
  echo "demo: $KMEANS_BUILD_DIR has no $plugin plugin ($dependency missing or -D$option=disabled); the demo needs it." >&2
  echo "demo: rebuild with it: KMEANS_BUILD_DIR=$KMEANS_BUILD_DIR ./scripts/build.sh -D$option=enabled" >&2
  if [ -n "$hint" ]; then
    echo "demo: $hint" >&2
  fi
  exit 1
}
[ -f "$KMEANS_BUILD_DIR/plugin/libgstkmeans.so" ] ||
  missing_plugin kmeans kmeans OpenBLAS
[ -f "$KMEANS_BUILD_DIR/plugin/libgstkmzmq.so" ] ||
  missing_plugin kmzmq zmq libzmq \
    "pipelines/demo-local.py runs the same pipeline without ZeroMQ."

export GST_PLUGIN_PATH="$KMEANS_BUILD_DIR/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
exec /usr/bin/python3 "$repo/pipelines/demo.py" "$@"

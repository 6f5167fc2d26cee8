# The set-up every pipelines/*.sh script shares; each sources it right
# after its header (not a program of its own, so not executable):
#
#   . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
#
# Sets $here (this folder) and $build ($KMEANS_BUILD_DIR, default
# <repo>/build), puts $build/plugin first on GST_PLUGIN_PATH, and defines
# the helpers below.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(realpath -m "${KMEANS_BUILD_DIR:-$here/../build}")"
export GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

# Prints the calling script's usage: its header comment, up to the
# `set -euo pipefail` line.
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# exit_on_help "$@": prints the usage and exits 0 when an argument is -h or
# --help, before anything runs.
exit_on_help() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      -h | --help)
        usage
        exit 0
        ;;
    esac
  done
}

# Exits 1 unless the plugin has been built.
# require_plugin [PLUGIN...]: the built plugins a script needs (default
# kmeans), with a hint when one was not built.
require_plugin() {
  local plugin
  for plugin in "${@:-kmeans}"; do
    if [ ! -f "$build/plugin/libgst$plugin.so" ]; then
      echo "error: the $plugin plugin is not in $build/plugin; run" \
        "./scripts/build.sh first (for kmzmq: ./scripts/build.sh" \
        "-Dzmq=enabled, which needs libzmq3-dev)" >&2
      exit 1
    fi
  done
}

# A filter for the output of gst-launch-1.0 -m, which prints every bus
# message: leaves out the state bookkeeping.
drop_bookkeeping_messages() {
  grep --line-buffered -v -E '^Got message .*\((state-changed|stream-status|stream-start|async-done|new-clock|latency|reset-time|need-context|have-context)\)'
}

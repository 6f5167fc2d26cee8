# shellcheck shell=bash
# Shared by the launch-line tests (sourced, not run): TAP output, a scratch
# folder, and the environment the pipelines/ scripts expect.
#
# meson sets KMEANS_SOURCE_ROOT, KMEANS_BUILD_ROOT and GST_PLUGIN_PATH_1_0;
# run by hand, the roots default to this checkout and its build/ folder.

set -uo pipefail

KMEANS_SOURCE_ROOT="${KMEANS_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
KMEANS_BUILD_ROOT="${KMEANS_BUILD_ROOT:-$KMEANS_SOURCE_ROOT/build}"
export KMEANS_SOURCE_ROOT KMEANS_BUILD_ROOT
# The pipelines/ scripts take the build from here and set GST_PLUGIN_PATH.
export KMEANS_BUILD_DIR="$KMEANS_BUILD_ROOT"
export GST_PLUGIN_PATH="$KMEANS_BUILD_ROOT/plugin"
export GST_PLUGIN_PATH_1_0="$GST_PLUGIN_PATH"
# shellcheck disable=SC2034 # used by the scripts that source this
PYTHON=/usr/bin/python3
# Longest any single command may run before it counts as hung.
COMMAND_TIMEOUT="${COMMAND_TIMEOUT:-120}"

work="$(mktemp -d "${TMPDIR:-/tmp}/kmeans-pipelines.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs"

tap_count=0
tap_failures=0

# tap_result STATUS DESCRIPTION [LOG]: one TAP line; a failure shows the
# tail of LOG as diagnostics.
tap_result() {
  local status="$1" description="$2" log="${3:-}"
  tap_count=$((tap_count + 1))
  if [ "$status" -eq 0 ]; then
    echo "ok $tap_count - $description"
  else
    tap_failures=$((tap_failures + 1))
    echo "not ok $tap_count - $description"
    if [ -n "$log" ] && [ -f "$log" ]; then
      tail -n 25 "$log" | cut -c1-300 | sed 's/^/#   /'
    fi
  fi
}

# run LOG COMMAND...: runs COMMAND (bounded by COMMAND_TIMEOUT) with all
# output in LOG; returns its exit status.
run() {
  local log="$1"
  shift
  {
    printf '$'
    printf ' %q' "$@"
    printf '\n'
  } >"$log"
  timeout --kill-after=10 "$COMMAND_TIMEOUT" "$@" </dev/null >>"$log" 2>&1
}

# log_path NAME: a fresh log file name.
log_path() {
  echo "$work/logs/$(printf '%02d' $((tap_count + 1)))-$1.log"
}

# tap_skip DESCRIPTION REASON
tap_skip() {
  tap_count=$((tap_count + 1))
  echo "ok $tap_count - $1 # SKIP $2"
}

# tap_done: the plan, and the exit status meson reads.
tap_done() {
  echo "1..$tap_count"
  [ "$tap_failures" -eq 0 ]
}

if [ ! -f "$KMEANS_BUILD_ROOT/plugin/libgstkmeans.so" ]; then
  echo "Bail out! no plugin built in $KMEANS_BUILD_ROOT/plugin"
  exit 1
fi

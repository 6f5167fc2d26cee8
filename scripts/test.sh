#!/usr/bin/env bash
# Installs what is missing, builds, runs every test (core, elements,
# pipelines) and ends with one line: "N passed, N failed[, N skipped]".
# Exits non-zero when a test failed.  Arguments go to `meson test`, e.g.
# ./scripts/test.sh --setup valgrind   or   ./scripts/test.sh kmeanstrain
#
#   ./scripts/test.sh [MESON-TEST-OPTION...]
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${KMEANS_BUILD_DIR:-$repo/build}")"
export KMEANS_BUILD_DIR="$build"

"$repo/scripts/setup-deps.sh"
if ! "$repo/scripts/build.sh"; then
  echo "test: the build failed, so no test ran" >&2
  exit 1
fi

# meson names the log after the test setup, if any.
log="$build/meson-logs/testlog.json"
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --setup=*) log="$build/meson-logs/testlog-${args[$i]#--setup=}.json" ;;
    --setup) log="$build/meson-logs/testlog-${args[$((i + 1))]:-}.json" ;;
  esac
done
rm -f "$log"

status=0
meson test -C "$build" --print-errorlogs "$@" || status=$?

if [ ! -f "$log" ]; then
  echo "test: meson wrote no $log (exit status $status)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Prints the "N passed, N failed[, N skipped]" line.
/usr/bin/python3 "$repo/scripts/summarize-tests.py" "$log" || status=1
exit "$status"

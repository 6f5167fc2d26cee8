#!/usr/bin/env bash
# Builds gst-kmeans with AddressSanitizer and UndefinedBehaviorSanitizer
# (gcc) in build-asan/ (or $KMEANS_ASAN_BUILD_DIR) and runs the whole test
# suite there, under the 'sanitizers' test setup of tests/meson.build: any
# memory error, undefined behaviour or leak in our code fails its test.
# Ends with one line: "N passed, N failed[, N skipped]"; exits non-zero
# when a test failed.  Arguments go to `meson test`, e.g. a suite name:
#
#   ./scripts/test-sanitizers.sh [MESON-TEST-OPTION...]
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${KMEANS_ASAN_BUILD_DIR:-$repo/build-asan}")"

"$repo/scripts/setup-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  # debugoptimized keeps assertions and g_return_if_fail checks.
  meson setup "$build" "$repo" -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false
fi
if ! ninja -C "$build"; then
  echo "test-sanitizers: the build failed, so no test ran" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

log="$build/meson-logs/testlog-sanitizers.json"
rm -f "$log"
status=0
meson test -C "$build" --setup sanitizers --print-errorlogs "$@" || status=$?

if [ ! -f "$log" ]; then
  echo "test-sanitizers: meson wrote no $log (exit status $status)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Prints the "N passed, N failed[, N skipped]" line.
/usr/bin/python3 "$repo/scripts/summarize-tests.py" "$log" || status=1
exit "$status"

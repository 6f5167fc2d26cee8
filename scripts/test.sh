#!/usr/bin/env bash
# Installs what is missing, builds, runs every test (core, elements,
# pipelines) and ends with one line: "N passed, N failed[, N skipped]".
# Exits non-zero when a test failed.  Arguments go to `meson test`, e.g.
# ./scripts/test.sh --setup valgrind   or   ./scripts/test.sh kmeanstrain
#
#   ./scripts/test.sh [MESON-TEST-OPTION...]
set -euo pipefail

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

# One JSON object per test; OK and EXPECTEDFAIL pass, SKIP is skipped, the
# rest (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS) fail.
/usr/bin/python3 - "$log" <<'PY' || status=1
import json, sys

passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
summary = "%d passed, %d failed" % (passed, failed)
if skipped:
    summary += ", %d skipped" % skipped
print(summary)
sys.exit(1 if failed else 0)
PY
exit "$status"

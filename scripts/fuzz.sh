#!/usr/bin/env bash
# Runs a libFuzzer campaign on every harness in tests/fuzz/ (one after the
# other), then merges what each found into its kept corpus,
# tests/fuzz/corpus/<harness>/, minimised.  Installs what is missing
# (scripts/setup-deps.sh, plus clang and libclang-rt-14-dev, libFuzzer's
# runtime), then builds the harnesses with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/ (or $KMEANS_FUZZ_BUILD_DIR).  Ends with one line per harness
# (executions, coverage, corpus size, result) and exits non-zero when any
# campaign found a crash, leak or timeout; the input that did it is kept
# in build-fuzz/campaign/<harness>/ and its path printed.  Once the bug is
# fixed, copy that input to tests/fuzz/corpus/<harness>/crash-<what> so
# the test suite replays it for good.
#
#   ./scripts/fuzz.sh [SECONDS-PER-HARNESS] [HARNESS...]
#
# SECONDS defaults to 60; give 600 for a real campaign.
# KMEANS_FUZZ_NO_BUILD=1 runs the harnesses already built.  Replay a kept
# corpus without libFuzzer: meson test -C build --suite fuzz.
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${KMEANS_FUZZ_BUILD_DIR:-$repo/build-fuzz}")"
seconds="${1:-60}"
shift || true
all=(zmq_header parse checkpoint tensor_dims caps points_read centers_text)
harnesses=("${@:-${all[@]}}")

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
# The build dependencies, plus clang and its libFuzzer and sanitizer
# runtimes (Debian 12: clang 14).
"$repo/scripts/setup-deps.sh" clang libclang-rt-14-dev

if [ -z "${KMEANS_FUZZ_NO_BUILD:-}" ]; then
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$repo" -Dbuildtype=debugoptimized \
      -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fi
  targets=()
  for h in "${harnesses[@]}"; do
    targets+=("tests/fuzz/fuzz-$h")
  done
  # A build dir configured before libclang-rt was there has no campaign
  # binaries: meson found no libFuzzer.
  # (grep reads it all: with -q, ninja would die of SIGPIPE under pipefail.)
  if ! ninja -C "$build" -t targets all | grep "^tests/fuzz/fuzz-" >/dev/null; then
    echo "fuzz: $build was configured without libFuzzer; remove it and run again" >&2
    exit 1
  fi
  ninja -C "$build" "${targets[@]}" >/dev/null
fi

# The harnesses call the parsers directly: no plugin is needed, scan none.
export GST_PLUGIN_SYSTEM_PATH_1_0="" GST_PLUGIN_PATH_1_0=""
export GST_REGISTRY_1_0="$build/fuzz.registry" GST_DEBUG="*:1"
export LSAN_OPTIONS="suppressions=$repo/tests/lsan.supp:print_suppressions=0"
# A sanitizer report must stop the campaign, as a crash does.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# OpenBLAS threads would only add noise to the timings.
export OPENBLAS_NUM_THREADS=1

status=0
summary=()
for h in "${harnesses[@]}"; do
  work="$build/campaign/$h"
  kept="$repo/tests/fuzz/corpus/$h"
  mkdir -p "$work/corpus" "$kept"
  log="$work/campaign.log"
  echo "fuzz: $h for ${seconds}s (log: $log)" >&2

  result=ok
  if ! "$build/tests/fuzz/fuzz-$h" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" "$kept" >"$log" 2>&1; then
    result="FAILED: $(grep -o "Test unit written to .*" "$log" | tail -n 1)"
    status=1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  cov="$( (grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' \
    "$log" || true) | tail -n 1 |
    sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')"

  # Keep a minimal corpus: the inputs that add coverage, old and new.
  merged="$work/merged"
  rm -rf "$merged"
  mkdir -p "$merged"
  # Edges only (no hit counts): a few hundred files, not thousands.
  "$build/tests/fuzz/fuzz-$h" -merge=1 -use_counters=0 -max_len=4096 \
    "$merged" "$kept" "$work/corpus" >"$work/merge.log" 2>&1 || {
    result="$result; merge FAILED (see $work/merge.log)"
    status=1
  }
  # Inputs that once crashed (crash-*, each about a fixed bug) and the
  # hand-written seeds (seed-*, from make_seeds.py) always stay, under
  # their own readable name; libFuzzer names the others by their SHA-1.
  for named in "$kept"/crash-* "$kept"/seed-*; do
    if [ -f "$named" ]; then
      rm -f "$merged/$(sha1sum <"$named" | cut -d' ' -f1)"
    fi
  done
  if [ -n "$(ls -A "$merged")" ]; then
    find "$kept" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'seed-*' \
      -delete
    cp "$merged"/* "$kept"/
  fi
  files="$(find "$kept" -maxdepth 1 -type f | wc -l)"
  summary+=("$h: ${seconds}s, ${execs:-0} execs, ${cov:-no coverage line}, corpus $files files: $result")
done

printf '%s\n' "${summary[@]}"
exit "$status"

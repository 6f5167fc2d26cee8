#!/usr/bin/env bash
# Checks that the C files are gst-indent clean: formats a temporary copy of
# each with GNU indent (Debian's 2.2.12) and GStreamer's gst-indent options,
# the way GStreamer's scripts/gst-indent does (two passes, since one pass
# of GNU indent is not idempotent on every input), and fails with the diff
# and the list of files when any would change.  Changes nothing.
#
#   ./scripts/check-indent.sh [FILE.c...]
#
# Without arguments: every .c file git tracks (tests/fuzz/corpus/ holds
# fuzz inputs, not sources).  Ends with a one-line summary; exits 1 when a
# file would change or indent fails on it.  To fix a file, run indent with
# these options on it (twice, as below) and review the result.
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

gst_indent_options=(
  --braces-on-if-line
  --case-brace-indentation0
  --case-indentation2
  --braces-after-struct-decl-line
  --line-length80
  --no-tabs
  --cuddle-else
  --dont-line-up-parentheses
  --continuation-indentation4
  --honour-newlines
  --tab-size8
  --indent-level2
  --leave-preprocessor-space
)

version="$(indent --version 2>/dev/null || true)"
if [[ "$version" != "GNU indent"* ]]; then
  echo "check-indent: GNU indent is not installed (./scripts/setup-deps.sh installs it)" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.c' | grep -v '^tests/fuzz/corpus/')
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/check-indent.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

checked=0
second_pass=0
failed=()
for file in "${files[@]}"; do
  # A tracked file deleted in the work tree is not there to format.
  [ -f "$file" ] || continue
  checked=$((checked + 1))
  once="$tmp/once.c"
  twice="$tmp/twice.c"
  if ! indent "${gst_indent_options[@]}" "$file" -o "$once" 2>"$tmp/err" ||
    ! indent "${gst_indent_options[@]}" "$once" -o "$twice" 2>>"$tmp/err"; then
    echo "check-indent: indent failed on $file:"
    sed 's/^/  /' "$tmp/err"
    failed+=("$file")
    continue
  fi
  cmp -s "$once" "$twice" || second_pass=$((second_pass + 1))
  if ! cmp -s "$file" "$twice"; then
    diff -u --label "a/$file" --label "b/$file" "$file" "$twice" || true
    failed+=("$file")
  fi
done

if [ $second_pass -gt 0 ]; then
  echo "check-indent: the second pass changed $second_pass of the files"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-indent: not gst-indent clean:"
  printf '  %s\n' "${failed[@]}"
  echo "check-indent: ${#failed[@]} of $checked .c files would change"
  exit 1
fi
echo "check-indent: all $checked .c files are gst-indent clean"

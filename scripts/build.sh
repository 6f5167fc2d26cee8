#!/usr/bin/env bash
# Configures (first time, or when options are given) and compiles gst-kmeans
# into $KMEANS_BUILD_DIR (default <repo>/build).  Extra arguments go to
# `meson setup`, e.g. ./scripts/build.sh -Dbuildtype=debug
#
#   ./scripts/build.sh [MESON-OPTION...]
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${KMEANS_BUILD_DIR:-$repo/build}")"

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$repo" "$@"
elif [ $# -gt 0 ]; then
  meson setup --reconfigure "$build" "$repo" "$@"
fi
# Regenerates by itself when a meson.build changed.
meson compile -C "$build"
echo "build: plugins in $build/plugin/"

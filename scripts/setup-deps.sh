#!/usr/bin/env bash
# Installs the Debian 12 packages gst-kmeans needs to build, test and run
# its demo.  Only Debian packages: no PyPI, no other downloads.  Does
# nothing (and needs no network or root) when they are all installed.
#
#   ./scripts/setup-deps.sh [PACKAGE...]
#
# PACKAGE: more Debian packages a script needs only for itself, installed
# the same way (scripts/fuzz.sh passes clang and libFuzzer's runtime).
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

packages=(
  # build
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libopenblas-dev libzmq3-dev libjson-glib-dev zlib1g-dev
  # run: gst-launch-1.0 / gst-inspect-1.0, core elements (filesrc, tee,
  # queue, fakesink), the leaks tracer (libgstreamer1.0-0)
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  # Python: the demo, point generators, benchmarks
  python3 python3-numpy python3-scipy python3-sklearn python3-zmq
  python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 python3-jsonschema
  python3-matplotlib  # bench/plot.py, demo.py --loss-png (Agg: no display)
  # checks: gst-indent, meson test --setup valgrind
  indent valgrind
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "setup-deps: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

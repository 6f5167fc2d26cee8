#!/usr/bin/env bash
# Checks that gst-kmeans installs where GStreamer looks, both ways:
#  - builds the Debian packages of debian/ (dpkg-buildpackage -us -uc -b)
#    in a temporary copy of the tree, so nothing lands in the repository
#    or next to it; checks that they hold the plugins in GStreamer's
#    pluginsdir; unpacks them into a throw-away root and runs
#    gst-inspect-1.0 and a launch line against that root alone;
#  - `meson install --destdir` with --prefix=/usr puts the plugins in the
#    same pluginsdir, and -Dplugindir puts them where it says.
# Installs the packaging tools and debian/control's Build-Depends first
# (Debian packages only; root or sudo), as scripts/setup-deps.sh does.
# Installs nothing of gst-kmeans into the system.
#
#   ./scripts/test-package.sh
set -euo pipefail

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"
plugins=(libgstkmeans.so libgstkmzmq.so libgstkmdist.so)

fail() {
  echo "test-package: FAIL: $*" >&2
  exit 1
}

# Prints the log's end, so a CI failure shows the reason.
fail_with_log() {
  tail -n 40 "$1" >&2
  fail "$2 (log above)"
}

packages_missing() {
  local p status
  for p in debhelper dpkg-dev build-essential gstreamer1.0-tools; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || return 0
  done
  ! dpkg-checkbuilddeps >/dev/null 2>&1
}

install_build_deps() {
  local sudo=()
  if ! packages_missing; then
    echo "test-package: packaging tools and Build-Depends are installed"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null ||
      fail "run as root (or install sudo) to install the build dependencies"
    sudo=(sudo)
  fi
  echo "test-package: installing the packaging tools and debian/control's Build-Depends"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends \
    debhelper dpkg-dev build-essential gstreamer1.0-tools
  "${sudo[@]}" apt-get build-dep -y --no-install-recommends "$repo"
}

# The tree without .git and without any meson build directory (one holds
# a build.ninja), wherever KMEANS_BUILD_DIR put it.
copy_tree() {
  mkdir -p "$1"
  tar -C "$repo" --exclude=./.git --exclude-tag-all=build.ninja -cf - . |
    tar -C "$1" -xf -
}

build_debs() {
  echo "test-package: dpkg-buildpackage -us -uc -b in a copy of the tree"
  (cd "$tmp/src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
    fail_with_log "$tmp/build.log" "dpkg-buildpackage failed"
  debs=()
  local deb
  for deb in "$tmp"/*.deb; do
    case "$deb" in
    *-dbgsym_*) ;;
    *) debs+=("$deb") ;;
    esac
  done
  [ ${#debs[@]} -gt 0 ] || fail "dpkg-buildpackage made no .deb"
  echo "test-package: built ${debs[*]##*/}"
}

check_file_lists() {
  local plugin
  for deb in "${debs[@]}"; do
    dpkg-deb -c "$deb" | awk '{ print $NF }'
  done >"$tmp/files.txt"
  for plugin in "${plugins[@]}"; do
    grep -qx "./${pluginsdir#/}/$plugin" "$tmp/files.txt" ||
      fail "no package holds $pluginsdir/$plugin (file lists in dpkg-deb -c)"
  done
  echo "test-package: the packages hold ${plugins[*]} in $pluginsdir"
}

# GStreamer sees the unpacked root first (and, with a second argument,
# the system's plugins after it, for fakesink): the system path is
# replaced, the user's GST_PLUGIN_PATH dropped, and a private registry
# keeps the temp path out of the user's cache.  Bounded: a plugin that
# breaks the registry scan hangs it.
gst_in_root() {
  local path="$root$pluginsdir$1"
  shift
  env -u GST_PLUGIN_PATH GST_PLUGIN_SYSTEM_PATH="$path" \
    GST_REGISTRY="$tmp/registry$RANDOM.bin" timeout 120 "$@"
}

check_unpacked_root() {
  local element out
  root="$tmp/root"
  for deb in "${debs[@]}"; do
    dpkg-deb -x "$deb" "$root"
  done
  for element in kmeans-train kmzmqsrc kmzmqsink kmeans-hub kmeans-worker; do
    out="$(gst_in_root "" gst-inspect-1.0 "$element" 2>&1)" ||
      fail "gst-inspect-1.0 $element fails or times out (120 s) on the unpacked packages: $(head -c 2000 <<<"$out")"
    grep -q "Filename *$root$pluginsdir/" <<<"$out" ||
      fail "gst-inspect-1.0 $element loaded a plugin from outside $root$pluginsdir"
    # All packages installed together: no plugin may clash with another
    # (a type registered twice is a GLib warning, then criticals).
    if grep -E -m 3 -- '-(CRITICAL|WARNING) \*\*' <<<"$out" >&2; then
      fail "gst-inspect-1.0 $element: GLib warnings (above) with all packages installed"
    fi
  done
  gst_in_root ":$pluginsdir" gst-launch-1.0 -q kmeans-testsrc clusters=4 seed=1 num-buffers=20 ! \
    kmeans-train num-clusters=4 ! kmeans-assign ! fakesink >"$tmp/launch.log" 2>&1 ||
    fail_with_log "$tmp/launch.log" "a launch line fails with the unpacked plugins"
  check_unpacked_tools
  echo "test-package: gst-inspect-1.0 and gst-launch-1.0 work from the unpacked packages"
}

# Whatever the packages put in usr/bin (tools/) must at least answer --help.
check_unpacked_tools() {
  local tool
  [ -d "$root/usr/bin" ] || return 0
  for tool in "$root"/usr/bin/*; do
    "$tool" --help >/dev/null 2>&1 || fail "${tool##*/} --help fails in the package"
    echo "test-package: packaged tool ${tool##*/} answers --help"
  done
}

check_meson_install() {
  local plugin build="$tmp/meson-build"
  echo "test-package: meson install --destdir with --prefix=/usr"
  {
    meson setup "$build" "$tmp/src" --prefix=/usr -Dtests=disabled &&
      meson compile -C "$build" -j "$(nproc)" &&
      meson install -C "$build" --destdir "$tmp/destdir" &&
      meson configure "$build" -Dplugindir="$tmp/user-plugins" &&
      meson install -C "$build" --destdir "$tmp/destdir-user"
  } >"$tmp/meson.log" 2>&1 || fail_with_log "$tmp/meson.log" "meson setup/compile/install failed"
  for plugin in "${plugins[@]}"; do
    [ -f "$tmp/destdir$pluginsdir/$plugin" ] ||
      fail "meson install --prefix=/usr put no $plugin in $pluginsdir"
    [ -f "$tmp/destdir-user$tmp/user-plugins/$plugin" ] ||
      fail "meson install -Dplugindir=DIR put no $plugin in DIR"
  done
  echo "test-package: meson install puts the plugins in $pluginsdir (and in -Dplugindir)"
}

start=$SECONDS
install_build_deps
pluginsdir="$(pkg-config --variable=pluginsdir gstreamer-1.0)"
[ -n "$pluginsdir" ] || fail "pkg-config names no pluginsdir for gstreamer-1.0"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gst-kmeans-package.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
copy_tree "$tmp/src"
build_debs
check_file_lists
check_unpacked_root
check_meson_install
echo "test-package: PASS in $((SECONDS - start)) s"

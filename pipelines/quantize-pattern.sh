#!/usr/bin/env bash
# Colour quantization of a test pattern, live: every pixel is a point.
#
# Shows: raw video as a point stream (video/x-raw RGB: each pixel a 3-D
# point of 0..255 values), kmeans-train learning K colours from the frames
# as they pass (full batch: one Lloyd step per frame), and kmeans-assign
# output=recolor painting every pixel in its center's colour, in the same
# pipeline.  A tee keeps the frames as they were; the last frame is
# written before and after.
#
#   pipelines/quantize-pattern.sh [K] [OUTDIR] [PATTERN]
#
#   K        colours, default 8
#   OUTDIR   default docs/images; writes quantize-PATTERN-before.png and
#            quantize-PATTERN-kK.png (320x240)
#   PATTERN  a videotestsrc pattern, default smpte
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
k="${1:-8}"
out="${2:-$(realpath -m "$here/../docs/images")}"
pattern="${3:-smpte}"
frames=12

require_plugin
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

gst-launch-1.0 -q \
  videotestsrc pattern="$pattern" num-buffers=$frames ! \
  video/x-raw,format=RGB,width=320,height=240,framerate=30/1 ! tee name=t \
  t. ! queue ! videoconvert ! pngenc ! \
    multifilesink location="$tmp/before-%03d.png" \
  t. ! queue ! \
    kmeans-train num-clusters="$k" init=kmeans++ mini-batch=false seed=1 ! \
    kmeans-assign output=recolor ! videoconvert ! pngenc ! \
    multifilesink location="$tmp/after-%03d.png"

last=$(printf %03d $((frames - 1)))
cp "$tmp/before-$last.png" "$out/quantize-$pattern-before.png"
cp "$tmp/after-$last.png" "$out/quantize-$pattern-k$k.png"
echo "quantize-pattern: wrote $out/quantize-$pattern-before.png and" \
  "$out/quantize-$pattern-k$k.png ($k colours)"

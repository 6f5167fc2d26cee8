#!/usr/bin/env bash
# Colour quantization of a picture: its pixels clustered into K colours.
#
# Shows: a still image turned into a short video (imagefreeze) so that
# kmeans-train sees its pixels (3-D points, 0..255) once a frame and makes
# one full-batch Lloyd step each time; kmeans-assign output=recolor then
# paints each pixel in its center's colour.  Writes the picture as it came
# in and the quantized last frame.
#
#   pipelines/quantize-image.sh [IMAGE.png] [K] [OUTDIR]
#
#   IMAGE.png  default pipelines/data/scene.png (made by
#              pipelines/make-test-image.py)
#   K          colours, default 8
#   OUTDIR     default docs/images; writes quantize-NAME-before.png and
#              quantize-NAME-kK.png, NAME being the image's file name
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
image="${1:-$here/data/scene.png}"
k="${2:-8}"
out="${3:-$(realpath -m "$here/../docs/images")}"
name="$(basename "${image%.*}")"
frames=15

require_plugin
if [ ! -s "$image" ]; then
  echo "error: no image at '$image'" >&2
  exit 1
fi
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

gst-launch-1.0 -q \
  filesrc location="$image" ! pngdec ! videoconvert ! \
  video/x-raw,format=RGB ! imagefreeze num-buffers=$frames ! tee name=t \
  t. ! queue ! videoconvert ! pngenc snapshot=true ! \
    filesink location="$tmp/before.png" \
  t. ! queue ! \
    kmeans-train num-clusters="$k" init=kmeans++ mini-batch=false seed=1 ! \
    kmeans-assign output=recolor ! videoconvert ! pngenc ! \
    multifilesink location="$tmp/after-%03d.png"

cp "$tmp/before.png" "$out/quantize-$name-before.png"
cp "$tmp/after-$(printf %03d $((frames - 1))).png" "$out/quantize-$name-k$k.png"
echo "quantize-image: wrote $out/quantize-$name-before.png and" \
  "$out/quantize-$name-k$k.png ($k colours)"

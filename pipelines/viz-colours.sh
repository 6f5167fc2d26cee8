#!/usr/bin/env bash
# The colours of a picture as a cloud of points, clustered.
#
# Shows: raw video into kmeans-train (every pixel a 3-D point of R, G, B)
# and kmeans-viz drawing those points along their two principal
# components (projection=pca), each in the colour of its cluster, with
# the learned centers and the paths they took over 20 Lloyd steps.
#
#   pipelines/viz-colours.sh [IMAGE.png] [K] [OUTPUT.png]
#
#   IMAGE.png   default pipelines/data/scene.png
#   K           clusters, default 8
#   OUTPUT.png  default docs/images/viz-NAME-colours.png (320x240), NAME
#               being the image's file name
#
# Uses the plugin built in $KMEANS_BUILD_DIR (default <repo>/build).
set -euo pipefail

# shellcheck source=pipelines/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

exit_on_help "$@"
image="${1:-$here/data/scene.png}"
k="${2:-8}"
name="$(basename "${image%.*}")"
output="${3:-$(realpath -m "$here/../docs/images/viz-$name-colours.png")}"
frames=20

require_plugin
if [ ! -s "$image" ]; then
  echo "error: no image at '$image'" >&2
  exit 1
fi
mkdir -p "$(dirname "$output")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# One frame of the picture every 1/10 s; kmeans-viz draws one per frame.
gst-launch-1.0 -q \
  filesrc location="$image" ! pngdec ! videoconvert ! \
  video/x-raw,format=RGB ! imagefreeze num-buffers=$frames ! \
  video/x-raw,framerate=10/1 ! \
  kmeans-train num-clusters="$k" init=random mini-batch=false seed=2 ! \
  kmeans-viz projection=pca framerate=10/1 max-points=6000 fade=0 ! \
  pngenc ! multifilesink location="$tmp/frame-%03d.png"

cp "$tmp/frame-$(printf %03d $((frames - 1))).png" "$output"
echo "viz-colours: wrote $output ($k clusters of the colours of $image)"

#!/usr/bin/env bash
# Runs, for real, every script in pipelines/ and every documented example
# launch line (the SECTION blocks of elements/*.c and README.md), and checks
# what they produce.  TAP output; non-zero exit on any failure.
#
# Example launch lines run in a scratch folder that holds these files, so
# the docs may use them by name:
#   points.f32, pts.f32   20000 2-D float32 points around 4 centers
#   model.ckpt, model.kmc a checkpoint of 4 centers trained on them
#   pipelines/            this checkout's pipelines/ (for helper scripts)
# and /tmp/ in a launch line is redirected into the scratch folder.  Each
# gst-launch-1.0 command must end by itself (num-buffers, a finite file),
# exit 0 and print "Got EOS".  How a |[ ]| block with several commands
# runs: see extract_launch_lines.py.
# Every script in pipelines/ and scripts/ must answer --help with its
# usage, running nothing (the real use of those not run here is covered
# where the docs use them).
#
# A build may leave a plugin out (-Dzmq=disabled, no libzmq): an example
# whose elements the registry does not have is skipped with the reason,
# and so is the inspection of a plugin this build has no library of.  A
# plugin whose library is there must load and have every element its
# examples use: that is tested, not skipped.

# shellcheck source=tests/pipelines/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$KMEANS_SOURCE_ROOT"
pipelines="$src/pipelines"
n_points=20000
clusters=4

# ---------------------------------------------------------- make-points.py
points="$work/points.f32"
log="$(log_path make-points)"
run "$log" "$PYTHON" "$pipelines/make-points.py" "$points" \
  --clusters $clusters --dimensions 2 --points $n_points --seed 1
status=$?
tap_result $status "make-points.py exits 0" "$log"

size=$(stat -c %s "$points" 2>/dev/null || echo 0)
[ "$size" -eq $((n_points * 2 * 4)) ]
tap_result $? "make-points.py wrote $n_points 2-D float32 points ($size bytes)"

centers_file="$work/points.centers.txt"
[ "$(grep -cv '^#' "$centers_file" 2>/dev/null)" = "$clusters" ]
tap_result $? "make-points.py wrote $clusters true centers"

# ------------------------------------------------------------ train-file.sh
checkpoint="$work/model.ckpt"
log="$(log_path train-file)"
run "$log" "$pipelines/train-file.sh" "$points" 2 "$checkpoint" $clusters
tap_result $? "train-file.sh exits 0" "$log"

[ -s "$checkpoint" ]
tap_result $? "train-file.sh wrote a non-empty checkpoint" "$log"

grep -q "kmeans-checkpoint, location=(string)$checkpoint" "$log" &&
  grep -q "kmeans-train, " "$log"
tap_result $? "train-file.sh shows kmeans-train and kmeans-checkpoint messages" "$log"

# progressreport's message at EOS, shortened by the script: the whole file.
grep -q "^progress: 100 % ($((n_points * 2 * 4)) of $((n_points * 2 * 4)) bytes)$" "$log"
tap_result $? "train-file.sh shows progressreport's progress through the file, 100 % at the end" "$log"

# ----------------------------------------------------------- assign-file.sh
assignments="$work/assignments.bin"
log="$(log_path assign-file)"
run "$log" "$pipelines/assign-file.sh" "$points" 2 "$checkpoint" "$assignments"
tap_result $? "assign-file.sh exits 0" "$log"

size=$(stat -c %s "$assignments" 2>/dev/null || echo 0)
[ "$size" -eq $((n_points * 8)) ]
tap_result $? "assign-file.sh wrote one 8-byte record per point ($size bytes)" "$log"

grep -q "$n_points assignment records" "$log" &&
  grep -q "point 0 -> cluster" "$log"
tap_result $? "assign-file.sh prints decoded records" "$log"

grep -q "^progress (.*): $((n_points * 2 * 4)) / $((n_points * 2 * 4)) bytes (100.0 %)$" "$log"
tap_result $? "assign-file.sh shows progressreport's progress through the file, 100 % at the end" "$log"

# Every record: index in [0, K) and a finite distance >= 0.  The distances
# are squared Euclidean to one center per cluster: recover each center from
# its points by least squares (|x|^2 - 2 x.m + |m|^2 = d is linear in m and
# |m|^2), then check the fit is exact and that center is the nearest.  And
# the clusters agree with the blobs the points came from.
log="$(log_path assignments-content)"
run "$log" "$PYTHON" - "$points" "$assignments" "$centers_file" $clusters <<'PY'
import sys
import numpy as np

points = np.fromfile(sys.argv[1], dtype="<f4").reshape(-1, 2).astype(float)
rec = np.fromfile(sys.argv[2], dtype=[("cluster", "<i4"), ("distance", "<f4")])
true_centers = np.loadtxt(sys.argv[3], comments="#", ndmin=2)
k = int(sys.argv[4])

labels, dist = rec["cluster"], rec["distance"].astype(float)
assert len(rec) == len(points), (len(rec), len(points))
assert labels.min() >= 0 and labels.max() < k, (labels.min(), labels.max())
assert np.all(np.isfinite(dist)) and dist.min() >= 0, dist.min()
assert len(np.unique(labels)) == k, np.bincount(labels)

centers = np.zeros((k, 2))
for c in range(k):
    x, d = points[labels == c], dist[labels == c]
    a = np.hstack([-2 * x, np.ones((len(x), 1))])
    sol = np.linalg.lstsq(a, d - (x ** 2).sum(1), rcond=None)[0]
    centers[c] = sol[:2]
    fit = ((x - centers[c]) ** 2).sum(1)
    err = np.abs(fit - d).max()
    assert err < 1e-2 + 1e-4 * d.max(), ("cluster %d: distances are not "
                                        "squared distances to one center" % c, err)
all_d = ((points[:, None, :] - centers[None]) ** 2).sum(-1)
worse = all_d[np.arange(len(points)), labels] - all_d.min(1)
assert worse.max() < 1e-2, ("a point is not assigned to its nearest center",
                            worse.max())
truth = np.argmin(((points[:, None, :] - true_centers[None]) ** 2).sum(-1), 1)
purity = sum(np.bincount(truth[labels == c]).max() for c in range(k)) / len(points)
print("centers recovered from the distances:", centers.tolist())
print("purity %.4f" % purity)
assert purity > 0.95, purity
PY
tap_result $? "assignments: indices < $clusters, exact squared distances to the nearest center, clusters match the blobs" "$log"

# ------------------------------------------------------ train-assign-live.sh
log="$(log_path train-assign-live)"
NUM_BUFFERS=15 run "$log" "$pipelines/train-assign-live.sh"
tap_result $? "train-assign-live.sh exits 0" "$log"

grep -q "kmeans-initialized, " "$log" && grep -q "kmeans-train, " "$log" &&
  grep -q "kmeans-score, .*final=(boolean)true" "$log" &&
  grep -q "Got EOS from element" "$log"
tap_result $? "train-assign-live.sh shows initialized, progress and final score messages, then EOS" "$log"

# ------------------------------------------------------------ demo-local.py
# (demo.py, the ZeroMQ flagship, is tested by tests/zmq/test_flagship.py;
# embed-app.py by tests/pipelines/test_embed_apps.py.)
log="$(log_path demo-local)"
run "$log" "$PYTHON" "$pipelines/demo-local.py" --check-distance 0.5
tap_result $? "demo-local.py exits 0 and learns every true center within 0.5" "$log"

grep -q "\[train\] .*step" "$log" && grep -q "\[score *\]" "$log" &&
  grep -q "checkpoint at step" "$log" && grep -q "largest distance" "$log"
tap_result $? "demo-local.py prints progress, scores, checkpoints and the comparison" "$log"

# ------------------------------------------------- every script's --help
# Each script in pipelines/ and scripts/ answers --help: exit 0, a usage
# text naming the script on stdout, and nothing run.  Nothing run means: no
# program a script would start to build, install or play (stubs first on
# PATH that leave a mark), and an empty build folder, so a script that got
# past its --help would find no plugin and fail.
stubs="$work/stubs"
marks="$work/stub-marks"
mkdir -p "$stubs" "$work/empty-build"
for program in gst-launch-1.0 gst-inspect-1.0 meson ninja apt-get sudo \
  clang indent valgrind; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$program" "$marks" \
    >"$stubs/$program"
  chmod +x "$stubs/$program"
done
for script in "$pipelines"/*.sh "$pipelines"/*.py "$src"/scripts/*.sh \
  "$src"/scripts/*.py; do
  name="$(basename "$script")"
  where="${script#"$src"/}"
  # common.sh is sourced by the others, not run.
  if [ ! -f "$script" ] || [ ! -x "$script" ]; then continue; fi
  if grep -q '^import zmq' "$script" && ! "$PYTHON" -c 'import zmq' 2>/dev/null; then
    tap_skip "$where --help prints its usage and exits 0" "needs pyzmq (python3-zmq)"
    continue
  fi
  log="$(log_path "help-$name")"
  out="$work/help-$name.out"
  rm -f "$marks"
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
  PATH="$stubs:$PATH" KMEANS_BUILD_DIR="$work/empty-build" \
    COMMAND_TIMEOUT=60 run "$log" bash -c '"$1" --help >"$2"' - "$script" "$out"
  status=$?
  cat "$out" >>"$log" 2>/dev/null
  if [ $status -eq 0 ] && [ -s "$marks" ]; then
    echo "--help ran: $(tr '\n' ';' <"$marks")" >>"$log"
    status=1
  elif [ $status -eq 0 ] && ! grep -qF "$name" "$out"; then
    echo "--help printed no usage naming $name on stdout" >>"$log"
    status=1
  fi
  tap_result $status "$where --help prints its usage and exits 0, running nothing" "$log"
done

# --------------------------------------------------- the plugins and their
# elements as this build's registry has them
plugins="kmeans kmzmq"

# plugin_built PLUGIN: this build has its library.
plugin_built() {
  [ -f "$KMEANS_BUILD_ROOT/plugin/libgst$1.so" ]
}

# The plugin of this project an element name belongs to, if any.
project_plugin_of() {
  case "$1" in
    kmeans-*) echo kmeans ;;
    kmzmq*) echo kmzmq ;;
  esac
}

declare -A element_known=()
# element_exists NAME: the registry has the element (asked once a name).
element_exists() {
  if [ -z "${element_known[$1]:-}" ]; then
    if gst-inspect-1.0 --exists "$1" </dev/null >/dev/null 2>&1; then
      element_known[$1]=yes
    else
      element_known[$1]=no
    fi
  fi
  [ "${element_known[$1]}" = yes ]
}

# skip_reason ELEMENTS_FILE: why a block cannot run here (nothing when it
# can).  An element of a plugin this build has is never a reason: it must
# be there, and the block fails if it is not.
skip_reason() {
  local element plugin reasons=()
  while read -r element; do
    [ -n "$element" ] || continue
    plugin="$(project_plugin_of "$element")"
    if [ -n "$plugin" ] && plugin_built "$plugin"; then
      continue
    fi
    element_exists "$element" && continue
    if [ -n "$plugin" ]; then
      reasons+=("$element (the $plugin plugin is not built)")
    else
      reasons+=("$element (not installed)")
    fi
  done <"$1"
  if [ ${#reasons[@]} -gt 0 ]; then
    local joined
    joined="$(printf '%s, ' "${reasons[@]}")"
    echo "needs ${joined%, }"
  fi
}

# have_json_glib: this build's kmeans-parse reads JSON (config.h).
have_json_glib() {
  grep -Eq '^#define HAVE_JSON_GLIB( 1)?$' "$KMEANS_BUILD_ROOT/config.h"
}

# ----------------------------------------------- documented launch lines
launch="$work/launch"
mkdir -p "$launch/tmp" "$work/blocks"
cp "$points" "$launch/points.f32"
cp "$points" "$launch/pts.f32"
cp "$checkpoint" "$launch/model.ckpt"
cp "$checkpoint" "$launch/model.kmc"
ln -s "$pipelines" "$launch/pipelines"

"$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/extract_launch_lines.py" "$src" \
  "$work/blocks" "$launch/tmp" >/dev/null
found=$(find "$work/blocks" -name '*.sh' | wc -l)
[ "$found" -gt 0 ]
tap_result $? "found $found documented launch lines"

for block in "$work/blocks"/*.sh; do
  [ -e "$block" ] || continue
  where="$(cat "${block%.sh}.where")"
  first="$(grep '^gst-launch-1.0' "$block" | head -1 | cut -c1-90)"
  reason="$(skip_reason "${block%.sh}.elements")"
  if [ -n "$reason" ]; then
    tap_skip "$where: $first" "$reason"
    continue
  fi
  commands=$(grep -c '^gst-launch-1.0' "$block")
  log="$(log_path "$(basename "$block" .sh)")"
  # An example is meant to take seconds: a minute means it hangs.
  (cd "$launch" && COMMAND_TIMEOUT=60 run "$log" bash "$block")
  status=$?
  # kmeans-parse built without json-glib refuses JSON with this error: an
  # example reading JSON cannot run in such a build (-Djson=disabled).
  if [ $status -ne 0 ] && ! have_json_glib &&
    grep -q 'built without JSON support' "$log"; then
    tap_skip "$where: $first" "reads JSON; this build has no json-glib"
    continue
  fi
  if [ $status -eq 0 ] &&
    [ "$(grep -c 'Got EOS from element' "$log")" -lt "$commands" ]; then
    echo "no EOS: the pipeline did not run to its end" >>"$log"
    status=1
  fi
  tap_result $status "$where: $first" "$log"
done

# --------------------------------------------------------- gst-inspect docs
for plugin in $plugins; do
  if ! plugin_built "$plugin"; then
    tap_skip "gst-inspect-1.0 $plugin lists the plugin" \
      "the $plugin plugin is not built (no libgst$plugin.so in $KMEANS_BUILD_ROOT/plugin)"
    continue
  fi
  log="$(log_path "inspect-$plugin")"
  run "$log" gst-inspect-1.0 "$plugin"
  tap_result $? "gst-inspect-1.0 $plugin lists the plugin" "$log"

  while read -r element; do
    err="$work/logs/inspect-$element.err"
    GST_DEBUG='*:2' timeout 60 gst-inspect-1.0 "$element" </dev/null \
      >/dev/null 2>"$err"
    status=$?
    [ $status -eq 0 ] && [ ! -s "$err" ]
    tap_result $? "gst-inspect-1.0 $element exits 0 with nothing on stderr" "$err"
  done < <(sed -n 's/^  \([a-z0-9-]*\): .*/\1/p' "$log")
done

tap_done

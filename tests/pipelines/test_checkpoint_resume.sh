#!/usr/bin/env bash
# Checkpoint and resume through real gst-launch-1.0 runs of
# pipelines/train-file.sh: a second run on the same checkpoint-location
# continues the first (its kmeans-train messages, printed by -m, carry the
# steps that follow the first run's last step, and it does not initialise
# again), and a checkpoint that does not fit the settings, or is damaged,
# stops the pipeline with an error and stays untouched.  TAP output.

# shellcheck source=tests/pipelines/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pipelines="$KMEANS_SOURCE_ROOT/pipelines"
points="$work/points.f32"
checkpoint="$work/model.ckpt"

# field NAME FIELD LOG: the values of FIELD in the NAME messages, in order.
field() {
  sed -n "s/.*(element): $1, .*[ ,]$2=([a-z0-9]*)\([0-9.e+-]*\).*/\1/p" "$3"
}

log="$(log_path make-points)"
run "$log" "$PYTHON" "$pipelines/make-points.py" "$points" \
  --clusters 3 --dimensions 2 --points 8192 --seed 2
tap_result $? "make-points.py exits 0" "$log"

# --------------------------------------------------------------- first run
log1="$(log_path first-run)"
run "$log1" "$pipelines/train-file.sh" "$points" 2 "$checkpoint" 3 \
  batch-size=512 progress-interval=1
tap_result $? "first train-file.sh run exits 0" "$log1"

[ -s "$checkpoint" ]
tap_result $? "first run wrote the checkpoint" "$log1"

steps1="$(field kmeans-train step "$log1")"
last1="$(echo "$steps1" | tail -n 1)"
[ -n "$last1" ] && [ "$last1" -gt 1 ]
tap_result $? "first run reports training steps (last: ${last1:-none})" "$log1"

grep -q "(element): kmeans-initialized, " "$log1"
tap_result $? "first run initialises the centers" "$log1"

saved1="$(field kmeans-checkpoint step "$log1" | tail -n 1)"
[ "$saved1" = "$last1" ]
tap_result $? "first run's last checkpoint is at its last step ($saved1)" "$log1"

version1="$(field kmeans-train model-version "$log1" | tail -n 1)"
sum1="$(sha256sum <"$checkpoint")"

# -------------------------------------------------------------- second run
log2="$(log_path second-run)"
run "$log2" "$pipelines/train-file.sh" "$points" 2 "$checkpoint" 3 \
  batch-size=512 progress-interval=1
tap_result $? "second train-file.sh run exits 0" "$log2"

steps2="$(field kmeans-train step "$log2")"
first2="$(echo "$steps2" | head -n 1)"
last2="$(echo "$steps2" | tail -n 1)"
[ -n "$first2" ] && [ "$first2" -eq $((last1 + 1)) ]
tap_result $? "second run resumes at step $((last1 + 1)) (first reported: ${first2:-none})" "$log2"

# Consecutive steps: one message per step, none repeated or lost.
expected="$(seq "$first2" "$last2" 2>/dev/null)"
[ -n "$steps2" ] && [ "$steps2" = "$expected" ]
tap_result $? "second run's steps run on from $first2 to $last2 one by one" "$log2"

! grep -q "(element): kmeans-initialized, " "$log2"
tap_result $? "second run does not initialise again" "$log2"

version2="$(field kmeans-train model-version "$log2" | head -n 1)"
[ -n "$version2" ] && [ -n "$version1" ] && [ "$version2" -gt "$version1" ]
tap_result $? "model-version continues (${version1:-none} then ${version2:-none})" "$log2"

saved2="$(field kmeans-checkpoint step "$log2" | tail -n 1)"
[ "$saved2" = "$last2" ] && [ "$(sha256sum <"$checkpoint")" != "$sum1" ]
tap_result $? "second run rewrote the checkpoint at step $last2" "$log2"

# ------------------------------------------------- checkpoints that don't fit
sum2="$(sha256sum <"$checkpoint")"
log="$(log_path mismatch)"
run "$log" "$pipelines/train-file.sh" "$points" 2 "$checkpoint" 5
status=$?
[ $status -ne 0 ] && grep -q "^ERROR: from element .*kmeanstrain" "$log"
tap_result $? "num-clusters=5 on a 3-cluster checkpoint fails with an error" "$log"

[ "$(sha256sum <"$checkpoint")" = "$sum2" ]
tap_result $? "the mismatched run left the checkpoint untouched"

damaged="$work/damaged.ckpt"
cp "$checkpoint" "$damaged"
# Flip the bits of one byte in the middle.
"$PYTHON" -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0xff
open(sys.argv[1], "wb").write(b)' "$damaged"
sum3="$(sha256sum <"$damaged")"
log="$(log_path damaged)"
run "$log" "$pipelines/train-file.sh" "$points" 2 "$damaged" 3
status=$?
[ $status -ne 0 ] && grep -q "^ERROR: from element .*kmeanstrain" "$log"
tap_result $? "a damaged checkpoint fails with an error" "$log"

[ "$(sha256sum <"$damaged")" = "$sum3" ]
tap_result $? "the damaged checkpoint is left as it was"

tap_done

#!/bin/sh
# The grokking demo: train a ReLU MLP on a+b mod 97 with AdamW and strong
# weight decay, score every checkpoint as it arrives, and report when train
# and test accuracy first reached 95%.
#
# QUICK=1 (CI, seconds): a+b mod 41, 60% of the pairs, width 256, lr
# 5e-3, 1000 steps. The figures are checked against the documented ranges
# (pipelines/lib/range.sh).
#
# Usage: pipelines/grokking-demo.sh [OUTDIR]   (default: demo-out)
# Environment: TRAJ_BIN (directory of the tools, default build/bin),
#   QUICK, CHECK (0: no range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-demo-out}
mkdir -p "$out"

threshold=0.95
if [ "$range_size" = quick ]; then
	set -- --task modadd --p 41 --frac 0.6 --width 256 --depth 1 \
		--optim adamw --lr 5e-3 --wd 1 --steps 1000 --every 25 --seed 1
else
	set -- --task modadd --p 97 --frac 0.5 --width 512 --depth 1 \
		--optim adamw --lr 1e-3 --wd 1 --steps 3000 --every 25 --seed 1
fi

echo "traj train $*" >&2
traj train "$@" --force --out "$out/run.traj"
traj score "$out/run.traj" >"$out/scores.tsv"

first_step() { # first step at which metric $1 reaches the threshold
	awk -v m="$1" -v t="$threshold" \
		'$3 == m && $4 >= t { print $2; found = 1; exit }
		 END { if (!found) print "never" }' "$out/scores.tsv"
}
train_step=$(first_step train/acc)
test_step=$(first_step test/acc)
final=$(awk '$3 == "test/acc" { v = $4 } END { print v }' "$out/scores.tsv")

echo "train accuracy first >= $threshold at step $train_step"
echo "test accuracy first >= $threshold at step $test_step"
delay=""
if [ "$train_step" != never ] && [ "$test_step" != never ]; then
	delay=$((test_step - train_step))
	echo "grokking delay: $delay steps"
fi
echo "final test accuracy: $final"
echo "stream: $out/run.traj ($(wc -c <"$out/run.traj") bytes); metrics: $out/scores.tsv"

# README.md (full size): train 95% at step 250, test at 2300, delay 2050,
# final test accuracy 0.9985. QUICK: 75, 825, 750, 0.994.
if [ "$range_size" = quick ]; then
	range "train accuracy first >= $threshold (step)" "$train_step" 25 200
	range "test accuracy first >= $threshold (step)" "$test_step" 500 1000
	range "grokking delay (steps)" "$delay" 300 975
	range "final test accuracy" "$final" 0.97 1
else
	range "train accuracy first >= $threshold (step)" "$train_step" 150 400
	range "test accuracy first >= $threshold (step)" "$test_step" 1800 2800
	range "grokking delay (steps)" "$delay" 1400 2600
	range "final test accuracy" "$final" 0.99 1
fi
range_done

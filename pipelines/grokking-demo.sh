#!/bin/sh
# The grokking demo: train a ReLU MLP on a+b mod 97 with AdamW and strong
# weight decay, score every checkpoint as it arrives, and report when train
# and test accuracy first reached 95%.
#
# Usage: pipelines/grokking-demo.sh [OUTDIR]   (default: demo-out)
# Environment: TRAJ_BIN (directory of the tools, default build/bin).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
out=${1:-demo-out}
mkdir -p "$out"

threshold=0.95
set -- --task modadd --p 97 --frac 0.5 --width 512 --depth 1 \
	--optim adamw --lr 1e-3 --wd 1 --steps 3000 --every 25 --seed 1

echo "traj train $*" >&2
traj train "$@" --out "$out/run.traj"
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
if [ "$train_step" != never ] && [ "$test_step" != never ]; then
	echo "grokking delay: $((test_step - train_step)) steps"
fi
echo "final test accuracy: $final"
echo "stream: $out/run.traj ($(wc -c <"$out/run.traj") bytes); metrics: $out/scores.tsv"

#!/bin/sh
# Transformer grokking as in Nanda et al., "Progress measures for grokking
# via mechanistic interpretability" (2023): a+b mod 113 as the sequence
# "a b =", 30% of the pairs for training, one block (d_model 128, 4 heads
# of 32, d_mlp 512, ReLU, no LayerNorm), AdamW lr 1e-3, weight decay 1,
# betas (0.9, 0.98), full batch. Trains, scores every checkpoint, and
# reports when train and test accuracy crossed 95% and 99%, in steps and
# in minutes of training.
#
# QUICK=1 (CI, under a minute): p = 47, 60% of the pairs, d_model 64,
# 4 heads of 16, d_mlp 256, lr 3e-3, 1000 steps, a checkpoint every 50:
# train accuracy at 95% within 100 steps, test accuracy there by step
# ~650. The figures are checked against the documented ranges
# (pipelines/lib/range.sh).
#
# Usage: pipelines/transformer-grokking.sh [OUTDIR]   (default: grok-tf-out)
# Environment: TRAJ_BIN (directory of the tools, default build/bin),
#   STEPS (10000; QUICK 1000), EVERY (checkpoint spacing, 100; QUICK 50),
#   THREADS (2), SEED (1), QUICK, CHECK (0: no range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-grok-tf-out}
threads=${THREADS:-2}
seed=${SEED:-1}
mkdir -p "$out"

if [ "$range_size" = quick ]; then
	steps=${STEPS:-1000} every=${EVERY:-50}
	set -- --p 47 --frac 0.6 --d-model 64 --heads 4 --d-head 16 --d-mlp 256 --lr 3e-3
else
	steps=${STEPS:-10000} every=${EVERY:-100}
	set -- --p 113 --frac 0.3 --d-model 128 --heads 4 --d-head 32 --d-mlp 512 --lr 1e-3
fi
set -- --model transformer --task modadd "$@" --layers 1 \
	--activation relu --optim adamw --wd 1 --beta1 0.9 \
	--beta2 0.98 --steps "$steps" --every "$every" --seed "$seed" \
	--threads "$threads" --no-state

echo "traj train $*" >&2
traj train "$@" --force --out "$out/run.traj" 2>"$out/train.log" || {
	cat "$out/train.log" >&2
	exit 1
}
cat "$out/train.log" >&2
ms=$(sed -n 's/.*(\([0-9.]*\) ms\/step).*/\1/p' "$out/train.log")
traj score --threads "$threads" "$out/run.traj" >"$out/scores.tsv"

first_step() { # first step at which metric $1 reaches $2
	awk -v m="$1" -v t="$2" \
		'$3 == m && $4 >= t { print $2; found = 1; exit }
		 END { if (!found) print "never" }' "$out/scores.tsv"
}
minutes() { # training minutes to step $1 at the measured step time
	[ "$1" = never ] && { echo "-"; return; }
	awk -v s="$1" -v ms="$ms" 'BEGIN { printf "%.1f", s * ms / 60000 }'
}
echo "step time: $ms ms/step on $threads threads"
for m in train/acc test/acc; do
	for t in 0.95 0.99; do
		s=$(first_step "$m" "$t")
		echo "$m first >= $t at step $s ($(minutes "$s") min of training)"
	done
done
final=$(awk '$3 == "test/acc" { v = $4 } END { print v }' "$out/scores.tsv")
echo "final test accuracy: $final"
echo "stream: $out/run.traj; metrics: $out/scores.tsv"

# README.md: train 95% at step 200, test 95% at 6000 and 99% at 6400,
# final test accuracy 0.9994 (10000 steps) or 1 (8000)
train95=$(first_step train/acc 0.95)
test95=$(first_step test/acc 0.95)
test99=$(first_step test/acc 0.99)
if [ "$range_size" = quick ]; then
	range "train/acc first >= 0.95 (step)" "$train95" 0 200
	range "test/acc first >= 0.95 (step)" "$test95" 300 950
else
	range "train/acc first >= 0.95 (step)" "$train95" 100 500
	range "test/acc first >= 0.95 (step)" "$test95" 4000 8000
	range "test/acc first >= 0.99 (step)" "$test99" 4500 9000
fi
range "final test accuracy" "$final" 0.97 1
range_done

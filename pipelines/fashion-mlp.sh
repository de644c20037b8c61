#!/bin/sh
# Fashion-MNIST with an MLP (784-256-10, ReLU), AdamW lr 1e-3 without
# weight decay, minibatches of 128: reports the best and the final test
# accuracy. Needs Debian's dataset-fashion-mnist (scripts/deps.sh data).
#
# Usage: pipelines/fashion-mlp.sh [OUTDIR]   (default: fashion-out)
# Environment: TRAJ_BIN (default build/bin), STEPS (6000), THREADS (2).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
out=${1:-fashion-out}
steps=${STEPS:-6000}
threads=${THREADS:-2}
mkdir -p "$out"
set -- --task fashion --width 256 --depth 1 --activation relu --optim adamw \
	--lr 1e-3 --wd 0 --batch 128 --steps "$steps" --every 500 --seed 1 \
	--threads "$threads" --no-state
echo "traj train $*" >&2
traj train "$@" --out "$out/run.traj"
traj score --threads "$threads" "$out/run.traj" >"$out/scores.tsv"
awk '$3 == "test/acc" { if ($4 > best) { best = $4; at = $2 } last = $4 }
     END { printf "best test accuracy %.4f at step %d; final %.4f\n", best, at, last }' \
	"$out/scores.tsv"

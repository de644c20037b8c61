#!/bin/sh
# Induction on the repetition task: a 2-layer attention-only transformer
# (d_model 64, 4 heads) on random sequences of 16 tokens from 32, repeated
# once. The first half cannot be predicted (loss about log 32 = 3.47); the
# loss on the repeated half falls suddenly once the model copies. Reports
# the mean loss of each half over training and the step at which the
# repeated half's loss first fell below half of the first half's.
#
# Usage: pipelines/induction.sh [OUTDIR]   (default: induction-out)
# Environment: TRAJ_BIN (default build/bin), STEPS (1500), THREADS (2).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
out=${1:-induction-out}
steps=${STEPS:-1500}
threads=${THREADS:-2}
mkdir -p "$out"
set -- --model transformer --task repeat --seq-len 16 --vocab 32 \
	--n-train 4000 --n-test 500 --layers 2 --attn-only --d-model 64 \
	--heads 4 --optim adamw --lr 1e-3 --wd 0.01 --batch 64 \
	--steps "$steps" --every 50 --seed 1 --threads "$threads" --no-state
echo "traj train $*" >&2
traj train "$@" --out "$out/run.traj"
traj score --threads "$threads" "$out/run.traj" >"$out/scores.tsv"
# Positions 0..14 predict first-half tokens 1..15, 15..30 the repeat.
awk -F'\t' '$3 ~ /^test\/pos\/[0-9]+\/loss$/ {
		split($3, p, "/"); h = p[3] + 0 < 15 ? 1 : 2
		s[$2, h] += $4; n[$2, h]++; steps[$2] = 1
	}
	END {
		for (st in steps) print st, s[st, 1] / n[st, 1], s[st, 2] / n[st, 2]
	}' "$out/scores.tsv" | sort -n >"$out/halves.tsv"
awk '{ printf "step %5d  first half %.3f  repeated half %.3f\n", $1, $2, $3 }' \
	"$out/halves.tsv" | awk 'NR % 3 == 1'
awk '$3 < $2 / 2 { print "repeated-half loss below half the first half from step " $1; f = 1; exit }
     END { if (!f) print "no drop within the run" }' "$out/halves.tsv"

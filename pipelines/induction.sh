#!/bin/sh
# Induction on the repetition task: a 2-layer attention-only transformer
# (d_model 64, 4 heads) on random sequences of 12 tokens from 128, repeated
# once, with 12 random filler tokens split at random into a prefix, a gap
# between the copies and a suffix (--filler), so that neither the position
# of the repeat nor its distance to the first copy is fixed and only
# content-based copying (a previous-token head feeding an induction head)
# predicts it. Labels that are not copyable stay at about log 128 = 4.85;
# the loss on the copyable ones (test/repeat/loss) falls suddenly once
# induction heads form. Reports both over training and the step at which
# the repeat loss first fell below half of the rest's.
#
# Usage: pipelines/induction.sh [OUTDIR]   (default: induction-out)
# Environment: TRAJ_BIN (default build/bin), STEPS (3000), EVERY (100),
# LR (3e-3), THREADS (2), FILLER (12; 0 gives the first, fixed layout),
# LAYERS (2).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
out=${1:-induction-out}
steps=${STEPS:-3000}
threads=${THREADS:-2}
mkdir -p "$out"
set -- --model transformer --task repeat --seq-len 12 --vocab 128 \
	--filler "${FILLER:-12}" --n-train 4000 --n-test 500 \
	--layers "${LAYERS:-2}" --attn-only --d-model 64 --heads 4 \
	--optim adamw --lr "${LR:-3e-3}" --wd 0.01 --batch 64 \
	--steps "$steps" --every "${EVERY:-100}" --seed 1 --threads "$threads" \
	--no-state
echo "traj train $*" >&2
traj train "$@" --out "$out/run.traj"
traj score --threads "$threads" "$out/run.traj" >"$out/scores.tsv"
# test/first/loss: labels no copy predicts; test/repeat/loss: the copyable
# ones (the second copy's tokens but its first).
awk -F'\t' '$3 == "test/first/loss" { f[$2] = $4 }
	$3 == "test/repeat/loss" { r[$2] = $4 }
	END { for (st in r) print st, f[st], r[st] }' "$out/scores.tsv" |
	sort -n >"$out/halves.tsv"
awk '{ printf "step %5d  other labels %.3f  repeat %.3f\n", $1, $2, $3 }' \
	"$out/halves.tsv" | awk 'NR % 2 == 1'
awk '$3 < $2 / 2 { print "repeat loss below half the other labels'"'"' from step " $1; f = 1; exit }
     END { if (!f) print "no drop within the run" }' "$out/halves.tsv"

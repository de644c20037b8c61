#!/bin/sh
# Adversarial training against standard training of the same Fashion-MNIST
# MLP (784-256-10, ReLU, AdamW lr 1e-3, batches of 128, seed 1): the
# robust run trains on 7-step PGD examples at L-infinity eps 0.1 (traj
# train --adv, Madry et al.). Every checkpoint of both runs is attacked
# with FGSM and PGD at eps 0.1; reports clean and robust accuracy at the
# end, the cost in clean accuracy, and draws both trajectories in one
# picture (adversarial-training.png). docs/adversarial.md discusses it.
# Needs Debian's dataset-fashion-mnist (scripts/deps.sh data).
#
# QUICK=1 (CI): 200 steps on 5000 training images, 200 attacked test
# images, 10 PGD steps; full: 3000 steps, 1000 test images, 40 PGD steps.
#
# Usage: pipelines/adversarial-training.sh [OUTDIR]  (default: advtrain-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-advtrain-out}
threads=${THREADS:-2}
mkdir -p "$out"
if [ "$range_size" = quick ]; then
	set -- --steps 200 --every 50 --n-train 5000
	limit=200 iters=10
else
	set -- --steps 3000 --log 8
	limit=1000 iters=40
fi
for kind in standard robust; do
	adv=""
	[ "$kind" = robust ] && adv="--adv pgd:eps=0.1,iters=7"
	echo "traj train ($kind) $*" >&2
	# shellcheck disable=SC2086 # adv is a list of options
	traj train --quiet --task fashion --width 256 --depth 1 --activation relu \
		--optim adamw --lr 1e-3 --wd 0 --batch 128 --seed 1 --no-state \
		--threads "$threads" --run-id "$kind" $adv "$@" --force --out "$out/$kind.traj"
	traj attack --threads "$threads" --limit "$limit" -n "$iters" -e 0.1 \
		"$out/$kind.traj" >"$out/$kind.tsv"
done
cat "$out/standard.tsv" "$out/robust.tsv" >"$out/attack.tsv"

last() { # last value of metric $2 in run $1
	awk -F'\t' -v r="$1" -v m="$2" '$1 == r && $3 == m { v = $4 } END { print v }' "$out/attack.tsv"
}
for kind in standard robust; do
	printf '%s: clean %s, FGSM eps 0.1 %s, PGD-%s eps 0.1 %s\n' "$kind" \
		"$(last $kind attack/clean/acc)" "$(last $kind attack/fgsm/linf/0.1/acc)" \
		"$iters" "$(last $kind attack/pgd/linf/0.1/acc)"
done
gain=$(awk -v a="$(last robust attack/pgd/linf/0.1/acc)" -v b="$(last standard attack/pgd/linf/0.1/acc)" 'BEGIN { print a - b }')
cost=$(awk -v a="$(last standard attack/clean/acc)" -v b="$(last robust attack/clean/acc)" 'BEGIN { print a - b }')
echo "robust accuracy gained at eps 0.1: $gain; clean accuracy lost: $cost"
traj plot -o "$out/adversarial-training.png" -m attack/clean/acc \
	-m attack/pgd/linf/0.1/acc --logx --size 900x450 \
	-t "Fashion-MNIST MLP: standard and adversarial (PGD eps 0.1) training; clean and PGD eps 0.1 accuracy" \
	"$out/attack.tsv" 2>/dev/null || echo "no picture (gnuplot-nox?)" >&2
if [ "$range_size" = quick ]; then
	range robust_gain "$gain" 0.15 1
	range clean_cost "$cost" -0.05 0.2
else
	range robust_gain "$gain" 0.3 1
	range clean_cost "$cost" 0 0.15
fi
range_done

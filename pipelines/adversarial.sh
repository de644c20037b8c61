#!/bin/sh
# Adversarial fragility over the training of a Fashion-MNIST MLP
# (784-256-10, ReLU, AdamW lr 1e-3, batches of 128): every checkpoint is
# attacked with FGSM and 40-step PGD in L-infinity at eps 0.05, 0.1, 0.2,
# and each example's minimal PGD radius is found by bisection. Reports the
# figures at the last checkpoint, whether PGD is ever weaker than FGSM
# (it must not be), how the median minimal radius moves while clean
# accuracy rises, where robust accuracy at eps 0.05 peaks, and the
# transitions traj emerge finds in it; draws adversarial.png. Needs
# Debian's dataset-fashion-mnist (scripts/deps.sh data) and gnuplot-nox.
#
# QUICK=1 (CI, about a minute): 300 steps on 10000 training images, a
# checkpoint every 50, 200 attacked test images, 10 PGD steps. The
# figures are checked against the documented ranges (pipelines/lib/range.sh).
#
# Usage: pipelines/adversarial.sh [OUTDIR]   (default: adversarial-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-adversarial-out}
threads=${THREADS:-2}
mkdir -p "$out"
if [ "$range_size" = quick ]; then
	set -- --steps 300 --every 50 --n-train 10000
	limit=200 iters=10
else
	set -- --steps 3000 --log 8
	limit=1000 iters=40
fi
traj train --quiet --task fashion --width 256 --depth 1 --activation relu \
	--optim adamw --lr 1e-3 --wd 0 --batch 128 --seed 1 --no-state \
	--threads "$threads" "$@" --out "$out/run.traj"
traj attack --threads "$threads" --limit "$limit" -n "$iters" \
	-e 0.05,0.1,0.2 --min-eps 0.3 --bisections 8 "$out/run.traj" \
	>"$out/attack.tsv"

last() { awk -F'\t' -v m="$1" '$3 == m { v = $4 } END { print v }' "$out/attack.tsv"; }
first() { awk -F'\t' -v m="$1" '$3 == m { print $4; exit }' "$out/attack.tsv"; }
clean=$(last attack/clean/acc)
echo "last checkpoint: clean accuracy $clean"
for e in 0.05 0.1 0.2; do
	echo "  eps $e: FGSM $(last attack/fgsm/linf/$e/acc), PGD $(last attack/pgd/linf/$e/acc)"
done
weaker=$(awk -F'\t' '$3 ~ /^attack\/fgsm\/.*acc$/ { k = $2 " " $3; sub(/fgsm/, "pgd", k); f[k] = $4 }
	$3 ~ /^attack\/pgd\/.*acc$/ { p[$2 " " $3] = $4 }
	END { n = 0; for (k in p) n += p[k] > f[k]; print n }' "$out/attack.tsv")
echo "checkpoints x eps where PGD is weaker than FGSM: $weaker"
med0=$(first attack/pgd/linf/min_eps/median)
med1=$(last attack/pgd/linf/min_eps/median)
echo "median minimal radius: $med0 at the first checkpoint, $med1 at the last"
peak=$(awk -F'\t' '$3 == "attack/pgd/linf/0.05/acc" && $4 > best { best = $4; at = $2 }
	END { print at, best }' "$out/attack.tsv")
echo "robust accuracy at eps 0.05 peaks at step ${peak% *}: ${peak#* }"
traj emerge "$out/attack.tsv" -m 'attack/clean/acc' -m 'attack/pgd/linf/0.05/acc' \
	-m 'attack/pgd/linf/min_eps/median' >"$out/events.tsv"
echo "events (traj emerge):"
sed 's/^/  /' "$out/events.tsv"
if command -v gnuplot >/dev/null; then
	traj plot -o "$out/adversarial.png" -m attack/clean/acc \
		-m 'attack/pgd/linf/*/acc' -2 attack/pgd/linf/min_eps/median \
		--logx -e "$out/events.tsv" \
		-t "Fashion-MNIST MLP: clean and PGD accuracy (left), median minimal eps (right)" \
		"$out/attack.tsv"
fi

range "PGD weaker than FGSM (count)" "$weaker" 0 0
if [ "$range_size" = quick ]; then
	range "clean accuracy" "$clean" 0.7 0.9
	range "FGSM accuracy at eps 0.1" "$(last attack/fgsm/linf/0.1/acc)" 0 0.4
	range "PGD accuracy at eps 0.2" "$(last attack/pgd/linf/0.2/acc)" 0 0.05
	range "median minimal radius, last" "$med1" 0.005 0.08
else
	range "clean accuracy" "$clean" 0.85 0.92
	range "FGSM accuracy at eps 0.05" "$(last attack/fgsm/linf/0.05/acc)" 0.15 0.55
	range "FGSM accuracy at eps 0.1" "$(last attack/fgsm/linf/0.1/acc)" 0 0.2
	range "PGD accuracy at eps 0.1" "$(last attack/pgd/linf/0.1/acc)" 0 0.1
	range "median minimal radius, last" "$med1" 0.01 0.06
fi
range_done

#!/bin/sh
# Which hidden neurons of a Fashion-MNIST MLP (784-256-10, ReLU, the model
# of pipelines/adversarial.sh) an L-infinity PGD attack works through.
#
# 1. Rank: PGD adversarial inputs of the first NSEL training images
#    (traj attack --split train --save); each neuron zero-ablated on them
#    (traj ablate --inputs): "attack" neurons are those whose ablation
#    lowers the adversarial loss most. For comparison, "clean" neurons are
#    those whose ablation raises the clean loss most on the same images,
#    and "random" neurons are drawn by awk's rand (seeds 1..R, nested in k).
# 2. Evaluate, on test images the ranking never saw, with the k top
#    neurons of each kind zero-ablated together:
#      transfer_acc  accuracy on the perturbations made against the whole
#                    network (traj ablate --joint --inputs)
#      robust_acc    accuracy under a fresh PGD attack on the ablated
#                    network (traj attack --ablate)
#      clean_acc     accuracy on the clean images
#    as metric lines RUN K METRIC VALUE in neurons.tsv (RUN: attack, clean,
#    random, the last the mean over the seeds); draws adversarial-neurons.png.
# Needs Debian's dataset-fashion-mnist (scripts/deps.sh data), gnuplot-nox.
#
# QUICK=1 (CI): 300 steps on 10000 training images, 500 + 500 images,
# 10 PGD steps, k in 8 32, 2 random seeds. Full: 3000 steps, 2000 + 2000
# images, 40 PGD steps, k in 4 8 16 32 64, 5 seeds. EPS (0.1) is the radius.
#
# Usage: pipelines/adversarial-neurons.sh [OUTDIR]  (default: adversarial-neurons-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK, EPS.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-adversarial-neurons-out}
threads=${THREADS:-2}
eps=${EPS:-0.1}
mkdir -p "$out"
if [ "$range_size" = quick ]; then
	set -- --steps 300 --every 300 --n-train 10000
	n=500 iters=10 ks="8 32" seeds="1 2"
else
	set -- --steps 3000 --every 3000
	n=2000 iters=40 ks="4 8 16 32 64" seeds="1 2 3 4 5"
fi
width=256
traj train --quiet --task fashion --width $width --depth 1 --activation relu \
	--optim adamw --lr 1e-3 --wd 0 --batch 128 --seed 1 --no-state \
	--threads "$threads" "$@" --force --out "$out/run.traj"
pgd() { traj attack -q --threads "$threads" --last -m pgd -e "$eps" -n "$iters" "$@"; }
abl() { traj ablate -q --threads "$threads" -m zero "$@" "$out/run.traj"; }
value() { awk -F'\t' -v m="$1" '$3 == m { print $4 }'; }

# 1. The rankings, on training images.
pgd --split train --limit "$n" --save "$out/sel.npz" "$out/run.traj" >/dev/null
abl --split train --inputs "$out/sel.npz" -c 'layers.0.n*' >"$out/rank-attack.tsv"
abl --split train --limit "$n" -c 'layers.0.n*' >"$out/rank-clean.tsv"
order() { # FILE KEY: neuron names by their loss_delta, sorted as KEY says
	awk -F'\t' '$3 ~ /^ablate\/layers\.0\.n[0-9]+\/loss_delta$/ {
		split($3, p, "/"); print $4 "\t" p[2] }' "$1" | sort -t "$(printf '\t')" -k "$2" | cut -f2
}
order "$out/rank-attack.tsv" 1,1g >"$out/attack.order"
order "$out/rank-clean.tsv" 1,1gr >"$out/clean.order"
for s in $seeds; do
	awk -v s="$s" -v w=$width 'BEGIN { srand(s); for (i = 0; i < w; i++) a[i] = i
		for (i = w - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = a[i]; a[i] = a[j]; a[j] = t }
		for (i = 0; i < w; i++) print "layers.0.n" a[i] }' >"$out/random$s.order"
done

# 2. Evaluation on test images.
pgd --limit "$n" --save "$out/test.npz" "$out/run.traj" >"$out/whole.tsv"
clean0=$(value attack/clean/acc <"$out/whole.tsv")
robust0=$(value "attack/pgd/linf/$eps/acc" <"$out/whole.tsv")
measure() { # RUN K ORDERFILE: the three accuracies with its k first neurons ablated
	set -- "$1" "$2" "$(head -n "$2" "$3" | paste -sd, -)"
	t=$(abl --joint --inputs "$out/test.npz" -c "$3" | value ablate/joint/acc)
	c=$(abl --joint --limit "$n" -c "$3" | value ablate/joint/acc)
	r=$(pgd --limit "$n" --ablate "$3" "$out/run.traj" | value "attack/pgd/linf/$eps/acc")
	printf '%s\t%s\tneurons/transfer_acc\t%s\n%s\t%s\tneurons/robust_acc\t%s\n%s\t%s\tneurons/clean_acc\t%s\n' \
		"$1" "$2" "$t" "$1" "$2" "$r" "$1" "$2" "$c"
}
{
	for run in attack clean random; do
		printf '%s\t0\tneurons/transfer_acc\t%s\n%s\t0\tneurons/robust_acc\t%s\n%s\t0\tneurons/clean_acc\t%s\n' \
			$run "$robust0" $run "$robust0" $run "$clean0"
	done
	for k in $ks; do
		measure attack "$k" "$out/attack.order"
		measure clean "$k" "$out/clean.order"
		for s in $seeds; do measure "random$s" "$k" "$out/random$s.order"; done |
			awk -F'\t' '{ v[$2 "\t" $3] += $4; c[$2 "\t" $3]++ }
				END { for (x in v) printf "random\t%s\t%.6g\n", x, v[x] / c[x] }' | sort
	done
} >"$out/neurons.tsv"

get() { awk -F'\t' -v r="$1" -v k="$2" -v m="neurons/$3" '$1 == r && $2 == k && $3 == m { print $4 }' "$out/neurons.tsv"; }
echo "whole network: clean $clean0, PGD-$iters eps $eps $robust0 ($n test images)"
printf 'k\tneurons\ttransfer\trobust\tclean\n'
for k in $ks; do
	for run in attack clean random; do
		printf '%s\t%s\t%s\t%s\t%s\n' "$k" $run "$(get $run "$k" transfer_acc)" \
			"$(get $run "$k" robust_acc)" "$(get $run "$k" clean_acc)"
	done
done
if command -v gnuplot >/dev/null; then
	# One panel per accuracy, one curve per kind of neuron.
	for run in attack clean random; do
		awk -F'\t' -v r=$run '$1 == r { split($3, m, "/"); v[$2, m[2]] = $4; k[$2] = 1 }
			END { for (x in k) print x, v[x, "transfer_acc"], v[x, "robust_acc"], v[x, "clean_acc"] }' \
			"$out/neurons.tsv" | sort -n >"$out/$run.dat"
	done
	gnuplot <<EOF
set terminal pngcairo size 1200,420 font ",10"
set output "$out/adversarial-neurons.png"
set multiplot layout 1,3 title "Fashion-MNIST MLP, PGD-$iters eps $eps, $n test images: k hidden neurons (of $width) zero-ablated"
set xlabel "k"; set ylabel "accuracy"; set grid; set key top left
titles = "'perturbations made against the whole network' 'a fresh PGD attack on the ablated network' 'clean images'"
do for [c=2:4] {
	set title word(titles, c - 1)
	if (c == 4) { set key bottom left }
	plot "$out/attack.dat" u 1:c w lp lw 2 t "top attack neurons", \\
	     "$out/clean.dat" u 1:c w lp lw 2 t "top clean neurons", \\
	     "$out/random.dat" u 1:c w lp lw 2 t "random (mean)"
}
unset multiplot
EOF
fi

kmax=${ks##* }
gain() { awk -v a="$(get "$1" "$kmax" "$2")" -v b="$robust0" 'BEGIN { print a - b }'; }
range "clean accuracy, whole network" "$clean0" 0.7 0.92
over=$(awk -v a="$(gain attack transfer_acc)" -v b="$(gain random transfer_acc)" 'BEGIN { print a - b }')
if [ "$range_size" = quick ]; then
	range "transfer gain of the attack neurons over random, k=$kmax" "$over" 0.02 0.3
	range "robust gain of the attack neurons, k=$kmax" "$(gain attack robust_acc)" -0.1 0.2
else
	range "transfer gain of the attack neurons over random, k=$kmax" "$over" 0.08 0.3
	range "robust gain of the attack neurons, k=$kmax" "$(gain attack robust_acc)" 0.02 0.2
fi
range_done

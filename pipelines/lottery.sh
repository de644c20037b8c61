#!/bin/sh
# Lottery tickets on Fashion-MNIST (docs/lottery.md): iterative magnitude
# pruning with rewinding (Frankle & Carbin 2019; Frankle et al. 2020) of
# a 784-300-300-10 ReLU MLP (LeNet-300-100's shape but for its second
# hidden layer: traj's MLP has one width), and its two controls at every
# density: the ticket's mask with a random re-initialisation, and a
# random mask of the same per-layer densities.
#
# Round 0 trains the dense network (with the optimiser state in every
# checkpoint, so any step can be rewound to). Round k prunes 20% of the
# remaining weights of each hidden layer and 10% of the output layer's
# from the final weights of round k-1's ticket, and trains the new mask
# from the dense run's state at step REWIND. Every run is scored; the
# early-stopping step is the step of minimum test loss (no separate
# validation split), its test accuracy is reported.
#
# Output in OUTDIR: round-K.traj and its controls, scores, lottery.tsv
# (one line per round and kind: round density kind es_step es_acc
# final_acc), lottery.png (gnuplot).
#
# QUICK=1 (CI, seconds): width 32 on 1000 examples, 3 rounds, 60 steps.
# Usage: pipelines/lottery.sh [OUTDIR]   (default: lottery-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), ROUNDS (12),
#   STEPS (800), EVERY (50), REWIND (50), NTRAIN (10000), SEED (1), QUICK.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
out=${1:-lottery-out}
threads=${THREADS:-2}
mkdir -p "$out"
if [ "${QUICK:-0}" = 1 ]; then
	rounds=${ROUNDS:-3} steps=${STEPS:-60} every=${EVERY:-20} rewind=${REWIND:-20}
	set -- --width 32 --n-train "${NTRAIN:-1000}" --n-test 500
else
	rounds=${ROUNDS:-12} steps=${STEPS:-800} every=${EVERY:-50} rewind=${REWIND:-50}
	set -- --width 300 --n-train "${NTRAIN:-10000}"
fi
seed=${SEED:-1}
set -- --task fashion --depth 2 "$@" --activation relu --optim adamw --lr 1.2e-3 \
	--wd 0 --batch 128 --steps "$steps" --every "$every" --seed "$seed" \
	--threads "$threads" --quiet --force
echo "traj train $*" >&2

# train NAME OPTION...: the run and its scores
train() {
	name=$1
	shift
	traj train "$@" --out "$out/$name.traj"
	traj score --threads "$threads" "$out/$name.traj" >"$out/$name.tsv"
}

# summary ROUND DENSITY KIND: the early-stopping step (minimum test loss),
# the test accuracy there, and the final test accuracy
summary() {
	awk -v r="$1" -v d="$2" -v k="$3" -F'\t' '
		$3 == "test/loss" && (best == "" || $4 < best) { best = $4; at = $2 }
		$3 == "test/acc" { acc[$2] = $4; last = $4 }
		END { printf "%d\t%.4f\t%s\t%d\t%.4f\t%.4f\n", r, d, k, at, acc[at], last }' \
		"$out/$4.tsv" >>"$out/lottery.tsv"
}

density() { # the total density of the mask in $1
	traj prune --list "$1" | awk -F'\t' '$3 == "prune/total/density" { print $4 }'
}

printf 'round\tdensity\tkind\tes_step\tes_acc\tfinal_acc\n' >"$out/lottery.tsv"
train dense "$@" --state all
summary 0 1 ticket dense
prev=dense
prev_random=""
k=1
while [ "$k" -le "$rounds" ]; do
	traj prune --rate 0.2 --output-rate 0.1 --out "$out/mask-$k.traj" "$out/$prev.traj"
	# the random chain prunes as many weights per layer at random
	traj prune --random "$k" --rate 0.2 --output-rate 0.1 \
		${prev_random:+--mask "$out/$prev_random"} \
		--out "$out/random-mask-$k.traj" "$out/dense.traj"
	d=$(density "$out/mask-$k.traj")
	from="$out/dense.traj:$rewind"
	train "ticket-$k" "$@" --mask "$out/mask-$k.traj" --init-from "$from"
	train "reinit-$k" "$@" --mask "$out/mask-$k.traj" --init-from "$from" \
		--reinit $((1000 + k))
	train "random-$k" "$@" --mask "$out/random-mask-$k.traj" --init-from "$from"
	for kind in ticket reinit random; do
		summary "$k" "$d" "$kind" "$kind-$k"
	done
	echo "round $k: density $d" >&2
	prev=ticket-$k
	prev_random=random-mask-$k.traj
	k=$((k + 1))
done
column -t "$out/lottery.tsv" 2>/dev/null || cat "$out/lottery.tsv"

if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 1000,420 font ",10"
set output "$out/lottery.png"
set multiplot layout 1,2
set logscale x
set xrange [*:1.05] reverse
set xlabel "fraction of weights left"
set key bottom left
set ylabel "test accuracy at early stopping"
plot for [k in "ticket reinit random"] "< awk '\$3 == \"" . k . "\"' $out/lottery.tsv" \
	using 2:5 with linespoints title k
set ylabel "early-stopping step (min test loss)"
set key top left
plot for [k in "ticket reinit random"] "< awk '\$3 == \"" . k . "\"' $out/lottery.tsv" \
	using 2:4 with linespoints title k
unset multiplot
GP
	echo "picture: $out/lottery.png" >&2
fi

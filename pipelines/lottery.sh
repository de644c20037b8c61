#!/bin/sh
# Lottery tickets on Fashion-MNIST (docs/lottery.md): iterative magnitude
# pruning with rewinding (Frankle & Carbin 2019; Frankle et al. 2020) of
# LeNet-300-100 (784-300-100-10, ReLU), and its two controls at every
# density: the ticket's mask with a random re-initialisation, and a
# random mask of the same per-layer densities.
#
# Round 0 trains the dense network (with the optimiser state in every
# checkpoint, so any step can be rewound to). Round k prunes 20% of the
# remaining weights of each hidden layer and 10% of the output layer's
# from the final weights of round k-1's ticket, and trains the new mask
# from the dense run's state at step REWIND. Every run is scored on its
# train, test and validation splits (NVAL training images held out after
# the first NTRAIN); the early-stopping step is the step of minimum
# validation loss, and the test accuracy there is reported.
#
# With several SEEDS each seed is a whole IMP of its own (its dense
# network, masks and controls) in OUTDIR/seed-S. PARALLEL=1 runs the
# seeds side by side, and within a round the ticket and its two controls
# (THREADS each). A run whose scores exist in OUTDIR is not trained again:
# an interrupted pipeline continues where it stopped.
#
# Output in OUTDIR: seed-S/ (round-K.traj and its controls, scores,
# times), lottery.tsv (one line per seed, round and kind: round density
# kind seed es_step es_acc final_acc), summary.tsv (per round and kind over
# the seeds: round density kind seeds es_step es_acc es_acc_min es_acc_max
# final_acc, the means but for min and max), lottery.png (gnuplot), and
# the check of docs/lottery.md at round CHECK_ROUND (13.5% of the weights).
#
# QUICK=1 (CI, seconds): widths 32,16 on 1000 examples, 3 rounds, 60 steps.
# Usage: pipelines/lottery.sh [OUTDIR]   (default: lottery-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), ROUNDS (12),
#   STEPS (800), EVERY (50), REWIND (50), NTRAIN (10000), NVAL (5000),
#   SEEDS ("1"), PARALLEL (0), CHECK_ROUND (9), QUICK, CHECK.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-lottery-out}
threads=${THREADS:-2}
seeds=${SEEDS:-1}
mkdir -p "$out"
if [ "$range_size" = quick ]; then
	rounds=${ROUNDS:-3} steps=${STEPS:-60} every=${EVERY:-20} rewind=${REWIND:-20}
	check_round=${CHECK_ROUND:-3}
	set -- --width 32,16 --n-train "${NTRAIN:-1000}" --n-val "${NVAL:-500}" --n-test 500
else
	rounds=${ROUNDS:-12} steps=${STEPS:-800} every=${EVERY:-50} rewind=${REWIND:-50}
	check_round=${CHECK_ROUND:-9}
	set -- --width 300,100 --n-train "${NTRAIN:-10000}" --n-val "${NVAL:-5000}"
fi
set -- --task fashion "$@" --activation relu --optim adamw --lr 1.2e-3 \
	--wd 0 --batch 128 --steps "$steps" --every "$every" \
	--threads "$threads" --quiet --force
echo "traj train $* --seed S" >&2

# imp SEED DIR OPTION...: the whole IMP of one seed into DIR
imp() {
	seed=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	start=$(date +%s)
	# train NAME OPTION...: the run and its scores, unless already there
	train() {
		name=$1
		shift
		[ ! -s "$dir/$name.tsv" ] || return 0
		traj train "$@" --seed "$seed" --out "$dir/$name.traj"
		traj score --threads "$threads" "$dir/$name.traj" >"$dir/$name.tsv.part"
		mv "$dir/$name.tsv.part" "$dir/$name.tsv"
	}
	# spawn NAME OPTION...: train, in the background with PARALLEL=1
	jobs=""
	spawn() {
		if [ "${PARALLEL:-0}" = 1 ]; then
			train "$@" &
			jobs="$jobs $!"
		else
			train "$@"
		fi
	}
	join() {
		for j in $jobs; do
			wait "$j"
		done
		jobs=""
	}
	# summary ROUND DENSITY KIND NAME: the early-stopping step (minimum
	# validation loss), the test accuracy there, the final test accuracy
	summary() {
		awk -v r="$1" -v d="$2" -v k="$3" -v s="$seed" -F'\t' '
			$3 == "val/loss" && (best == "" || $4 < best) { best = $4; at = $2 }
			$3 == "test/acc" { acc[$2] = $4; last = $4 }
			END { printf "%d\t%.4f\t%s\t%s\t%d\t%.4f\t%.4f\n", r, d, k, s, at, acc[at], last }' \
			"$dir/$4.tsv" >>"$dir/lottery.tsv"
	}
	: >"$dir/lottery.tsv"
	train dense "$@" --state all
	summary 0 1 ticket dense
	prev=dense
	prev_random=""
	k=1
	while [ "$k" -le "$rounds" ]; do
		traj prune --rate 0.2 --output-rate 0.1 --out "$dir/mask-$k.traj" "$dir/$prev.traj"
		# the random chain prunes as many weights per layer at random
		traj prune --random "$k" --rate 0.2 --output-rate 0.1 \
			${prev_random:+--mask "$dir/$prev_random"} \
			--out "$dir/random-mask-$k.traj" "$dir/dense.traj"
		d=$(traj prune --list "$dir/mask-$k.traj" |
			awk -F'\t' '$3 == "prune/total/density" { print $4 }')
		from="$dir/dense.traj:$rewind"
		spawn "ticket-$k" "$@" --mask "$dir/mask-$k.traj" --init-from "$from"
		spawn "reinit-$k" "$@" --mask "$dir/mask-$k.traj" --init-from "$from" \
			--reinit $((1000 * seed + k))
		spawn "random-$k" "$@" --mask "$dir/random-mask-$k.traj" --init-from "$from"
		join
		for kind in ticket reinit random; do
			summary "$k" "$d" "$kind" "$kind-$k"
		done
		echo "seed $seed round $k: density $d" >&2
		prev=ticket-$k
		prev_random=random-mask-$k.traj
		k=$((k + 1))
	done
	echo "seed $seed: $rounds rounds and their controls in $(($(date +%s) - start)) s wall" |
		tee "$dir/time.txt" >&2
}

pids=""
for s in $seeds; do
	if [ "${PARALLEL:-0}" = 1 ]; then
		imp "$s" "$out/seed-$s" "$@" &
		pids="$pids $!"
	else
		imp "$s" "$out/seed-$s" "$@"
	fi
done
for p in $pids; do
	wait "$p"
done

printf 'round\tdensity\tkind\tseed\tes_step\tes_acc\tfinal_acc\n' >"$out/lottery.tsv"
for s in $seeds; do
	cat "$out/seed-$s/lottery.tsv"
done | sort -s -t"$(printf '\t')" -k1,1n >>"$out/lottery.tsv"
awk -F'\t' -v OFS='\t' 'NR > 1 {
		key = $1 "\t" $2 "\t" $3
		if (!(key in n)) order[++nk] = key
		n[key]++; step[key] += $5; acc[key] += $6; fin[key] += $7
		if (!(key in lo) || $6 < lo[key]) lo[key] = $6
		if (!(key in hi) || $6 > hi[key]) hi[key] = $6 }
	END { print "round", "density", "kind", "seeds", "es_step", "es_acc", "es_acc_min", "es_acc_max", "final_acc"
		for (i = 1; i <= nk; i++) { k = order[i]
			printf "%s\t%d\t%.1f\t%.4f\t%.4f\t%.4f\t%.4f\n", k, n[k], step[k] / n[k],
				acc[k] / n[k], lo[k], hi[k], fin[k] / n[k] } }' \
	"$out/lottery.tsv" >"$out/summary.tsv"
column -t "$out/summary.tsv" 2>/dev/null || cat "$out/summary.tsv"

if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 1000,420 font ",10"
set output "$out/lottery.png"
set multiplot layout 1,2 title "LeNet-300-100 on Fashion-MNIST: IMP rewound to step $rewind, mean of seeds $seeds (bars: min to max)"
set logscale x
set xrange [*:1.05] reverse
set xlabel "fraction of weights left"
set key bottom left
set ylabel "test accuracy at early stopping"
plot for [k in "ticket reinit random"] "< awk '\$3 == \"" . k . "\"' $out/summary.tsv" \
	using 2:6:7:8 with yerrorlines title k
set ylabel "early-stopping step (min validation loss)"
set key top left
plot for [k in "ticket reinit random"] "< awk '\$3 == \"" . k . "\"' $out/summary.tsv" \
	using 2:5 with linespoints title k
unset multiplot
GP
	echo "picture: $out/lottery.png" >&2
fi

# The check of docs/lottery.md at round $check_round: the ticket against
# the dense network and the re-initialised mask, over the seeds
field() { # ROUND KIND COLUMN of summary.tsv
	awk -F'\t' -v r="$1" -v k="$2" -v c="$3" '$1 == r && $3 == k { print $c }' "$out/summary.tsv"
}
dens=$(field "$check_round" ticket 2)
dense_acc=$(field 0 ticket 6) dense_step=$(field 0 ticket 5)
t_acc=$(field "$check_round" ticket 6) t_step=$(field "$check_round" ticket 5)
r_acc=$(field "$check_round" reinit 6) m_acc=$(field "$check_round" random 6)
echo "round $check_round, $dens of the weights, mean of seeds $seeds:"
echo "  ticket: test acc $t_acc at step $t_step; dense: $dense_acc at step $dense_step"
echo "  reinit: $r_acc; random mask: $m_acc"
gap=$(awk -v t="$t_acc" -v d="$dense_acc" 'BEGIN { printf "%.4f", t - d }')
rgap=$(awk -v t="$t_acc" -v r="$r_acc" 'BEGIN { printf "%.4f", t - r }')
sgap=$(awk -v t="$t_step" -v d="$dense_step" 'BEGIN { printf "%.1f", d - t }')
echo "  ticket - dense: $gap (check: >= -0.005); ticket - reinit: $rgap; dense step - ticket step: $sgap (check: >= 0)"
# per seed: the ticket's lead over its re-initialisation
awk -F'\t' -v r="$check_round" 'NR > 1 && $1 == r && $3 == "ticket" { t[$4] = $6 }
	NR > 1 && $1 == r && $3 == "reinit" { i[$4] = $6 }
	END { for (s in t) printf "  seed %s: ticket - reinit %.4f\n", s, t[s] - i[s] }' "$out/lottery.tsv"
if [ "$range_size" = quick ]; then
	range "density after 3 rounds" "$dens" 0.50 0.53
	range "dense test accuracy" "$dense_acc" 0.3 0.95
	range "ticket test accuracy" "$t_acc" 0.3 0.95
else
	range "density after $check_round rounds" "$dens" 0.13 0.14
	range "ticket - dense test accuracy" "$gap" -0.005 1
	range "ticket - reinit test accuracy" "$rgap" 0.005 1
	range "dense - ticket early-stopping step" "$sgap" 0 10000
fi
range_done

#!/bin/sh
# Lottery tickets and grokking (docs/lottery.md, issue 14's check 3):
# does the grokking MLP on modular addition have a winning ticket, and
# does the ticket grok earlier, later or not at all? It depends on when
# the mask is taken, so two masks are taken from one dense run:
#
#   mem:  its weights at the end of memorisation (the first checkpoint
#         with train accuracy >= 0.99; test accuracy still low there),
#   grok: its weights at the last step, after grokking,
#
# each by one-shot magnitude pruning of every weight matrix at each
# RATE (the fraction pruned), then trained again from the dense run's
# state at step REWIND (0: the initialisation, Frankle & Carbin 2019),
# with the same options. Controls at each rate: the grok mask with fresh
# weights (--reinit), and a random mask of the same per-layer densities.
#
# For each run: the first step with train accuracy >= 0.95 (memorised),
# the first with test accuracy >= 0.95 (grokked; "never" within STEPS),
# the delay between them, and the final test accuracy.
#
# Output in OUTDIR: dense.traj, the masks and runs with their scores,
# grokking.tsv (kind rate density mask_step train_step test_step delay
# final_test_acc), grokking.png (test accuracy over training).
#
# Full size: a+b mod 53, half the pairs, one hidden layer of 256 ReLU,
# AdamW lr 3e-3, weight decay 1, full batch, 2500 steps (the run of the
# README's tour), RATES "0.5 0.8". QUICK=1 (CI): a+b mod 41, 60% of the
# pairs, lr 5e-3, 1000 steps (grokking-demo.sh's quick run), RATES "0.8".
#
# Usage: pipelines/lottery-grokking.sh [OUTDIR]   (default: grok-lottery)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), RATES, REWIND (0),
#   STEPS, EVERY (50), SEED (1), QUICK, CHECK.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-grok-lottery}
threads=${THREADS:-2}
rewind=${REWIND:-0}
mkdir -p "$out"
if [ "$range_size" = quick ]; then
	rates=${RATES:-0.8} steps=${STEPS:-1000}
	set -- --p 41 --frac 0.6 --lr 5e-3
else
	rates=${RATES:-"0.5 0.8"} steps=${STEPS:-2500}
	set -- --p 53 --frac 0.5 --lr 3e-3
fi
set -- --task modadd "$@" --width 256 --depth 1 --activation relu \
	--optim adamw --wd 1 --steps "$steps" --every "${EVERY:-50}" \
	--seed "${SEED:-1}" --threads "$threads" --quiet --force
echo "traj train $*" >&2

# train NAME OPTION...: the run and its scores
train() {
	name=$1
	shift
	traj train "$@" --out "$out/$name.traj"
	traj score --threads "$threads" "$out/$name.traj" >"$out/$name.tsv"
}

first() { # first step of run $1 with metric $2 >= $3, or "never"
	awk -F'\t' -v m="$2" -v t="$3" '$3 == m && $4 >= t { print $2; f = 1; exit }
		END { if (!f) print "never" }' "$out/$1.tsv"
}

# row KIND RATE DENSITY MASK_STEP NAME: one line of grokking.tsv
row() {
	tr=$(first "$5" train/acc 0.95)
	te=$(first "$5" test/acc 0.95)
	delay=never
	[ "$te" = never ] || [ "$tr" = never ] || delay=$((te - tr))
	fin=$(awk -F'\t' '$3 == "test/acc" { v = $4 } END { printf "%.4f", v }' "$out/$5.tsv")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$tr" "$te" \
		"$delay" "$fin" >>"$out/grokking.tsv"
}

train dense "$@" --state all
mem=$(first dense train/acc 0.99)
[ "$mem" != never ] || { echo "lottery-grokking.sh: the dense run never memorises" >&2; exit 1; }
mem_test=$(awk -F'\t' -v s="$mem" '$2 == s && $3 == "test/acc" { print $4 }' "$out/dense.tsv")
echo "masks from step $mem (memorised, test accuracy $mem_test) and step $steps" >&2
printf 'kind\trate\tdensity\tmask_step\ttrain_step\ttest_step\tdelay\tfinal_test_acc\n' >"$out/grokking.tsv"
row dense 0 1 - dense

for r in $rates; do
	traj prune --rate "$r" --step "$mem" --out "$out/mask-mem-$r.traj" "$out/dense.traj"
	traj prune --rate "$r" --out "$out/mask-grok-$r.traj" "$out/dense.traj"
	traj prune --rate "$r" --random 7 --out "$out/mask-random-$r.traj" "$out/dense.traj"
	d=$(traj prune --list "$out/mask-grok-$r.traj" |
		awk -F'\t' '$3 == "prune/total/density" { printf "%.4f", $4 }')
	from=$out/dense.traj:$rewind
	train "mem-$r" "$@" --mask "$out/mask-mem-$r.traj" --init-from "$from"
	train "grok-$r" "$@" --mask "$out/mask-grok-$r.traj" --init-from "$from"
	train "reinit-$r" "$@" --mask "$out/mask-grok-$r.traj" --init-from "$from" --reinit 1001
	train "random-$r" "$@" --mask "$out/mask-random-$r.traj" --init-from "$from"
	row ticket-mem "$r" "$d" "$mem" "mem-$r"
	row ticket-grok "$r" "$d" "$steps" "grok-$r"
	row reinit-grok "$r" "$d" "$steps" "reinit-$r"
	row random "$r" "$d" - "random-$r"
	echo "rate $r: density $d" >&2
done
column -t "$out/grokking.tsv" 2>/dev/null || cat "$out/grokking.tsv"

if command -v gnuplot >/dev/null; then
	r1=$(echo "$rates" | awk '{ print $1 }')
	for n in dense mem-$r1 grok-$r1 reinit-$r1 random-$r1; do
		awk -F'\t' '$3 == "test/acc" { print $2, $4 }' "$out/$n.tsv" >"$out/$n.dat"
	done
	gnuplot <<GP
set terminal pngcairo size 900,420 font ",10"
set output "$out/grokking.png"
set title "Tickets of the grokking MLP: test accuracy, masks at rate $r1 (rewound to step $rewind)"
set xlabel "step"
set ylabel "test accuracy"
set key bottom right
plot "$out/dense.dat" with lines lw 2 title "dense", \
	"$out/mem-$r1.dat" with lines title "ticket, mask at step $mem (memorised)", \
	"$out/grok-$r1.dat" with lines title "ticket, mask at step $steps (grokked)", \
	"$out/reinit-$r1.dat" with lines title "grokked mask, re-initialised", \
	"$out/random-$r1.dat" with lines title "random mask"
GP
	echo "picture: $out/grokking.png" >&2
fi

get() { # KIND RATE COLUMN of grokking.tsv
	awk -F'\t' -v k="$1" -v r="$2" -v c="$3" '$1 == k && $2 == r { print $c }' "$out/grokking.tsv"
}
dense_test=$(get dense 0 6)
range "memorisation step of the dense run" "$mem" 1 "$steps"
range "dense test accuracy at the memorisation step" "$mem_test" 0 0.5
range "dense grokking step" "$dense_test" 1 "$steps"
range "dense final test accuracy" "$(get dense 0 8)" 0.95 1
range_done

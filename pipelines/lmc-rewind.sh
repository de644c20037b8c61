#!/bin/sh
# Instability analysis (Frankle, Dziugaite, Roy and Carbin 2020): from
# each rewind step k of a parent run, two copies train to the same final
# step with different batch orders; traj interpolate measures the error
# barrier on the straight line between their ends. A network is stable at
# k when the copies end in one linearly connected mode (test error barrier
# within 2 points, Frankle et al.'s threshold). Reports the barrier per k,
# the earliest k from which every later k is stable, and draws lmc.png.
#
# Each copy is one traj train --init-from parent:k --order-seed O: the
# weights, Adam moments and step count are the parent's at k; the batch
# order from k on comes from O (a new epoch starts at k + 1), so only the
# order of the examples differs.
#
# STUDY=fashion (default): LeNet-300-100 (784-300-100-10, ReLU) on
# Fashion-MNIST, Adam lr 1.2e-3 (Frankle & Carbin's LeNet), batches of 60;
# needs Debian's dataset-fashion-mnist. STUDY=mlp300: the 784-300-300-10
# MLP of the first measurements (docs/lmc.md). STUDY=modadd: the grokking MLP on a+b mod 97
# trained with batches of 256 (full-batch training has no batch order).
# STUDY=transformer: Nanda et al.'s grokking transformer (a+b mod 113,
# 30% of the pairs, one block, d_model 128) with batches of 512, which
# still groks (test accuracy past 0.95 near step 3250, seed 1).
#
# QUICK=1 (CI, well under a minute): fashion on 2000 training and 1000
# test images, 300 steps, rewinds 0 and 100; ranges in pipelines/lib.
#
# Runs into the same OUTDIR add their rewind steps to its lmc.tsv (a step
# measured again replaces its lines); REWIND=" " redraws the summary.
#
# Usage: pipelines/lmc-rewind.sh [OUTDIR]   (default: lmc-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK,
#   STUDY, STEPS, REWIND ("0 10 ..."), PAIRS (copy pairs per k, 1),
#   EXAMPLES (examples per split scored on the line; 0 = all), POINTS (11),
#   EVERY (the copies' checkpoint interval; default: start and end only),
#   KEEP=1 (keep the copies' streams, lmc-kK-oO.traj, for traj interpolate
#   --pairs), SAME_ORDER=1 (the control: both copies get the same order, so their
#   ends are the same bits and every barrier is 0).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-lmc-out}
threads=${THREADS:-2}
study=${STUDY:-fashion}
pairs=${PAIRS:-1}
points=${POINTS:-11}
mkdir -p "$out"

case $study in
fashion | mlp300)
	w=300,100
	[ "$study" = fashion ] || w=300,300
	set -- --task fashion --width $w --activation relu \
		--optim adamw --lr 1.2e-3 --wd 0 --batch 60
	if [ "$range_size" = quick ]; then
		set -- "$@" --n-train 2000 --n-test 1000
		steps=${STEPS:-300} rewind=${REWIND:-"0 100"} examples=${EXAMPLES:-0}
	else
		steps=${STEPS:-2000} rewind=${REWIND:-"0 10 30 100 300 1000"}
		examples=${EXAMPLES:-10000}
	fi ;;
modadd)
	set -- --task modadd --p 97 --frac 0.3 --width 512 --depth 1 \
		--activation relu --optim adamw --lr 1e-3 --wd 1 --batch 256
	steps=${STEPS:-3000} rewind=${REWIND:-"0 30 100 300 1000"}
	examples=${EXAMPLES:-0} ;;
transformer)
	set -- --model transformer --task modadd --p 113 --frac 0.3 \
		--d-model 128 --heads 4 --d-mlp 512 --activation relu \
		--optim adamw --lr 1e-3 --wd 1 --batch 512
	steps=${STEPS:-4000} rewind=${REWIND:-"0 100 300 1000 2000"}
	examples=${EXAMPLES:-0} ;;
*)
	echo "lmc-rewind.sh: STUDY: '$study', expected fashion, mlp300, modadd or transformer" >&2
	exit 64 ;;
esac

# The parent at each rewind step k: a run of k steps whose last
# checkpoint carries the optimiser state (nothing else is written). The
# first k steps do not depend on the length of the run (no schedule
# looks ahead), so these are the states of one run at its steps k.
for k in $rewind; do
	traj train --quiet "$@" --seed 1 --steps "$k" --every 1000000000 \
		--state key --threads "$threads" --force --out "$out/parent-$k.traj"
done

opts="$*"

# child K ORDER NAME: the parent at K, trained on to $steps in ORDER.
child() {
	# shellcheck disable=SC2086 # opts: options without spaces
	traj train --quiet $opts --seed 1 --init-from "$out/parent-$1.traj:$1" \
		--order-seed "$2" --run-id "$3" --steps "$steps" \
		--every "${EVERY:-1000000000}" --threads "$threads" --force \
		--out "$out/$3.traj"
}

# The lines of earlier runs into OUTDIR are kept, but for the steps
# rerun now: the summary and the picture cover every rewind step measured.
touch "$out/lmc.tsv"
awk -F'\t' -v ks=" $rewind " 'index(ks, " " $2 " ") == 0' "$out/lmc.tsv" >"$out/lmc.old"
mv "$out/lmc.old" "$out/lmc.tsv"
for k in $rewind; do
	r=1
	while [ "$r" -le "$pairs" ]; do
		a=lmc-k$k-o$((2 * r - 1)) b=lmc-k$k-o$((2 * r))
		child "$k" $((2 * r - 1)) "$a"
		ob=$((2 * r))
		[ "${SAME_ORDER:-0}" = 0 ] || ob=$((2 * r - 1))
		child "$k" "$ob" "$b"
		# the line's figures, under the run lmc-rR at step k
		traj interpolate --threads "$threads" -n "$points" -e "$examples" \
			"$out/$a.traj" "$out/$b.traj" |
			awk -F'\t' -v OFS='\t' -v k="$k" -v r="$r" '{ $1 = "lmc-r" r; $2 = k; print }' \
			>>"$out/lmc.tsv"
		[ "${KEEP:-0}" = 1 ] || rm -f "$out/$a.traj" "$out/$b.traj"
		r=$((r + 1))
	done
done

# Per k, over the pairs: mean test and train error barriers, loss barrier,
# mean test accuracy at the ends.
awk -F'\t' '
	$3 == "interp/barrier/test/err" { te[$2] += $4; n[$2]++ }
	$3 == "interp/barrier/train/err" { tr[$2] += $4 }
	$3 == "interp/barrier/test/loss" { tl[$2] += $4 }
	$3 == "interp/0/test/acc" || $3 == "interp/1/test/acc" { acc[$2] += $4 / 2 }
	END { for (k in n) printf "%d\t%.4f\t%.4f\t%.4f\t%.4f\n", k, te[k] / n[k],
		tr[k] / n[k], tl[k] / n[k], acc[k] / n[k] }' "$out/lmc.tsv" |
	sort -n >"$out/barriers.tsv"
echo "rewind k, test error barrier, train error barrier, test loss barrier, end test accuracy:"
sed 's/^/  /' "$out/barriers.tsv"
stable=$(awk -F'\t' '{ k[NR] = $1; b[NR] = $2 } END {
	s = "none"; for (i = NR; i >= 1 && b[i] <= 0.02; i--) s = k[i]; print s }' "$out/barriers.tsv")
echo "earliest stable rewind step (test error barrier <= 0.02 from there on): $stable"

if command -v gnuplot >/dev/null; then
	awk -F'\t' '$1 == "lmc-r1" && split($3, p, "/") == 4 && p[3] == "test" &&
		p[4] == "acc" && p[2] != "barrier" { print $2, p[2], 1 - $4 }' \
		"$out/lmc.tsv" | sort -k1,1n -k2,2g |
		awk 'NR > 1 && $1 != k { print ""; print "" } { k = $1; print }' \
		>"$out/curves.dat"
	nk=$(wc -l <"$out/barriers.tsv")
	ks=$(cut -f1 "$out/barriers.tsv" | tr '\n' ' ')
	gnuplot <<EOF
set terminal pngcairo size 1100,420 font ",10"
set output "$out/lmc.png"
set multiplot layout 1,2 title "Instability: two copies from rewind step k, different batch orders ($study)"
set xlabel "t on the line (1-t) A + t B"
set ylabel "test error"
set key top left
plot for [i=0:$((nk - 1))] "$out/curves.dat" index i using 2:3 with linespoints \
	title sprintf("k = %s", word("$ks", i + 1)) pt 7 ps 0.5
set xlabel "rewind step k"
set ylabel "error barrier"
set yrange [0:0.03 < * < 1]
set key top right
plot "$out/barriers.tsv" using 0:2:xtic(1) with linespoints pt 7 title "test", \
	"" using 0:3 with linespoints pt 5 title "train", 0.02 with lines dt 2 title "2 points"
unset multiplot
EOF
fi

k0=$(awk -F'\t' 'NR == 1 { print $2 }' "$out/barriers.tsv")
klast=$(awk -F'\t' '{ v = $2 } END { print v }' "$out/barriers.tsv")
if [ "$study" = fashion ] || [ "$study" = mlp300 ]; then
	if [ "$range_size" = quick ]; then
		range "test error barrier at k = 0" "$k0" 0 0.3
		range "test error barrier at the last k" "$klast" 0 0.05
	else
		range "test error barrier at the last k" "$klast" 0 0.02
	fi
fi
range_done

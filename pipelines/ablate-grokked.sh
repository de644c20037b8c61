#!/bin/bash
# Two checks of traj-ablate on a grokked modular-addition stream (from
# pipelines/transformer-grokking.sh or grokking-demo.sh):
#  1. the circuit found by --circuit carries the task: ablating its
#     components together destroys test accuracy, ablating as many
#     neurons/heads drawn at random (from all of them) does not;
#  2. the ranking from --budget 10 against exhaustive one-by-one ablation:
#     overlap of the top 5 (all components, and neurons/heads only).
#
# The figures are checked against the ranges for the stream's size
# (pipelines/lib/range.sh): QUICK=1 for a stream of
# QUICK=1 pipelines/transformer-grokking.sh, else its full size
# (STEPS=8000 EVERY=200, README.md).
#
# Usage: pipelines/ablate-grokked.sh RUN.traj [OUTDIR]  (default ablate-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), SEED (1),
#   METHOD (mean), LIMIT (examples for the circuit search; default all),
#   THRESHOLD (circuit loss threshold, 0.1), QUICK, CHECK (0: no range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
run=${1:?usage: ablate-grokked.sh RUN.traj [OUTDIR]}
out=${2:-ablate-out}
threads=${THREADS:-2}
seed=${SEED:-1}
method=${METHOD:-mean}
limit=${LIMIT:+--limit $LIMIT}
mkdir -p "$out"
set -- --threads "$threads" -m "$method" --seed "$seed"

value() { awk -F'\t' -v m="$1" '$3 == m { print $4 }' "$2"; }
top5() { grep /rank "$1" | grep -E "$2" | sort -t"$(printf '\t')" -k4 -g |
	head -5 | cut -f3 | sed 's,^ablate/,,; s,/rank$,,'; }

start=$(date +%s.%N)
# shellcheck disable=SC2086
traj ablate -q "$@" --circuit $limit --threshold "${THRESHOLD:-0.1}" --dot "$out/circuit.dot" "$run" >"$out/circuit.tsv"
end=$(date +%s.%N)
echo "circuit search: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s," \
	"$(value circuit/forward_passes "$out/circuit.tsv") forward passes," \
	"size $(value circuit/size "$out/circuit.tsv") of" \
	"$(value circuit/candidates "$out/circuit.tsv")," \
	"loss delta $(value circuit/loss_delta "$out/circuit.tsv")," \
	"accuracy $(value circuit/acc "$out/circuit.tsv")"

awk -F'\t' '$3 ~ /^circuit\/.*\/importance$/ { sub(/^circuit\//, "", $3);
	sub(/\/importance$/, "", $3); print $3 }' "$out/circuit.tsv" >"$out/circuit.txt"
n=$(wc -l <"$out/circuit.txt")
traj ablate -q "$@" --joint -c "$(paste -sd, "$out/circuit.txt")" "$run" >"$out/joint-circuit.tsv"
traj ablate --list -c '*.head*,*.n*' "$run" |
	shuf -n "$n" --random-source=<(yes "$seed") >"$out/random.txt"
traj ablate -q "$@" --joint -c "$(paste -sd, "$out/random.txt")" "$run" >"$out/joint-random.tsv"
clean=$(value ablate/clean/acc "$out/joint-circuit.tsv")
ablated=$(value ablate/joint/acc "$out/joint-circuit.tsv")
echo "clean test accuracy: $clean"
echo "ablating the $n circuit components: test accuracy $ablated"
echo "ablating $n random neurons/heads ($(grep -cxF -f "$out/circuit.txt" "$out/random.txt") of them in the circuit): test accuracy $(value ablate/joint/acc "$out/joint-random.tsv")"

traj ablate -q "$@" "$run" >"$out/exhaustive.tsv"
traj ablate -q "$@" --budget 10 "$run" >"$out/budget10.tsv"
for set in all atoms; do
	pat=.; [ $set = atoms ] && pat='head|\.n[0-9]'
	top5 "$out/exhaustive.tsv" "$pat" >"$out/top5-exhaustive-$set.txt"
	top5 "$out/budget10.tsv" "$pat" >"$out/top5-budget10-$set.txt"
	echo "top 5 ($set), exhaustive ($(value ablate/forward_passes "$out/exhaustive.tsv") passes):" \
		"$(paste -sd' ' "$out/top5-exhaustive-$set.txt")"
	echo "top 5 ($set), --budget 10 ($(value ablate/forward_passes "$out/budget10.tsv") passes):" \
		"$(paste -sd' ' "$out/top5-budget10-$set.txt")"
	overlap=$(grep -cxF -f "$out/top5-exhaustive-$set.txt" "$out/top5-budget10-$set.txt") || true
	echo "overlap ($set): $overlap of 5"
	if [ $set = all ]; then overlap_all=$overlap; else overlap_atoms=$overlap; fi
done

# README.md (full size): circuit of 346 of 516, accuracy 0.9825; ablating
# it 0.0086; overlaps 5 of 5. QUICK: circuit of 110 of 260, accuracy
# 0.958; ablating it 0.021; overlaps 3 (all) and 1 (atoms) of 5.
range "clean test accuracy" "$clean" 0.97 1
range "keeping only the circuit: test accuracy" "$(value circuit/acc "$out/circuit.tsv")" 0.9 1
range "ablating the circuit: test accuracy" "$ablated" 0 0.1
if [ "$range_size" = quick ]; then
	range "circuit size" "$n" 40 200
	range "top 5 overlap (all)" "$overlap_all" 2 5
else
	range "circuit size" "$n" 250 450
	range "top 5 overlap (all)" "$overlap_all" 4 5
	range "top 5 overlap (atoms)" "$overlap_atoms" 4 5
fi
range_done

#!/bin/bash
# The circuit check of traj-ablate on a grokked modular-arithmetic stream
# (from pipelines/transformer-grokking.sh), for components that make a
# small circuit: the Fourier frequencies of the logits (BY=freq) or the
# edges between the transformer's components (BY=edge). The circuit
# --circuit keeps carries the task, i.e. ablating its components together
# destroys test accuracy, while ablating as many components drawn at
# random (several seeds; drawn from all, and from those outside the
# circuit) does not. Also: keeping only the circuit (all else ablated).
#
# The figures are checked (pipelines/lib/range.sh) against ranges that
# hold for any stream: keeping only the circuit keeps at least 90% of the
# clean accuracy, ablating it leaves at most 10%, ablating as many
# components from outside it keeps at least 85%; and against the circuit
# sizes documented for the streams README.md reports, told apart by their
# number of components: the grokked transformer of
# pipelines/transformer-grokking.sh (56 frequencies or 23 edges; QUICK=1:
# 23 frequencies) and the induction model of pipelines/induction.sh (81
# edges).
#
# Usage: pipelines/circuit-check.sh RUN.traj [OUTDIR]  (default circuit-out)
# Environment: BY (freq or edge; default freq), TRAJ_BIN (default
#   build/bin), THREADS (1), METHOD (mean), THRESHOLDS (circuit loss
#   thresholds in nats, "0.1 0.3"; QUICK "0.1"), SEEDS (random draws,
#   "1 2 3 4 5"; QUICK "1 2"), LIMIT (only the first N test examples;
#   default all), QUICK, CHECK (0: no range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
run=${1:?usage: circuit-check.sh RUN.traj [OUTDIR]}
out=${2:-circuit-out}
by=${BY:-freq}
thresholds=${THRESHOLDS:-0.1 0.3}
seeds=${SEEDS:-1 2 3 4 5}
if [ "$range_size" = quick ]; then
	thresholds=${THRESHOLDS:-0.1}
	seeds=${SEEDS:-1 2}
fi
mkdir -p "$out"
set -- -q --by "$by" --threads "${THREADS:-1}" -m "${METHOD:-mean}" ${LIMIT:+--limit "$LIMIT"}

value() { awk -F'\t' -v m="$1" '$3 == m { print $4 }' "$2"; }
joint_acc() { traj ablate "$@" --joint "$run" | awk -F'\t' '$3 == "ablate/joint/acc" { print $4 }'; }
# the passes a circuit search took: logit evaluations for frequencies
cost() {
	if [ "$by" = freq ]; then
		echo "$(value circuit/logit_evals "$1") logit evaluations, $(value circuit/forward_passes "$1") forward pass"
	else
		echo "$(value circuit/forward_passes "$1") forward passes, $2 s"
	fi
}

# ratio A B: A / B, for ranges relative to the clean accuracy
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.4f", a / b }'; }
# the circuit sizes README.md reports, by the number of components:
# size_range THRESHOLD -> "LO HI", or nothing where none is documented
size_range() {
	case $by/$(wc -l <"$out/all.txt")/$1 in
	freq/23/*) echo 2 6 ;;        # QUICK grokking, p = 47: 3 (5 12 18)
	freq/56/0.1) echo 15 30 ;;    # grokking, p = 113: 22
	freq/56/0.3) echo 5 10 ;;     # 7 (the key five, 6 and 52)
	edge/23/0.1) echo 9 16 ;;     # grokking (both sizes): 13
	edge/23/0.3) echo 8 14 ;;     # 11
	edge/81/0.1) echo 15 35 ;;    # induction: 25
	esac
}

traj ablate "$@" --list "$run" >"$out/all.txt"
for t in $thresholds; do
	start=$(date +%s.%N)
	dot=()
	[ "$by" = freq ] || dot=(--dot "$out/circuit-$t.dot")
	traj ablate "$@" --circuit --threshold "$t" "${dot[@]}" "$run" >"$out/circuit-$t.tsv"
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	awk -F'\t' '$3 ~ /\/importance$/ { sub(/^circuit\//, "", $3);
		sub(/\/importance$/, "", $3); print $3 }' "$out/circuit-$t.tsv" >"$out/circuit-$t.txt"
	n=$(wc -l <"$out/circuit-$t.txt")
	echo "threshold $t: circuit of $n of $(wc -l <"$out/all.txt") ${by}s ($(cost "$out/circuit-$t.tsv" "$secs")):"
	echo "  $(sed 's/^logits\.freq\.//' "$out/circuit-$t.txt" | paste -sd' ')"
	clean=$(value circuit/clean_acc "$out/circuit-$t.tsv")
	keep=$(value circuit/acc "$out/circuit-$t.tsv")
	ablated=$(joint_acc "$@" -c "$(paste -sd, "$out/circuit-$t.txt")")
	outside=""
	echo "  clean test accuracy: $clean, loss $(value circuit/clean_loss "$out/circuit-$t.tsv")"
	echo "  keeping only the circuit (all other ${by}s ablated): test accuracy $keep"
	echo "  ablating the $n circuit ${by}s together: test accuracy $ablated"
	for seed in $seeds; do
		shuf -n "$n" --random-source=<(yes "$seed") "$out/all.txt" >"$out/random-$t-$seed.txt"
		echo "  ablating $n random ${by}s (seed $seed, $(grep -cxF -f "$out/circuit-$t.txt" "$out/random-$t-$seed.txt") in the circuit): test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/random-$t-$seed.txt")")"
		# the same, drawn only from the components outside the circuit
		grep -vxF -f "$out/circuit-$t.txt" "$out/all.txt" |
			shuf -n "$n" --random-source=<(yes "$seed") >"$out/outside-$t-$seed.txt" || true
		[ -s "$out/outside-$t-$seed.txt" ] || continue
		acc=$(joint_acc "$@" -c "$(paste -sd, "$out/outside-$t-$seed.txt")")
		echo "  ablating $(wc -l <"$out/outside-$t-$seed.txt") random ${by}s outside the circuit (seed $seed): test accuracy $acc"
		outside=$(awk -v a="$acc" -v m="$outside" 'BEGIN { print (m == "" || a < m) ? a : m }')
	done
	range "threshold $t: keeping only the circuit / clean accuracy" "$(ratio "$keep" "$clean")" 0.9 1.05
	range "threshold $t: ablating the circuit / clean accuracy" "$(ratio "$ablated" "$clean")" 0 0.1
	# no component is left outside a circuit of them all
	if [ -n "$outside" ] || [ "$n" -lt "$(wc -l <"$out/all.txt")" ]; then
		range "threshold $t: ablating random ${by}s outside the circuit (worst) / clean accuracy" \
			"$(ratio "$outside" "$clean")" 0.85 1.05
	fi
	sizes=$(size_range "$t")
	[ -z "$sizes" ] || range "threshold $t: circuit size" "$n" "${sizes% *}" "${sizes#* }"
done
range_done

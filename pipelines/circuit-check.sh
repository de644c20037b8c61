#!/bin/bash
# Science check 2 of traj-ablate on a grokked modular-arithmetic stream
# (from pipelines/transformer-grokking.sh), for components that make a
# small circuit: the Fourier frequencies of the logits (BY=freq) or the
# edges between the transformer's components (BY=edge). The circuit
# --circuit keeps carries the task, i.e. ablating its components together
# destroys test accuracy, while ablating as many components drawn at
# random (several seeds; drawn from all, and from those outside the
# circuit) does not. Also: keeping only the circuit (all else ablated).
#
# Usage: pipelines/circuit-check.sh RUN.traj [OUTDIR]  (default circuit-out)
# Environment: BY (freq or edge; default freq), TRAJ_BIN (default
#   build/bin), THREADS (1), METHOD (mean), THRESHOLDS (circuit loss
#   thresholds in nats, "0.1 0.3"), SEEDS (random draws, "1 2 3 4 5"),
#   LIMIT (only the first N test examples; default all).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
run=${1:?usage: circuit-check.sh RUN.traj [OUTDIR]}
out=${2:-circuit-out}
by=${BY:-freq}
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

traj ablate "$@" --list "$run" >"$out/all.txt"
for t in ${THRESHOLDS:-0.1 0.3}; do
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
	echo "  clean test accuracy: $(value circuit/clean_acc "$out/circuit-$t.tsv"), loss $(value circuit/clean_loss "$out/circuit-$t.tsv")"
	echo "  keeping only the circuit (all other ${by}s ablated): test accuracy $(value circuit/acc "$out/circuit-$t.tsv")"
	echo "  ablating the $n circuit ${by}s together: test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/circuit-$t.txt")")"
	for seed in ${SEEDS:-1 2 3 4 5}; do
		shuf -n "$n" --random-source=<(yes "$seed") "$out/all.txt" >"$out/random-$t-$seed.txt"
		echo "  ablating $n random ${by}s (seed $seed, $(grep -cxF -f "$out/circuit-$t.txt" "$out/random-$t-$seed.txt") in the circuit): test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/random-$t-$seed.txt")")"
		# the same, drawn only from the components outside the circuit
		grep -vxF -f "$out/circuit-$t.txt" "$out/all.txt" |
			shuf -n "$n" --random-source=<(yes "$seed") >"$out/outside-$t-$seed.txt" || true
		[ -s "$out/outside-$t-$seed.txt" ] || continue
		echo "  ablating $(wc -l <"$out/outside-$t-$seed.txt") random ${by}s outside the circuit (seed $seed): test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/outside-$t-$seed.txt")")"
	done
done

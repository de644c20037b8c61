#!/bin/bash
# Science check 2 of traj-ablate with the Fourier frequencies of the
# logits as components (--by freq) on a grokked modular-arithmetic stream
# (from pipelines/transformer-grokking.sh): the circuit --circuit keeps
# carries the task, i.e. ablating its frequencies together destroys test
# accuracy, while ablating as many frequencies drawn at random (several
# seeds; drawn from all frequencies, and from those outside the circuit)
# does not. Also: keeping only the circuit (all else ablated).
# One forward pass per traj-ablate call; the rest transforms logits.
#
# Usage: pipelines/ablate-fourier.sh RUN.traj [OUTDIR]  (default fourier-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (1), METHOD (mean),
#   THRESHOLDS (circuit loss thresholds in nats, "0.1 0.3"),
#   SEEDS (random draws, "1 2 3 4 5").
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
run=${1:?usage: ablate-fourier.sh RUN.traj [OUTDIR]}
out=${2:-fourier-out}
mkdir -p "$out"
set -- -q --by freq --threads "${THREADS:-1}" -m "${METHOD:-mean}"

value() { awk -F'\t' -v m="$1" '$3 == m { print $4 }' "$2"; }
joint_acc() { traj ablate "$@" --joint "$run" | awk -F'\t' '$3 == "ablate/joint/acc" { print $4 }'; }

traj ablate "$@" --list "$run" >"$out/all.txt"
for t in ${THRESHOLDS:-0.1 0.3}; do
	traj ablate "$@" --circuit --threshold "$t" "$run" >"$out/circuit-$t.tsv"
	awk -F'\t' '$3 ~ /\/importance$/ { sub(/^circuit\//, "", $3);
		sub(/\/importance$/, "", $3); print $3 }' "$out/circuit-$t.tsv" >"$out/circuit-$t.txt"
	n=$(wc -l <"$out/circuit-$t.txt")
	echo "threshold $t: circuit of $n frequencies:" \
		"$(sed 's/^logits\.freq\.//' "$out/circuit-$t.txt" | paste -sd' ')" \
		"($(value circuit/logit_evals "$out/circuit-$t.tsv") logit evaluations," \
		"$(value circuit/forward_passes "$out/circuit-$t.tsv") forward pass)"
	echo "  clean test accuracy: $(value circuit/clean_acc "$out/circuit-$t.tsv")"
	echo "  keeping only the circuit (all other frequencies ablated): test accuracy $(value circuit/acc "$out/circuit-$t.tsv")"
	echo "  ablating the $n circuit frequencies together: test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/circuit-$t.txt")")"
	for seed in ${SEEDS:-1 2 3 4 5}; do
		shuf -n "$n" --random-source=<(yes "$seed") "$out/all.txt" >"$out/random-$t-$seed.txt"
		echo "  ablating $n random frequencies (seed $seed, $(grep -cxF -f "$out/circuit-$t.txt" "$out/random-$t-$seed.txt") in the circuit): test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/random-$t-$seed.txt")")"
		# the same, drawn only from the frequencies outside the circuit
		grep -vxF -f "$out/circuit-$t.txt" "$out/all.txt" |
			shuf -n "$n" --random-source=<(yes "$seed") >"$out/outside-$t-$seed.txt"
		echo "  ablating $(wc -l <"$out/outside-$t-$seed.txt") random frequencies outside the circuit (seed $seed): test accuracy $(joint_acc "$@" -c "$(paste -sd, "$out/outside-$t-$seed.txt")")"
	done
done

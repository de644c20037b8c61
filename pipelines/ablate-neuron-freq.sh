#!/bin/bash
# Neurons grouped by frequency on a grokked modular-arithmetic transformer
# (from pipelines/transformer-grokking.sh): traj ablate --by neuron-freq
# names each neuron of the last block's MLP by the strongest frequency of
# its logit direction W_out[j] W_U (weights only), then ablates the groups.
# For every group: ablating its neurons together against as many neurons
# drawn at random, and keeping only that group (every other neuron
# ablated) against ablating as many random neurons; then the circuit of
# groups.
#
# Usage: pipelines/ablate-neuron-freq.sh RUN.traj
# Environment: TRAJ_BIN (default build/bin), THREADS (1), METHOD (mean),
#   SEEDS (random draws, "1 2 3"), THRESHOLD (circuit, 0.1).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
run=${1:?usage: ablate-neuron-freq.sh RUN.traj}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -- -q --threads "${THREADS:-1}" -m "${METHOD:-mean}"

value() { awk -F'\t' -v m="$1" '$3 == m { print $4 }'; }
# joint ARGS...: accuracy and loss increase with the selection ablated together
joint() {
	traj ablate "$@" --joint "$run" | awk -F'\t' '
		$3 == "ablate/joint/acc" { a = $4 } $3 == "ablate/joint/loss_delta" { l = $4 }
		END { printf "accuracy %.4f, loss +%.3f", a, l }'
}
random_neurons() { shuf -n "$1" --random-source=<(yes "$2") "$tmp/neurons.txt" | paste -sd,; }

traj ablate "$@" --list -c "$(traj ablate --list "$run" | grep '\.mlp\.n' | head -1 | sed 's/n[0-9]*$/n*/')" \
	"$run" >"$tmp/neurons.txt"
traj ablate "$@" --by neuron-freq "$run" >"$tmp/groups.tsv"
total=$(wc -l <"$tmp/neurons.txt")
echo "$total neurons in $(grep -c $'/neurons\t' "$tmp/groups.tsv") groups:" \
	"$(awk -F'\t' '$3 ~ /\/neurons$/ { g = $3; sub(/^ablate\/.*freq/, "", g);
		sub(/\/neurons$/, "", g); printf "%sfreq %s: %d", s, g, $4; s = ", " }' "$tmp/groups.tsv")"
for group in $(traj ablate --by neuron-freq --list "$run"); do
	n=$(value "ablate/$group/neurons" <"$tmp/groups.tsv")
	echo "$group ($n neurons)"
	echo "  ablated: $(joint "$@" --by neuron-freq -c "$group")"
	for seed in ${SEEDS:-1 2 3}; do
		echo "  $n random neurons (seed $seed): $(joint "$@" -c "$(random_neurons "$n" "$seed")")"
	done
	rest=$(traj ablate --by neuron-freq --list "$run" | grep -vxF "$group" | paste -sd,)
	[ -n "$rest" ] || continue
	echo "  kept alone (the other $((total - n)) ablated): $(joint "$@" --by neuron-freq -c "$rest")"
	for seed in ${SEEDS:-1 2 3}; do
		echo "  $((total - n)) random neurons (seed $seed): $(joint "$@" -c "$(random_neurons "$((total - n))" "$seed")")"
	done
done
traj ablate "$@" --by neuron-freq --circuit --threshold "${THRESHOLD:-0.1}" "$run" >"$tmp/circuit.tsv"
echo "circuit (threshold ${THRESHOLD:-0.1}): $(value circuit/size <"$tmp/circuit.tsv") groups," \
	"$(value circuit/neurons <"$tmp/circuit.tsv") neurons, test accuracy $(value circuit/acc <"$tmp/circuit.tsv"):" \
	"$(awk -F'\t' '$3 ~ /\/importance$/ { g = $3; sub(/^circuit\//, "", g); sub(/\/importance$/, "", g); printf "%s ", g }' "$tmp/circuit.tsv")"

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
# The figures are checked against the ranges for the stream's size
# (pipelines/lib/range.sh): QUICK=1 for a stream of
# QUICK=1 pipelines/transformer-grokking.sh, else its full size
# (STEPS=8000 EVERY=200, README.md): the number of groups, that no group
# kept alone keeps the task, and the circuit of groups.
#
# Usage: pipelines/ablate-neuron-freq.sh RUN.traj
# Environment: TRAJ_BIN (default build/bin), THREADS (1), METHOD (mean),
#   SEEDS (random draws, "1 2 3"; QUICK "1"), THRESHOLD (circuit, 0.1),
#   QUICK, CHECK (0: no range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
run=${1:?usage: ablate-neuron-freq.sh RUN.traj}
seeds=${SEEDS:-1 2 3}
[ "$range_size" = full ] || seeds=${SEEDS:-1}
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
ngroups=$(grep -c $'/neurons\t' "$tmp/groups.tsv") || true
best_alone=0   # the highest accuracy of a group kept alone
accuracy() { sed 's/^accuracy \([^,]*\),.*/\1/'; }
echo "$total neurons in $ngroups groups:" \
	"$(awk -F'\t' '$3 ~ /\/neurons$/ { g = $3; sub(/^ablate\/.*freq/, "", g);
		sub(/\/neurons$/, "", g); printf "%sfreq %s: %d", s, g, $4; s = ", " }' "$tmp/groups.tsv")"
for group in $(traj ablate --by neuron-freq --list "$run"); do
	n=$(value "ablate/$group/neurons" <"$tmp/groups.tsv")
	echo "$group ($n neurons)"
	echo "  ablated: $(joint "$@" --by neuron-freq -c "$group")"
	for seed in $seeds; do
		echo "  $n random neurons (seed $seed): $(joint "$@" -c "$(random_neurons "$n" "$seed")")"
	done
	rest=$(traj ablate --by neuron-freq --list "$run" | grep -vxF "$group" | paste -sd,)
	[ -n "$rest" ] || continue
	alone=$(joint "$@" --by neuron-freq -c "$rest")
	echo "  kept alone (the other $((total - n)) ablated): $alone"
	best_alone=$(echo "$alone" | accuracy | awk -v b="$best_alone" '{ print ($1 > b) ? $1 : b }')
	for seed in $seeds; do
		echo "  $((total - n)) random neurons (seed $seed): $(joint "$@" -c "$(random_neurons "$((total - n))" "$seed")")"
	done
done
traj ablate "$@" --by neuron-freq --circuit --threshold "${THRESHOLD:-0.1}" "$run" >"$tmp/circuit.tsv"
echo "circuit (threshold ${THRESHOLD:-0.1}): $(value circuit/size <"$tmp/circuit.tsv") groups," \
	"$(value circuit/neurons <"$tmp/circuit.tsv") neurons, test accuracy $(value circuit/acc <"$tmp/circuit.tsv"):" \
	"$(awk -F'\t' '$3 ~ /\/importance$/ { g = $3; sub(/^circuit\//, "", g); sub(/\/importance$/, "", g); printf "%s ", g }' "$tmp/circuit.tsv")"

# README.md (full size): 512 neurons in 5 groups, kept alone 0.050 to
# 0.100, circuit of 4 groups (436 neurons), accuracy 0.9988. QUICK: 256
# neurons in 5 groups, kept alone 0.048 to 0.255, circuit of 4 groups
# (237 neurons), accuracy 0.982.
range "groups" "$ngroups" 3 7
range "circuit: groups" "$(value circuit/size <"$tmp/circuit.tsv")" 2 5
if [ "$range_size" = quick ]; then
	range "best accuracy of a group kept alone" "$best_alone" 0 0.35
	range "circuit: test accuracy" "$(value circuit/acc <"$tmp/circuit.tsv")" 0.95 1
else
	range "best accuracy of a group kept alone" "$best_alone" 0 0.2
	range "circuit: test accuracy" "$(value circuit/acc <"$tmp/circuit.tsv")" 0.98 1
fi
range_done

#!/bin/sh
# Which component carries each stretch of a transition: for every pair of
# consecutive checkpoints whose test accuracy differs by more than MIN_DELTA,
# patch each component's weights from the earlier checkpoint into the later
# one (traj ablate --from-step) and print the share of the accuracy change
# it carries. Prints metric lines (timepatch/<component>/carried at the
# later step) on stdout and a table on stderr.
#
# Usage: pipelines/timepatch-sweep.sh RUN.traj [COMPONENT-GLOB]...
#   (default components: every head and the MLP of block 0)
# Environment: TRAJ_BIN (default build/bin), MIN_DELTA (0.05), THREADS (1).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
[ $# -ge 1 ] || { echo "usage: $0 RUN.traj [COMPONENT-GLOB]..." >&2; exit 64; }
run=$1
shift
[ $# -ge 1 ] || set -- 'blocks.0.attn.*' blocks.0.mlp
min_delta=${MIN_DELTA:-0.05}
threads=${THREADS:-1}
comps=""
for c in "$@"; do comps="$comps -c $c"; done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
traj score --threads "$threads" "$run" | awk '$3 == "test/acc" { print $2, $4 }' >"$tmp/acc"

# consecutive pairs (from, to) whose accuracy moved by more than min_delta
awk -v m="$min_delta" 'NR > 1 { d = $2 - acc; if (d > m || d < -m) print step, $1 }
	{ step = $1; acc = $2 }' "$tmp/acc" >"$tmp/pairs"

printf '%-8s %-8s %s\n' from to "carried by component (share of the test-accuracy change)" >&2
while read -r from to; do
	# shellcheck disable=SC2086 # $comps is a list of options
	traj ablate --threads "$threads" --step "$to" --from-step "$from" $comps "$run" \
		2>/dev/null | grep '/carried	' | tee "$tmp/out"
	printf '%-8s %-8s ' "$from" "$to" >&2
	awk -F'\t' '{ split($3, p, "/"); printf "%s %.2f  ", p[2], $4 }' "$tmp/out" >&2
	echo >&2
done <"$tmp/pairs"

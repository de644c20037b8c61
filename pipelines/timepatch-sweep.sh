#!/bin/sh
# Which component carries each stretch of a transition: for every pair of
# consecutive checkpoints whose test accuracy differs by more than MIN_DELTA,
# patch each component's weights from the earlier checkpoint into the later
# one (traj ablate --from-step) and print the share of the accuracy change
# it carries. Prints metric lines (timepatch/<component>/carried at the
# later step) on stdout and a table on stderr.
#
#
# On a grokked transformer of pipelines/transformer-grokking.sh (QUICK=1
# for its quick stream, whose checkpoints 50 steps apart move by less:
# MIN_DELTA 0.035) the shares of the pairs after memorisation (train
# accuracy >= 0.95 at the earlier checkpoint) are checked against the
# documented ranges (pipelines/lib/range.sh; the line goes to stderr).
#
# Usage: pipelines/timepatch-sweep.sh RUN.traj [COMPONENT-GLOB]...
#   (default components: every head and the MLP of block 0)
# Environment: TRAJ_BIN (default build/bin), MIN_DELTA (0.05; QUICK
#   0.035), THREADS (1), QUICK, CHECK (0: no range checks; also when
#   components are given).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
[ $# -ge 1 ] || { echo "usage: $0 RUN.traj [COMPONENT-GLOB]..." >&2; exit 64; }
run=$1
shift
[ $# -ge 1 ] || set -- 'blocks.0.attn.*' blocks.0.mlp
[ "$*" = 'blocks.0.attn.* blocks.0.mlp' ] || CHECK=0
min_delta=${MIN_DELTA:-0.05}
[ "$range_size" = full ] || min_delta=${MIN_DELTA:-0.035}
threads=${THREADS:-1}
comps=""
for c in "$@"; do comps="$comps -c $c"; done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
traj score --threads "$threads" "$run" >"$tmp/scores"
awk '$3 == "test/acc" { print $2, $4 }' "$tmp/scores" >"$tmp/acc"

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
	awk -v from="$from" '{ print from "\t" $0 }' "$tmp/out" >>"$tmp/all"
done <"$tmp/pairs"

# README.md (full size): from step 4400 to 6000, six pairs, the MLP
# carrying 0.31 to 0.55 of each, a head 0.03 to 0.14. QUICK: from step
# 250 to 550, five pairs, the MLP 0.30 to 0.57, a head -0.06 to 0.25.
awk '$3 == "train/acc" { print $2, $4 }' "$tmp/scores" >"$tmp/train"
touch "$tmp/all"
awk -F'\t' 'NR == FNR { split($0, f, " "); train[f[1]] = f[2]; next }
	train[$1] >= 0.95 { pairs[$1]; if ($4 ~ /mlp/) { m += $5; mn++ } else { h += $5; hn++ } }
	END { n = 0; for (p in pairs) n++
	      printf "%d %s %s\n", n, mn ? m / mn : "", hn ? h / hn : "" }' \
	"$tmp/train" "$tmp/all" >"$tmp/summary"
read -r npairs mlp head <"$tmp/summary"
range "pairs after memorisation" "$npairs" 3 12
range "mean share carried by the MLP" "${mlp:-}" 0.25 0.7
range "mean share carried by a head" "${head:-}" -0.05 0.2
range_done >&2

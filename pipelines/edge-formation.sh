#!/bin/bash
# When does a circuit's edge form? For every checkpoint of a stream, the
# loss increase of ablating (mean) each edge selected by -c-style globs,
# summed per sender, next to a metric of traj score: one row per step.
# On the induction stream of pipelines/induction.sh the default edges are
# the layer-0 heads' outputs into the layer-1 heads' keys (K-composition).
#
#
# With the default edges and metric, the figures are checked against the
# ranges for the stream's size (pipelines/lib/range.sh; QUICK=1 for a
# stream of QUICK=1 pipelines/induction.sh): the strongest sender's
# edges start near 0 and end strong, and reach half their last weight
# within 300 steps of the metric's passing half-way down.
#
# Usage: pipelines/edge-formation.sh RUN.traj
# Environment: TRAJ_BIN (default build/bin), EDGES (glob,
#   'blocks.0.attn.head*->blocks.1.attn.head*.k'), METRIC (traj score's,
#   test/repeat/loss), LIMIT (test examples per pass, 200; QUICK 100),
#   THREADS (1),
#   QUICK, CHECK (0: no range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
run=${1:?usage: edge-formation.sh RUN.traj}
[ -z "${EDGES:-}${METRIC:-}" ] || CHECK=0
edges=${EDGES:-'blocks.0.attn.head*->blocks.1.attn.head*.k'}
metric=${METRIC:-test/repeat/loss}
limit=${LIMIT:-200}
[ "$range_size" = full ] || limit=${LIMIT:-100}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
traj score --threads "${THREADS:-1}" "$run" |
	awk -F'\t' -v m="$metric" '$3 == m { print $2 "\t" $4 }' >"$tmp/metric.tsv"
for step in $(traj snapshot --list "$run" | awk -F'\t' '$1 == "ckpt" { print $3 }'); do
	traj ablate -q --by edge --threads "${THREADS:-1}" --limit "$limit" \
		--step "$step" -c "$edges" "$run"
done | awk -F'\t' '$3 ~ /\/loss_delta$/ { e = $3; sub(/^ablate\//, "", e);
		sub(/->.*/, "", e); print $2 "\t" e "\t" $4 }' >"$tmp/edges.tsv"
awk -F'\t' -v m="$metric" '
	NR == FNR { val[$1] = $2; next }
	{ sum[$1, $2] += $3; if (!($2 in seen)) { seen[$2] = 1; names[++n] = $2 }
	  if (!($1 in st)) { st[$1] = 1; steps[++k] = $1 } }
	END {
		printf "step\t%s", m
		for (i = 1; i <= n; i++) printf "\t%s", names[i]
		printf "\n"
		for (j = 1; j <= k; j++) {
			printf "%s\t%.3f", steps[j], val[steps[j]]
			for (i = 1; i <= n; i++) printf "\t%.3f", sum[steps[j], names[i]]
			printf "\n"
		}
	}' "$tmp/metric.tsv" "$tmp/edges.tsv" >"$tmp/table.tsv"
cat "$tmp/table.tsv"

# README.md (full size): head 0.2's edges 0.001 at step 700, 0.377 at
# step 3000, half of that by step 1000, where the repeat loss (3.967 at
# step 700, 0.556 at 3000) passes half-way down too. QUICK: head 0.1's
# edges 0 at step 0, 0.132 at step 1500, half of that at step 1100; the
# repeat loss (4.178 to 0.763) half-way down at step 1000.
awk -F'\t' 'NR == 2 { m0 = $2; for (i = 3; i <= NF; i++) e0[i] = $i }
	NR > 1 { step[NR] = $1; m[NR] = $2; for (i = 3; i <= NF; i++) e[NR, i] = $i; last = NR }
	END {
		top = 3
		for (i = 3; i <= NF; i++) if (e[last, i] > e[last, top]) top = i
		for (r = 2; r <= last; r++) if (e[r, top] >= e[last, top] / 2) { es = step[r]; break }
		for (r = 2; r <= last; r++) if (m[r] <= (m0 + m[last]) / 2) { ms = step[r]; break }
		printf "%s %s %s\n", e0[top], e[last, top], es != "" && ms != "" ? es - ms : "none"
	}' "$tmp/table.tsv" >"$tmp/summary"
read -r top_first top_last lag <"$tmp/summary"
range "strongest sender: first checkpoint" "$top_first" -0.02 0.02
if [ "$range_size" = quick ]; then
	range "strongest sender: last checkpoint" "$top_last" 0.08 0.6
else
	range "strongest sender: last checkpoint" "$top_last" 0.2 0.6
fi
range "half the strongest edges' weight, less half the metric's drop (steps)" "$lag" -300 300
range_done

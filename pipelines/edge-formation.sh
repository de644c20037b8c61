#!/bin/bash
# When does a circuit's edge form? For every checkpoint of a stream, the
# loss increase of ablating (mean) each edge selected by -c-style globs,
# summed per sender, next to a metric of traj score: one row per step.
# On the induction stream of pipelines/induction.sh the default edges are
# the layer-0 heads' outputs into the layer-1 heads' keys (K-composition).
#
# Usage: pipelines/edge-formation.sh RUN.traj
# Environment: TRAJ_BIN (default build/bin), EDGES (glob,
#   'blocks.0.attn.head*->blocks.1.attn.head*.k'), METRIC (traj score's,
#   test/repeat/loss), LIMIT (test examples per pass, 200), THREADS (1).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
run=${1:?usage: edge-formation.sh RUN.traj}
edges=${EDGES:-'blocks.0.attn.head*->blocks.1.attn.head*.k'}
metric=${METRIC:-test/repeat/loss}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
traj score --threads "${THREADS:-1}" "$run" |
	awk -F'\t' -v m="$metric" '$3 == m { print $2 "\t" $4 }' >"$tmp/metric.tsv"
for step in $(traj snapshot --list "$run" | awk -F'\t' '$1 == "ckpt" { print $3 }'); do
	traj ablate -q --by edge --threads "${THREADS:-1}" --limit "${LIMIT:-200}" \
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
	}' "$tmp/metric.tsv" "$tmp/edges.tsv"

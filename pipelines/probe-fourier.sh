#!/bin/sh
# Science check: linear probes find the key Fourier frequencies of a grokked
# modular-addition transformer (Nanda et al., 2023), and the probe for the
# answer rises with test accuracy over the trajectory.
#
# 1. On the last checkpoint, probes from the token embedding of a
#    (hook_embed at position 0) to cos/sin(2 pi k a / p) for every k, split
#    by the value of a (--group a: scored on values of a never fitted), so
#    a probe succeeds only where the embedding is a linear function of the
#    Fourier feature; key frequencies = mean R^2 of cos and sin >= KEY.
# 2. On every checkpoint, probes from the residual stream after the block
#    at the last position, on the model's test inputs (--split test), to
#    the answer (categorical) and cos/sin(2 pi k (a+b) / p); printed beside
#    test/acc from traj score.
#
# Usage: pipelines/probe-fourier.sh RUN.traj [OUTDIR]   (default probe-out)
#   RUN.traj: a stream of pipelines/transformer-grokking.sh.
# Environment: TRAJ_BIN (tools, default build/bin), THREADS (2), KEY (0.9),
#   EVERY (table spacing in steps, 800).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
run=${1:?usage: probe-fourier.sh RUN.traj [OUTDIR]}
out=${2:-probe-out}
threads=${THREADS:-2}
key=${KEY:-0.9}
every=${EVERY:-800}
mkdir -p "$out"

traj snapshot --last "$run" | traj probe --threads "$threads" \
	-k hook_embed --pos 0 --group a -T 'a_cos*' -T 'a_sin*' >"$out/embed.tsv"
# k <TAB> mean R^2 of cos and sin, best first
awk -F'\t' '{ split($3, m, "/"); k = m[3]; sub(/^a_(cos|sin)/, "", k);
	      s[k] += $4 / 2 } END { for (k in s) printf "%s\t%.4f\n", k, s[k] }' \
	"$out/embed.tsv" | sort -t"$(printf '\t')" -k2,2gr >"$out/embed-freqs.tsv"
keys=$(awk -v t="$key" '$2 >= t { printf "%s ", $1 }' "$out/embed-freqs.tsv")
echo "embedding (hook_embed, pos 0, held-out values of a): R^2 of cos/sin(2 pi k a/p)"
echo "  key frequencies (R^2 >= $key): $keys"
awk -v t="$key" '$2 >= t { n++; s += $2 } $2 < t { m++; r += $2; if ($2 > top) top = $2 }
	END { printf "  mean R^2: key %.3f (%d), others %.3f (%d, best %.3f)\n",
	      s / n, n, r / m, m, top }' "$out/embed-freqs.tsv"
echo "  top 10: $(head -10 "$out/embed-freqs.tsv" | tr '\t\n' '= ')"

[ -s "$out/scores.tsv" ] || traj score --threads "$threads" "$run" >"$out/scores.tsv"
start=$(date +%s)
traj probe --threads "$threads" --split test -T answer -T 'answer_cos*' \
	-T 'answer_sin*' "$run" >"$out/probe.tsv"
echo "trajectory probes: $(($(date +%s) - start)) s for $(grep -c answer/acc "$out/probe.tsv") checkpoints"
echo "residual stream (blocks.0.hook_resid_post, last position, model's test inputs):"
printf 'step\ttest/acc\tprobe/answer/acc\tR2 key (a+b)\tR2 others\n'
cat "$out/scores.tsv" "$out/probe.tsv" | awk -F'\t' -v keys="$keys" -v every="$every" '
	BEGIN { n = split(keys, k, " "); for (i = 1; i <= n; i++) iskey[k[i]] = 1 }
	$3 == "test/acc" { acc[$2] = $4; steps[$2] = 1 }
	$3 ~ /answer\/acc$/ { pacc[$2] = $4 }
	$3 ~ /answer_(cos|sin)/ { split($3, m, "/"); f = m[3]; sub(/^answer_(cos|sin)/, "", f);
		if (f in iskey) { ks[$2] += $4; kn[$2]++ } else { os[$2] += $4; on[$2]++ } }
	END { for (s in steps) if (s % every == 0 && s in pacc)
		printf "%d\t%.3f\t%.3f\t%.3f\t%.3f\n", s, acc[s], pacc[s],
		       kn[s] ? ks[s] / kn[s] : 0, on[s] ? os[s] / on[s] : 0 }' |
	sort -n
cat "$out/scores.tsv" "$out/probe.tsv" |
	traj emerge -w 'test/acc>=0.5' -w 'probe/blocks.0.hook_resid_post/answer/acc>=0.5' \
		-w 'test/acc>=0.9' -w 'probe/blocks.0.hook_resid_post/answer/acc>=0.9' |
	awk -F'\t' '{ printf "  %s first at step %s\n", $9, $2 }'

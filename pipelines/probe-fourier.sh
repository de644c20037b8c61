#!/bin/sh
# Linear probes find the key Fourier frequencies of a grokked
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
# The figures are checked against the ranges for the stream's size
# (pipelines/lib/range.sh): QUICK=1 for a stream of
# QUICK=1 pipelines/transformer-grokking.sh, else its full size
# (STEPS=8000 EVERY=200, README.md).
#
# Usage: pipelines/probe-fourier.sh RUN.traj [OUTDIR]   (default probe-out)
#   RUN.traj: a stream of pipelines/transformer-grokking.sh.
# Environment: TRAJ_BIN (tools, default build/bin), THREADS (2), KEY (0.9),
#   EVERY (table spacing in steps, 800; QUICK 200), QUICK, CHECK (0: no
#   range checks).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
run=${1:?usage: probe-fourier.sh RUN.traj [OUTDIR]}
out=${2:-probe-out}
threads=${THREADS:-2}
key=${KEY:-0.9}
every=${EVERY:-800}
[ "$range_size" = full ] || every=${EVERY:-200}
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
	END { printf "%d\t%.3f\t%d\t%.3f\t%.3f\n", n, n ? s / n : 0, m, m ? r / m : 0, top }' \
	"$out/embed-freqs.tsv" >"$out/embed-summary.tsv"
read -r nkey key_r2 nother other_r2 best_other <"$out/embed-summary.tsv"
echo "  mean R^2: key $key_r2 ($nkey), others $other_r2 ($nother, best $best_other)"
echo "  top 10: $(head -10 "$out/embed-freqs.tsv" | tr '\t\n' '= ')"

[ -s "$out/scores.tsv" ] || traj score --threads "$threads" "$run" >"$out/scores.tsv"
start=$(date +%s)
traj probe --threads "$threads" --split test -T answer -T 'answer_cos*' \
	-T 'answer_sin*' "$run" >"$out/probe.tsv"
echo "trajectory probes: $(($(date +%s) - start)) s for $(grep -c answer/acc "$out/probe.tsv") checkpoints"
echo "residual stream (blocks.0.hook_resid_post, last position, model's test inputs):"
printf 'step\ttest/acc\tprobe/answer/acc\tR2 key (a+b)\tR2 others\n'
cat "$out/scores.tsv" "$out/probe.tsv" | awk -F'\t' -v keys="$keys" '
	BEGIN { n = split(keys, k, " "); for (i = 1; i <= n; i++) iskey[k[i]] = 1 }
	$3 == "test/acc" { acc[$2] = $4; steps[$2] = 1 }
	$3 ~ /answer\/acc$/ { pacc[$2] = $4 }
	$3 ~ /answer_(cos|sin)/ { split($3, m, "/"); f = m[3]; sub(/^answer_(cos|sin)/, "", f);
		if (f in iskey) { ks[$2] += $4; kn[$2]++ } else { os[$2] += $4; on[$2]++ } }
	END { for (s in steps) if (s in pacc)
		printf "%d\t%.3f\t%.3f\t%.3f\t%.3f\n", s, acc[s], pacc[s],
		       kn[s] ? ks[s] / kn[s] : 0, on[s] ? os[s] / on[s] : 0 }' |
	sort -n >"$out/trajectory.tsv"
awk -v every="$every" '$1 % every == 0' "$out/trajectory.tsv"
cat "$out/scores.tsv" "$out/probe.tsv" |
	traj emerge -w 'test/acc>=0.5' -w 'probe/blocks.0.hook_resid_post/answer/acc>=0.5' \
		-w 'test/acc>=0.9' -w 'probe/blocks.0.hook_resid_post/answer/acc>=0.9' >"$out/emerge.tsv"
awk -F'\t' '{ printf "  %s first at step %s\n", $9, $2 }' "$out/emerge.tsv"

# README.md (full size): key frequencies 4 9 29 37 49, mean R^2 0.975 to
# 0.996, the others -0.16; at step 8000 the answer probe 0.998, R^2 key
# 0.947, others 0.071; test accuracy and probe past 0.5 at step 5200.
# QUICK: key 5 12 18 (0.942), others -0.41; at step 1000 the probe 0.66,
# R^2 key 0.86, others 0.04; the probe past 0.5 at step 750.
first() { awk -F'\t' -v m="$1" '$9 == m { print $2; exit }' "$out/emerge.tsv"; }
tail -1 "$out/trajectory.tsv" >"$out/last.tsv"
read -r _ _ last_probe last_key last_other <"$out/last.tsv"
range "others: mean R^2 (embedding)" "$other_r2" -1 0.3
range "last checkpoint: R^2 others (a+b)" "$last_other" -0.1 0.2
if [ "$range_size" = quick ]; then
	range "key frequencies" "$nkey" 2 5
	range "key frequencies: mean R^2 (embedding)" "$key_r2" 0.9 1
	range "last checkpoint: answer probe accuracy" "$last_probe" 0.45 1
	range "last checkpoint: R^2 key (a+b)" "$last_key" 0.7 1
	range "answer probe first >= 0.5 (step)" "$(first 'probe/blocks.0.hook_resid_post/answer/acc>=0.5')" 300 1000
else
	range "key frequencies" "$nkey" 3 7
	range "key frequencies: mean R^2 (embedding)" "$key_r2" 0.95 1
	range "last checkpoint: answer probe accuracy" "$last_probe" 0.95 1
	range "last checkpoint: R^2 key (a+b)" "$last_key" 0.85 1
	range "test/acc first >= 0.5 (step)" "$(first 'test/acc>=0.5')" 4000 6500
	range "answer probe first >= 0.5 (step)" "$(first 'probe/blocks.0.hook_resid_post/answer/acc>=0.5')" 4000 6500
fi
range_done

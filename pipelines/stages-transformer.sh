#!/bin/sh
# The three phases of Nanda et al. (2023) on their own model, the
# one-block transformer on a+b mod 113: memorisation, circuit formation
# and clean-up, dated from the progress measures (traj progress) and the
# accuracies (traj score), with the transitions traj emerge finds in each
# series and the LLC (traj llc) of every few checkpoints against the same
# phases. docs/stages.md reports and discusses the figures.
#
# Full size: p = 113, 30% of the pairs, d_model 128, 4 heads of 32, d_mlp
# 512, ReLU, AdamW lr 1e-3, weight decay 1, betas (0.9, 0.98), as
# transformer-grokking.sh, but minibatches of 512 pairs instead of the
# full batch (a step costs 7.5 times less; the run groks by step ~3500
# instead of ~6000), 5000 steps, a checkpoint every 50, the LLC every 250
# steps. QUICK=1 (CI): p = 47, 60% of the pairs, d_model 64, d_mlp 256,
# lr 3e-3, full batch, 800 steps, the LLC every 200 steps.
#
# The phases, by rules written down before looking at the model's
# insides (each a step of the checkpoint grid):
#   memorisation   from 0 to M, the first step with train accuracy >= 0.99;
#   circuit formation   from M to C, the step after the last one at
#                  which the sum of squared weights is within 10% of its
#                  largest value since M: from C on it stays more than
#                  10% below (weight decay removing the memorising
#                  weights; "stays" because minibatches make it jitter);
#   clean-up       from C to E, the first step after C with test accuracy
#                  >= 0.999.
# T, the test-accuracy transition, is the first step with test accuracy
# >= 0.95 (as in transformer-grokking.sh).
#
# Usage: pipelines/stages-transformer.sh [OUTDIR]   (default: stages-tf-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK,
#   REUSE=1 to analyse OUTDIR/run.traj again without training it (and
#   without recomputing the scores, progress measures and LLC found there).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-stages-tf-out}
mkdir -p "$out"
threads=${THREADS:-2}

if [ "$range_size" = quick ]; then
	set -- --p 47 --frac 0.6 --d-model 64 --heads 4 --d-head 16 --d-mlp 256 \
		--lr 3e-3 --steps 800 --every 25
	llc_every=200
else
	set -- --p 113 --frac 0.3 --d-model 128 --heads 4 --d-head 32 --d-mlp 512 \
		--lr 1e-3 --batch 512 --steps 5000 --every 50
	llc_every=250
fi
# The LLC's localisation is 100 times traj llc's default: at gamma 100
# a chain wanders as far from w* as the weights are large (its loss
# rises from ~0 to 13 nats, above chance) and the estimate grows in
# proportion to eps (docs/stages.md); at gamma 1e4 it barely depends on
# eps. Two chains: they agree to a few percent.
llc_opts="--chains 2 --draws 100 --gamma 10000 --eps 3e-5"
if [ "${REUSE:-0}" = 1 ] && [ -s "$out/run.traj" ]; then
	echo "reusing $out/run.traj" >&2
else
	echo "traj train $*" >&2
	traj train --quiet --threads "$threads" --model transformer --task modadd \
		"$@" --layers 1 --activation relu --optim adamw --wd 1 --beta1 0.9 \
		--beta2 0.98 --seed 1 --no-state --force --out "$out/run.traj"
fi
# have FILE: with REUSE=1, FILE from an earlier run is kept
have() { [ "${REUSE:-0}" = 1 ] && [ -s "$out/$1" ]; }
have scores.tsv || traj score --threads "$threads" "$out/run.traj" >"$out/scores.tsv"
have progress.tsv || traj progress --threads "$threads" "$out/run.traj" \
	>"$out/progress.tsv" 2>"$out/progress.log"
# shellcheck disable=SC2086 # llc_opts is a list of options
have llc.tsv || traj snapshot --every "$llc_every" "$out/run.traj" |
	traj llc -q --threads "$threads" $llc_opts >"$out/llc.tsv.tmp"
have llc.tsv || mv "$out/llc.tsv.tmp" "$out/llc.tsv"
cat "$out/scores.tsv" "$out/progress.tsv" "$out/llc.tsv" >"$out/all.tsv"
traj emerge --changepoint --steepest -m 'test/acc' -m 'train/acc' \
	-m 'test/loss' -m 'progress/restricted_loss' -m 'progress/excluded_loss' \
	-m 'progress/weight_sq_sum' -m 'progress/gini/*' -m 'llc/mean' \
	"$out/all.tsv" >"$out/events.tsv"

# The phase boundaries, by the rules above.
awk -F'\t' -v OFS='\t' '
	$3 == "train/acc" && M == "" && $4 >= 0.99 { M = $2 }
	$3 == "test/acc" { acc[$2] = $4; if (T == "" && $4 >= 0.95) T = $2 }
	$3 == "progress/weight_sq_sum" { w[$2] = $4; steps[++n] = $2 }
	END {
		for (i = 1; i <= n; i++)
			if (M != "" && steps[i] >= M && w[steps[i]] > peak)
				peak = w[steps[i]]
		for (i = 1; i <= n; i++)
			if (M != "" && steps[i] >= M && w[steps[i]] >= 0.9 * peak)
				C = i < n ? steps[i + 1] : ""
		for (i = 1; i <= n; i++)
			if (C != "" && E == "" && steps[i] >= C && acc[steps[i]] >= 0.999)
				E = steps[i]
		print "memorisation_end", M == "" ? "never" : M
		print "cleanup_start", C == "" ? "never" : C
		print "cleanup_end", E == "" ? "never" : E
		print "test_transition", T == "" ? "never" : T
	}' "$out/all.tsv" >"$out/phases.tsv"
phase() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$out/phases.tsv"; }
M=$(phase memorisation_end) C=$(phase cleanup_start) E=$(phase cleanup_end)
T=$(phase test_transition)

value() { # metric at step: value
	awk -F'\t' -v m="$1" -v s="$2" '$3 == m && $2 == s { print $4 }' "$out/all.tsv"
}
peak_step() { # step of the largest value of a metric
	awk -F'\t' -v m="$1" '$3 == m && (!n++ || $4 > v) { v = $4; s = $2 } END { print s }' "$out/all.tsv"
}
# the LLC checkpoint nearest to a step, at or after it
llc_at() {
	awk -F'\t' -v s="$1" '$3 == "llc/mean" && $2 >= s { print $4; exit }' "$out/llc.tsv"
}
llc_peak=$(peak_step llc/mean)
llc_last=$(awk -F'\t' '$3 == "llc/mean" { v = $4 } END { print v }' "$out/llc.tsv")
# (before memorisation ends w* is not a minimum and draws fall below it)
below_max=$(awk -F'\t' -v s="$M" '$3 == "llc/below_init_frac" && $2 >= s && $4 > m { m = $4 } END { print m + 0 }' "$out/llc.tsv")
wmax=$(awk -F'\t' '$3 == "progress/weight_sq_sum" && $4 > m { m = $4 } END { print m }' "$out/all.tsv")
echo "phases: memorisation 0-$M, circuit formation $M-$C, clean-up $C-$E; test accuracy >= 0.95 at $T"
awk -v m="$M" -v c="$C" -v e="$E" -v t="$T" 'function r(x) {
		return x == "never" || t == "never" ? "-" : sprintf("%.2f", x / t) }
	BEGIN { print "relative to the test transition: M/T " r(m) ", C/T " r(c) ", E/T " r(e) }'
for s in 0 "$M" "$C" "$T" "$E"; do
	[ "$s" != never ] || continue
	printf 'step %s: train acc %s, test acc %s, restricted loss %s, excluded loss %s, sum w^2 %s, llc (at or after) %s\n' \
		"$s" "$(value train/acc "$s")" "$(value test/acc "$s")" \
		"$(value progress/restricted_loss "$s")" "$(value progress/excluded_loss "$s")" \
		"$(value progress/weight_sq_sum "$s")" "$(llc_at "$s")"
done
echo "llc peaks at step $llc_peak ($(value llc/mean "$llc_peak")), ends at $llc_last"
echo "largest fraction of draws below L_n(w*) from step $M on: $below_max"
sed 's/^/key frequencies: /; s/^key frequencies: traj-progress: key frequencies/key frequencies/' \
	"$out/progress.log"
echo "events (traj emerge --changepoint, significant rises and falls):"
awk -F'\t' '$9 == "changepoint"' "$out/events.tsv" | cut -f2-4 | sort -n | sed 's/^/  /'

# The picture: losses (log scale) with the phase boundaries as events.
awk -F'\t' -v OFS='\t' '$1 != "test_transition" && $2 != "never" {
	print "phases", $2, $1, "cross", 0, 0, $2, $2, "rule", "inf", 0 }' \
	"$out/phases.tsv" >"$out/phase-events.tsv"
awk -F'\t' -v OFS='\t' -v w="$wmax" -v l="$(value llc/mean "$llc_peak")" '
	$3 == "test/loss" || $3 == "train/loss" || $3 ~ /^progress\/(restricted|excluded)_loss$/ { print }
	$3 == "progress/weight_sq_sum" { $3 = "weight_sq_sum/of_max"; $4 /= w; print }
	$3 == "llc/mean" { $3 = "llc/of_max"; $4 /= l; print }' "$out/all.tsv" |
	traj plot -o "$out/stages.png" --logy -e "$out/phase-events.tsv" --size 900x500 \
		-t "a+b mod $(awk -F'\t' '$3 == "test/acc" { print $1; exit }' "$out/all.tsv" | sed 's/^modadd-p\([0-9]*\).*/\1/'): losses, sum of squared weights and LLC (both over their maximum), and the phases" \
		2>/dev/null || echo "no plot (gnuplot?)" >&2

# docs/stages.md: full size; quick in the first branch.
rel() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0) ? a / b : "nan" }'; }
if [ "$range_size" = quick ]; then
	range "memorisation end (step)" "$M" 25 300
	range "test transition (step)" "$T" 200 800
	range "clean-up start over test transition" "$(rel "$C" "$T")" 0.1 1.5
	range "llc at the end over llc at the peak" "$(rel "$llc_last" "$(value llc/mean "$llc_peak")")" 0 0.8
else
	range "memorisation end (step)" "$M" 400 1200
	range "test transition (step)" "$T" 2500 4500
	range "clean-up start over test transition" "$(rel "$C" "$T")" 0.6 1.1
	range "clean-up end over test transition" "$(rel "$E" "$T")" 1 1.5
	range "llc peak (step), in memorisation or circuit formation" "$llc_peak" 250 "$C"
	range "llc at the end over llc at the peak" "$(rel "$llc_last" "$(value llc/mean "$llc_peak")")" 0 0.5
	range "draws below L_n(w*) after memorisation, largest share" "$below_max" 0 0.05
fi
range_done

#!/bin/sh
# Stages of learning in the grokking MLP: the local learning coefficient
# (traj llc) and Nanda et al.'s progress measures (traj progress) against
# train and test accuracy (traj score), with the transitions traj emerge
# finds in each. docs/stages.md reports and discusses the figures.
#
# Full size: the demo run of grokking-demo.sh (a+b mod 97, width 512,
# AdamW, weight decay 1, 3000 steps), a checkpoint every 30 steps,
# traj-llc with its defaults (10 chains x 100 draws, eps 1e-3, gamma 100,
# batch 256). QUICK=1 (CI): a+b mod 41, width 256, 1000 steps, every 50,
# 4 chains x 100 draws.
#
# Usage: pipelines/llc-grokking.sh [OUTDIR]   (default: llc-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-llc-out}
mkdir -p "$out"
threads=${THREADS:-2}

if [ "$range_size" = quick ]; then
	set -- --task modadd --p 41 --frac 0.6 --width 256 --depth 1 \
		--optim adamw --lr 5e-3 --wd 1 --steps 1000 --every 50 --seed 1
	llc_opts="--chains 4 --draws 100"
else
	set -- --task modadd --p 97 --frac 0.5 --width 512 --depth 1 \
		--optim adamw --lr 1e-3 --wd 1 --steps 3000 --every 30 --seed 1
	llc_opts=""
fi
echo "traj train $*" >&2
traj train --quiet --threads "$threads" "$@" --no-state --out "$out/run.traj"
traj score --threads "$threads" "$out/run.traj" >"$out/scores.tsv"
traj progress -q --threads "$threads" "$out/run.traj" >"$out/progress.tsv"
# shellcheck disable=SC2086 # llc_opts is a list of options
traj llc -q --threads "$threads" --trace 0 $llc_opts "$out/run.traj" >"$out/llc.tsv"
cat "$out/scores.tsv" "$out/progress.tsv" "$out/llc.tsv" >"$out/all.tsv"
traj emerge --changepoint --steepest -m 'test/acc' -m 'train/acc' \
	-m 'progress/restricted_loss' -m 'progress/excluded_loss' -m 'llc/mean' \
	"$out/all.tsv" >"$out/events.tsv"

value() { # metric at step: value
	awk -F'\t' -v m="$1" -v s="$2" '$3 == m && $2 == s { print $4 }' "$out/all.tsv"
}
first_at() { # first step with metric >= threshold
	awk -F'\t' -v m="$1" -v t="$2" '$3 == m && $4 >= t { print $2; f = 1; exit }
		END { if (!f) print "never" }' "$out/all.tsv"
}
peak_step() { # step of the largest value of a metric
	awk -F'\t' -v m="$1" '$3 == m && (!n++ || $4 > v) { v = $4; s = $2 } END { print s }' "$out/all.tsv"
}
last=$(awk -F'\t' '$3 == "llc/mean" { s = $2 } END { print s }' "$out/llc.tsv")
train95=$(first_at train/acc 0.95)
test95=$(first_at test/acc 0.95)
llc_peak=$(peak_step llc/mean)
llc_max=$(value llc/mean "$llc_peak")
llc_last=$(value llc/mean "$last")
below_max=$(awk -F'\t' '$3 == "llc/below_init_frac" && $2 > 0 && $4 > m { m = $4 } END { print m + 0 }' "$out/llc.tsv")
rl_last=$(value progress/restricted_loss "$last")
el_last=$(value progress/excluded_loss "$last")
echo "train accuracy >= 0.95 at step $train95, test accuracy at step $test95"
echo "llc peaks at step $llc_peak ($llc_max), ends at $llc_last (step $last)"
echo "largest fraction of draws below L_n(w*) after step 0: $below_max"
echo "restricted loss at the end $rl_last, excluded loss $el_last"
echo "events (traj emerge):"
cut -f1-4,9 "$out/events.tsv" | sed 's/^/  /'

# docs/stages.md: full size, quick in brackets.
if [ "$range_size" = quick ]; then
	range "train accuracy >= 0.95 (step)" "$train95" 50 250
	range "test accuracy >= 0.95 (step)" "$test95" 600 1000
	range "llc peak (step), before the test transition" "$llc_peak" 50 600
	range "llc at the peak" "$llc_max" 5 200
	range "llc at the end over llc at the peak" "$(awk -v a="$llc_last" -v b="$llc_max" 'BEGIN { print a / b }')" 0 0.8
	range "draws below L_n(w*), largest share" "$below_max" 0 0.2
	range "restricted loss at the end" "$rl_last" 0 0.05
	range "excluded loss at the end" "$el_last" 0.5 5
else
	range "train accuracy >= 0.95 (step)" "$train95" 150 400
	range "test accuracy >= 0.95 (step)" "$test95" 1800 2800
	range "llc peak (step), before the test transition" "$llc_peak" 100 1800
	range "llc at the peak" "$llc_max" 5 500
	range "llc at the end over llc at the peak" "$(awk -v a="$llc_last" -v b="$llc_max" 'BEGIN { print a / b }')" 0 0.8
	range "draws below L_n(w*), largest share" "$below_max" 0 0.2
	range "restricted loss at the end" "$rl_last" 0 0.05
	range "excluded loss at the end" "$el_last" 0.5 10
fi
range_done

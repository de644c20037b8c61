#!/bin/sh
# Predicting from early training (docs/sweeps.md, science check 3): from
# the first 10% of each run's steps of a sweep, will its test accuracy
# rise within the budget, and at which step? traj predict, grouped
# cross-validation over configurations, one feature set a line, so the
# table says which early signals carry the prediction.
#
# The early metric lines of a run are its score lines (runs/ID.tsv:
# train/test loss and accuracy) and traj diff's lines over the early
# checkpoints (weight norms, the embedding's Fourier concentration); diff
# reads the stream only up to the end of the window.
#
# QUICK=1: an 8-run sweep of 100-step runs (seconds), 2 folds, to check
# the pipeline; the figures are only checked to be probabilities.
# Full size: the MLP sweep of pipelines/phase-diagram.sh, or with
# MODEL=tf its transformer sweep (SWEEP=DIR to reuse one already run,
# else it is run into OUTDIR/sweep).
# Usage: pipelines/predict-early.sh [OUTDIR]   (default: predict-out)
# Environment: TRAJ_BIN, MODEL (mlp or tf), SWEEP, EARLY (the window,
# 0.1), QUICK, CHECK.
set -euf # no globbing: tensor names hold *
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-predict-out}
early=${EARLY:-0.1}
mkdir -p "$out"
# the weight matrices whose norms are features; the first one's change too
tensors='layers.*.W' first=layers.0.W

if [ "$range_size" = quick ]; then
	# test accuracy only reaches ~0.7 in 400 steps: threshold 0.5
	folds=2 testacc=0.5 spec=$out/quick.spec
	printf '%s\n' task=modadd p=23 width=64 lr=1e-2 steps=400 every=20 \
		frac=0.85,0.9 wd=0.5,1,3 seed=1,2 >"$spec"
else
	folds=5 testacc=0.9 spec=$here/pipelines/lib/phase-${MODEL:-mlp}.spec
	[ "${MODEL:-mlp}" = tf ] && tensors='embed.W_E blocks.0.mlp.W_in unembed.W_U' first=embed.W_E
fi
sweep=${SWEEP:-$out/sweep}
[ -n "${SWEEP:-}" ] || traj sweep run -j 2 --spec "$spec" "$sweep"
# only this sweep's runs, should the directory hold others (--extend)
traj sweep plan --spec "$spec" | cut -f1 >"$out/ids"
traj sweep collect --test-acc "$testacc" "$sweep" |
	awk -F'\t' 'FNR == NR { keep[$1] = 1; next } FNR == 1 || keep[$1]' \
		"$out/ids" - >"$out/collect.tsv"

# The early lines: a run's window ends at EARLY times its final step, as
# traj predict --early-frac counts it.
awk -F'\t' -v f="$early" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["status"] == "done" { print $c["id"] "\t" f * $c["final_step"] }' \
	"$out/collect.tsv" >"$out/windows.tsv"
: >"$out/early.tsv"
while IFS="$(printf '\t')" read -r id lim; do
	awk -v s="$lim" '$2 <= s' "$sweep/runs/$id.tsv" >>"$out/early.tsv"
	# diff stops reading when awk exits past the window
	# shellcheck disable=SC2046,SC2086 # one -t a tensor
	traj diff --sv 0 $(printf -- '-t %s ' $tensors) "$sweep/runs/$id.traj" |
		awk -v s="$lim" '$2 > s { exit } $3 !~ /^fourier\/embed\/k[0-9]/' \
			>>"$out/early.tsv"
done <"$out/windows.tsv"

# One feature set a line: name, traj predict --features, other options.
loss='log:train/loss,log:test/loss,delta:test/loss'
norm="log:weights/*/norm,delta:weights/$first/norm"
four='fourier/embed/column_top1,fourier/embed/ipr,delta:fourier/embed/column_top1'
# the configuration columns that vary (as traj predict's default)
config=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) {
		if ($i == "status") a = i + 1; if ($i == "final_step") b = i - 1 }
		for (i = a; i <= b; i++) name[i] = $i; next }
	{ for (i = a; i <= b; i++) { if (NR > 2 && $i != v[i]) vary[i] = 1; v[i] = $i } }
	END { for (i = a; i <= b; i++) if (vary[i] && name[i] !~ /seed/)
		printf "%slog:%s", n++ ? "," : "", name[i] }' "$out/collect.tsv")
cat >"$out/sets.tsv" <<EOF
config	$config
loss	$loss
norm	$norm
fourier	$four
early-all	$loss,$norm,$four
early+config	$loss,$norm,$four,$config
early+config-deg1	$loss,$norm,$four,$config	--degree 1
early+config-knn	$loss,$norm,$four,$config	--model knn
EOF

printf 'features\taccuracy\tauroc\tbrier\tauroc_late\tlog_step_rmse\tlog_step_mae\tbaseline_rmse\n' \
	>"$out/early-figures.tsv"
while IFS="$(printf '\t')" read -r name feats opts; do
	# shellcheck disable=SC2086 # opts: words
	traj predict -q $opts --folds "$folds" --early "$out/early.tsv" \
		--early-frac "$early" --features "$feats" \
		--report "$out/report-$name.tsv" "$out/collect.tsv" >"$out/pred-$name.tsv"
	# auroc_late: over the runs whose test accuracy had not yet risen
	# within the window, the ones where stopping early would matter
	late=$(awk -F'\t' -v f="$early" '
		FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		FILENAME == ARGV[1] { if ($c["test_step"] == "NA" ||
			$c["test_step"] > f * $c["final_step"]) keep[$c["id"]] = 1; next }
		keep[$c["id"]] { if ($c["generalises"] == 1) p[++np] = $c["p_generalises"]
			else q[++nq] = $c["p_generalises"] }
		END { if (!np || !nq) { print "nan"; exit }
			for (i = 1; i <= np; i++) for (j = 1; j <= nq; j++)
				s += p[i] > q[j] ? 1 : p[i] == q[j] ? 0.5 : 0
			printf "%.4f\n", s / (np * nq) }' "$out/collect.tsv" "$out/pred-$name.tsv")
	awk -F'\t' -v n="$name" -v late="$late" '{ v[$1] = $2 }
		END { printf "%s\t%.4f\t%.4f\t%.4f\t%s\t%.4f\t%.4f\t%.4f\n", n, v["accuracy"],
			v["auroc"], v["brier"], late, v["log_step_rmse"], v["log_step_mae"],
			v["log_step_baseline_rmse"] }' "$out/report-$name.tsv" >>"$out/early-figures.tsv"
done <"$out/sets.tsv"
column -t -s "$(printf '\t')" "$out/early-figures.tsv"

# The picture: each run at the end of its window, Fourier concentration
# against test loss, by whether it generalised within the budget
if command -v gnuplot >/dev/null; then
	awk -F'\t' 'FILENAME == ARGV[1] { if (FNR == 1) for (i = 1; i <= NF; i++) c[$i] = i
		else gen[$c["id"]] = $c["outcome"] ~ /^(grokking|comprehension)$/; next }
		$3 == "fourier/embed/column_top1" { top[$1] = $4 }
		$3 == "test/loss" { loss[$1] = $4 }
		END { for (id in top) if (id in loss)
			print top[id] "\t" loss[id] "\t" gen[id] }' \
		"$out/collect.tsv" "$out/early.tsv" >"$out/early-points.tsv"
	gnuplot <<PLOT
set terminal pngcairo noenhanced size 720,480
set output '$out/early-signals.png'
set xlabel 'Fourier concentration (column_top1) at the end of the window'
set ylabel 'test loss at the end of the window'
set logscale y
set key top right
plot '$out/early-points.tsv' using (\$3 == 0 ? \$1 : NaN):2 with points pt 7 lc rgb '#cc3333' title 'does not generalise', \
     '' using (\$3 == 1 ? \$1 : NaN):2 with points pt 5 lc rgb '#2266cc' title 'generalises within the budget'
PLOT
fi

auroc() { awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$out/early-figures.tsv"; }
if [ "$range_size" = quick ]; then
	range "auroc (early+config)" "$(auroc early+config)" 0 1
elif [ "${MODEL:-mlp}" = tf ]; then
	range "auroc (loss)" "$(auroc loss)" 0.85 1
else
	range "auroc (early-all)" "$(auroc early-all)" 0.95 1
	range "auroc (fourier)" "$(auroc fourier)" 0.9 1
fi
range_done

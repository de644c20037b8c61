#!/bin/sh
# Phase diagram of grokking (docs/sweeps.md): modular addition over train
# fraction x weight decay (x learning rate) x seeds, run by traj sweep on
# GNU parallel, collected into one table with outcome classes, traj
# predict's held-out figures from the configuration alone, the phase
# diagrams (one per learning rate) and a power-law fit of the test step
# against the train fraction.
#
# MODEL=mlp (default): the sweep of pipelines/lib/phase-mlp.spec (108
# runs); MODEL=transformer: pipelines/lib/phase-tf.spec (60 runs).
# QUICK=1: 4 runs of the MLP sweep's model for 1500 steps (seconds), at
# train fractions 0.4 (it memorises) and 0.9 (it groks), two seeds each.
# SWEEP=DIR collects a sweep directory already run (only the runs of
# this sweep, should DIR hold others). The figures are checked against
# the ranges of docs/sweeps.md (pipelines/lib/range.sh; CHECK=0 skips).
# Usage: pipelines/phase-diagram.sh [OUTDIR]   (default: phase-out)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-phase-out}
mkdir -p "$out"
if [ "${QUICK:-0}" = 1 ]; then
	spec=$out/quick.spec
	printf '%s\n' task=modadd p=41 width=128 steps=1500 every=25 lr=0.01 \
		wd=0.547723 frac=0.4,0.9 seed=1,2 >"$spec"
else
	case ${MODEL:-mlp} in
	mlp) spec=$here/pipelines/lib/phase-mlp.spec ;;
	tf | transformer) spec=$here/pipelines/lib/phase-tf.spec ;;
	*) echo "phase-diagram.sh: MODEL is mlp or transformer" >&2; exit 64 ;;
	esac
fi
sweep=${SWEEP:-$out/sweep}
[ -n "${SWEEP:-}" ] || traj sweep run -j 2 --spec "$spec" "$sweep"
traj sweep plan --spec "$spec" | cut -f1 >"$out/ids"
traj sweep collect "$sweep" |
	awk -F'\t' 'FNR == NR { keep[$1] = 1; next } FNR == 1 || keep[$1]' \
		"$out/ids" - >"$out/collect.tsv"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "outcome") k = i; next }
	{ n[$k]++ } END { for (c in n) print c, n[c] }' "$out/collect.tsv" | sort
if [ "${QUICK:-0}" != 1 ]; then
	traj predict --report "$out/predict.tsv" "$out/collect.tsv" >"$out/pred.tsv"
	traj predict -q --model knn --report "$out/predict-knn.tsv" "$out/collect.tsv" >/dev/null
fi

# The phase diagrams: one per learning rate when the sweep varies it
if command -v gnuplot >/dev/null; then
	lrs=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "lr") k = i; next }
		k { print $k }' "$out/collect.tsv" | sort -g -u)
	if [ "$(echo "$lrs" | wc -w)" -gt 1 ]; then
		for lr in $lrs; do
			awk -F'\t' -v lr="$lr" 'NR == 1 { for (i = 1; i <= NF; i++)
				if ($i == "lr") k = i; print; next } $k == lr' \
				"$out/collect.tsv" >"$out/collect-lr$lr.tsv"
			traj plot --phase --x frac --y wd --logy --title "lr $lr" \
				-o "$out/phase-lr$lr.png" "$out/collect-lr$lr.tsv"
		done
	else
		traj plot --phase --x frac --y wd --logy -o "$out/phase.png" "$out/collect.tsv"
	fi
fi

# t(r) = a r^-g + b (Notsawo et al. 2023) over the runs that generalised:
# a grid over g, a and b by least squares for each (NumPy); the error of
# g from 200 bootstrap resamples of the runs (seeded)
if [ "${QUICK:-0}" != 1 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["test_step"] != "NA" && $c["outcome"] ~ /^(grokking|comprehension)$/ {
			print $c["frac"] "\t" $c["test_step"] "\t" ("lr" in c ? $c["lr"] : 0) }' \
		"$out/collect.tsv" >"$out/steps.tsv"
	/usr/bin/python3 - "$out/steps.tsv" <<'PY'
import sys
import numpy as np
d = np.loadtxt(sys.argv[1], ndmin=2)
grid = np.linspace(0.05, 8, 800)

def fit(r, t):
    best = None
    for g in grid:
        A = np.vstack([r ** -g, np.ones_like(r)]).T
        sol = np.linalg.lstsq(A, t, rcond=None)[0]
        rss = ((A @ sol - t) ** 2).sum()
        if best is None or rss < best[0]:
            best = (rss, g, sol)
    return best

def report(r, t, what):
    if len(np.unique(r)) < 3:
        print("power law%s: the runs that generalised span %d train fractions, "
              "fewer than the 3 parameters" % (what, len(np.unique(r))))
        return
    rss, g, (a, b) = fit(r, t)
    rng = np.random.default_rng(1)
    gs = []
    for _ in range(200):
        i = rng.integers(0, len(r), len(r))
        if len(np.unique(r[i])) >= 3:
            gs.append(fit(r[i], t[i])[1])
    lo, hi = np.percentile(gs, [5, 95])
    print("power law%s over %d runs (%d fractions): a %.4g g %.4g b %.4g, "
          "rms residual %.4g steps (%.0f%% of the mean step); g 90%% bootstrap "
          "interval [%.3g, %.3g]" % (what, len(r), len(np.unique(r)), a, g, b,
          np.sqrt(rss / len(r)), 100 * np.sqrt(rss / len(r)) / t.mean(), lo, hi))
    if g in (grid[0], grid[-1]):
        print("power law%s: g at the edge of its grid [%g, %g]: the steps do "
              "not follow a r^-g + b" % (what, grid[0], grid[-1]))

report(d[:, 0], d[:, 1], "")
# the learning rate moves the step too: one fit per learning rate
lrs = np.unique(d[:, 2])
if len(lrs) > 1:
    for lr in lrs:
        k = d[:, 2] == lr
        report(d[k, 0], d[k, 1], " (lr %g)" % lr)
PY
fi

# The figures against their documented ranges: every run done; at the
# quick size, the two fractions on either side of the grokking boundary;
# at full size, the held-out figures of docs/sweeps.md
count() { # OUTCOME [FRAC]: runs of that outcome (at that train fraction)
	awk -F'\t' -v o="$1" -v f="${2:-}" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["outcome"] == o && (f == "" || $c["frac"] == f) { n++ } END { print n + 0 }' \
		"$out/collect.tsv"
}
planned=$(wc -l <"$out/ids")
done_runs=$(awk -F'\t' 'NR > 1 && $3 == "done"' "$out/collect.tsv" | wc -l)
range "runs done of the $planned planned" "$done_runs" "$planned" "$planned"
if [ "$range_size" = quick ]; then
	range "memorisation runs at train fraction 0.4" "$(count memorisation 0.4)" 2 2
	range "grokking runs at train fraction 0.9" "$(count grokking 0.9)" 2 2
	range "mean grokking delay at 0.9 (steps)" "$(awk -F'\t' 'NR == 1 {
		for (i = 1; i <= NF; i++) c[$i] = i; next } $c["outcome"] == "grokking" {
		s += $c["delay"]; n++ } END { if (n) print s / n }' "$out/collect.tsv")" 100 1000
else
	figure() { awk -F'\t' -v m="$1" '$1 == m { print $2 }' "$out/predict.tsv"; }
	case ${MODEL:-mlp} in
	mlp)
		range "grokking runs" "$(count grokking)" 30 75
		range "held-out accuracy from the configuration" "$(figure accuracy)" 0.8 1
		range "held-out AUROC from the configuration" "$(figure auroc)" 0.93 1
		;;
	*)
		range "grokking runs" "$(count grokking)" 5 15
		range "confusion runs" "$(count confusion)" 8 16
		range "held-out AUROC from the configuration" "$(figure auroc)" 0.8 1
		;;
	esac
fi
range_done

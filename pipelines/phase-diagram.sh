#!/bin/sh
# Phase diagram of grokking (docs/sweeps.md): modular addition with an MLP
# over train fraction x weight decay x seeds, run by traj sweep on GNU
# parallel, collected into one table with outcome classes, and traj
# predict's held-out figures from the configuration alone.
#
# QUICK=1: a 2 x 2 x 1 sweep of 60-step runs (seconds), to check the
# pipeline; full size (by hand): 8 x 8 x 3 = 192 configurations.
# Usage: pipelines/phase-diagram.sh [OUTDIR]   (default: phase-out)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
out=${1:-phase-out}
mkdir -p "$out"
if [ "${QUICK:-0}" = 1 ]; then
	set -- task=modadd p=11 width=32 steps=60 every=10 frac=0.3,0.8 wd=0.1,1 seed=1
else
	set -- task=modadd p=41 width=128 lr=5e-3 steps=3000 every=20 \
		frac=0.25,0.3,0.4,0.5,0.6,0.7,0.8,0.9 wd=log:0.01:30:8 seed=1..3
fi
traj sweep run -j 2 "$out/sweep" "$@"
traj sweep collect "$out/sweep" >"$out/collect.tsv"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "outcome") k = i; next }
	{ n[$k]++ } END { for (c in n) print c, n[c] }' "$out/collect.tsv" | sort
if [ "${QUICK:-0}" != 1 ]; then
	traj predict --report "$out/predict.tsv" "$out/collect.tsv" >"$out/pred.tsv"
	traj predict -q --model knn --report "$out/predict-knn.tsv" "$out/collect.tsv" >/dev/null
fi
# t(r) = a r^-g + b (Notsawo et al. 2023) over the runs that generalised:
# a grid over g, a and b by least squares for each (NumPy)
if [ "${QUICK:-0}" != 1 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["test_step"] != "NA" && $c["outcome"] ~ /^(grokking|comprehension)$/ {
			print $c["frac"] "\t" $c["test_step"] }' "$out/collect.tsv" >"$out/steps.tsv"
	/usr/bin/python3 - "$out/steps.tsv" <<'PY'
import sys
import numpy as np
d = np.loadtxt(sys.argv[1])
r, t = d[:, 0], d[:, 1]
best = None
for g in np.linspace(0.05, 8, 1600):
    A = np.vstack([r ** -g, np.ones_like(r)]).T
    sol = np.linalg.lstsq(A, t, rcond=None)[0]
    rss = ((A @ sol - t) ** 2).sum()
    if best is None or rss < best[0]:
        best = (rss, g, sol)
rss, g, (a, b) = best
print("power law over %d runs: a %.4g g %.4g b %.4g, rms residual %.4g steps"
      % (len(r), a, g, b, np.sqrt(rss / len(r))))
PY
fi

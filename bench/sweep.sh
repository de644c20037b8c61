#!/bin/sh
# make bench, sweep throughput: configurations per hour of a fixed small
# sweep (modular addition, p=41, width 128, 1000 full-batch AdamW steps,
# train and test scored every 20 steps; 3 train fractions x 2 weight
# decays x 2 seeds = 12 configurations) run by `traj sweep run -j 2`,
# against the same sweep as researchers run it in PyTorch: one process per
# configuration (bench/torch_sweep.py), the same number at once by GNU
# parallel, one thread each as traj sweep's jobs. Both on the same cores,
# one after the other, in this run.
# Environment as bench/run.sh: BENCH_THREADS (runs at once), BENCH_QUICK.
set -eu
cd "$(dirname "$0")/.."
B=build/bin
jobs=${BENCH_THREADS:-2}
py=/usr/bin/python3
if ! command -v parallel >/dev/null 2>&1; then
	printf 'sweep\tskipped\tno GNU parallel (Debian package parallel)\n'
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${BENCH_QUICK:-0}" = 1 ]; then steps=300; else steps=1000; fi
fracs="0.3 0.5 0.7"
wds="0.1 1"
seeds="1 2"
# the OpenBLAS core traj runs on, for PyTorch too (bench/README.md)
core=$(build/bench/mlp_step 11 0.5 8 1 1 2>&1 >/dev/null |
	sed -n 's/.*blas core \([A-Za-z0-9]*\).*/\1/p')

now() { date +%s.%N; }
per_hour() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n * 3600 / (b - a) }'; }

t0=$(now)
$B/traj-sweep run -q -j "$jobs" "$tmp/traj" task=modadd p=41 width=128 lr=5e-3 \
	steps="$steps" every=20 frac="$(echo $fracs | tr ' ' ,)" \
	wd="$(echo $wds | tr ' ' ,)" seed="$(echo $seeds | tr ' ' ,)"
t1=$(now)
n=$(ls "$tmp/traj/runs" | grep -c '\.done$')
traj_rate=$(per_hour "$n" "$t0" "$t1")
printf 'sweep_configs_per_hour\ttraj-sweep-run-j%s\t%s\t(%s configurations, %s steps, %.1f s)\n' \
	"$jobs" "$traj_rate" "$n" "$steps" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"

mkdir "$tmp/torch"
for f in $fracs; do for w in $wds; do for s in $seeds; do
	echo "cd bench && OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$core $py torch_sweep.py --p 41 --width 128 --lr 5e-3 --steps $steps --every 20 --frac $f --wd $w --seed $s --threads 1 --out $tmp/torch/$f-$w-$s.tsv"
done; done; done >"$tmp/torch.cmds"
t0=$(now)
parallel -j "$jobs" <"$tmp/torch.cmds"
t1=$(now)
n=$(ls "$tmp/torch" | wc -l)
torch_rate=$(per_hour "$n" "$t0" "$t1")
printf 'sweep_configs_per_hour\ttorch-process-per-config-j%s\t%s\t(%s configurations, %.1f s)\ttraj/torch %.2f\n' \
	"$jobs" "$torch_rate" "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	"$(awk -v a="$traj_rate" -v b="$torch_rate" 'BEGIN { print a / b }')"

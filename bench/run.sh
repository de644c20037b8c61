#!/bin/sh
# make bench: training speed against PyTorch, the cost of checkpointing,
# and the size of checkpoints under each encoding. Every ratio compares two
# measurements taken in this same run on this machine.
#
# Environment: BENCH_THREADS (default 2), BENCH_QUICK=1 for a short run.
set -eu
cd "$(dirname "$0")/.."
B=build/bin
BB=build/bench
threads=${BENCH_THREADS:-2}
export OPENBLAS_NUM_THREADS=$threads
quick=${BENCH_QUICK:-0}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$quick" = 1 ]; then steps=100; long=400; else steps=300; long=2000; fi
model="--p 97 --frac 0.5 --width 512 --depth 1"

echo "# machine: $(uname -m), $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# threads: $threads; OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?')"

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# 1. Training step: traj against PyTorch, same model, data, batch, optimiser.
traj_ms=$($BB/mlp_step 97 0.5 512 1 "$steps" 2>"$tmp/core" | cut -f2)
core=$(sed -n 's/.*blas core \([A-Za-z0-9]*\).*/\1/p' "$tmp/core")
echo "# traj's OpenBLAS core: $core"
printf 'train_step_ms\ttraj\t%s\n' "$traj_ms"
for variant in "" "--embedding"; do
	name=torch${variant:+-embedding}
	ms=$($py bench/torch_mlp.py --p 97 --frac 0.5 --width 512 --depth 1 \
		--steps 50 --threads 1 --blas-threads "$threads" $variant | cut -f2)
	printf 'train_step_ms\t%s-as-installed\t%s\tratio %.2f\n' "$name" "$ms" \
		"$(div "$ms" "$traj_ms")"
	ms=$(OPENBLAS_CORETYPE=$core $py bench/torch_mlp.py --p 97 --frac 0.5 \
		--width 512 --depth 1 --steps 50 --threads 1 \
		--blas-threads "$threads" $variant | cut -f2)
	printf 'train_step_ms\t%s-coretype-%s\t%s\tratio %.2f\n' "$name" "$core" \
		"$ms" "$(div "$ms" "$traj_ms")"
done

# 2. Cost of checkpointing: --every 1 against no checkpoints (only the
#    first and last), written to a pipe.
seconds() {
	start=$(date +%s.%N)
	"$@" | wc -c >/dev/null
	awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }'
}
t0=$(seconds $B/traj-train -q $model --steps "$steps" --every 0)
t1=$(seconds $B/traj-train -q $model --steps "$steps" --every 1)
printf 'checkpoint_cost\tevery1_vs_none\t%.3f\t(%.2f s vs %.2f s, %s steps)\n' \
	"$(div "$t1" "$t0")" "$t1" "$t0" "$steps"

# 3. Bytes per checkpoint against raw float32, per encoding, early and late
#    in training, at a 1-step and a 100-step spacing.
ratio() { # awk program over stream_sizes output: raw / stored, steps in [lo, hi]
	awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 <= hi && $1 > 0 { b += $2; r += $3 }
		END { printf "%.3f", r / b }'
}
for enc in raw shuffle xor pred2; do
	$B/traj-train -q $model --steps "$long" --every 1 --encoding $enc |
		$BB/stream_sizes >"$tmp/e1"
	$B/traj-train -q $model --steps "$long" --every 100 --encoding $enc |
		$BB/stream_sizes >"$tmp/e100"
	early=$(ratio 1 100 <"$tmp/e1")
	late=$(ratio $((long - 100)) "$long" <"$tmp/e1")
	spaced=$(ratio 1 "$long" <"$tmp/e100")
	printf 'compression\t%s\tevery1_early %s\tevery1_late %s\tevery100 %s\n' \
		"$enc" "$early" "$late" "$spaced"
done

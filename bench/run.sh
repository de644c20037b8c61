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
#    sgemm: the step's own products alone (bench/mlp_step.c), timed right
#    after each step; goal: the step within 1.3x of them, and 2x faster
#    than PyTorch's fastest formulation (the smallest torch time below).
$BB/mlp_step 97 0.5 512 1 "$steps" >"$tmp/step" 2>"$tmp/core"
traj_ms=$(awk '$1 == "traj_ms_per_step" { print $2 }' "$tmp/step")
gemm_ms=$(awk '$1 == "sgemm_ms_per_step" { print $2 }' "$tmp/step")
core=$(sed -n 's/.*blas core \([A-Za-z0-9]*\).*/\1/p' "$tmp/core")
echo "# traj's OpenBLAS core: $core"
printf 'train_step_ms\ttraj\t%s\n' "$traj_ms"
printf 'train_step_ms\tsgemm-alone\t%s\tstep/sgemm %.2f\n' "$gemm_ms" \
	"$(div "$traj_ms" "$gemm_ms")"
best_torch=
for variant in "" "--embedding"; do
	name=torch${variant:+-embedding}
	ms=$($py bench/torch_mlp.py --p 97 --frac 0.5 --width 512 --depth 1 \
		--steps 50 --threads 1 --blas-threads "$threads" $variant | cut -f2)
	printf 'train_step_ms\t%s-as-installed\t%s\tratio %.2f\n' "$name" "$ms" \
		"$(div "$ms" "$traj_ms")"
	best_torch=$(awk -v a="$ms" -v b="${best_torch:-$ms}" 'BEGIN { print a < b ? a : b }')
	ms=$(OPENBLAS_CORETYPE=$core $py bench/torch_mlp.py --p 97 --frac 0.5 \
		--width 512 --depth 1 --steps 50 --threads 1 \
		--blas-threads "$threads" $variant | cut -f2)
	printf 'train_step_ms\t%s-coretype-%s\t%s\tratio %.2f\n' "$name" "$core" \
		"$ms" "$(div "$ms" "$traj_ms")"
	best_torch=$(awk -v a="$ms" -v b="${best_torch:-$ms}" 'BEGIN { print a < b ? a : b }')
done
printf 'train_step_goals\ttorch-fastest/traj %.2f (goal 2)\tstep/sgemm %.2f (goal 1.3)\n' \
	"$(div "$best_torch" "$traj_ms")" "$(div "$traj_ms" "$gemm_ms")"

# Sweep throughput against one PyTorch process per configuration.
sh bench/sweep.sh

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
	$B/traj-train -q $model --steps "$long" --every 1 --state none --encoding $enc |
		$BB/stream_sizes >"$tmp/e1"
	$B/traj-train -q $model --steps "$long" --every 100 --state none --encoding $enc |
		$BB/stream_sizes >"$tmp/e100"
	early=$(ratio 1 100 <"$tmp/e1")
	late=$(ratio $((long - 100)) "$long" <"$tmp/e1")
	spaced=$(ratio 1 "$long" <"$tmp/e100")
	printf 'compression\t%s\tevery1_early %s\tevery1_late %s\tevery100 %s\n' \
		"$enc" "$early" "$late" "$spaced"
done

# Adversarial attacks: PGD speed and agreement against PyTorch.
sh bench/attack.sh

# 4. Transformer step: Nanda et al.'s grokking model (p=113, frac 0.3, one
#    block, d_model 128, 4 heads of 32, d_mlp 512, AdamW, full batch)
#    against the same model in PyTorch, computing every position
#    (HookedTransformer's way) and only the last one (its fastest). The
#    GEMM figure divides the step's matrix-product work, counted from the
#    shapes, by the whole step time, against sgemm on 1024^3 in this run:
#    a lower bound on the matrix products' share of peak. transformer_gemm_timed
#    times the products themselves inside the steps (linalg_count) and
#    divides their counted work by that time: their achieved rate.
if [ "$quick" = 1 ]; then tsteps=10; else tsteps=30; fi
$BB/transformer_step 113 0.3 128 4 512 "$tsteps" >"$tmp/tf" 2>"$tmp/tf.err"
tf_ms=$(awk '$1 == "traj_ms_per_step" { print $2 }' "$tmp/tf")
gflop=$(awk '$1 == "gemm_gflop_per_step" { print $2 }' "$tmp/tf")
peak=$(awk '$1 == "sgemm_peak_gflops" { print $2 }' "$tmp/tf")
printf 'transformer_step_ms\ttraj\t%s\n' "$tf_ms"
printf 'transformer_gemm\t%s GFLOP/step\t%.1f GFLOP/s\tsgemm peak %s GFLOP/s\tfraction %.2f\n' \
	"$gflop" "$(div "$gflop" "$tf_ms" | awk '{ print $1 * 1000 }')" "$peak" \
	"$(awk -v g="$gflop" -v ms="$tf_ms" -v pk="$peak" 'BEGIN { print g / ms * 1000 / pk }')"
awk -v pk="$peak" '$1 == "gemm_ms_per_step" { ms = $2 } $1 == "gemm_gflops" { g = $2 }
	$1 == "gemm_calls_per_step" { n = $2 }
	END { printf "transformer_gemm_timed\t%s ms/step in %s products\t%.1f GFLOP/s\tfraction %.2f\n", ms, n, g, g / pk }' "$tmp/tf"
$BB/transformer_step 113 0.3 128 4 512 "$tsteps" 0 >"$tmp/tf0" 2>/dev/null
printf 'transformer_step_ms\ttraj-no-table\t%s\n' \
	"$(awk '$1 == "traj_ms_per_step" { print $2 }' "$tmp/tf0")"
for variant in "" "--last-only"; do
	name=torch${variant:+-last-only}
	# torch's own thread pool at 1, as for the MLP: its intra-op threads
	# on top of OpenBLAS's oversubscribe the cores and only slow it down.
	ms=$(OPENBLAS_CORETYPE=$core $py bench/torch_transformer.py --steps "$tsteps" \
		--threads 1 --blas-threads "$threads" $variant | cut -f2)
	printf 'transformer_step_ms\t%s\t%s\tratio %.2f\n' "$name" "$ms" \
		"$(div "$ms" "$tf_ms")"
done

# Masked training step (lottery tickets, docs/lottery.md): the 784-300-
#    300-10 MLP of pipelines/lottery.sh on batches of 128, dense and masked
#    at a density of 0.2 (gradient masked before AdamW, weights after it),
#    against bench/torch_masked.py doing the same, same BLAS threads.
if [ "$quick" = 1 ]; then msteps=50; else msteps=200; fi
$BB/masked_step "$msteps" >"$tmp/mk" 2>/dev/null
OPENBLAS_CORETYPE=$core $py bench/torch_masked.py --steps "$msteps" --threads 1 \
	--blas-threads "$threads" >>"$tmp/mk"
awk '{ v[$1] = $2 }
	END { printf "masked_step_ms\ttraj\tdense %s\tmasked %s\tmasked/dense %.2f\n",
		v["traj_dense_ms"], v["traj_masked_ms"], v["traj_masked_ms"] / v["traj_dense_ms"]
	      printf "masked_step_ms\ttorch\tdense %s\tmasked %s\tmasked/dense %.2f\ttorch/traj masked %.2f\n",
		v["torch_dense_ms"], v["torch_masked_ms"], v["torch_masked_ms"] / v["torch_dense_ms"],
		v["torch_masked_ms"] / v["traj_masked_ms"] }' "$tmp/mk"

# 5. Analysis throughput: traj diff and traj snapshot re-encoding in MB/s
#    of raw float32 checkpoint, against `zstd -d` decompressing the same
#    stream (its data frames; zstd skips the record frames), best of 3;
#    and peak memory (max RSS) for the stream and one 10x longer (ten
#    copies concatenated: ten runs back to back).
if [ "$quick" = 1 ]; then dsteps=100; else dsteps=400; fi
$B/traj-train -q $model --steps "$dsteps" --every 4 --no-state >"$tmp/d.traj"
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$tmp/d.traj"; done >"$tmp/d10.traj"
raw_mb=$($B/traj-snapshot -l "$tmp/d.traj" | awk '{ r += $5 } END { print r / 1e6 }')
best_s() { # best wall time of 3 runs of "$@" >/dev/null
	for i in 1 2 3; do
		start=$(date +%s.%N)
		"$@" >/dev/null
		awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }'
	done | sort -g | head -1
}
zstd_s=$(best_s zstd -dcq "$tmp/d.traj")
printf 'analysis_mb_per_s\tzstd -d\t%.0f\t(%s MB raw f32, %d checkpoints)\n' \
	"$(div "$raw_mb" "$zstd_s")" "$raw_mb" $((dsteps / 4 + 1))
for cmd in "traj-diff --sv 0 --no-fourier" "traj-diff" \
	"traj-snapshot --encoding xor" "traj-snapshot --dtype bf16"; do
	s=$(best_s $B/$cmd "$tmp/d.traj")
	printf 'analysis_mb_per_s\t%s\t%.0f\tzstd_ratio %.2f\n' "$cmd" \
		"$(div "$raw_mb" "$s")" "$(div "$zstd_s" "$s")"
done
rss() { /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null && cat "$tmp/rss"; }
for cmd in "traj-diff --sv 0 --no-fourier" "traj-diff" "traj-snapshot --encoding xor"; do
	printf 'peak_rss_kb\t%s\t1x %s\t10x %s\n' "$cmd" "$(rss $B/$cmd "$tmp/d.traj")" \
		"$(rss $B/$cmd "$tmp/d10.traj")"
done

# Probes (traj-probe): activations captured per second (forward passes with
#    a hook at the last position, all 12769 inputs of p=113) and probes
#    fitted per second (every modular-arithmetic target: a, b, answer and
#    cos/sin of all 56 frequencies of a, b and the answer, 339 probes, each
#    with lambda chosen on a validation part, refit and scored), on the last
#    checkpoint of BENCH_PROBE_STREAM (e.g. the stream of
#    pipelines/transformer-grokking.sh), else of Nanda et al.'s model
#    trained for 20 steps: the cost depends on the shapes, not the weights.
probe_stream=${BENCH_PROBE_STREAM:-}
if [ -z "$probe_stream" ]; then
	probe_stream=$tmp/probe.traj
	$B/traj-train -q --model transformer --task modadd --p 113 --frac 0.3 \
		--layers 1 --d-model 128 --heads 4 --d-head 32 --d-mlp 512 \
		--optim adamw --wd 1 --steps 20 --every 20 --no-state >"$probe_stream"
fi
for hook in blocks.0.hook_resid_post blocks.0.mlp.hook_post; do
	$BB/probe_speed "$probe_stream" "$hook" 3
done

# Ablation (traj-ablate): forward passes per second when mean-ablating each
#    attention head and MLP neuron of the last checkpoint of $probe_stream
#    (above) one by one over its test split, against bench/torch_ablate.py
#    doing the same ablations on the same number of examples, same BLAS
#    threads, in three formulations: every position (HookedTransformer's
#    run_with_hooks), the last position only, and restarting from cached
#    activations as traj does (lib/interp/ablate_fast.c). Every rate counts the
#    clean pass; torch's first two ablate the 4 heads and the first few
#    neurons (the cost of a pass does not depend on which), traj and
#    torch-cached all 516.
$B/traj-convert --export safetensors "$tmp/abl.safetensors" "$probe_stream"
start=$(date +%s.%N)
$B/traj-ablate --threads "$threads" -c 'blocks.0.attn.head*,blocks.0.mlp.n*' \
	"$probe_stream" 2>"$tmp/abl.err" >/dev/null
abl_s=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')
abl_passes=$(sed -n 's/.*: \([0-9]*\) forward passes.*/\1/p' "$tmp/abl.err")
abl_n=$(sed -n 's/.* over \([0-9]*\) examples.*/\1/p' "$tmp/abl.err")
abl_rate=$(div "$abl_passes" "$abl_s")
printf 'ablate_passes_per_s\ttraj\t%.1f\t(%s passes over %s examples)\n' \
	"$abl_rate" "$abl_passes" "$abl_n"
if [ "$quick" = 1 ]; then neurons=8; else neurons=28; fi
for coretype in "" "$core"; do # as installed, then with traj's OpenBLAS core
	label=as-installed
	[ -z "$coretype" ] || label=coretype-$coretype
	{ (cd bench && env ${coretype:+OPENBLAS_CORETYPE=$coretype} $py torch_ablate.py \
		--examples "$abl_n" --neurons "$neurons" --modes full,last-only \
		--blas-threads "$threads" "$tmp/abl.safetensors")
	  (cd bench && env ${coretype:+OPENBLAS_CORETYPE=$coretype} $py torch_ablate.py \
		--examples "$abl_n" --modes cached --blas-threads "$threads" \
		"$tmp/abl.safetensors"); } 2>/dev/null |
	while IFS="$(printf '\t')" read -r _ mode rate; do
		printf 'ablate_passes_per_s\ttorch-%s-%s\t%s\ttraj/torch %.1f\n' \
			"$mode" "$label" "$rate" "$(div "$abl_rate" "$rate")"
	done
done

# Edge ablation (traj-ablate --by edge): forward passes per second when
#    mean-ablating every edge of the last checkpoint of $probe_stream one by
#    one over its test split (23 edges for Nanda et al.'s model, plus the
#    clean pass), against bench/torch_edges.py doing the same ablations on
#    the same examples (traj's split rebuilt), same BLAS threads, every
#    position of every block (full) and the last block at the labelled
#    position only (last-only), as installed and with traj's OpenBLAS core
#    (section 1). traj's time is the whole process (reading the stream
#    included), torch's the passes only. Also the largest difference
#    between traj's and torch's (full, float32) loss deltas.
$B/traj-convert --export safetensors "$tmp/edge.safetensors" "$probe_stream"
edge_t0=$(date +%s.%N)
$B/traj-ablate -q --by edge --threads "$threads" "$probe_stream" >"$tmp/edge.traj.out"
edge_rate=$(awk -F'\t' -v t1="$(date +%s.%N)" -v t0="$edge_t0" '
	$3 == "ablate/forward_passes" { printf "%.2f", $4 / (t1 - t0) }' "$tmp/edge.traj.out")
printf 'edge_ablate_passes_per_s\ttraj\t%s\t(%s passes, test split)\n' "$edge_rate" \
	"$(awk -F'\t' '$3 == "ablate/forward_passes" { print $4 }' "$tmp/edge.traj.out")"
for coretype in "" "$core"; do # as installed, then with traj's OpenBLAS core
	(cd bench && env ${coretype:+OPENBLAS_CORETYPE=$coretype} $py torch_edges.py --time \
		--modes full,last-only --threads 1 --blas-threads "$threads" \
		"$tmp/edge.safetensors") 2>/dev/null >"$tmp/edge.torch.out"
	awk -F'\t' -v r="$edge_rate" -v c="${coretype:+coretype-$coretype}" '
		$1 == "edge_ablate_passes_per_s" {
		printf "edge_ablate_passes_per_s\ttorch-%s-%s\t%s\ttraj/torch %.1f\n",
			$2, c ? c : "as-installed", $3, r / $3 }' "$tmp/edge.torch.out"
done
cut -f3,4 "$tmp/edge.traj.out" | sort >"$tmp/edge.traj.sorted"
awk -F'\t' 'NF == 4' "$tmp/edge.torch.out" | cut -f3,4 | sort >"$tmp/edge.torch.sorted"
join -t "$(printf '\t')" "$tmp/edge.traj.sorted" "$tmp/edge.torch.sorted" |
awk -F'\t' '$1 ~ /loss_delta$/ { d = $2 - $3; if (d < 0) d = -d; if (d > w) w = d; n++ }
	END { printf "edge_ablate_max_loss_delta_diff\ttraj-torch\t%.3g\t(%d edges)\n", w, n }'

# LLC (traj-llc): SGLD steps per second on the demo MLP (section 1's model,
#    minibatch 256, one chain, one thread) against bench/torch_sgld.py, the
#    same sampler in PyTorch, as installed and with traj's OpenBLAS core;
#    traj's rate with two chains on two threads; and the seconds traj-llc
#    takes for 100 checkpoints of the demo run with its default chains and
#    draws (10 x 100; BENCH_QUICK: 10 checkpoints, scaled to 100).
if [ "$quick" = 1 ]; then llc_ckpts=10; sgld_steps=300; else llc_ckpts=100; sgld_steps=2000; fi
$B/traj-train -q $model --optim adamw --lr 1e-3 --wd 1 --steps $((llc_ckpts * 30 - 30)) \
	--every 30 --no-state -o "$tmp/llc.traj"
llc_rate() { # threads chains; the CPU seconds go to $tmp/sgld.cpu
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$tmp/sgld.cpu" \
		$B/traj-llc -q --threads "$1" --chains "$2" --draws "$sgld_steps" --trace 0 \
		--steps "$((llc_ckpts * 30 - 30)):" "$tmp/llc.traj" >/dev/null
	awk -v a="$(date +%s.%N)" -v b="$t0" -v n="$((sgld_steps * $2))" \
		'BEGIN { printf "%.1f", n / (a - b) }'
}
# Where a step's time goes (bench/sgld_step.c: CPU time of each phase,
# one thread) and the normal draws against libm's Box-Muller.
OPENBLAS_NUM_THREADS=1 $BB/sgld_step 97 512 256 "$((sgld_steps / 10))" 2>/dev/null
# Steps per second of wall time and of CPU time: on a loaded machine the
# wall clock of a single run swings with the other jobs (traj/torch
# 1.82-7.72 over nine runs at load 16-26), the CPU time much less (2.78-3.31).
sgld1=$(llc_rate 1 1)
sgld1_cpu=$(awk -v n="$sgld_steps" '{ printf "%.1f", n / ($1 + $2) }' "$tmp/sgld.cpu")
printf 'sgld_steps_per_s\ttraj-1-thread\t%s\n' "$sgld1"
printf 'sgld_steps_per_cpu_s\ttraj-1-thread\t%s\n' "$sgld1_cpu"
printf 'sgld_steps_per_s\ttraj-2-chains-2-threads\t%s\n' "$(llc_rate 2 2)"
for coretype in "" "$core"; do
	label=as-installed
	[ -z "$coretype" ] || label=coretype-$coretype
	env ${coretype:+OPENBLAS_CORETYPE=$coretype} $py bench/torch_sgld.py \
		--steps "$sgld_steps" --threads 1 --blas-threads 1 >"$tmp/torch_sgld"
	awk -F'\t' -v l="$label" -v w="$sgld1" -v c="$sgld1_cpu" '
		$1 == "torch_sgld_steps_per_s" {
			printf "sgld_steps_per_s\ttorch-%s\t%s\ttraj/torch %.2f\n", l, $2, w / $2 }
		$1 == "torch_sgld_steps_per_cpu_s" {
			printf "sgld_steps_per_cpu_s\ttorch-%s\t%s\ttraj/torch %.2f\n", l, $2, c / $2 }' \
		"$tmp/torch_sgld"
done
t0=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o "$tmp/llc.cpu" \
	$B/traj-llc -q --threads "$threads" --trace 0 "$tmp/llc.traj" >/dev/null
awk -v a="$(date +%s.%N)" -v b="$t0" -v n="$llc_ckpts" 'BEGIN {
	printf "llc_seconds_per_100_ckpts\ttraj\t%.1f\t(%d checkpoints, 10 chains x 100 draws)\n",
		(a - b) * 100 / n, n }'
# CPU seconds over the cores: the wall time on an idle machine, which a
# loaded one cannot show (goal: 300 s on 2 cores)
awk -v n="$llc_ckpts" -v t="$threads" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
	'{ printf "llc_seconds_per_100_ckpts\ttraj-cpu-over-%d-threads\t%.1f\t(load %s)\n",
		t, ($1 + $2) * 100 / n / t, l }' "$tmp/llc.cpu"

#!/bin/sh
# make bench, adversarial attacks: PGD gradient steps per second of traj
# attack against bench/torch_attack.py (the same model, images, eps and
# steps, the whole set as one torch batch, same BLAS threads), and the
# agreement of their robust accuracies (traj attack --no-random-start: both
# start at the clean input, so they should agree example for example).
# Then the products of those steps alone (attack_pgd_products_s), the
# floor under both. Also the cost of an adversarial-training step (traj
# train --adv pgd:eps=0.1,iters=7) against a standard one, same model
# and batches.
# Needs Debian's dataset-fashion-mnist; prints a skip line without it.
# Environment as bench/run.sh: BENCH_THREADS, BENCH_QUICK.
set -eu
cd "$(dirname "$0")/.."
B=build/bin
BB=build/bench
threads=${BENCH_THREADS:-2}
py=/usr/bin/python3
if [ ! -d "${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ]; then
	printf 'attack\tskipped\tno dataset-fashion-mnist (scripts/deps.sh data)\n'
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${BENCH_QUICK:-0}" = 1 ]; then n=2000; tsteps=100; else n=10000; tsteps=300; fi
printf 'attack_machine\t%s cores\t%s\tload %s\n' "$(nproc)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
	"$(cut -d' ' -f1 /proc/loadavg)"
$B/traj-train -q --task fashion --width 256 --depth 1 --optim adamw --lr 1e-3 \
	--batch 128 --steps 1000 --every 1000 --seed 1 --no-state \
	--threads "$threads" --out "$tmp/f.traj"
$B/traj-convert --export safetensors "$tmp/f.safetensors" "$tmp/f.traj"
# traj's rate counts the attack's own time (its stderr line "N examples in
# S s"), as torch's counts its attack loop: neither counts loading the
# model and the images. The whole process's wall and CPU time beside it:
# on a shared machine the CPU time is the figure that load does not inflate.
/usr/bin/time -f '%e %U %S' -o "$tmp/cpu" $B/traj-attack --threads "$threads" \
	--last --limit "$n" -m pgd -e 0.1 --no-random-start "$tmp/f.traj" \
	>"$tmp/traj.tsv" 2>"$tmp/traj.err"
s=$(sed -n 's/.* examples in \([0-9.]*\) s$/\1/p' "$tmp/traj.err")
rate=$(awk -v s="$s" -v n="$n" 'BEGIN { print 40 * n / s }')
printf 'attack_pgd40_s\ttraj\t%.2f\tprocess wall %s cpu %s\t(%s images, one eps, %s threads, load %s)\n' \
	"$s" "$(cut -d' ' -f1 "$tmp/cpu")" "$(awk '{ print $2 + $3 }' "$tmp/cpu")" \
	"$n" "$threads" "$(cut -d' ' -f1 /proc/loadavg)"
$py bench/torch_attack.py --limit "$n" --eps 0.1 --blas-threads "$threads" \
	"$tmp/f.safetensors" >"$tmp/torch.tsv"
trate=$(awk '$1 == "torch_pgd_iters_per_s" { print $2 }' "$tmp/torch.tsv")
printf 'attack_pgd_iters_per_s\ttraj\t%.0f\ttorch %.0f\tratio %.2f\ttorch pgd cpu %s s\tload %s\n' \
	"$rate" "$trate" "$(awk -v a="$rate" -v b="$trate" 'BEGIN { print a / b }')" \
	"$(awk '$1 == "torch_pgd_cpu_s" { print $2 }' "$tmp/torch.tsv")" \
	"$(cut -d' ' -f1 /proc/loadavg)"
# The products of those 40 steps alone (bench/pgd_products.c: the four
# products per step, same shapes, examples and threads, the faster of one
# batch and traj's split by rows): the floor under any implementation
# that makes them. torch/2 below it would put 2x PyTorch out of reach.
$BB/pgd_products "$n" 40 "$threads" 512 attack 2>"$tmp/prod.err" >"$tmp/prod.tsv"
ps=$(awk -F'\t' '$1 == "pgd_products_s" { print $2 }' "$tmp/prod.tsv")
printf 'attack_pgd_products_s\tsgemm-alone\t%s\t(%s)\ttraj/sgemm %.2f\ttorch/sgemm %.2f\t2x-torch/sgemm %.2f\tload %s\n' \
	"$ps" "$(awk -F'\t' '$1 == "pgd_products_s" { print $3 }' "$tmp/prod.tsv")" \
	"$(awk -v a="$s" -v b="$ps" 'BEGIN { print a / b }')" \
	"$(awk -v r="$trate" -v n="$n" -v b="$ps" 'BEGIN { print 40 * n / r / b }')" \
	"$(awk -v r="$trate" -v n="$n" -v b="$ps" 'BEGIN { print 20 * n / r / b }')" \
	"$(cut -d' ' -f1 /proc/loadavg)"
# Where traj's attack spends its threads' time (the same run of
# pgd_products, traj's attack_run on those rows): per thread the CPU
# seconds it computed and the seconds it waited for the others, and the
# busiest thread's CPU seconds against the products' busiest, split the
# same way: a ratio that other programs' load moves less than wall times.
awk -F'\t' '$1 == "pgd_products_split_busy_s" { p = $2 }
	$1 == "pgd_attack_thread" { split($3, b, " "); split($4, w, " ")
		line = line sprintf("\tthread %s busy %.2f s wait %.2f s", $2, b[2], w[2])
		if (b[2] > most) most = b[2] }
	END { if (p > 0) printf "attack_threads%s\tbusiest/products-busiest %.2f\n", line, most / p
	      else print "attack_threads\tfailed (no pgd_attack_thread from pgd_products)" }' \
	"$tmp/prod.tsv"
# On one thread, CPU time: figures that the load of other programs barely
# moves (wall times at a load of 20 on 2 cores are not). The same 40 steps
# on the first 2000 images: traj's attack_run on random rows of the same
# shapes (bench/pgd_products.c; the products do not depend on the values),
# and PyTorch's PGD loop on the real ones.
$BB/pgd_products 2000 40 1 512 attack 2>/dev/null >"$tmp/cpu1.tsv"
$py bench/torch_attack.py --limit 2000 --eps 0.1 --blas-threads 1 \
	"$tmp/f.safetensors" >"$tmp/torch1.tsv"
awk -F'\t' 'FNR == NR { if ($1 == "torch_pgd_cpu_s") t = $2; next }
	$1 == "cpu_s" { split($2, a, " "); split($3, p, " ")
		printf "attack_cpu_1thread\ttraj %.3f s\ttorch %.3f s\tproducts %.3f s\ttorch/traj %.2f\ttraj/products %.2f\ttorch/products %.2f\n",
			a[2], t, p[2], t / a[2], a[2] / p[2], t / p[2]; done = 1 }
	END { if (!done) print "attack_cpu_1thread\tfailed (no cpu_s from pgd_products)" }' \
	"$tmp/torch1.tsv" "$tmp/cpu1.tsv"
$B/traj-attack -q --threads "$threads" --last --limit "$n" -e 0.05,0.1,0.2 \
	--no-random-start "$tmp/f.traj" >"$tmp/traj3.tsv"
$py bench/torch_attack.py --limit "$n" --eps 0.05,0.1,0.2 \
	--blas-threads "$threads" "$tmp/f.safetensors" >"$tmp/torch3.tsv"
awk -F'\t' -v n="$n" 'FNR == NR { if ($3 ~ /acc$/) t[$3] = $4; next }
	$3 in t { d = $4 - t[$3]; if (d < 0) d = -d
		  printf "attack_agreement\t%s\ttraj %s\ttorch %s\texamples apart %d\n", $3, $4, t[$3], d * n + 0.5 }' \
	"$tmp/torch3.tsv" "$tmp/traj3.tsv" | grep -v '/loss'
# ms per step from traj-train's summary line ("N steps in S s (M ms/step)").
step_ms() {
	$B/traj-train --task fashion --width 256 --depth 1 --optim adamw --lr 1e-3 \
		--batch 128 --steps "$tsteps" --every 0 --seed 1 --no-state \
		--threads "$threads" "$@" --out /dev/null 2>&1 |
		sed -n 's/.*(\([0-9.]*\) ms\/step).*/\1/p'
}
std=$(step_ms)
adv=$(step_ms --adv pgd:eps=0.1,iters=7)
printf 'adv_train_step_ms\tpgd7\t%s\tstandard %s\tratio %.2f\t(%s steps)\n' "$adv" "$std" \
	"$(awk -v a="$adv" -v b="$std" 'BEGIN { print a / b }')" "$tsteps"

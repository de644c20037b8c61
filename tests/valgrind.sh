#!/bin/sh
# A whole train | score pipeline, a resume, and the analysis tools on a
# small transformer (diff, probe, ablate: components, edges, frequencies,
# circuits, across training time) under valgrind memcheck: any error or
# leak fails (status 1). Small sizes: valgrind is ~50x slower.
set -eu
cd "$(dirname "$0")/.."
bin=${TRAJ_BUILD:-build}/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible"
export OPENBLAS_NUM_THREADS=1
train="--p 7 --width 16 --batch 8 --steps 12 --every 3 --key-every 2"
$vg "$bin/traj-train" -q $train | $vg "$bin/traj-score" >"$tmp/a.txt"
$vg "$bin/traj-train" -q $train --steps 6 --out "$tmp/r.traj"
$vg "$bin/traj-train" -q --resume "$tmp/r.traj" --steps 12
$vg "$bin/traj-score" "$tmp/r.traj" >"$tmp/b.txt"
cmp "$tmp/a.txt" "$tmp/b.txt"
head -c 3000 "$tmp/r.traj" >"$tmp/torn.traj"
st=0
$vg "$bin/traj-score" "$tmp/torn.traj" >/dev/null 2>&1 || st=$?
[ "$st" -eq 75 ] || { echo "valgrind: torn stream: status $st"; exit 1; }
tf="$tmp/tf.traj"
"$bin/traj-train" -q --model transformer --p 11 --frac 0.5 --layers 2 \
	--d-model 16 --heads 2 --d-head 8 --d-mlp 12 --steps 20 --every 10 >"$tf"
$vg "$bin/traj-diff" "$tf" >/dev/null
$vg "$bin/traj-probe" -k 'blocks.*.hook_resid_post' "$tf" >/dev/null
for args in "--budget 6" "-m resample --circuit --dot $tmp/c.dot" \
	"--patch a" "--from-step 10" "--by edge --circuit --dot $tmp/e.dot" \
	"--by edge --budget 8" "--by edge --patch b" "--by freq --from-step 10" \
	"--by neuron-freq --circuit"; do
	# shellcheck disable=SC2086
	$vg "$bin/traj-ablate" -q $args "$tf" >/dev/null
done
echo "valgrind: train | score, resume, torn tail, diff, probe, ablate: no errors, no leaks"

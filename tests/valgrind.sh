#!/bin/sh
# A whole train | score pipeline, and a resume, under valgrind memcheck:
# any error or leak fails (status 1). Small sizes: valgrind is ~50x slower.
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
echo "valgrind: train | score, resume, torn tail: no errors, no leaks"

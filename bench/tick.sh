#!/bin/sh
# make bench-tick: the cost of a cron tick (traj score --state) on a long
# stream when one checkpoint is new, against scoring the whole stream
# again; and the same for a whole tick of traj score | traj emerge with
# their states. Prints tab-separated lines: figure, milliseconds (median
# of REPS), ratio. docs/cron.md.
#
# Environment: TICK_CKPTS (checkpoints, default 1000), TICK_REPS (11; the
# rescans run a quarter as often), TICK_MODEL (traj train options).
set -eu
cd "$(dirname "$0")/.."
B=build/bin
n=${TICK_CKPTS:-1000}
reps=${TICK_REPS:-11}
# a+b mod 53, width 128: about 2.5 ms of CPU to score a checkpoint
model=${TICK_MODEL:---p 53 --width 128}
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# machine: $(uname -m), $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); load $(cut -d' ' -f1-3 /proc/loadavg)"
# a small MLP, a checkpoint at every step: n checkpoints
$B/traj-train --quiet $model --steps $((n - 1)) --every 1 --out "$tmp/run.traj"
# the stream without its last checkpoint (and end record): where the
# previous tick stopped
cut=$(/usr/bin/python3 - "$tmp/run.traj" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
o, last = 0, None
while o < len(b):
    magic, = struct.unpack_from("<I", b, o)
    size, = struct.unpack_from("<I", b, o + 4)
    assert magic == 0x184D2A5A and b[o + 8:o + 12] == b"TRJ1"
    h = json.loads(b[o + 12:o + 8 + size - 4])
    if h["type"] == "ckpt":
        last = o
    o += 8 + size
    if h["type"] == "tensor":
        o += h["zbytes"]
print(last)
PY
)
head -c "$cut" "$tmp/run.traj" >"$tmp/old.traj"
$B/traj-score --state "$tmp/score0" "$tmp/old.traj" |
	$B/traj-emerge --state "$tmp/emerge0" -c -w 'test/acc>=0.9' >/dev/null
echo "# traj train $model --every 1: $n checkpoints, $(stat -c %s "$tmp/run.traj") bytes"

# run SETUP CMD: the medians over REPS of CMD's wall and CPU (user +
# system) milliseconds, "WALL CPU"; SETUP runs before each, untimed.
run() {
	i=0
	while [ $i -lt "$1" ]; do
		sh -c "$2"
		/usr/bin/time -f '%e %U %S' -o "$tmp/time" sh -c "$3"
		awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$tmp/time"
		i=$((i + 1))
	done >"$tmp/runs"
	echo "$(cut -d' ' -f1 "$tmp/runs" | median) $(cut -d' ' -f2 "$tmp/runs" | median)"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
S=$B/traj-score E=$B/traj-emerge t=$tmp
few=$(( (reps + 3) / 4 ))
full=$(run "$few" true "$S $t/run.traj >/dev/null")
tick=$(run "$reps" "cp $t/score0 $t/st" "$S --state $t/st $t/run.traj >/dev/null")
lines=$(cp "$t/score0" "$t/st" && $S --state "$t/st" "$t/run.traj" | wc -l)
start=$(run "$reps" true "$S --help >/dev/null")
pfull=$(run "$few" true "$S $t/run.traj | $E -c -w 'test/acc>=0.9' >/dev/null")
ptick=$(run "$reps" "cp $t/score0 $t/st; cp $t/emerge0 $t/em" \
	"$S --state $t/st $t/run.traj | $E --state $t/em -c -w 'test/acc>=0.9' >/dev/null")
# row NAME "WALL CPU" ["WALL CPU" of the rescan]: ms, and the speed-up
row() {
	echo "$1 $2 ${3:-}" | awk '{ printf "%s\t%d\t%d", $1, $2, $3
		if (NF == 5) printf "\t%.1f\t%.1f", $4 / ($2 ? $2 : 1), $5 / ($3 ? $3 : 1)
		printf "\n" }'
}
echo "# figure	wall_ms	cpu_ms	speedup_wall	speedup_cpu (medians; goal >= 20)"
row score_full "$full"
row score_tick "$tick" "$full"
row process_start "$start"
row pipeline_full "$pfull"
row pipeline_tick "$ptick" "$pfull"
echo "# a tick printed $lines lines (one checkpoint); process_start is traj-score --help"

#!/bin/sh
# Runs every fuzz target for SECONDS seconds each (default 60), starting
# from the seeds (formats/vectors, fuzz/seeds) and the corpus kept from
# earlier runs in build/fuzz/corpus. A finding stops with status 1 and
# leaves the input as build/fuzz/crash-*. Usage: fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build/fuzz
for t in stream runheader metric npy npz safetensors state; do
	corpus=$out/corpus/$t
	mkdir -p "$corpus"
	case $t in
	stream) seeds="formats/vectors fuzz/seeds/stream" ;;
	*) seeds=fuzz/seeds/$t ;;
	esac
	for s in $seeds; do
		[ -d "$s" ] || continue
		find "$s" -type f ! -name '*.c' ! -name '*.md' -exec cp {} "$corpus/" \;
	done
	echo "fuzz: $t for $secs s"
	"$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$t-" "$corpus" 2>"$out/$t.log" ||
		{ tail -40 "$out/$t.log"; echo "fuzz: $t: FINDING"; exit 1; }
	grep -E '^stat::number_of_executed_units|^Done' "$out/$t.log" | tr '\n' ' '
	echo
done

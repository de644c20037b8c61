#!/bin/sh
# Replays a finished training as a cron job saw it while it was written:
# a copy of STREAM grown in equal byte slices (most cuts fall inside a
# checkpoint), one tick per slice,
#     traj score --state S grown.traj | traj emerge --state E ARGS
# and prints each line a tick printed, after the last step that tick had
# scored (TICK<TAB>the emerge line). At the end it checks that the lines
# of all the ticks are those of one pass with --early over the whole
# stream, line for line, and says so on stderr (status 1 if not).
# docs/cron.md's table of real runs was measured with it.
#
# Usage: bench/tick_replay.sh [-b BYTES] STREAM [EMERGE OPTION]...
#   -b BYTES   the slice (default 150)
# Environment: TRAJ_BIN (default build/bin).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
bytes=150
if [ "${1:-}" = -b ]; then
	bytes=${2:?-b needs a number of bytes}
	shift 2
fi
case $bytes in '' | *[!0-9]* | 0)
	echo "tick_replay.sh: -b $bytes: not a positive number of bytes" >&2
	exit 64 ;;
esac
stream=${1:?usage: bench/tick_replay.sh [-b BYTES] STREAM [EMERGE OPTION]...}
shift
[ -f "$stream" ] || { echo "tick_replay.sh: $stream: no such file" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
size=$(wc -c <"$stream")
: >"$tmp/grown.traj"
: >"$tmp/ticks"
have=0 step=- n=0
while [ "$have" -lt "$size" ]; do
	# appended, not rewritten: the grown file is what a writer leaves
	tail -c +"$((have + 1))" "$stream" | head -c "$bytes" >>"$tmp/grown.traj"
	have=$(wc -c <"$tmp/grown.traj")
	# its notes on stderr (a checkpoint still being written) are kept
	# back, shown only if the tick fails
	rc=0
	traj score --state "$tmp/S" "$tmp/grown.traj" >"$tmp/scores" 2>"$tmp/err" || rc=$?
	if [ "$rc" != 0 ]; then
		cat "$tmp/err" >&2
		echo "tick_replay.sh: $stream: traj score failed at byte $have (status $rc)" >&2
		exit "$rc"
	fi
	last=$(awk -F'\t' 'END { if (NR) print $2 }' "$tmp/scores")
	step=${last:-$step}
	traj emerge --state "$tmp/E" "$@" "$tmp/scores" >"$tmp/lines"
	awk -v t="$step" '{ print t "\t" $0 }' "$tmp/lines"
	cat "$tmp/lines" >>"$tmp/ticks"
	n=$((n + 1))
done
traj score "$stream" | traj emerge -e "$@" >"$tmp/one"
if cmp -s "$tmp/ticks" "$tmp/one"; then
	echo "tick_replay.sh: $n ticks of $bytes bytes: the same lines as one pass with --early" >&2
else
	echo "tick_replay.sh: $n ticks of $bytes bytes: NOT the lines of one pass with --early:" >&2
	diff "$tmp/ticks" "$tmp/one" >&2 || true
	exit 1
fi

#!/bin/sh
# Watch a directory of runs from cron: at each tick, score the checkpoints
# that are new in every DIR/*.traj (trainings may still be writing them),
# look for events in them, and notify once per new event. docs/cron.md.
#
# Usage: pipelines/watch.sh [-n NOTIFY] [-s STATEDIR] DIR [EMERGE-OPTION...]
#   NOTIFY   a shell command run once per new event, the event line on its
#            standard input (default: print the line on standard output)
#   STATEDIR where the per-run state lives (default: DIR/.watch)
#   EMERGE-OPTION...  the traj emerge tests (default: -c -m test/acc
#            -m train/acc: level changes of the accuracies); the
#            state is only good for the options that made it.
# Each event is notified once, by its first line: a change as rising/
# falling a few checkpoints after it begins (traj emerge --state implies
# --early), or as rise/fall/spike if that comes first; the rise, fall or
# spike that ends a change announced as rising/falling goes to the log
# only; a retract line (the change did not end as announced) is notified
# too, as the correction it is.
# Environment: TRAJ_BIN (directory of the tools, default build/bin).
#
# crontab, every five minutes, a mail per new event:
#   */5 * * * * /path/to/traj/pipelines/watch.sh -n 'mail -s "traj event" me' /runs
#
# Each run R has STATEDIR/R/: score.state (traj score --state), emerge.state
# (traj emerge --state), events.log (every event ever found, one a line)
# and notified (how many of them were notified). A tick, per run, under
# the lock STATEDIR/R/tick.lock:
#   1. events.tmp left by a killed tick goes into events.log;
#   2. traj score --state on a copy of score.state | traj emerge --state
#      > events.tmp; the copy becomes score.state only once emerge has
#      saved its state, so a kill in between makes the next tick score
#      those checkpoints again, and emerge skips lines it has seen;
#   3. events.tmp goes into events.log, each line unless it is there
#      already (an event line names its run, step, metric and kind: the
#      same event is the same line), then new lines are notified (or
#      passed over: which ones depends on the log alone, so a tick
#      repeated after a kill decides the same).
# A tick killed at any point (kill -9) loses no event and logs none twice;
# a notification cut short between running NOTIFY and recording it is
# sent again (at least once).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"

notify=
statedir=
while getopts n:s: opt; do
	case $opt in
	n) notify=$OPTARG ;;
	s) statedir=$OPTARG ;;
	*) echo "usage: watch.sh [-n NOTIFY] [-s STATEDIR] DIR [EMERGE-OPTION...]" >&2
	   exit 64 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: watch.sh [-n NOTIFY] [-s STATEDIR] DIR [EMERGE-OPTION...]" >&2; exit 64; }
dir=$1
shift
[ -d "$dir" ] || { echo "watch.sh: '$dir' is not a directory" >&2; exit 66; }
[ $# -gt 0 ] || set -- -c -m test/acc -m train/acc
statedir=${statedir:-$dir/.watch}
mkdir -p "$statedir"

# merge FILE LOG: the complete lines of FILE not yet in LOG, appended to it
# (a line cut short by a kill has no newline: read skips it).
merge() {
	[ -f "$1" ] || return 0
	touch "$2"
	while IFS= read -r line; do
		grep -Fxq -e "$line" "$2" || printf '%s\n' "$line" >>"$2"
	done <"$1"
}

# The numbers of the lines of an events.log after the first FROM that
# are news: all but a final change-point line (rise, fall, spike) whose
# series' last change-point line before it was provisional (rising,
# falling): that one only says the change announced is over. A retract
# line ends the announcement too, and is news.
news() {
	awk -F'\t' -v from="$1" '
		$9 == "changepoint" {
			key = $1 "\t" $3
			ends = open[key] && ($4 == "rise" || $4 == "fall" || $4 == "spike")
			open[key] = $4 == "rising" || $4 == "falling"
			if (ends) next
		}
		NR > from { print NR }' "$2"
}

# notify_new RUNSTATE: every line of events.log after the first `notified`
# that is news; `notified` counts the lines gone through.
notify_new() {
	[ -f "$1/events.log" ] || return 0
	done_n=$(cat "$1/notified" 2>/dev/null || echo 0)
	total=$(wc -l <"$1/events.log")
	[ "$done_n" -lt "$total" ] || return 0
	for n in $(news "$done_n" "$1/events.log"); do
		line=$(sed -n "${n}p" "$1/events.log")
		if [ -n "$notify" ]; then
			printf '%s\n' "$line" | sh -c "$notify" ||
				echo "watch.sh: '$notify' failed for: $line" >&2
		else
			printf '%s\n' "$line"
		fi
		record "$1" "$n"
	done
	record "$1" "$total"
}

record() {
	echo "$2" >"$1/notified.tmp"
	mv -f "$1/notified.tmp" "$1/notified"
}

# tick RUN.traj RUNSTATE EMERGE-OPTION...
tick() {
	run=$1 st=$2
	shift 2
	merge "$st/events.tmp" "$st/events.log"
	# A bad emerge state starts afresh, having lost the series so far:
	# then score everything again (events.log drops the repeats).
	if [ -f "$st/emerge.state" ]; then
		cp "$st/emerge.state" "$st/emerge.check"
		if ! traj emerge --state "$st/emerge.check" "$@" </dev/null 2>"$st/emerge.err"; then
			cat "$st/emerge.err" >&2
			rm -f "$st/score.state"
			rm -f "$st/emerge.state"
		fi
		rm -f "$st/emerge.check" "$st/emerge.check.lock" "$st/emerge.err"
	fi
	if [ -f "$st/score.state" ]; then
		cp "$st/score.state" "$st/score.tick"
	else
		rm -f "$st/score.tick"
	fi
	# Whatever its status, traj score saved in score.tick just what it
	# printed (or nothing): once emerge has its lines, it may count.
	if traj score --state "$st/score.tick" "$run" |
		traj emerge --state "$st/emerge.state" "$@" >"$st/events.tmp"; then
		[ ! -f "$st/score.tick" ] || mv -f "$st/score.tick" "$st/score.state"
	else
		echo "watch.sh: $run: tick failed; the next one tries again" >&2
	fi
	merge "$st/events.tmp" "$st/events.log"
	rm -f "$st/events.tmp"
	notify_new "$st"
}

for run in "$dir"/*.traj; do
	[ -f "$run" ] || continue
	name=$(basename "$run" .traj)
	st=$statedir/$name
	mkdir -p "$st"
	# one tick per run at a time: the state copy above is not the tools'
	(
		flock 9
		tick "$run" "$st" "$@"
	) 9>"$st/tick.lock"
done

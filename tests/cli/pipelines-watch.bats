#!/usr/bin/env bats
# pipelines/watch.sh: cron ticks over a directory of runs notify each new
# event once (its first line, and a retraction), while a training writes,
# when ticks are killed with kill -9 at any moment, and when a state is
# damaged.

setup_file() {
	load test_helper
	# test/acc rises at 340 (announced at 260) and crosses 0.5 at 780,
	# train/acc rises at 30
	TRAIN="--quiet --p 17 --width 64 --steps 1200 --every 10 --lr 1e-2 --frac 0.8"
	RUN="$BATS_FILE_TMPDIR/run.traj"
	traj-train $TRAIN --out "$RUN"
	export TRAIN RUN
	# the events of one pass over the whole stream with --early (which
	# the ticks' --state implies): each change announced as rising or
	# falling when it is known, then printed as a rise or a fall when over
	traj-score "$RUN" | traj-emerge -c -e -m test/acc -m train/acc -w 'test/acc>=0.5' \
		>"$BATS_FILE_TMPDIR/one"
	# what is notified of them: each event's first line (the rise that
	# ends a change announced as rising goes to the log only)
	grep -v -P '\t(rise|fall)\t' "$BATS_FILE_TMPDIR/one" >"$BATS_FILE_TMPDIR/news"
}

setup() {
	load test_helper
	WATCH="$TRAJ_ROOT/pipelines/watch.sh"
	export TRAJ_BIN="$TRAJ_BUILD_DIR/bin"
	D=$BATS_TEST_TMPDIR/runs
	mkdir -p "$D"
}

tick() { "$WATCH" "$@" "$D" -c -m test/acc -m train/acc -w 'test/acc>=0.5'; }

@test "one pass's events are the five expected, three of them news" {
	run -0 cut -f2-4 "$BATS_FILE_TMPDIR/one"
	# the test-accuracy rise, found before the series' 96th point, is
	# held until then (emerge.h), so it comes after the crossing at 780
	assert_output $'30\ttrain/acc\trising\n260\ttest/acc\trising\n30\ttrain/acc\trise\n780\ttest/acc\tcross\n340\ttest/acc\trise'
	run -0 cut -f2-4 "$BATS_FILE_TMPDIR/news"
	assert_output $'30\ttrain/acc\trising\n260\ttest/acc\trising\n780\ttest/acc\tcross'
}

@test "ticks while a training writes its stream: all events logged as one pass finds them, each notified once" {
	traj-train $TRAIN --steps 3000 --out "$D/live.traj" &
	local pid=$! n=0 notes="$BATS_TEST_TMPDIR/notes"
	while kill -0 $pid 2>/dev/null; do
		tick -n "cat >>'$notes'" >>"$BATS_TEST_TMPDIR/out"
		n=$((n + 1))
	done
	wait $pid
	tick -n "cat >>'$notes'" >>"$BATS_TEST_TMPDIR/out"
	traj-score "$D/live.traj" | traj-emerge -c -e -m test/acc -m train/acc -w 'test/acc>=0.5' \
		>"$BATS_TEST_TMPDIR/one"
	[ -s "$BATS_TEST_TMPDIR/one" ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ] || fail "printed with -n"
	diff "$D/.watch/live/events.log" "$BATS_TEST_TMPDIR/one"
	# every rise and fall of this run ends a change announced just before
	# it in its series, so the news are the other lines, each once (before,
	# each change was notified twice)
	awk -F'\t' '$9 != "changepoint" { next } { k = $1 FS $3 }
		$4 == "rise" && last[k] != "rising" || $4 == "fall" && last[k] != "falling" { bad++ }
		{ last[k] = $4 } END { exit bad > 0 }' "$BATS_TEST_TMPDIR/one" ||
		fail "a rise or fall without its announcement: $(cat "$BATS_TEST_TMPDIR/one")"
	grep -v -P '\t(rise|fall)\t' "$BATS_TEST_TMPDIR/one" >"$BATS_TEST_TMPDIR/news"
	echo "# $n ticks while training: $(wc -l <"$notes") notifications of $(wc -l <"$BATS_TEST_TMPDIR/one") lines logged" >&3
	[ "$(wc -l <"$notes")" -lt "$(wc -l <"$BATS_TEST_TMPDIR/one")" ]
	diff "$notes" "$BATS_TEST_TMPDIR/news"
	# nothing new: nothing notified
	run -0 tick
	assert_output ''
}

@test "a change announced, then withdrawn: the announcement and the retraction are notified, the spike logged" {
	# a few checkpoints of the run (no event of its own) and, as if a
	# killed tick had left them, the lines of two withdrawn changes
	# (tests/fixtures/retract.tsv): blip rising, spike, retract; wander
	# rising, retract
	head -c 200000 "$RUN" >"$D/a.traj"
	mkdir -p "$D/.watch/a"
	traj-emerge -c -e "$TRAJ_ROOT/tests/fixtures/retract.tsv" >"$D/.watch/a/events.tmp"
	run -0 cut -f1,4 "$D/.watch/a/events.tmp"
	assert_output $'blip\trising\nblip\tspike\nblip\tretract\nwander\trising\nwander\tretract'
	run -0 tick
	diff "$D/.watch/a/events.log" <(traj-emerge -c -e "$TRAJ_ROOT/tests/fixtures/retract.tsv")
	run -0 cut -f1,4 <<<"$output"
	assert_output $'blip\trising\nblip\tretract\nwander\trising\nwander\tretract'
	run -0 tick
	assert_output ''
}

@test "a stream grown by cuts inside checkpoints, ticks killed with kill -9 at random moments: events logged once each" {
	size=$(stat -c %s "$RUN")
	for c in $((size / 9)) $((size / 4 + 77)) $((size / 3 + 1234)) $((size / 2 + 5)) \
		$((size * 2 / 3 + 999)) $((size - 100)) "$size"; do
		head -c "$c" "$RUN" >"$D/a.traj"
		for k in 1 2; do
			setsid "$WATCH" "$D" -c -m test/acc -m train/acc -w 'test/acc>=0.5' \
				>>"$BATS_TEST_TMPDIR/out" 2>/dev/null &
			local pid=$!
			sleep "0.0$((RANDOM % 10))"
			kill -9 -- -$pid 2>/dev/null || true
			wait $pid || true
		done
		tick >>"$BATS_TEST_TMPDIR/out"
	done
	diff "$D/.watch/a/events.log" "$BATS_FILE_TMPDIR/one"
	# the news notified at least once each (a kill between a
	# notification and its record sends it again), no other line
	diff <(sort -u "$BATS_TEST_TMPDIR/out") <(sort "$BATS_FILE_TMPDIR/news")
	run -0 tick
	assert_output ''
}

@test "-n NOTIFY runs once per new event with the line on its input" {
	cp "$RUN" "$D/a.traj"
	run -0 tick -n "cat >>'$BATS_TEST_TMPDIR/notes'"
	assert_output ''
	diff "$BATS_TEST_TMPDIR/notes" "$BATS_FILE_TMPDIR/news"
	diff "$D/.watch/a/events.log" "$BATS_FILE_TMPDIR/one"
	run -0 tick -n "cat >>'$BATS_TEST_TMPDIR/notes'"
	diff "$BATS_TEST_TMPDIR/notes" "$BATS_FILE_TMPDIR/news"
}

@test "damaged states: the run is scored again, no event lost or notified twice" {
	size=$(stat -c %s "$RUN")
	head -c $((size / 2)) "$RUN" >"$D/a.traj"
	tick >"$BATS_TEST_TMPDIR/out"
	head -c 100 "$D/.watch/a/emerge.state" >"$BATS_TEST_TMPDIR/cut"
	mv "$BATS_TEST_TMPDIR/cut" "$D/.watch/a/emerge.state"
	cp "$RUN" "$D/a.traj"
	run -0 --separate-stderr tick
	[[ $stderr == *"damaged or truncated; starting afresh"* ]] || fail "$stderr"
	printf '%s\n' "$output" >>"$BATS_TEST_TMPDIR/out"
	echo junk >"$D/.watch/a/score.state"
	run -0 --separate-stderr tick
	[[ $stderr == *"not a traj-score state file; scoring from the start"* ]] || fail "$stderr"
	assert_output ''
	diff <(grep . "$BATS_TEST_TMPDIR/out") "$BATS_FILE_TMPDIR/news"
	diff "$D/.watch/a/events.log" "$BATS_FILE_TMPDIR/one"
}

@test "a stream replaced by another training under the same name: its events are notified" {
	cp "$RUN" "$D/a.traj"
	tick >/dev/null
	# the same run id (modadd-p17-s1), another learning rate: test
	# accuracy crosses 0.5 at 230 and 250 (and is rising from 120 to the
	# end: announced, never over); train accuracy jumps to 1 in its first
	# 3 checkpoints: announced at z 5.15 against the noise of its first 16
	# points (the rise that follows, z 41 against the noise of the level
	# it reached, is no news)
	traj-train $TRAIN --steps 400 --lr 3e-2 --force --out "$D/a.traj"
	run -0 --separate-stderr tick
	[[ $stderr == *"scoring from the start"* ]] || fail "$stderr"
	[[ $stderr == *"run 'modadd-p17-s1' is another stream than the one seen before; its series start afresh"* ]] ||
		fail "$stderr"
	run -0 cut -f2-4 <<<"$output"
	assert_output $'120\ttest/acc\trising\n10\ttrain/acc\trising\n230\ttest/acc\tcross\n250\ttest/acc\tcross'
	run -0 tick
	assert_output ''
}

@test "usage errors" {
	run -64 "$WATCH"
	run -66 "$WATCH" "$BATS_TEST_TMPDIR/none"
}

@test "bench/tick_replay.sh: ticks of a grown copy print one pass's lines, each after the step its tick had read" {
	run -0 --separate-stderr "$TRAJ_ROOT/bench/tick_replay.sh" -b 5000 "$RUN" -c -m test/acc -m train/acc -w 'test/acc>=0.5'
	[[ $stderr == *"the same lines as one pass with --early"* ]] || fail "$stderr"
	# most cuts fall inside a checkpoint: many more ticks than checkpoints
	[[ $stderr =~ :\ ([0-9]+)\ ticks ]] && [ "${BASH_REMATCH[1]}" -gt 242 ] || fail "$stderr"
	diff <(cut -f2- <<<"$output") "$BATS_FILE_TMPDIR/one"
	# a line is printed no sooner than the step it names
	awk -F'\t' '$1 < $3 { bad++ } END { exit bad > 0 }' <<<"$output" || fail "$output"
	run -64 "$TRAJ_ROOT/bench/tick_replay.sh" -b x "$RUN"
	# a file that is no stream: traj score's line, then where it failed
	head -c 3000 /dev/zero >"$BATS_TEST_TMPDIR/junk.traj"
	run -65 "$TRAJ_ROOT/bench/tick_replay.sh" -b 1000 "$BATS_TEST_TMPDIR/junk.traj" -c
	[[ $output == *"not a traj stream"*"traj score failed at byte 1000 (status 65)"* ]] || fail "$output"
}

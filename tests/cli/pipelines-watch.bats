#!/usr/bin/env bats
# pipelines/watch.sh: cron ticks over a directory of runs notify each new
# event once, while a training writes, when ticks are killed with kill -9
# at any moment, and when a state is damaged.

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
}

setup() {
	load test_helper
	WATCH="$TRAJ_ROOT/pipelines/watch.sh"
	export TRAJ_BIN="$TRAJ_BUILD_DIR/bin"
	D=$BATS_TEST_TMPDIR/runs
	mkdir -p "$D"
}

tick() { "$WATCH" "$@" "$D" -c -m test/acc -m train/acc -w 'test/acc>=0.5'; }

@test "one pass's events are the five expected" {
	run -0 cut -f2-4 "$BATS_FILE_TMPDIR/one"
	assert_output $'30\ttrain/acc\trising\n260\ttest/acc\trising\n30\ttrain/acc\trise\n340\ttest/acc\trise\n780\ttest/acc\tcross'
}

@test "ticks while a training writes its stream: each event notified once, as one pass finds them" {
	traj-train $TRAIN --steps 3000 --out "$D/live.traj" &
	local pid=$! n=0
	while kill -0 $pid 2>/dev/null; do
		tick >>"$BATS_TEST_TMPDIR/out"
		n=$((n + 1))
	done
	wait $pid
	tick >>"$BATS_TEST_TMPDIR/out"
	echo "# $n ticks while training" >&3
	traj-score "$D/live.traj" | traj-emerge -c -e -m test/acc -m train/acc -w 'test/acc>=0.5' \
		>"$BATS_TEST_TMPDIR/one"
	[ -s "$BATS_TEST_TMPDIR/one" ]
	diff "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/one"
	diff "$D/.watch/live/events.log" "$BATS_TEST_TMPDIR/one"
	# nothing new: nothing notified
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
	# notified at least once each (a kill between a notification and its
	# record sends it again)
	diff <(sort -u "$BATS_TEST_TMPDIR/out") <(sort "$BATS_FILE_TMPDIR/one")
	run -0 tick
	assert_output ''
}

@test "-n NOTIFY runs once per new event with the line on its input" {
	cp "$RUN" "$D/a.traj"
	run -0 tick -n "cat >>'$BATS_TEST_TMPDIR/notes'"
	assert_output ''
	diff "$BATS_TEST_TMPDIR/notes" "$BATS_FILE_TMPDIR/one"
	run -0 tick -n "cat >>'$BATS_TEST_TMPDIR/notes'"
	diff "$BATS_TEST_TMPDIR/notes" "$BATS_FILE_TMPDIR/one"
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
	diff <(grep . "$BATS_TEST_TMPDIR/out") "$BATS_FILE_TMPDIR/one"
	diff "$D/.watch/a/events.log" "$BATS_FILE_TMPDIR/one"
}

@test "a stream replaced by another training under the same name: its events are notified" {
	cp "$RUN" "$D/a.traj"
	tick >/dev/null
	# the same run id (modadd-p17-s1), another learning rate: test
	# accuracy crosses 0.5 at 230 and 250 (train accuracy jumps to 1 in
	# its first 3 checkpoints, too early to tell from noise: z 5.5 against
	# the noise of 16 points, raised for the correlation they cannot show) (and
	# is rising from 120 to the end: announced, never over)
	traj-train $TRAIN --steps 400 --lr 3e-2 --force --out "$D/a.traj"
	run -0 --separate-stderr tick
	[[ $stderr == *"scoring from the start"* ]] || fail "$stderr"
	[[ $stderr == *"run 'modadd-p17-s1' is another stream than the one seen before; its series start afresh"* ]] ||
		fail "$stderr"
	run -0 cut -f2-4 <<<"$output"
	assert_output $'120\ttest/acc\trising\n230\ttest/acc\tcross\n250\ttest/acc\tcross'
	run -0 tick
	assert_output ''
}

@test "usage errors" {
	run -64 "$WATCH"
	run -66 "$WATCH" "$BATS_TEST_TMPDIR/none"
}

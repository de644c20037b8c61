#!/usr/bin/env bats
# traj-score --state: cron ticks score only what is new, on a stream still
# being written, killed, run twice at once, or given a bad state.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	# 41 checkpoints: key checkpoints every 16, so ticks go on from
	# checkpoints stored as differences
	small_train --steps 80 --every 2 >"$RUN"
	# one pass with a new state: the run's identity, then traj score's lines
	traj-score --state "$BATS_FILE_TMPDIR/one.state" "$RUN" >"$BATS_FILE_TMPDIR/full.txt"
	traj-score "$RUN" >"$BATS_FILE_TMPDIR/plain.txt"
	export RUN
}

setup() { load test_helper; }

# ticks CUT...: the stream grown to each byte count in turn (the last is
# the whole stream), one tick after each; their output in $BATS_TEST_TMPDIR/u.
ticks() {
	local c
	for c in "$@"; do
		head -c "$c" "$RUN" >"$BATS_TEST_TMPDIR/g.traj"
		traj-score --state "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/g.traj" \
			>>"$BATS_TEST_TMPDIR/u" || fail "tick at $c bytes: status $?"
	done
}

@test "ticks over a growing stream, cut anywhere (inside checkpoints too), print one pass's lines once each" {
	size=$(stat -c %s "$RUN")
	# cut points inside the run record, inside checkpoints, at the end
	ticks 5 $((size / 7)) $((size / 3 + 11)) $((size / 3 + 500)) $((size * 5 / 7)) \
		$((size - 3)) "$size"
	diff "$BATS_TEST_TMPDIR/u" "$BATS_FILE_TMPDIR/full.txt"
	# nothing new: nothing printed
	run -0 traj-score --state "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/g.traj"
	assert_output ''
	# the state records the run, the last step and the next byte
	run -0 awk -F'\t' '$1 == "run" { print $2 } $1 == "next" { print $2, $3, $5 }' \
		"$BATS_TEST_TMPDIR/st"
	assert_output "modadd-p11-s1
$size 80 41"
}

@test "with --state, the run's identity comes before its first line; the rest is traj score's" {
	run -0 head -1 "$BATS_FILE_TMPDIR/full.txt"
	assert_output --regexp $'^# traj-run\tmodadd-p11-s1\t[0-9a-f]{16}$'
	diff <(tail -n +2 "$BATS_FILE_TMPDIR/full.txt") "$BATS_FILE_TMPDIR/plain.txt"
	# the same stream, the same identity; another run, another
	traj-score --state "$BATS_TEST_TMPDIR/st" "$RUN" >"$BATS_TEST_TMPDIR/again"
	diff "$BATS_TEST_TMPDIR/again" "$BATS_FILE_TMPDIR/full.txt"
	small_train --steps 20 --every 10 --lr 0.02 >"$BATS_TEST_TMPDIR/other.traj"
	run -0 traj-score --state "$BATS_TEST_TMPDIR/st2" "$BATS_TEST_TMPDIR/other.traj"
	assert_line --index 0 --regexp $'^# traj-run\tmodadd-p11-s1\t'
	[ "${lines[0]}" != "$(head -1 "$BATS_FILE_TMPDIR/full.txt")" ] || fail "same identity"
}

@test "every cut of a checkpoint in the middle: the tick after scores it once" {
	size=$(stat -c %s "$RUN")
	for ((c = size / 2; c < size / 2 + 6000; c += 1500)); do
		rm -f "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/u"
		ticks "$c" "$size"
		diff -q "$BATS_TEST_TMPDIR/u" "$BATS_FILE_TMPDIR/full.txt" >/dev/null ||
			fail "cut at $c: ticks differ from one pass"
	done
}

@test "--header only when scoring from the start" {
	run -0 traj-score -H --state "$BATS_TEST_TMPDIR/st" "$RUN"
	assert_line --index 0 '# run	step	metric	value'
	run -0 traj-score -H --state "$BATS_TEST_TMPDIR/st" "$RUN"
	assert_output ''
}

@test "a stream replaced by another run: one line, scored from the start, status 0" {
	small_train --steps 20 --every 10 --seed 2 >"$BATS_TEST_TMPDIR/g.traj"
	traj-score --state "$BATS_TEST_TMPDIR/st" "$RUN" >/dev/null
	run -0 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/g.traj"
	assert_equal "$stderr" "traj-score: $BATS_TEST_TMPDIR/g.traj: not the run it was written for (run 'modadd-p11-s1'); scoring from the start"
	[ "${#lines[@]}" -eq 13 ] # its identity and 3 checkpoints
	# a stream shorter than what was scored (a training started again)
	traj-score --state "$BATS_TEST_TMPDIR/st" "$RUN" >/dev/null 2>&1
	head -c 3000 "$RUN" >"$BATS_TEST_TMPDIR/g.traj"
	run -0 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/g.traj"
	[[ $stderr == *"scoring from the start" ]] || fail "$stderr"
	assert_equal "$output" "$(head -n ${#lines[@]} "$BATS_FILE_TMPDIR/full.txt")"
}

@test "a damaged, truncated, foreign or newer state: one line, status 65, everything scored, a fresh state" {
	st=$BATS_TEST_TMPDIR/st
	traj-score --state "$st" "$RUN" >/dev/null
	head -c 60 "$st" >"$BATS_TEST_TMPDIR/cut"
	run -65 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/cut" "$RUN"
	assert_equal "$stderr" "traj-score: $BATS_TEST_TMPDIR/cut: line 3: damaged or truncated; scoring from the start"
	diff <(printf '%s\n' "$output") "$BATS_FILE_TMPDIR/full.txt"
	run -0 traj-score --state "$BATS_TEST_TMPDIR/cut" "$RUN"
	assert_output ''
	sed 's/^next\t[0-9]*/next\t1000/' "$st" >"$BATS_TEST_TMPDIR/flip"
	run -65 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/flip" "$RUN"
	assert_equal "$stderr" "traj-score: $BATS_TEST_TMPDIR/flip: line 5: damaged or truncated; scoring from the start"
	sed 's/^traj-score-state 1$/traj-score-state 2/' "$st" >"$BATS_TEST_TMPDIR/newer"
	run -65 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/newer" "$RUN"
	assert_equal "$stderr" "traj-score: $BATS_TEST_TMPDIR/newer: state format version 2 is newer than this traj-score's (1); scoring from the start"
	traj-emerge --state "$BATS_TEST_TMPDIR/em" </dev/null
	run -65 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/em" "$RUN"
	assert_equal "$stderr" "traj-score: $BATS_TEST_TMPDIR/em: line 1: not a traj-score state file; scoring from the start"
	[ "${#lines[@]}" -eq 165 ]
}

@test "--state refuses standard input and --follow (status 64)" {
	run -64 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/st" <"$RUN"
	assert_equal "${stderr%%$'\n'*}" "traj-score: --state needs a FILE to go on in, not standard input"
	run -64 --separate-stderr traj-score --state "$BATS_TEST_TMPDIR/st" -f "$RUN"
	[ ! -e "$BATS_TEST_TMPDIR/st" ]
}

@test "two ticks at once take turns (FILE.lock): each checkpoint scored once" {
	st=$BATS_TEST_TMPDIR/st
	traj-score --state "$st" "$RUN" >"$BATS_TEST_TMPDIR/a" &
	traj-score --state "$st" "$RUN" >"$BATS_TEST_TMPDIR/b" &
	wait
	diff <(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b") "$BATS_FILE_TMPDIR/full.txt"
	# a tick waits while another holds the lock
	exec 9>"$st.lock"
	flock 9
	timeout 0.5 traj-score --state "$BATS_TEST_TMPDIR/other" "$RUN" >/dev/null
	run -124 timeout 0.5 traj-score --state "$st" "$RUN"
	exec 9>&-
}

@test "ticks killed with kill -9 at random moments lose no checkpoint" {
	st=$BATS_TEST_TMPDIR/st
	for i in 1 2 3 4 5 6; do
		traj-score --state "$st" "$RUN" >>"$BATS_TEST_TMPDIR/u" &
		sleep "0.0$((RANDOM % 6))"
		kill -9 $! 2>/dev/null || true
		wait $! || true
	done
	traj-score --state "$st" "$RUN" >>"$BATS_TEST_TMPDIR/u"
	# every line of one pass was printed (a killed tick's may come again)
	diff <(sort -u "$BATS_TEST_TMPDIR/u") <(sort -u "$BATS_FILE_TMPDIR/full.txt")
	run -0 traj-score --state "$st" "$RUN"
	assert_output ''
}

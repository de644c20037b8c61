#!/usr/bin/env bats
# traj-emerge: transitions in metric lines by threshold, change point and
# steepest change, significant against the series' own noise; spikes;
# live input; bad lines.

setup() {
	load test_helper
	GROK="$TRAJ_ROOT/tests/fixtures/grok.tsv" # train acc jumps at 200, test acc at 1200
	# a flat accuracy with noise of s.d. 0.03 (run "flat"), and a loss of
	# noise s.d. 0.01 with a spike of 0.6 at step 3750 that recovers ("spiky")
	NOISE="$TRAJ_ROOT/tests/fixtures/noise.tsv"
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-emerge --help
	assert_line --index 0 "Usage: traj-emerge [OPTION]... [FILE]..."
}

@test "--version prints the version" {
	run -0 traj-emerge --version
	assert_output --regexp '^traj-emerge \(traj\) [0-9.]+$'
}

@test "--when reports the first step at which the test passes" {
	run -0 traj-emerge --when 'test/acc>=0.95' "$GROK"
	assert_output $'toy\t1200\ttest/acc\tcross\t0.012\t0.986\t1175\t1200\ttest/acc>=0.95\t6.51\t0.0036'
}

@test "--when takes globs, every operator, and may repeat" {
	run -0 traj-emerge -w '*/acc>0.5' -w 'train/acc<0.018' "$GROK"
	# too few points to know the noise: Z and NOISE are nan
	assert_line --index 0 $'toy\t25\ttrain/acc\tcross\t0.024\t0.017\t0\t25\ttrain/acc<0.018\tnan\tnan'
	run -0 bash -c "traj-emerge -w '*/acc>0.5' '$GROK' | cut -f1-4"
	assert_output $'toy\t200\ttrain/acc\tcross\ntoy\t1200\ttest/acc\tcross'
	run -0 bash -c "traj-emerge -w 'test/acc<=0.01' '$GROK' | cut -f2 | paste -sd' '"
	refute_output ""
}

@test "a crossing is reported each time the series enters the region" {
	printf 'r\t0\tm\t0\nr\t1\tm\t1\nr\t2\tm\t0\nr\t3\tm\t1\n' >"$BATS_TEST_TMPDIR/m.tsv"
	run -0 bash -c "traj-emerge -w 'm>=0.5' '$BATS_TEST_TMPDIR/m.tsv' | cut -f2"
	assert_output $'1\n3'
}

@test "the default methods find both transitions by change point and steepest change" {
	run -0 traj-emerge "$GROK"
	assert_line --index 0 $'toy\t200\ttrain/acc\trise\t0.020125\t1.000125\t175\t200\tchangepoint\t558\t0.00371'
	assert_line --index 1 $'toy\t1200\ttest/acc\trise\t0.010125\t0.990125\t1175\t1200\tchangepoint\t865\t0.00354'
	assert_line --index 2 --regexp $'^toy\t200\ttrain/acc\trise\t.*\tsteepest\t558\t0.00371$'
	assert_line --index 3 --regexp $'^toy\t1200\ttest/acc\trise\t.*\tsteepest\t865\t0.00354$'
	assert_equal "${#lines[@]}" 4
}

@test "pure noise gives no event, and --steepest none without a significant change" {
	run -0 bash -c "grep '^flat' '$NOISE' | traj-emerge"
	assert_output ""
	run -0 bash -c "grep '^flat' '$NOISE' | traj-emerge --steepest --min-delta 0"
	assert_output ""
	# the same noise with a step of 0.3 (10 noise s.d.) at step 3750
	run -0 bash -c "awk -F'\t' -v OFS='\t' '/^flat/ && \$2 >= 3750 { \$4 += 0.3 } /^flat/' '$NOISE' | traj-emerge"
	assert_line --index 0 --regexp $'^flat\t37[0-9][05]\ttest/acc\trise\t0.[45][0-9]*\t0.[78][0-9]*\t[0-9]+\t[0-9]+\tchangepoint\t'
	assert_line --index 1 --regexp $'^flat\t37[0-9][05]\ttest/acc\trise\t.*\tsteepest\t'
	assert_equal "${#lines[@]}" 2
}

@test "Z and NOISE say how sure an event is, and awk can filter on them" {
	run -0 bash -c "awk -F'\t' -v OFS='\t' '/^flat/ && \$2 >= 3750 { \$4 += 0.3 } /^flat/' '$NOISE' | traj-emerge -c"
	local z noise
	z=$(cut -f10 <<<"$output")
	noise=$(cut -f11 <<<"$output")
	# 0.3 over means of 16 points with noise s.d. 0.03: z about 0.3 / (0.03 sqrt(1/8)) = 28
	awk -v z="$z" -v n="$noise" 'BEGIN { exit !(z > 15 && z < 45 && n > 0.025 && n < 0.04) }' ||
		fail "z $z noise $noise"
	run -0 bash -c "awk -F'\t' -v OFS='\t' '/^flat/ && \$2 >= 3750 { \$4 += 0.3 } /^flat/' '$NOISE' | traj-emerge -c --min-delta 0 | awk -F'\t' '\$10 >= 100'"
	assert_output ""
}

@test "a loss spike that recovers is a spike, not a rise and a fall" {
	run -0 bash -c "grep '^spiky' '$NOISE' | traj-emerge"
	assert_output --regexp $'^spiky\t3750\ttrain/loss\tspike\t0.20[0-9]*\t0.7957\t3750\t3775\tchangepoint\t[0-9.]+\t0.0[0-9]+$'
}

@test "a fall is reported as a fall" {
	awk -F'\t' -v OFS='\t' '$3 == "test/acc" { $3 = "test/err"; $4 = 1 - $4; print }' "$GROK" >"$BATS_TEST_TMPDIR/err.tsv"
	run -0 traj-emerge --changepoint "$BATS_TEST_TMPDIR/err.tsv"
	assert_output --regexp $'^toy\t1200\ttest/err\tfall\t'
}

@test "--changepoint and --steepest select one method each" {
	run -0 bash -c "traj-emerge -c '$GROK' | cut -f9 | sort -u"
	assert_output changepoint
	run -0 bash -c "traj-emerge --steepest '$GROK' | cut -f9 | sort -u"
	assert_output steepest
}

@test "--metric restricts the detectors to matching metrics" {
	run -0 bash -c "traj-emerge -m 'test/*' '$GROK' | cut -f3 | sort -u"
	assert_output test/acc
}

@test "--min-delta hides changes smaller than it" {
	run -0 traj-emerge --min-delta 2 "$GROK"
	assert_output ""
}

@test "--window changes the steepest window" {
	run -0 bash -c "traj-emerge -s --window 0.05 '$GROK' | grep test/acc | cut -f7,8"
	assert_output $'1100\t1225'
	run -64 --separate-stderr traj-emerge --window -1 "$GROK"
}

@test "--threshold and --warmup tune the change-point detector" {
	run -0 bash -c "traj-emerge -c --warmup 4 '$GROK' | cut -f2 | paste -sd' '"
	assert_output "200 1200"
	run -0 traj-emerge -c --threshold 1000 "$GROK"
	assert_output ""
	# a spike of 0.6 with noise 0.01 needs more than 100 s.d.
	run -0 bash -c "grep '^spiky' '$NOISE' | traj-emerge -c --threshold 100"
	assert_output ""
	run -64 --separate-stderr traj-emerge --warmup 1 "$GROK"
	assert_equal "${stderr%%$'\n'*}" "traj-emerge: --warmup: 1 outside 2..4096"
}

@test "reads standard input, - and several files" {
	run -0 bash -c "traj-emerge -w 'test/acc>=0.95' <'$GROK' | cut -f2"
	assert_output 1200
	run -0 bash -c "traj-emerge -w 'test/acc>=0.95' - <'$GROK' | cut -f2"
	assert_output 1200
	sed 's/^toy/two/' "$GROK" >"$BATS_TEST_TMPDIR/two.tsv"
	run -0 bash -c "traj-emerge -w 'test/acc>=0.95' '$GROK' '$BATS_TEST_TMPDIR/two.tsv' | cut -f1,2"
	assert_output $'toy\t1200\ntwo\t1200'
}

@test "events come out while the input is still open (live streams)" {
	out="$BATS_TEST_TMPDIR/out"
	# The writer keeps the pipe open until the event has appeared.
	run -0 bash -c "{ printf 'r\t0\tm\t0\nr\t5\tm\t1\n'
		for i in \$(seq 100); do [ -s '$out' ] && break; sleep 0.05; done
		cut -f2 '$out' >'$out.seen'; } | traj-emerge -w 'm>=1' >'$out'"
	run -0 cat "$out.seen"
	assert_output 5
}

@test "works on traj score output in a pipeline" {
	run -0 bash -c "small_train() { traj-train --quiet --p 11 --width 32 --steps 40 --every 10 \"\$@\"; }
		small_train | traj-score | traj-emerge -w 'train/acc>0.1' | cut -f1-4"
	assert_output --regexp $'^modadd-p11-s1\t[0-9]+\ttrain/acc\tcross$'
}

@test "a malformed line is an error naming the file and line, status 65" {
	printf 'r\t0\tm\t1\n# comment\n\nr\t2\tm\n' >"$BATS_TEST_TMPDIR/bad.tsv"
	run -65 --separate-stderr traj-emerge "$BATS_TEST_TMPDIR/bad.tsv"
	assert_one_error_line traj-emerge
	[[ $stderr == *"bad.tsv: line 4: expected 4 tab-separated fields" ]]
	printf 'r\t0\tm\tabc\n' | { run -65 --separate-stderr traj-emerge; }
	printf 'r\tx\tm\t1\n' >"$BATS_TEST_TMPDIR/step.tsv"
	run -65 --separate-stderr traj-emerge "$BATS_TEST_TMPDIR/step.tsv"
	[[ $stderr == *"-: line 1: step: expected a non-negative integer" ]] ||
		[[ $stderr == *"step.tsv: line 1: step: expected a non-negative integer" ]]
}

@test "--lenient skips malformed lines and counts them at the end" {
	printf 'r\t0\tm\t0\nr\t1\tm\tx\nbad\nr\t2\tm\t1\n' >"$BATS_TEST_TMPDIR/bad.tsv"
	run -0 --separate-stderr traj-emerge --lenient -w 'm>=1' "$BATS_TEST_TMPDIR/bad.tsv"
	assert_output --regexp $'^r\t2\tm\tcross'
	assert_equal "$stderr" "traj-emerge: skipped 2 malformed lines"
}

@test "bad --when expressions and options are usage errors, status 64" {
	for e in 'test/acc=0.9' '>=1' 'a>=x' 'a>='; do
		run -64 --separate-stderr traj-emerge --when "$e" "$GROK"
		[[ $stderr == "traj-emerge: --when: '$e': "* ]] || fail "$e: $stderr"
	done
	run -64 --separate-stderr traj-emerge --nope
	run -64 --separate-stderr traj-emerge --min-delta x
}

@test "a --when value that is not a finite decimal number is one line naming it, status 64" {
	for v in 0x10 1e400 ' 0.5' '0.5 ' inf nan 1e; do
		run -64 --separate-stderr traj-emerge --when "test/acc>=$v" "$GROK"
		assert_equal "${stderr%%$'\n'*}" "traj-emerge: --when: 'test/acc>=$v': '$v' is not a finite decimal number"
	done
	run -0 traj-emerge --when 'test/acc>=9.5e-1' "$GROK"
	assert_output --regexp $'^toy\t1200\t'
}

@test "a missing file is an error naming it, status 66" {
	run -66 --separate-stderr traj-emerge "$BATS_TEST_TMPDIR/nope.tsv"
	assert_one_error_line traj-emerge
	[[ $stderr == *"nope.tsv"* ]]
}

@test "| head -1 exits quietly with status 0" {
	run -0 --separate-stderr bash -c "set -o pipefail; traj-emerge -w '*>=0' '$GROK' | head -1"
	[ -z "$stderr" ]
}

# ---- --state: cron ticks ----

# The events of one pass with --early (implied by --state): what ticks
# must print between them, line for line.
one_pass() { traj-emerge -c -e -w 'test/acc>=0.5' "$@"; }

@test "--state: the union of the ticks' events is one pass's, at any cut points" {
	cat "$GROK" "$NOISE" >"$BATS_TEST_TMPDIR/all.tsv"
	local all="$BATS_TEST_TMPDIR/all.tsv" n
	n=$(wc -l <"$all")
	one_pass "$all" >"$BATS_TEST_TMPDIR/one"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/one")" -ge 4 ]
	for cuts in "1 2 3 161 400" "100 200 300 450 600" "159 160 161 162 460"; do
		local st="$BATS_TEST_TMPDIR/st.$RANDOM" prev=0
		: >"$BATS_TEST_TMPDIR/ticks"
		for c in $cuts "$n"; do
			sed -n "$((prev + 1)),${c}p" "$all" |
				traj-emerge --state "$st" -c -w 'test/acc>=0.5' >>"$BATS_TEST_TMPDIR/ticks"
			prev=$c
		done
		run -0 diff "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/ticks"
	done
}

# Two provisional lines that no final rise follows (tests/fixtures/
# retract.tsv, 240 points 25 apart, made with mawk's rand): "blip",
# test/acc at 0.1 (noise s.d. 0.005) up to 0.6 for points 100-105, then
# back (a spike); "wander", noise s.d. 0.03, up by 0.07 for points 100-119,
# then back: significant as it stood, not once over.
@test "--early: a provisional line no rise confirms is retracted once, in ticks as in one pass" {
	local fix="$TRAJ_ROOT/tests/fixtures/retract.tsv"
	run -0 bash -c "traj-emerge -c -e '$fix' | cut -f1-4"
	assert_output $'blip\t2500\ttest/acc\trising\nblip\t2500\ttest/acc\tspike\nblip\t2500\ttest/acc\tretract\nwander\t2475\ttest/acc\trising\nwander\t2475\ttest/acc\tretract'
	# the retraction: the level before, the level it settled at (the
	# noise's: z below 5), FROM the change's first point, TO the point
	# that showed it over
	run -0 bash -c "traj-emerge -c -e '$fix' | awk -F'\t' '\$4 == \"retract\" && \$10 < 3 && \$6 - \$5 < 0.03 && \$7 < \$2 && \$8 > 2500 { n++ } END { print n }'"
	assert_output 2
	# not without -e, nor as a change under way at the end
	run -0 bash -c "traj-emerge -c '$fix' | cut -f4"
	assert_output spike
	# a series that starts afresh (its steps begin again) withdraws the
	# line of the change it can no longer finish
	run -0 bash -c "{ head -110 '$fix'; head -110 '$fix'; } | traj-emerge -c -e | cut -f2,4,6,8"
	assert_output $'2500\trising\t0.5968735\t2500\n2500\tretract\tnan\t2725\n2500\trising\t0.5968735\t2500'
	# ticks cut before, between and after the provisional lines and their
	# retractions print them once each, as one pass does
	traj-emerge -c -e "$fix" >"$BATS_TEST_TMPDIR/one"
	for cuts in "104 105 110 118 200 339 340 341 350 420" "1 150 300 360 400" "130 330"; do
		local st="$BATS_TEST_TMPDIR/st.$RANDOM" prev=0
		: >"$BATS_TEST_TMPDIR/ticks"
		for c in $cuts 480; do
			sed -n "$((prev + 1)),${c}p" "$fix" |
				traj-emerge --state "$st" -c >>"$BATS_TEST_TMPDIR/ticks"
			prev=$c
		done
		run -0 diff "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/ticks"
	done
}

# test/acc flat at 0.1 (noise of s.d. 0.005, the sum of three uniforms),
# a jump to 0.6 at step 2500 (point 100), then a creep of 0.002 a point:
# like the grokking demo's test accuracy, significant against the noise
# before the jump, so the change is not over until the input ends.
creep() {
	awk 'BEGIN { OFS = "\t"; srand(7); for (i = 0; i < 200; i++) {
		v = i < 100 ? 0.1 : 0.6 + 0.002 * (i - 100)
		print "r", 25 * i, "test/acc", v + 0.005 * (rand() + rand() + rand() - 1.5) * 2 } }'
}

@test "--state: ticked at every line, a rise is printed a few checkpoints after it happens" {
	# (before --early, not until the change was over: here never)
	local st="$BATS_TEST_TMPDIR/st" i=0 at=
	creep >"$BATS_TEST_TMPDIR/creep.tsv"
	while IFS= read -r line; do
		out=$(printf '%s\n' "$line" | traj-emerge --state "$st" -c)
		if [ -n "$out" ] && [ -z "$at" ]; then
			at=$i first=$out
		fi
		i=$((i + 1))
	done < <(head -120 "$BATS_TEST_TMPDIR/creep.tsv")
	echo "# the jump at point 100 printed by the tick of point $at" >&3
	[ -n "$at" ] && [ "$at" -ge 100 ] && [ "$at" -le 106 ] || fail "printed at point '$at'"
	run -0 cut -f2-4 <<<"$first"
	assert_output $'2500\ttest/acc\trising'
	# the same line in one pass with --early; without it, only at the
	# end of the input
	run -0 traj-emerge -c -e "$BATS_TEST_TMPDIR/creep.tsv"
	assert_output "$first"
	run -0 bash -c "traj-emerge -c '$BATS_TEST_TMPDIR/creep.tsv' | cut -f2-4"
	assert_output $'2500\ttest/acc\trising'
}

@test "--early: the final lines are those of a pass without it, the provisional one printed when known" {
	run -0 bash -c "traj-emerge -c -e '$GROK' '$NOISE' | grep -v -P '\t(rising|falling)\t'"
	local early=$output
	run -0 traj-emerge -c "$GROK" "$NOISE"
	assert_equal "$early" "$output"
	# the loss spike of three checkpoints is no rise, even as it stands
	run -0 bash -c "traj-emerge -c -e '$NOISE' | cut -f1-4"
	assert_output $'spiky\t3750\ttrain/loss\tspike'
}

@test "--state: lines fed again are skipped, so a tick can always be rerun" {
	local st="$BATS_TEST_TMPDIR/st"
	run -0 traj-emerge --state "$st" "$GROK"
	assert_equal "${#lines[@]}" 4 # each jump: rising, then rise
	run -0 traj-emerge --state "$st" "$GROK"
	assert_output ""
	# without --state, going back in steps is a new run of the same id
	run -0 bash -c "cat '$GROK' '$GROK' | traj-emerge -c | wc -l"
	assert_output 4
}

@test "--state: a damaged, foreign or newer state is one line, status 65, and a fresh start" {
	local st="$BATS_TEST_TMPDIR/st"
	traj-emerge --state "$st" -c <"$GROK" >/dev/null
	cp "$st" "$BATS_TEST_TMPDIR/good"
	head -c 300 "$st" >"$BATS_TEST_TMPDIR/cut"
	run -65 --separate-stderr traj-emerge --state "$BATS_TEST_TMPDIR/cut" -c "$GROK"
	assert_equal "$stderr" "traj-emerge: $BATS_TEST_TMPDIR/cut: line 10: damaged or truncated; starting afresh"
	assert_equal "${#lines[@]}" 4
	# the fresh state was saved: the next tick is clean
	run -0 traj-emerge --state "$BATS_TEST_TMPDIR/cut" -c "$GROK"
	sed 's/^traj-emerge-state 5$/traj-emerge-state 6/' "$st" >"$BATS_TEST_TMPDIR/newer"
	run -65 --separate-stderr traj-emerge --state "$BATS_TEST_TMPDIR/newer" -c </dev/null
	[[ $stderr == *"newer: state format version 6 is newer than this traj-emerge's (5); starting afresh" ]]
	run -65 --separate-stderr traj-emerge --state "$st" -w 'test/acc>=0.5' </dev/null
	[[ $stderr == *"st: line 2: written with other options"*"; starting afresh" ]]
	printf 'hello\n' >"$BATS_TEST_TMPDIR/junk"
	run -65 --separate-stderr traj-emerge --state "$BATS_TEST_TMPDIR/junk" </dev/null
	[[ $stderr == *"junk: line 1: not a traj-emerge state file; starting afresh" ]]
	# a flipped digit in a number is caught by the checksum
	sed '6s/0x1\./0x3./' "$BATS_TEST_TMPDIR/good" >"$BATS_TEST_TMPDIR/flip"
	cmp -s "$BATS_TEST_TMPDIR/good" "$BATS_TEST_TMPDIR/flip" && fail "sed changed nothing"
	run -65 --separate-stderr traj-emerge --state "$BATS_TEST_TMPDIR/flip" -c </dev/null
	[[ $stderr == *"damaged or truncated; starting afresh" ]]
}

@test "--state: a stream replaced under the same run id starts its series afresh, with one line" {
	local d=$BATS_TEST_TMPDIR w='train/acc>=0.5'
	# the same run id, modadd-p11-s1: train accuracy crosses 0.5 at step
	# 22 (lr 0.01), at step 6 (lr 0.05)
	small_train --every 2 --lr 0.01 >"$d/a.traj"
	small_train --every 2 --lr 0.05 >"$d/b.traj"
	cp "$d/a.traj" "$d/run.traj"
	run -0 bash -c "traj-score --state '$d/s' '$d/run.traj' | traj-emerge --state '$d/e' -w '$w'"
	assert_output --regexp $'^modadd-p11-s1\t22\ttrain/acc\tcross\t'
	cp "$d/b.traj" "$d/run.traj"
	run -0 --separate-stderr bash -c "traj-score --state '$d/s' '$d/run.traj' | traj-emerge --state '$d/e' -w '$w'"
	assert_equal "$output" "$(traj-score "$d/b.traj" | traj-emerge -w "$w")"
	assert_output --regexp $'^modadd-p11-s1\t6\ttrain/acc\tcross\t'
	[[ $stderr == *"traj-emerge: -: line 1: run 'modadd-p11-s1' is another stream than the one seen before; its series start afresh" ]] ||
		fail "$stderr"
	[ "$(printf '%s\n' "$stderr" | grep -c '^traj-emerge')" -eq 1 ]
	# the same stream again, from the start (a lost score state): no
	# line, nothing printed twice
	run -0 --separate-stderr bash -c "traj-score --state '$d/s2' '$d/run.traj' | traj-emerge --state '$d/e' -w '$w'"
	assert_output ''
	assert_equal "$stderr" ''
}

@test "--state: two ticks at once take turns (FILE.lock), and --steepest is refused" {
	local st="$BATS_TEST_TMPDIR/st"
	exec 9>"$st.lock"
	flock 9
	traj-emerge --state "$st" -c <"$GROK" >"$BATS_TEST_TMPDIR/out" &
	local pid=$!
	sleep 0.5
	[ ! -s "$BATS_TEST_TMPDIR/out" ] || fail "ran without the lock"
	[ ! -e "$st" ] || fail "wrote the state without the lock"
	flock -u 9
	wait "$pid"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 4 ]
	run -64 --separate-stderr traj-emerge --state "$st" --steepest </dev/null
	assert_equal "${stderr%%$'\n'*}" "traj-emerge: --steepest needs the whole series at once; not with --state"
}

@test "a run that memorises and never generalises: no test-accuracy event (docs/emergence.md)" {
	traj-train --quiet --p 23 --width 128 --frac 0.3 --wd 0 --lr 5e-3 --steps 500 \
		--every 5 --seed 1 --out "$BATS_TEST_TMPDIR/mem.traj"
	traj-score "$BATS_TEST_TMPDIR/mem.traj" >"$BATS_TEST_TMPDIR/mem.tsv"
	run -0 traj-emerge "$BATS_TEST_TMPDIR/mem.tsv"
	assert_line --regexp $'\ttrain/acc\trise\t.*\tchangepoint\t'
	refute_line --regexp $'\ttest/acc\t'
}

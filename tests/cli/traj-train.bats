#!/usr/bin/env bats
# traj-train: options, errors, determinism, output conventions.

setup() { load test_helper; }

steps_of() { traj-score "$1" | awk '$3 == "test/acc" { print $2 }' | paste -sd, -; }

@test "--help prints usage on stdout with status 0" {
	run -0 --separate-stderr traj-train --help
	assert_line --index 0 --partial "Usage: traj-train"
	assert_output --partial "--log-every"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run -0 traj-train --version
	assert_output --regexp '^traj-train \(traj\) [0-9.]+$'
}

@test "writes a stream that zstd verifies" {
	small_train --out "$BATS_TEST_TMPDIR/run.traj"
	run -0 zstd -t -q "$BATS_TEST_TMPDIR/run.traj"
}

@test "--out FILE and stdout give the same bytes" {
	small_train --out "$BATS_TEST_TMPDIR/a.traj"
	small_train >"$BATS_TEST_TMPDIR/b.traj"
	cmp "$BATS_TEST_TMPDIR/a.traj" "$BATS_TEST_TMPDIR/b.traj"
}

@test "same seed and threads give a bit-identical stream" {
	small_train --seed 7 --batch 16 >"$BATS_TEST_TMPDIR/a.traj"
	small_train --seed 7 --batch 16 >"$BATS_TEST_TMPDIR/b.traj"
	cmp "$BATS_TEST_TMPDIR/a.traj" "$BATS_TEST_TMPDIR/b.traj"
}

@test "a different seed gives a different stream" {
	small_train --seed 7 >"$BATS_TEST_TMPDIR/a.traj"
	small_train --seed 8 >"$BATS_TEST_TMPDIR/b.traj"
	! cmp -s "$BATS_TEST_TMPDIR/a.traj" "$BATS_TEST_TMPDIR/b.traj"
}

@test "--data-seed changes the split but not the initialisation" {
	small_train --data-seed 1 --steps 0 >"$BATS_TEST_TMPDIR/a.traj"
	small_train --data-seed 2 --steps 0 >"$BATS_TEST_TMPDIR/b.traj"
	# same weights at step 0, so the same loss over all pairs ...
	a=$(traj-score "$BATS_TEST_TMPDIR/a.traj" | awk '$3 ~ /loss/ { s += $4 } END { print s }')
	b=$(traj-score "$BATS_TEST_TMPDIR/b.traj" | awk '$3 ~ /loss/ { s += $4 } END { print s }')
	# ... but split differently between train and test
	ta=$(traj-score "$BATS_TEST_TMPDIR/a.traj" | awk '$3 == "train/loss" { print $4 }')
	tb=$(traj-score "$BATS_TEST_TMPDIR/b.traj" | awk '$3 == "train/loss" { print $4 }')
	[ "$ta" != "$tb" ]
}

@test "--every checkpoints step 0, every N steps and the last step" {
	small_train --steps 35 --every 10 >"$BATS_TEST_TMPDIR/run.traj"
	assert_equal "$(steps_of "$BATS_TEST_TMPDIR/run.traj")" "0,10,20,30,35"
}

@test "--log-every adds log-spaced checkpoints" {
	small_train --steps 100 --every 0 --log-every 2 >"$BATS_TEST_TMPDIR/run.traj"
	# 10^(k/2): 1, 3.16, 10, 31.6, 100
	assert_equal "$(steps_of "$BATS_TEST_TMPDIR/run.traj")" "0,1,4,10,32,100"
}

@test "every encoding gives the same weights" {
	for enc in raw shuffle xor pred2 delta; do
		small_train --encoding $enc --key-every 3 >"$BATS_TEST_TMPDIR/$enc.traj"
		traj-score "$BATS_TEST_TMPDIR/$enc.traj" >"$BATS_TEST_TMPDIR/$enc.txt"
	done
	for enc in shuffle xor pred2 delta; do
		cmp "$BATS_TEST_TMPDIR/raw.txt" "$BATS_TEST_TMPDIR/$enc.txt"
	done
}

@test "training learns: a+b mod 11 reaches full train accuracy" {
	run -0 bash -c "traj-train -q --p 11 --width 64 --steps 300 --every 300 --lr 0.01 --wd 0 --frac 0.9 | traj-score"
	assert_line --regexp $'\t300\ttrain/acc\t1$'
}

@test "sgd and every task train without error" {
	for task in modadd modsub modmul moddiv modquad; do
		traj-train -q --task $task --p 7 --width 8 --steps 3 --optim sgd | traj-score >/dev/null
	done
}

@test "the summary goes to stderr, data to stdout" {
	run -0 --separate-stderr traj-train --p 7 --width 8 --steps 5 --out "$BATS_TEST_TMPDIR/r.traj"
	[ -z "$output" ]
	assert_regex "$stderr" '^traj-train: modadd-p7-s1: 5 steps in .* 2 checkpoints'
}

@test "progress on stderr only when it is a terminal" {
	run -0 script -qec "$TRAJ_BUILD_DIR/bin/traj-train --p 7 --width 8 --steps 100 --out $BATS_TEST_TMPDIR/t.traj" /dev/null
	assert_output --partial "step 100/100"
	run -0 --separate-stderr traj-train --p 7 --width 8 --steps 100 --out "$BATS_TEST_TMPDIR/u.traj"
	[[ $stderr != *"step 100/100"* ]] || fail "progress on a non-terminal: $stderr"
}

@test "refuses to write a stream to a terminal" {
	run -64 script -qec "$TRAJ_BUILD_DIR/bin/traj-train --p 7 --steps 1" /dev/null
	assert_output --partial "refusing to write a binary stream to a terminal"
}

@test "negative --p is a usage error naming the option" {
	run -64 --separate-stderr traj-train --p -5
	assert_equal "${stderr_lines[0]}" "traj-train: --p: -5 outside 2..4096"
	[ -z "$output" ]
}

@test "--frac outside (0,1) is a usage error" {
	for f in 0 1 1.5 -0.2; do
		run -64 --separate-stderr traj-train --frac $f
		[[ ${stderr_lines[0]} == "traj-train: --frac: "* ]]
	done
}

@test "a non-numeric value is a usage error" {
	run -64 --separate-stderr traj-train --steps ten
	assert_equal "${stderr_lines[0]}" "traj-train: --steps: 'ten' is not an integer"
}

@test "an unknown task is a usage error that lists the tasks" {
	run -64 --separate-stderr traj-train --task modpow
	[[ ${stderr_lines[0]} == "traj-train: --task: unknown task 'modpow' (one of modadd,"* ]]
}

@test "division needs a prime modulus" {
	run -64 --separate-stderr traj-train --task moddiv --p 12
	[[ ${stderr_lines[0]} == *"--p: division needs a prime modulus, 12 is not prime" ]]
}

@test "an unknown option is a usage error" {
	run -64 --separate-stderr traj-train --bogus
	[[ $stderr == *"Try 'traj-train --help'"* ]]
}

@test "an unwritable --out is an error naming the file" {
	run -73 --separate-stderr traj-train --p 7 --steps 1 --out /nonexistent/dir/run.traj
	assert_one_error_line traj-train
	[[ $stderr == *"'/nonexistent/dir/run.traj'"* ]]
}

@test "a closed downstream pipe ends training quietly with status 0" {
	run -0 --separate-stderr bash -c "set -o pipefail; traj-train -q --p 31 --steps 2000 --every 1 | head -c 100 >/dev/null"
	[ -z "$stderr" ]
}

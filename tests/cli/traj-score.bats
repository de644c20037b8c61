#!/usr/bin/env bats
# traj-score: metric lines from a stream, on files, stdin and live pipes;
# every kind of bad input.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	small_train --steps 40 --every 10 >"$RUN"
	traj-score "$RUN" >"$BATS_FILE_TMPDIR/run.txt"
	export RUN
}

setup() { load test_helper; }

@test "--help prints usage on stdout with status 0" {
	run -0 traj-score --help
	assert_line --index 0 "Usage: traj-score [OPTION]... [FILE]"
}

@test "--version prints the version" {
	run -0 traj-score --version
	assert_output --regexp '^traj-score \(traj\) [0-9.]+$'
}

@test "prints four metric lines per checkpoint, tab-separated" {
	run -0 traj-score "$RUN"
	assert_equal "${#lines[@]}" 20
	assert_line --index 0 --regexp $'^modadd-p11-s1\t0\ttrain/loss\t[0-9.e+-]+$'
	assert_line --index 1 --regexp $'^modadd-p11-s1\t0\ttrain/acc\t[0-9.e+-]+$'
	assert_line --index 2 --regexp $'^modadd-p11-s1\t0\ttest/loss\t'
	assert_line --index 3 --regexp $'^modadd-p11-s1\t0\ttest/acc\t'
	assert_line --index 19 --regexp $'^modadd-p11-s1\t40\ttest/acc\t'
}

@test "accuracies lie in [0,1] and losses are positive and finite" {
	run -0 awk -F'\t' 'NF != 4 { exit 1 }
		$3 ~ /acc$/ && ($4 < 0 || $4 > 1) { exit 1 }
		$3 ~ /loss$/ && !($4 > 0 && $4 < 100) { exit 1 }' "$BATS_FILE_TMPDIR/run.txt"
}

@test "the loss at step 0 is near log(p) for a fresh network" {
	loss=$(awk '$2 == 0 && $3 == "test/loss" { print $4 }' "$BATS_FILE_TMPDIR/run.txt")
	run awk -v l="$loss" 'BEGIN { exit !(l > 2.2 && l < 2.6) }' # log(11) = 2.398
	assert_success
}

@test "training lowers the train loss" {
	run awk '$3 == "train/loss" { if (NR == 1) first = $4; last = $4 }
		END { exit !(last < first) }' "$BATS_FILE_TMPDIR/run.txt"
	assert_success
}

@test "reads standard input when no file or - is given" {
	run -0 bash -c "traj-score <'$RUN' | cmp - '$BATS_FILE_TMPDIR/run.txt'"
	run -0 bash -c "traj-score - <'$RUN' | cmp - '$BATS_FILE_TMPDIR/run.txt'"
}

@test "--header prints the column comment first" {
	run -0 traj-score --header "$RUN"
	assert_line --index 0 $'# run\tstep\tmetric\tvalue'
}

@test "scores a live pipe from traj-train" {
	run -0 bash -c "traj-train -q --p 11 --width 32 --steps 40 --every 10 | traj-score | cmp - '$BATS_FILE_TMPDIR/run.txt'"
}

@test "concatenated streams are scored run after run" {
	small_train --seed 2 --steps 10 >"$BATS_TEST_TMPDIR/b.traj"
	run -0 bash -c "cat '$RUN' '$BATS_TEST_TMPDIR/b.traj' | traj-score | cut -f1 | uniq -c | awk '{print \$2\":\"\$1}' | paste -sd' ' -"
	assert_output "modadd-p11-s1:20 modadd-p11-s2:8"
}

@test "| head -1 exits quietly with status 0" {
	run -0 --separate-stderr bash -c "set -o pipefail; traj-score '$RUN' | head -1"
	assert_output --regexp $'^modadd-p11-s1\t0\ttrain/loss\t'
	[ -z "$stderr" ]
}

@test "a missing file is an error naming it, status 66" {
	run -66 --separate-stderr traj-score "$BATS_TEST_TMPDIR/nope.traj"
	assert_one_error_line traj-score
	[[ $stderr == *"cannot open '$BATS_TEST_TMPDIR/nope.traj': No such file or directory" ]]
}

@test "empty input is an error, status 65" {
	run -65 --separate-stderr traj-score /dev/null
	assert_one_error_line traj-score
	[[ $stderr == "traj-score: /dev/null: "* ]]
	[ -z "$output" ]
}

@test "a file that is not a stream is an error at byte 0, status 65" {
	printf 'hello, this is text\n' >"$BATS_TEST_TMPDIR/text"
	run -65 --separate-stderr traj-score "$BATS_TEST_TMPDIR/text"
	assert_one_error_line traj-score
	[[ $stderr == "traj-score: $BATS_TEST_TMPDIR/text: byte 0: "* ]]
}

@test "a plain zstd file is not a stream" {
	printf 'hello\n' | zstd -q >"$BATS_TEST_TMPDIR/hello.zst"
	run -65 --separate-stderr traj-score "$BATS_TEST_TMPDIR/hello.zst"
	assert_one_error_line traj-score
}

@test "a truncated stream: complete checkpoints are scored, then status 75" {
	size=$(stat -c %s "$RUN")
	head -c $((size * 3 / 4)) "$RUN" >"$BATS_TEST_TMPDIR/cut.traj"
	run -75 --separate-stderr traj-score "$BATS_TEST_TMPDIR/cut.traj"
	assert_one_error_line traj-score
	[[ $stderr == *"byte "[0-9]*": "*"trunc"* ]]
	# what was printed is a prefix of the full scoring, whole checkpoints only
	[ "${#lines[@]}" -ge 4 ]
	[ $(( ${#lines[@]} % 4 )) -eq 0 ]
	diff <(printf '%s\n' "${lines[@]}") <(head -n ${#lines[@]} "$BATS_FILE_TMPDIR/run.txt")
}

@test "a stream cut at any of many offsets never crashes or hangs" {
	size=$(stat -c %s "$RUN")
	for ((cut = 1; cut < size; cut += 97)); do
		head -c $cut "$RUN" >"$BATS_TEST_TMPDIR/cut.traj"
		run --separate-stderr timeout 10 traj-score "$BATS_TEST_TMPDIR/cut.traj"
		[[ $status -eq 65 || $status -eq 75 ]] || fail "cut at $cut: status $status: $stderr"
		assert_one_error_line traj-score
		n=${#lines[@]}
		diff <(printf '%s' "$output") <(head -n $n "$BATS_FILE_TMPDIR/run.txt" | head -c ${#output}) >/dev/null ||
			fail "cut at $cut: output is not a prefix of the full scoring"
	done
}

@test "a flipped bit in a tensor is detected, never scored silently" {
	size=$(stat -c %s "$RUN")
	cp "$RUN" "$BATS_TEST_TMPDIR/flip.traj"
	# flip one bit near the end, inside the last checkpoint's data
	off=$((size - 200))
	byte=$(od -An -tu1 -j $off -N1 "$RUN" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 16)))" |
		dd of="$BATS_TEST_TMPDIR/flip.traj" bs=1 seek=$off conv=notrunc status=none
	run --separate-stderr traj-score "$BATS_TEST_TMPDIR/flip.traj"
	[ "$status" -eq 65 ] || [ "$status" -eq 75 ]
	assert_one_error_line traj-score
	[ "${#lines[@]}" -lt 20 ]
}

@test "two file arguments are a usage error" {
	run -64 --separate-stderr traj-score "$RUN" "$RUN"
	[[ ${stderr_lines[0]} == "traj-score: expected at most one FILE, got 2" ]]
}

@test "an unknown option is a usage error" {
	run -64 --separate-stderr traj-score --bogus
	[[ $stderr == *"Try 'traj-score --help'"* ]]
}

@test "the man pages of score, probe and diff render without stray escapes" {
	for page in traj-score traj-probe traj-diff; do
		run -0 --separate-stderr env MANWIDTH=80 man -l --warnings=w "$TRAJ_ROOT/man/$page.1"
		[ -z "$stderr" ] || fail "man $page: $stderr"
		refute_output --partial '\'
	done
	run -0 env MANWIDTH=80 man -l "$TRAJ_ROOT/man/traj-score.1"
	assert_output --partial 'run TAB step TAB'
}

@test "non-finite weights: accuracy is nan, not a tie to class 0; one stderr line per metric" {
	nan_stream "$BATS_TEST_TMPDIR/nan.traj"
	run -0 --separate-stderr traj-score "$BATS_TEST_TMPDIR/nan.traj"
	assert_line --regexp $'\ttrain/acc\t-?nan$'
	assert_line --regexp $'\ttest/acc\t-?nan$'
	[ "${#stderr_lines[@]}" -eq 4 ]
	assert_equal "${stderr_lines[1]}" "traj-score: run 'modadd-p11-s1' step 0: train/acc is nan, not a finite number (later steps of it are not reported)"
}

#!/usr/bin/env bats
# traj-llc: the local learning coefficient per checkpoint, its
# diagnostics, calibration grid, reproducibility and bad input. The
# estimator's numbers (closed-form potentials, a hand-computed SGLD step)
# are checked in tests/unit/test_llc.c.

setup() {
	load test_helper
	RUN="$BATS_TEST_TMPDIR/run.traj"
	small_train --steps 200 --every 100 -o "$RUN"
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-llc --help
	assert_line --index 0 "Usage: traj-llc [OPTION]... [FILE]"
}

@test "every checkpoint gets its estimate, chains, diagnostics and trace" {
	run -0 traj-llc --chains 3 --draws 20 --trace 4 "$RUN"
	for s in 0 100 200; do
		for m in mean std init_loss below_init_frac chain/0 chain/2 trace/0/0 trace/2/15; do
			[ -n "$(printf '%s\n' "$output" | awk -F'\t' -v s=$s -v m="llc/$m" '$2 == s && $3 == m')" ] ||
				fail "no llc/$m at step $s"
		done
	done
	# 4 summaries, 3 chains, 3 x 4 trace points per checkpoint.
	assert_equal "${#lines[@]}" $((3 * (4 + 3 + 12)))
}

@test "the mean and std are those of the chains' estimates" {
	run -0 traj-llc --chains 4 --draws 30 --trace 0 --steps 200: "$RUN"
	mean=$(out_value llc/mean)
	std=$(out_value llc/std)
	run -0 bash -c "printf '%s\n' \"\$0\" | awk -F'\t' '\$3 ~ /^llc\/chain\// { s += \$4; q += \$4 * \$4; n++ }
		END { m = s / n; printf \"%.6g %.6g\n\", m, sqrt((q - n * m * m) / (n - 1)) }'" "$output"
	assert_equal "$output" "$(printf '%.6g %.6g' "$mean" "$std")"
}

@test "the init loss is the train loss traj score reports" {
	run -0 traj-llc --chains 1 --draws 2 --trace 0 --steps 200: "$RUN"
	init=$(out_value llc/init_loss)
	run -0 traj-score "$RUN"
	train=$(printf '%s\n' "$output" | awk -F'\t' '$2 == 200 && $3 == "train/loss" { print $4 }')
	assert_equal "$init" "$train"
}

@test "the estimate depends on the seed, not on the threads" {
	run -0 traj-llc --threads 1 --chains 3 --draws 20 "$RUN"
	one=$output
	run -0 traj-llc --threads 2 --chains 3 --draws 20 "$RUN"
	assert_equal "$output" "$one"
	run -0 traj-llc --threads 2 --chains 3 --draws 20 --seed 7 "$RUN"
	[ "$output" != "$one" ] || fail "--seed changed nothing"
}

@test "--steps selects checkpoints, --nbeta and --eps change the estimate" {
	run -0 bash -c "traj-llc --draws 5 --steps 100:100 '$RUN' | cut -f2 | sort -u"
	assert_output 100
	run -0 traj-llc --draws 20 --trace 0 --steps 200: "$RUN"
	a=$(out_value llc/mean)
	run -0 traj-llc --draws 20 --trace 0 --steps 200: --nbeta 50 "$RUN"
	[ "$(out_value llc/mean)" != "$a" ] || fail "--nbeta changed nothing"
}

@test "--calibrate prints the eps x nbeta grid on the last checkpoint" {
	run -0 traj-llc --calibrate --eps-grid 1e-4,1e-3 --nbeta-grid 5,20 --chains 2 --draws 10 "$RUN"
	assert_equal "${#lines[@]}" 16
	assert_line --index 0 --regexp $'^modadd-p11-s1\t200\tllc/calib/eps/0.0001/nbeta/5/mean\t'
	assert_line --regexp $'\t200\tllc/calib/eps/0.001/nbeta/20/below_init_frac\t'
	run -0 bash -c "traj-llc --calibrate --step 100 --eps-grid 1e-4 --nbeta-grid 5 --draws 5 '$RUN' | cut -f2 | sort -u"
	assert_output 100
	run -65 --separate-stderr traj-llc --calibrate --step 150 "$RUN"
	assert_one_error_line traj-llc
	assert_equal "$stderr" "traj-llc: $RUN: no checkpoint at step 150"
}

@test "a diverging chain fails its checkpoint by name, status 65" {
	# eps gamma = 100: the pull to w* overshoots by a factor 49 a step.
	run -65 --separate-stderr traj-llc --eps 1 --gamma 100 --draws 50 "$RUN"
	assert_output ""
	[[ ${stderr%%$'\n'*} =~ ^traj-llc:\ .*:\ step\ 0:\ chain\ 0\ diverged\ at\ SGLD\ step\ [0-9]+ ]] ||
		fail "stderr: $stderr"
}

@test "bad values are one line and status 64" {
	for args in "--eps 0" "--eps -1" "--eps nan" "--nbeta 0" "--nbeta inf" \
		"--draws 0" "--burnin 11 --draws 10" "--eps-grid 1e-4,x" \
		"--nbeta-grid 0" "--steps 5:1" "--chains 0"; do
		run -64 --separate-stderr traj-llc $args "$RUN"
		[[ $stderr == traj-llc:* ]] || fail "$args: $stderr"
	done
	run -64 --separate-stderr traj-llc --burnin 11 --draws 10 "$RUN"
	[[ $stderr == *"burn-in: 11 steps is more than the 10 draws"* ]] || fail "$stderr"
}

@test "bad input: not a stream 65, missing file 66" {
	printf 'hello\n' >"$BATS_TEST_TMPDIR/x"
	run -65 --separate-stderr traj-llc "$BATS_TEST_TMPDIR/x"
	assert_one_error_line traj-llc
	run -66 --separate-stderr traj-llc "$BATS_TEST_TMPDIR/none"
	assert_one_error_line traj-llc
}

@test "a truncated stream: the complete checkpoints are estimated, then status 75" {
	run -0 traj-llc --chains 2 --draws 10 "$RUN"
	full=$output
	size=$(stat -c %s "$RUN")
	head -c $((size - 100)) "$RUN" >"$BATS_TEST_TMPDIR/cut.traj"
	run -75 --separate-stderr traj-llc --chains 2 --draws 10 "$BATS_TEST_TMPDIR/cut.traj"
	assert_one_error_line traj-llc
	[[ $stderr == *"cut.traj: byte "[0-9]*": "*"trunc"* ]] || fail "$stderr"
	[ "${#lines[@]}" -gt 0 ]
	diff <(printf '%s\n' "${lines[@]}") <(printf '%s\n' "$full" | head -n ${#lines[@]})
	[ -z "$(printf '%s\n' "${lines[@]}" | awk -F'\t' '$2 == 200')" ]
}

@test "an independent NumPy reference (bench/llc_reference.py) gives the same chains" {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no numpy"
	traj-convert --export npz "$BATS_TEST_TMPDIR/w.npz" --step 200 "$RUN"
	run -0 /usr/bin/python3 "$TRAJ_ROOT/bench/llc_reference.py" "$RUN" "$BATS_TEST_TMPDIR/w.npz" 200 \
		--chains 3 --draws 40 --batch 16 --seed 5 --eps 3e-3 --gamma 50
	ref=$output
	run -0 traj-llc --steps 200: --chains 3 --draws 40 --batch 16 --seed 5 --eps 3e-3 --gamma 50 --trace 0 "$RUN"
	# float32 products summed in another order: agreement to 1e-4.
	paste <(printf '%s\n' "$ref") <(printf '%s\n' "$output" | grep -E 'llc/(mean|chain/)') |
		awk -F'\t' '$3 != $7 || $1 != $5 { print "misaligned: " $0; bad = 1 }
			{ d = $4 - $8; if (d < 0) d = -d; if (d > 1e-4 * (1 + ($8 < 0 ? -$8 : $8))) { print "differ: " $0; bad = 1 } }
			END { exit bad }' || fail "traj-llc and the reference differ"
	[ "$(printf '%s\n' "$ref" | wc -l)" -eq 4 ]
}

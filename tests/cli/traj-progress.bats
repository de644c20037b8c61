#!/usr/bin/env bats
# traj-progress: Nanda et al.'s progress measures per checkpoint; the key
# frequencies; bad input. The science check trains the quick grokking
# demo (a+b mod 41, an MLP) and asks the measures to tell memorisation
# from the Fourier algorithm.

setup() {
	load test_helper
	RUN="$BATS_TEST_TMPDIR/run.traj"
	small_train --steps 100 --every 50 -o "$RUN"
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-progress --help
	assert_line --index 0 "Usage: traj-progress [OPTION]... [FILE]"
}

@test "every checkpoint gets the five measures" {
	run -0 --separate-stderr traj-progress "$RUN"
	assert_equal "${#lines[@]}" 15
	for m in restricted_loss excluded_loss gini/embed gini/wl weight_sq_sum; do
		assert_line --regexp $'^modadd-p11-s1\t100\tprogress/'"$m"$'\t[0-9.e+-]+$'
	done
	[[ $stderr == "traj-progress: key frequencies at step 100: "* ]] || fail "$stderr"
}

@test "the sum of squared weights is that of the checkpoint's tensors" {
	run -0 traj-progress --freqs 1 "$RUN"
	got=$(printf '%s\n' "$output" | awk -F'\t' '$2 == 0 && $3 == "progress/weight_sq_sum" { print $4 }')
	traj-convert --export npz "$BATS_TEST_TMPDIR/w.npz" --step 0 "$RUN"
	run -0 /usr/bin/python3 -c "
import numpy as np, sys
z = np.load(sys.argv[1])
print('%.6g' % sum(float((z[k].astype(np.float64) ** 2).sum()) for k in z.files if not k.startswith('optim')))" "$BATS_TEST_TMPDIR/w.npz"
	assert_equal "$(printf '%.6g' "$got")" "$output"
}

@test "a truncated stream: the complete checkpoints are measured, then status 75" {
	run -0 traj-progress --freqs 1,2 "$RUN"
	full=$output
	size=$(stat -c %s "$RUN")
	head -c $((size - 100)) "$RUN" >"$BATS_TEST_TMPDIR/cut.traj"
	run -75 --separate-stderr traj-progress --freqs 1,2 "$BATS_TEST_TMPDIR/cut.traj"
	assert_one_error_line traj-progress
	[[ $stderr == *"cut.traj: byte "[0-9]*": "*"trunc"* ]] || fail "$stderr"
	assert_equal "${#lines[@]}" 10
	diff <(printf '%s\n' "${lines[@]}") <(printf '%s\n' "$full" | head -n 10)
}

@test "--freqs reads standard input; the same figures as from the file" {
	run -0 traj-progress --freqs 2,3 "$RUN"
	file=$output
	run -0 bash -c "traj-progress --freqs 2,3 - <'$RUN'"
	assert_equal "$output" "$file"
	run -0 traj-progress --freqs 3 "$RUN"
	[ "$output" != "$file" ] || fail "--freqs changed nothing"
	run -0 traj-progress -H --freqs 2,3 "$RUN"
	assert_line --index 1 "# key frequencies: 2 3"
}

@test "bad input is one line, status 64 or 65" {
	run -64 --separate-stderr bash -c "traj-progress <'$RUN'"
	[[ $stderr == "traj-progress: --freqs is needed when reading standard input"* ]] || fail "$stderr"
	for f in 0 6 "2,2" "1,x"; do
		run -64 --separate-stderr traj-progress --freqs "$f" "$RUN"
		[[ $stderr == traj-progress:* ]] || fail "--freqs $f: $stderr"
	done
	run -64 --separate-stderr traj-progress --freqs 6 "$RUN"
	[[ $stderr == *"key frequency 6 is outside 1..5 (p = 11)"* ]] || fail "$stderr"
	traj-train --quiet --task modmul --p 11 --width 16 --steps 10 --every 10 -o "$BATS_TEST_TMPDIR/mul.traj"
	run -64 --separate-stderr traj-progress --freqs 1 "$BATS_TEST_TMPDIR/mul.traj"
	[[ $stderr == *"need a modadd or modsub run, not modmul"* ]] || fail "$stderr"
	printf 'x' >"$BATS_TEST_TMPDIR/x"
	run -65 --separate-stderr traj-progress --freqs 1 "$BATS_TEST_TMPDIR/x"
	assert_one_error_line traj-progress
}

@test "science: once grokked, the restricted loss is low and the excluded loss high" {
	[ -z "${TRAJ_SANITIZED:-}" ] || skip "training is slow under sanitizers"
	G="$BATS_TEST_TMPDIR/g.traj"
	traj-train --quiet --task modadd --p 41 --frac 0.6 --width 256 --depth 1 \
		--optim adamw --lr 5e-3 --wd 1 --steps 1000 --every 100 --seed 1 -o "$G"
	run -0 traj-progress -q "$G"
	last() { printf '%s\n' "$output" | awk -F'\t' -v m="progress/$1" '$2 == 1000 && $3 == m { print $4 }'; }
	first() { printf '%s\n' "$output" | awk -F'\t' -v m="progress/$1" '$2 == 100 && $3 == m { print $4 }'; }
	# At 1000 (test acc 0.99) the key frequencies alone give a low loss,
	# and the network depends on them: removing them costs the train set;
	# at 100 (train set memorised, test acc 0) they gave little.
	awk -v r="$(last restricted_loss)" -v e="$(last excluded_loss)" \
		-v r0="$(first restricted_loss)" 'BEGIN { exit !(r < 0.05 && e > 0.5 && r0 > 10 * r) }' ||
		fail "restricted $(first restricted_loss) -> $(last restricted_loss), excluded $(last excluded_loss)"
}

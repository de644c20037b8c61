#!/usr/bin/env bats
# traj-interpolate: the ends of the line are traj score's figures bit for
# bit, a checkpoint and itself have no barrier, the losses between agree
# with PyTorch, and every kind of bad input is one line with its status.

setup_file() {
	load test_helper
	A="$BATS_FILE_TMPDIR/a.traj"
	B="$BATS_FILE_TMPDIR/b.traj"
	# two seeds (initialisation and batch order), one train/test split
	small_train --seed 1 --data-seed 5 >"$A"
	small_train --seed 2 --data-seed 5 >"$B"
	traj-score "$A" >"$BATS_FILE_TMPDIR/a.txt"
	traj-score "$B" >"$BATS_FILE_TMPDIR/b.txt"
	detect_torch || true
	export A B
}

setup() {
	load test_helper
	cd "$BATS_TEST_TMPDIR"
}

# The traj-score lines of $1 (a score file) at step $2, as "METRIC VALUE".
score_at() {
	awk -F'\t' -v s="$2" '$2 == s { print $3, $4 }' "$1"
}

# The interp/$1/ lines of $output, as "METRIC VALUE" without the prefix.
point() {
	printf '%s\n' "$output" | awk -F'\t' -v p="interp/$1/" '
		index($3, p) == 1 { print substr($3, length(p) + 1), $4 }'
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-interpolate --help
	assert_line --index 0 "Usage: traj-interpolate [OPTION]... [A [B]]"
}

@test "two streams: t = 0 and t = 1 are traj score's lines of A and B exactly" {
	run -0 traj-interpolate "$A" "$B"
	assert_equal "$(point 0)" "$(score_at "$BATS_FILE_TMPDIR/a.txt" 40)"
	assert_equal "$(point 1)" "$(score_at "$BATS_FILE_TMPDIR/b.txt" 40)"
	# RUN and STEP are A's; 11 points of 4 lines, then 12 barrier lines
	assert_equal "${#lines[@]}" 56
	assert_line --index 0 $'modadd-p11-s1\t40\tinterp/0/train/loss\t'"$(score_at "$BATS_FILE_TMPDIR/a.txt" 40 | awk 'NR == 1 { print $2 }')"
	assert_line --index 4 --regexp $'^modadd-p11-s1\t40\tinterp/0.1/train/loss\t'
	assert_line --index 44 --regexp $'^modadd-p11-s1\t40\tinterp/barrier/train/loss\t'
	assert_line --index 55 --regexp $'^modadd-p11-s1\t40\tinterp/barrier/test/err_mean\t'
}

@test "one stream: from its first checkpoint to its last, also on stdin" {
	run -0 traj-interpolate -n 3 "$A"
	assert_equal "$(point 0)" "$(score_at "$BATS_FILE_TMPDIR/a.txt" 0)"
	assert_equal "$(point 1)" "$(score_at "$BATS_FILE_TMPDIR/a.txt" 40)"
	local file=$output
	run -0 bash -c "traj-interpolate -n 3 <'$A'"
	assert_equal "$output" "$file"
	run -0 bash -c "traj-interpolate -n 3 - <'$A'"
	assert_equal "$output" "$file"
}

@test "FILE:STEP, --step-a and --step-b name the same checkpoints" {
	run -0 traj-interpolate -n 5 "$A:10" "$A:30"
	local named=$output
	assert_equal "$(point 0)" "$(score_at "$BATS_FILE_TMPDIR/a.txt" 10)"
	assert_equal "$(point 1)" "$(score_at "$BATS_FILE_TMPDIR/a.txt" 30)"
	run -0 traj-interpolate -n 5 --step-a 10 --step-b 30 "$A"
	assert_equal "$output" "$named"
	run -0 traj-interpolate -n 5 -a 10 "$A" "$A:30"
	assert_equal "$output" "$named"
	# B at step 20 of the other stream, A at its last
	run -0 traj-interpolate -n 2 "$A" "$B:20"
	assert_equal "$(point 1)" "$(traj-snapshot --step 20 "$B" | traj-score | awk -F'\t' '{ print $3, $4 }')"
}

@test "a checkpoint and itself: every barrier is exactly 0, every point the same" {
	run -0 traj-interpolate -n 31 "$A:20" "$A:20"
	run -0 awk -F'\t' '$3 ~ /^interp\/barrier\// && $4 != "0" { print; bad = 1 }
		END { exit bad }' <<<"$output"
	run -0 traj-interpolate -n 31 "$A:20" "$A:20"
	assert_equal "$(point 0.5)" "$(point 0)"
	assert_equal "$(point 0.0333333)" "$(point 1)"
}

@test "the barriers are the rises above the chord and above the mean of the ends" {
	run -0 traj-interpolate -n 11 "$A" "$B"
	printf '%s\n' "$output" >out.txt
	# recomputed in awk from the printed points (nats and errors)
	for s in train test; do
		want=$(awk -F'\t' -v s="$s" '
			split($3, p, "/") == 4 && p[3] == s && p[4] == "acc" && p[2] != "barrier" {
				t[n] = p[2]; e[n++] = 1 - $4 }
			END { top = e[0]; for (i = 0; i < n; i++) {
				r = e[i] - (e[0] + t[i] * (e[n-1] - e[0]));
				if (i > 0 && i < n - 1 && r > h) h = r; if (e[i] > top) top = e[i] }
				printf "%.6f %.6f\n", h, top - (e[0] + e[n-1]) / 2 }' out.txt)
		got=$(awk -F'\t' -v s="$s" '$3 == "interp/barrier/" s "/err" { h = $4 }
			$3 == "interp/barrier/" s "/err_mean" { m = $4 }
			END { printf "%.6f %.6f\n", h, m }' out.txt)
		assert_equal "$got" "$want"
	done
}

@test "--points N gives N points; fewer than 2 is a usage error" {
	run -0 traj-interpolate -n 2 "$A" "$B"
	assert_equal "${#lines[@]}" 20
	run -0 traj-interpolate --points 4 "$A" "$B"
	assert_equal "$(printf '%s\n' "$output" | grep -c '/train/loss	')" 5
	assert_line --partial $'\tinterp/0.333333/test/acc\t'
	run -64 --separate-stderr traj-interpolate -n 1 "$A" "$B"
	[[ ${stderr%%$'\n'*} == "traj-interpolate: --points: 1 outside 2..10001" ]] || fail "$stderr"
}

@test "--barrier-only, --header" {
	run -0 traj-interpolate --barrier-only "$A" "$B"
	assert_equal "${#lines[@]}" 12
	run -0 traj-interpolate --header --barrier-only "$A" "$B"
	assert_line --index 0 $'# run\tstep\tmetric\tvalue'
}

@test "--examples N scores the first N examples of each split" {
	run -0 traj-interpolate -n 3 --examples 4 "$A" "$B"
	run -0 awk -F'\t' '$3 ~ /acc$/ && $3 !~ /barrier/ { v = $4 * 4; if (v != int(v)) bad = 1 }
		END { exit bad }' <<<"$output"
	run -0 traj-interpolate -n 3 --examples 100000 "$A" "$B"
	assert_equal "$output" "$(traj-interpolate -n 3 "$A" "$B")"
}

@test "--pairs: the line at every step both streams hold" {
	traj-snapshot --steps 20: "$B" >late.traj
	run -0 traj-interpolate --pairs --barrier-only "$A" late.traj
	assert_equal "$(printf '%s\n' "$output" | cut -f2 | uniq | tr '\n' ' ')" "20 30 40 "
	run -0 traj-interpolate --pairs -n 2 "$A" "$B"
	assert_equal "$(printf '%s\n' "$output" | awk -F'\t' '$2 == 10 && $3 ~ /^interp\/0\//' | cut -f3,4 | sed 's|interp/0/||')" \
		"$(awk -F'\t' '$2 == 10 { print $3 "\t" $4 }' "$BATS_FILE_TMPDIR/a.txt")"
}

@test "--pairs: no shared step is status 65; steps are a usage error" {
	traj-snapshot --steps 0:10 "$A" >early.traj
	traj-snapshot --steps 20: "$B" >late.traj
	run -65 --separate-stderr traj-interpolate --pairs early.traj late.traj
	assert_one_error_line traj-interpolate
	run -64 --separate-stderr traj-interpolate --pairs "$A:10" "$B"
	run -64 --separate-stderr traj-interpolate --pairs "$A"
}

@test "different models are refused with one line naming the tensor or field, status 65" {
	small_train --width 16 >narrow.traj
	run -65 --separate-stderr traj-interpolate "$A" narrow.traj
	assert_one_error_line traj-interpolate
	assert_equal "$stderr" "traj-interpolate: narrow.traj: not the model of '$A': tensor 'layers.0.W': shape [22, 16], not [22, 32]"
	small_train --activation gelu >gelu.traj
	run -65 --separate-stderr traj-interpolate "$A" gelu.traj
	assert_one_error_line traj-interpolate
	[[ $stderr == *'model.activation: "gelu", not "relu"'* ]] || fail "$stderr"
	traj-train --quiet --model transformer --p 11 --d-model 8 --heads 2 \
		--steps 2 --every 2 >tf.traj
	run -65 --separate-stderr traj-interpolate tf.traj "$A"
	assert_one_error_line traj-interpolate
	[[ $stderr == *'model.kind: "mlp", not "transformer"'* ]] || fail "$stderr"
}

@test "another task configuration is a note on stderr; A's splits are used" {
	small_train --seed 2 --data-seed 6 >other.traj
	run -0 --separate-stderr traj-interpolate -n 2 "$A" other.traj
	[[ $stderr == *"note: 'other.traj' has another task configuration"* ]] || fail "$stderr"
	assert_equal "$(point 0)" "$(score_at "$BATS_FILE_TMPDIR/a.txt" 40)"
}

@test "a missing step, file or stream: one line, status 65, 66, 64" {
	run -65 --separate-stderr traj-interpolate "$A:77" "$B"
	assert_one_error_line traj-interpolate
	[[ $stderr == *"no checkpoint at step 77 (steps 0..40)"* ]] || fail "$stderr"
	run -65 --separate-stderr traj-interpolate --step-b 77 "$A"
	assert_one_error_line traj-interpolate
	run -66 --separate-stderr traj-interpolate "$A" nothere.traj
	assert_one_error_line traj-interpolate
	run -64 --separate-stderr traj-interpolate "$A" "$B" "$A"
	run -64 --separate-stderr traj-interpolate --step-a 10 "$A:20" "$B"
	run -64 --separate-stderr traj-interpolate - -
	cat "$A" "$B" >two.traj
	run -65 --separate-stderr traj-interpolate two.traj "$B"
	[[ $stderr == *"several runs in one stream"* ]] || fail "$stderr"
	printf 'not a stream' >junk.traj
	run -65 --separate-stderr traj-interpolate "$A" junk.traj
	assert_one_error_line traj-interpolate
}

@test "| head: a reader that goes away is a quiet, successful exit" {
	run -0 --separate-stderr bash -c "set -o pipefail; traj-interpolate -n 2001 '$A' '$B' | head -1"
	assert_equal "${#lines[@]}" 1
	[ -z "$stderr" ] || fail "$stderr"
}

# agree_with_torch A B FRAC PAIRS: traj interpolate's losses at 7 points
# (train and test weighted by the split sizes: every pair of the task)
# and bench/lmc_reference.py's on the npy exports agree to 1e-5 relative.
agree_with_torch() {
	rm -rf ea eb
	traj-convert --export npy ea "$1"
	traj-convert --export npy eb "$2"
	/usr/bin/python3 "$TRAJ_ROOT/bench/lmc_reference.py" --points 7 ea eb >torch.txt
	traj-interpolate -n 7 "$1" "$2" | awk -F'\t' -v f="$3" -v N="$4" '
		split($3, p, "/") == 4 && p[4] == "loss" && p[2] != "barrier" {
			if (p[3] == "train") tr[p[2]] = $4; else te[p[2]] = $4 }
		END { n = int(f * N + 0.5)
			for (t in tr) printf "%s\t%.9g\n", t, (n * tr[t] + (N - n) * te[t]) / N }' |
		sort -g >traj.txt
	assert_equal "$(wc -l <torch.txt)" 7
	run -0 join -t $'\t' traj.txt torch.txt
	assert_equal "${#lines[@]}" 7
	printf '%s\n' "$output" | awk -F'\t' '{ d = ($2 - $3) / $3; d = d < 0 ? -d : d
		printf "# t %s traj %s torch %s rel %.2g\n", $1, $2, $3, d; if (d > m) m = d }
		END { exit !(m <= 1e-5) }' >&3 || fail "traj and torch differ by more than 1e-5"
}

@test "PyTorch on the exported weights gives the loss at every point to 1e-5" {
	skip_without_torch
	agree_with_torch "$A" "$B" 0.5 121
	# a transformer: every tensor of TransformerLens's layout on the line
	for s in 1 2; do
		traj-train --quiet --model transformer --p 13 --frac 0.3 --d-model 16 \
			--heads 2 --d-mlp 32 --steps 30 --every 30 --batch 16 --seed $s \
			--data-seed 3 >t$s.traj
	done
	agree_with_torch t1.traj t2.traj 0.3 169
}

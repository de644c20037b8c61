#!/usr/bin/env bats
# traj-probe: linear probes and CKA on activations at hook points, on tiny
# MLP and transformer runs (p = 11); every option and bad input. The ridge
# solver and CKA are checked against numpy in tests/unit/test_probe*.c.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	small_train --steps 20 --every 10 >"$RUN"
	TF="$BATS_FILE_TMPDIR/tf.traj"
	traj-train --quiet --model transformer --p 11 --d-model 32 --heads 2 \
		--d-head 16 --d-mlp 32 --steps 2 --every 2 >"$TF"
	export RUN TF
}

setup() { load test_helper; }

# value STEP METRIC [traj-probe args...]: the value of one metric line
value() {
	local step=$1 metric=$2
	shift 2
	traj-probe "$@" | awk -F'\t' -v s="$step" -v m="$metric" \
		'$2 == s && $3 == m { print $4 }'
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-probe --help
	assert_line --index 0 "Usage: traj-probe [OPTION]... [FILE]"
}

@test "--version prints the version" {
	run -0 traj-probe --version
	assert_output --regexp '^traj-probe \(traj\) [0-9.]+$'
}

@test "--list-hooks: the model's hook points and shapes" {
	run -0 traj-probe -l "$RUN"
	assert_output $'layers.0.hook_post\t[32]'
	run -0 traj-probe --list-hooks "$TF"
	assert_line --index 0 $'hook_embed\t[3, 32]'
	assert_line $'blocks.0.attn.hook_pattern\t[2, 3, 3]'
	assert_line $'blocks.0.hook_resid_post\t[3, 32]'
}

@test "--inputs: the probe inputs in order, tokens then the label" {
	run -0 traj-probe --inputs --max 3 "$RUN"
	[ "${#lines[@]}" -eq 3 ]
	# the label of a+b mod 11 is the sum of the two tokens mod 11
	printf '%s\n' "${lines[@]}" | awk -F'[ \t]' '($1 + $2) % 11 != $3 { exit 1 }'
	run -0 traj-probe --inputs "$RUN"
	[ "${#lines[@]}" -eq 121 ]
	run -0 traj-probe --inputs --split train "$RUN"
	[ "${#lines[@]}" -eq 61 ] # frac 0.5 of 121 pairs, rounded: 61 train
	run -0 traj-probe --inputs --split test "$RUN"
	[ "${#lines[@]}" -eq 60 ]
}

@test "default: every task target of the MLP's hidden layer, per checkpoint" {
	run -0 traj-probe "$RUN"
	# 3 checkpoints x (a, b, answer + 6 x 5 frequencies)
	[ "${#lines[@]}" -eq $((3 * 33)) ]
	assert_line --index 0 --regexp $'^modadd-p11-s1\t0\tprobe/layers.0.hook_post/a/acc\t'
	assert_line --regexp $'^modadd-p11-s1\t20\tprobe/layers.0.hook_post/answer_sin5/r2\t'
	# accuracies in [0, 1], R^2 at most 1
	printf '%s\n' "${lines[@]}" | awk -F'\t' '$3 ~ /acc$/ && ($4 < 0 || $4 > 1) { exit 1 }
		$3 ~ /r2$/ && $4 > 1 { exit 1 }'
}

@test "the embedding of a at position 0 decodes a exactly and b at chance" {
	# 11 distinct vectors in 32 dimensions: any function of a is linear
	run -0 value 2 probe/hook_embed/a/acc -k hook_embed --pos 0 -T a -T b "$TF"
	assert_output 1
	b=$(value 2 probe/hook_embed/b/acc -k hook_embed --pos 0 -T b "$TF")
	awk -v b="$b" 'BEGIN { exit !(b < 0.3) }'
	run -0 value 2 probe/hook_embed/a_cos3/r2 -k hook_embed --pos 0 --freq 3 "$TF"
	assert_output --regexp '^0\.99999|^1$'
}

@test "--group a: scored on values of a never fitted, so interpolation fails" {
	# a random embedding does not generalise to unseen values of a
	r2=$(value 2 probe/hook_embed/a_cos3/r2 -k hook_embed --pos 0 --freq 3 --group a "$TF")
	awk -v r="$r2" 'BEGIN { exit !(r < 0.9) }'
	run -0 value 2 probe/hook_embed/a/acc -k hook_embed --pos 0 -T a --group a "$TF"
	assert_output 0 # classes never seen in training
	run -64 --separate-stderr traj-probe --group answer_cos1 "$TF"
	assert_one_error_line traj-probe
	[[ $stderr == *"--group 'answer_cos1': not a categorical variable"* ]]
}

@test "--pos: the query position; out of range is a usage error" {
	# hook_embed at the last position is the '=' token: nothing about a
	a0=$(value 2 probe/hook_embed/a/acc -k hook_embed --pos 0 -T a "$TF")
	a1=$(value 2 probe/hook_embed/a/acc -k hook_embed --pos -3 -T a "$TF")
	a2=$(value 2 probe/hook_embed/a/acc -k hook_embed -T a "$TF")
	[ "$a0" = 1 ] && [ "$a1" = 1 ]
	awk -v a="$a2" 'BEGIN { exit !(a < 0.3) }'
	# the pattern of 2 heads at query position 1: 2 x 3 values per input
	run -0 traj-probe -k blocks.0.attn.hook_pattern --pos 1 -T a "$TF"
	[ "${#lines[@]}" -eq 2 ]
	run -64 --separate-stderr traj-probe --pos 3 "$TF"
	assert_one_error_line traj-probe
	[[ $stderr == *"--pos: 3 outside the sequence of 3 positions"* ]]
	run -64 --separate-stderr traj-probe --pos x "$TF"
}

@test "--hook globs select hook points, in the model's order" {
	run -0 bash -c "traj-probe -k '*.hook_resid_*' -k hook_embed -T a '$TF' | cut -f3 | sort -u"
	assert_output "probe/blocks.0.hook_resid_mid/a/acc
probe/blocks.0.hook_resid_post/a/acc
probe/blocks.0.hook_resid_pre/a/acc
probe/hook_embed/a/acc"
}

@test "an unknown hook is a usage error listing the valid ones" {
	run -64 --separate-stderr traj-probe -k blocks.9.hook_resid_post "$TF"
	assert_one_error_line traj-probe
	[[ $stderr == "traj-probe: --hook 'blocks.9.hook_resid_post': no such hook point"*"hook_embed, hook_pos_embed, "*"blocks.0.hook_resid_post" ]]
	[ -z "$output" ]
}

@test "--target and --freq choose the targets" {
	run -0 bash -c "traj-probe --freq 1,4 -T 'b_*' '$RUN' | awk '\$2 == 0' | cut -f3"
	assert_output "probe/layers.0.hook_post/b_cos1/r2
probe/layers.0.hook_post/b_sin1/r2
probe/layers.0.hook_post/b_cos4/r2
probe/layers.0.hook_post/b_sin4/r2"
	run -64 --separate-stderr traj-probe --freq 6 "$RUN"
	assert_one_error_line traj-probe
	[[ $stderr == *"--freq: 6 outside 1..5"* ]]
	run -64 --separate-stderr traj-probe -T nothing "$RUN"
	assert_one_error_line traj-probe
	[[ $stderr == *"--target: no target matches; targets: a, b, answer, a_cos1"* ]]
	run -64 --separate-stderr traj-probe --freq 1,,x "$RUN"
}

@test "--labels: one label per input; the answer as labels scores as answer" {
	traj-probe --inputs "$RUN" | cut -f2 >"$BATS_TEST_TMPDIR/answer"
	want=$(traj-probe -T answer "$RUN" | cut -f2,4)
	run -0 bash -c "traj-probe --labels '$BATS_TEST_TMPDIR/answer' '$RUN' | cut -f2,4"
	assert_output "$want"
	run -0 traj-probe --labels "$BATS_TEST_TMPDIR/answer" "$RUN"
	assert_line --index 0 --regexp $'\tprobe/layers.0.hook_post/label/acc\t'
	# non-integer labels are a numeric target
	traj-probe --inputs "$RUN" | awk '{ print $1 / 2 }' >"$BATS_TEST_TMPDIR/half"
	run -0 traj-probe --labels "$BATS_TEST_TMPDIR/half" "$RUN"
	assert_line --index 0 --regexp $'\tprobe/layers.0.hook_post/label/r2\t'
}

@test "a label file with the wrong number of lines: one line, status 65" {
	seq 120 >"$BATS_TEST_TMPDIR/short"
	run -65 --separate-stderr traj-probe --labels "$BATS_TEST_TMPDIR/short" "$RUN"
	assert_one_error_line traj-probe
	assert_equal "$stderr" "traj-probe: --labels '$BATS_TEST_TMPDIR/short': 120 labels for 121 probe inputs (one per line)"
	[ -z "$output" ]
	printf '1\nx\n' >"$BATS_TEST_TMPDIR/bad"
	run -65 --separate-stderr traj-probe --max 2 --labels "$BATS_TEST_TMPDIR/bad" "$RUN"
	assert_one_error_line traj-probe
	[[ $stderr == *"line 2: not a finite number" ]]
	run -66 --separate-stderr traj-probe --labels "$BATS_TEST_TMPDIR/none" "$RUN"
	assert_one_error_line traj-probe
}

@test "--split and --max choose the probe inputs" {
	run -0 traj-probe --split train --max 40 -T a "$RUN"
	[ "${#lines[@]}" -eq 3 ]
	run -64 --separate-stderr traj-probe --max 3 "$RUN"
	assert_one_error_line traj-probe
	[[ $stderr == *"3 probe inputs are too few"* ]]
	run -64 --separate-stderr traj-probe --split valid "$RUN"
	[[ $stderr == "traj-probe: --split: expected all, train or test, got 'valid'"* ]]
}

@test "--seed, --test-frac, --val-frac, --lambda, --show-lambda" {
	a=$(traj-probe -T answer "$RUN")
	b=$(traj-probe -T answer "$RUN")
	[ "$a" = "$b" ] # deterministic
	run -0 traj-probe -T 'answer_cos1' --seed 5 --test-frac 0.5 --val-frac 0.5 \
		--lambda 0.01,1 --show-lambda "$RUN"
	[ "${#lines[@]}" -eq 6 ]
	assert_line --index 1 --regexp $'\tprobe/layers.0.hook_post/answer_cos1/lambda\t(0.01|1)$'
	run -0 traj-probe -T answer_cos1 --show-lambda --lambda 100 "$RUN"
	assert_line --index 1 --regexp $'/lambda\t100$'
	run -64 --separate-stderr traj-probe --lambda 1,0.1 "$RUN"
	run -64 --separate-stderr traj-probe --test-frac 1 "$RUN"
}

@test "--cka: a hook against itself is 1" {
	run -0 traj-probe --no-probe --cka layers.0.hook_post "$RUN"
	assert_output "modadd-p11-s1	0	cka/layers.0.hook_post/layers.0.hook_post	1
modadd-p11-s1	10	cka/layers.0.hook_post/layers.0.hook_post	1
modadd-p11-s1	20	cka/layers.0.hook_post/layers.0.hook_post	1"
	run -0 traj-probe --no-probe -k hook_embed --pos 0 --cka blocks.0.hook_resid_post "$TF"
	assert_line --index 0 --regexp $'\tcka/hook_embed/blocks.0.hook_resid_post\t0\\.[0-9]+$'
	run -64 --separate-stderr traj-probe --cka nope "$RUN"
	assert_one_error_line traj-probe
}

@test "--cka-ref STEP and FILE: 1 at the reference, below elsewhere" {
	run -0 traj-probe --no-probe --cka-ref 10 "$RUN"
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 1 $'modadd-p11-s1\t10\tcka/layers.0.hook_post/ref\t1'
	awk -F'\t' '$2 == 0 && !($4 < 1) { exit 1 }' <<<"$output"
	traj-snapshot --step 10 "$RUN" >"$BATS_TEST_TMPDIR/ref.traj"
	run -0 traj-probe --no-probe --cka-ref "$BATS_TEST_TMPDIR/ref.traj" "$RUN"
	assert_line --index 1 $'modadd-p11-s1\t10\tcka/layers.0.hook_post/ref\t1'
	run -0 traj-probe --no-probe --cka-ref "$RUN" --cka-ref-step 0 "$RUN"
	assert_line --index 0 $'modadd-p11-s1\t0\tcka/layers.0.hook_post/ref\t1'
	# probes and CKA together
	run -0 traj-probe -T a --cka-ref 20 "$RUN"
	[ "${#lines[@]}" -eq 6 ]
}

@test "--cka-ref errors: a missing step, stdin read twice, other inputs" {
	run -64 --separate-stderr traj-probe --no-probe --cka-ref 15 "$RUN"
	assert_one_error_line traj-probe
	[[ $stderr == *"no checkpoint at step 15"* ]]
	run -64 --separate-stderr traj-probe --no-probe --cka-ref 10 <"$RUN"
	assert_one_error_line traj-probe
	small_train --p 13 --steps 1 --every 1 >"$BATS_TEST_TMPDIR/p13.traj"
	run -64 --separate-stderr traj-probe --no-probe --cka-ref "$BATS_TEST_TMPDIR/p13.traj" "$RUN"
	assert_one_error_line traj-probe
	[[ $stderr == *"other probe inputs"* ]]
	run -66 --separate-stderr traj-probe --no-probe --cka-ref "$BATS_TEST_TMPDIR/none.traj" "$RUN"
	assert_one_error_line traj-probe
	run -64 --separate-stderr traj-probe --no-probe "$RUN"
	run -64 --separate-stderr traj-probe --cka-ref-step 3 "$RUN"
}

@test "other tasks: digits and carries of addition, bits and parity" {
	traj-train --quiet --model transformer --task add --digits 2 --d-model 16 \
		--heads 2 --d-head 8 --d-mlp 16 --n-train 300 --n-test 100 \
		--steps 1 --every 1 >"$BATS_TEST_TMPDIR/add.traj"
	run -0 bash -c "traj-probe '$BATS_TEST_TMPDIR/add.traj' | awk '\$2 == 0' | cut -f3 | sed 's|.*post/||' | paste -sd' ' -"
	assert_output "a0/acc a1/acc b0/acc b1/acc c0/acc c1/acc c2/acc carry0/acc carry1/acc"
	# the last input token is answer digit c1 itself
	run -0 value 0 probe/hook_embed/c1/acc -k hook_embed "$BATS_TEST_TMPDIR/add.traj"
	assert_output 1
	traj-train --quiet --task parity --bits 6 --k 2 --width 16 --n-train 40 \
		--n-test 24 --steps 1 --every 1 >"$BATS_TEST_TMPDIR/par.traj"
	run -0 bash -c "traj-probe '$BATS_TEST_TMPDIR/par.traj' | awk '\$2 == 0' | cut -f3 | sed 's|.*post/||' | paste -sd' ' -"
	assert_output "bit0/acc bit1/acc bit2/acc bit3/acc bit4/acc bit5/acc parity/acc"
}

@test "a task without targets needs --labels" {
	traj-train --quiet --model transformer --task repeat --seq-len 3 --vocab 5 \
		--d-model 16 --heads 2 --d-head 8 --d-mlp 16 --n-train 50 --n-test 20 \
		--steps 1 --every 1 >"$BATS_TEST_TMPDIR/rep.traj"
	run -64 --separate-stderr traj-probe "$BATS_TEST_TMPDIR/rep.traj"
	assert_one_error_line traj-probe
	[[ $stderr == *"task repeat defines no probe targets; give --labels FILE" ]]
	traj-probe --inputs "$BATS_TEST_TMPDIR/rep.traj" | cut -d' ' -f1 >"$BATS_TEST_TMPDIR/first"
	run -0 traj-probe --labels "$BATS_TEST_TMPDIR/first" -k hook_embed --pos 0 "$BATS_TEST_TMPDIR/rep.traj"
	assert_line --index 0 $'repeat-l3v5-s1\t0\tprobe/hook_embed/label/acc\t1'
}

@test "a model this build cannot run: one line, status 65" {
	traj-convert --export npy "$BATS_TEST_TMPDIR/w" "$RUN"
	sed 's/"kind":[[:space:]]*"mlp"/"kind":"rnn"/' "$BATS_TEST_TMPDIR/w/run.json" >"$BATS_TEST_TMPDIR/rnn.json"
	grep -q rnn "$BATS_TEST_TMPDIR/rnn.json"
	traj-convert --import npy "$BATS_TEST_TMPDIR/w" --run "$BATS_TEST_TMPDIR/rnn.json" \
		-o "$BATS_TEST_TMPDIR/rnn.traj"
	run -65 --separate-stderr traj-probe "$BATS_TEST_TMPDIR/rnn.traj"
	assert_one_error_line traj-probe
	[[ $stderr == *"model.kind: unknown model 'rnn'" ]]
}

@test "stdin, -H, | head, --threads and --follow" {
	want=$(traj-probe -T a "$RUN")
	run -0 bash -c "traj-probe -T a - <'$RUN'"
	assert_output "$want"
	run -0 traj-probe -H -T a --threads 1 "$RUN"
	assert_line --index 0 $'# run\tstep\tmetric\tvalue'
	run -0 --separate-stderr bash -c "set -o pipefail; traj-probe '$RUN' | head -1"
	[ -z "$stderr" ]
	# a finished run's end record ends --follow
	run -0 timeout 20 traj-probe -f -T a "$RUN"
	assert_output "$want"
}

@test "bad streams: truncated (status 75 after whole checkpoints), garbage, missing" {
	size=$(stat -c %s "$RUN")
	head -c $((size * 3 / 4)) "$RUN" >"$BATS_TEST_TMPDIR/cut.traj"
	run -75 --separate-stderr traj-probe -T a "$BATS_TEST_TMPDIR/cut.traj"
	assert_one_error_line traj-probe
	[ "${#lines[@]}" -ge 1 ]
	printf 'text\n' >"$BATS_TEST_TMPDIR/text"
	run -65 --separate-stderr traj-probe "$BATS_TEST_TMPDIR/text"
	assert_one_error_line traj-probe
	run -66 --separate-stderr traj-probe "$BATS_TEST_TMPDIR/none.traj"
	assert_one_error_line traj-probe
	run -64 --separate-stderr traj-probe a b
	run -64 --separate-stderr traj-probe --bogus
}

@test "--labels over 1e154: the same finite r2 as the labels scaled down" {
	traj-probe --inputs "$RUN" | awk '{ print $1 / 2 }' >"$BATS_TEST_TMPDIR/half"
	traj-probe --inputs "$RUN" | awk '{ print $1 / 2 "e200" }' >"$BATS_TEST_TMPDIR/huge"
	small=$(traj-probe --labels "$BATS_TEST_TMPDIR/half" "$RUN" | cut -f4 | head -1)
	run -0 --separate-stderr traj-probe --labels "$BATS_TEST_TMPDIR/huge" "$RUN"
	[ -z "$stderr" ]
	big=$(printf '%s\n' "$output" | cut -f4 | head -1)
	awk -v a="$small" -v b="$big" 'BEGIN { d = a - b; exit !(b == b + 0 && d < 1e-6 && d > -1e-6) }' ||
		fail "r2 $big with labels x 1e200, $small without"
}

#!/usr/bin/env bats
# The model and task families: traj-train --model transformer and the
# sequence tasks, scored by traj-score.

setup() { load test_helper; }

# A tiny transformer on "a b =" mod 11: well under a second.
tf_train() {
	traj-train --quiet --model transformer --p 11 --d-model 16 --heads 2 \
		--d-mlp 32 --steps 40 --every 20 "$@"
}

# A usage error: status 64, the message first on stderr, nothing on stdout.
assert_usage_error() { # expected start of the first stderr line
	[[ ${stderr_lines[0]} == "traj-train: $1"* ]] ||
		fail "stderr: $stderr"
	[ -z "$output" ]
}

metric() { # metric $1 at step $2 from scores on stdin
	awk -v m="$1" -v s="$2" '$3 == m && $2 == s { print $4 }'
}

@test "--help documents the model choice and the transformer shape" {
	run -0 traj-train --help
	for opt in --model --layers --d-model --heads --d-head --d-mlp \
		--layernorm --attn-only; do
		assert_output --partial -- "$opt"
	done
}

@test "a transformer run streams TransformerLens names and scores" {
	tf_train --out "$BATS_TEST_TMPDIR/run.traj"
	run -0 zstd -t -q "$BATS_TEST_TMPDIR/run.traj"
	for name in embed.W_E pos_embed.W_pos blocks.0.attn.W_Q blocks.0.attn.W_O \
		blocks.0.mlp.W_in unembed.W_U '"kind":"transformer"' \
		'"eq_token":true' '"n_ctx":3' '"d_vocab":12' '"d_vocab_out":11'; do
		grep -aq -- "$name" "$BATS_TEST_TMPDIR/run.traj" ||
			fail "'$name' not in the stream"
	done
	run -0 --separate-stderr traj-score "$BATS_TEST_TMPDIR/run.traj"
	[ "${#lines[@]}" -eq 12 ] # 3 checkpoints x 4 metrics
	assert_line --regexp '^modadd-p11-s1	40	train/loss	[0-9.e-]+$'
	[ -z "$stderr" ]
}

@test "transformer training fits the train split" {
	tf_train --steps 60 --every 60 --lr 0.01 >"$BATS_TEST_TMPDIR/run.traj"
	traj-score "$BATS_TEST_TMPDIR/run.traj" >"$BATS_TEST_TMPDIR/s.tsv"
	first=$(metric train/loss 0 <"$BATS_TEST_TMPDIR/s.tsv")
	last=$(metric train/loss 60 <"$BATS_TEST_TMPDIR/s.tsv")
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a / 10) }' ||
		fail "train loss $first -> $last"
	[ "$(metric train/acc 60 <"$BATS_TEST_TMPDIR/s.tsv")" = 1 ]
}

@test "transformer runs are bit-identical for the same options" {
	tf_train --seed 3 --batch 50 >"$BATS_TEST_TMPDIR/a.traj"
	tf_train --seed 3 --batch 50 >"$BATS_TEST_TMPDIR/b.traj"
	cmp "$BATS_TEST_TMPDIR/a.traj" "$BATS_TEST_TMPDIR/b.traj"
}

@test "shape options reach the run header and the tensors" {
	tf_train --layers 2 --layernorm --activation gelu --d-head 4 \
		>"$BATS_TEST_TMPDIR/run.traj"
	for s in '"n_layers":2' '"normalization_type":"LN"' '"act_fn":"gelu"' \
		'"d_head":4' blocks.1.ln2.w ln_final.b; do
		grep -aq -- "$s" "$BATS_TEST_TMPDIR/run.traj" || fail "'$s' missing"
	done
	run -0 traj-score "$BATS_TEST_TMPDIR/run.traj"
	[ "${#lines[@]}" -eq 12 ]
}

@test "--attn-only streams no MLP and still scores" {
	tf_train --attn-only >"$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"attn_only":true' "$BATS_TEST_TMPDIR/run.traj"
	! grep -aq 'mlp.W_in' "$BATS_TEST_TMPDIR/run.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/run.traj"
	[ "${#lines[@]}" -eq 12 ]
}

@test "every modular operation trains as a sequence" {
	for task in modsub modmul moddiv modquad; do
		tf_train --task "$task" --steps 2 --every 2 >"$BATS_TEST_TMPDIR/r.traj"
		run -0 traj-score "$BATS_TEST_TMPDIR/r.traj"
		assert_line --regexp "^$task-p11-s1	2	test/acc	"
	done
}

@test "the MLP is still the default model and its header is unchanged" {
	small_train >"$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"kind":"mlp"' "$BATS_TEST_TMPDIR/run.traj"
	! grep -aq 'eq_token' "$BATS_TEST_TMPDIR/run.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/run.traj"
	[ "${#lines[@]}" -eq 20 ]
}

@test "d-model not divisible by the heads is a usage error" {
	run -64 --separate-stderr traj-train --model transformer --d-model 10 --heads 3
	assert_usage_error "--heads: d-model 10 is not divisible by 3 heads"
}

@test "an explicit --d-head lifts the divisibility rule" {
	tf_train --d-model 10 --heads 3 --d-head 4 --steps 1 --every 1 >/dev/null
}

@test "a transformer refuses the quad activation" {
	run -64 --separate-stderr traj-train --model transformer --activation quad
	assert_usage_error "--activation: a transformer takes relu or gelu"
}

@test "unknown --model is a usage error" {
	run -64 --separate-stderr traj-train --model rnn
	assert_usage_error "--model: unknown model 'rnn' (mlp, transformer)"
}

@test "bad shape values are usage errors" {
	for bad in "--layers 0" "--layers 65" "--d-model 0" "--heads 0" \
		"--d-head x" "--d-mlp -1"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr traj-train --model transformer $bad
		assert_usage_error "${bad%% *}: "
	done
}

# Small sequence runs of the other tasks.
seq_train() {
	traj-train --quiet --model transformer --d-model 16 --heads 2 --d-mlp 32 \
		--steps 4 --every 4 --batch 50 "$@"
}

@test "add: per-digit accuracy, sequence accuracy, and 3n+2 positions" {
	seq_train --task add --digits 2 --n-train 200 --n-test 50 \
		>"$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"digits":2' "$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"n_ctx":8' "$BATS_TEST_TMPDIR/run.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/run.traj"
	for m in train/acc test/pos/0/acc test/pos/1/acc test/pos/2/acc \
		test/pos/2/loss test/seq_acc; do
		assert_line --regexp "^add-d2-s1	4	$m	[0-9.e-]+$"
	done
	refute_line --partial "pos/3/"
	# 2 checkpoints x 2 splits x (2 + 3 x 2 + 1), and the carry groups
	[ "$(printf '%s\n' "${lines[@]}" | grep -vc /carry/)" -eq 36 ]
}

@test "add: scores by the carry chain reaching each answer digit" {
	seq_train --task add --digits 2 --n-train 200 --n-test 200 \
		>"$BATS_TEST_TMPDIR/run.traj"
	traj-score "$BATS_TEST_TMPDIR/run.traj" >"$BATS_TEST_TMPDIR/s.tsv"
	for m in carry/0 carry/1 carry/2 pos/0/carry/0 pos/0/carry/2 \
		pos/1/carry/1 pos/2/carry/0; do
		grep -q "^add-d2-s1	4	test/$m/acc	" "$BATS_TEST_TMPDIR/s.tsv" ||
			fail "no test/$m/acc"
	done
	# The units digit never has a carry in; a chain of two reaches only
	# the carry-out digit; a carry into the units is impossible.
	run grep -E '/pos/2/carry/[12]/|/pos/1/carry/2/|/carry/3/' \
		"$BATS_TEST_TMPDIR/s.tsv"
	assert_failure
	for split in train test; do
		for m in loss acc; do
			[ "$(metric $split/pos/2/$m 4 <"$BATS_TEST_TMPDIR/s.tsv")" = \
			  "$(metric $split/pos/2/carry/0/$m 4 <"$BATS_TEST_TMPDIR/s.tsv")" ]
			[ "$(metric $split/carry/2/$m 4 <"$BATS_TEST_TMPDIR/s.tsv")" = \
			  "$(metric $split/pos/0/carry/2/$m 4 <"$BATS_TEST_TMPDIR/s.tsv")" ]
		done
	done
}

@test "parity trains both an MLP and a transformer" {
	traj-train -q --task parity --bits 8 --k 3 --n-train 100 --n-test 50 \
		--width 16 --steps 3 --every 3 >"$BATS_TEST_TMPDIR/mlp.traj"
	grep -aq '"inputs":8' "$BATS_TEST_TMPDIR/mlp.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/mlp.traj"
	assert_line --regexp '^parity-n8k3-s1	3	test/acc	'
	seq_train --task parity --bits 8 --k 3 --n-train 100 --n-test 50 \
		>"$BATS_TEST_TMPDIR/tf.traj"
	grep -aq '"n_ctx":9' "$BATS_TEST_TMPDIR/tf.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/tf.traj"
	assert_line --regexp '^parity-n8k3-s1	4	test/acc	'
}

@test "repeat: a loss for every position, the second half learnable" {
	seq_train --task repeat --seq-len 4 --vocab 8 --n-train 300 --n-test 50 \
		--steps 150 --every 150 --lr 0.01 >"$BATS_TEST_TMPDIR/run.traj"
	traj-score "$BATS_TEST_TMPDIR/run.traj" >"$BATS_TEST_TMPDIR/s.tsv"
	[ "$(grep -c 'test/pos/[0-9]*/loss' "$BATS_TEST_TMPDIR/s.tsv")" -eq 14 ]
	first=$(metric test/pos/1/loss 150 <"$BATS_TEST_TMPDIR/s.tsv")
	second=$(metric test/pos/5/loss 150 <"$BATS_TEST_TMPDIR/s.tsv")
	awk -v a="$first" -v b="$second" 'BEGIN { exit !(b < a / 4) }' ||
		fail "first half $first, second half $second"
}

@test "repeat: first and repeat losses average the right positions" {
	seq_train --task repeat --seq-len 4 --vocab 8 --n-train 100 --n-test 50 \
		>"$BATS_TEST_TMPDIR/run.traj"
	! grep -aq '"filler"' "$BATS_TEST_TMPDIR/run.traj"
	traj-score "$BATS_TEST_TMPDIR/run.traj" >"$BATS_TEST_TMPDIR/s.tsv"
	# Without filler labels 4..6 (tokens 5..7) copy, labels 0..3 do not.
	awk -F'\t' '$2 == 4 && $3 ~ /^test\/pos\/[0-9]+\/loss$/ {
			split($3, p, "/"); h = p[3] >= 4 ? "repeat" : "first"
			s[h] += $4; n[h]++ }
		$2 == 4 && $3 ~ /^test\/(first|repeat)\/loss$/ {
			split($3, p, "/"); got[p[2]] = $4 }
		END { for (h in s) { d = got[h] - s[h] / n[h]
				if (d * d > 1e-12) { print h, got[h], s[h] / n[h]; bad = 1 } }
			exit bad || n["repeat"] != 3 || n["first"] != 4 }' \
		"$BATS_TEST_TMPDIR/s.tsv" || fail "aggregates disagree"
	grep -q $'\ttest/repeat/acc\t' "$BATS_TEST_TMPDIR/s.tsv"
	grep -q $'\ttrain/first/acc\t' "$BATS_TEST_TMPDIR/s.tsv"
}

@test "repeat --filler: recorded in the header, longer sequences, scored" {
	seq_train --task repeat --seq-len 4 --vocab 8 --filler 3 --n-train 100 \
		--n-test 50 >"$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"filler":3' "$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"n_ctx":10' "$BATS_TEST_TMPDIR/run.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/run.traj"
	assert_line --regexp $'^repeat-l4v8f3-s1\t4\ttest/pos/9/loss\t'
	refute_line --partial $'\ttest/pos/10/'
	assert_line --regexp $'^repeat-l4v8f3-s1\t4\ttest/repeat/loss\t[0-9.]+$'
	assert_line --regexp $'^repeat-l4v8f3-s1\t4\ttest/first/loss\t[0-9.]+$'
	run -0 traj-train --help
	assert_output --partial --filler
	run -64 --separate-stderr traj-train --model transformer --task repeat \
		--filler 4097
	assert_usage_error "--filler: "
	run -64 --separate-stderr traj-train --model transformer --task repeat \
		--filler x
	assert_usage_error "--filler: "
}

@test "tasks that need another model are usage errors" {
	run -64 --separate-stderr traj-train --task add
	assert_usage_error "--task: add needs --model transformer"
	run -64 --separate-stderr traj-train --task repeat
	assert_usage_error "--task: repeat needs --model transformer"
	run -64 --separate-stderr traj-train --model transformer --task fashion
	assert_usage_error "--task: fashion needs --model mlp"
}

@test "task sizes are checked with the option's name" {
	run -64 --separate-stderr traj-train --model transformer --task parity \
		--bits 4 --n-train 10 --n-test 10
	assert_usage_error "--n-train: 10 + 10 examples, but the task has only 16"
	run -64 --separate-stderr traj-train --model transformer --task parity \
		--bits 5 --k 6
	assert_usage_error "--k: 6 outside 1..5 (bits)"
	for bad in "--digits 0" "--digits 10" "--seq-len 1" "--vocab 1" \
		"--n-train 0" "--n-test x" "--bits 63"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr traj-train --model transformer $bad
		assert_usage_error "${bad%% *}: "
	done
}

@test "fashion without its files names the package to install" {
	TRAJ_FASHION_DIR="$BATS_TEST_TMPDIR/none" run -66 --separate-stderr \
		traj-train --task fashion
	assert_equal "$stderr" "traj-train: $BATS_TEST_TMPDIR/none/train-images-idx3-ubyte.gz: cannot open (install Debian's dataset-fashion-mnist package)"
}

@test "fashion trains an MLP on dense pixels when the package is there" {
	[ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] ||
		skip "dataset-fashion-mnist is not installed (scripts/deps.sh data)"
	traj-train -q --task fashion --n-train 500 --n-test 200 --width 32 \
		--batch 100 --steps 20 --every 20 >"$BATS_TEST_TMPDIR/run.traj"
	grep -aq '"inputs":784' "$BATS_TEST_TMPDIR/run.traj"
	run -0 traj-score "$BATS_TEST_TMPDIR/run.traj"
	acc=$(printf '%s\n' "$output" | metric test/acc 20)
	awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' || fail "test/acc $acc"
}

# The run header of stream $1 followed by the checkpoints of stream $2
# (the header is the first frame: 8 bytes of magic and length, then JSON).
splice() {
	local la lb
	la=$(od -An -tu4 -j4 -N4 "$1" | tr -d ' ')
	lb=$(od -An -tu4 -j4 -N4 "$2" | tr -d ' ')
	head -c $((8 + la)) "$1"
	tail -c +$((8 + lb + 1)) "$2"
}

@test "checkpoints whose shapes do not match the declared model: one error, 65" {
	tf_train --steps 2 --every 2 >"$BATS_TEST_TMPDIR/a.traj"
	tf_train --steps 2 --every 2 --d-model 8 >"$BATS_TEST_TMPDIR/b.traj"
	splice "$BATS_TEST_TMPDIR/a.traj" "$BATS_TEST_TMPDIR/b.traj" >"$BATS_TEST_TMPDIR/c.traj"
	run -65 --separate-stderr traj-score "$BATS_TEST_TMPDIR/c.traj"
	assert_one_error_line traj-score
	[[ $stderr == *"tensor 'embed.W_E': shape [12, 8], expected [12, 16]" ]]
	small_train --steps 2 --every 2 >"$BATS_TEST_TMPDIR/m.traj"
	splice "$BATS_TEST_TMPDIR/a.traj" "$BATS_TEST_TMPDIR/m.traj" >"$BATS_TEST_TMPDIR/d.traj"
	run -65 --separate-stderr traj-score "$BATS_TEST_TMPDIR/d.traj"
	assert_one_error_line traj-score
	[[ $stderr == *"tensor 'embed.W_E': missing from checkpoint" ]]
}

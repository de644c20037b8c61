#!/usr/bin/env bats
# Lottery tickets: traj train --mask, --init-from, --reinit on masks from
# traj prune; and the bad inputs, each one line naming the tensor or step.

load test_helper

setup_file() {
	export D=$BATS_FILE_TMPDIR
	small_train --state all --out "$D/dense.traj"
	traj-prune --rate 0.5 --output-rate 0.25 --out "$D/m1.traj" "$D/dense.traj"
}

# The nonzero fraction of every masked tensor of checkpoint $2 of $1
# against its mask's density: one line "tensor density nonzero" each.
densities() {
	traj-prune --list --step "$2" "$1" | awk -F'\t' '
		$3 ~ /\/density$/ && $3 != "prune/total/density" {
			t = $3; sub(/^prune\//, "", t); sub(/\/density$/, "", t); d[t] = $4 }
		$3 ~ /\/nonzero$/ { t = $3; sub(/^prune\//, "", t); sub(/\/nonzero$/, "", t); z[t] = $4 }
		END { for (t in d) print t, d[t], z[t] }'
}

@test "a masked run keeps every masked tensor at its mask's density exactly (AdamW, SGD)" {
	# AdamW rewound to the dense run's step 20 (its moments too), SGD
	# with momentum and weight decay from its own initialisation
	for opt in "--init-from $D/dense.traj:20" "--optim sgd --wd 0.01"; do
		small_train $opt --mask "$D/m1.traj" --force --out "$BATS_TEST_TMPDIR/t.traj"
		for step in $(traj-snapshot --list "$BATS_TEST_TMPDIR/t.traj" | cut -f3 | sed -n '1p;3p;$p'); do
			run densities "$BATS_TEST_TMPDIR/t.traj" $step
			assert_success
			[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ] || fail "$output"
			printf '%s\n' "$output" | awk '$2 != $3 || $2 >= 1 { exit 1 }' ||
				fail "$opt step $step: $output"
		done
	done
	run densities "$BATS_TEST_TMPDIR/t.traj" 40
	assert_line --partial "layers.0.W 0.5"
	assert_line --partial "layers.1.W 0.75"
}

@test "the run header says the run is masked and where its weights came from" {
	small_train --mask "$D/m1.traj" --init-from "$D/dense.traj:10" --reinit 7 \
		--out "$BATS_TEST_TMPDIR/t.traj"
	run head -c 1200 "$BATS_TEST_TMPDIR/t.traj"
	assert_output --partial '"init":{"from":"'"$D"'/dense.traj","run":"modadd-p11-s1","step":10,"reinit":7}'
	assert_output --partial '"mask":{"from":"'"$D"'/m1.traj"'
	assert_output --partial '"densities":{"layers.0.W":0.5,"layers.1.W":0.75'
}

@test "rewinding to step 20 without a mask replays the run from there" {
	small_train --init-from "$D/dense.traj:20" --out "$BATS_TEST_TMPDIR/r.traj"
	run traj-snapshot --list "$BATS_TEST_TMPDIR/r.traj"
	assert_line --regexp $'^ckpt\tmodadd-p11-s1\t20\t'
	refute_line --regexp $'^ckpt\tmodadd-p11-s1\t10\t'
	diff <(traj-score --step 40 "$D/dense.traj") \
	     <(traj-score --step 40 "$BATS_TEST_TMPDIR/r.traj")
}

@test "--reinit SEED starts from the initialisation of a run with that seed" {
	small_train --seed 5 --steps 0 --out "$BATS_TEST_TMPDIR/s5.traj"
	small_train --reinit 5 --steps 0 --out "$BATS_TEST_TMPDIR/re.traj"
	traj-convert --export npz "$BATS_TEST_TMPDIR/a.npz" -t 'layers.*' "$BATS_TEST_TMPDIR/s5.traj"
	traj-convert --export npz "$BATS_TEST_TMPDIR/b.npz" -t 'layers.*' "$BATS_TEST_TMPDIR/re.traj"
	cmp "$BATS_TEST_TMPDIR/a.npz" "$BATS_TEST_TMPDIR/b.npz"
	small_train --steps 0 --out "$BATS_TEST_TMPDIR/s1.traj"
	traj-convert --export npz "$BATS_TEST_TMPDIR/c.npz" -t 'layers.*' "$BATS_TEST_TMPDIR/s1.traj"
	! cmp -s "$BATS_TEST_TMPDIR/a.npz" "$BATS_TEST_TMPDIR/c.npz"
}

@test "a masked run resumes bit for bit with its masks" {
	small_train --mask "$D/m1.traj" --steps 20 --out "$BATS_TEST_TMPDIR/a.traj"
	traj-train --quiet --resume "$BATS_TEST_TMPDIR/a.traj" --steps 40
	small_train --mask "$D/m1.traj" --out "$BATS_TEST_TMPDIR/b.traj"
	diff <(traj-score "$BATS_TEST_TMPDIR/a.traj") <(traj-score "$BATS_TEST_TMPDIR/b.traj")
	run densities "$BATS_TEST_TMPDIR/a.traj" 40
	assert_line --partial "layers.0.W 0.5 0.5"
}

@test "a mask of another model is refused naming the field" {
	traj-train --quiet --p 11 --width 16 --steps 0 --out "$BATS_TEST_TMPDIR/w.traj"
	traj-prune --rate 0.5 --out "$BATS_TEST_TMPDIR/w16.traj" "$BATS_TEST_TMPDIR/w.traj"
	run -65 --separate-stderr small_train --mask "$BATS_TEST_TMPDIR/w16.traj"
	assert_one_error_line traj-train
	assert_equal "$stderr" "traj-train: $BATS_TEST_TMPDIR/w16.traj: a mask of another model: model.width is 16 there, 32 here"
	run -65 --separate-stderr small_train --mask "$BATS_TEST_TMPDIR/w16.traj" --model transformer
	assert_one_error_line traj-train
	assert_output ""
	[[ $stderr == *"model.kind is \"mlp\" there, \"transformer\" here"* ]] || fail "$stderr"
}

# A copy of m1.traj whose mask of layers.0.W is rewritten by the Python
# expression $2 of the array m (NumPy); into $1.
bad_mask() {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no NumPy"
	local dir=$BATS_TEST_TMPDIR/mx
	rm -rf "$dir"
	traj-convert --export npy "$dir" "$D/m1.traj"
	/usr/bin/python3 - "$dir/mask/layers.0.W.npy" "$2" <<'PY'
import sys
import numpy as np
m = np.load(sys.argv[1])
m = eval(sys.argv[2])
np.save(sys.argv[1], m)
PY
	traj-convert --import npy "$dir" --step 40 --out "$1"
}

@test "bad mask tensors: shape, values, density 0, dtype, unknown name; status 65, one line" {
	local f=$BATS_TEST_TMPDIR/bad.traj
	bad_mask "$f" 'm[:, :31]'
	run -65 --separate-stderr small_train --mask "$f"
	assert_one_error_line traj-train
	assert_equal "$stderr" "traj-train: $f: mask tensor 'mask/layers.0.W': shape [22,31], the parameter's is [22,32]"
	bad_mask "$f" 'm * 2'
	run -65 --separate-stderr small_train --mask "$f"
	assert_one_error_line traj-train
	[[ $stderr == *"'mask/layers.0.W': element "*" is 2, expected 0 or 1" ]] || fail "$stderr"
	bad_mask "$f" 'm * 0'
	run -65 --separate-stderr small_train --mask "$f"
	assert_equal "$stderr" "traj-train: $f: mask tensor 'mask/layers.0.W': keeps no parameter (density 0)"
	bad_mask "$f" 'm.astype(np.float32)'
	run -65 --separate-stderr small_train --mask "$f"
	assert_equal "$stderr" "traj-train: $f: mask tensor 'mask/layers.0.W': dtype f32, expected u8"
	rm -rf "$BATS_TEST_TMPDIR/mx"
	traj-convert --export npy "$BATS_TEST_TMPDIR/mx" "$D/m1.traj"
	mv "$BATS_TEST_TMPDIR/mx/mask/layers.1.W.npy" "$BATS_TEST_TMPDIR/mx/mask/layers.2.W.npy"
	traj-convert --import npy "$BATS_TEST_TMPDIR/mx" --out "$f"
	run -65 --separate-stderr small_train --mask "$f"
	assert_equal "$stderr" "traj-train: $f: mask tensor 'mask/layers.2.W': the model has no parameter 'layers.2.W'"
	run -65 --separate-stderr small_train --mask "$D/dense.traj"
	assert_equal "$stderr" "traj-train: $D/dense.traj: no mask tensors (mask/...) in the checkpoint at step 40"
}

@test "--init-from: a step not in the stream, another model, no state, a bad argument" {
	run -65 --separate-stderr small_train --init-from "$D/dense.traj:25"
	assert_equal "$stderr" "traj-train: $D/dense.traj: no checkpoint at step 25 (steps 0..40)"
	run -65 --separate-stderr small_train --width 16 --init-from "$D/dense.traj"
	assert_equal "$stderr" "traj-train: $D/dense.traj: a run of another model: model.width is 32 there, 16 here"
	run -65 --separate-stderr small_train --p 13 --init-from "$D/dense.traj"
	assert_one_error_line traj-train
	[[ $stderr == *"a run of another model: model.vocab is 11 there, 13 here" ]] || fail "$stderr"
	run -65 --separate-stderr small_train --frac 0.6 --init-from "$D/dense.traj"
	assert_equal "$stderr" "traj-train: $D/dense.traj: a run of another task: task.frac is 0.5 there, 0.6 here"
	small_train --state none --out "$BATS_TEST_TMPDIR/nostate.traj"
	run -65 --separate-stderr small_train --init-from "$BATS_TEST_TMPDIR/nostate.traj:10"
	assert_one_error_line traj-train
	[[ $stderr == *"the checkpoint at step 10 holds no training state"* ]] || fail "$stderr"
	run -64 --separate-stderr small_train --steps 10 --init-from "$D/dense.traj:20"
	[[ $stderr == *"--steps 10: before the rewind step 20 of --init-from"* ]] || fail "$stderr"
	run -64 --separate-stderr small_train --init-from "$D/dense.traj:x"
	[[ $stderr == *"--init-from: '$D/dense.traj:x': expected STREAM or STREAM:STEP"* ]] || fail "$stderr"
	run -66 --separate-stderr small_train --init-from "$BATS_TEST_TMPDIR/none.traj"
	assert_one_error_line traj-train
	run -64 --separate-stderr traj-train --resume "$D/dense.traj" --mask "$D/m1.traj"
}

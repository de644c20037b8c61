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

@test "--width 8,4: per-layer widths in the header and the tensors; pruned per layer" {
	local t=$BATS_TEST_TMPDIR
	small_train --width 8,4 --steps 20 --state all --out "$t/w.traj"
	run bash -c "head -c 600 '$t/w.traj' | tr -d '\\0'"
	assert_output --partial '"width":[8,4],"depth":2'
	traj-prune --rate 0.5 --output-rate 0.25 --out "$t/wm.traj" "$t/w.traj"
	run traj-prune --list "$t/wm.traj"
	assert_line $'modadd-p11-s1\t20\tprune/layers.0.W/kept\t88'
	assert_line $'modadd-p11-s1\t20\tprune/layers.1.W/kept\t16'
	assert_line $'modadd-p11-s1\t20\tprune/layers.2.W/kept\t33'
	small_train --width 8,4 --mask "$t/wm.traj" --init-from "$t/w.traj:0" --out "$t/wt.traj"
	run densities "$t/wt.traj" 40
	assert_line "layers.1.W 0.5 0.5"
	# one width for every layer keeps the header it had before
	small_train --width 8 --depth 2 --steps 0 --out "$t/u.traj"
	run bash -c "head -c 600 '$t/u.traj' | tr -d '\\0'"
	assert_output --partial '"width":8,"depth":2'
	# 8,8 is the same model as 8 with depth 2, bit for bit
	small_train --width 8,8 --steps 0 --out "$t/u2.traj"
	cmp "$t/u.traj" "$t/u2.traj"
	run -65 --separate-stderr small_train --width 8,5 --mask "$t/wm.traj"
	assert_equal "$stderr" "traj-train: $t/wm.traj: a mask of another model: model.width is [8,4] there, [8,5] here"
	for bad in 8,0 8, ,8 8x 70000 "8,4 --depth 3"; do
		run -64 --separate-stderr small_train --steps 0 --width $bad
		[[ ${stderr%%$'\n'*} == "traj-train: --"*"width"* ]] || fail "$bad: $stderr"
	done
}

# The layer weights of the last checkpoint of $1 into the npz $2.
weights() {
	traj-convert --export npz "$2" -t 'layers.*' "$1"
}

@test "--order-seed changes the batch order alone; after --init-from, the order from there" {
	local t=$BATS_TEST_TMPDIR
	small_train --batch 16 --steps 0 --order-seed 9 --out "$t/a0.traj"
	small_train --batch 16 --steps 0 --out "$t/b0.traj"
	weights "$t/a0.traj" "$t/a0.npz"
	weights "$t/b0.traj" "$t/b0.npz"
	cmp "$t/a0.npz" "$t/b0.npz" # the same initialisation
	run bash -c "head -c 400 '$t/a0.traj' | tr -d '\\0'"
	assert_output --partial '"seed":1,"order_seed":9,'
	small_train --batch 16 --order-seed 9 --out "$t/a.traj"
	small_train --batch 16 --order-seed 1 --out "$t/s1.traj"
	small_train --batch 16 --state all --out "$t/b.traj"
	weights "$t/a.traj" "$t/a.npz"
	weights "$t/s1.traj" "$t/s1.npz"
	weights "$t/b.traj" "$t/b.npz"
	! cmp -s "$t/a.npz" "$t/b.npz"
	cmp "$t/s1.npz" "$t/b.npz" # the order seed of a run is its seed
	# two copies rewound to step 20: another order, other ends; the same
	# order seed twice, the same bits
	for o in 3 3 4; do
		small_train --batch 16 --init-from "$t/b.traj:20" --order-seed $o --force --out "$t/c.traj"
		weights "$t/c.traj" "$t/c$o.npz"
		[ -f "$t/first.npz" ] || cp "$t/c$o.npz" "$t/first.npz"
	done
	cmp "$t/first.npz" "$t/c3.npz"
	! cmp -s "$t/c3.npz" "$t/c4.npz"
	! cmp -s "$t/c3.npz" "$t/b.npz"
	# resumed, an order-seeded copy continues with its order bit for bit
	small_train --batch 16 --init-from "$t/b.traj:20" --order-seed 4 --steps 30 --out "$t/r.traj"
	traj-train --quiet --resume "$t/r.traj" --steps 40
	weights "$t/r.traj" "$t/r.npz"
	cmp "$t/r.npz" "$t/c4.npz"
	run -64 --separate-stderr small_train --order-seed 2 --steps 0
	assert_equal "${stderr%%$'\n'*}" "traj-train: --order-seed: full-batch training has no batch order (give --batch)"
}

@test "--n-val: validation on the training images after --n-train, scored as val/ (NumPy)" {
	local t=$BATS_TEST_TMPDIR dir=${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
	[ -d "$dir" ] || skip "Debian's dataset-fashion-mnist is not installed (scripts/deps.sh data)"
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no NumPy"
	traj-train --quiet --task fashion --width 8,4 --n-train 100 --n-val 50 --n-test 50 \
		--batch 20 --steps 5 --every 5 --out "$t/v.traj"
	run bash -c "head -c 600 '$t/v.traj' | tr -d '\\0'"
	assert_output --partial '"task":{"name":"fashion","n_val":50,"n_train":100,"n_test":50,'
	traj-score "$t/v.traj" >"$t/v.tsv"
	traj-convert --export npz "$t/v.npz" -t 'layers.*' "$t/v.traj"
	run /usr/bin/python3 - "$dir" "$t/v.npz" "$t/v.tsv" <<'PY'
import gzip, sys
import numpy as np
d, npz, tsv = sys.argv[1:]
img = np.frombuffer(gzip.open(d + "/train-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
lab = np.frombuffer(gzip.open(d + "/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
x = img.reshape(-1, 784)[100:150].astype(np.float64) / 255
y = lab[100:150].astype(int)
w = np.load(npz)
for i in range(3):
    x = x @ w["layers.%d.W" % i] + w["layers.%d.b" % i]
    if i < 2:
        x = np.maximum(x, 0)
z = x - x.max(1, keepdims=True)
loss = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(50), y])
acc = np.mean(x.argmax(1) == y)
got = {l.split("\t")[2]: float(l.split("\t")[3]) for l in open(tsv) if l.split("\t")[1] == "5"}
print("val/loss traj %.8g numpy %.8g; val/acc traj %g numpy %g" % (got["val/loss"], loss, got["val/acc"], acc))
assert abs(got["val/loss"] - loss) < 1e-5 * loss and got["val/acc"] == acc
assert abs(got["train/loss"] - loss) > 1e-3  # another split than train
PY
	assert_success
	run -64 --separate-stderr traj-train --task fashion --n-val 10 --steps 0 -o "$t/x.traj"
	assert_equal "${stderr%%$'\n'*}" "traj-train: --n-val: needs n_train (0, every training image, leaves none to hold out)"
	run -64 --separate-stderr traj-train --n-val 10 --steps 0 -o "$t/x.traj"
	assert_equal "${stderr%%$'\n'*}" "traj-train: --n-val: only fashion has a validation split"
}

#!/usr/bin/env bats
# traj prune: masks by magnitude (per layer, global), at random, on top of
# a mask; --list; bad input.

load test_helper

setup_file() {
	export D=$BATS_FILE_TMPDIR
	small_train --out "$D/run.traj"
}

kept() { # kept count of tensor $1 in --list output
	printf '%s\n' "$output" | awk -F'\t' -v m="prune/$1/kept" '$3 == m { print $4 }'
}

@test "per layer: 20% of layers.0.W and 10% of the output layer (floor(r n + 1/2))" {
	run traj-prune --list --rate 0.2 --output-rate 0.1 "$D/run.traj"
	assert_success
	# layers.0.W is 22x32 = 704: 141 pruned; layers.1.W 32x11 = 352: 35
	assert_equal "$(kept layers.0.W)" 563
	assert_equal "$(kept layers.1.W)" 317
	assert_line --regexp $'^modadd-p11-s1\t40\tprune/total/density\t0.8333'
	refute_line --partial "layers.0.b"
}

@test "the next round prunes the remaining weights; a mask file lists itself" {
	traj-prune --rate 0.2 --output-rate 0.1 -o "$BATS_TEST_TMPDIR/m1.traj" "$D/run.traj"
	run traj-prune --list "$BATS_TEST_TMPDIR/m1.traj"
	assert_equal "$(kept layers.0.W)" 563
	refute_line --partial nonzero
	run traj-prune --list --rate 0.2 --output-rate 0.1 --mask "$BATS_TEST_TMPDIR/m1.traj" "$D/run.traj"
	assert_equal "$(kept layers.0.W)" 450   # 563 - 113
	assert_equal "$(kept layers.1.W)" 285   # 317 - 32
	# the random control: the same counts, another seed another mask
	traj-prune --random 1 --rate 0.2 --output-rate 0.1 --mask "$BATS_TEST_TMPDIR/m1.traj" \
		-o "$BATS_TEST_TMPDIR/r1.traj" "$D/run.traj"
	traj-prune --random 2 --rate 0.2 --output-rate 0.1 --mask "$BATS_TEST_TMPDIR/m1.traj" \
		-o "$BATS_TEST_TMPDIR/r2.traj" "$D/run.traj"
	run traj-prune --list "$BATS_TEST_TMPDIR/r1.traj"
	assert_equal "$(kept layers.0.W)" 450
	assert_equal "$(kept layers.1.W)" 285
	! cmp -s "$BATS_TEST_TMPDIR/r1.traj" "$BATS_TEST_TMPDIR/r2.traj"
	run head -c 1500 "$BATS_TEST_TMPDIR/r1.traj"
	assert_output --partial '"prune":{"method":"random","scope":"layer","rate":0.2,"output_rate":0.1,"seed":1}'
}

@test "magnitude: the pruned weights are the smallest ones (NumPy)" {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no NumPy"
	traj-prune --rate 0.3 --global -t 'layers.*' -o "$BATS_TEST_TMPDIR/m.traj" "$D/run.traj"
	traj-convert --export npz "$BATS_TEST_TMPDIR/w.npz" "$D/run.traj"
	traj-convert --export npz "$BATS_TEST_TMPDIR/m.npz" "$BATS_TEST_TMPDIR/m.traj"
	/usr/bin/python3 - "$BATS_TEST_TMPDIR" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
w, m = np.load(d + "/w.npz"), np.load(d + "/m.npz")
# -t 'layers.*': the biases too; global over all but the output layer's
# bias (the last prunable tensor), which is pruned on its own
out = "layers.1.b"
names = [n for n in w.files if n.startswith("layers.")]
pool = [n for n in names if n != out]
a = np.concatenate([np.abs(w[n]).ravel() for n in pool])
k = np.concatenate([m["mask/" + n].ravel() for n in pool])
assert k.dtype == np.uint8 and set(np.unique(k)) <= {0, 1}
assert (k == 0).sum() == int(np.floor(0.3 * a.size + 0.5)), (k == 0).sum()
assert a[k == 0].max() <= a[k == 1].min()
ko = m["mask/" + out]
assert (ko == 0).sum() == int(np.floor(0.3 * ko.size + 0.5))
assert np.abs(w[out])[ko == 0].max() <= np.abs(w[out])[ko == 1].min()
PY
}

@test "bad options and inputs: status 64 or 65, one line" {
	run -64 --separate-stderr traj-prune "$D/run.traj"
	[[ $stderr == *"--rate: required (or --list to show a mask)"* ]] || fail "$stderr"
	run -64 --separate-stderr traj-prune --rate 1 "$D/run.traj"
	[[ $stderr == *"--rate: 1 prunes every weight (density 0); expected 0 <= R < 1"* ]] || fail "$stderr"
	run -64 --separate-stderr traj-prune --rate 0.5 --output-rate 1.5 "$D/run.traj"
	run -64 --separate-stderr traj-prune --rate 0.5 -t 'nothing*' "$D/run.traj"
	[[ $stderr == *"--tensors: no parameter of the mlp model matches"* ]] || fail "$stderr"
	run -65 --separate-stderr traj-prune --rate 0.5 --step 25 "$D/run.traj"
	assert_equal "$stderr" "traj-prune: $D/run.traj: no checkpoint at step 25 (steps 0..40)"
	run -65 --separate-stderr traj-prune --rate 0.9995 --output-rate 0.1 "$D/run.traj"
	assert_equal "$stderr" "traj-prune: $D/run.traj: pruning 'layers.0.W' at rate 0.9995 leaves no weight of 704"
	traj-train --quiet --p 11 --width 16 --steps 0 --out "$BATS_TEST_TMPDIR/w.traj"
	traj-prune --rate 0.5 -o "$BATS_TEST_TMPDIR/w16.traj" "$BATS_TEST_TMPDIR/w.traj"
	run -65 --separate-stderr traj-prune --rate 0.5 --mask "$BATS_TEST_TMPDIR/w16.traj" "$D/run.traj"
	assert_equal "$stderr" "traj-prune: $BATS_TEST_TMPDIR/w16.traj: a mask of another model: model.width is 16 there, 32 here"
	run -66 --separate-stderr traj-prune --rate 0.5 "$BATS_TEST_TMPDIR/none.traj"
	assert_one_error_line traj-prune
}

#!/usr/bin/env bats
# A checkpoint exported by traj-convert loads into the PyTorch references
# of bench/ (bench/torch_load_check.py: TransformerLens state-dict names
# for the transformer, layers.i.W/b for the MLP) and gives traj score's
# loss to 1e-5 relative. Both sides use every pair of the task: traj
# score's train and test losses weighted by the split sizes, PyTorch's
# mean over all pairs, so the split is not rebuilt in Python. Skipped
# where /usr/bin/python3 cannot import torch (Debian's python3-torch).

setup_file() {
	load test_helper
	detect_torch || return 0
	TF="$BATS_FILE_TMPDIR/tf.traj"
	traj-train --quiet --model transformer --p 13 --frac 0.3 --d-model 32 \
		--heads 2 --d-mlp 64 --steps 30 --every 10 >"$TF"
	export TF
}

setup() {
	load test_helper
	skip_without_torch
	cd "$BATS_TEST_TMPDIR"
}

# traj score's mean loss over every pair at the last checkpoint of run $1
# (task fraction $2, $3 pairs): n_train rounded as lib/task/task_modular.c does.
traj_loss() {
	traj-snapshot --last "$1" | traj-score | awk -v f="$2" -v N="$3" '
		$3 == "train/loss" { tr = $4 } $3 == "test/loss" { te = $4 }
		END { n = int(f * N + 0.5); printf "%.9g\n", (n * tr + (N - n) * te) / N }'
}

torch_loss() {
	/usr/bin/python3 "$TRAJ_ROOT/bench/torch_load_check.py" "$@" |
		awk '$1 == "torch_loss" { print $2 }'
}

# Fails unless $1 and $2 agree to 1e-5 relative; the difference is shown.
assert_close() {
	local rel
	rel=$(awk -v a="$1" -v b="$2" 'BEGIN { d = (a - b) / a; printf "%.3g", d < 0 ? -d : d }')
	echo "# traj $1 torch $2 relative difference $rel" >&3
	awk -v r="$rel" 'BEGIN { exit !(r <= 1e-5) }' ||
		fail "traj $1 and torch $2 differ by $rel relative"
}

@test "transformer: safetensors export gives traj score's loss in PyTorch" {
	traj-convert --export safetensors tf.st "$TF"
	run -0 --separate-stderr /usr/bin/python3 "$TRAJ_ROOT/bench/torch_load_check.py" tf.st
	assert_line --index 1 "examples	169"
	assert_close "$(traj_loss "$TF" 0.3 169)" "$(torch_loss tf.st)"
}

@test "transformer: npz export with the run.json of an npy export" {
	traj-convert --export npz tf.npz "$TF"
	traj-convert --export npy dir "$TF"
	assert_close "$(traj_loss "$TF" 0.3 169)" "$(torch_loss --run dir/run.json tf.npz)"
}

@test "transformer with LayerNorm, two layers and GELU (modsub)" {
	traj-train --quiet --model transformer --task modsub --p 11 --frac 0.5 \
		--layers 2 --layernorm --activation gelu --d-model 16 --heads 2 \
		--d-mlp 32 --steps 20 --every 20 >ln.traj
	traj-convert --export safetensors ln.st ln.traj
	assert_close "$(traj_loss ln.traj 0.5 121)" "$(torch_loss ln.st)"
}

@test "MLP: layers.i.W and b load into torch_mlp's OneHotMLP" {
	small_train --frac 0.4 --depth 2 --activation gelu --steps 20 --every 20 >mlp.traj
	traj-convert --export npz mlp.npz mlp.traj
	traj-convert --export npy dir mlp.traj
	assert_close "$(traj_loss mlp.traj 0.4 121)" "$(torch_loss --run dir/run.json mlp.npz)"
}

@test "a W_Q in another layout (D, H, E) misses traj score's loss" {
	# The check is sensitive to layout: the same numbers, read as
	# [d_model, n_heads, d_head], give another loss.
	traj-convert --export npz tf.npz "$TF"
	traj-convert --export npy dir "$TF"
	/usr/bin/python3 -c '
import numpy as np
z = dict(np.load("tf.npz"))
w = z["blocks.0.attn.W_Q"]
z["blocks.0.attn.W_Q"] = w.reshape(w.shape[1], w.shape[0], w.shape[2]).transpose(1, 0, 2)
np.savez("bad.npz", **z)'
	run ! assert_close "$(traj_loss "$TF" 0.3 169)" "$(torch_loss --run dir/run.json bad.npz)"
}

@test "a missing tensor is refused with its name" {
	traj-convert --export safetensors part.st -t 'blocks.*' "$TF"
	run -1 --separate-stderr /usr/bin/python3 "$TRAJ_ROOT/bench/torch_load_check.py" part.st
	assert_one_error_line torch_load_check.py
	[[ $stderr == *'embed.W_E'* ]] || fail "embed.W_E not named: $stderr"
}

@test "an npz without --run is refused" {
	traj-convert --export npz tf.npz "$TF"
	run -1 --separate-stderr /usr/bin/python3 "$TRAJ_ROOT/bench/torch_load_check.py" tf.npz
	assert_one_error_line torch_load_check.py
	[[ $stderr == *'no run header'* ]] || fail "$stderr"
}

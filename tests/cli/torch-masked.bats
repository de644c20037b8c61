#!/usr/bin/env bats
# Masked training against PyTorch: the same MLP (modadd p 11, 32 ReLU
# units), the same initial weights and mask (traj's, exported), the train
# split rebuilt by bench/split_reference.py, full-batch AdamW (lr 1e-3,
# betas 0.9 0.98, eps 1e-8, weight decay 1) with the gradient masked
# before the step and the weights after it: after 30 steps the weights
# agree to 1e-5 and the pruned ones are exactly 0 on both sides.

setup() {
	load test_helper
	detect_torch || true
	skip_without_torch
	cd "$BATS_TEST_TMPDIR"
}

@test "30 masked AdamW steps give PyTorch's weights" {
	small_train --steps 30 --every 30 --out d.traj
	traj-prune --rate 0.6 --output-rate 0.3 --out m.traj d.traj
	small_train --steps 30 --every 30 --mask m.traj --init-from d.traj:0 --out t.traj
	traj-convert --export npz w0.npz --step 0 t.traj
	traj-convert --export npz w30.npz --step 30 t.traj
	traj-convert --export npy dir t.traj
	run -0 /usr/bin/python3 - "$TRAJ_ROOT/bench" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import torch
import split_reference as sr
run = json.load(open("dir/run.json"))
train, _ = sr.modular(run["task"])
p = run["task"]["p"]
x = torch.zeros(len(train), 2 * p)
for i, (tok, _) in enumerate(train):
    x[i, tok[0]] = 1
    x[i, p + tok[1]] = 1
y = torch.tensor([lab[0] for _, lab in train])
w0, w30 = np.load("w0.npz"), np.load("w30.npz")
names = ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]
P = {n: torch.tensor(w0[n], requires_grad=True) for n in names}
M = {n: torch.tensor(w0["mask/" + n]).float() for n in names if "mask/" + n in w0.files}
assert sorted(M) == ["layers.0.W", "layers.1.W"], sorted(M)
opt = torch.optim.AdamW(P.values(), lr=1e-3, betas=(0.9, 0.98), eps=1e-8, weight_decay=1.0)
for step in range(30):
    opt.zero_grad()
    h = torch.relu(x @ P["layers.0.W"] + P["layers.0.b"])
    loss = torch.nn.functional.cross_entropy(h @ P["layers.1.W"] + P["layers.1.b"], y)
    loss.backward()
    with torch.no_grad():
        for n, m in M.items():
            P[n].grad.mul_(m)
    opt.step()
    with torch.no_grad():
        for n, m in M.items():
            P[n].mul_(m)
worst = 0.0
for n in names:
    a, b = P[n].detach().numpy(), w30[n]
    worst = max(worst, float(np.abs(a - b).max()))
    if n in M:
        m = M[n].numpy() == 0
        assert (a[m] == 0).all() and (b[m] == 0).all(), n
        assert (b[~m] != 0).all(), n
print("max_abs_diff %.3g" % worst)
assert worst <= 1e-5, worst
PY
	echo "# $output" >&3
}

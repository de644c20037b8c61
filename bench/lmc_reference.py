#!/usr/bin/python3
"""The loss along the straight line between two exported checkpoints, in
PyTorch: the reference for traj interpolate.

  lmc_reference.py [--points N] [--run RUN.json] A B

A and B are checkpoints that `traj convert --export` wrote (npy
directories, npz or safetensors files; see torch_load_check.py). For t =
0, 1/(N-1), ..., 1 the parameters (1 - t) A + t B are computed in float64
as A + t (B - A) and rounded to float32 (A and B themselves at the ends,
as traj does), loaded into the PyTorch reference model of the run header
(torch_load_check.py's transformer or one-hot MLP) and scored on every
pair of the modular task. Prints one line `T<TAB>LOSS` per point (%.9g);
traj interpolate's train and test losses weighted by the split sizes give
the same mean. tests/cli/traj-interpolate.bats runs it.

Debian's torch imports only under /usr/bin/python3.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import torch_load_check as tlc  # noqa: E402


def line_losses(path_a, path_b, run_path, n):
    a, run_a = tlc.read_export(path_a)
    b, _ = tlc.read_export(path_b)
    run = run_a
    if run_path:
        with open(run_path) as f:
            run = json.load(f)
    if run is None:
        raise ValueError("no run header: give --run RUN.json")
    if sorted(a) != sorted(b):
        raise ValueError("A and B hold different tensors")
    cfg = run["model"]
    build = {"transformer": tlc.transformer, "mlp": tlc.mlp}[cfg["kind"]]
    tokens, labels = tlc.all_pairs(run["task"])
    out = []
    for i in range(n):
        t = 0.0 if i == 0 else 1.0 if i == n - 1 else i / (n - 1)
        state = {}
        for k in a:
            xa = np.asarray(a[k], dtype=np.float64)
            xb = np.asarray(b[k], dtype=np.float64)
            x = xa if t == 0.0 else xb if t == 1.0 else xa + t * (xb - xa)
            state[k] = tlc.as_torch(x.astype(np.float32))
        model, logits_of = build(cfg, state)
        with torch.no_grad():
            logits = logits_of(tokens)
            value = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                    labels)
        out.append((t, value.item()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--points", type=int, default=11)
    ap.add_argument("--run", metavar="RUN.json")
    args = ap.parse_args()
    if args.points < 2:
        sys.exit("lmc_reference.py: --points: at least 2")
    try:
        for t, value in line_losses(args.a, args.b, args.run, args.points):
            print(f"{t:.6g}\t{value:.9g}")
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        sys.exit(f"lmc_reference.py: {' '.join(str(e).split())}")


if __name__ == "__main__":
    main()

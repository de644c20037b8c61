#!/usr/bin/python3
"""One configuration of a sweep, the way a researcher runs it in PyTorch:
one process per configuration (bench/sweep.sh starts them with GNU
parallel, as traj sweep run does traj's).

Trains the grokking MLP on (a + b) mod p (bench/torch_mlp.py's model, in
its fastest formulation: the first layer an EmbeddingBag sum), full batch,
AdamW(lr, weight_decay, betas=(0.9, 0.98)), and every --every steps (and
at step 0) evaluates train and test loss and accuracy, as traj sweep's
jobs do (traj train writes checkpoints, traj score scores them). Writes
those metric lines (run, step, name, value) to --out. Saves no
checkpoints, which traj's jobs do: PyTorch is spared that cost.
"""
import argparse
import os


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=41)
    ap.add_argument("--frac", type=float, default=0.5)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--every", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads and OPENBLAS_NUM_THREADS")
    ap.add_argument("--out", required=True)
    return ap.parse_args()


args = parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

import torch  # noqa: E402  (after OPENBLAS_NUM_THREADS is set)
import torch.nn.functional as F  # noqa: E402

from torch_mlp import EmbeddingMLP  # noqa: E402


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    p = args.p
    g = torch.Generator().manual_seed(args.seed)
    pairs = torch.randperm(p * p, generator=g)
    n = int(args.frac * p * p + 0.5)
    a, b = pairs // p, pairs % p
    x, y = torch.stack([a, b + p], dim=1), (a + b) % p
    xtr, ytr, xte, yte = x[:n], y[:n], x[n:], y[n:]
    model = EmbeddingMLP(p, args.width, 1, "relu")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr,
                            weight_decay=args.wd, betas=(0.9, 0.98))
    run = f"p{p}-frac{args.frac}-wd{args.wd}-s{args.seed}"
    lines = []

    def score(step):
        with torch.no_grad():
            for split, xs, ys in (("train", xtr, ytr), ("test", xte, yte)):
                z = model(xs)
                loss = F.cross_entropy(z, ys).item()
                acc = (z.argmax(1) == ys).float().mean().item()
                lines.append(f"{run}\t{step}\t{split}/loss\t{loss:.9g}\n")
                lines.append(f"{run}\t{step}\t{split}/acc\t{acc:.9g}\n")

    score(0)
    for step in range(1, args.steps + 1):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xtr), ytr).backward()
        opt.step()
        if step % args.every == 0 or step == args.steps:
            score(step)
    with open(args.out, "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()

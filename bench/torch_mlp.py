#!/usr/bin/python3
"""PyTorch reference for traj's MLP training step (bench/mlp_step.c).

Trains the grokking MLP on (a + b) mod p: the input is the concatenation
of two one-hot vectors (2p floats), then [Linear -> activation] x depth,
then Linear to p logits; mean cross-entropy; AdamW(lr=1e-3,
weight_decay=1.0, betas=(0.9, 0.98)); full batch over a random `frac` of
all p^2 pairs. Prints the median milliseconds per step after warm-up as
one line, `torch_ms_per_step<TAB><value>`, on stdout.

--embedding replaces the one-hot product by an EmbeddingBag sum of the
two selected rows (the same function, the way traj computes it) to give
PyTorch its fastest formulation.

Debian's torch imports only under /usr/bin/python3. OPENBLAS_NUM_THREADS
must be set before torch loads OpenBLAS, hence --blas-threads.
"""
import argparse
import os
import statistics
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--frac", type=float, default=0.5)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (torch.set_num_threads)")
    ap.add_argument("--blas-threads", type=int, default=2,
                    help="OPENBLAS_NUM_THREADS unless already set")
    ap.add_argument("--activation", choices=["relu", "gelu", "quad"],
                    default="relu")
    ap.add_argument("--embedding", action="store_true",
                    help="first layer as an EmbeddingBag sum")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


if __name__ == "__main__":  # importers (torch_load_check.py) set their own
    args = parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.blas_threads))

import torch  # noqa: E402  (after OPENBLAS_NUM_THREADS is set)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Quad(nn.Module):
    def forward(self, x):
        return x * x


def activation(name):
    return {"relu": nn.ReLU, "gelu": nn.GELU, "quad": Quad}[name]()


class OneHotMLP(nn.Module):
    """x (B, 2p) one-hot concat -> logits (B, p)."""

    def __init__(self, p, width, depth, act):
        super().__init__()
        dims = [2 * p] + [width] * depth
        layers = []
        for d_in, d_out in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(d_in, d_out), activation(act)]
        layers.append(nn.Linear(width, p))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class EmbeddingMLP(nn.Module):
    """tokens (B, 2), second offset by p -> logits (B, p); the first layer
    sums two rows of a (2p, width) table, equal to the one-hot product."""

    def __init__(self, p, width, depth, act):
        super().__init__()
        self.embed = nn.EmbeddingBag(2 * p, width, mode="sum")
        self.b0 = nn.Parameter(torch.zeros(width))
        layers = [activation(act)]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), activation(act)]
        layers.append(nn.Linear(width, p))
        self.net = nn.Sequential(*layers)

    def forward(self, tokens):
        return self.net(self.embed(tokens) + self.b0)


def make_data(p, frac, seed):
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randperm(p * p, generator=g)[: int(frac * p * p)]
    a, b = pairs // p, pairs % p
    return a, b, (a + b) % p


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    p = args.p
    a, b, y = make_data(p, args.frac, args.seed)
    if args.embedding:
        model = EmbeddingMLP(p, args.width, args.depth, args.activation)
        x = torch.stack([a, b + p], dim=1)  # (B, 2)
    else:
        model = OneHotMLP(p, args.width, args.depth, args.activation)
        x = torch.cat([F.one_hot(a, p), F.one_hot(b, p)], dim=1).float()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0,
                            betas=(0.9, 0.98))
    times = []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step >= args.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    print(f"torch_mlp: torch {torch.__version__}, threads {args.threads}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"batch {len(y)}, final loss {loss.item():.6g}, "
          f"min {min(times):.2f} ms", file=sys.stderr)
    print(f"torch_ms_per_step\t{statistics.median(times):.3f}")


if __name__ == "__main__":
    main()

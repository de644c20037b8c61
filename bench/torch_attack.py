#!/usr/bin/python3
"""PyTorch reference for `traj attack` on a Fashion-MNIST MLP.

  torch_attack.py [--eps LIST] [--iters N] [--limit N] [--norm linf|l2]
                  [--blas-threads T] FILE.safetensors

Loads a checkpoint exported by `traj convert --export safetensors` (the
MLP layers.I.W (in, out) and layers.I.b), the first N images of the
Fashion-MNIST test set from Debian's dataset-fashion-mnist (pixels / 255,
as traj's fashion task), and runs FGSM and PGD as traj-attack(1) defines
them, from the clean input (traj attack --no-random-start, one restart):
the worst case of each example over the FGSM point and every PGD iterate,
a fooling point beating any other, then the higher loss. Written from the
man page's definitions with torch.autograd, not from traj's code.

Prints metric lines `torch<TAB>0<TAB>attack/M/N/E/acc<TAB>VALUE` (and
attack/clean/acc), then `torch_pgd_iters_per_s<TAB>VALUE`: PGD gradient
steps over one example per second, the whole set as one batch, and
`torch_pgd_cpu_s<TAB>VALUE`, the process CPU time of those PGD runs.
Debian's torch imports only under /usr/bin/python3.
"""
import argparse
import gzip
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--eps", default="0.05,0.1,0.2")
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--limit", type=int, default=10000)
    ap.add_argument("--norm", default="linf", choices=["linf", "l2"])
    ap.add_argument("--blas-threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get(
        "TRAJ_FASHION_DIR", "/usr/share/datasets/fashion-mnist"))
    return ap.parse_args()


args = parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch_load_check import read_export  # noqa: E402

torch.set_num_threads(args.blas_threads)


def load_images(n):
    with gzip.open(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    x = torch.from_numpy(x[:n].astype(np.float32) / np.float32(255))
    return x, torch.from_numpy(y[:n].astype(np.int64))


def mlp(tensors):
    layers = []
    i = 0
    while f"layers.{i}.W" in tensors:
        w = torch.from_numpy(np.array(tensors[f"layers.{i}.W"], np.float32))
        b = tensors.get(f"layers.{i}.b")
        b = torch.from_numpy(np.array(b, np.float32)) if b is not None else None
        layers.append((w, b))
        i += 1

    def forward(x):
        for k, (w, b) in enumerate(layers):
            x = x @ w
            if b is not None:
                x = x + b
            if k + 1 < len(layers):
                x = torch.relu(x)
        return x
    return forward


def grad_and_logits(f, x, y):
    x = x.clone().requires_grad_(True)
    z = f(x)
    F.cross_entropy(z, y, reduction="sum").backward()
    return x.grad, z.detach()


def project(x, adv, eps, norm):
    d = adv - x
    if norm == "linf":
        d = d.clamp(-eps, eps)
    else:
        n = d.norm(dim=1, keepdim=True)
        d = d * torch.where(n > eps, eps / n, torch.ones_like(n))
    return (x + d).clamp(0, 1)


def direction(g, norm):
    if norm == "linf":
        return g.sign()
    n = g.norm(dim=1, keepdim=True)
    return torch.where(n > 0, g / n, torch.zeros_like(g))


class Best:
    """Each example's worst case so far."""

    def __init__(self, x, y):
        self.adv = x.clone()
        self.fooled = torch.zeros(len(y), dtype=torch.bool)
        self.loss = torch.full((len(y),), -float("inf"))
        self.y = y

    def offer(self, adv, z):
        fooled = z.argmax(1) != self.y
        loss = F.cross_entropy(z.double(), self.y, reduction="none").float()
        take = (fooled & ~self.fooled) | ((fooled == self.fooled) & (loss > self.loss))
        self.adv[take] = adv[take]
        self.fooled[take] = fooled[take]
        self.loss[take] = loss[take]


def attack(f, x, y, eps, iters, norm, pgd):
    best = Best(x, y)
    g, _ = grad_and_logits(f, x, y)
    fgsm = project(x, x + eps * direction(g, norm), eps, norm)
    with torch.no_grad():
        best.offer(fgsm, f(fgsm))
    if not pgd:
        return best
    step = 2.5 * eps / iters
    adv = x.clone()
    for _ in range(iters):
        g, z = grad_and_logits(f, adv, y)
        best.offer(adv, z)
        adv = project(x, adv + step * direction(g, norm), eps, norm)
    with torch.no_grad():
        best.offer(adv, f(adv))
    return best


def main():
    tensors, _ = read_export(args.file)
    f = mlp(tensors)
    x, y = load_images(args.limit)
    with torch.no_grad():
        clean = (f(x).argmax(1) == y).float().mean().item()
    print(f"torch\t0\tattack/clean/acc\t{clean:.9g}")
    pgd_time = pgd_cpu = 0.0
    for method in ("fgsm", "pgd"):
        for e in args.eps.split(","):
            eps = float(e)
            t0, c0 = time.perf_counter(), time.process_time()
            best = attack(f, x, y, eps, args.iters, args.norm, method == "pgd")
            if method == "pgd":
                pgd_time += time.perf_counter() - t0
                pgd_cpu += time.process_time() - c0
            with torch.no_grad():
                acc = (f(best.adv).argmax(1) == y).float().mean().item()
            print(f"torch\t0\tattack/{method}/{args.norm}/{e}/acc\t{acc:.9g}")
    neps = len(args.eps.split(","))
    print(f"torch_pgd_iters_per_s\t{neps * args.iters * len(y) / pgd_time:.6g}")
    print(f"torch_pgd_cpu_s\t{pgd_cpu:.6g}")


main()

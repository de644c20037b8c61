#!/usr/bin/python3
"""PyTorch reference for traj-llc's SGLD step (lib/analysis/sgld.c).

The demo MLP of a+b mod p (one-hot input of 2p floats, one hidden layer
of `width` ReLU units, p logits, mean cross-entropy), at its
initialisation, sampled by SGLD localised at w*:

    w <- w - eps/2 (nbeta g + gamma (w - w*)) + sqrt(eps) xi

with minibatches of `batch` training pairs (a `frac` of all pairs),
taken in order from a permutation reshuffled each epoch, as devinterp's
SGLD does it. Prints the median SGLD steps per second over a few timed
blocks, after warm-up, as one line `torch_sgld_steps_per_s<TAB><value>`,
then the same per second of the process's CPU time (which a loaded
machine inflates less than the wall clock) as
`torch_sgld_steps_per_cpu_s<TAB><value>`.
The point is the cost of a step, so the weights need not be trained.

Debian's torch imports only under /usr/bin/python3. OPENBLAS_NUM_THREADS
must be set before torch loads OpenBLAS, hence --blas-threads.
"""
import argparse
import math
import os
import statistics
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--frac", type=float, default=0.5)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--eps", type=float, default=1e-3)
    ap.add_argument("--gamma", type=float, default=100.0)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--blas-threads", type=int, default=1)
    return ap.parse_args()


def main():
    args = parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    p = args.p
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    perm = torch.randperm(len(pairs))
    train = pairs[perm[: int(args.frac * len(pairs))]]
    x = torch.zeros(len(train), 2 * p)
    x[torch.arange(len(train)), train[:, 0]] = 1
    x[torch.arange(len(train)), p + train[:, 1]] = 1
    y = (train[:, 0] + train[:, 1]) % p
    model = torch.nn.Sequential(torch.nn.Linear(2 * p, args.width),
                                torch.nn.ReLU(),
                                torch.nn.Linear(args.width, p))
    params = list(model.parameters())
    w0 = [q.detach().clone() for q in params]
    nbeta = args.batch / math.log(args.batch)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(train))
    pos = [0]

    def step():
        if pos[0] + args.batch > len(train):
            order.copy_(torch.randperm(len(train)))
            pos[0] = 0
        idx = order[pos[0]: pos[0] + args.batch]
        pos[0] += args.batch
        for q in params:
            q.grad = None
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        with torch.no_grad():
            for q, q0 in zip(params, w0):
                drift = q.grad * nbeta + (q - q0) * args.gamma
                q.add_(drift, alpha=-0.5 * args.eps)
                q.add_(torch.randn_like(q), alpha=math.sqrt(args.eps))
        return loss.item()

    for _ in range(20):
        step()
    rates, cpu_rates = [], []
    block = max(1, args.steps // 5)
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(block):
            step()
        rates.append(block / (time.perf_counter() - t))
        cpu_rates.append(block / (time.process_time() - c))
    print("torch_sgld_steps_per_s\t%.1f" % statistics.median(rates))
    print("torch_sgld_steps_per_cpu_s\t%.1f" % statistics.median(cpu_rates))


if __name__ == "__main__":
    sys.exit(main())

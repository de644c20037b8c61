"""The PyTorch side of bench/masked_step.c: a training step (forward,
backward, AdamW) of a 784-300-300-10 ReLU MLP on batches of 128 random
inputs, dense and masked at a density of 0.2 in each weight matrix: the
gradient masked before the optimiser, the weights after it (what open_lth
does to keep pruned weights at zero). Prints "torch_dense_ms\t<median>"
and "torch_masked_ms\t<median>".

Like bench/torch_mlp.py: torch's intra-op threads (--threads, default 1)
on top of OpenBLAS's (--blas-threads, default 2, set before torch loads
OpenBLAS) would oversubscribe the cores.

    torch_masked.py [--steps N] [--width W] [--batch B] [--threads T]
                    [--blas-threads T]
"""
import argparse
import os
import time


def median_step(torch, model, masks, x, y, steps):
    torch.manual_seed(1)
    for p in model.parameters():
        if p.dim() > 1:
            torch.nn.init.kaiming_uniform_(p, a=5 ** 0.5)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    pairs = [(p, masks.get(n)) for n, p in model.named_parameters()]
    with torch.no_grad():
        for p, m in pairs:
            if m is not None:
                p.mul_(m)
    times = []
    for s in range(steps + 5):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p, m in pairs:
                if m is not None:
                    p.grad.mul_(m)
        opt.step()
        with torch.no_grad():
            for p, m in pairs:
                if m is not None:
                    p.mul_(m)
        if s >= 5:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--blas-threads", type=int, default=2)
    a = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(a.blas_threads))
    import torch
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(a.batch, 784, generator=g)
    y = torch.randint(0, 10, (a.batch,), generator=g)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, a.width), torch.nn.ReLU(),
        torch.nn.Linear(a.width, a.width), torch.nn.ReLU(),
        torch.nn.Linear(a.width, 10))
    masks = {n: (torch.rand(p.shape, generator=g) < 0.2).float()
             for n, p in model.named_parameters() if p.dim() > 1}
    dense = median_step(torch, model, {}, x, y, a.steps)
    masked = median_step(torch, model, masks, x, y, a.steps)
    print("torch_dense_ms\t%.3f" % dense)
    print("torch_masked_ms\t%.3f" % masked)


if __name__ == "__main__":
    main()

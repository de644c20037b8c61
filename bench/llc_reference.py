#!/usr/bin/python3
"""Independent NumPy reference for traj-llc (man/traj-llc.1) on a small
token-input MLP with one ReLU hidden layer.

Written from traj-llc(1) and formats/run-header.md, not from lib/: the
train split comes from bench/split_reference.py, the checkpoint from an
npz export (traj convert --export npz), and the chains repeat traj-llc's
documented recipe with the same generator (xoshiro256**, each chain
seeded with seed ^ (step * 0x9e3779b97f4a7c15) ^ ((c + 1) *
0xbf58476d1ce4e5b9)): per step, a minibatch from a permutation shuffled
(Fisher-Yates) whenever fewer than a batch remain, the loss and gradient
there, then w <- w - eps/2 (nbeta g + gamma (w - w*)) + sqrt(eps) xi,
xi from Box-Muller on each 64-bit draw (here in double; traj computes
it in float with polynomials for ln, cos and sin, within 3e-7 times the
radius of the value in double). The result agrees with traj-llc up to
float32 rounding (the products sum in another order).

Usage: bench/llc_reference.py STREAM NPZ STEP [--chains N] [--draws N]
       [--eps E] [--gamma G] [--nbeta B] [--batch N] [--seed N]
Prints metric lines RUN STEP llc/mean and llc/chain/C.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split_reference import Rng, read_header  # noqa: E402

M64 = (1 << 64) - 1


def normals(rng, n):
    out = np.empty(n, dtype=np.float64)
    for i in range(0, n, 2):
        x = rng.next()
        u1 = ((x >> 40) + 1) / 16777216.0
        u2 = ((x >> 16) & 0xFFFFFF) / 16777216.0
        r = math.sqrt(-2.0 * math.log(u1))
        out[i] = r * math.cos(2 * math.pi * u2)
        if i + 1 < n:
            out[i + 1] = r * math.sin(2 * math.pi * u2)
    return out.astype(np.float32)


class Mlp:
    """inputs one-hot blocks -> Linear -> ReLU -> Linear, mean CE."""

    def __init__(self, z, vocab):
        self.names = ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]
        self.shapes = [z[k].shape for k in self.names]
        self.w = np.concatenate([z[k].astype(np.float32).ravel() for k in self.names])
        self.vocab = vocab

    def views(self, w):
        out, o = [], 0
        for s in self.shapes:
            n = int(np.prod(s))
            out.append(w[o:o + n].reshape(s))
            o += n
        return out

    def loss_grad(self, w, tokens, labels):
        W0, b0, W1, b1 = self.views(w)
        B, T = tokens.shape
        rows = tokens + self.vocab * np.arange(T)[None, :]
        pre = W0[rows].sum(axis=1) + b0
        h = np.maximum(pre, 0)
        logits = h @ W1 + b1
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(B), labels].mean()
        d = np.exp(logp)
        d[np.arange(B), labels] -= 1
        d /= B
        gW1 = h.T @ d
        gb1 = d.sum(axis=0)
        dh = (d @ W1.T) * (pre > 0)
        gW0 = np.zeros_like(W0)
        for t in range(T):
            np.add.at(gW0, rows[:, t], dh)
        gb0 = dh.sum(axis=0)
        g = np.concatenate([gW0.ravel(), gb0, gW1.ravel(), gb1]).astype(np.float32)
        return float(loss), g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stream")
    ap.add_argument("npz")
    ap.add_argument("step", type=int)
    ap.add_argument("--chains", type=int, default=10)
    ap.add_argument("--draws", type=int, default=100)
    ap.add_argument("--eps", type=float, default=1e-3)
    ap.add_argument("--gamma", type=float, default=100.0)
    ap.add_argument("--nbeta", type=float, default=0.0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    run = read_header(a.stream)
    model = run["model"]
    if model.get("kind") != "mlp" or model.get("depth", 1) != 1 or \
            model.get("activation", "relu") != "relu" or not model.get("vocab"):
        sys.exit("llc_reference: only a one-layer ReLU MLP on tokens")
    here = os.path.dirname(os.path.abspath(__file__))
    text = subprocess.run([sys.executable, os.path.join(here, "split_reference.py"),
                           a.stream, "train"], check=True, capture_output=True,
                          text=True).stdout
    tok, lab = [], []
    for line in text.splitlines():
        t, l = line.split("\t")
        tok.append([int(v) for v in t.split()])
        lab.append(int(l.split()[0]))
    tokens, labels = np.array(tok, dtype=np.int64), np.array(lab, dtype=np.int64)
    n = len(labels)
    net = Mlp(np.load(a.npz), model["vocab"])
    batch = min(a.batch, n)
    nbeta = a.nbeta or (batch / math.log(batch) if batch > 1 else 1.0)
    w0 = net.w.copy()
    init_loss, _ = net.loss_grad(w0, tokens, labels)
    ca = np.float32(0.5 * a.eps * nbeta)
    cb = np.float32(0.5 * a.eps * a.gamma)
    cs = np.float32(math.sqrt(a.eps))
    llcs = []
    for c in range(a.chains):
        seed = (a.seed ^ ((a.step * 0x9E3779B97F4A7C15) & M64)
                ^ (((c + 1) * 0xBF58476D1CE4E5B9) & M64))
        rng = Rng(seed)
        w = w0.copy()
        perm = list(range(n))
        pos = n
        draws = []
        while len(draws) < a.draws:
            if pos + batch > n:
                rng.shuffle(perm)
                pos = 0
            idx = np.array(perm[pos:pos + batch])
            pos += batch
            loss, g = net.loss_grad(w, tokens[idx], labels[idx])
            draws.append(loss)
            if len(draws) == a.draws:
                break
            xi = normals(rng, len(w))
            w = w + (-(ca * g + cb * (w - w0)) + cs * xi)
        llcs.append(nbeta * (np.mean(draws) - init_loss))
    rid = run.get("run", "?")
    print("%s\t%d\tllc/mean\t%.9g" % (rid, a.step, np.mean(llcs)))
    for c, v in enumerate(llcs):
        print("%s\t%d\tllc/chain/%d\t%.9g" % (rid, a.step, c, v))


if __name__ == "__main__":
    main()

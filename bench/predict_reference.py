#!/usr/bin/python3
"""An independent NumPy reference for traj predict's numbers
(tests/unit/test_predict.c holds the values it prints):

- L2-penalised logistic regression, the intercept not penalised, fitted
  by plain gradient descent (traj uses Newton's method);
- ridge regression by np.linalg.lstsq on the augmented system;
- the AUROC by counting every (positive, negative) pair (traj ranks).

Usage: bench/predict_reference.py [--check FILE]: prints the values; with
--check, compares them with the "ref:" lines of FILE (test_predict's
output) to 1e-6 and exits 1 on a difference."""
import sys

import numpy as np

# the data of tests/unit/test_predict.c
X = np.array([[0.5, 1.0], [1.5, -0.5], [-1.0, 0.3], [2.0, 2.0], [-0.7, -1.2],
              [0.1, 0.4], [1.1, 0.9], [-1.5, 0.8], [0.9, -1.1], [-0.2, -0.3],
              [1.8, 0.1], [-1.1, -0.6]])
Y = np.array([1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1], dtype=float)
T = np.array([0.3, 1.2, -0.8, 2.9, -1.4, 0.2, 1.5, -0.9, 0.1, -0.4, 1.3, -1.0])
LAMBDA = 0.7
S = np.array([0.9, 0.8, 0.8, 0.3, 0.55, 0.8, 0.1, 0.4, 0.35, 0.9])
L = np.array([1, 1, 0, 0, 1, 1, 0, 1, 0, 0], dtype=float)


def logistic(x, y, lam, iters=200000, lr=0.05):
    n, d = x.shape
    w = np.zeros(d)
    b = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        gw = x.T @ (p - y) + lam * w
        gb = np.sum(p - y)
        w -= lr * gw
        b -= lr * gb
        if max(np.abs(gw).max(), abs(gb)) < 1e-13:
            break
    return w, b


def ridge(x, t, lam):
    n, d = x.shape
    a = np.vstack([np.hstack([x, np.ones((n, 1))]),
                   np.hstack([np.sqrt(lam) * np.eye(d), np.zeros((d, 1))])])
    rhs = np.concatenate([t, np.zeros(d)])
    sol = np.linalg.lstsq(a, rhs, rcond=None)[0]
    return sol[:d], sol[d]


def auroc(s, l):
    pos, neg = s[l > 0.5], s[l < 0.5]
    return sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))


def values():
    w, b = logistic(X, Y, LAMBDA)
    rw, rb = ridge(X, T, LAMBDA)
    return {"logistic_w0": w[0], "logistic_w1": w[1], "logistic_b": b,
            "ridge_w0": rw[0], "ridge_w1": rw[1], "ridge_b": rb,
            "auroc": auroc(S, L)}


def main():
    v = values()
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        got = {}
        for line in open(sys.argv[2]):
            if line.startswith("# ref: "):
                k, x = line[7:].split()
                got[k] = float(x)
        bad = [k for k in v if k not in got or abs(got[k] - v[k]) > 1e-6]
        for k in v:
            print(f"{k}\tnumpy {v[k]:.10g}\ttraj {got.get(k, float('nan')):.10g}")
        sys.exit(1 if bad else 0)
    for k, x in v.items():
        print(f"{k} {x:.12g}")


if __name__ == "__main__":
    main()

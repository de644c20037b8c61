#!/usr/bin/python3
"""How well can any least-squares ramp fit place a slow change? An
independent NumPy reference for the two localisation cells of
docs/emergence.md that miss the goal of 1 checkpoint: a slow rise (10% to
90% over 30 checkpoints) in AR(1) noise of correlation 0.5, and a ramp of
50 checkpoints in white noise, both of 0.15 at s.d. 0.03 (5 noise s.d.),
their middle at checkpoint 150. Each series' points 105-214 (about what
the detector keeps of such a change) are fitted with a ramp (a level, a
straight line, a level) by ordinary least squares, as traj does, and by
generalised least squares with the noise's true correlation (whitened:
x[t] - rho x[t-1]), the best a fit can do for AR(1) noise; the middle of
the fitted ramp is compared with the true middle. The slow rise is also
fitted with its true shape, a logistic (midpoint on a grid of a quarter
checkpoint, width from 10 to 60 checkpoints), by both: no ramp can do
better than the curve itself.

Usage: bench/ramp_placement.py [SEEDS]   (default 200; prints a table)
"""
import sys

import numpy as np


def ramp_fit(x, rho):
    """(i1, i2) of the ramp that explains most of x's variance, after
    whitening x and the ramp with x[t] - rho x[t-1]."""
    n = len(x)
    k = np.arange(n)
    xp = x[1:] - rho * x[:-1]
    xc = xp - xp.mean()
    best, where = -1.0, (0, 1)
    for i1 in range(n - 1):
        i2 = np.arange(i1 + 1, n)[:, None]
        g = np.clip((k[None, :] - i1) / (i2 - i1), 0, 1)
        gp = g[:, 1:] - rho * g[:, :-1]
        gc = gp - gp.mean(axis=1, keepdims=True)
        var = (gc * gc).sum(axis=1)
        gain = np.where(var > 0, (gc @ xc) ** 2 / np.where(var > 0, var, 1), 0)
        j = int(np.argmax(gain))
        if gain[j] > best:
            best, where = gain[j], (i1, i1 + 1 + j)
    return where


def logistic_fit(x, rho, lo):
    """The midpoint (checkpoint index) of the logistic that explains most
    of x's variance, whitened as in ramp_fit."""
    i = np.arange(lo, lo + len(x))
    mids = np.arange(lo + 5, lo + len(x) - 5, 0.25)
    xp = x[1:] - rho * x[:-1]
    xc = xp - xp.mean()
    best, where = -1.0, mids[0]
    for width in (10, 15, 20, 25, 30, 35, 40, 50, 60):
        g = 1 / (1 + np.exp(-(i[None, :] - mids[:, None]) * 4.39 / width))
        gp = g[:, 1:] - rho * g[:, :-1]
        gc = gp - gp.mean(axis=1, keepdims=True)
        gain = (gc @ xc) ** 2 / (gc * gc).sum(axis=1)
        j = int(np.argmax(gain))
        if gain[j] > best:
            best, where = gain[j], mids[j]
    return where


def curve(shape, i):
    if shape == "slow":
        return 1 / (1 + np.exp(-(i - 150) * 4.39 / 30))
    return np.clip((i - 125) / 50, 0, 1)


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = np.random.default_rng(12)
    lo, hi, n = 105, 215, 300
    print(f"# middle of the fitted ramp, |error| in checkpoints, {seeds} series per case")
    print("case                          fit          median  mean   q75")
    for name, shape, rho in (("slow rise (30), AR(1) 0.5", "slow", 0.5),
                             ("ramp (50), white", "ramp", 0.0)):
        errs = {"OLS": [], "GLS": [], "logistic OLS": [], "logistic GLS": []}
        for _ in range(seeds):
            e = np.empty(n)
            e[0] = rng.normal()
            for t in range(1, n):
                e[t] = rho * e[t - 1] + np.sqrt(1 - rho * rho) * rng.normal()
            i = np.arange(n)
            x = (0.1 + 0.15 * curve(shape, i) + 0.03 * e)[lo:hi]
            for fit, r in (("OLS", 0.0), ("GLS", rho)):
                i1, i2 = ramp_fit(x, r)
                errs[fit].append(abs(lo + (i1 + i2 + 1) // 2 - 150))
                if shape == "slow":
                    mid = logistic_fit(x, r, lo)
                    errs["logistic " + fit].append(abs(round(mid) - 150))
        for fit, a in errs.items():
            if not a or (fit.endswith("GLS") and rho == 0):
                continue
            a = np.array(a)
            print(f"{name:29s} {fit:12s} {np.median(a):6.1f} {a.mean():5.2f} {np.percentile(a, 75):5.1f}")


if __name__ == "__main__":
    main()

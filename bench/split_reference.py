#!/usr/bin/python3
"""Independent reference for the train/test splits of formats/run-header.md.

Written from that document alone (not from lib/task): reads the run header
of a traj stream (the first record frame, formats/traj-stream.md) and
prints the examples of a split in the format of `traj probe --inputs`:
tokens, a tab, labels, one example a line.

Usage: bench/split_reference.py STREAM train|test|all
Exit status: 0, 2 usage, 65 a header this reference does not cover
(fashion, or not a traj stream).
"""
import json
import struct
import sys
import zlib

import numpy as np

M64 = (1 << 64) - 1
ENUM_MAX = 1 << 22


class Rng:
    """xoshiro256** seeded by splitmix64 (run-header.md, "The generator")."""

    def __init__(self, seed):
        x = seed & M64
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (self.rotl((s1 * 5) & M64, 7) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self.rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def below(self, n):
        limit = M64 - (M64 % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]


def read_header(path):
    with open(path, "rb") as f:
        head = f.read(8)
        magic, length = struct.unpack("<II", head)
        payload = f.read(length)
    if magic != 0x184D2A5A or payload[:4] != b"TRJ1":
        sys.exit("split_reference: %s: not a traj stream" % path)
    body, crc = payload[:-4], struct.unpack("<I", payload[-4:])[0]
    if zlib.crc32(body) != crc:
        sys.exit("split_reference: %s: header CRC mismatch" % path)
    return json.loads(body[4:].decode("utf-8"))


def modular(task):
    p, frac, name = task["p"], task["frac"], task["name"]
    b0 = 1 if name == "moddiv" else 0
    span = p - b0
    n = p * span
    order = list(range(n))
    Rng(task["seed"]).shuffle(order)
    ntrain = int(np.floor(frac * n + 0.5))
    eq = task.get("eq_token", False)

    def example(k):
        a, b = k // span, k % span + b0
        ops = {
            "modadd": lambda: (a + b) % p,
            "modsub": lambda: (a - b) % p,
            "modmul": lambda: (a * b) % p,
            "moddiv": lambda: (a * pow(b, p - 2, p)) % p,
            "modquad": lambda: (a * a + a * b + b * b) % p,
        }
        tokens = [a, b] + ([p] if eq else [])
        return tokens, [ops[name]()]

    ex = [example(k) for k in order]
    return ex[:ntrain], ex[ntrain:]


def draw_numbers(rng, space, count):
    if space > ENUM_MAX:
        return [rng.below(space) for _ in range(count)]
    a = list(range(space))
    out = []
    for i in range(count):
        j = i + rng.below(space - i)
        a[i], a[j] = a[j], a[i]
        out.append(a[i])
    return out


def digits_of(x, n):
    return [int(c) for c in str(x).zfill(n)]


def add_task(task):
    n, ntr, nte = task["digits"], task["n_train"], task["n_test"]
    nums = draw_numbers(Rng(task["seed"]), 10 ** (2 * n), ntr + nte)
    ex = []
    for x in nums:
        a, b = divmod(x, 10 ** n)
        c = digits_of(a + b, n + 1)
        ex.append((digits_of(a, n) + [10] + digits_of(b, n) + [11] + c[:n], c))
    return ex[:ntr], ex[ntr:]


def parity_task(task):
    bits, k, ntr, nte = task["bits"], task["k"], task["n_train"], task["n_test"]
    order = list(range(bits))
    Rng(task["seed"] ^ 0x73756273).shuffle(order)
    mask = sum(1 << i for i in order[:k])
    nums = draw_numbers(Rng(task["seed"]), 1 << bits, ntr + nte)
    eq = task.get("eq_token", False)
    ex = []
    for x in nums:
        tokens = [(x >> i) & 1 for i in range(bits)] + ([2] if eq else [])
        ex.append((tokens, [bin(x & mask).count("1") & 1]))
    return ex[:ntr], ex[ntr:]


def repeat_task(task):
    L, V = task["seq_len"], task["vocab"]
    M = task.get("filler", 0)
    ntr, nte = task["n_train"], task["n_test"]
    space = 1
    for _ in range(L):
        if space > ENUM_MAX:
            break
        space *= V
    rng = Rng(task["seed"])
    enumerated = space <= ENUM_MAX
    nums = draw_numbers(rng, space, ntr + nte) if enumerated else [None] * (ntr + nte)
    ex = []
    for x in nums:
        if enumerated:
            seg = []
            for _ in range(L):
                seg.append(x % V)
                x //= V
        else:
            seg = [rng.below(V) for _ in range(L)]
        o = rng.below(M + 1) if M else 0
        g = rng.below(M - o + 1) if M else 0
        c = o + L + g
        seq = [None] * (2 * L + M)
        for i in range(L):
            seq[o + i] = seg[i]
            seq[c + i] = seg[i]
        for i in range(len(seq)):
            if seq[i] is None:
                seq[i] = rng.below(V)
        ex.append((seq[:-1], seq[1:]))
    return ex[:ntr], ex[ntr:]


def main(argv):
    if len(argv) != 3 or argv[2] not in ("train", "test", "all"):
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    task = read_header(argv[1])["task"]
    name = task["name"]
    if name.startswith("mod"):
        train, test = modular(task)
    elif name == "add":
        train, test = add_task(task)
    elif name == "parity":
        train, test = parity_task(task)
    elif name == "repeat":
        train, test = repeat_task(task)
    else:
        print("split_reference: task '%s' is not covered" % name, file=sys.stderr)
        return 65
    rows = {"train": train, "test": test, "all": train + test}[argv[2]]
    out = sys.stdout
    for tokens, labels in rows:
        out.write(" ".join(map(str, tokens)) + "\t" + " ".join(map(str, labels)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

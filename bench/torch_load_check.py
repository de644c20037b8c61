#!/usr/bin/python3
"""Loads a checkpoint that `traj convert --export` wrote into the PyTorch
references of bench/ and prints its loss over every example of its
modular-arithmetic task.

  torch_load_check.py [--run RUN.json] FILE

FILE is a safetensors file, an npz file or an npy directory. The run
header (model and task) comes from --run, else from the safetensors
metadata "traj_run" or the directory's run.json (an npz carries none).

A transformer's state dict, keyed by TransformerLens's names (embed.W_E,
blocks.0.attn.W_Q [H, D, E], ..., unembed.W_U, b_U), is loaded with
load_state_dict(strict=True) into a module built from the header, so a
missing, extra or misshapen tensor is refused; its forward pass is
torch_transformer.forward. An MLP (layers.i.W [d_in, d_out], layers.i.b)
is loaded into torch_mlp.OneHotMLP.

The examples are all pairs (a, b) of the task, train and test split
together, so the split need not be rebuilt here: traj score's losses give
the same mean as (n_train * train/loss + n_test * test/loss) / (n_train +
n_test), n_train = round(frac * pairs) (lib/task/task_modular.c). Prints
`torch_loss<TAB>VALUE` (float32 arithmetic, %.9g) and
`examples<TAB>N`; status 1 and one line on stderr when FILE cannot be
loaded. tests/cli/torch-export.bats runs it.

Debian's torch imports only under /usr/bin/python3.
"""
import argparse
import json
import os
import struct
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after OPENBLAS_NUM_THREADS is set)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import torch_mlp  # noqa: E402
import torch_transformer  # noqa: E402

ST_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "BF16": "<u2"}

LABEL = {
    "modadd": lambda a, b, p: (a + b) % p,
    "modsub": lambda a, b, p: (a - b) % p,
    "modmul": lambda a, b, p: a * b % p,
    "moddiv": lambda a, b, p: a * pow(b, p - 2, p) % p,
    "modquad": lambda a, b, p: (a * a + a * b + b * b) % p,
}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = memoryview(raw)[8 + n:]
    tensors = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        a = np.frombuffer(data[start:end], dtype=ST_DTYPES[t["dtype"]])
        if t["dtype"] == "BF16":  # the high half of a float32
            a = (a.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = a.reshape(t["shape"])
    run = meta.get("traj_run")
    return tensors, json.loads(run) if run else None


def read_export(path):
    """(name -> array, run header or None) of an exported checkpoint."""
    if os.path.isdir(path):
        tensors = {f[:-4]: np.load(os.path.join(path, f))
                   for f in os.listdir(path) if f.endswith(".npy")}
        with open(os.path.join(path, "run.json")) as f:
            return tensors, json.load(f)
    with open(path, "rb") as f:
        is_zip = f.read(2) == b"PK"
    if is_zip:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}, None
    return read_safetensors(path)


def as_torch(a):
    return torch.from_numpy(np.array(a, dtype=np.float32))


class Transformer(nn.Module):
    """torch_transformer.forward as a module whose state dict has
    TransformerLens's names, as a HookedTransformer's has."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        for name, shape in torch_transformer.param_shapes(cfg).items():
            *path, leaf = name.split(".")
            owner = self
            for part in path:
                if part not in dict(owner.named_children()):
                    owner.add_module(part, nn.Module())
                owner = getattr(owner, part)
            owner.register_parameter(leaf, nn.Parameter(torch.empty(shape)))

    def forward(self, tokens):
        """Logits (B, K, U) of the last K positions."""
        return torch_transformer.forward(dict(self.named_parameters()),
                                         self.cfg, tokens, False)


def transformer(cfg, state):
    model = Transformer(cfg)
    model.load_state_dict(state, strict=True)
    return model, lambda tokens: model(tokens)


def mlp(cfg, state):
    """OneHotMLP holds nn.Linear weights as [d_out, d_in], traj and
    TransformerLens as [d_in, d_out]: layers.i.W is loaded transposed."""
    C, V = cfg["classes"], cfg["vocab"]
    if cfg["inputs"] * V != 2 * C:
        raise ValueError("model: only the one-hot MLP of a modular task")
    model = torch_mlp.OneHotMLP(C, cfg["width"], cfg["depth"],
                                cfg.get("activation", "relu"))
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    ours = {}
    for i, name in enumerate(linears):
        W = state.pop(f"layers.{i}.W")
        ours[name + ".weight"] = W.T
        b = state.pop(f"layers.{i}.b") if cfg.get("bias", True) else None
        ours[name + ".bias"] = torch.zeros(W.shape[1]) if b is None else b
    if state:
        raise ValueError(f"unexpected tensors: {', '.join(sorted(state))}")
    model.load_state_dict(ours, strict=True)
    return model, lambda tokens: model(
        F.one_hot(tokens, V).reshape(len(tokens), -1).float())


def all_pairs(task):
    """Tokens (N, T) and labels (N,) of every example of a modular task."""
    name, p = task["name"], task["p"]
    if name not in LABEL:
        raise ValueError(f"task: {name} is not a modular task")
    b_first = 1 if name == "moddiv" else 0
    pairs = [(a, b) for a in range(p) for b in range(b_first, p)]
    eq = [p] if task.get("eq_token") else []
    tokens = torch.tensor([[a, b] + eq for a, b in pairs])
    labels = torch.tensor([LABEL[name](a, b, p) for a, b in pairs])
    return tokens, labels


def loss(path, run_path):
    tensors, run = read_export(path)
    if run_path:
        with open(run_path) as f:
            run = json.load(f)
    if run is None:
        raise ValueError("no run header: give --run RUN.json")
    cfg = run["model"]
    build = {"transformer": transformer, "mlp": mlp}.get(cfg["kind"])
    if build is None:
        raise ValueError(f"model: unknown kind {cfg['kind']}")
    model, logits_of = build(cfg, {k: as_torch(v) for k, v in tensors.items()})
    tokens, labels = all_pairs(run["task"])
    with torch.no_grad():
        logits = logits_of(tokens)
        value = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels)
    return value.item(), len(labels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--run", metavar="RUN.json",
                    help="the run header (traj convert --export npy's run.json)")
    args = ap.parse_args()
    try:
        value, n = loss(args.file, args.run)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        reason = " ".join(str(e).split())
        if isinstance(e, KeyError):
            reason = f"missing {reason}"
        sys.exit(f"torch_load_check.py: {args.file}: {reason}")
    print(f"torch_loss\t{value:.9g}")
    print(f"examples\t{n}")


if __name__ == "__main__":
    main()

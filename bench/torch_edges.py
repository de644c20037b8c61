#!/usr/bin/python3
"""PyTorch reference for `traj ablate --by edge`: one-by-one edge ablation.

  torch_edges.py [-m mean|zero] [--split test|train] [--limit N]
                 [--modes full,last-only] [--double] FILE.safetensors

Loads a transformer checkpoint exported by `traj convert --export
safetensors` (torch_load_check.py's reader; the run header and the step
come from the file's metadata) and ablates every edge S->R of its
computational graph one at a time, each as one forward pass over the
examples, written here from the definition (lib/interp/edges.h, traj-ablate(1)
"Components") rather than from traj's code:

  The residual stream is a sum of sender outputs: embed (W_E[token] +
  W_pos[position]), per block l each head h (z_h @ W_O[h]) and the MLP
  (post @ W_out); b_O and b_out are constants, never ablated. Each
  receiver (a head's q, k or v input, an MLP's input, the logits) reads
  the sum of the senders before it; with LayerNorm it normalises its own
  input. Ablating S->R replaces S's output in R's input only: by its mean
  over the evaluated examples at each position (mean) or by zero (zero).
  Every other receiver still reads S's own output.

The examples are traj's own split, rebuilt here: the pairs (a, b) of the
modular task in the order lib/task/task_modular.c shuffles them (Fisher-Yates
with xoshiro256** seeded through splitmix64 from the header's task.seed,
lib/common/rng.c), the first round(frac * pairs) the train split, the rest the
test split; --limit N keeps the first N, as traj ablate --limit does. The
clean loss printed (ablate/clean/loss) must equal traj ablate's, which
checks the split.

Prints metric lines as traj ablate does (RUN, STEP, METRIC, VALUE):
ablate/clean/loss, ablate/clean/acc, then per edge in traj's order
ablate/S->R/loss_delta and acc_delta (ablated minus clean), computed in
the first mode. Modes (--modes, comma-separated; each pass recomputes
the whole model):

  full       every position of every block (HookedTransformer-style);
  last-only  the last block's queries, MLP and the logits at the
             labelled positions only, as traj's forward pass does.

With --time, first `edge_ablate_passes_per_s<TAB>MODE<TAB>RATE` per mode
(passes over the examples per second, the clean pass included, loading
and the split not). The largest difference between the modes' loss
deltas goes to standard error; exit 1 if it exceeds 1e-4. Arithmetic is float32
(float64 with --double). Debian's torch imports only under
/usr/bin/python3; OPENBLAS_NUM_THREADS must be set before it loads
(--blas-threads). tests/cli/torch-edges.bats and bench/run.sh run it.
"""
import argparse
import json
import os
import struct
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("-m", "--method", choices=("mean", "zero"),
                    default="mean")
    ap.add_argument("--split", choices=("test", "train"), default="test")
    ap.add_argument("--limit", type=int, default=0,
                    help="only the first N examples of the split")
    ap.add_argument("--modes", default="full",
                    help="comma-separated: full, last-only")
    ap.add_argument("--double", action="store_true",
                    help="float64 arithmetic")
    ap.add_argument("--time", action="store_true",
                    help="print passes per second per mode")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads")
    ap.add_argument("--blas-threads", type=int, default=2,
                    help="OPENBLAS_NUM_THREADS unless already set")
    return ap.parse_args()


args = parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.blas_threads))

import torch  # noqa: E402  (after OPENBLAS_NUM_THREADS is set)
import torch.nn.functional as F  # noqa: E402

import torch_load_check  # noqa: E402
import torch_transformer  # noqa: E402

M64 = (1 << 64) - 1


class Xoshiro:
    """lib/common/rng.c: xoshiro256** seeded by splitmix64."""

    def __init__(self, seed):
        self.s, x = [], seed & M64
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def below(self, n):
        limit = M64 - M64 % n
        x = self.next()
        while x >= limit:
            x = self.next()
        return x % n


def modular_split(task, which):
    """Tokens (N, T) and labels (N,) of traj's train or test split."""
    if task["name"] not in torch_load_check.LABEL:
        raise ValueError(f"task: {task['name']} is not a modular task")
    tokens, labels = torch_load_check.all_pairs(task)  # pair k = a*span+b'
    order = list(range(len(labels)))
    rng = Xoshiro(task["seed"])
    for i in range(len(order) - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    ntrain = int(task["frac"] * len(order) + 0.5)
    idx = torch.tensor(order[:ntrain] if which == "train" else order[ntrain:])
    return tokens[idx], labels[idx]


def graph(cfg):
    """Sender names, receivers (name, block, head, input, nsend) in
    forward order, and edges (sender, receiver index, name) receiver by
    receiver."""
    L, H = cfg["n_layers"], cfg["n_heads"]
    senders, receivers = ["embed"], []
    for l in range(L):
        for h in range(H):
            for c in "qkv":
                receivers.append((f"blocks.{l}.attn.head{h}.{c}", l, h, c,
                                  len(senders)))
        senders += [f"blocks.{l}.attn.head{h}" for h in range(H)]
        if not cfg.get("attn_only"):
            receivers.append((f"blocks.{l}.mlp", l, -1, "mlp", len(senders)))
            senders.append(f"blocks.{l}.mlp")
    receivers.append(("logits", L, -1, "logits", len(senders)))
    edges = [(s, r, f"{senders[s]}->{rec[0]}")
             for r, rec in enumerate(receivers) for s in range(rec[4])]
    return senders, receivers, edges


class EdgeModel:
    def __init__(self, P, cfg, last_only):
        self.P, self.cfg, self.last_only = P, cfg, last_only
        self.ln = cfg.get("normalization_type") == "LN"
        self.act = F.relu if cfg.get("act_fn", "relu") == "relu" else F.gelu
        self.senders, self.receivers, self.edges = graph(cfg)
        self.rindex = {(rec[1], rec[2], rec[3]): r
                       for r, rec in enumerate(self.receivers)}

    def norm(self, x, name):
        if not self.ln:
            return x
        return torch_transformer.layernorm(x, self.P[name + ".w"],
                                           self.P[name + ".b"])

    def read(self, r, resid, outs, cut, repl, rows):
        """Receiver r's input at the last `rows` positions: the residual
        sum, with the cut edge's sender output swapped for its
        replacement when the cut edge enters r."""
        x = resid[:, -rows:]
        if cut is not None and cut[1] == r:
            s = cut[0]
            x = x + (repl[s][:, -rows:] - outs[s][:, -rows:])
        return x

    def attention(self, l, resid, outs, cut, repl, rows):
        """Every head's output (H, B, rows, D) of block l. Projections as
        one product for all heads, scores and mixing as broadcast
        products (torch_transformer.attention: faster than batched
        products of 3 x 32 matrices), the heads' outputs as one batched
        product over the heads."""
        P, pre, T = self.P, f"blocks.{l}.attn.", resid.shape[1]
        W = {c: P[pre + "W_" + c.upper()] for c in "qkv"}
        b = {c: P[pre + "b_" + c.upper()] for c in "qkv"}
        x = {"q": self.norm(resid[:, -rows:], f"blocks.{l}.ln1"),
             "k": self.norm(resid, f"blocks.{l}.ln1")}
        x["v"] = x["k"]
        qkv = {c: torch_transformer.project(x[c], W[c], b[c]) for c in "qkv"}
        if cut is not None and self.receivers[cut[1]][1] == l \
                and self.receivers[cut[1]][3] in "qkv":
            _, _, h, c, _ = self.receivers[cut[1]]
            n = rows if c == "q" else T
            xr = self.norm(self.read(cut[1], resid, outs, cut, repl, n),
                           f"blocks.{l}.ln1")
            qkv[c] = qkv[c].clone()
            qkv[c][:, :, h] = xr @ W[c][h] + b[c][h]
        q, k, v = qkv["q"], qkv["k"], qkv["v"]  # (B, rows or T, H, E)
        scores = (q.unsqueeze(2) * k.unsqueeze(1)).sum(-1) / q.shape[-1] ** 0.5
        qpos = torch.arange(T - rows, T).unsqueeze(1)
        mask = (torch.arange(T).unsqueeze(0) > qpos).unsqueeze(-1)
        pattern = scores.masked_fill(mask, float("-inf")).softmax(2)
        z = (pattern.unsqueeze(-1) * v.unsqueeze(1)).sum(2)  # (B, rows, H, E)
        B, H, E = z.shape[0], z.shape[2], z.shape[3]
        zh = z.permute(2, 0, 1, 3).reshape(H, B * rows, E)
        return (zh @ P[pre + "W_O"]).view(H, B, rows, -1)

    def forward(self, tokens, labels, cut=None, repl=None):
        """Loss, accuracy and every sender's output (rows aligned to the
        last positions) with the edge cut = (sender, receiver) ablated."""
        P, cfg = self.P, self.cfg
        L, K, T = cfg["n_layers"], cfg["n_outputs"], tokens.shape[1]
        outs = [P["embed.W_E"][tokens] + P["pos_embed.W_pos"][:T]]
        resid = outs[0]
        for l in range(L):
            rows = K if self.last_only and l == L - 1 else T
            heads = self.attention(l, resid, outs, cut, repl, rows)
            outs += list(heads)
            resid = resid[:, -rows:] + heads.sum(0) \
                + P[f"blocks.{l}.attn.b_O"]
            if cfg.get("attn_only"):
                continue
            pre = f"blocks.{l}.mlp."
            x = self.norm(self.read(self.rindex[(l, -1, "mlp")], resid, outs,
                                    cut, repl, rows), f"blocks.{l}.ln2")
            out = self.act(x @ P[pre + "W_in"] + P[pre + "b_in"]) \
                @ P[pre + "W_out"]
            outs.append(out)
            resid = resid + out + P[pre + "b_out"]
        x = self.norm(self.read(len(self.receivers) - 1, resid, outs, cut,
                                repl, K), "ln_final")
        logits = x @ P["unembed.W_U"] + P["unembed.b_U"]
        logits = logits.reshape(-1, logits.shape[-1])
        y = labels.reshape(-1)
        loss = F.cross_entropy(logits, y).item()
        acc = (logits.argmax(-1) == y).double().mean().item()
        return loss, acc, outs


def ablate_all(model, tokens, labels, method):
    """Clean (loss, acc) and per edge (loss_delta, acc_delta)."""
    loss0, acc0, outs = model.forward(tokens, labels)
    if method == "mean":
        repl = [o.mean(0, keepdim=True) for o in outs]
    else:
        repl = [torch.zeros_like(o[:1]) for o in outs]
    deltas = []
    for s, r, _ in model.edges:
        loss, acc, _ = model.forward(tokens, labels, (s, r), repl)
        deltas.append((loss - loss0, acc - acc0))
    return (loss0, acc0), deltas


def safetensors_step(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        meta = json.loads(f.read(n)).get("__metadata__", {})
    return meta.get("step", "0")


def load(path, dtype):
    """Parameters, run header and the split's tokens and labels."""
    tensors, run = torch_load_check.read_export(path)
    if run is None or run["model"]["kind"] != "transformer":
        raise ValueError("not a transformer with its run header")
    P = {k: torch_load_check.as_torch(v).to(dtype)
         for k, v in tensors.items()}
    tokens, labels = modular_split(run["task"], args.split)
    return P, run, tokens, labels


def main():
    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.double else torch.float32
    try:
        P, run, tokens, labels = load(args.file, dtype)
    except (OSError, ValueError, KeyError) as e:
        reason = " ".join(str(e).split())
        if isinstance(e, KeyError):
            reason = f"missing {reason}"
        sys.exit(f"torch_edges.py: {args.file}: {reason}")
    cfg = run["model"]
    if args.limit > 0:
        tokens, labels = tokens[:args.limit], labels[:args.limit]
    K = cfg["n_outputs"]
    labels = labels.reshape(-1, K)
    results = {}
    with torch.no_grad():
        for mode in args.modes.split(","):
            if mode not in ("full", "last-only"):
                sys.exit(f"torch_edges.py: --modes: unknown mode {mode}")
            model = EdgeModel(P, cfg, mode == "last-only")
            t0 = time.perf_counter()
            results[mode] = ablate_all(model, tokens, labels, args.method)
            s = time.perf_counter() - t0
            if args.time:
                print(f"edge_ablate_passes_per_s\t{mode}\t"
                      f"{(len(model.edges) + 1) / s:.2f}")
    name, step = run["run"], safetensors_step(args.file)
    (loss0, acc0), deltas = next(iter(results.values()))
    edges = graph(cfg)[2]
    print(f"{name}\t{step}\tablate/clean/loss\t{loss0:.9g}")
    print(f"{name}\t{step}\tablate/clean/acc\t{acc0:.9g}")
    for (_, _, e), (dl, da) in zip(edges, deltas):
        print(f"{name}\t{step}\tablate/{e}/loss_delta\t{dl:.9g}")
        print(f"{name}\t{step}\tablate/{e}/acc_delta\t{da:.9g}")
    worst = max((abs(a[0] - b[0]) for out in results.values()
                 for a, b in zip(deltas, out[1])), default=0.0)
    print(f"torch_edges: torch {torch.__version__}, {len(labels)} examples, "
          f"{len(edges)} edges, {args.method}, modes {args.modes}: "
          f"largest loss-delta difference between modes {worst:.3g}",
          file=sys.stderr)
    if worst > 1e-4:
        sys.exit(f"torch_edges.py: modes disagree by {worst:g}")


if __name__ == "__main__":
    main()

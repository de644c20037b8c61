#!/usr/bin/python3
"""PyTorch reference for traj's transformer (lib/model/transformer.c).

The same model, written from TransformerLens's definitions with plain
tensor operations: embed.W_E [V, D], pos_embed.W_pos [T, D], per block
attn.W_Q/W_K/W_V [H, D, E], W_O [H, E, D], b_Q/b_K/b_V [H, E], b_O [D],
optional pre-LayerNorm (ln1, ln2, ln_final; eps 1e-5), mlp.W_in [D, M],
b_in, W_out [M, D], b_out, unembed.W_U [D, U], b_U; causal attention
scaled by 1/sqrt(E); the loss is the mean cross-entropy of the last K
positions.

Two modes:

  --check DIR   reads weights, tokens and labels that traj wrote
                (tests/unit/test_torch_check.c: DIR/model.json,
                params.f32, tokens.i32, labels.i32) and prints
                `torch_loss<TAB><value>` computed in float32.

  (default)     times full-batch AdamW steps (lr 1e-3, weight decay 1,
                betas 0.9/0.98) of Nanda et al.'s grokking model on
                (a + b) mod p as "a b =", and prints
                `torch_ms_per_step<TAB><median>`. --last-only computes the
                last block's queries, MLP and unembedding at the last
                position only (the fastest formulation; traj does the
                same); otherwise every position is computed, as
                HookedTransformer does.

Debian's torch imports only under /usr/bin/python3. OPENBLAS_NUM_THREADS
must be set before torch loads, hence --blas-threads.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", metavar="DIR")
    ap.add_argument("--p", type=int, default=113)
    ap.add_argument("--frac", type=float, default=0.3)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-head", type=int, default=32)
    ap.add_argument("--d-mlp", type=int, default=512)
    ap.add_argument("--last-only", action="store_true")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (torch.set_num_threads)")
    ap.add_argument("--blas-threads", type=int, default=2,
                    help="OPENBLAS_NUM_THREADS unless already set")
    return ap.parse_args()


if __name__ == "__main__":  # importers (torch_load_check.py) set their own
    args = parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.blas_threads))

import torch  # noqa: E402  (after OPENBLAS_NUM_THREADS is set)
import torch.nn.functional as F  # noqa: E402


def layernorm(x, w, b):
    x = x - x.mean(-1, keepdim=True)
    return x / (x.pow(2).mean(-1, keepdim=True) + 1e-5).sqrt() * w + b


def project(x, w, b):
    """x (B, T, D) @ w [H, D, E] + b [H, E] -> (B, T, H, E), as one
    product for all heads."""
    H, D, E = w.shape
    y = x @ w.permute(1, 0, 2).reshape(D, H * E) + b.reshape(H * E)
    return y.view(x.shape[0], x.shape[1], H, E)


def attention(P, pre, x, q_from):
    """x (B, T, D) normalised input; queries at positions q_from..T-1.
    Scores and mixing as broadcast products: with T this small they are
    faster than batched matrix products of 3 x 32 matrices."""
    T = x.shape[1]
    q = project(x[:, q_from:], P[pre + "attn.W_Q"], P[pre + "attn.b_Q"])
    k = project(x, P[pre + "attn.W_K"], P[pre + "attn.b_K"])
    v = project(x, P[pre + "attn.W_V"], P[pre + "attn.b_V"])
    scores = (q.unsqueeze(2) * k.unsqueeze(1)).sum(-1) / math.sqrt(q.shape[-1])
    qpos = torch.arange(q_from, T).unsqueeze(1)
    mask = (torch.arange(T).unsqueeze(0) > qpos).unsqueeze(-1)  # (Q, K, 1)
    pattern = scores.masked_fill(mask, float("-inf")).softmax(2)  # (B, Q, K, H)
    z = (pattern.unsqueeze(-1) * v.unsqueeze(1)).sum(2)  # (B, Q, H, E)
    W_O = P[pre + "attn.W_O"]
    H, E, D = W_O.shape
    return z.reshape(z.shape[0], z.shape[1], H * E) @ W_O.reshape(H * E, D) \
        + P[pre + "attn.b_O"]


def forward(P, cfg, tokens, last_only):
    """Logits (B, K, U) of the last K positions."""
    L, K = cfg["n_layers"], cfg["n_outputs"]
    T = tokens.shape[1]
    ln = cfg.get("normalization_type") == "LN"
    act = F.relu if cfg.get("act_fn", "relu") == "relu" else F.gelu
    x = F.embedding(tokens, P["embed.W_E"]) + P["pos_embed.W_pos"][:T]
    for layer in range(L):
        pre = f"blocks.{layer}."
        q_from = T - K if last_only and layer == L - 1 else 0
        h = layernorm(x, P[pre + "ln1.w"], P[pre + "ln1.b"]) if ln else x
        x = x[:, q_from:] + attention(P, pre, h, q_from)
        if cfg.get("attn_only"):
            continue
        h = layernorm(x, P[pre + "ln2.w"], P[pre + "ln2.b"]) if ln else x
        x = x + act(h @ P[pre + "mlp.W_in"] + P[pre + "mlp.b_in"]) \
            @ P[pre + "mlp.W_out"] + P[pre + "mlp.b_out"]
    if ln:
        x = layernorm(x, P["ln_final.w"], P["ln_final.b"])
    return x[:, -K:] @ P["unembed.W_U"] + P["unembed.b_U"]


def loss_of(P, cfg, tokens, labels, last_only):
    logits = forward(P, cfg, tokens, last_only)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                           labels.reshape(-1))


def check(d):
    with open(os.path.join(d, "model.json")) as f:
        meta = json.load(f)
    cfg = meta["model"]
    flat = torch.from_file(os.path.join(d, "params.f32"), size=meta["nparams"],
                           dtype=torch.float32)
    P = {}
    for v in meta["views"]:
        n = math.prod(v["shape"])
        P[v["name"]] = flat[v["offset"]:v["offset"] + n].reshape(v["shape"])
    n, T, K = meta["n"], cfg["n_ctx"], cfg["n_outputs"]
    tokens = torch.from_file(os.path.join(d, "tokens.i32"), size=n * T,
                             dtype=torch.int32).long().reshape(n, T)
    labels = torch.from_file(os.path.join(d, "labels.i32"), size=n * K,
                             dtype=torch.int32).long().reshape(n, K)
    with torch.no_grad():
        full = loss_of(P, cfg, tokens, labels, False).item()
        last = loss_of(P, cfg, tokens, labels, True).item()
    print(f"torch_loss\t{full:.9g}")
    print(f"torch_loss_last_only\t{last:.9g}")


def param_shapes(cfg):
    """Name -> shape of every parameter of the model a run header's
    "model" object describes, in lib/model/transformer.c's order."""
    D, H, E, M = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"]
    ln = cfg.get("normalization_type") == "LN"
    s = {"embed.W_E": (cfg["d_vocab"], D), "pos_embed.W_pos": (cfg["n_ctx"], D)}
    for layer in range(cfg["n_layers"]):
        pre = f"blocks.{layer}."
        if ln:
            s.update({pre + "ln1.w": (D,), pre + "ln1.b": (D,)})
        s.update({pre + f"attn.W_{x}": (H, D, E) for x in "QKV"})
        s[pre + "attn.W_O"] = (H, E, D)
        s.update({pre + f"attn.b_{x}": (H, E) for x in "QKV"})
        s[pre + "attn.b_O"] = (D,)
        if cfg.get("attn_only"):
            continue
        if ln:
            s.update({pre + "ln2.w": (D,), pre + "ln2.b": (D,)})
        s.update({pre + "mlp.W_in": (D, M), pre + "mlp.b_in": (M,),
                  pre + "mlp.W_out": (M, D), pre + "mlp.b_out": (D,)})
    if ln:
        s.update({"ln_final.w": (D,), "ln_final.b": (D,)})
    s.update({"unembed.W_U": (D, cfg["d_vocab_out"]),
              "unembed.b_U": (cfg["d_vocab_out"],)})
    return s


def nanda_params(p, D, H, E, M):
    """Parameters with Nanda et al.'s initialisation (as traj's)."""
    U = p
    cfg = {"n_layers": 1, "d_model": D, "n_heads": H, "d_head": E,
           "d_mlp": M, "d_vocab": p + 1, "d_vocab_out": U, "n_ctx": 3}
    P = {}
    for name, shape in param_shapes(cfg).items():
        leaf = name.rsplit(".", 1)[1]
        if leaf.startswith("b"):
            t = torch.zeros(shape)
        else:
            sd = 1 / math.sqrt(U if leaf == "W_U" else D)
            t = torch.randn(shape) * sd
        P[name] = t.requires_grad_()
    return P


def bench():
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    p = args.p
    cfg = {"n_layers": 1, "n_outputs": 1, "act_fn": "relu"}
    pairs = torch.randperm(p * p)[: round(args.frac * p * p)]
    a, b = pairs // p, pairs % p
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    labels = ((a + b) % p).unsqueeze(1)
    P = nanda_params(p, args.d_model, args.heads, args.d_head, args.d_mlp)
    opt = torch.optim.AdamW(P.values(), lr=1e-3, weight_decay=1.0,
                            betas=(0.9, 0.98))
    times = []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_of(P, cfg, tokens, labels, args.last_only)
        loss.backward()
        opt.step()
        if step >= args.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    print(f"torch_transformer: torch {torch.__version__}, threads "
          f"{args.threads}, OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}, batch {len(labels)}, "
          f"last_only {args.last_only}, final loss {loss.item():.6g}, "
          f"min {min(times):.2f} ms", file=sys.stderr)
    print(f"torch_ms_per_step\t{statistics.median(times):.3f}")


if __name__ == "__main__":
    if args.check:
        check(args.check)
    else:
        bench()

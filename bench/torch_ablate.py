#!/usr/bin/python3
"""PyTorch reference for `traj ablate`'s one-by-one mean ablation.

  torch_ablate.py [--examples N] [--heads-only] [--neurons K] FILE.safetensors

Loads a transformer checkpoint exported by `traj convert --export
safetensors` (torch_load_check.py's loader, strict state dict), takes the
first N examples of all pairs (a, b) of its task (the count of traj
ablate's split; which pairs does not change the cost), and mean-ablates
each attention head (hook_z's d_head slice) and each of the first K MLP
neurons (mlp.hook_post) of the last block one by one, each as one forward
pass over the N examples, in three formulations:

  full       every position of every block, with the component's
             activation replaced by its mean over the examples (what
             HookedTransformer.run_with_hooks computes);
  last-only  the last block at the labelled positions only (the fastest
             full forward pass);
  cached     restarting from the clean pass's resid_mid, hook_z and
             hook_post at the labelled positions, as traj ablate does for
             components of the last block without LayerNorm.

Prints `torch_ablate_passes_per_s<TAB>MODE<TAB>VALUE` per mode (passes
over the N examples per second, the clean pass included) and checks that
the modes run (--modes) give the same losses (to 1e-4), exiting 1 if
not.
Debian's torch imports only under /usr/bin/python3; OPENBLAS_NUM_THREADS
must be set before it loads (--blas-threads).
"""
import argparse
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--examples", type=int, default=0,
                    help="examples per pass (default: all pairs)")
    ap.add_argument("--neurons", type=int, default=-1,
                    help="neurons ablated (default: all)")
    ap.add_argument("--modes", default="full,last-only,cached",
                    help="comma-separated modes, run in this order")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--blas-threads", type=int, default=2)
    return ap.parse_args()


args = parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.blas_threads))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import torch_load_check  # noqa: E402
import torch_transformer  # noqa: E402


def block(P, cfg, x, layer, q_from, ablate, means):
    """One block without LayerNorm; ablate = (hook, lo, hi) replaces
    that slice of hook_z (B, Q, H*E) or mlp.hook_post (B, Q, M) of this
    block with its mean in means; with ablate None, the clean pass fills
    means (and the rows the cached mode restarts from)."""
    pre = f"blocks.{layer}."
    T = x.shape[1]
    q = torch_transformer.project(x[:, q_from:], P[pre + "attn.W_Q"],
                                  P[pre + "attn.b_Q"])
    k = torch_transformer.project(x, P[pre + "attn.W_K"], P[pre + "attn.b_K"])
    v = torch_transformer.project(x, P[pre + "attn.W_V"], P[pre + "attn.b_V"])
    scores = (q.unsqueeze(2) * k.unsqueeze(1)).sum(-1) / q.shape[-1] ** 0.5
    qpos = torch.arange(q_from, T).unsqueeze(1)
    mask = (torch.arange(T).unsqueeze(0) > qpos).unsqueeze(-1)
    pattern = scores.masked_fill(mask, float("-inf")).softmax(2)
    z = (pattern.unsqueeze(-1) * v.unsqueeze(1)).sum(2)
    z = z.reshape(z.shape[0], z.shape[1], -1)
    if ablate is None and means is not None:
        means["z"] = z.mean(0)
    elif ablate and ablate[0] == "z":
        z = z.clone()
        z[:, :, ablate[1]:ablate[2]] = means["z"][-z.shape[1]:, ablate[1]:ablate[2]]
    W_O = P[pre + "attn.W_O"]
    mid = x[:, q_from:] + z @ W_O.reshape(-1, W_O.shape[-1]) + P[pre + "attn.b_O"]
    post = F.relu(mid @ P[pre + "mlp.W_in"] + P[pre + "mlp.b_in"])
    if ablate is None and means is not None:
        means["post"], means["mid_rows"] = post.mean(0), (mid, z, post)
    elif ablate and ablate[0] == "post":
        post = post.clone()
        post[:, :, ablate[1]:ablate[2]] = means["post"][-post.shape[1]:, ablate[1]:ablate[2]]
    return mid + post @ P[pre + "mlp.W_out"] + P[pre + "mlp.b_out"]


def forward(P, cfg, tokens, labels, last_only, ablate=None, means=None):
    T, K = tokens.shape[1], cfg["n_outputs"]
    x = F.embedding(tokens, P["embed.W_E"]) + P["pos_embed.W_pos"][:T]
    L = cfg["n_layers"]
    for layer in range(L):
        q_from = T - K if last_only and layer == L - 1 else 0
        last = layer == L - 1
        x = block(P, cfg, x, layer, q_from, ablate if last else None,
                  means if last else None)
    logits = x[:, -K:] @ P["unembed.W_U"] + P["unembed.b_U"]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                           labels.reshape(-1)).item()


def cached(P, cfg, labels, rows, means, ablate):
    """The loss from the clean resid_mid, z and post (full positions) at
    the labelled positions, as lib/interp/ablate_fast.c computes it."""
    K = cfg["n_outputs"]
    pre = f"blocks.{cfg['n_layers'] - 1}."
    mid, z, post = (r[:, -K:] for r in rows)
    kind, lo, hi = ablate
    if kind == "z":
        dz = torch.zeros_like(z)
        dz[:, :, lo:hi] = means["z"][-K:, lo:hi] - z[:, :, lo:hi]
        W_O = P[pre + "attn.W_O"]
        mid = mid + dz @ W_O.reshape(-1, W_O.shape[-1])
        post = F.relu(mid @ P[pre + "mlp.W_in"] + P[pre + "mlp.b_in"])
    else:
        post = post.clone()
        post[:, :, lo:hi] = means["post"][-K:, lo:hi]
    x = mid + post @ P[pre + "mlp.W_out"] + P[pre + "mlp.b_out"]
    logits = x @ P["unembed.W_U"] + P["unembed.b_U"]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                           labels.reshape(-1)).item()


def main():
    torch.set_num_threads(args.threads)
    tensors, run = torch_load_check.read_export(args.file)
    cfg = run["model"]
    if cfg.get("normalization_type") == "LN" or cfg.get("attn_only"):
        sys.exit("torch_ablate.py: only models without LayerNorm, with MLPs")
    P = {k: torch_load_check.as_torch(v) for k, v in tensors.items()}
    tokens, labels = torch_load_check.all_pairs(run["task"])
    n = args.examples or len(labels)
    tokens, labels = tokens[:n], labels[:n].unsqueeze(1)
    H, E, M = cfg["n_heads"], cfg["d_head"], cfg["d_mlp"]
    nm = M if args.neurons < 0 else min(args.neurons, M)
    comps = [("z", h * E, (h + 1) * E) for h in range(H)] + \
            [("post", j, j + 1) for j in range(nm)]
    losses = {}
    with torch.no_grad():
        for mode in args.modes.split(","):
            t0 = time.perf_counter()
            means = {}
            forward(P, cfg, tokens, labels, False, means=means)
            out = []
            for c in comps:
                if mode == "cached":
                    out.append(cached(P, cfg, labels, means["mid_rows"],
                                      means, c))
                else:
                    out.append(forward(P, cfg, tokens, labels,
                                       mode == "last-only", ablate=c,
                                       means=means))
            s = time.perf_counter() - t0
            losses[mode] = out
            print(f"torch_ablate_passes_per_s\t{mode}\t"
                  f"{(len(comps) + 1) / s:.1f}")
    ref = next(iter(losses.values()))
    for mode, out in losses.items():
        worst = max(abs(a - b) / (1 + abs(a)) for a, b in zip(ref, out))
        if worst > 1e-4:
            sys.exit(f"torch_ablate.py: {mode} disagrees by {worst:g}")
    print(f"torch_ablate: torch {torch.__version__}, {n} examples, "
          f"{len(comps)} components", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Independent writer of a traj stream, from formats/traj-stream.md and
formats/run-header.md alone (not from lib/format).

Writes one run of one checkpoint holding the tensors of an .npz file (f32,
encoding `raw`), with a run header built here for a modular-arithmetic MLP
or transformer. Data frames come from the zstd command-line tool (content
checksum and content size set, as the format requires).

Usage: bench/write_stream_reference.py OUT.traj WEIGHTS.npz RUN_ID STEP P FRAC SEED [transformer]
The model's shape is read off the weights. Exit status 0, 2 usage.
"""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

MAGIC = 0x184D2A5A


def record(header):
    body = b"TRJ1" + json.dumps(header, separators=(",", ":")).encode("utf-8")
    payload = body + struct.pack("<I", zlib.crc32(body))
    return struct.pack("<II", MAGIC, len(payload)) + payload


def data_frame(raw):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(raw)
        path = f.name
    try:
        return subprocess.run(["zstd", "-q", "--check", "-c", path],
                              check=True, stdout=subprocess.PIPE).stdout
    finally:
        os.unlink(path)


def mlp_model(w):
    depth = max(int(k.split(".")[1]) for k in w if k.startswith("layers."))
    first, width = w["layers.0.W"].shape
    classes = w["layers.%d.W" % depth].shape[1]
    return {"kind": "mlp", "inputs": 2, "vocab": first // 2, "width": width,
            "depth": depth, "classes": classes, "activation": "relu",
            "bias": "layers.0.b" in w}


def transformer_model(w):
    n_layers = 1 + max(int(k.split(".")[1]) for k in w if k.startswith("blocks."))
    heads, d_model, d_head = w["blocks.0.attn.W_Q"].shape
    return {"kind": "transformer", "n_layers": n_layers, "d_model": d_model,
            "n_heads": heads, "d_head": d_head,
            "d_mlp": w["blocks.0.mlp.W_in"].shape[1],
            "d_vocab": w["embed.W_E"].shape[0],
            "d_vocab_out": w["unembed.W_U"].shape[1],
            "n_ctx": w["pos_embed.W_pos"].shape[0], "n_outputs": 1,
            "act_fn": "relu", "normalization_type": None, "attn_only": False}


def main(argv):
    if len(argv) not in (8, 9):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    out, npz, run_id, step, p, frac, seed = argv[1:8]
    tf = len(argv) == 9 and argv[8] == "transformer"
    w = dict(np.load(npz))
    task = {"name": "modadd", "p": int(p), "frac": float(frac), "seed": int(seed)}
    if tf:
        task["eq_token"] = True
    header = {"type": "run", "version": 1, "run": run_id, "seed": int(seed),
              "model": transformer_model(w) if tf else mlp_model(w),
              "task": task,
              "optim": {"kind": "adamw", "lr": 0.001}}
    buf = io.BytesIO()
    buf.write(record(header))
    step = int(step)
    buf.write(record({"type": "ckpt", "step": step, "tensors": len(w), "key": True}))
    for name in sorted(w):
        arr = np.ascontiguousarray(w[name], dtype="<f4")
        raw = arr.tobytes()
        frame = data_frame(raw)
        buf.write(record({"type": "tensor", "name": name, "dtype": "f32",
                          "shape": list(arr.shape), "encoding": "raw",
                          "bytes": len(raw), "zbytes": len(frame)}))
        buf.write(frame)
    buf.write(record({"type": "end-ckpt", "step": step}))
    buf.write(record({"type": "end"}))
    with open(out, "wb") as f:
        f.write(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Adds N tensor records to the first checkpoint of a traj stream, each
followed by the same zstd frame (a bomb: 1 GiB of zeros in ~33 KB), named
PREFIXjunk.I, u8 [2^30], raw; the header CRCs recomputed.

Usage: zstd_bombs.py IN.traj OUT.traj N PREFIX FRAME.zst
"""
import json, struct, sys, zlib
src, dst, n, prefix, frame = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
d = open(src, "rb").read()
z = open(frame, "rb").read()
def rec(h):
    body = b"TRJ1" + json.dumps(h, separators=(",", ":")).encode()
    return struct.pack("<II", 0x184D2A5A, len(body) + 4) + body + struct.pack("<I", zlib.crc32(body))
out, pos, done = bytearray(), 0, False
while pos < len(d):
    magic, ln = struct.unpack_from("<II", d, pos)
    assert magic == 0x184D2A5A
    h = json.loads(d[pos + 12:pos + 8 + ln - 4])
    end = pos + 8 + ln + (h["zbytes"] if h["type"] == "tensor" else 0)
    if h["type"] == "ckpt" and not done:
        h["tensors"] += n
        out += rec(h)
        for i in range(n):
            out += rec({"type": "tensor", "name": "%sjunk.%d" % (prefix, i), "dtype": "u8",
                        "shape": [1 << 30], "encoding": "raw", "bytes": 1 << 30,
                        "zbytes": len(z)}) + z
        done = True
    else:
        out += d[pos:end]
    pos = end
open(dst, "wb").write(out)

"""Crafted .npy, .npz and safetensors files that two readers could read
differently (tests/cli/trust-importers.bats; also fuzz seeds). Writes
DIR/<name> for each case and DIR/cases.tsv, one line per refused file:

    FORMAT<TAB>FILE<TAB>TEXT the error line must hold

and DIR/ok.tsv the same for files that must be imported (TEXT: the name
of a tensor that must be there). Only NumPy and Python's zipfile are used.

    crafted_importers.py DIR
"""
import io
import json
import os
import struct
import sys
import warnings
import zipfile

import numpy as np

warnings.simplefilter("ignore")  # zipfile warns of the name twice, on purpose
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
bad, ok = [], []


def npy_bytes(header, data):
    """An .npy 1.0 file with the header dict text as given, padded."""
    h = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode("latin1") + data


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


F4x4 = np.arange(4, dtype="<f4").tobytes()

# ---- .npy: the header dict ----
npy_cases = [
    # numpy keeps the last 'descr' (int32); the first would read float32
    ("npy-descr-twice.npy",
     "{'descr': '<f4', 'descr': '<i4', 'fortran_order': False, 'shape': (4,), }",
     "key 'descr' twice"),
    ("npy-junk-after-dict.npy",
     "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } junk",
     "bytes after the header dict"),
    ("npy-nul-in-descr.npy",
     "{'descr': '<f4\0', 'fortran_order': False, 'shape': (4,), }",
     "NUL byte in a string"),
    ("npy-nul-after-dict.npy",
     "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\0",
     "NUL byte after the header dict"),
    ("npy-unknown-key.npy",
     "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1, }",
     "unknown key 'x'"),
    ("npy-shape-not-tuple.npy",
     "{'descr': '<f4', 'fortran_order': False, 'shape': (4), }",
     "(n) is not a tuple"),
    ("npy-shape-leading-zero.npy",
     "{'descr': '<f4', 'fortran_order': False, 'shape': (04,), }",
     "leading zero"),
    ("npy-escape.npy",
     "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (4,), }",
     "escape in a string"),
    ("npy-latin1-in-key.npy",
     "{'descr': '<f4', 'fortran_order': False, 'shap\xe9': (4,), }",
     "non-ASCII byte"),
    ("npy-missing-shape.npy",
     "{'descr': '<f4', 'fortran_order': False, }",
     "lacks 'shape'"),
]
for name, header, text in npy_cases:
    write(name, npy_bytes(header, F4x4))
    bad.append(("npy", name, text))
write("npy-ok-no-spaces.npy",
      npy_bytes("{'descr':'<f4','fortran_order':False,'shape':(2,2)}", F4x4))
ok.append(("npy", "npy-ok-no-spaces.npy", "npy-ok-no-spaces"))

# ---- .npz: the zip around the .npy files ----
buf = io.BytesIO()
np.save(buf, np.arange(4, dtype=np.float32))
NPY = buf.getvalue()


def npz(entries):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for n, d in entries:
            z.writestr(n, d)
    return bytearray(b.getvalue())


def eocd(b):
    return b.rindex(b"PK\x05\x06")


z = npz([("a.npy", NPY), ("b.npy", NPY)])
write("npz-junk-after-end.npz", z + b"junk")
bad.append(("npz", "npz-junk-after-end.npz", "does not reach the end of the file"))

z = npz([("a.npy", NPY), ("b.npy", NPY)])
e = eocd(z)
struct.pack_into("<HH", z, e + 8, 1, 1)  # counts one entry of two
write("npz-count-short.npz", z)
bad.append(("npz", "npz-count-short.npz", "holds more than the 1 entries"))

z = npz([("a.npy", NPY), ("b.npy", NPY)])
z[z.index(b"b.npy")] = ord("c")  # the local header of b.npy names c.npy
write("npz-local-name.npz", z)
bad.append(("npz", "npz-local-name.npz", "the local header names 'c.npy'"))

z = npz([("a.npy", NPY)])
z[14] ^= 1  # the local header's CRC-32
write("npz-local-crc.npz", z)
bad.append(("npz", "npz-local-crc.npz", "the local header and the central directory disagree"))

z = npz([("aXb.npy", NPY)])  # Python's zipfile cuts names at a NUL
z = bytearray(bytes(z).replace(b"aXb.npy", b"a\0b.npy"))
write("npz-nul-in-name.npz", z)
bad.append(("npz", "npz-nul-in-name.npz", "entry name holds a NUL byte"))

z = npz([("a.npy", NPY)])
e = eocd(z)
struct.pack_into("<I", z, e + 16, struct.unpack_from("<I", z, e + 16)[0] + 1)
write("npz-dir-offset.npz", z)
bad.append(("npz", "npz-dir-offset.npz", "does not end where its end record begins"))

write("npz-twice.npz", npz([("a.npy", NPY), ("a.npy", NPY)]))
bad.append(("npz", "npz-twice.npz", "tensor 'a' twice"))

# ZIP64 everywhere, as Python's zipfile writes it past its limits: the
# extra field in each central header, the ZIP64 end record and locator
saved = zipfile.ZIP64_LIMIT
zipfile.ZIP64_LIMIT = 0
try:
    z = npz([("a.npy", NPY), ("deep/b.npy", NPY)])
finally:
    zipfile.ZIP64_LIMIT = saved
assert b"PK\x06\x06" in z and b"PK\x06\x07" in z
with zipfile.ZipFile(io.BytesIO(bytes(z))) as check:
    assert check.testzip() is None and len(check.namelist()) == 2
write("npz-ok-zip64.npz", z)
ok.append(("npz", "npz-ok-zip64.npz", "deep/b"))

# ---- safetensors: the JSON header and the data it indexes ----


def st(header, data, raw=None):
    h = raw if raw is not None else json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def ent(b, e, dtype="F32"):
    return {"dtype": dtype, "shape": [(e - b) // 4], "data_offsets": [b, e]}


D16 = bytes(range(16))
st_cases = [
    ("st-gap.safetensors", st({"a": ent(0, 8)}, D16), "cover 8 bytes of the data"),
    ("st-overlap.safetensors", st({"a": ent(0, 8), "b": ent(0, 8)}, D16[:8]),
     "overlaps the tensor"),
    ("st-hole.safetensors", st({"a": ent(0, 4), "b": ent(8, 16)}, D16),
     "a gap after the tensor"),
    ("st-key-twice-inner.safetensors", None, "key 'dtype' twice"),
    ("st-nul-in-name.safetensors", None, "\\u0000 (NUL) in a string"),
    ("st-nul-in-dtype.safetensors", None, "\\u0000 (NUL) in a string"),
    ("st-bad-utf8-meta.safetensors", None, "invalid UTF-8"),
    ("st-junk-after-json.safetensors", None, "bytes after its JSON object"),
    ("st-meta-not-strings.safetensors", st({"__metadata__": {"x": 1}, "a": ent(0, 16)}, D16),
     "__metadata__ is not an object of strings"),
]
raw = {
    "st-key-twice-inner.safetensors":
        b'{"a":{"dtype":"F32","dtype":"I32","shape":[4],"data_offsets":[0,16]}}',
    "st-nul-in-name.safetensors":
        b'{"a\\u0000b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}',
    "st-nul-in-dtype.safetensors":
        b'{"a":{"dtype":"F32\\u0000","shape":[4],"data_offsets":[0,16]}}',
    "st-bad-utf8-meta.safetensors":
        b'{"__metadata__":{"x":"\xc0\xaf"},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}',
    "st-junk-after-json.safetensors":
        b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}xx',
}
for name, data, text in st_cases:
    write(name, data if data is not None else st(None, D16, raw[name]))
    bad.append(("safetensors", name, text))
write("st-ok-offset-order.safetensors", st({"b": ent(8, 16), "a": ent(0, 8)}, D16))
ok.append(("safetensors", "st-ok-offset-order.safetensors", "b"))

for fname, rows in (("cases.tsv", bad), ("ok.tsv", ok)):
    with open(os.path.join(out, fname), "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")

"""Rewrites a traj stream with one header field renamed, as a hostile or
careless producer might write it: every record whose FIELD equals OLD gets
NEW instead, with its length and CRC-32 made right again (traj-stream(5)),
so that only the name itself is wrong.

    rename_in_stream.py IN OUT FIELD OLD NEW
"""
import json
import struct
import sys
import zlib

src, dst, field, old, new = sys.argv[1:6]
data = open(src, "rb").read()
out = bytearray()
pos = 0
while pos < len(data):
    magic, size = struct.unpack_from("<II", data, pos)
    if magic == 0x184D2A5A and data[pos + 8:pos + 12] == b"TRJ1":
        header = json.loads(data[pos + 12:pos + 8 + size - 4])
        if header.get(field) == old:
            header[field] = new
        body = b"TRJ1" + json.dumps(header).encode()
        out += struct.pack("<II", magic, len(body) + 4) + body
        out += struct.pack("<I", zlib.crc32(body))
        pos += 8 + size
        # a tensor's data frame follows its record: zbytes bytes, as is
        zbytes = header.get("zbytes", 0) if header.get("type") == "tensor" else 0
        out += data[pos:pos + zbytes]
        pos += zbytes
        continue
    raise SystemExit("unexpected frame at byte %d" % pos)
open(dst, "wb").write(out)

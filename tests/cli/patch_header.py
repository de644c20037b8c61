"""Rewrites a traj stream as a hostile producer might: in the JSON text of
every record header, the bytes OLD become NEW (both given with Python
escapes, e.g. '"f32"' -> '"f32\\u0000"' or '"run":"m' -> '"run":"\\xffm'),
with the frame length and CRC-32 made right again (traj-stream(5)), so
that only the text itself is wrong. COUNT limits how many records change.

    patch_header.py IN OUT OLD NEW [COUNT]
"""
import codecs
import struct
import sys
import zlib

src, dst = sys.argv[1:3]
old, new = (codecs.escape_decode(a.encode())[0] for a in sys.argv[3:5])
left = int(sys.argv[5]) if len(sys.argv) > 5 else -1
data = open(src, "rb").read()
out = bytearray()
pos = 0
while pos < len(data):
    magic, size = struct.unpack_from("<II", data, pos)
    if magic == 0x184D2A5A and data[pos + 8:pos + 12] == b"TRJ1":
        text = data[pos + 12:pos + 8 + size - 4]
        if left != 0 and old in text:
            text = text.replace(old, new)
            left -= 1
        body = b"TRJ1" + text
        out += struct.pack("<II", magic, len(body) + 4) + body
        out += struct.pack("<I", zlib.crc32(body))
        pos += 8 + size
        continue
    # a zstd data frame (a tensor's data): copied as is, up to the next record
    nxt = data.find(struct.pack("<I", 0x184D2A5A), pos + 4)
    nxt = len(data) if nxt < 0 else nxt
    out += data[pos:nxt]
    pos = nxt
open(dst, "wb").write(out)

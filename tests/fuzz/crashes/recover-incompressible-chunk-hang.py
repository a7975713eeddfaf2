#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Reproducer (too large for a fuzz input): writes DIR/trace.hrr and DIR/trace.hrr.stage, a staging
# file whose committed chunk (80 MARK records, 4.8 MB of random text) does not compress into the
# recover writer's own output buffer. `heaprr recover DIR/trace.hrr` must recover 80 records; before
# 6042e0e it never returned (the ZSTD_compressStream2 loop of write_columns() made no progress).
import os
import random
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "recover-hang"
os.makedirs(out, exist_ok=True)
trace = os.path.join(out, "trace.hrr")
# A trace cut after its header (a process killed before its first frame), 130 bytes.
header = bytes.fromhex(
    "894852520d0a1a0a01000000820000000801020000100000453b0000443b0000b420c2c4a428ea18e8030000"
    "040000001d2f746d702f6865617072722d73656564732e3847556865382f736565642f2f746d702f68656170"
    "72722d73656564732e3847556865382f73656564006b696c6c65640033003000300030003000a9d02ec1")
with open(trace, "wb") as f:
    f.write(header)


def varint(v):
    b = bytearray()
    while v >= 0x80:
        b.append((v & 0x7F) | 0x80)
        v >>= 7
    b.append(v)
    return bytes(b)


NCOL, TAG, TYPED, PAGE = 22, 0, 21, 4096
chunk_size = 32 << 20  # what a recorder with HEAPRR_CHUNK_KB=8192 maps
rings_offset = (4096 + chunk_size + PAGE - 1) // PAGE * PAGE
shares = [2 if c == TAG else 4 if c == TYPED else 1 for c in range(NCOL)]  # hr_chunk_layout()
unit = chunk_size // sum(shares)
offs = [sum(unit * s for s in shares[:c]) for c in range(NCOL)]
rng = random.Random(1)
n, text = 80, 60000
tags = bytes([0x46]) * n  # MARK
typed = bytearray()
for _ in range(n):
    body = varint(1) + varint(1) + varint(0) + varint(text) + rng.randbytes(text)
    typed += varint(len(body)) + body
lens = [0] * 32
lens[TAG], lens[TYPED] = len(tags), len(typed)
h = bytearray(4096)
h[0:8] = b"HRSTAGE1"
# version, pid (none), ring size, chunk offset/size, rings offset, ring stride, ring count, flags,
# time unit, frames written, trace size; then commit[0] = (nrec, column sizes), commit_index 0.
struct.pack_into("<IIQQQQQIIQQQ", h, 8, 1, 0x7FFFFFFF, 65536, 4096, chunk_size, rings_offset,
                 4096 + 65536, 0, 0, 1000, 0, len(header))
struct.pack_into("<Q32Q", h, 88, n, *lens)
with open(trace + ".stage", "wb") as f:
    f.truncate(rings_offset)
    f.write(h)
    f.seek(4096 + offs[TAG])
    f.write(tags)
    f.seek(4096 + offs[TYPED])
    f.write(typed)
print(trace)

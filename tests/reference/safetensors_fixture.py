#!/usr/bin/python3
"""Writes tests/reference/fixture.safetensors for tests/io/safetensors.cpp.

    /usr/bin/python3 tests/reference/safetensors_fixture.py

Written from the safetensors specification alone (github.com/huggingface/safetensors,
README "Format"), with nothing but json and struct, so that it shares no code with the
C++ writer it checks:

    8 bytes   N, the header length, unsigned 64-bit little-endian
    N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}
    the rest  the tensors' bytes, row-major, little-endian, data_offsets relative to here

plus the layout rules latent's writer promises (include/latent/io/safetensors.hpp):
tensors ordered by element size, largest first, then by name (bytewise); compact JSON
with "__metadata__" first and its keys sorted; header padded with spaces to a multiple
of 8 bytes. The C++ test writes the same tensors and compares the bytes, then reads
this file back and checks the values listed here.
"""
import json
import math
import os
import struct

SIZES = {"F64": 8, "F32": 4, "I32": 4, "U8": 1}
CODES = {"F64": "d", "F32": "f", "I32": "i", "U8": "B"}

# name: (dtype, shape, values in row-major order)
TENSORS = {
    "weight": ("F32", [2, 3], [0.5, -1.25, 3.0, -0.0, math.inf, 2.0**-130]),  # all exact in float32
    "scale": ("F32", [], [2.0]),  # a rank-0 scalar
    "empty": ("F32", [0, 3], []),  # an empty tensor: no bytes, a shape all the same
    "bias": ("F64", [3], [0.1, -2.5, 1e300]),
    "kernel": ("F64", [1, 2, 1, 2], [1.0, -1.0, 0.25, -0.25]),
    "labels": ("I32", [4], [0, -1, 2147483647, -2147483648]),
    "pixels": ("U8", [2, 2], [0, 1, 128, 255]),
    "zeta.\u00fc": ("U8", [1], [42]),  # a name outside ASCII, sorted by its UTF-8 bytes
}
METADATA = {"epoch": "7", "note": "fixture \u00b5 \u2713!"}  # header length not a multiple of 8: padded


def encode(dtype, shape, values):
    count = 1
    for extent in shape:
        count *= extent
    assert count == len(values)
    return struct.pack("<%d%s" % (count, CODES[dtype]), *values)


def main():
    order = sorted(TENSORS, key=lambda name: (-SIZES[TENSORS[name][0]], name.encode("utf-8")))
    header = {}
    if METADATA:
        header["__metadata__"] = {key: METADATA[key] for key in sorted(METADATA, key=lambda k: k.encode("utf-8"))}
    data = b""
    for name in order:
        dtype, shape, values = TENSORS[name]
        blob = encode(dtype, shape, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture.safetensors")
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    print("wrote %s: header %d bytes, data %d bytes, order %s" % (out, len(text), len(data), order))


if __name__ == "__main__":
    main()

"""Raw bodies as blobs: content-addressed by sha256, zstd-compressed, stored once.

>>> pack(b"hello " * 100)[0]
'zstd'
>>> unpack("zstd", pack(b"hello " * 100)[1]) == b"hello " * 100
True
"""

from __future__ import annotations

import zstandard

ZSTD_LEVEL = 3


def pack(body: bytes) -> tuple[str, bytes]:
    """(compression, bytes) to store; bodies that do not shrink are stored as they are."""
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)
    if len(compressed) < len(body):
        return "zstd", compressed
    return "none", body


def unpack(compression: str, data: bytes) -> bytes:
    if compression == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    if compression == "none":
        return data
    raise ValueError(f"unknown blob compression {compression!r}")

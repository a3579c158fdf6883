"""Hostile pictures for tests and bench/photos_memory.py: small files, huge decoded sizes."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int, height: int, *, bit_depth: int = 16, color_type: int = 6) -> bytes:
    """A valid PNG of width x height (16-bit RGBA by default) whose pixels are all zero: it
    compresses to a few hundred KB (6320x6320 16-bit RGBA: ~311 KB) and decodes to hundreds
    of MB. Built row by row, so making it takes little memory."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = b"\x00" + bytes(width * channels * bit_depth // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )

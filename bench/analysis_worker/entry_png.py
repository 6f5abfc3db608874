"""A deterministic photo-like PNG for the analysis benchmark (pure Python)."""

import zlib

_cache: dict[int, bytes] = {}


def png_for(side: int) -> bytes:
    """A deterministic RGBA PNG with gradients and texture, every row Paeth-filtered."""
    if side in _cache:
        return _cache[side]
    raw = bytearray()
    for y in range(side):
        raw.append(0)
        for x in range(side):
            raw += bytes(((x * 255) // side, (y * 255) // side, (x * y * 7) % 256, 255))
    # Re-filter every row with Paeth (4), the slowest filter to undo.
    stride = side * 4
    rows = [bytes(raw[i * (stride + 1) + 1 : (i + 1) * (stride + 1)]) for i in range(side)]
    out = bytearray()
    prev = bytes(stride)
    for row in rows:
        out.append(4)
        for i, value in enumerate(row):
            a = row[i - 4] if i >= 4 else 0
            b = prev[i]
            c = prev[i - 4] if i >= 4 else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((value - pred) & 0xFF)
        prev = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")

    ihdr = side.to_bytes(4, "big") * 2 + bytes((8, 6, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(out)))
    png += chunk(b"IEND", b"")
    _cache[side] = png
    return png

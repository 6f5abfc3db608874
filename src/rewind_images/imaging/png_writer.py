"""A small PNG encoder (stdlib only): 8-bit RGB or RGBA, one IDAT, zlib at its best level.

Made for the placeholders the service hands out (a decoded ThumbHash, at most 32x32), where
size matters more than speed: the alpha channel is left out when every pixel is opaque, and of
six filterings (each of the five PNG filters on every row, and per row the filter that leaves
the smallest sum of absolute values, the heuristic the PNG specification recommends) the one
that deflates smallest at level 9 is kept. On decoded ThumbHashes that is about a quarter of
the reference's uncompressed `rgbaToDataURL`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

__all__ = ["encode_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_RGB = 2
_COLOUR_RGBA = 6
# Bytes of a filtered byte value when read as a signed difference (0 and 255 are "small").
_MAGNITUDE = bytes(min(v, 256 - v) for v in range(256))


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """Encode a width x height RGBA8 image (row by row, not premultiplied) as a PNG file."""
    if width < 1 or height < 1:
        raise ValueError(f"{width}x{height} has no pixels")
    if len(rgba) != width * height * 4:
        raise ValueError(f"expected {width * height * 4} bytes of RGBA, got {len(rgba)}")
    data = bytes(rgba)
    if data[3::4].strip(b"\xff"):
        colour, pixels, bpp = _COLOUR_RGBA, data, 4
    else:
        rgb = bytearray(width * height * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = data[0::4], data[1::4], data[2::4]
        colour, pixels, bpp = _COLOUR_RGB, bytes(rgb), 3
    stride = width * bpp
    rows = [pixels[y * stride : (y + 1) * stride] for y in range(height)]
    # filtered[kind][y]: row y under filter `kind`, its filter byte first.
    filtered = [
        [bytes([kind]) + _FILTERS[kind](row, above, bpp) for row, above in _with_above(rows)]
        for kind in range(len(_FILTERS))
    ]
    adaptive = [
        min(candidates, key=lambda line: sum(line[1:].translate(_MAGNITUDE)))
        for candidates in zip(*filtered, strict=True)
    ]
    idat = min(
        (zlib.compress(b"".join(lines), 9) for lines in (*filtered, adaptive)),
        key=len,
    )
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _with_above(rows: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Each row with the row above it (zeros above the first), as the filters read them."""
    return list(zip(rows, [bytes(len(rows[0])), *rows[:-1]], strict=True))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _none(row: bytes, previous: bytes, bpp: int) -> bytes:
    return row


def _sub(row: bytes, previous: bytes, bpp: int) -> bytes:
    left = bytes(bpp) + row[:-bpp]
    return bytes((a - b) & 255 for a, b in zip(row, left, strict=True))


def _up(row: bytes, previous: bytes, bpp: int) -> bytes:
    return bytes((a - b) & 255 for a, b in zip(row, previous, strict=True))


def _average(row: bytes, previous: bytes, bpp: int) -> bytes:
    left = bytes(bpp) + row[:-bpp]
    return bytes((a - ((b + c) >> 1)) & 255 for a, b, c in zip(row, left, previous, strict=True))


def _paeth(row: bytes, previous: bytes, bpp: int) -> bytes:
    left = bytes(bpp) + row[:-bpp]
    up_left = bytes(bpp) + previous[:-bpp]
    return bytes(
        (a - _paeth_predictor(b, c, d)) & 255
        for a, b, c, d in zip(row, left, previous, up_left, strict=True)
    )


def _paeth_predictor(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    to_left, to_up, to_up_left = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    if to_left <= to_up and to_left <= to_up_left:
        return left
    return up if to_up <= to_up_left else up_left


_FILTERS: tuple[Callable[[bytes, bytes, int], bytes], ...] = (_none, _sub, _up, _average, _paeth)

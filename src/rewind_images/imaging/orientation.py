"""EXIF orientation: how an image is meant to be displayed. Pure, stdlib only.

A phone photo taken upright is often stored sideways with an EXIF Orientation tag saying how to
turn it; browsers, the CDN's transforms and the Images binding's transforms all show it turned
(values 5-8 swap width and height), while the binding's `info()` reports the stored size. So
the size the service records is the displayed one: `displayed_size` turns the stored size by
the tag this module reads.

Read from JPEG (the APP1 `Exif` segment), PNG (the `eXIf` chunk) and WebP (the `EXIF` chunk);
other formats, absent or malformed tags read as 1 (as stored). The scan is bounded: it walks at
most `MAX_SEGMENTS` segments or chunks and reads nothing past the TIFF header's first IFD.
"""

from __future__ import annotations

import struct

ORIENTATION_TAG = 0x0112
SHORT = 3
MAX_SEGMENTS = 64
AS_STORED = 1
# Orientations 5-8 turn the image by a quarter: its width and height swap.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_JPEG_SOI = b"\xff\xd8"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_HEADER = b"Exif\x00\x00"


def exif_orientation(data: bytes) -> int:
    """The EXIF Orientation (1-8) of an encoded image; 1 when it has none."""
    if data.startswith(_JPEG_SOI):
        tiff = _jpeg_exif(data)
    elif data.startswith(_PNG_SIGNATURE):
        tiff = _png_exif(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        tiff = _webp_exif(data)
    else:
        return AS_STORED
    if tiff is None:
        return AS_STORED
    value = _tiff_orientation(tiff)
    return value if value is not None and 1 <= value <= 8 else AS_STORED


def displayed_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """The size an image of the stored `width` x `height` is displayed at."""
    return (height, width) if orientation in _QUARTER_TURNS else (width, height)


def _jpeg_exif(data: bytes) -> bytes | None:
    offset = 2
    for _ in range(MAX_SEGMENTS):
        if offset + 4 > len(data) or data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no EXIF before the pixels
            return None
        (length,) = struct.unpack_from(">H", data, offset + 2)
        segment = data[offset + 4 : offset + 2 + length]
        if marker == 0xE1 and segment.startswith(_EXIF_HEADER):
            return segment[len(_EXIF_HEADER) :]
        offset += 2 + length
    return None


def _png_exif(data: bytes) -> bytes | None:
    offset = len(_PNG_SIGNATURE)
    for _ in range(MAX_SEGMENTS):
        if offset + 8 > len(data):
            return None
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        if kind == b"eXIf":
            return data[offset + 8 : offset + 8 + length]
        if kind in (b"IDAT", b"IEND"):
            return None
        offset += 12 + length
    return None


def _webp_exif(data: bytes) -> bytes | None:
    offset = 12
    for _ in range(MAX_SEGMENTS):
        if offset + 8 > len(data):
            return None
        kind = data[offset : offset + 4]
        (length,) = struct.unpack_from("<I", data, offset + 4)
        if kind == b"EXIF":
            chunk = data[offset + 8 : offset + 8 + length]
            return chunk[len(_EXIF_HEADER) :] if chunk.startswith(_EXIF_HEADER) else chunk
        offset += 8 + length + (length & 1)
    return None


def _tiff_orientation(tiff: bytes) -> int | None:
    """The Orientation tag of a TIFF structure's first IFD, or None."""
    if len(tiff) < 8:
        return None
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    magic, ifd = struct.unpack_from(order + "HI", tiff, 2)
    if magic != 42 or ifd + 2 > len(tiff):
        return None
    (count,) = struct.unpack_from(order + "H", tiff, ifd)
    for index in range(count):
        entry = ifd + 2 + 12 * index
        if entry + 12 > len(tiff):
            return None
        tag, kind, _, value = struct.unpack_from(order + "HHIH", tiff, entry)
        if tag == ORIENTATION_TAG:
            return value if kind == SHORT else None
    return None

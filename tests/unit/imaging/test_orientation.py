"""EXIF orientation read from JPEG, PNG and WebP, and the displayed size it gives; malformed
or absent tags read as stored, with bounded work."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from rewind_images.imaging.orientation import (
    MAX_SEGMENTS,
    displayed_size,
    exif_orientation,
)
from tests.support.orientation import QUARTER_TURNS, sideways_photo


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_every_orientation_is_read(orientation: int, image_format: str) -> None:
    assert exif_orientation(sideways_photo(orientation, image_format=image_format)) == orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_quarter_turn_swaps_the_size(orientation: int) -> None:
    expected = (200, 400) if orientation in QUARTER_TURNS else (400, 200)
    assert displayed_size(400, 200, orientation) == expected


def _tiff(order: bytes, orientation: int, kind: int = 3) -> bytes:
    fmt = "<" if order == b"II" else ">"
    header = order + struct.pack(fmt + "HI", 42, 8)
    entry = struct.pack(fmt + "HHIHH", 0x0112, kind, 1, orientation, 0)
    return header + struct.pack(fmt + "H", 1) + entry + b"\0\0\0\0"


def _jpeg_with(app1: bytes) -> bytes:
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xda\0\x02"


def test_big_endian_tiff_is_read() -> None:
    assert exif_orientation(_jpeg_with(b"Exif\0\0" + _tiff(b"MM", 6))) == 6
    assert exif_orientation(_jpeg_with(b"Exif\0\0" + _tiff(b"II", 8))) == 8


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8",  # a JPEG that ends at once
        _jpeg_with(b"Exif\0\0" + _tiff(b"II", 6)[:11]),  # truncated IFD
        _jpeg_with(b"Exif\0\0" + _tiff(b"II", 9)),  # out of range
        _jpeg_with(b"Exif\0\0" + _tiff(b"II", 6, kind=4)),  # not a SHORT
        _jpeg_with(b"Exif\0\0" + b"XX" + _tiff(b"II", 6)[2:]),  # no byte order
        _jpeg_with(b"Exif\0\0" + b"II" + struct.pack("<HI", 42, 10**6)),  # IFD past the end
        b"\xff\xd8"
        + b"\xff\xe0\x00\x02" * (MAX_SEGMENTS + 10)
        + _jpeg_with(b"Exif\0\0" + _tiff(b"II", 6))[
            2:
        ],  # the tag behind more segments than are walked
        b"GIF89a" + b"\0" * 20,
    ],
)
def test_malformed_or_absent_tags_read_as_stored(data: bytes) -> None:
    assert exif_orientation(data) == 1


def test_a_photo_without_exif_is_as_stored() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 2)).save(out, format="JPEG")
    assert exif_orientation(out.getvalue()) == 1

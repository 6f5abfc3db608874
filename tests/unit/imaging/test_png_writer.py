"""PNG encoder and placeholder data URLs: read back by Pillow (an independent decoder) and by
ours, opaque images without an alpha channel, the smallest filtering kept, and the errors."""

from __future__ import annotations

import base64
import io
import random
import struct
import zlib

import pytest
from PIL import Image

from rewind_images.imaging.placeholder import DATA_URL_PREFIX, placeholder_data_url
from rewind_images.imaging.png import decode_png
from rewind_images.imaging.png_writer import encode_png
from rewind_images.imaging.thumbhash import (
    rgba_to_thumbhash,
    thumbhash_to_base64,
    thumbhash_to_rgba,
)
from tests.support.imaging_fixtures import photo_like, solid

SHAPES = [(1, 1), (2, 3), (32, 32), (32, 17), (5, 32), (64, 48)]


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        found.append((png[at + 4 : at + 8], png[at + 8 : at + 8 + length]))
        at += 12 + length
    return found


@pytest.mark.parametrize(("w", "h"), SHAPES)
@pytest.mark.parametrize("alpha", [False, True])
def test_round_trips_through_pillow_and_our_decoder(w: int, h: int, alpha: bool) -> None:
    rgba = photo_like(random.Random(w * 31 + h), w, h, alpha=alpha)
    png = encode_png(w, h, rgba)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (w, h)
        assert image.convert("RGBA").tobytes() == rgba
    decoded = decode_png(png)
    assert (decoded.width, decoded.height, decoded.rgba) == (w, h, rgba)


def test_opaque_images_leave_the_alpha_channel_out() -> None:
    opaque = encode_png(4, 4, solid(4, 4, (10, 20, 30, 255)))
    translucent = encode_png(4, 4, solid(4, 4, (10, 20, 30, 254)))
    assert chunks(opaque)[0][1][9] == 2  # colour type RGB
    assert chunks(translucent)[0][1][9] == 6  # RGBA


def test_chunk_layout_and_crcs() -> None:
    png = encode_png(3, 2, solid(3, 2, (1, 2, 3, 255)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert [kind for kind, _ in chunks(png)] == [b"IHDR", b"IDAT", b"IEND"]
    at = 8
    for kind, data in chunks(png):
        (crc,) = struct.unpack(">I", png[at + 8 + len(data) : at + 12 + len(data)])
        assert crc == zlib.crc32(kind + data)
        at += 12 + len(data)


def test_decoded_thumbhashes_compress_well_below_the_reference_encoding() -> None:
    # The reference's rgbaToDataURL stores the pixels uncompressed: 4 * w * h bytes and more.
    rng = random.Random(5)
    for w, h in [(100, 100), (100, 60), (60, 100)]:
        width, height, rgba = thumbhash_to_rgba(rgba_to_thumbhash(w, h, photo_like(rng, w, h)))
        assert len(encode_png(width, height, rgba)) < width * height * 4 / 2


@pytest.mark.parametrize(("w", "h", "size"), [(0, 1, 0), (1, 0, 0), (2, 2, 15)])
def test_rejects_bad_input(w: int, h: int, size: int) -> None:
    with pytest.raises(ValueError, match=r"pixels|expected"):
        encode_png(w, h, bytes(size))


@pytest.mark.parametrize(("w", "h"), [(100, 100), (100, 50), (50, 100), (100, 7)])
def test_placeholder_is_the_decoded_hash_as_a_png_data_url(w: int, h: int) -> None:
    thumbhash = rgba_to_thumbhash(w, h, photo_like(random.Random(w + h), w, h))
    url = placeholder_data_url(thumbhash_to_base64(thumbhash))
    assert url.startswith(DATA_URL_PREFIX)
    png = base64.b64decode(url[len(DATA_URL_PREFIX) :], validate=True)
    width, height, rgba = thumbhash_to_rgba(thumbhash)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (width, height)
        assert max(image.size) == 32
        assert image.convert("RGBA").tobytes() == rgba


@pytest.mark.parametrize("text", ["not base64!", "AAAA", ""])
def test_placeholder_refuses_what_is_not_a_base64_thumbhash(text: str) -> None:
    with pytest.raises(ValueError, match=r"base64|ThumbHash"):
        placeholder_data_url(text)

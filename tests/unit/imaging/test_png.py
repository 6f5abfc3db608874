"""PNG decoder: round trips through an independent test encoder, real sharp output, errors."""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib

import pytest

from rewind_images.imaging import png as png_module
from rewind_images.imaging.png import MAX_PNG_PIXELS, DecodedImage, PngError, decode_png
from tests.support.imaging_fixtures import (
    CHANNELS,
    SIGNATURE,
    VALID_DEPTHS,
    chunk,
    encode_png,
    expected_rgba,
    ihdr,
    paeth,
    png_from_raw,
    random_pixels,
    smooth_pixels,
)
from tests.support.node import run_sharp_script

COMBOS = [(ct, depth) for ct, depths in VALID_DEPTHS.items() for depth in depths]
FILTERS: list[int | str] = [0, 1, 2, 3, 4, "cycle"]


def make_image(
    color_type: int, depth: int, width: int, height: int, seed: int, *, smooth: bool = False
) -> tuple[list[list[tuple[int, ...]]], list[tuple[int, int, int]] | None]:
    """Random (or smooth) samples, plus a palette sized so every index is valid."""
    rng = random.Random(seed)
    channels = CHANNELS[color_type]
    if smooth:
        pixels = smooth_pixels(width, height, channels, depth)
    else:
        pixels = random_pixels(rng, width, height, channels, depth)
    palette = None
    if color_type == 3:
        size = 1 << depth
        palette = [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size)
        ]
    return pixels, palette


def assert_round_trip(pixels, palette, *, color_type, depth, trns=None, **encode_kwargs) -> None:
    data = encode_png(
        pixels, color_type=color_type, depth=depth, palette=palette, trns=trns, **encode_kwargs
    )
    image = decode_png(data)
    assert (image.width, image.height) == (len(pixels[0]), len(pixels))
    want = expected_rgba(pixels, color_type=color_type, depth=depth, palette=palette, trns=trns)
    assert image.rgba == want


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("interlace", [False, True], ids=["progressive", "adam7"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f"filter-{f}")
@pytest.mark.parametrize(("color_type", "depth"), COMBOS, ids=lambda v: str(v))
def test_round_trip_every_format(color_type: int, depth: int, filters, interlace: bool) -> None:
    for smooth in (False, True):
        pixels, palette = make_image(
            color_type, depth, 13, 11, seed=color_type * 100 + depth, smooth=smooth
        )
        assert_round_trip(
            pixels,
            palette,
            color_type=color_type,
            depth=depth,
            filters=filters,
            interlace=interlace,
        )


@pytest.mark.parametrize(("color_type", "depth"), COMBOS, ids=lambda v: str(v))
@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (2, 3), (7, 5), (17, 10)])
def test_odd_sizes_and_interlace_passes(color_type: int, depth: int, size: tuple[int, int]) -> None:
    # Tiny images leave some Adam7 passes empty; odd widths exercise sub-byte row padding.
    width, height = size
    pixels, palette = make_image(color_type, depth, width, height, seed=width * 31 + height)
    for interlace in (False, True):
        assert_round_trip(
            pixels,
            palette,
            color_type=color_type,
            depth=depth,
            filters="cycle",
            interlace=interlace,
        )


@pytest.mark.parametrize("depth", [1, 2, 4, 8, 16])
def test_grey_trns_key(depth: int) -> None:
    pixels, _ = make_image(0, depth, 12, 6, seed=depth)
    key = pixels[2][3][0]
    assert_round_trip(pixels, None, color_type=0, depth=depth, trns=struct.pack(">H", key))
    assert_round_trip(
        pixels, None, color_type=0, depth=depth, trns=struct.pack(">H", key), interlace=True
    )


@pytest.mark.parametrize("depth", [8, 16])
def test_rgb_trns_key(depth: int) -> None:
    rng = random.Random(depth)
    top = (1 << depth) - 1
    # Few distinct colours so the key occurs many times, including at misaligned byte offsets.
    colours = [tuple(rng.randint(0, top) for _ in range(3)) for _ in range(3)]
    pixels = [[colours[rng.randrange(3)] for _ in range(10)] for _ in range(7)]
    trns = struct.pack(">HHH", *colours[1])
    assert_round_trip(pixels, None, color_type=2, depth=depth, trns=trns, filters="cycle")
    # A key no pixel has leaves everything opaque.
    absent = struct.pack(">HHH", *(c ^ 1 for c in colours[0]))
    if all(px != struct.unpack(">HHH", absent) for row in pixels for px in row):
        assert_round_trip(pixels, None, color_type=2, depth=depth, trns=absent)


@pytest.mark.parametrize("depth", [1, 2, 4, 8])
def test_palette_trns_partial(depth: int) -> None:
    pixels, palette = make_image(3, depth, 9, 9, seed=50 + depth)
    assert palette is not None
    trns = bytes(range(0, 256, 37))[: max(1, len(palette) // 2)]
    assert_round_trip(pixels, palette, color_type=3, depth=depth, trns=trns, filters=4)


def test_short_palette_and_long_trns_is_truncated() -> None:
    pixels = [[(0,), (1,), (2,)], [(2,), (1,), (0,)]]
    palette = [(10, 20, 30), (40, 50, 60), (70, 80, 90)]
    data = encode_png(pixels, color_type=3, depth=8, palette=palette, trns=bytes([0, 128, 255, 7]))
    assert decode_png(data).rgba[3::4] == bytes([0, 128, 255, 255, 128, 0])


def test_many_idat_chunks_and_empty_idat() -> None:
    pixels, palette = make_image(6, 8, 20, 20, seed=9)
    assert_round_trip(pixels, palette, color_type=6, depth=8, filters="cycle", idat_pieces=37)
    data = encode_png(pixels, color_type=6, depth=8)
    iend = data.rindex(b"IEND") - 4
    with_empty = data[:iend] + chunk(b"IDAT", b"") + data[iend:]
    assert decode_png(with_empty).rgba == decode_png(data).rgba


def test_larger_paeth_image() -> None:
    pixels, _ = make_image(6, 8, 100, 100, seed=1, smooth=True)
    assert_round_trip(pixels, None, color_type=6, depth=8, filters=4)
    pixels, _ = make_image(2, 8, 100, 37, seed=2)
    assert_round_trip(pixels, None, color_type=2, depth=8, filters="cycle")


def test_paeth_table_matches_the_spec_predictor() -> None:
    table = png_module._paeth_table()
    for u in range(-255, 256):
        for v in range(-255, 256):
            c = max(0, -u, -v)
            a, b = c + u, c + v
            if a > 255 or b > 255:
                continue  # (u, v) not reachable with byte values
            assert table[u][v] == (paeth(a, b, c) - c) & 255, (u, v)


def test_ancillary_chunks_are_ignored_and_result_is_frozen() -> None:
    pixels, _ = make_image(2, 8, 4, 4, seed=3)
    data = encode_png(pixels, color_type=2, depth=8)
    at = data.index(b"IDAT") - 4
    data = (
        data[:at]
        + chunk(b"zzZz", b"private stuff")
        + chunk(b"gAMA", b"\x00\x00\xb1\x8f")
        + data[at:]
    )
    image = decode_png(data)
    assert isinstance(image, DecodedImage)
    assert len(image.rgba) == 4 * 4 * 4
    with pytest.raises(AttributeError):
        image.width = 5  # type: ignore[misc]


def test_accepts_bytearray_and_memoryview() -> None:
    pixels, _ = make_image(6, 8, 3, 3, seed=4)
    data = encode_png(pixels, color_type=6, depth=8)
    assert decode_png(bytearray(data)) == decode_png(memoryview(data)) == decode_png(data)


# --- errors -----------------------------------------------------------------------------------


def tiny_png() -> bytes:
    return encode_png([[(1, 2, 3, 4)]], color_type=6, depth=8)


def replace_chunk(data: bytes, ctype: bytes, body: bytes) -> bytes:
    at = data.index(ctype) - 4
    (length,) = struct.unpack(">I", data[at : at + 4])
    return data[:at] + chunk(ctype, body) + data[at + 12 + length :]


def ihdr_body(
    width=1, height=1, depth=8, color_type=6, compression=0, filt=0, interlace=0
) -> bytes:
    return struct.pack(">IIBBBBB", width, height, depth, color_type, compression, filt, interlace)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "bad signature"),
        (b"GIF89a" + bytes(20), "bad signature"),
        (SIGNATURE, "missing IEND"),
        (tiny_png()[:-20], "truncated chunk"),
        (tiny_png()[:-3], "truncated chunk 'IEND'"),
        (SIGNATURE + chunk(b"IDAT", b"x"), "first chunk must be IHDR"),
        (SIGNATURE + chunk(b"IHDR", b"\x00" * 12), "invalid IHDR length 12"),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(width=0)), "invalid IHDR dimensions 0x1"),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(color_type=5)), "invalid IHDR colour type 5"),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(depth=4, color_type=2)), "invalid IHDR bit depth 4"),
        (
            SIGNATURE + chunk(b"IHDR", ihdr_body(depth=16, color_type=3)),
            "invalid IHDR bit depth 16",
        ),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(compression=1)), "unsupported IHDR compression"),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(filt=1)), "unsupported IHDR filter method"),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(interlace=2)), "unsupported IHDR interlace"),
        (SIGNATURE + chunk(b"IHDR", ihdr_body(width=4097, height=4096)), "MAX_PNG_PIXELS"),
        (SIGNATURE + ihdr(1, 1, 8, 6) + chunk(b"IEND", b""), "missing IDAT"),
        (SIGNATURE + ihdr(1, 1, 8, 6) + ihdr(1, 1, 8, 6), "duplicate IHDR"),
        (
            SIGNATURE + ihdr(1, 1, 8, 6) + chunk(b"ABCD", b"") + chunk(b"IEND", b""),
            "unsupported critical chunk 'ABCD'",
        ),
        (png_from_raw(2, 1, 8, 6, b"\x05" + bytes(8)), "bad filter type 5 on row 0"),
        (png_from_raw(1, 2, 8, 0, b"\x00\x01\x07\x01"), "bad filter type 7 on row 1"),
        (
            png_from_raw(2, 2, 8, 6, bytes(17)),
            "decompressed size mismatch: expected 18 bytes, got 17",
        ),
        (png_from_raw(2, 2, 8, 6, bytes(19)), "expected 18 bytes, got 19 or more"),
        (
            SIGNATURE + ihdr(1, 1, 8, 6) + chunk(b"IDAT", b"not zlib") + chunk(b"IEND", b""),
            "corrupt zlib data",
        ),
        (png_from_raw(1, 1, 8, 3, b"\x00\x00"), "missing PLTE"),
    ],
)
def test_errors(data: bytes, message: str) -> None:
    with pytest.raises(PngError, match=message):
        decode_png(data)


def test_crc_mismatch() -> None:
    data = bytearray(tiny_png())
    data[data.index(b"IDAT") + 6] ^= 0x40
    with pytest.raises(PngError, match="CRC mismatch in 'IDAT' chunk"):
        decode_png(bytes(data))


def test_bad_palette() -> None:
    pixels = [[(0,), (3,)]]
    data = encode_png(pixels, color_type=3, depth=8, palette=[(1, 2, 3), (4, 5, 6)])
    with pytest.raises(PngError, match=r"palette index 3 out of range \(2 entries\)"):
        decode_png(data)
    data = replace_chunk(data, b"PLTE", b"\x00" * 4)
    with pytest.raises(PngError, match="invalid PLTE length 4"):
        decode_png(data)


def test_interlaced_size_mismatch() -> None:
    data = SIGNATURE + ihdr(3, 3, 8, 0, interlace=1) + chunk(b"IDAT", zlib.compress(bytes(5)))
    with pytest.raises(PngError, match="decompressed size mismatch"):
        decode_png(data + chunk(b"IEND", b""))


def test_png_error_is_a_value_error() -> None:
    assert issubclass(PngError, ValueError)
    assert MAX_PNG_PIXELS == 4096 * 4096


# --- real encoder: sharp (libvips + libpng, the Images binding's local stand-in) --------------

SHARP_SCRIPT = r"""
const sharp = require('sharp');
(async () => {
  const w = 37, h = 23;
  const buf = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    buf[i] = (x * 7 + y * 3) & 255; buf[i + 1] = (y * 11) & 255;
    buf[i + 2] = (x * y * 5) & 255; buf[i + 3] = (x + y) % 4 ? 255 : (x * 9) & 255;
  }
  const img = () => sharp(buf, { raw: { width: w, height: h, channels: 4 } });
  const variants = {
    rgba8: img().png(),
    rgb8: img().removeAlpha().png(),
    rgba8_adaptive: img().png({ adaptiveFiltering: true, compressionLevel: 9 }),
    rgba8_interlaced: img().png({ progressive: true }),
    palette8: img().png({ palette: true }),
    palette4: img().png({ palette: true, colours: 16 }),
    palette2: img().png({ palette: true, colours: 4 }),
    palette1: img().png({ palette: true, colours: 2 }),
    palette4_interlaced: img().png({ palette: true, colours: 16, progressive: true }),
    grey8: img().removeAlpha().toColourspace('b-w').png(),
    grey8_alpha: img().toColourspace('b-w').png({ adaptiveFiltering: true }),
    grey16: img().removeAlpha().toColourspace('grey16').png(),
    grey16_alpha: img().toColourspace('grey16').png(),
    rgb16: img().removeAlpha().toColourspace('rgb16').png({ adaptiveFiltering: true }),
    rgba16_interlaced: img().toColourspace('rgb16').png({ progressive: true }),
  };
  for (const [name, pipeline] of Object.entries(variants)) {
    const png = await pipeline.toBuffer();
    const rgba = await sharp(png).ensureAlpha().raw({ depth: 'uchar' }).toBuffer();
    const line = { name, png: png.toString('base64'), rgba: rgba.toString('base64') };
    process.stdout.write(JSON.stringify(line) + '\n');
  }
})().catch((err) => { console.error(err); process.exit(1); });
"""

# (colour type, bit depth, interlace) each variant must have, so the test proves its coverage.
SHARP_EXPECTED_FORMATS = {
    "rgba8": (6, 8, 0),
    "rgb8": (2, 8, 0),
    "rgba8_adaptive": (6, 8, 0),
    "rgba8_interlaced": (6, 8, 1),
    "palette8": (3, 8, 0),
    "palette4": (3, 4, 0),
    "palette2": (3, 2, 0),
    "palette1": (3, 1, 0),
    "palette4_interlaced": (3, 4, 1),
    "grey8": (0, 8, 0),
    "grey8_alpha": (4, 8, 0),
    "grey16": (0, 16, 0),
    "grey16_alpha": (4, 16, 0),
    "rgb16": (2, 16, 0),
    "rgba16_interlaced": (6, 16, 1),
}


@pytest.fixture(scope="module")
def sharp_pngs() -> list[dict[str, str]]:
    return [json.loads(line) for line in run_sharp_script(SHARP_SCRIPT).splitlines()]


def test_sharp_pngs_decode_like_libpng(sharp_pngs: list[dict[str, str]]) -> None:
    seen = {}
    for item in sharp_pngs:
        data = base64.b64decode(item["png"])
        seen[item["name"]] = (data[25], data[24], data[28])
        image = decode_png(data)
        assert (image.width, image.height) == (37, 23), item["name"]
        assert image.rgba == base64.b64decode(item["rgba"]), item["name"]
    assert seen == SHARP_EXPECTED_FORMATS

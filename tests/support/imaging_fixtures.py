"""Test-only helpers: a tiny, deliberately naive PNG encoder and deterministic image generators.

The encoder is written straight from the PNG spec and shares no code with the decoder under
test, so a round trip checks the decoder against an independent reading of the spec.

The fine-detail generators at the end build full-size images whose detail is finer than the
analysis images, with a model of the Images binding's downscale (box_reduce) and the measure
the colours are judged by (coverage: the share of pixels within CIE76 delta E 20).
"""

from __future__ import annotations

import functools
import math
import random
import struct
import zlib
from collections import Counter
from collections.abc import Sequence

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
VALID_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)

Pixel = tuple[int, ...]
Rows = list[list[Pixel]]


# --- PNG encoder -----------------------------------------------------------------------------


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def ihdr(width: int, height: int, depth: int, color_type: int, interlace: int = 0) -> bytes:
    return chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, interlace)
    )


def pack_row(row: Sequence[Pixel], depth: int) -> bytes:
    """Raw scanline bytes (no filter byte) for one row of sample tuples."""
    samples = [s for px in row for s in px]
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out = bytearray()
    acc, nbits = 0, 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    if pb <= pc:
        return b
    return c


def filter_row(ftype: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[ftype]
        out.append((x - pred) & 255)
    return bytes(out)


def filter_rows(lines: list[bytes], bpp: int, filters: int | str) -> bytes:
    """Filter scanlines; `filters` is a type 0-4 for every row, or "cycle" (row y uses y % 5)."""
    out = bytearray()
    prev = bytes(len(lines[0])) if lines else b""
    for y, line in enumerate(lines):
        ftype = y % 5 if filters == "cycle" else int(filters)
        out.append(ftype)
        out += filter_row(ftype, line, prev, bpp)
        prev = line
    return bytes(out)


def encode_png(
    pixels: Rows,
    *,
    color_type: int,
    depth: int,
    palette: Sequence[tuple[int, int, int]] | None = None,
    trns: bytes | None = None,
    filters: int | str = 0,
    interlace: bool = False,
    idat_pieces: int = 1,
    level: int = 6,
) -> bytes:
    """Encode rows of raw sample tuples (values at `depth`) as a PNG."""
    height = len(pixels)
    width = len(pixels[0])
    bpp = max(1, CHANNELS[color_type] * depth // 8)
    if interlace:
        raw = bytearray()
        for xs, ys, dx, dy in ADAM7:
            sub = [row[xs::dx] for row in pixels[ys::dy]]
            if sub and sub[0]:
                raw += filter_rows([pack_row(r, depth) for r in sub], bpp, filters)
    else:
        raw = bytearray(filter_rows([pack_row(r, depth) for r in pixels], bpp, filters))
    compressed = zlib.compress(bytes(raw), level)
    out = SIGNATURE + ihdr(width, height, depth, color_type, int(interlace))
    out += chunk(b"tEXt", b"Comment\x00made by the test encoder")
    if palette is not None:
        out += chunk(b"PLTE", b"".join(bytes(entry) for entry in palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    step = max(1, math.ceil(len(compressed) / idat_pieces))
    for i in range(0, len(compressed), step):
        out += chunk(b"IDAT", compressed[i : i + step])
    return out + chunk(b"IEND", b"")


def png_from_raw(width: int, height: int, depth: int, color_type: int, raw: bytes) -> bytes:
    """A PNG whose IDAT inflates to exactly `raw` (filter bytes included): for error tests."""
    return (
        SIGNATURE
        + ihdr(width, height, depth, color_type)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --- expected decoder output -----------------------------------------------------------------


def to8(value: int, depth: int) -> int:
    if depth == 16:
        return value >> 8
    return value * 255 // ((1 << depth) - 1)


def expected_rgba(
    pixels: Rows,
    *,
    color_type: int,
    depth: int,
    palette: Sequence[tuple[int, int, int]] | None = None,
    trns: bytes | None = None,
) -> bytes:
    """The RGBA a correct decoder must produce, computed pixel by pixel from the spec."""
    out = bytearray()
    key: tuple[int, ...] | None = None
    if trns is not None and color_type in (0, 2):
        key = struct.unpack(">" + "H" * (len(trns) // 2), trns)
    for row in pixels:
        for px in row:
            if color_type == 3:
                assert palette is not None
                r, g, b = palette[px[0]]
                a = trns[px[0]] if trns is not None and px[0] < len(trns) else 255
                out += bytes((r, g, b, a))
                continue
            a = 255
            if key is not None and px == key:
                a = 0
            if color_type == 0:
                v = to8(px[0], depth)
                out += bytes((v, v, v, a))
            elif color_type == 2:
                out += bytes((*(to8(s, depth) for s in px), a))
            elif color_type == 4:
                v = to8(px[0], depth)
                out += bytes((v, v, v, to8(px[1], depth)))
            else:
                out += bytes(to8(s, depth) for s in px)
    return bytes(out)


def random_pixels(rng: random.Random, width: int, height: int, channels: int, depth: int) -> Rows:
    top = (1 << depth) - 1
    return [
        [tuple(rng.randint(0, top) for _ in range(channels)) for _ in range(width)]
        for _ in range(height)
    ]


def smooth_pixels(width: int, height: int, channels: int, depth: int) -> Rows:
    """Gradient-like samples: the kind of data where Sub/Up/Average/Paeth actually predict."""
    top = (1 << depth) - 1
    return [
        [
            tuple(
                (x * (c + 1) * 7 + y * 5 + (x * y) // 3) * top // 500 % (top + 1)
                for c in range(channels)
            )
            for x in range(width)
        ]
        for y in range(height)
    ]


# --- RGBA image generators (for ThumbHash and colour tests) ----------------------------------


def solid(width: int, height: int, rgba: tuple[int, int, int, int]) -> bytes:
    return bytes(rgba) * (width * height)


def from_function(width: int, height: int, fn: object) -> bytes:
    """Build RGBA by calling fn(x, y) -> (r, g, b, a) for every pixel, clamping to 0..255."""
    assert callable(fn)
    out = bytearray()
    for y in range(height):
        for x in range(width):
            out += bytes(max(0, min(255, int(v))) for v in fn(x, y))
    return bytes(out)


def linear_gradient(
    width: int,
    height: int,
    start: tuple[int, int, int, int],
    end: tuple[int, int, int, int],
    *,
    vertical: bool = False,
) -> bytes:
    def fn(x: int, y: int) -> tuple[float, ...]:
        span = (height if vertical else width) - 1 or 1
        t = (y if vertical else x) / span
        return tuple(s + (e - s) * t for s, e in zip(start, end, strict=True))

    return from_function(width, height, fn)


def photo_like(rng: random.Random, width: int, height: int, *, alpha: bool = False) -> bytes:
    """Noise over smooth structure: a few soft colour blobs plus grain, like a small photo."""
    blobs = [
        (
            rng.uniform(0, width),
            rng.uniform(0, height),
            rng.uniform(3, max(width, height)),
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
        for _ in range(rng.randint(2, 5))
    ]
    base = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    grain = rng.randint(0, 40)
    # Per pixel the same operations as the plain formula (so the same bytes for a seed), with
    # what does not depend on the pixel computed once: each blob's (x - bx) ** 2 per column and
    # its 2 * radius * radius.
    base_rgb = tuple(float(c) for c in base)
    columns = [
        (2 * radius * radius, [(x - bx) ** 2 for x in range(width)], by, colour)
        for bx, by, radius, colour in blobs
    ]
    uniform = rng.uniform
    out = bytearray()
    for y in range(height):
        row = [(den, dx2, (y - by) ** 2, *colour) for den, dx2, by, colour in columns]
        for x in range(width):
            r, g, b = base_rgb
            for den, dx2, dy2, cr, cg, cb in row:
                w = math.exp(-(dx2[x] + dy2) / den)
                r, g, b = r + (cr - r) * w, g + (cg - g) * w, b + (cb - b) * w
            n = uniform(-grain, grain)
            a = 255
            if alpha:
                a = int(
                    255
                    * min(
                        1.0,
                        max(
                            0.0,
                            1.2
                            - math.hypot(x - width / 2, y - height / 2)
                            / (0.5 * max(width, height)),
                        ),
                    )
                )
            out += bytes(
                (
                    max(0, min(255, int(r + n))),
                    max(0, min(255, int(g + n))),
                    max(0, min(255, int(b + n))),
                    a,
                )
            )
    return bytes(out)


def two_tone(
    width: int,
    height: int,
    major: tuple[int, int, int],
    minor: tuple[int, int, int],
    minor_fraction: float,
) -> bytes:
    """Left part `minor` (the given fraction of columns), the rest `major`; fully opaque."""
    split = round(width * minor_fraction)
    row = bytes((*minor, 255)) * split + bytes((*major, 255)) * (width - split)
    return row * height


# --- fine detail: full-size images, the binding's downscale, and colour coverage -------------

RGB = tuple[int, int, int]


def box_reduce(width: int, height: int, rgba: bytes, max_side: int) -> tuple[int, int, bytes]:
    """An opaque image shrunk to fit max_side x max_side (aspect kept) by averaging pixel blocks.

    This models the Images binding's downscale (fit "scale-down"): sharp, behind the local
    binding, resizes with a filtered average (Lanczos: a weighted average over a slightly wider
    window, with faint ringing at edges), which a box average approximates. The sides must be
    multiples of the reduction factor, and the image opaque (alpha is not averaged).
    """
    factor = -(-max(width, height) // max_side)
    assert width % factor == 0, "the width must be a multiple of the factor"
    assert height % factor == 0, "the height must be a multiple of the factor"
    assert rgba[3::4] == b"\xff" * (width * height), "opaque images only"
    w, h, area = width // factor, height // factor, factor * factor
    stride = width * 4
    out = bytearray()
    for y in range(h):
        rows = [
            rgba[(y * factor + dy) * stride : (y * factor + dy + 1) * stride]
            for dy in range(factor)
        ]
        for x in range(w):
            start, stop = x * factor * 4, (x + 1) * factor * 4
            for c in range(3):
                total = sum(sum(row[start + c : stop : 4]) for row in rows)
                out.append((total + area // 2) // area)
            out.append(255)
    return w, h, bytes(out)


def srgb_to_cielab(rgb: RGB) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)
    ]
    r, g, b = linear
    xyz = (
        (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047,
        0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
        (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def delta_e(a: RGB, b: RGB) -> float:
    """CIE76 colour difference."""
    return math.dist(srgb_to_cielab(a), srgb_to_cielab(b))


def parse_hex(colour: str) -> RGB:
    r, g, b = bytes.fromhex(colour.removeprefix("#"))
    return (r, g, b)


def coverage(rgba: bytes, colour: str | RGB, max_delta_e: float = 20.0) -> float:
    """Share of the opaque pixels within CIE76 delta E `max_delta_e` of `colour`."""
    target = srgb_to_cielab(parse_hex(colour) if isinstance(colour, str) else colour)
    opaque = near = 0
    for lab, n in _opaque_colours(bytes(rgba)):
        opaque += n
        if math.dist(lab, target) <= max_delta_e:
            near += n
    return near / opaque if opaque else 0.0


@functools.lru_cache(maxsize=32)
def _opaque_colours(rgba: bytes) -> list[tuple[tuple[float, float, float], int]]:
    """CIELAB and pixel count of every distinct opaque colour (images repeat few colours)."""
    counts = Counter(rgba[i : i + 4] for i in range(0, len(rgba), 4))
    return [
        (srgb_to_cielab((p[0], p[1], p[2])), n) for p, n in sorted(counts.items()) if p[3] >= 128
    ]


def _canvas(width: int, height: int, rgb: RGB) -> bytearray:
    return bytearray(bytes((*rgb, 255)) * (width * height))


def _fill(image: bytearray, width: int, box: tuple[int, int, int, int], rgb: RGB) -> None:
    x0, y0, x1, y1 = box
    run = bytes((*rgb, 255)) * (x1 - x0)
    for y in range(y0, y1):
        image[(y * width + x0) * 4 : (y * width + x1) * 4] = run


def _disc(
    image: bytearray, width: int, height: int, centre: tuple[float, float], radius: float, rgb: RGB
) -> None:
    cx, cy = centre
    for y in range(max(0, math.ceil(cy - radius)), min(height, math.floor(cy + radius) + 1)):
        half = math.sqrt(max(0.0, radius * radius - (y - cy) ** 2))
        x0, x1 = max(0, math.ceil(cx - half)), min(width, math.floor(cx + half) + 1)
        if x0 < x1:
            _fill(image, width, (x0, y, x1, y + 1), rgb)


def speck_poster(
    side: int, radius: float, share: float, background: RGB, speck: RGB, seed: int
) -> bytes:
    """`background` with small discs of `speck` at random places until they cover `share`."""
    rng = random.Random(seed)
    image = _canvas(side, side, background)
    target = share * side * side
    marker = bytes((speck[0],))
    while image[0::4].count(marker) < target:
        for _ in range(100):
            _disc(image, side, side, (rng.uniform(0, side), rng.uniform(0, side)), radius, speck)
    return bytes(image)


def pinstripes(side: int, period: int, width: int, background: RGB, stripe: RGB) -> bytes:
    """Vertical stripes `width` px wide every `period` px, starting at x = 0."""
    row = (bytes((*stripe, 255)) * width + bytes((*background, 255)) * (period - width)) * (
        side // period + 1
    )
    return row[: side * 4] * side


def wordmark(side: int, stroke: int, background: RGB, ink: RGB) -> bytearray:
    """Letter-like shapes drawn with `stroke`-px bars across the middle of a plain tile."""
    image = _canvas(side, side, background)
    top, bottom = side * 3 // 8, side * 5 // 8
    x, k = side // 8, 0
    while x + 5 * stroke < side - side // 8:
        _fill(image, side, (x, top, x + stroke, bottom), ink)
        _fill(image, side, (x + 4 * stroke, top, x + 5 * stroke, bottom), ink)
        _fill(image, side, (x, top, x + 5 * stroke, top + stroke), ink)
        bar = bottom - stroke if k % 2 else (top + bottom) // 2
        _fill(image, side, (x, bar, x + 5 * stroke, bar + stroke), ink)
        x, k = x + 7 * stroke, k + 1
    return image


def logo(side: int, stroke: int, background: RGB, ink: RGB, dot: RGB, dot_radius: float) -> bytes:
    """A wordmark with a round dot of `dot` colour in the top right corner (a small accent)."""
    image = wordmark(side, stroke, background, ink)
    _disc(image, side, side, (side * 3 / 4, side / 4), dot_radius, dot)
    return bytes(image)

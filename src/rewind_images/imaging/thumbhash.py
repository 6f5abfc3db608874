"""ThumbHash encoder and decoder, byte-identical to the reference `rgbaToThumbHash` and
`thumbHashToRGBA` (npm thumbhash 0.1.1).

ThumbHash (https://evanw.github.io/thumbhash/) stores a tiny DCT of an image in LPQA colour
space (luminance, yellow-blue, red-green, alpha) in ~25 bytes. The reference is JavaScript, and
clients may compare hashes byte for byte, so this port reproduces its IEEE-754 arithmetic
exactly rather than approximately:

* every floating-point expression is evaluated in the reference's order (Python and JS both do
  plain double arithmetic per operation, so the same order gives the same bits);
* sums are accumulated left to right in a loop, never with `sum()`: since Python 3.12 `sum()`
  of floats is compensated (Neumaier) and would give different low bits;
* JS `Math.round` rounds halves up (towards +inf), not to even like Python's `round()`;
* JS `Math.cos` is V8's port of fdlibm, and the platform libm (glibc on the host, musl in
  Pyodide) differs from it in the last bit for a few percent of the angles used here. Low bits
  matter: on a flat image every AC coefficient is rounding noise, which the encoder normalises
  to full scale. So `_fdlibm_cos` below ports V8's `cos` too.

The decoder (`thumbhash_to_rgba`) follows `thumbHashToRGBA` the same way: the same sums in the
same order, V8's cos, and the Uint8Array store (clamp, then truncate).

The byte equality is checked against the npm package over a corpus of images (and their hashes)
by tests/unit/test_thumbhash.py.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Iterable
from functools import cache
from itertools import repeat
from operator import add, mul, sub, truediv

__all__ = [
    "DECODED_MAX_SIDE",
    "MAX_THUMBHASH_SIDE",
    "rgba_to_thumbhash",
    "thumbhash_to_approximate_aspect_ratio",
    "thumbhash_to_base64",
    "thumbhash_to_rgba",
]

# The reference refuses bigger inputs: "Encoding an image larger than 100x100 is slow with no
# benefit". Callers downscale first.
MAX_THUMBHASH_SIDE = 100

# The decoder's output is this many pixels on its long side (the reference's fixed 32).
DECODED_MAX_SIDE = 32

# alpha = a / 255 and alpha / 255, per byte value: the same doubles the reference computes.
_ALPHA = [a / 255 for a in range(256)]
_ALPHA_255 = [alpha / 255 for alpha in _ALPHA]
_ONE_MINUS_ALPHA = [1 - alpha for alpha in _ALPHA]
# For an opaque pixel r = avg_r * (1 - 1) + 1 / 255 * R = 0.0 + (1 / 255) * R.
_OPAQUE_CHANNEL = [0.0 + _ALPHA_255[255] * v for v in range(256)]


def rgba_to_thumbhash(w: int, h: int, rgba: bytes) -> bytes:
    """Encode a w x h RGBA image (not premultiplied, row by row) as a ThumbHash.

    The result is byte-identical to `rgbaToThumbHash` from npm thumbhash 0.1.1. Both sides must
    be 1..100 pixels (MAX_THUMBHASH_SIDE) and `rgba` exactly w * h * 4 bytes; anything else
    raises ValueError (the reference throws for > 100 and silently misbehaves for the rest).
    """
    if not (0 < w <= MAX_THUMBHASH_SIDE and 0 < h <= MAX_THUMBHASH_SIDE):
        raise ValueError(f"{w}x{h} doesn't fit in 100x100 (sides must be 1..100)")
    n = w * h
    if len(rgba) != n * 4:
        raise ValueError(f"expected {n * 4} bytes of RGBA for {w}x{h}, got {len(rgba)}")
    data = bytes(rgba)
    reds, greens, blues, alphas = data[0::4], data[1::4], data[2::4], data[3::4]
    opaque = not alphas.strip(b"\xff")

    # Average colour, weighted by alpha: avg_r += alpha / 255 * r, in pixel order.
    # Adding 1.0 n times is exact, so an opaque image's alpha total is simply n.
    avg_a = float(n) if opaque else _serial_sum(map(_ALPHA.__getitem__, alphas))
    weights = [_ALPHA_255[a] for a in alphas]
    avg_r = _serial_sum(map(mul, weights, reds))
    avg_g = _serial_sum(map(mul, weights, greens))
    avg_b = _serial_sum(map(mul, weights, blues))
    if avg_a:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a

    has_alpha = avg_a < n
    l_limit = 5 if has_alpha else 7  # fewer luminance bits if there's alpha
    lx = max(1, _js_round(l_limit * w / max(w, h)))
    ly = max(1, _js_round(l_limit * h / max(w, h)))

    # RGBA -> LPQA, compositing transparent pixels atop the average colour:
    # r = avg_r * (1 - alpha) + alpha / 255 * R. Both terms depend only on the bytes, so the
    # first is tabulated per alpha value and, for opaque images, the whole thing per R value.
    if opaque:
        table = _OPAQUE_CHANNEL
        r = list(map(table.__getitem__, reds))
        g = list(map(table.__getitem__, greens))
        b = list(map(table.__getitem__, blues))
    else:
        r = _composite(avg_r, alphas, weights, reds)
        g = _composite(avg_g, alphas, weights, greens)
        b = _composite(avg_b, alphas, weights, blues)
    rg = list(map(add, r, g))
    lum = list(map(truediv, map(add, rg, b), repeat(3)))  # (r + g + b) / 3
    p = list(map(sub, map(truediv, rg, repeat(2)), b))  # (r + g) / 2 - b
    q = list(map(sub, r, g))  # r - g

    l_dc, l_ac, l_scale = _encode_channel(lum, w, h, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _encode_channel(p, w, h, 3, 3)
    q_dc, q_ac, q_scale = _encode_channel(q, w, h, 3, 3)

    # The constants. JS `|` and `<<` act on int32s; every field is small and non-negative, so
    # Python ints give the same bits.
    is_landscape = w > h
    header24 = (
        _js_round(63 * l_dc)
        | (_js_round(31.5 + 31.5 * p_dc) << 6)
        | (_js_round(31.5 + 31.5 * q_dc) << 12)
        | (_js_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if is_landscape else lx)
        | (_js_round(63 * p_scale) << 3)
        | (_js_round(63 * q_scale) << 9)
        | (int(is_landscape) << 15)
    )
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    channels = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = _encode_channel(list(map(_ALPHA.__getitem__, alphas)), w, h, 5, 5)
        out.append(_js_round(15 * a_dc) | (_js_round(15 * a_scale) << 4))
        channels.append(a_ac)

    # The varying factors, two 4-bit values per byte, low nibble first.
    nibbles = [_js_round(15 * f) for ac in channels for f in ac]
    if len(nibbles) % 2:
        nibbles.append(0)
    out.extend(lo | (hi << 4) for lo, hi in zip(nibbles[0::2], nibbles[1::2], strict=True))
    # Uint8Array semantics: every element taken mod 256.
    return bytes(v & 255 for v in out)


def thumbhash_to_base64(thumbhash: bytes) -> str:
    """Standard base64 (with padding) of a ThumbHash: the form clients pass to the JS decoder."""
    return base64.b64encode(bytes(thumbhash)).decode("ascii")


def thumbhash_to_approximate_aspect_ratio(thumbhash: bytes) -> float:
    """Approximate width / height of the hashed image (`thumbHashToApproximateAspectRatio`)."""
    if len(thumbhash) < 5:
        raise ValueError("a ThumbHash has at least 5 bytes")
    header = thumbhash[3]
    has_alpha = thumbhash[2] & 0x80
    is_landscape = thumbhash[4] & 0x80
    lx = (5 if has_alpha else 7) if is_landscape else header & 7
    ly = header & 7 if is_landscape else (5 if has_alpha else 7)
    return lx / ly


def thumbhash_to_rgba(thumbhash: bytes) -> tuple[int, int, bytes]:
    """Decode a ThumbHash to (w, h, RGBA), byte-identical to `thumbHashToRGBA` (npm 0.1.1).

    The image is `DECODED_MAX_SIDE` (32) pixels on its long side, the other side following the
    hash's approximate aspect ratio. Raises ValueError for a hash shorter than its header or
    whose header names no luminance terms on one side (no encoder writes either).
    """
    data = bytes(thumbhash)
    if len(data) < 5:
        raise ValueError("a ThumbHash has at least 5 bytes")
    if not data[3] & 7:
        raise ValueError("not a ThumbHash: its header has no luminance terms on one side")
    header24 = data[0] | (data[1] << 8) | (data[2] << 16)
    header16 = data[3] | (data[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    is_landscape = bool(header16 >> 15)
    lx = max(3, (5 if has_alpha else 7) if is_landscape else header16 & 7)
    ly = max(3, header16 & 7 if is_landscape else (5 if has_alpha else 7))
    # Bytes past the end read as JS `undefined`, which the reference's bit operations turn
    # into 0; a truncated hash decodes as it does there.
    alpha_byte = data[5] if len(data) > 5 else 0
    a_dc = (alpha_byte & 15) / 15 if has_alpha else 1.0

    nibbles = _Nibbles(data, 6 if has_alpha else 5)
    l_terms, pq_terms, a_terms = _terms(lx, ly), _terms(3, 3), _terms(5, 5)
    l_ac = nibbles.read(len(l_terms), l_scale)
    # (The reference boosts P and Q by 1.25x to make up for quantisation.)
    p_ac = nibbles.read(len(pq_terms), p_scale * 1.25)
    q_ac = nibbles.read(len(pq_terms), q_scale * 1.25)
    a_ac = nibbles.read(len(a_terms), (alpha_byte >> 4) / 15) if has_alpha else []

    ratio = thumbhash_to_approximate_aspect_ratio(data)
    w = _js_round(DECODED_MAX_SIDE if ratio > 1 else DECODED_MAX_SIDE * ratio)
    h = _js_round(DECODED_MAX_SIDE / ratio if ratio > 1 else DECODED_MAX_SIDE)

    # Per pixel the reference adds, term by term, l_ac[j] * fx[cx] * fy2 for L and A, and
    # p_ac[j] * (fx[cx] * fy2) for P and Q (fy2 = fy[cy] * 2). Everything that does not depend
    # on the pixel is computed once: the L and A products (ac[j] * fx[cx]) per column, the P and
    # Q factors per column and row. The per-pixel additions keep the reference's order and
    # grouping (a * b == b * a exactly; (a * b) * c != a * (b * c) in general), so every double
    # is the reference's.
    l_cols = _column_products(l_ac, l_terms, w)
    l_fy = _row_factors(l_terms, h)
    a_cols = _column_products(a_ac, a_terms, w) if has_alpha else []
    a_fy = _row_factors(a_terms, h) if has_alpha else []
    pq_fx = [_decode_cos(w, cx) for cx, _ in pq_terms]
    pq_fy = _row_factors(pq_terms, h)
    pq_ac = list(zip(p_ac, q_ac, strict=True))

    out = bytearray(w * h * 4)
    i = 0
    # (The inner zips pair lists of one length by construction; strict checks cost time here.)
    for y in range(h):
        l_fy_row, pq_fy_row = l_fy[y], pq_fy[y]
        a_fy_row = a_fy[y] if has_alpha else ()
        for x in range(w):
            lum = l_dc
            for product, fy2 in zip(l_cols[x], l_fy_row, strict=False):
                lum += product * fy2
            p, q = p_dc, q_dc
            for (p_factor, q_factor), fx, fy2 in zip(pq_ac, pq_fx, pq_fy_row, strict=False):
                f = fx[x] * fy2
                p += p_factor * f
                q += q_factor * f
            alpha = a_dc
            if has_alpha:
                for product, fy2 in zip(a_cols[x], a_fy_row, strict=False):
                    alpha += product * fy2
            b = lum - 2 / 3 * p
            r = (3 * lum - b + q) / 2
            g = r - q
            # max(0, 255 * min(1, v)) stored in a Uint8Array (truncated towards zero).
            r = 255 * r if r < 1 else 255
            g = 255 * g if g < 1 else 255
            b = 255 * b if b < 1 else 255
            alpha = 255 * alpha if alpha < 1 else 255
            out[i] = int(r) if r > 0 else 0
            out[i + 1] = int(g) if g > 0 else 0
            out[i + 2] = int(b) if b > 0 else 0
            out[i + 3] = int(alpha) if alpha > 0 else 0
            i += 4
    return w, h, bytes(out)


class _Nibbles:
    """Reads the hash's 4-bit AC factors in order, low nibble first (`decodeChannel`)."""

    def __init__(self, data: bytes, start: int) -> None:
        self._data = data
        self._start = start
        self._index = 0

    def read(self, count: int, scale: float) -> list[float]:
        """The next `count` factors, each (nibble / 7.5 - 1) * scale."""
        factors: list[float] = []
        for _ in range(count):
            position = self._start + (self._index >> 1)
            byte = self._data[position] if position < len(self._data) else 0
            factors.append((((byte >> ((self._index & 1) << 2)) & 15) / 7.5 - 1) * scale)
            self._index += 1
        return factors


@cache
def _terms(nx: int, ny: int) -> tuple[tuple[int, int], ...]:
    """The (cx, cy) of each AC term in the reference's order (the DC term left out)."""
    return tuple(
        (cx, cy) for cy in range(ny) for cx in range(0 if cy else 1, nx) if cx * ny < nx * (ny - cy)
    )


def _column_products(
    ac: list[float], terms: tuple[tuple[int, int], ...], w: int
) -> list[list[float]]:
    """Per column x, ac[j] * fx[cx] for every term j (in term order)."""
    fx = [_decode_cos(w, cx) for cx, _ in terms]
    return [[factor * cos_x[x] for factor, cos_x in zip(ac, fx, strict=True)] for x in range(w)]


@cache
def _row_factors(terms: tuple[tuple[int, int], ...], h: int) -> tuple[tuple[float, ...], ...]:
    """Per row y, fy[cy] * 2 for every term (in term order)."""
    fy = [_decode_cos(h, cy) for _, cy in terms]
    return tuple(tuple(cos_y[y] * 2 for cos_y in fy) for y in range(h))


@cache
def _decode_cos(size: int, k: int) -> tuple[float, ...]:
    """Math.cos(Math.PI / size * (i + 0.5) * k) for i in range(size), as V8 computes it. The
    decoder's order of operations (the encoder multiplies by k first, which rounds differently)."""
    step = math.pi / size
    return tuple(_fdlibm_cos(step * (i + 0.5) * k) for i in range(size))


# --- the DCT ---------------------------------------------------------------------------------


def _encode_channel(
    channel: list[float], w: int, h: int, nx: int, ny: int
) -> tuple[float, list[float], float]:
    """DC term, normalised AC terms and AC scale of one channel, exactly as `encodeChannel`.

    The reference computes f += channel[i] * fx[x] * fy over y then x. The product
    channel[i] * fx[x] does not depend on cy, so it is computed once per cx (as `weighted`) and
    reused; everything after that keeps the reference's operand order and summation order.
    """
    dc = 0.0
    ac: list[float] = []
    scale = 0.0
    weighted: dict[int, list[float]] = {}
    n = w * h
    for cy in range(ny):
        fy = _cos_table(h, cy)
        cx = 0
        while cx * ny < nx * (ny - cy):
            t = weighted.get(cx)
            if t is None:
                # cos(0) is exactly 1, and v * 1.0 == v, so column 0 needs no products.
                t = channel if cx == 0 else list(map(mul, channel, _cos_table(w, cx) * h))
                weighted[cx] = t
            f = _serial_sum(t) if cy == 0 else _row_weighted_sum(t, fy, w)
            f /= n
            if cx or cy:
                ac.append(f)
                scale = max(scale, abs(f))
            else:
                dc = f
            cx += 1
    if scale:
        half_over_scale = 0.5 / scale
        ac = [0.5 + half_over_scale * f for f in ac]
    return dc, ac, scale


def _row_weighted_sum(values: list[float], row_weights: tuple[float, ...], w: int) -> float:
    """values[0] * row_weights[0] + ... in index order (row y weighted by row_weights[y])."""
    total = 0.0
    start = 0
    for weight in row_weights:
        for v in values[start : start + w]:
            total += v * weight
        start += w
    return total


def _serial_sum(values: Iterable[float]) -> float:
    """Left-to-right float sum (what JS `+=` in a loop does), starting from 0."""
    total = 0.0
    for v in values:
        total += v
    return total


def _composite(avg: float, alphas: bytes, weights: list[float], values: bytes) -> list[float]:
    """avg * (1 - alpha) + alpha / 255 * value per pixel, with the reference's operand order."""
    background = [avg * one_minus for one_minus in _ONE_MINUS_ALPHA]
    return list(map(add, map(background.__getitem__, alphas), map(mul, weights, values)))


@cache
def _cos_table(size: int, k: int) -> tuple[float, ...]:
    """Math.cos(Math.PI / size * k * (i + 0.5)) for i in range(size), as V8 computes it."""
    step = math.pi / size * k
    return tuple(_fdlibm_cos(step * (i + 0.5)) for i in range(size))


def _js_round(x: float) -> int:
    """JS Math.round: the nearest integer, halves towards +inf (floor(x + 0.5) is wrong for
    0.49999999999999994, where the addition itself rounds up)."""
    whole = math.floor(x)
    return whole + 1 if x - whole >= 0.5 else whole


# --- V8's Math.cos (fdlibm 5.3 as ported in v8/src/base/ieee754.cc) -------------------------
# Only the paths reachable for |x| < 2**19 * pi / 2 are needed: the encoder's angles are below
# 7 * pi. Larger arguments fall back to the platform cos (never used by the encoder).

_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_INVPIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079632673412561417e00
_PIO2_1T = 6.07710050650619224932e-11
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_2T = 2.02226624879595063154e-21
_PIO2_3 = 2.02226624871116645580e-21
_PIO2_3T = 8.47842766036889956997e-32
_NPIO2_HW = (
    0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB, 0x401F6A7A, 0x4022D97C,
    0x4025FDBB, 0x402921FB, 0x402C463A, 0x402F6A7A, 0x4031475C, 0x4032D97C,
    0x40346B9C, 0x4035FDBB, 0x40378FDB, 0x403921FB, 0x403AB41B, 0x403C463A,
    0x403DD85A, 0x403F6A7A, 0x40407E4C, 0x4041475C, 0x4042106C, 0x4042D97C,
    0x4043A28C, 0x40446B9C, 0x404534AC, 0x4045FDBB, 0x4046C6CB, 0x40478FDB,
    0x404858EB, 0x404921FB,
)  # fmt: skip


def _high_word(x: float) -> int:
    """The signed upper 32 bits of the IEEE-754 representation (fdlibm's GET_HIGH_WORD)."""
    return int(struct.unpack("<q", struct.pack("<d", x))[0] >> 32)


def _from_high_word(high: int) -> float:
    """A double with the given upper 32 bits and a zero lower word (INSERT_WORDS(d, high, 0))."""
    return float(struct.unpack("<d", struct.pack("<Q", (high & 0xFFFFFFFF) << 32))[0])


def _kernel_cos(x: float, y: float) -> float:
    ix = _high_word(x) & 0x7FFFFFFF
    if ix < 0x3E400000 and int(x) == 0:  # |x| < 2**-27
        return 1.0
    z = x * x
    r = z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    if ix < 0x3FD33333:  # |x| < 0.3
        return 1.0 - (0.5 * z - (z * r - x * y))
    qx = 0.28125 if ix > 0x3FE90000 else _from_high_word(ix - 0x00200000)
    iz = 0.5 * z - qx
    a = 1.0 - qx
    return a - (iz - (z * r - x * y))


def _kernel_sin(x: float, y: float, iy: int) -> float:
    ix = _high_word(x) & 0x7FFFFFFF
    if ix < 0x3E400000 and int(x) == 0:  # |x| < 2**-27
        return x
    z = x * x
    v = z * x
    r = _S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))
    if iy == 0:
        return x + v * (_S1 + z * r)
    return x - ((z * (0.5 * y - v * r) - y) - v * _S1)


def _rem_pio2(x: float) -> tuple[int, float, float]:
    """n, y0, y1 with x - n * pi / 2 = y0 + y1 (medium-size arguments only)."""
    hx = _high_word(x)
    ix = hx & 0x7FFFFFFF
    if ix <= 0x3FE921FB:  # |x| <= pi/4: no reduction
        return 0, x, 0.0
    if ix < 0x4002D97C:  # |x| < 3pi/4: n = +-1
        if hx > 0:
            z = x - _PIO2_1
            if ix != 0x3FF921FB:
                y0 = z - _PIO2_1T
                return 1, y0, (z - y0) - _PIO2_1T
            z -= _PIO2_2
            y0 = z - _PIO2_2T
            return 1, y0, (z - y0) - _PIO2_2T
        z = x + _PIO2_1
        if ix != 0x3FF921FB:
            y0 = z + _PIO2_1T
            return -1, y0, (z - y0) + _PIO2_1T
        z += _PIO2_2
        y0 = z + _PIO2_2T
        return -1, y0, (z - y0) + _PIO2_2T
    # Medium size, |x| <= 2**19 * pi/2 (the caller guarantees it).
    t = abs(x)
    n = int(t * _INVPIO2 + 0.5)
    fn = float(n)
    r = t - fn * _PIO2_1
    w = fn * _PIO2_1T
    y0 = r - w
    if not (n < 32 and ix != _NPIO2_HW[n - 1]):
        j = ix >> 20
        i = j - ((_high_word(y0) >> 20) & 0x7FF)
        if i > 16:  # second iteration, good to 118 bits
            t = r
            w = fn * _PIO2_2
            r = t - w
            w = fn * _PIO2_2T - ((t - r) - w)
            y0 = r - w
            i = j - ((_high_word(y0) >> 20) & 0x7FF)
            if i > 49:  # third iteration, 151 bits
                t = r
                w = fn * _PIO2_3
                r = t - w
                w = fn * _PIO2_3T - ((t - r) - w)
                y0 = r - w
    y1 = (r - y0) - w
    if hx < 0:
        return -n, -y0, -y1
    return n, y0, y1


def _fdlibm_cos(x: float) -> float:
    """cos(x) exactly as V8's Math.cos (fdlibm) computes it, for |x| <= 2**19 * pi / 2."""
    ix = _high_word(x) & 0x7FFFFFFF
    if ix <= 0x3FE921FB:
        return _kernel_cos(x, 0.0)
    if ix > 0x413921FB:  # huge or not finite: not reachable from the encoder
        return math.cos(x)
    n, y0, y1 = _rem_pio2(x)
    quadrant = n & 3
    if quadrant == 0:
        return _kernel_cos(y0, y1)
    if quadrant == 1:
        return -_kernel_sin(y0, y1, 1)
    if quadrant == 2:
        return -_kernel_cos(y0, y1)
    return _kernel_sin(y0, y1, 1)

"""A small, strict PNG decoder in pure Python (stdlib only), tuned to run under Pyodide.

It decodes everything the Images binding (and sharp, its local stand-in) can emit: colour types
0, 2, 3, 4 and 6 at every bit depth the spec allows, tRNS transparency, all five filter types,
any number of IDAT chunks and Adam7 interlacing. The output is always 8-bit RGBA; 16-bit samples
keep their high byte (the same truncation browsers and libpng's `png_set_strip_16` use).

Inflate is zlib's C code. The Python work is unfiltering and pixel-format conversion, so both
lean on C-level bytes operations wherever the maths allows (slicing with steps, `translate`,
big-integer SWAR arithmetic) and keep the truly sequential filters (Sub, Average, Paeth) in short
loops over one channel at a time.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

__all__ = ["MAX_PNG_PIXELS", "DecodedImage", "PngError", "decode_png"]

# Anything bigger than this is refused before inflating. The service only decodes thumbnails
# it asked the Images binding for, so a larger image means something went wrong (or a bomb).
MAX_PNG_PIXELS = 4096 * 4096

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Spec limit for chunk lengths and image dimensions (2**31 - 1).
_MAX_CHUNK_LENGTH = 0x7FFFFFFF

# Samples per pixel for each colour type.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Bit depths the spec allows per colour type.
_ALLOWED_DEPTHS = {
    0: (1, 2, 4, 8, 16),
    2: (8, 16),
    3: (1, 2, 4, 8),
    4: (8, 16),
    6: (8, 16),
}

# Adam7 passes: (x start, y start, x step, y step).
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)

# The all-zero translate table that `_eq_table` marks one byte value in (0xFF if equal).
_ZERO_256 = bytes(256)
# Turns an "is the transparent key" mask (0xFF / 0x00) into alpha (0 / 255).
_MASK_TO_ALPHA = bytes([255]) + bytes(254) + bytes([0])


class PngError(ValueError):
    """The data is not a PNG this decoder can read; the message says exactly why."""


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """A decoded image: `rgba` holds width * height * 4 bytes, row by row, not premultiplied."""

    width: int
    height: int
    rgba: bytes


@dataclass(frozen=True, slots=True)
class _Header:
    width: int
    height: int
    depth: int
    color_type: int
    interlaced: bool

    @property
    def bits_per_pixel(self) -> int:
        return _CHANNELS[self.color_type] * self.depth

    def stride(self, width: int) -> int:
        """Bytes in one unfiltered scanline of `width` pixels (without the filter byte)."""
        return (width * self.bits_per_pixel + 7) // 8

    @property
    def filter_unit(self) -> int:
        """The filters' "bpp": bytes per complete pixel, rounded up to 1."""
        return max(1, self.bits_per_pixel // 8)


def decode_png(data: bytes) -> DecodedImage:
    """Decode a PNG file to 8-bit RGBA.

    Raises PngError (a ValueError) naming the problem for anything that is not a well-formed
    PNG: bad signature, truncated or CRC-corrupt chunks, invalid or unsupported headers,
    oversize dimensions (MAX_PNG_PIXELS), missing IDAT/IEND, corrupt or wrongly sized image data,
    bad filter types and out-of-range palette indices. Ancillary chunks other than tRNS are
    ignored (their CRC is still checked).
    """
    data = bytes(data)
    header, palette, trns, idat = _read_chunks(data)
    if header.interlaced:
        rgba = _decode_interlaced(header, idat, palette, trns)
    else:
        expected = header.height * (header.stride(header.width) + 1)
        raw = _inflate(idat, expected)
        rows = _unfilter(raw, 0, header.stride(header.width), header.height, header.filter_unit)
        rgba = _to_rgba(rows, header.width, header.height, header, palette, trns)
    return DecodedImage(header.width, header.height, rgba)


# --- chunk layer ---------------------------------------------------------------------------


def _read_chunks(data: bytes) -> tuple[_Header, bytes | None, bytes | None, bytes]:
    """Walk the chunk list; return the header, PLTE, tRNS and the concatenated IDAT data."""
    if data[:8] != PNG_SIGNATURE:
        raise PngError("not a PNG: bad signature")
    header: _Header | None = None
    palette: bytes | None = None
    trns: bytes | None = None
    idat_parts: list[bytes] = []
    pos = 8
    end = len(data)
    while True:
        if pos + 8 > end:
            raise PngError("truncated PNG: missing IEND chunk")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        name = ctype.decode("latin-1")
        if length > _MAX_CHUNK_LENGTH:
            raise PngError(f"invalid chunk length {length} for {name!r}")
        body_start = pos + 8
        body_end = body_start + length
        if body_end + 4 > end:
            raise PngError(f"truncated chunk {name!r}")
        body = data[body_start:body_end]
        (crc,) = struct.unpack_from(">I", data, body_end)
        if zlib.crc32(body, zlib.crc32(ctype)) != crc:
            raise PngError(f"CRC mismatch in {name!r} chunk")
        pos = body_end + 4

        if header is None:
            if ctype != b"IHDR":
                raise PngError(f"first chunk must be IHDR, got {name!r}")
            header = _parse_ihdr(body)
        elif ctype == b"IDAT":
            idat_parts.append(body)
        elif ctype == b"PLTE":
            palette = _parse_plte(body) if header.color_type == 3 else None
        elif ctype == b"tRNS":
            trns = body
        elif ctype == b"IEND":
            break
        elif ctype == b"IHDR":
            raise PngError("duplicate IHDR chunk")
        elif not ctype[0] & 0x20:
            # Bit 5 of the first letter clear = critical: we may not ignore what we don't know.
            raise PngError(f"unsupported critical chunk {name!r}")

    assert header is not None  # the loop only exits via IEND, after IHDR
    if not idat_parts:
        raise PngError("missing IDAT chunk")
    if header.color_type == 3 and palette is None:
        raise PngError("missing PLTE chunk for a palette image")
    return header, palette, trns, b"".join(idat_parts)


def _parse_ihdr(body: bytes) -> _Header:
    if len(body) != 13:
        raise PngError(f"invalid IHDR length {len(body)}")
    width, height, depth, color_type, compression, filter_method, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if not (0 < width <= _MAX_CHUNK_LENGTH and 0 < height <= _MAX_CHUNK_LENGTH):
        raise PngError(f"invalid IHDR dimensions {width}x{height}")
    if color_type not in _ALLOWED_DEPTHS:
        raise PngError(f"invalid IHDR colour type {color_type}")
    if depth not in _ALLOWED_DEPTHS[color_type]:
        raise PngError(f"invalid IHDR bit depth {depth} for colour type {color_type}")
    if compression != 0:
        raise PngError(f"unsupported IHDR compression method {compression}")
    if filter_method != 0:
        raise PngError(f"unsupported IHDR filter method {filter_method}")
    if interlace not in (0, 1):
        raise PngError(f"unsupported IHDR interlace method {interlace}")
    if width * height > MAX_PNG_PIXELS:
        raise PngError(
            f"image too large: {width}x{height} exceeds MAX_PNG_PIXELS ({MAX_PNG_PIXELS})"
        )
    return _Header(width, height, depth, color_type, interlace == 1)


def _parse_plte(body: bytes) -> bytes:
    if not body or len(body) % 3 or len(body) > 256 * 3:
        raise PngError(f"invalid PLTE length {len(body)}")
    return body


def _inflate(idat: bytes, expected: int) -> bytes:
    """Inflate the image data, refusing to produce more than the header says it should."""
    inflater = zlib.decompressobj()
    try:
        # +1 so that "too much data" is detectable without inflating an arbitrary amount.
        raw = inflater.decompress(idat, expected + 1)
    except zlib.error as exc:
        raise PngError(f"corrupt zlib data in IDAT: {exc}") from None
    if len(raw) != expected:
        more = " or more" if len(raw) > expected else ""
        raise PngError(
            f"decompressed size mismatch: expected {expected} bytes, got {len(raw)}{more}"
        )
    return raw


# --- filters -------------------------------------------------------------------------------


def _unfilter(raw: bytes, offset: int, stride: int, height: int, bpp: int) -> bytes:
    """Undo the per-row filters of `height` rows starting at raw[offset]; no filter bytes out."""
    row_len = stride + 1
    block = raw[offset : offset + height * row_len]
    filters = block[::row_len]
    if not filters.strip(b"\x00"):
        # Fast path (sharp's default output): every row is unfiltered, drop the filter bytes.
        rows = bytearray(block)
        del rows[::row_len]
        return bytes(rows)
    if max(filters) > 4:
        y = next(i for i, f in enumerate(filters) if f > 4)
        raise PngError(f"bad filter type {filters[y]} on row {y}")

    out = bytearray(height * stride)
    prev = bytes(stride)
    # Masks for the bytewise "add mod 256" done on whole rows as big integers (Sub and Up).
    low7 = int.from_bytes(b"\x7f" * stride, "big")
    high1 = int.from_bytes(b"\x80" * stride, "big")
    pos = 0
    for y in range(height):
        ftype = filters[y]
        start = y * row_len + 1
        line = block[start : start + stride]
        if ftype == 0:
            cur = line
        elif ftype == 2:
            # Up: per-byte (line + prev) & 255 for the whole row in a few big-int operations.
            # Adding the low 7 bits of each byte cannot carry across bytes; the top bit is XOR.
            x = int.from_bytes(line, "big")
            p = int.from_bytes(prev, "big")
            cur = (((x & low7) + (p & low7)) ^ ((x ^ p) & high1)).to_bytes(stride, "big")
        elif ftype == 1:
            cur = _unfilter_sub(line, stride, bpp, low7, high1)
        elif ftype == 3:
            cur = _unfilter_average(line, prev, stride, bpp)
        else:
            cur = _unfilter_paeth(line, prev, stride, bpp)
        out[pos : pos + stride] = cur
        prev = cur
        pos += stride
    return bytes(out)


def _unfilter_sub(line: bytes, stride: int, bpp: int, low7: int, high1: int) -> bytes:
    """Sub: each byte adds the byte one pixel to the left, i.e. a running sum per channel.

    A prefix sum by doubling (Hillis-Steele) over the whole row as one big integer: after the
    steps with offsets bpp, 2*bpp, 4*bpp, ... every byte holds the sum of all bytes of its
    channel to its left. Each step is a bytewise add mod 256 done with SWAR masks, so a row
    costs a handful of C-level big-int operations per step instead of a Python loop per byte.
    """
    total = int.from_bytes(line, "big")
    shift = bpp
    while shift < stride:
        moved = total >> (8 * shift)  # big-endian: shifting right moves bytes to the right
        total = ((total & low7) + (moved & low7)) ^ ((total ^ moved) & high1)
        shift *= 2
    return total.to_bytes(stride, "big")


def _unfilter_average(line: bytes, prev: bytes, stride: int, bpp: int) -> bytes:
    """Average: each byte adds floor((left + up) / 2); sequential along each channel."""
    cur = bytearray(stride)
    for ch in range(bpp):
        a = 0
        out = bytearray()
        append = out.append
        for x, b in zip(line[ch::bpp], prev[ch::bpp], strict=True):
            a = (x + ((a + b) >> 1)) & 255
            append(a)
        cur[ch::bpp] = out
    return bytes(cur)


def _unfilter_paeth(line: bytes, prev: bytes, stride: int, bpp: int) -> bytes:
    """Paeth: each byte adds whichever of left, up, up-left is closest to left + up - up-left.

    The predictor depends only on u = left - upleft and v = up - upleft, so a precomputed
    table gives (predictor - upleft) mod 256 with two indexings; that keeps the per-byte work
    (which cannot be vectorised: it depends on the byte just decoded) to a few operations.
    """
    table = _paeth_table()
    cur = bytearray(stride)
    for ch in range(bpp):
        # First pixel: left and up-left are 0, so Paeth reduces to Up.
        a = (line[ch] + prev[ch]) & 255
        c = prev[ch]
        out = bytearray((a,))
        append = out.append
        for x, b in zip(line[ch + bpp :: bpp], prev[ch + bpp :: bpp], strict=True):
            a = (x + c + table[a - c][b - c]) & 255
            append(a)
            c = b
        cur[ch::bpp] = out
    return bytes(cur)


_PAETH_TABLE: list[bytes] = []


def _paeth_table() -> list[bytes]:
    """table[u][v] = (Paeth predictor - upleft) & 255 for u, v in -255..255.

    Python's negative indexing maps -255..-1 onto positions 256..510 of a 511-long sequence,
    so the table is indexed by the signed differences directly. With pa = |v|, pb = |u| and
    pc = |u + v|, the predictor is left (u) if pa <= pb and pa <= pc, else up (v) if pb <= pc,
    else upleft (0). For v >= 0 that is, row by row:
      u >= 0: v <= u -> u, otherwise v
      u < 0 (m = -u): v <= m // 2 -> u; v >= 2m -> v; otherwise 0
    and g(u, v) = -g(-u, -v) gives the v < 0 half. Built once, in well under a millisecond.
    """
    if _PAETH_TABLE:
        return _PAETH_TABLE
    neg = bytes((-i) & 255 for i in range(256))
    positive: dict[int, bytes] = {}  # u -> g(u, v) & 255 for v = 0..255
    for u in range(-255, 256):
        if u >= 0:
            row = bytes((u,)) * (u + 1) + bytes(range(u + 1, 256))
        else:
            m = -u
            n_left = m // 2 + 1
            n_zero = max(0, min(2 * m, 256) - n_left)
            row = bytes((u & 255,)) * n_left + bytes(n_zero) + bytes(range(n_left + n_zero, 256))
        positive[u] = row
    table = []
    for u in (*range(256), *range(-255, 0)):
        # v = 0..255 from the row itself, then v = -255..-1 as -g(-u, 255..1).
        table.append(positive[u] + positive[-u][255:0:-1].translate(neg))
    _PAETH_TABLE.extend(table)
    return _PAETH_TABLE


# --- interlacing ---------------------------------------------------------------------------


def _decode_interlaced(
    header: _Header, idat: bytes, palette: bytes | None, trns: bytes | None
) -> bytes:
    """Decode the seven Adam7 sub-images and scatter their pixels into one RGBA buffer."""
    width, height = header.width, header.height
    passes = []
    expected = 0
    for xs, ys, dx, dy in _ADAM7:
        pw = (width - xs + dx - 1) // dx
        ph = (height - ys + dy - 1) // dy
        if pw > 0 and ph > 0:  # empty passes have no rows, not even filter bytes
            passes.append((xs, ys, dx, dy, pw, ph))
            expected += ph * (header.stride(pw) + 1)
    raw = _inflate(idat, expected)

    out = bytearray(width * height * 4)
    # One 32-bit item per pixel, so each pass row lands with a single strided slice assignment.
    out32 = memoryview(out).cast("I")
    offset = 0
    for xs, ys, dx, dy, pw, ph in passes:
        stride = header.stride(pw)
        rows = _unfilter(raw, offset, stride, ph, header.filter_unit)
        offset += ph * (stride + 1)
        sub32 = memoryview(_to_rgba(rows, pw, ph, header, palette, trns)).cast("I")
        for y in range(ph):
            row_start = (ys + y * dy) * width
            out32[row_start + xs : row_start + width : dx] = sub32[y * pw : (y + 1) * pw]
    out32.release()
    return bytes(out)


# --- pixel conversion ----------------------------------------------------------------------


def _to_rgba(
    rows: bytes,
    width: int,
    height: int,
    header: _Header,
    palette: bytes | None,
    trns: bytes | None,
) -> bytes:
    """Convert unfiltered scanlines (no filter bytes) of one (sub-)image to 8-bit RGBA."""
    n = width * height
    ctype, depth = header.color_type, header.depth
    if ctype == 6:
        return rows if depth == 8 else rows[::2]
    if ctype == 2:
        if depth == 8:
            red, green, blue = rows[0::3], rows[1::3], rows[2::3]
        else:
            red, green, blue = rows[0::6], rows[2::6], rows[4::6]
        alpha = None
        if trns is not None and len(trns) == 6:
            # For 8-bit images the key is the low byte of each 16-bit tRNS sample.
            alpha = _key_alpha(rows, trns if depth == 16 else trns[1::2], 3 * depth // 8, n)
        return _interleave(red, green, blue, alpha, n)
    if ctype == 4:
        grey, alpha = (rows[0::2], rows[1::2]) if depth == 8 else (rows[0::4], rows[2::4])
        return _interleave(grey, grey, grey, alpha, n)
    if ctype == 0:
        return _grey_to_rgba(rows, width, height, depth, trns, n)
    return _palette_to_rgba(rows, width, height, depth, palette, trns, n)


def _grey_to_rgba(
    rows: bytes, width: int, height: int, depth: int, trns: bytes | None, n: int
) -> bytes:
    # The tRNS key uses only the low `depth` bits (the spec says the others are zero).
    key = int.from_bytes(trns, "big") & ((1 << depth) - 1) if trns and len(trns) == 2 else None
    alpha = None
    if depth == 16:
        grey = rows[0::2]
        if key is not None:
            alpha = _key_alpha(rows, key.to_bytes(2, "big"), 2, n)
        return _interleave(grey, grey, grey, alpha, n)
    scale = 255 // ((1 << depth) - 1)  # 1, 17, 85 or 255: exact bit replication
    grey = rows if depth == 8 else _unpack_samples(rows, width, height, depth, scale)
    if key is not None:
        # Each sample value maps to a distinct 8-bit grey, so the key is matched after scaling.
        table = bytearray(b"\xff" * 256)
        table[key * scale] = 0
        alpha = grey.translate(table)
    return _interleave(grey, grey, grey, alpha, n)


def _palette_to_rgba(
    rows: bytes,
    width: int,
    height: int,
    depth: int,
    palette: bytes | None,
    trns: bytes | None,
    n: int,
) -> bytes:
    assert palette is not None  # checked by _read_chunks
    indices = rows if depth == 8 else _unpack_samples(rows, width, height, depth, 1)
    entries = len(palette) // 3
    if max(indices) >= entries:
        raise PngError(f"palette index {max(indices)} out of range ({entries} entries)")
    pad = bytes(256 - entries)
    red = indices.translate(palette[0::3] + pad)
    green = indices.translate(palette[1::3] + pad)
    blue = indices.translate(palette[2::3] + pad)
    alpha = None
    if trns:
        # tRNS lists alpha for the first entries; the rest are opaque. Extra entries are ignored.
        alpha_table = trns[:entries] + b"\xff" * (256 - min(len(trns), entries))
        alpha = indices.translate(alpha_table)
    return _interleave(red, green, blue, alpha, n)


def _unpack_samples(rows: bytes, width: int, height: int, depth: int, scale: int) -> bytes:
    """Expand 1/2/4-bit samples to one byte each (times `scale`), dropping row padding bits."""
    per_byte = 8 // depth
    lookup = _unpack_table(depth, scale)
    stride = (width * depth + 7) // 8
    if width == stride * per_byte:
        return b"".join(map(lookup.__getitem__, rows))
    parts = []
    for y in range(height):
        row = rows[y * stride : (y + 1) * stride]
        parts.append(b"".join(map(lookup.__getitem__, row))[:width])
    return b"".join(parts)


_UNPACK_TABLES: dict[tuple[int, int], list[bytes]] = {}


def _unpack_table(depth: int, scale: int) -> list[bytes]:
    """Packed byte -> its 8 // depth samples (times `scale`): one lookup per packed byte."""
    table = _UNPACK_TABLES.get((depth, scale))
    if table is None:
        mask = (1 << depth) - 1
        shifts = range(8 - depth, -1, -depth)
        table = [bytes(((b >> s) & mask) * scale for s in shifts) for b in range(256)]
        _UNPACK_TABLES[(depth, scale)] = table
    return table


def _eq_table(value: int) -> bytes:
    """A translate table mapping `value` to 0xFF and every other byte to 0x00."""
    table = bytearray(_ZERO_256)
    table[value] = 0xFF
    return bytes(table)


def _key_alpha(samples: bytes, key: bytes, pixel_size: int, n: int) -> bytes:
    """Alpha for a tRNS colour key: 0 where a pixel's bytes equal `key`, else 255.

    Compares each byte lane against its key byte with translate and ANDs the lanes as big
    integers, so there is no per-pixel Python work.
    """
    match = (1 << (8 * n)) - 1
    for i, key_byte in enumerate(key):
        lane = samples[i::pixel_size].translate(_eq_table(key_byte))
        match &= int.from_bytes(lane, "big")
        if not match:
            return b"\xff" * n
    return match.to_bytes(n, "big").translate(_MASK_TO_ALPHA)


def _interleave(red: bytes, green: bytes, blue: bytes, alpha: bytes | None, n: int) -> bytes:
    out = bytearray(b"\xff") * (n * 4)
    out[0::4] = red
    out[1::4] = green
    out[2::4] = blue
    if alpha is not None:
        out[3::4] = alpha
    return bytes(out)

"""ThumbHash: byte equality with the npm reference encoder over a varied corpus, plus edges."""

from __future__ import annotations

import base64
import functools
import json
import math
import random
import struct
from pathlib import Path

import pytest

from rewind_devkit.local_worker import ROOT
from rewind_images.imaging import thumbhash as th
from rewind_images.imaging.thumbhash import (
    rgba_to_thumbhash,
    thumbhash_to_approximate_aspect_ratio,
    thumbhash_to_base64,
    thumbhash_to_rgba,
)
from tests.support.imaging_fixtures import from_function, linear_gradient, photo_like, solid
from tests.support.node import run_node

ORACLE = Path(__file__).with_name("thumbhash_oracle.mjs")

Image = tuple[str, int, int, bytes]


def run_oracle(lines: list[str], *args: str) -> list[str]:
    """Run the Node reference once over all `lines`; fail loudly if Node is not installed."""
    if not (ROOT / "node_modules" / "thumbhash" / "thumbhash.js").exists():
        pytest.fail("node_modules/thumbhash is missing: run scripts/setup.sh (npm ci)")
    proc = run_node([str(ORACLE), *args], input="\n".join(lines) + "\n", timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == len(lines)
    return out


def corpus() -> list[Image]:
    """A deterministic corpus covering the encoder's branches and its numerically fragile cases."""
    rng = random.Random(20240611)
    images: list[Image] = []

    # Flat colours: every AC coefficient is pure rounding noise that the encoder normalises to
    # full scale, so these are the most sensitive to operation order and to cos() bits.
    flat_sizes = [(1, 1), (2, 2), (3, 5), (8, 8), (32, 32), (100, 100), (100, 37), (17, 100)]
    for i in range(24):
        w, h = flat_sizes[i % len(flat_sizes)]
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)
        images.append((f"flat-{i}-{colour}", w, h, solid(w, h, colour)))
    for colour in [(0, 0, 0, 255), (255, 255, 255, 255), (128, 128, 128, 255), (255, 0, 0, 255)]:
        images.append((f"flat-{colour}", 64, 64, solid(64, 64, colour)))
    for alpha in (1, 127, 128, 254):
        images.append((f"flat-alpha-{alpha}", 20, 30, solid(20, 30, (200, 100, 50, alpha))))

    # Transparency extremes.
    images.append(("transparent-black", 32, 32, solid(32, 32, (0, 0, 0, 0))))
    images.append(("transparent-red", 100, 100, solid(100, 100, (255, 0, 0, 0))))
    images.append(("transparent-1x1", 1, 1, solid(1, 1, (9, 9, 9, 0))))
    one_off = bytearray(solid(40, 40, (10, 200, 30, 255)))
    one_off[4 * 777 + 3] = 254
    images.append(("one-pixel-alpha-254", 40, 40, bytes(one_off)))

    # Gradients, colour and alpha, both orientations.
    images.append(
        ("grad-h", 100, 100, linear_gradient(100, 100, (0, 0, 0, 255), (255, 255, 255, 255)))
    )
    images.append(
        (
            "grad-v",
            60,
            90,
            linear_gradient(60, 90, (255, 0, 0, 255), (0, 0, 255, 255), vertical=True),
        )
    )
    images.append(
        ("grad-alpha-h", 100, 50, linear_gradient(100, 50, (0, 128, 255, 0), (0, 128, 255, 255)))
    )
    images.append(
        (
            "grad-alpha-v",
            33,
            77,
            linear_gradient(33, 77, (255, 255, 0, 255), (255, 0, 255, 0), vertical=True),
        )
    )
    images.append(
        (
            "grad-1xN",
            1,
            100,
            linear_gradient(1, 100, (0, 0, 0, 255), (250, 100, 0, 255), vertical=True),
        )
    )
    images.append(("grad-Nx1", 100, 1, linear_gradient(100, 1, (0, 255, 0, 255), (0, 0, 255, 128))))

    # Symmetric structures: coefficients that cancel to (nearly) zero.
    images.append(
        (
            "checker",
            32,
            32,
            from_function(
                32, 32, lambda x, y: (255,) * 3 + (255,) if (x + y) % 2 else (0, 0, 0, 255)
            ),
        )
    )
    images.append(
        (
            "stripes-v",
            50,
            50,
            from_function(
                50, 50, lambda x, y: (255, 0, 0, 255) if x % 10 < 5 else (0, 0, 255, 255)
            ),
        )
    )
    images.append(
        (
            "stripes-h-alpha",
            48,
            30,
            from_function(48, 30, lambda x, y: (0, 0, 0, 0) if y % 6 < 3 else (255, 255, 255, 255)),
        )
    )
    images.append(
        (
            "centre-dot",
            99,
            99,
            from_function(
                99, 99, lambda x, y: (255, 255, 255, 255) if x == y == 49 else (0, 0, 0, 255)
            ),
        )
    )
    images.append(
        (
            "quadrants",
            64,
            64,
            from_function(64, 64, lambda x, y: (255 * (x < 32), 255 * (y < 32), 128, 255)),
        )
    )
    images.append(
        (
            "circle-mask",
            80,
            80,
            from_function(
                80, 80, lambda x, y: (30, 60, 90, 255 if math.hypot(x - 39.5, y - 39.5) < 30 else 0)
            ),
        )
    )

    # Photo-like images at many shapes, opaque and with alpha.
    shapes = [(100, 100), (100, 37), (37, 100), (32, 32), (64, 48), (48, 64), (7, 100)]
    shapes += [(100, 7), (1, 100), (100, 1), (1, 1), (3, 2), (2, 3), (1, 57), (57, 1), (13, 13)]
    shapes += [(99, 100)]
    for i, (w, h) in enumerate(shapes):
        images.append((f"photo-{w}x{h}", w, h, photo_like(rng, w, h)))
        if i % 2 == 0:
            images.append((f"photo-alpha-{w}x{h}", w, h, photo_like(rng, w, h, alpha=True)))

    # Uniform noise, including random alpha with many 0s and 255s.
    for w, h in [(100, 100), (10, 90), (1, 2), (2, 1), (25, 25)]:
        images.append((f"noise-{w}x{h}", w, h, bytes(rng.randrange(256) for _ in range(w * h * 4))))
        noisy_alpha = bytearray(rng.randrange(256) for _ in range(w * h * 4))
        noisy_alpha[3::4] = bytes(
            rng.choice((0, 0, 255, 255, rng.randrange(256))) for _ in range(w * h)
        )
        images.append((f"noise-alpha-{w}x{h}", w, h, bytes(noisy_alpha)))
    return images


CORPUS = corpus()


def test_corpus_is_varied_enough() -> None:
    assert len(CORPUS) >= 60
    assert len({name for name, *_ in CORPUS}) == len(CORPUS)


@functools.cache
def corpus_hashes() -> list[bytes]:
    """The encoder's hash of each corpus image (the decoder test reuses them)."""
    return [rgba_to_thumbhash(w, h, rgba) for _, w, h, rgba in CORPUS]


def test_matches_npm_reference_byte_for_byte() -> None:
    lines = [
        json.dumps({"w": w, "h": h, "rgba_b64": base64.b64encode(rgba).decode()})
        for _, w, h, rgba in CORPUS
    ]
    expected = run_oracle(lines)
    mismatches = []
    for (name, w, h, _), thumbhash, want in zip(CORPUS, corpus_hashes(), expected, strict=True):
        got = thumbhash_to_base64(thumbhash)
        if got != want:
            mismatches.append(f"{name} ({w}x{h}): python {got} != js {want}")
    assert not mismatches, "\n".join(mismatches)


def test_cos_port_matches_v8_bit_for_bit() -> None:
    # Every angle the encoder can use (sides 1..100, frequencies 0..6), plus random angles and
    # neighbours of multiples of pi/2, where fdlibm's argument reduction takes its rarer paths.
    rng = random.Random(7)
    angles = [
        math.pi / n * k * (i + 0.5) for n in range(1, 101) for k in range(7) for i in range(n)
    ]
    angles += [rng.uniform(-25.0, 25.0) for _ in range(20_000)]
    for m in range(1, 40):
        centre = m * math.pi / 2
        angles += [centre, math.nextafter(centre, 0.0), math.nextafter(centre, 100.0), -centre]
    angles += [0.0, -0.0, 1e-9, 0.3, 0.78125, 0.785, 2.356, 1000.0, 823549.5]
    batches = [angles[i : i + 5000] for i in range(0, len(angles), 5000)]
    results = run_oracle([json.dumps({"args": batch}) for batch in batches], "cos")
    bad = []
    for batch, hex_bits in zip(batches, results, strict=True):
        want = struct.unpack(f"<{len(batch)}d", bytes.fromhex(hex_bits))
        for x, v in zip(batch, want, strict=True):
            if th._fdlibm_cos(x) != v and not (math.isnan(v) and math.isnan(th._fdlibm_cos(x))):
                bad.append((x, th._fdlibm_cos(x), v))
    assert not bad, bad[:10]


@pytest.mark.parametrize(
    ("x", "want"),
    [
        (0.5, 1),
        (1.5, 2),
        (2.5, 3),
        (-0.5, 0),
        (-1.5, -1),
        (-2.5, -2),
        (0.49999999999999994, 0),
        (4503599627370497.0, 4503599627370497),
        (-0.0, 0),
        (62.99999999999999, 63),
    ],
)
def test_js_round_semantics(x: float, want: int) -> None:
    assert th._js_round(x) == want


def test_output_shape_and_known_value() -> None:
    # 1x1 fully transparent pixel, checked once against the reference by hand.
    assert (
        thumbhash_to_base64(rgba_to_thumbhash(1, 1, bytes(4)))
        == "AAiCBQAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
    )
    opaque = rgba_to_thumbhash(32, 32, solid(32, 32, (1, 2, 3, 255)))
    assert len(opaque) == 5 + (27 + 5 + 5 + 1) // 2  # 27 L + 5 P + 5 Q AC terms, nibble-packed
    assert not opaque[2] & 0x80  # no alpha bit


@pytest.mark.parametrize(("w", "h"), [(101, 10), (10, 101), (0, 5), (5, 0), (-1, 3)])
def test_rejects_bad_dimensions(w: int, h: int) -> None:
    with pytest.raises(ValueError, match="doesn't fit in 100x100"):
        rgba_to_thumbhash(w, h, bytes(max(0, w * h * 4)))


def test_rejects_wrong_buffer_length() -> None:
    with pytest.raises(ValueError, match="expected 16 bytes"):
        rgba_to_thumbhash(2, 2, bytes(15))


def test_base64_is_standard_with_padding() -> None:
    assert thumbhash_to_base64(b"\xfb\xff\xfe") == "+//+"
    assert thumbhash_to_base64(b"\x00") == "AA=="


@pytest.mark.parametrize(
    ("w", "h"), [(100, 100), (100, 50), (50, 100), (100, 14), (1, 100), (100, 1)]
)
def test_approximate_aspect_ratio(w: int, h: int) -> None:
    rng = random.Random(w * 1000 + h)
    for alpha in (False, True):
        ratio = thumbhash_to_approximate_aspect_ratio(
            rgba_to_thumbhash(w, h, photo_like(rng, w, h, alpha=alpha))
        )
        # 3 bits of luminance grid per axis: roughly right, and on the correct side of 1.
        assert (ratio > 1) == (w > h) or (ratio == 1 and w == h) or min(w, h) / max(w, h) > 0.85
        limit = 5 if alpha else 7
        assert 1 / limit <= ratio <= limit


def test_accepts_bytearray_and_memoryview() -> None:
    rgba = photo_like(random.Random(1), 9, 4)
    want = rgba_to_thumbhash(9, 4, rgba)
    assert rgba_to_thumbhash(9, 4, bytearray(rgba)) == want
    assert rgba_to_thumbhash(9, 4, memoryview(rgba)) == want


# --- the decoder ------------------------------------------------------------------------------


def decode_with_oracle(hashes: list[bytes]) -> list[tuple[int, int, bytes]]:
    """thumbHashToRGBA of each hash, from the npm reference."""
    lines = [json.dumps({"hash_b64": base64.b64encode(h).decode()}) for h in hashes]
    decoded = []
    for line in run_oracle(lines, "decode"):
        w, h, rgba = line.split(" ")
        decoded.append((int(w), int(h), base64.b64decode(rgba)))
    return decoded


def decoder_corpus() -> list[bytes]:
    """The encoder corpus's hashes (real ones, every shape, with and without alpha), and random
    bytes with a usable header (every factor value, truncated hashes, odd lengths)."""
    hashes = list(corpus_hashes())
    rng = random.Random(20261201)
    for _ in range(150):
        raw = bytearray(rng.randrange(256) for _ in range(rng.choice((5, 6, 7, 12, 19, 24, 25))))
        raw[3] |= rng.randrange(1, 8) if not raw[3] & 7 else 0
        hashes.append(bytes(raw))
    return hashes


def test_decoder_matches_npm_reference_byte_for_byte() -> None:
    hashes = decoder_corpus()
    mismatches = []
    for thumbhash, want in zip(hashes, decode_with_oracle(hashes), strict=True):
        got = thumbhash_to_rgba(thumbhash)
        if got != want:
            mismatches.append(f"{thumbhash.hex()}: python {got[:2]} js {want[:2]}")
    assert not mismatches, "\n".join(mismatches[:10])


@pytest.mark.parametrize(("w", "h"), [(100, 100), (100, 50), (50, 100), (100, 14), (3, 100)])
def test_decoded_size_follows_the_aspect_ratio(w: int, h: int) -> None:
    rng = random.Random(w + h)
    for alpha in (False, True):
        thumbhash = rgba_to_thumbhash(w, h, photo_like(rng, w, h, alpha=alpha))
        ratio = thumbhash_to_approximate_aspect_ratio(thumbhash)
        width, height, rgba = thumbhash_to_rgba(thumbhash)
        # 32 px on the long side; the short side is the hash's ratio of it, rounded.
        assert max(width, height) == 32
        if ratio > 1:
            assert abs(height - 32 / ratio) <= 0.5
        else:
            assert abs(width - 32 * ratio) <= 0.5
        assert (width >= height) == (ratio >= 1)
        assert len(rgba) == width * height * 4


def test_decoding_a_flat_colour_gives_that_colour_back() -> None:
    _, _, rgba = thumbhash_to_rgba(rgba_to_thumbhash(8, 8, solid(8, 8, (200, 40, 90, 255))))
    pixels = {rgba[i : i + 4] for i in range(0, len(rgba), 4)}
    for r, g, b, a in pixels:
        assert max(abs(r - 200), abs(g - 40), abs(b - 90)) <= 8
        assert a == 255


@pytest.mark.parametrize("thumbhash", [b"", b"\x01\x02\x03\x04", bytes(5), b"\xff\xff\xff\xf8\xff"])
def test_decoder_rejects_what_is_not_a_thumbhash(thumbhash: bytes) -> None:
    with pytest.raises(ValueError, match="ThumbHash"):
        thumbhash_to_rgba(thumbhash)

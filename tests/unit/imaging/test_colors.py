"""Dominant / accent colour extraction."""

from __future__ import annotations

import random
import re

import pytest

from rewind_images.imaging import colors
from rewind_images.imaging.colors import Palette, extract_colors
from tests.support.imaging_fixtures import (
    delta_e,
    from_function,
    linear_gradient,
    parse_hex,
    photo_like,
    solid,
    two_tone,
)

HEX = re.compile(r"#[0-9a-f]{6}")

NAVY = (20, 30, 120)
ORANGE = (250, 140, 0)
BEIGE = (222, 210, 190)


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@pytest.mark.parametrize(
    "rgb", [(0, 0, 0), (255, 255, 255), (12, 34, 56), (255, 0, 128), (128, 128, 128)]
)
@pytest.mark.parametrize("size", [(1, 1), (32, 32), (64, 64), (100, 37)])
def test_solid_colour(rgb: tuple[int, int, int], size: tuple[int, int]) -> None:
    w, h = size
    assert extract_colors(w, h, solid(w, h, (*rgb, 255))) == Palette(hex_of(rgb), None)


def test_solid_colour_with_grain_is_one_colour() -> None:
    rng = random.Random(3)
    w = h = 50
    base = (60, 120, 200)
    rgba = from_function(w, h, lambda x, y: (*(c + rng.randint(-6, 6) for c in base), 255))
    palette = extract_colors(w, h, rgba)
    assert palette.accent is None
    assert palette.dominant is not None
    got = bytes.fromhex(palette.dominant[1:])
    assert all(abs(g - b) <= 2 for g, b in zip(got, base, strict=True))


@pytest.mark.parametrize("minor_fraction", [0.1, 0.3, 0.45])
def test_two_tone(minor_fraction: float) -> None:
    palette = extract_colors(40, 20, two_tone(40, 20, NAVY, ORANGE, minor_fraction))
    assert palette == Palette(hex_of(NAVY), hex_of(ORANGE))
    swapped = extract_colors(40, 20, two_tone(40, 20, ORANGE, NAVY, minor_fraction))
    # A navy accent on orange: navy is vivid enough (chroma ~0.17) to qualify.
    assert swapped == Palette(hex_of(ORANGE), hex_of(NAVY))


def test_two_nearly_identical_tones_merge() -> None:
    # Different sRGB bins (red 126 vs 130) but perceptually the same: one colour, their blend.
    palette = extract_colors(40, 20, two_tone(40, 20, (126, 100, 100), (130, 100, 100), 0.4))
    assert palette == Palette("#806464", None)  # red: 0.6 * 126 + 0.4 * 130 = 127.6


def test_greyscale_without_strong_contrast_has_no_accent() -> None:
    # Mid greys from 100 to 140: lightness differs by well under ACCENT_MIN_LIGHTNESS_DELTA.
    rgba = linear_gradient(100, 20, (100, 100, 100, 255), (140, 140, 140, 255))
    palette = extract_colors(100, 20, rgba)
    assert palette.accent is None
    assert palette.dominant is not None
    r, g, b = bytes.fromhex(palette.dominant[1:])
    assert r == g == b
    assert 100 <= r <= 140


def test_greyscale_with_clearly_distinct_lightness_has_an_accent() -> None:
    # Black text on white paper: no vivid colour, but a clear lightness contrast.
    palette = extract_colors(30, 30, two_tone(30, 30, (250, 250, 250), (10, 10, 10), 0.2))
    assert palette == Palette("#fafafa", "#0a0a0a")


def test_dark_greys_stay_apart() -> None:
    # The grid is perceptual, so darks are not lumped together the way a plain sRGB grid would.
    palette = extract_colors(30, 30, two_tone(30, 30, (90, 90, 90), (5, 5, 5), 0.3))
    assert palette == Palette("#5a5a5a", "#050505")


def test_fully_transparent_has_no_colours() -> None:
    assert extract_colors(16, 16, solid(16, 16, (255, 0, 0, 0))) == Palette(None, None)
    # Alpha below ALPHA_OPAQUE_MIN counts as transparent too.
    low = colors.ALPHA_OPAQUE_MIN - 1
    assert extract_colors(16, 16, solid(16, 16, (255, 0, 0, low))) == Palette(None, None)


def test_empty_image() -> None:
    assert extract_colors(0, 0, b"") == Palette(None, None)
    assert extract_colors(0, 7, b"") == Palette(None, None)


def test_transparent_pixels_are_ignored() -> None:
    # A blue square on a big transparent red area: only the square counts.
    rgba = from_function(
        40, 40, lambda x, y: (0, 0, 255, 255) if 15 <= x < 25 and 15 <= y < 25 else (255, 0, 0, 40)
    )
    assert extract_colors(40, 40, rgba) == Palette("#0000ff", None)


def test_vivid_accent_on_muted_background() -> None:
    # 80% beige, 15% muted grey-brown, 5% vivid red: the accent is the red, not the bigger brown.
    def fn(x: int, y: int) -> tuple[int, int, int, int]:
        if x < 5:
            return (200, 20, 30, 255)
        if x < 20:
            return (120, 110, 100, 255)
        return (*BEIGE, 255)

    assert extract_colors(100, 30, from_function(100, 30, fn)) == Palette(hex_of(BEIGE), "#c8141e")


def test_speck_of_colour_is_not_an_accent() -> None:
    rgba = bytearray(solid(50, 50, (*BEIGE, 255)))
    rgba[0:8] = bytes((255, 0, 0, 255)) * 2  # 2 of 2500 pixels, far below ACCENT_MIN_SHARE
    assert extract_colors(50, 50, bytes(rgba)) == Palette(hex_of(BEIGE), None)


def test_deterministic_and_well_formed() -> None:
    rng = random.Random(11)
    for w, h, alpha in [(100, 100, False), (64, 40, True), (7, 3, False), (250, 200, False)]:
        rgba = photo_like(rng, w, h, alpha=alpha)
        first = extract_colors(w, h, rgba)
        assert first.dominant is not None
        assert HEX.fullmatch(first.dominant)
        assert first.accent is None or HEX.fullmatch(first.accent)
        assert first.accent != first.dominant
        for _ in range(3):
            assert extract_colors(w, h, bytearray(rgba)) == first


def test_pixel_order_does_not_matter() -> None:
    rng = random.Random(17)
    w, h = 32, 32
    rgba = photo_like(rng, w, h)
    pixels = [rgba[i : i + 4] for i in range(0, len(rgba), 4)]
    rng.shuffle(pixels)
    assert extract_colors(w, h, b"".join(pixels)) == extract_colors(w, h, rgba)


def test_cluster_sums_are_exact() -> None:
    # The big-integer lane sums against a plain per-pixel loop, at the sample limit.
    rng = random.Random(23)
    n = colors.MAX_COLOR_SAMPLES
    red, green, blue = (
        bytes(rng.choice((0, 255, rng.randrange(256))) for _ in range(n)) for _ in "rgb"
    )
    cell_ids = bytes(rng.choice((rng.randrange(10), 0xFF)) for _ in range(n))  # 0xFF: transparent
    cells = sorted(set(cell_ids) - {0xFF})
    assignment = [rng.randrange(3) for _ in cells]
    cluster_of = dict(zip(cells, assignment, strict=True))
    expected: dict[int, list[int]] = {}
    for cell, r, g, b in zip(cell_ids, red, green, blue, strict=True):
        if cell != 0xFF:
            acc = expected.setdefault(cluster_of[cell], [0, 0, 0, 0])
            for k, v in enumerate((1, r, g, b)):
                acc[k] += v
    sample = colors._Sample(cell_ids, (red, green, blue))
    got = colors._measure(sample, cells, assignment)
    assert sorted([c.weight, *c.sums] for c in got) == sorted(expected.values())


def test_grid_tables() -> None:
    # Cell ids stay below the transparent marker 0xFF, and no sRGB byte sits so close to a grid
    # step that a last-bit pow() difference between libms could move it to another cell.
    top = colors._RED_PART[255] + colors._GREEN_PART[255] + colors._BLUE_PART[255]
    assert top == colors.LEVELS**3 - 1 < 0xFF
    assert len(colors._CELL_LAB) == colors.LEVELS**3
    for x in colors._LINEAR[1:-1]:
        position = colors.LEVELS * x ** (1 / 3)
        assert abs(position - round(position)) > 1e-4
    assert 255 * colors.MAX_COLOR_SAMPLES < 2**colors._LANE_BITS


def test_noise_is_handled() -> None:
    rng = random.Random(5)
    rgba = bytes(rng.randrange(256) for _ in range(100 * 100 * 4))
    palette = extract_colors(100, 100, rgba)
    assert palette.dominant is not None


def test_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="expected 16 bytes"):
        extract_colors(2, 2, bytes(12))
    with pytest.raises(ValueError, match="invalid image size"):
        extract_colors(-1, 2, b"")


def test_named_constants_are_sane() -> None:
    assert colors.KMEANS_K >= 2
    assert colors.KMEANS_ROUNDS >= 1
    assert colors.KMEANS_K <= colors.KMEANS_MAX_CELLS <= colors.LEVELS**3
    assert 0 < colors.MERGE_DISTANCE < colors.ACCENT_MIN_DISTANCE < colors.UNMIX_MIN_SPREAD
    assert colors.MAX_COLOR_SAMPLES >= 1024
    assert 2 <= colors.LEVELS <= 6
    assert 0 < colors.BLEND_END_MIN_SHARE < colors.ACCENT_MIN_COVERAGE <= colors.ACCENT_MIN_SHARE
    assert 0 < colors.BLEND_END_GAP < 0.5
    assert all(p > 1 for p in colors.BLEND_PROBES)


# --- colours that are mixtures: edges of shapes, specks finer than a pixel ----------------------

NAVY = (20, 32, 88)
GOLD = (230, 180, 60)


def mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, ...]:
    return tuple(round((1 - t) * x + t * y) for x, y in zip(a, b, strict=True))


def speckle_pixels(rng: random.Random, n: int) -> list[bytes]:
    """Pixels of a reduction of gold specks (a third of the area) on navy, each covering an
    eighth of a pixel: k ~ Binomial(8, 1/3) eighths of every pixel are gold."""
    out = []
    for _ in range(n):
        k = sum(rng.random() < 1 / 3 for _ in range(8))
        out.append(bytes((*mix(NAVY, GOLD, k / 8), 255)))
    return out


def test_incoherent_blend_dominant_is_unmixed() -> None:
    # Placed at random, as sub-pixel specks leave them, the mixtures are incoherent: the
    # largest cluster (a third gold) is split between the blue and gold ends it lies between.
    rng = random.Random(2)
    pixels = speckle_pixels(rng, 64 * 64)
    palette = extract_colors(64, 64, b"".join(pixels))
    assert palette.dominant is not None
    assert delta_e(parse_hex(palette.dominant), NAVY) < 20
    assert palette.accent is None  # the gold end is itself a blend: nothing purer to report


def test_coherent_middle_colour_is_not_unmixed() -> None:
    # The same pixels sorted into bands are regions, not specks: the middle colour is real.
    rng = random.Random(2)
    pixels = sorted(speckle_pixels(rng, 64 * 64))
    palette = extract_colors(64, 64, b"".join(pixels))
    assert palette.dominant is not None
    assert delta_e(parse_hex(palette.dominant), NAVY) > 20


def test_orange_between_red_and_yellow_stays_dominant() -> None:
    def fn(x: int, y: int) -> tuple[int, int, int, int]:
        if x < 10:
            return (200, 40, 30, 255)
        if x < 30:
            return (225, 130, 45, 255)
        return (250, 220, 60, 255)

    palette = extract_colors(40, 20, from_function(40, 20, fn))
    assert palette.dominant == "#e1822d"


def dots_with_halos(side: int) -> bytes:
    """White, with ten red squares of `side` px, each in a 1 px pink halo (the edge mixture)."""
    w = h = 60
    red, pink = (200, 30, 40, 255), (228, 143, 148, 255)

    def fn(x: int, y: int) -> tuple[int, int, int, int]:
        i, j = x % 12 - 2, y % 30 - 2  # a 12 x 30 tile per square: 5 by 2 of them
        if 0 <= i < side and 0 <= j < side:
            return red
        if -1 <= i <= side and -1 <= j <= side:
            return pink
        return (255, 255, 255, 255)

    return from_function(w, h, fn)


def test_edge_blend_without_the_shape_is_no_accent() -> None:
    # The pink halos are mixtures of the background with the red, which itself is too little
    # (2 x 2 px squares, 1 % of the image) to be an accent.
    assert extract_colors(60, 60, dots_with_halos(2)) == Palette("#ffffff", None)
    # With the shapes a real share of the image, the accent is their colour.
    assert extract_colors(60, 60, dots_with_halos(5)) == Palette("#ffffff", "#c81e28")


def test_a_colour_with_an_inside_is_kept_whatever_line_it_is_on() -> None:
    # Shades of one grey lie on one line in sRGB; a mid grey region between a light background
    # and dark details is a colour of its own (it has an inside), not their mixture.
    def fn(x: int, y: int) -> tuple[int, int, int, int]:
        if 10 <= x < 40 and 10 <= y < 40:
            return (40, 40, 45, 255) if 20 <= x < 24 else (120, 119, 124, 255)
        return (223, 222, 219, 255)

    assert extract_colors(50, 50, from_function(50, 50, fn)) == Palette("#dfdedb", "#78777c")


def test_mean_near_is_exact() -> None:
    rng = random.Random(29)
    n = 1000
    red, green, blue = (bytes(rng.randrange(256) for _ in range(n)) for _ in "rgb")
    cell_ids = bytes(rng.choice((1, 2, 0xFF)) for _ in range(n))
    sample = colors._Sample(cell_ids, (red, green, blue))
    centre = (120.0, 60.0, 200.0)
    count, mean = sample.mean_near(centre)
    near = [
        (r, g, b)
        for cell, r, g, b in zip(cell_ids, red, green, blue, strict=True)
        if cell != 0xFF
        and all(
            abs(colors._CBRT[v] - colors._srgb_linear(c) ** (1 / 3)) <= colors.NEAR_STEP
            for v, c in zip((r, g, b), centre, strict=True)
        )
    ]
    assert count == len(near) == sample.count_near(centre)
    assert count > 0
    assert mean == tuple(sum(p[k] for p in near) / count for k in range(3))


def test_kmeans_over_many_cells_assigns_every_cell() -> None:
    rng = random.Random(31)
    points = [colors._CELL_LAB[cell] for cell in range(colors.LEVELS**3)]
    weights = [rng.randint(1, 50) for _ in points]
    assignment = colors._kmeans(points, weights)
    assert len(assignment) == len(points)
    assert set(assignment) <= set(range(colors.KMEANS_K))
    assert assignment == colors._kmeans(points, weights)

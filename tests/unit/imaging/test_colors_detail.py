"""Colours of images whose detail is finer than the 32 px hash image, judged on the full image.

Each test builds a full-size image with known colours and shrinks it the way the pipeline does:
to ANALYSIS_MAX_SIDE for the hash and to COLOUR_MAX_SIDE for the colours. The shrinking is a box
average (tests.support.imaging_fixtures.box_reduce), a model of the Images binding: sharp, behind
the local binding, resizes with a filtered (Lanczos) average, and test_sharp_reduction_agrees
checks the main cases through sharp itself. A reported colour is judged by its coverage: the
share of the full image's pixels within CIE76 delta E 20 of it (the measure of the issue, where
Color Thief's dominant colour covered 52 % of the speckled poster and ours 6 %).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache

import pytest

from rewind_images.config import ANALYSIS_MAX_SIDE
from rewind_images.imaging import COLOUR_MAX_SIDE, Palette, extract_colors
from tests.support.imaging_fixtures import (
    RGB,
    box_reduce,
    coverage,
    delta_e,
    logo,
    parse_hex,
    pinstripes,
    speck_poster,
    wordmark,
)
from tests.support.node import run_sharp_script

# The full images' side: a multiple of both reductions, 8 px per colour pixel and, with the
# pipeline's sizes, 14 px per hash pixel.
SIDE = 8 * COLOUR_MAX_SIDE
assert SIDE % ANALYSIS_MAX_SIDE == 0
NAVY: RGB = (20, 32, 88)
GOLD: RGB = (230, 180, 60)
PAPER: RGB = (250, 250, 250)
RED: RGB = (210, 30, 40)
WHITE: RGB = (255, 255, 255)
INK: RGB = (12, 12, 12)
ORANGE: RGB = (245, 120, 20)
# "A real share": an accent is to cover at least this much of the full image.
REAL_SHARE = 0.02


@dataclass(frozen=True)
class Case:
    name: str
    rgba: bytes  # SIDE x SIDE, opaque

    def reduced(self, max_side: int) -> tuple[int, int, bytes]:
        return _reduced(self.rgba, max_side)

    def colours(self) -> Palette:
        """What the analysis reports: the colours of the COLOUR_MAX_SIDE reduction."""
        return extract_colors(*self.reduced(COLOUR_MAX_SIDE))

    def covers(self, colour: str | RGB | None) -> float:
        return 0.0 if colour is None else coverage(self.rgba, colour)


@cache
def _reduced(rgba: bytes, max_side: int) -> tuple[int, int, bytes]:
    return box_reduce(SIDE, SIDE, rgba, max_side)


@cache
def case(name: str) -> Case:
    """The test images, built once (a few tenths of a second each)."""
    # Sizes in full-image pixels; a colour pixel is 8 of them, a hash pixel 14.
    if name == "specks fine":  # gold discs 5 px across: 0.6 colour pixels
        return Case(name, speck_poster(SIDE, 2.5, 1 / 3, NAVY, GOLD, seed=1))
    if name == "specks":  # 8 px across: one colour pixel, half a hash pixel
        return Case(name, speck_poster(SIDE, 4.0, 1 / 3, NAVY, GOLD, seed=4))
    if name == "pinstripes":  # 10 px red lines every 48 px
        return Case(name, pinstripes(SIDE, 48, 10, PAPER, RED))
    if name == "bold text":  # letters drawn with 10 px strokes
        return Case(name, bytes(wordmark(SIDE, 10, WHITE, INK)))
    if name == "thin text":  # 3 px strokes: finer than the colour image too
        return Case(name, bytes(wordmark(SIDE, 3, WHITE, INK)))
    if name == "logo":  # bold text and an orange dot over 3 % of the tile
        return Case(name, logo(SIDE, 10, WHITE, INK, ORANGE, SIDE * 0.1))
    raise KeyError(name)


NAMES = ["specks fine", "specks", "pinstripes", "bold text", "thin text", "logo"]


def hash_image_covers(c: Case, colour: RGB) -> float:
    """Share of the hash image's pixels near `colour` (the premise: detail finer than it)."""
    return coverage(c.reduced(ANALYSIS_MAX_SIDE)[2], colour)


@pytest.mark.parametrize("name", ["specks fine", "specks"])
def test_speck_poster_dominant_is_the_blue(name: str) -> None:
    c = case(name)
    assert 0.64 < c.covers(NAVY) < 0.68  # the poster: two thirds blue, a third gold
    # The specks are finer than the hash image: hardly any of its pixels is near gold.
    assert hash_image_covers(c, GOLD) < 0.01
    palette = c.colours()
    assert palette.dominant is not None
    assert delta_e(parse_hex(palette.dominant), NAVY) < 20
    assert c.covers(palette.dominant) >= 0.4  # the issue: 6 % before, Color Thief 52 %


def test_speck_poster_accent_is_the_gold_once_a_speck_fills_a_pixel() -> None:
    c = case("specks")
    accent = c.colours().accent
    assert accent is not None
    assert delta_e(parse_hex(accent), GOLD) < 20
    assert c.covers(accent) >= 0.3


def test_specks_finer_than_a_colour_pixel_give_no_invented_accent() -> None:
    # Every gold-ish pixel of the colour image is a blend with the blue (none within delta E
    # 20 of the gold): the blends are not reported, and nothing else is there to report.
    c = case("specks fine")
    assert coverage(c.reduced(COLOUR_MAX_SIDE)[2], GOLD) < 0.02
    assert c.colours().accent is None


def test_pinstripes_accent_is_the_stripe_colour() -> None:
    c = case("pinstripes")
    # Every stripe pixel of the hash image is at most 10/14 red, the rest paper: a pink the
    # image does not have.
    assert hash_image_covers(c, RED) == 0
    palette = c.colours()
    assert palette.dominant is not None
    assert palette.accent is not None
    assert delta_e(parse_hex(palette.dominant), PAPER) < 5
    assert delta_e(parse_hex(palette.accent), RED) < 10
    assert c.covers(palette.accent) >= 0.2  # the stripes are 22 % of the image


def test_bold_text_accent_is_the_ink() -> None:
    c = case("bold text")
    assert hash_image_covers(c, INK) < 0.02  # the strokes are greys in the hash image
    palette = c.colours()
    assert palette == Palette("#ffffff", palette.accent)
    assert palette.accent is not None
    assert delta_e(parse_hex(palette.accent), INK) < 10
    assert c.covers(palette.accent) >= 0.05  # the ink is 7 % of the image


def test_text_finer_than_the_colour_image_gives_no_grey_accent() -> None:
    # Every ink pixel of the colour image is a grey mixture: no grey is in the image.
    c = case("thin text")
    assert coverage(c.reduced(COLOUR_MAX_SIDE)[2], INK) == 0
    palette = c.colours()
    assert palette.accent is None
    assert palette.dominant is not None
    assert delta_e(parse_hex(palette.dominant), WHITE) < 5


def test_logo_accent_is_the_small_dot_not_the_text() -> None:
    c = case("logo")
    palette = c.colours()
    assert palette.dominant == "#ffffff"
    assert palette.accent is not None
    assert delta_e(parse_hex(palette.accent), ORANGE) < 10
    assert c.covers(palette.accent) >= 0.03  # the dot is 3.3 % of the image


@pytest.mark.parametrize("name", NAMES)
def test_reported_colours_cover_a_real_share(name: str) -> None:
    # Whatever is reported is in the image: the accent covers a real share of it, and the
    # dominant colour a large one.
    c = case(name)
    palette = c.colours()
    assert c.covers(palette.dominant) >= 0.4
    assert palette.accent is None or c.covers(palette.accent) >= REAL_SHARE


# --- the same through sharp, the local Images binding's resampler ----------------------------

SHARP_SCRIPT = r"""
const sharp = require('sharp');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  for (const line of input.split('\n').filter(Boolean)) {
    const { side, max, rgba } = JSON.parse(line);
    const raw = { raw: { width: side, height: side, channels: 4 } };
    // What the binding does for to_png(body, max): fit "scale-down", PNG out.
    const png = await sharp(Buffer.from(rgba, 'base64'), raw)
      .resize(max, max, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
    process.stdout.write(png.toString('base64') + '\n');
  }
});
"""


@pytest.fixture(scope="module")
def sharp_colour_pngs() -> dict[str, bytes]:
    names = ["specks fine", "specks", "pinstripes", "bold text", "logo"]
    lines = [
        json.dumps(
            {"side": SIDE, "max": COLOUR_MAX_SIDE, "rgba": base64.b64encode(case(n).rgba).decode()}
        )
        for n in names
    ]
    out = run_sharp_script(SHARP_SCRIPT, input="\n".join(lines) + "\n")
    return dict(zip(names, map(base64.b64decode, out.split()), strict=True))


def test_sharp_reduction_agrees(sharp_colour_pngs: dict[str, bytes]) -> None:
    from rewind_images.imaging import decode_png

    expected = {
        "specks fine": (NAVY, None),
        "specks": (NAVY, GOLD),
        "pinstripes": (PAPER, RED),
        "bold text": (WHITE, INK),
        "logo": (WHITE, ORANGE),
    }
    for name, png in sharp_colour_pngs.items():
        image = decode_png(png)
        assert max(image.width, image.height) == COLOUR_MAX_SIDE
        palette = extract_colors(image.width, image.height, image.rgba)
        dominant, accent = expected[name]
        assert palette.dominant is not None, name
        assert delta_e(parse_hex(palette.dominant), dominant) < 20, name
        if accent is None:
            assert palette.accent is None, name
        else:
            assert palette.accent is not None, name
            assert delta_e(parse_hex(palette.accent), accent) < 20, name
            assert case(name).covers(palette.accent) >= REAL_SHARE, name

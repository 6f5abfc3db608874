"""The analysis step: hash from one reduction, colours from a larger one, and the pipeline glue."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace
from typing import Any

import pytest

from rewind_images.config import ANALYSIS_MAX_SIDE
from rewind_images.images.resolution.analysis import AnalysisFailed, analyse, analyse_png
from rewind_images.imaging import (
    COLOUR_MAX_SIDE,
    ImageAnalysis,
    PngError,
    analyse_images,
    extract_colors,
    rgba_to_thumbhash,
    thumbhash_to_base64,
)
from tests.support.imaging_fixtures import encode_png, photo_like, two_tone


def png_of(width: int, height: int, rgba: bytes) -> bytes:
    rows = [
        [tuple(rgba[(y * width + x) * 4 : (y * width + x) * 4 + 4]) for x in range(width)]
        for y in range(height)
    ]
    return encode_png(rows, color_type=6, depth=8, filters=4)


def test_hash_from_the_first_image_colours_from_the_second() -> None:
    rng = random.Random(7)
    hash_rgba = photo_like(rng, 32, 21)
    colour_rgba = two_tone(64, 42, (20, 30, 120), (250, 140, 0), 0.3)
    result = analyse_images(png_of(32, 21, hash_rgba), png_of(64, 42, colour_rgba))
    palette = extract_colors(64, 42, colour_rgba)
    assert result == ImageAnalysis(
        thumbhash_to_base64(rgba_to_thumbhash(32, 21, hash_rgba)),
        palette.dominant,
        palette.accent,
    )
    assert (result.dominant, result.accent) == ("#141e78", "#fa8c00")


def test_undecodable_input_raises_png_error() -> None:
    good = png_of(2, 2, bytes(16))
    with pytest.raises(PngError):
        analyse_images(b"not a png", good)
    with pytest.raises(PngError):
        analyse_images(good, b"not a png")
    with pytest.raises(AnalysisFailed, match="analysis image undecodable"):
        analyse_png(good, b"not a png")


def test_colour_image_is_larger_than_the_hash_image() -> None:
    assert COLOUR_MAX_SIDE > ANALYSIS_MAX_SIDE


class FakeImages:
    """The Images binding's to_png: a flat image of the asked size, recording the sizes."""

    def __init__(self) -> None:
        self.sides: list[int] = []

    async def to_png(self, data: bytes, max_side: int) -> bytes:
        self.sides.append(max_side)
        side = min(max_side, 48)  # a 48 px source: never enlarged
        return png_of(side, side, bytes((10, 200, 30, 255)) * (side * side))


def test_pipeline_asks_for_both_reductions() -> None:
    images = FakeImages()
    ctx: Any = SimpleNamespace(transformer=images)
    result = asyncio.run(analyse(ctx, b"original bytes"))
    assert sorted(images.sides) == [ANALYSIS_MAX_SIDE, COLOUR_MAX_SIDE]
    flat = bytes((10, 200, 30, 255)) * (32 * 32)
    assert result == ImageAnalysis(
        thumbhash_to_base64(rgba_to_thumbhash(32, 32, flat)), "#0ac81e", None
    )

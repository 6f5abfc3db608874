"""Analysis of an image: the Images binding shrinks it (aspect ratio kept) to a small PNG,
which is decoded and turned into a ThumbHash and dominant/accent colours."""

from __future__ import annotations

from dataclasses import dataclass

from rewind_images.config import ANALYSIS_MAX_SIDE
from rewind_images.context import Context
from rewind_images.errors import DependencyError
from rewind_images.imaging import (
    PngError,
    decode_png,
    extract_colors,
    rgba_to_thumbhash,
    thumbhash_to_base64,
)


class AnalysisFailed(Exception):
    """The image could not be analysed (the transformer refused it, or its PNG is broken)."""


@dataclass(frozen=True)
class Analysis:
    """Placeholder data of an image."""

    thumbhash: str
    dominant: str | None
    accent: str | None


async def analyse(ctx: Context, body: bytes) -> Analysis:
    """Shrink through the transformer, decode, hash, colour. Bytes the transformer cannot
    shrink (a truncated file whose header still reads) fail like a broken PNG."""
    try:
        png = await ctx.transformer.to_png(body, ANALYSIS_MAX_SIDE)
    except DependencyError as exc:
        raise AnalysisFailed(f"the transformer could not shrink the image: {exc}") from exc
    return analyse_png(png)


def analyse_png(png: bytes) -> Analysis:
    """The pure part of the analysis (also benchmarked on its own)."""
    try:
        image = decode_png(png)
    except (PngError, ValueError) as exc:
        raise AnalysisFailed(f"analysis image undecodable: {exc}") from exc
    hash_bytes = rgba_to_thumbhash(image.width, image.height, image.rgba)
    palette = extract_colors(image.width, image.height, image.rgba)
    return Analysis(thumbhash_to_base64(hash_bytes), palette.dominant, palette.accent)

"""Analysis of an image: the Images binding shrinks it (aspect ratio kept) to two small PNGs,
a 32 px one for the ThumbHash and a larger one (`COLOUR_MAX_SIDE`) for the dominant and accent
colours, so that detail finer than the hash image does not blend into colours the image does
not have (`imaging.features`). The result is `imaging.features.ImageAnalysis`."""

from __future__ import annotations

import asyncio

from rewind_images.config import ANALYSIS_MAX_SIDE
from rewind_images.context import Context
from rewind_images.errors import DependencyError
from rewind_images.imaging import COLOUR_MAX_SIDE, PngError, analyse_images
from rewind_images.imaging.features import ImageAnalysis


class AnalysisFailed(Exception):
    """The image could not be analysed (the transformer refused it, or its PNG is broken)."""


async def analyse(ctx: Context, body: bytes) -> ImageAnalysis:
    """Shrink through the transformer, decode, hash, colour. Bytes the transformer cannot
    shrink (a truncated file whose header still reads) fail like a broken PNG."""
    try:
        hash_png, colour_png = await asyncio.gather(
            ctx.transformer.to_png(body, ANALYSIS_MAX_SIDE),
            ctx.transformer.to_png(body, COLOUR_MAX_SIDE),
        )
    except DependencyError as exc:
        raise AnalysisFailed(f"the transformer could not shrink the image: {exc}") from exc
    return analyse_png(hash_png, colour_png)


def analyse_png(hash_png: bytes, colour_png: bytes) -> ImageAnalysis:
    """The pure part of the analysis (also benchmarked on its own)."""
    try:
        return analyse_images(hash_png, colour_png)
    except (PngError, ValueError) as exc:
        raise AnalysisFailed(f"analysis image undecodable: {exc}") from exc

"""The pure part of the analysis step: a ThumbHash and colours from two reductions of one image.

The hash and the colours want different inputs. ThumbHash keeps only low frequencies, so a
small image (the pipeline asks for 32 px) gives the same kind of hash as a big one, at a
fraction of the cost. Colours are different: a downscale averages pixels, so detail finer than
one pixel of the reduction (specks, halftone, text, thin lines) turns into mixtures that may
not be in the image at all. So the colours come from a larger reduction, COLOUR_MAX_SIDE, which
keeps detail down to 1/COLOUR_MAX_SIDE of the image's long side apart; the colour extraction
also recognises (and does not report) most mixtures of finer detail, see colors.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from rewind_images.imaging.colors import extract_colors
from rewind_images.imaging.png import decode_png
from rewind_images.imaging.thumbhash import rgba_to_thumbhash, thumbhash_to_base64

__all__ = ["COLOUR_MAX_SIDE", "ImageAnalysis", "analyse_images"]

# Long side of the colour image: as large as the CPU budget allows (15 ms per analysis in the
# Worker). Decoding it is the price, about 1 us per pixel in the Worker for the benchmark's
# Paeth-filtered PNG: 56 px adds about 3.3 ms, 64 px would add 4.3 ms and leave no margin
# (docs/benchmarks.md). colors.MAX_COLOR_SAMPLES takes every other pixel of it, which keeps its
# detail (each sample is one pixel) at about the colour step's old cost.
COLOUR_MAX_SIDE = 56


@dataclass(frozen=True, slots=True)
class ImageAnalysis:
    """ThumbHash (base64) and colours ("#rrggbb" or None) of one image."""

    thumbhash: str
    dominant: str | None
    accent: str | None


def analyse_images(hash_png: bytes, colour_png: bytes) -> ImageAnalysis:
    """Hash `hash_png` and take the colours of `colour_png`, a larger reduction of the same image.

    The hash is byte-identical to the reference encoder's on `hash_png`'s pixels, which must be
    at most 100 x 100. Raises PngError (a ValueError) if either PNG does not decode, and
    ValueError if the hash image is too large.
    """
    hash_image = decode_png(hash_png)
    colour_image = decode_png(colour_png)
    digest = rgba_to_thumbhash(hash_image.width, hash_image.height, hash_image.rgba)
    palette = extract_colors(colour_image.width, colour_image.height, colour_image.rgba)
    return ImageAnalysis(thumbhash_to_base64(digest), palette.dominant, palette.accent)

"""Pure-Python imaging core: PNG decoding, ThumbHash encoding, colour extraction, analysis."""

from __future__ import annotations

from rewind_images.imaging.colors import Palette, extract_colors
from rewind_images.imaging.features import COLOUR_MAX_SIDE, ImageAnalysis, analyse_images
from rewind_images.imaging.png import MAX_PNG_PIXELS, DecodedImage, PngError, decode_png
from rewind_images.imaging.thumbhash import rgba_to_thumbhash, thumbhash_to_base64

__all__ = [
    "COLOUR_MAX_SIDE",
    "MAX_PNG_PIXELS",
    "DecodedImage",
    "ImageAnalysis",
    "Palette",
    "PngError",
    "analyse_images",
    "decode_png",
    "extract_colors",
    "rgba_to_thumbhash",
    "thumbhash_to_base64",
]

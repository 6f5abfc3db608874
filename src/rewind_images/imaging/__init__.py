"""Pure-Python imaging core: PNG decoding, ThumbHash encoding and colour extraction."""

from __future__ import annotations

from rewind_images.imaging.colors import Palette, extract_colors
from rewind_images.imaging.png import MAX_PNG_PIXELS, DecodedImage, PngError, decode_png
from rewind_images.imaging.thumbhash import rgba_to_thumbhash, thumbhash_to_base64

__all__ = [
    "MAX_PNG_PIXELS",
    "DecodedImage",
    "Palette",
    "PngError",
    "decode_png",
    "extract_colors",
    "rgba_to_thumbhash",
    "thumbhash_to_base64",
]

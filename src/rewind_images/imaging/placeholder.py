"""A ThumbHash as a PNG data URL: what `next/image` takes as `blurDataURL`, with no client code.

The hash is decoded with the format's reference algorithm (`thumbhash_to_rgba`, byte-identical
to npm thumbhash's `thumbHashToRGBA`: 32 px on the long side, the other side following the
hash's aspect ratio) and encoded as a small PNG (`png_writer`).
"""

from __future__ import annotations

import base64
import binascii

from rewind_images.imaging.png_writer import encode_png
from rewind_images.imaging.thumbhash import thumbhash_to_rgba

__all__ = ["DATA_URL_PREFIX", "placeholder_data_url"]

DATA_URL_PREFIX = "data:image/png;base64,"


def placeholder_data_url(thumbhash_base64: str) -> str:
    """The data URL of a ThumbHash given in standard base64 (as stored and as `X-ThumbHash`).

    Raises ValueError when the text is not base64 or not a ThumbHash.
    """
    try:
        thumbhash = base64.b64decode(thumbhash_base64, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from exc
    width, height, rgba = thumbhash_to_rgba(thumbhash)
    return DATA_URL_PREFIX + base64.b64encode(encode_png(width, height, rgba)).decode("ascii")

"""Photos stored sideways with an EXIF Orientation tag, as phones write them (tests only)."""

from __future__ import annotations

import io

from PIL import Image

ORIENTATION_TAG = 0x0112
# What each orientation does to the displayed image: a quarter turn for 5-8 (size swapped).
QUARTER_TURNS = (5, 6, 7, 8)


def sideways_photo(
    orientation: int, size: tuple[int, int] = (400, 200), image_format: str = "JPEG"
) -> bytes:
    """An image stored at `size` whose left half is red and right half blue, tagged with
    `orientation` (so a quarter turn moves the colours to the top and bottom)."""
    width, height = size
    image = Image.new("RGB", size, (20, 40, 200))
    image.paste((220, 30, 30), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    out = io.BytesIO()
    image.save(out, format=image_format, exif=exif.tobytes(), quality=90)
    return out.getvalue()

"""Sizes, storage keys and CDN URLs of an entity's image. Pure.

URLs are built exactly like the original service's so existing clients and CDN rules keep
working: `{CDN}/cdn-cgi/image/width=W,height=H,fit=cover,format=auto,quality=85/{key}?v={version}`
for sized variants and `{CDN}/{key}?v={version}` for the original. Objects live at
`{domain}/{entity_type}/{entity_id}/original.{ext}`.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote

from rewind_images.config import VARIANT_QUALITY
from rewind_images.images.row import Entity
from rewind_images.imaging.sniff import EXTENSIONS


class Size(StrEnum):
    """Named sizes; their pixels are in `DIMENSIONS`."""

    thumbnail = "thumbnail"
    small = "small"
    medium = "medium"
    large = "large"
    poster = "poster"
    poster_lg = "poster-lg"
    backdrop = "backdrop"
    original = "original"
    # Added by the original service after its spec was published; accepted as an extension.
    poster_sm = "poster-sm"


# (width, height) of each size; None = the original, untransformed.
DIMENSIONS: dict[Size, tuple[int, int] | None] = {
    Size.thumbnail: (64, 64),
    Size.small: (150, 150),
    Size.medium: (300, 300),
    Size.large: (600, 600),
    Size.poster: (342, 513),
    Size.poster_lg: (500, 750),
    Size.backdrop: (780, 439),
    Size.original: None,
    Size.poster_sm: (240, 360),
}
assert set(DIMENSIONS) == set(Size), "every size has its dimensions"
SIZE_NAMES = tuple(size.value for size in Size)

TRANSFORM_FIT = "cover"
TRANSFORM_FORMAT = "auto"
TRANSFORM_QUALITY = VARIANT_QUALITY
# The stored original behind every CDN URL: its URL carries the version, so it never changes.
ORIGINAL_CACHE_CONTROL = "public, max-age=31536000, immutable"

# encodeURIComponent's unreserved set, so keys encode as the original's JavaScript did.
_URI_COMPONENT_SAFE = "-_.!~*'()"


def object_key(entity: Entity, extension: str) -> str:
    """The R2 object key of an entity's original image."""
    domain, entity_type, entity_id = entity
    return f"{domain}/{entity_type}/{entity_id}/original.{extension}"


def every_object_key(entity: Entity) -> list[str]:
    """The keys an entity's object may have (one per accepted image type)."""
    return [object_key(entity, ext) for ext in EXTENSIONS.values()]


def encode_key(key: str) -> str:
    """Percent-encode each path segment of a key (`tmdb:15 #1` -> `tmdb%3A15%20%231`)."""
    return "/".join(quote(segment, safe=_URI_COMPONENT_SAFE) for segment in key.split("/"))


def cdn_url(cdn_base_url: str, key: str, size: str, version: int) -> str:
    """The CDN URL of `size` for an object key at an image version."""
    encoded = encode_key(key)
    dims = DIMENSIONS[Size(size)]
    if dims is None:
        return f"{cdn_base_url}/{encoded}?v={version}"
    width, height = dims
    options = (
        f"width={width},height={height},fit={TRANSFORM_FIT},"
        f"format={TRANSFORM_FORMAT},quality={TRANSFORM_QUALITY}"
    )
    return f"{cdn_base_url}/cdn-cgi/image/{options}/{encoded}?v={version}"

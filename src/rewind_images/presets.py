"""Sizes, storage keys and CDN URLs. Pure.

URLs are built exactly like the original service's so existing clients and CDN rules keep
working: `{CDN}/cdn-cgi/image/width=W,height=H,fit=cover,format=auto,quality=85/{key}?v={version}`
for sized variants and `{CDN}/{key}?v={version}` for the original.
"""

from __future__ import annotations

from urllib.parse import quote

# name -> (width, height); None = the original, untransformed.
SIZES: dict[str, tuple[int, int] | None] = {
    "thumbnail": (64, 64),
    "small": (150, 150),
    "medium": (300, 300),
    "large": (600, 600),
    "poster": (342, 513),
    "poster-lg": (500, 750),
    "backdrop": (780, 439),
    "original": None,
    # Added by the original after its spec was published; accepted as an extension.
    "poster-sm": (240, 360),
}
SIZE_NAMES = tuple(SIZES)

TRANSFORM_FIT = "cover"
TRANSFORM_FORMAT = "auto"
TRANSFORM_QUALITY = 85

# encodeURIComponent's unreserved set, so keys encode as the original's JavaScript did.
_URI_COMPONENT_SAFE = "-_.!~*'()"


def r2_key(domain: str, entity_type: str, entity_id: str, extension: str) -> str:
    """The R2 object key of an entity's original image."""
    return f"{domain}/{entity_type}/{entity_id}/original.{extension}"


def encode_key(key: str) -> str:
    """Percent-encode each path segment of a key (`tmdb:15 #1` -> `tmdb%3A15%20%231`)."""
    return "/".join(quote(segment, safe=_URI_COMPONENT_SAFE) for segment in key.split("/"))


def cdn_url(cdn_base_url: str, key: str, size: str, version: int) -> str:
    """The CDN URL of `size` for an object key at an image version."""
    encoded = encode_key(key)
    dims = SIZES[size]
    if dims is None:
        return f"{cdn_base_url}/{encoded}?v={version}"
    width, height = dims
    options = (
        f"width={width},height={height},fit={TRANSFORM_FIT},"
        f"format={TRANSFORM_FORMAT},quality={TRANSFORM_QUALITY}"
    )
    return f"{cdn_base_url}/cdn-cgi/image/{options}/{encoded}?v={version}"

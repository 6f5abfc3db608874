"""Placeholders (a ThumbHash as a PNG data URL) for attachments: from the isolate's memo, else
from D1's `image_placeholders`, else made here and stored for every isolate.

Making one costs about 16 ms in the Worker (the reference decode in pure Python, about 50,000
multiply-adds, then the PNG encode; docs/benchmarks.md), so it happens once per hash: in the
background when a record is written (`prepare`, from `storage.save` and re-analysis), or by the
first reader of a record written some other way (older rows, a console). A hash is its own key,
so a stored placeholder is never stale.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from rewind_images.config import PLACEHOLDER_CACHE_MAX_ENTRIES
from rewind_images.context import Context, isolate_object
from rewind_images.images import placeholder_store
from rewind_images.imaging.placeholder import placeholder_data_url
from rewind_images.memo import BoundedDict


@dataclass
class PlaceholderCache:
    """The isolate's data URLs by hash, oldest dropped first past the bound."""

    urls: BoundedDict[str, str | None] = field(
        default_factory=lambda: BoundedDict(PLACEHOLDER_CACHE_MAX_ENTRIES)
    )

    def put(self, thumbhash: str, url: str | None) -> None:
        """Remember a hash's data URL (None: the hash does not decode)."""
        self.urls[thumbhash] = url


def placeholder_cache(ctx: Context) -> PlaceholderCache:
    """The isolate's PlaceholderCache."""
    return isolate_object(ctx, "placeholders", PlaceholderCache)


def _decode(thumbhash: str) -> str | None:
    try:
        return placeholder_data_url(thumbhash)
    except ValueError as exc:
        print(f"thumbhash {thumbhash!r} does not decode: {exc}")
        return None


async def placeholders_for(ctx: Context, thumbhashes: Collection[str]) -> dict[str, str | None]:
    """The data URL of each hash (None for one that does not decode)."""
    cache = placeholder_cache(ctx)
    found = {h: cache.urls[h] for h in thumbhashes if h in cache.urls}
    missing = [h for h in dict.fromkeys(thumbhashes) if h not in found]
    if not missing:
        return found
    stored = await placeholder_store.get_placeholders(ctx.db, missing)
    made: dict[str, str] = {}
    for thumbhash in missing:
        url = stored.get(thumbhash)
        if url is None:
            url = _decode(thumbhash)
            if url is not None:
                made[thumbhash] = url
        cache.put(thumbhash, url)
        found[thumbhash] = url
    if made:
        ctx.wait_until(placeholder_store.save_placeholders(ctx.db, made))
    return found


async def prepare(ctx: Context, thumbhash: str | None) -> None:
    """Make sure a new record's placeholder is stored, ahead of its first reader."""
    if not thumbhash or thumbhash in placeholder_cache(ctx).urls:
        return
    if await placeholder_store.get_placeholders(ctx.db, [thumbhash]):
        return
    url = _decode(thumbhash)
    if url is not None:
        await placeholder_store.save_placeholders(ctx.db, {thumbhash: url})
        placeholder_cache(ctx).put(thumbhash, url)

"""The attachment: the JSON object the rest of the Rewind API embeds for an entity's image.

    {"cdn_url", "url", "thumbhash", "dominant_color", "accent_color", "width", "height",
     "aspect_ratio", "placeholder", "source", "image_version"}

`cdn_url` is exactly the 302's `Location` for that size (both come from `variants.cdn_url`),
`url` the same value (the Rewind API's OpenAPI names it `url`). `width` and `height` are the
variant's: the preset's for a sized variant (`fit=cover` makes it exactly that), the source's
for `original`. `aspect_ratio` is the source image's width / height (4 decimals), `placeholder`
the ThumbHash as a PNG data URL (`placeholders`). Unknown values are null. An entity without an
image has no attachment (null), never one with empty fields.

Attachments are answered as JSON text built once per (entity, size) and record: the isolate's
`AttachmentCache` keeps it while the record cache holds the same record object, so a warm batch
item costs a dict lookup and a string join, not a serialisation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rewind_images.config import ATTACHMENT_CACHE_MAX_ENTRIES, Settings
from rewind_images.context import Context, isolate_object
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.images.placeholders import placeholders_for
from rewind_images.images.variants import DIMENSIONS, Size, cdn_url
from rewind_images.memo import BoundedDict

ASPECT_RATIO_DECIMALS = 4
READY = "ready"  # the status of a batch item with an image


def aspect_ratio(record: ImageRecord) -> float | None:
    """The source image's width / height, or None when its size is not known."""
    if not record.width or not record.height:
        return None
    return round(record.width / record.height, ASPECT_RATIO_DECIMALS)


def attachment(
    record: ImageRecord, size: str, settings: Settings, placeholder: str | None
) -> dict[str, Any]:
    """The attachment of a record that has an image, at `size`."""
    url = cdn_url(settings.cdn_base_url, record.r2_key, size, record.image_version)
    dimensions = DIMENSIONS[Size(size)]
    width, height = dimensions if dimensions is not None else (record.width, record.height)
    return {
        "cdn_url": url,
        "url": url,
        "thumbhash": record.thumbhash,
        "dominant_color": record.dominant_color,
        "accent_color": record.accent_color,
        "width": width,
        "height": height,
        "aspect_ratio": aspect_ratio(record),
        "placeholder": placeholder,
        "source": record.source,
        "image_version": record.image_version,
    }


def to_json(data: Any) -> str:
    """Compact JSON text, as `http.json_response` writes it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AttachmentText:
    """An attachment as JSON text, and the head of a batch answer that carries it
    (`{"domain":...,"status":"ready","image":`; the answer is head + text + "}")."""

    head: str
    text: str


@dataclass
class AttachmentCache:
    """(entity, size) -> (record, AttachmentText): valid while `record` is the cached record
    object (a new record object, after a change, builds a new entry). Oldest dropped first."""

    entries: BoundedDict[tuple[Entity, str], tuple[ImageRecord, AttachmentText]] = field(
        default_factory=lambda: BoundedDict(ATTACHMENT_CACHE_MAX_ENTRIES)
    )

    def get(self, entity: Entity, size: str, record: ImageRecord) -> AttachmentText | None:
        """The attachment text for this record, when already built."""
        entry = self.entries.get((entity, size))
        return entry[1] if entry is not None and entry[0] is record else None

    def put(self, entity: Entity, size: str, record: ImageRecord, text: AttachmentText) -> None:
        """Remember an attachment's text."""
        self.entries[(entity, size)] = (record, text)


def attachment_cache(ctx: Context) -> AttachmentCache:
    """The isolate's AttachmentCache."""
    return isolate_object(ctx, "attachments", AttachmentCache)


Wanted = tuple[Entity, str, ImageRecord]


async def attachment_texts(
    ctx: Context, wanted: Sequence[Wanted]
) -> dict[tuple[Entity, str], AttachmentText]:
    """The attachment text of each (entity, size, record with an image), built once per record
    and size and kept in the isolate's AttachmentCache."""
    cache = attachment_cache(ctx)
    found: dict[tuple[Entity, str], AttachmentText] = {}
    todo: list[Wanted] = []
    for entity, size, record in wanted:
        text = cache.get(entity, size, record)
        if text is None:
            todo.append((entity, size, record))
        else:
            found[(entity, size)] = text
    if todo:
        urls = await placeholders_for(ctx, {r.thumbhash for _, _, r in todo if r.thumbhash})
        for entity, size, record in todo:
            placeholder = urls.get(record.thumbhash) if record.thumbhash else None
            body = to_json(attachment(record, size, ctx.settings, placeholder))
            text = AttachmentText(batch_head(entity, size, READY)[:-1] + ',"image":', body)
            cache.put(entity, size, record, text)
            found[(entity, size)] = text
    return found


def batch_head(entity: Entity, size: str, status: str) -> str:
    """The JSON object `{"domain", "entity_type", "entity_id", "size", "status"}` that a
    batch answer starts with."""
    domain, entity_type, entity_id = entity
    return to_json(
        {
            "domain": domain,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "size": size,
            "status": status,
        }
    )

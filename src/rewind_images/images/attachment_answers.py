"""Answering a batch of entity items with attachments (POST /v1/images/attachments and the
`attachments` RPC method share this).

Per item, in request order (a repeated item is answered at each position):

    ready     the entity has an image: `image` is its attachment
    none      a "no image" record within the negative TTL: `image` is null
    pending   no record yet (or a "no image" past its TTL): queued for the background
              consumer, never run inline; `image` is null
    invalid   the item is malformed: `image` is null, `error` the message a single GET for it
              would get

Records come from `batch_lookup` (the isolate's cache, then one batched D1 read), attachment
texts from `attachments.attachment_texts` (the isolate's cache, placeholders from
`placeholders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewind_images.context import Context
from rewind_images.images import background
from rewind_images.images.attachments import attachment_texts, batch_head, to_json
from rewind_images.images.batch_lookup import lookup_many, resolution_due
from rewind_images.images.entity_items import BadItem, EntityItem, read_items

NONE = "none"
PENDING = "pending"
INVALID = "invalid"


def _plain_answer(reading: EntityItem | BadItem, status: str) -> str:
    """The answer of an item without an image."""
    if isinstance(reading, EntityItem):
        return batch_head(reading.entity, reading.size, status)[:-1] + ',"image":null}'
    answer: dict[str, Any] = {
        "domain": reading.domain,
        "entity_type": reading.entity_type,
        "entity_id": reading.entity_id,
        "size": reading.size,
        "status": status,
        "image": None,
        "error": reading.message,
    }
    return to_json(answer)


async def answer_items(ctx: Context, raw_items: Sequence[Any], size: str) -> str:
    """The JSON array answering `raw_items` (each read on its own) in order; misses queued."""
    readings = read_items(ctx, raw_items, size)
    valid = [r for r in readings if isinstance(r, EntityItem)]
    records = await lookup_many(ctx, [r.entity for r in valid])
    with_image, due = [], []
    for item in valid:
        record = records.get(item.entity)
        if record is not None and record.has_image:
            with_image.append((item.entity, item.size, record))
        elif resolution_due(ctx, record):
            due.append(item)
    texts = await attachment_texts(ctx, with_image)
    await background.enqueue(ctx, due)
    pending = {r.entity for r in due}
    parts = []
    for reading in readings:
        if isinstance(reading, BadItem):
            parts.append(_plain_answer(reading, INVALID))
            continue
        text = texts.get((reading.entity, reading.size))
        if text is not None:
            parts.append(text.head + text.text + "}")
        else:
            parts.append(_plain_answer(reading, PENDING if reading.entity in pending else NONE))
    return "[" + ",".join(parts) + "]"

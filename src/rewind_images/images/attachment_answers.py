"""Answering a batch of entity items with attachments (POST /v1/images/attachments, the
`attachments` RPC methods and the demo page share this).

Per item, in request order (a repeated item is answered at each position, every position with
the hints of its entity's first item that has any):

    ready     the entity has an image: `image` is its attachment
    none      a "no image" record within the negative TTL, or no source can be asked with the
              item's hints (nothing written, nothing queued: the batch form of the GET's 404)
    pending   queued for the background consumer (or in flight), never run inline; also an
              entity past the caller's miss budget, which is queued when asked again in a
              later minute. Ask again later.
    failed    its background resolution failed on every try; queued again when asked after
              `failed_retry_seconds`, or at once with other hints
    invalid   the item is malformed: `error` is the message a single GET for it would get

Every status but `invalid` is the one door's verdict (`background.admit_many`, `admission`).
Records come from `batch_lookup` (the isolate's cache, then one batched D1 read), attachment
texts from `attachments.attachment_texts` (the isolate's cache, placeholders from
`placeholders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewind_images.context import Context
from rewind_images.images.admission import Verdict
from rewind_images.images.attachment_schemas import AttachmentStatus
from rewind_images.images.attachments import attachment_texts, batch_head, to_json
from rewind_images.images.background import admit_many
from rewind_images.images.batch_lookup import lookup_many
from rewind_images.images.entity_items import BadItem, EntityItem, read_items

# The batch's status for each verdict of the one door (`ready` is answered with its attachment).
STATUS_OF = {
    Verdict.ready: AttachmentStatus.ready,
    Verdict.none: AttachmentStatus.none,
    Verdict.unaskable: AttachmentStatus.none,
    Verdict.failed: AttachmentStatus.failed,
    Verdict.resolve: AttachmentStatus.pending,
}


def _plain_answer(reading: EntityItem | BadItem, status: AttachmentStatus) -> str:
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


async def answer_items(ctx: Context, raw_items: Sequence[Any], size: str, caller: str) -> str:
    """The JSON array answering `raw_items` (each read on its own) in order; the entities to
    resolve are queued within `caller`'s miss budget."""
    readings = read_items(ctx, raw_items, size)
    valid = [r for r in readings if isinstance(r, EntityItem)]
    records = await lookup_many(ctx, [r.entity for r in valid])
    with_image = []
    for item in valid:
        record = records.get(item.entity)
        if record is not None and record.has_image:
            with_image.append((item.entity, item.size, record))
    texts = await attachment_texts(ctx, with_image)
    unanswered = [r for r in valid if (r.entity, r.size) not in texts]
    admissions = await admit_many(ctx, unanswered, records, caller) if unanswered else {}
    parts = []
    for reading in readings:
        if isinstance(reading, BadItem):
            parts.append(_plain_answer(reading, AttachmentStatus.invalid))
            continue
        text = texts.get((reading.entity, reading.size))
        if text is not None:
            parts.append(text.head + text.text + "}")
        else:
            status = STATUS_OF[admissions[reading.entity].verdict]
            parts.append(_plain_answer(reading, status))
    return "[" + ",".join(parts) + "]"

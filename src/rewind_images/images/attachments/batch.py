"""POST /v1/images/attachments: attachments for a page of entities at once. The `attachments`
RPC methods and the demo page answer with the same `answer_items`.

The body is `{"size": "medium", "items": [...]}` with 1 to 100 items; the answer is 200
`{"data": [...]}`, one result per item in request order. The request is a 400 only when that
envelope is malformed; a bad item is answered `invalid`.

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

Every status but `invalid` is the one door's verdict (`producer.admit_many`, `admission`).
Records come from `attachments.lookup` (the isolate's cache, then one batched D1 read), attachment
texts from `render.attachment_texts` (the isolate's cache, placeholders from
`attachments.placeholders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewind_images.config import ITEMS_PER_RATE_UNIT
from rewind_images.context import Context
from rewind_images.errors import BadRequest
from rewind_images.http import NO_STORE, Response, data_response, to_json
from rewind_images.images.attachments.lookup import lookup_many
from rewind_images.images.attachments.payloads import AttachmentsRequest, AttachmentStatus
from rewind_images.images.attachments.render import attachment_texts, batch_head
from rewind_images.images.background.producer import admit_many
from rewind_images.images.items import BadItem, EntityItem, read_items
from rewind_images.images.resolution.admission import Verdict
from rewind_images.images.resolution.budget import RPC_CALLER, key_caller
from rewind_images.routing import Call
from rewind_images.validation import parse_object

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


def batch_cost(items: int) -> int:
    """What a batch of `items` costs of its key's per-minute limit, in requests: 1 for 1-10
    items, 10 for 100 (`ITEMS_PER_RATE_UNIT`)."""
    return -(-items // ITEMS_PER_RATE_UNIT)


async def post_attachments(call: Call[None, None, AttachmentsRequest]) -> Response:
    """Answer every item of a batch. Authentication took the request's first unit of the key's
    limit; the rest of its cost is taken here, before any work (429 when fewer are left)."""
    items = call.body.items
    call.caller.charge(batch_cost(len(items)) - 1)
    text = await answer_items(call.ctx, items, call.body.size.value, key_caller(call.caller.id))
    return data_response(text, NO_STORE)


class MalformedCall(ValueError):
    """A malformed RPC call; the message is the HTTP route's 400 message."""


async def answer_call(ctx: Context, items: Any, size: Any) -> str:
    """The `attachments` RPC method's answer (the batch answer's `data` array as JSON text),
    for arguments already converted to Python. MalformedCall as the HTTP route's 400."""
    arguments: dict[str, Any] = {"items": items}
    if size is not None:
        arguments["size"] = size
    try:
        request = parse_object(AttachmentsRequest, arguments)
    except BadRequest as exc:
        raise MalformedCall(exc.message) from None
    return await answer_items(ctx, request.items, request.size.value, RPC_CALLER)

"""POST /v1/admin/images/backfill: queue the background resolution of up to 1,000 entities.

Each item names an entity and its hints (`images.items`) and passes the one door
(`producer.admit_many`, spending no miss budget: a backfill exists to queue many). Per item,
in request order: `queued` (its resolution is queued), `recorded` (it already has its record:
an image, or a "no image" within the negative TTL), `unaskable` (no source can be asked with
its hints: nothing queued, as a GET would answer 404), `failed` (its background resolution
failed on every try within `failed_retry_seconds`, and the item brings no other hints), or
`invalid` with the message a single GET would get. The call costs one request of the admin
key's limit.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, validator

from rewind_images.config import MAX_BACKFILL_ITEMS
from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.images.background.producer import admit_many
from rewind_images.images.items import EntityItem, ItemModel, ItemsBody, item_list, read_items
from rewind_images.images.resolution.admission import Verdict
from rewind_images.images.store import image_rows
from rewind_images.routing import Call
from rewind_images.validation import ApiModel


class _BackfillRequestSchema(ApiModel):
    items: list[ItemModel] = Field(
        ..., min_items=1, max_items=MAX_BACKFILL_ITEMS, description="Each read on its own."
    )

    class Config:
        title = "BackfillRequest"
        extra = "forbid"


class BackfillRequest(ItemsBody):
    """Body of POST /v1/admin/images/backfill."""

    documented_as: ClassVar[type[ApiModel]] = _BackfillRequestSchema
    items: Any = Field(...)

    _items = validator("items", allow_reuse=True)(
        lambda value: item_list(value, MAX_BACKFILL_ITEMS)
    )

    class Config:
        extra = "forbid"


class BackfillStatus(StrEnum):
    """What a backfill did with an item."""

    queued = "queued"
    recorded = "recorded"
    unaskable = "unaskable"
    failed = "failed"
    invalid = "invalid"


class BackfillItemResult(ApiModel):
    """One backfill item's outcome, at its position in the request."""

    status: BackfillStatus = Field(
        ...,
        description="queued: a background resolution is queued (or this isolate queued it in "
        "the last 5 minutes). recorded: the entity already has its record (an image, or a "
        "'no image' within the negative TTL). unaskable: no source can be asked with the "
        "item's hints (nothing queued; a GET would answer 404). failed: its background "
        "resolution failed on every try within FAILED_RETRY_SECONDS and the item brings no "
        "other hints (not queued again yet). invalid: error says why.",
    )
    error: str | None = Field(default=None, description="Only with status invalid.")


class BackfillResult(ApiModel):
    """Answer of POST /v1/admin/images/backfill."""

    queued: int
    recorded: int
    unaskable: int
    failed: int
    invalid: int
    items: list[BackfillItemResult]


STATUS_OF = {
    Verdict.ready: BackfillStatus.recorded,
    Verdict.none: BackfillStatus.recorded,
    Verdict.unaskable: BackfillStatus.unaskable,
    Verdict.failed: BackfillStatus.failed,
    Verdict.resolve: BackfillStatus.queued,
}


async def backfill(call: Call[None, None, BackfillRequest]) -> Response:
    """Queue the entities of a backfill that the one door lets through."""
    ctx = call.ctx
    readings = read_items(ctx, call.body.items, None)
    valid = [r for r in readings if isinstance(r, EntityItem)]
    # Straight from D1, not through the isolate's record cache: a backfill touches many
    # entities once, and the cache is for the ones read again and again.
    records = await image_rows.get_images(ctx.db, [r.entity for r in valid])
    admissions = await admit_many(ctx, valid, records, None)
    results = []
    for reading in readings:
        if isinstance(reading, EntityItem):
            status = STATUS_OF[admissions[reading.entity].verdict]
            results.append(BackfillItemResult(status=status))
        else:
            results.append(BackfillItemResult(status=BackfillStatus.invalid, error=reading.message))
    counts = dict.fromkeys(BackfillStatus, 0)
    for result in results:
        counts[result.status] += 1
    answer = BackfillResult(
        queued=counts[BackfillStatus.queued],
        recorded=counts[BackfillStatus.recorded],
        unaskable=counts[BackfillStatus.unaskable],
        failed=counts[BackfillStatus.failed],
        invalid=counts[BackfillStatus.invalid],
        items=results,
    )
    return json_response(answer.dict(exclude_none=True), headers=NO_STORE)

"""POST /v1/admin/images/backfill: queue the background resolution of up to 1,000 entities.

Each item names an entity and its hints (`entity_items`) and passes the one door
(`background.admit_many`, spending no miss budget: a backfill exists to queue many). Per item,
in request order: `queued` (its resolution is queued), `recorded` (it already has its record:
an image, or a "no image" within the negative TTL), `unaskable` (no source can be asked with
its hints: nothing queued, as a GET would answer 404), `failed` (its background resolution
failed on every try within `failed_retry_seconds`, and the item brings no other hints), or
`invalid` with the message a single GET would get. The call costs one request of the admin
key's limit.
"""

from __future__ import annotations

from rewind_images.http import Response, json_response
from rewind_images.images import image_store
from rewind_images.images.admission import Verdict
from rewind_images.images.attachment_schemas import (
    BackfillItemResult,
    BackfillRequest,
    BackfillResult,
    BackfillStatus,
)
from rewind_images.images.background import admit_many
from rewind_images.images.entity_items import EntityItem, read_items
from rewind_images.routing import Call

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
    records = await image_store.get_images(ctx.db, [r.entity for r in valid])
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
    return json_response(answer.dict(exclude_none=True), headers={"cache-control": "no-store"})

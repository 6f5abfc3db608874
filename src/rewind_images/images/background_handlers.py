"""POST /v1/admin/images/backfill: queue the background resolution of up to 1,000 entities.

Each item names an entity and its hints (`entity_items`); an entity that already has its
record (an image, or a "no image" within the negative TTL) is counted `recorded` and not
queued, the others are queued (`background.enqueue`) and counted `queued`, and a bad item is
reported `invalid` with the message a single GET would get. The answer lists every item's
outcome in request order. The call costs one request of the admin key's limit.
"""

from __future__ import annotations

from rewind_images.http import Response, json_response
from rewind_images.images import background, image_store
from rewind_images.images.attachment_schemas import (
    BackfillItemResult,
    BackfillRequest,
    BackfillResult,
    BackfillStatus,
)
from rewind_images.images.batch_lookup import resolution_due
from rewind_images.images.entity_items import EntityItem, read_items
from rewind_images.routing import Call


async def backfill(call: Call[None, None, BackfillRequest]) -> Response:
    """Queue the entities of a backfill that have no record yet."""
    ctx = call.ctx
    readings = read_items(ctx, call.body.items, None)
    valid = [r for r in readings if isinstance(r, EntityItem)]
    # Straight from D1, not through the isolate's record cache: a backfill touches many
    # entities once, and the cache is for the ones read again and again.
    records = await image_store.get_images(ctx.db, [r.entity for r in valid])
    due = [r for r in valid if resolution_due(ctx, records.get(r.entity))]
    await background.enqueue(ctx, due)
    queued = {r.entity for r in due}
    results = []
    for reading in readings:
        if not isinstance(reading, EntityItem):
            results.append(BackfillItemResult(status=BackfillStatus.invalid, error=reading.message))
        elif reading.entity in queued:
            results.append(BackfillItemResult(status=BackfillStatus.queued))
        else:
            results.append(BackfillItemResult(status=BackfillStatus.recorded))
    counts = dict.fromkeys(BackfillStatus, 0)
    for result in results:
        counts[result.status] += 1
    answer = BackfillResult(
        queued=counts[BackfillStatus.queued],
        recorded=counts[BackfillStatus.recorded],
        invalid=counts[BackfillStatus.invalid],
        items=results,
    )
    return json_response(answer.dict(exclude_none=True), headers={"cache-control": "no-store"})

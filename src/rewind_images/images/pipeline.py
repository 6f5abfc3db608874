"""The miss: find a source image, store it, record it.

    resolve
    ├─ claim      one run per entity (`claims`); a concurrent miss waits for the run's row
    ├─ find       sources in order; the first candidate that downloads, validates and
    │             analyses (Images binding -> small PNG -> ThumbHash + colours) wins (`search`)
    ├─ store      the bytes to R2, then the row in D1, keeping the storage rule (`storage`)
    └─ record     the upsert releases the claim in the same D1 transaction

Outcomes: an image -> its record (302); every source says "nothing" -> a "no image" record
(404, asked again after the negative TTL); sources failing (timeouts, 5xx, bad bytes) -> 502
and nothing recorded.
"""

from __future__ import annotations

import json

from rewind_images.context import Context
from rewind_images.errors import UpstreamError
from rewind_images.images import claims, image_store, search, storage
from rewind_images.images.image_schemas import ImageQuery
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.timestamps import iso_from_ms

UPSTREAM_FAILED_MESSAGE = "Image sources failed; try again later"


def hints_json(query: ImageQuery) -> str | None:
    """The hints a record is made with, as stored in `search_hints`."""
    used = query.hints()
    return json.dumps(used, sort_keys=True) if used else None


async def resolve(
    ctx: Context, entity: Entity, query: ImageQuery, *, previous: ImageRecord | None
) -> ImageRecord:
    """The entity's record after running the pipeline (or waiting for a run under way)."""
    token = await claims.try_claim(ctx, entity)
    if token is None:
        record = await claims.wait_for_release(ctx, entity)
        if record is None or record == previous:
            raise UpstreamError(UPSTREAM_FAILED_MESSAGE)
        return record
    try:
        # Someone may have finished between our read and our claim: use their result.
        current = await image_store.get_image(ctx.db, entity)
        if current is not None and current != previous:
            await image_store.release(ctx.db, entity, token)
            return current
        return await _run(ctx, entity, query, token, current)
    except BaseException:
        await image_store.release(ctx.db, entity, token)
        raise


async def _run(
    ctx: Context, entity: Entity, query: ImageQuery, token: str, current: ImageRecord | None
) -> ImageRecord:
    outcome = await search.find(ctx, entity, query)
    if outcome.found is None and outcome.failures:
        print(f"sources failed for {'/'.join(entity)}: {'; '.join(outcome.failures)}")
        raise UpstreamError(UPSTREAM_FAILED_MESSAGE)
    image = storage.describe(entity, outcome.found, hints_json(query))
    now_iso = iso_from_ms(ctx.clock_ms())

    async def write(new: image_store.NewImage) -> image_store.WriteResult:
        return await image_store.write_pipeline_image(ctx.db, entity, token, new, now_iso)

    previous_key = current.r2_key if current is not None else ""
    result = await storage.save(
        ctx, entity, token, outcome.found, image, write, previous_key=previous_key
    )
    if result.record is None:
        raise UpstreamError(UPSTREAM_FAILED_MESSAGE)  # the row vanished (an override reverted)
    return result.record

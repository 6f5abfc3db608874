"""The miss: find a source image, store it, record it.

    resolve
    ├─ claim      one run per entity (`claims`); a concurrent miss waits for the run's row
    ├─ find       sources in order; the first candidate that downloads, validates and
    │             analyses (Images binding -> small PNG -> ThumbHash + colours) wins (`search`)
    ├─ store      the bytes to R2, then the row in D1, keeping the storage rule (`storage`)
    └─ record     the upsert releases the claim in the same D1 transaction

Outcomes: an image -> its record (302); every source says "nothing" -> a "no image" record
(404, asked again after the negative TTL, or sooner with other hints: `admission`); sources
failing (timeouts, 5xx, bad bytes) or the search passing its deadline -> 502 and nothing
recorded. The search's deadline (`Settings.search_deadline_ms`) is shorter than the claim's
lease, and the write is conditioned on the claim, so a run that lost its claim changes nothing
and answers the record that won.
"""

from __future__ import annotations

import asyncio

from rewind_images.config import CLAIM_WAIT_MS
from rewind_images.context import Context
from rewind_images.errors import UpstreamError
from rewind_images.images import claims, image_store, search, storage
from rewind_images.images.admission import hints_json
from rewind_images.images.image_schemas import ImageQuery
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.timestamps import iso_from_ms

UPSTREAM_FAILED_MESSAGE = "Image sources failed; try again later"


async def resolve(
    ctx: Context, entity: Entity, query: ImageQuery, *, previous: ImageRecord | None
) -> ImageRecord:
    """The entity's record after running the pipeline (or waiting for a run under way)."""
    token = await claims.try_claim(ctx, entity)
    wait_deadline = ctx.clock_ms() + CLAIM_WAIT_MS
    while token is None:
        record = await claims.wait_for_release(ctx, entity, wait_deadline)
        if record is not None:
            if record == previous:
                raise UpstreamError(UPSTREAM_FAILED_MESSAGE)  # that run changed nothing
            return record
        # No row once the claim is free (deleted meanwhile, or that run failed before writing
        # one): take the claim and run the pipeline here rather than answer for a run that is
        # not there. All waiting shares one deadline.
        previous = None
        token = await claims.try_claim(ctx, entity)
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


async def bounded_search(ctx: Context, entity: Entity, query: ImageQuery) -> search.Search:
    """`search.find` within the miss's deadline (a search cut short records nothing)."""
    deadline_s = ctx.settings.search_deadline_ms / 1000
    try:
        return await asyncio.wait_for(search.find(ctx, entity, query), deadline_s)
    except TimeoutError:
        failed = search.Search()
        failed.failures.append(f"the miss deadline ({deadline_s:g} s) passed")
        return failed


async def _run(
    ctx: Context, entity: Entity, query: ImageQuery, token: str, current: ImageRecord | None
) -> ImageRecord:
    outcome = await bounded_search(ctx, entity, query)
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
    # Not written: the claim was lost (its lease ran out and another writer took it) or an
    # override holds the row. Nothing of ours was kept; the record that won is the answer.
    if result.record is None:
        raise UpstreamError(UPSTREAM_FAILED_MESSAGE)  # the row vanished (deleted meanwhile)
    return result.record

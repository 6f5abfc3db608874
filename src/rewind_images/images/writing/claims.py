"""The entity claim: one writer per entity at a time, across isolates (D1 `image_claims`,
with a lease). The pipeline takes it without waiting (a second miss waits for the first's
result instead); admin writes wait for it.

Concurrent misses meet here also inside one isolate: workerd cancels a request that awaits a
promise created by another request, so callers cannot share an in-memory future; each waits
with its own D1 polls.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rewind_images.config import CLAIM_LEASE_MS, CLAIM_POLL_INTERVAL_S, CLAIM_WAIT_MS
from rewind_images.context import Context
from rewind_images.errors import ServiceUnavailable
from rewind_images.images.row import Entity, ImageRecord
from rewind_images.images.store import claim_rows, image_rows

BUSY_MESSAGE = "Image is being prepared; try again shortly"


async def try_claim(ctx: Context, entity: Entity) -> str | None:
    """Take the entity's claim now; its token, or None when someone else holds it."""
    token = secrets.token_hex(16)
    held = await claim_rows.claim(ctx.db, entity, token, ctx.clock_ms(), CLAIM_LEASE_MS)
    return token if held else None


async def wait_for_claim(ctx: Context, entity: Entity) -> str:
    """Take the entity's claim, waiting up to `CLAIM_WAIT_MS` for it; its token.
    ServiceUnavailable when another writer still holds it then."""
    deadline = ctx.clock_ms() + CLAIM_WAIT_MS
    token = await try_claim(ctx, entity)
    while token is None:
        if ctx.clock_ms() >= deadline:
            raise ServiceUnavailable(BUSY_MESSAGE)
        await asyncio.sleep(CLAIM_POLL_INTERVAL_S)
        token = await try_claim(ctx, entity)
    return token


@asynccontextmanager
async def exclusive(ctx: Context, entity: Entity) -> AsyncIterator[str]:
    """Hold the entity's claim (`wait_for_claim`) for a block of writes."""
    token = await wait_for_claim(ctx, entity)
    try:
        yield token
    finally:
        await claim_rows.release(ctx.db, entity, token)


async def wait_for_release(
    ctx: Context, entity: Entity, deadline_ms: int | None = None
) -> ImageRecord | None:
    """Wait until nobody holds the entity's claim; the row then (None when there is none).
    ServiceUnavailable at `deadline_ms` (default: `CLAIM_WAIT_MS` from now)."""
    deadline = ctx.clock_ms() + CLAIM_WAIT_MS if deadline_ms is None else deadline_ms
    while ctx.clock_ms() < deadline:
        await asyncio.sleep(CLAIM_POLL_INTERVAL_S)
        if not await claim_rows.claim_held(ctx.db, entity):
            return await image_rows.get_image(ctx.db, entity)
    raise ServiceUnavailable(BUSY_MESSAGE)

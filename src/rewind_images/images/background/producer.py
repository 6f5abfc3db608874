"""Background resolution on Cloudflare Queues, the producing side: misses are queued, never run
inline; a consumer in this same Worker runs the pipeline for them (`consumer`).

    admit_many  the one door (`resolution.admission`) for the ways that queue (the batch, RPC,
                the demo page, the admin backfill): a verdict per entity, read with the hints of
                its first item that has any; the `resolve` ones are queued
    enqueue     a message per entity to resolve, within the caller's miss budget
                (`resolution.budget`; the backfill has none); an isolate sends none for an
                entity it queued within REQUEUE_AFTER_MS

A message is an entity item (`images.items`): domain, entity_type, entity_id and the hints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewind_images.config import (
    QUEUE_SEND_MAX_MESSAGES,
    REQUEUE_AFTER_MS,
    REQUEUE_MEMO_MAX_ENTRIES,
)
from rewind_images.context import Context, isolate_object
from rewind_images.images.attachments.lookup import failures_of
from rewind_images.images.inputs import ImageQuery
from rewind_images.images.items import EntityItem
from rewind_images.images.resolution import budget
from rewind_images.images.resolution.admission import Admission, Verdict, admit
from rewind_images.images.row import Entity, ImageRecord
from rewind_images.memo import BoundedDict


def message_body(entity: Entity, query: ImageQuery) -> dict[str, Any]:
    """The queue message that asks for an entity's resolution with those hints."""
    domain, entity_type, entity_id = entity
    return {"domain": domain, "entity_type": entity_type, "entity_id": entity_id, **query.hints()}


def first_queries(items: Sequence[EntityItem]) -> dict[Entity, ImageQuery]:
    """Each entity's hints, from the first of its items that has any (in request order)."""
    queries: dict[Entity, ImageQuery] = {}
    for item in items:
        known = queries.get(item.entity)
        if known is None or (not known.hints() and item.query.hints()):
            queries[item.entity] = item.query
    return queries


async def admit_many(
    ctx: Context,
    items: Sequence[EntityItem],
    records: dict[Entity, ImageRecord],
    caller: str | None,
) -> dict[Entity, Admission]:
    """The one door for each entity of `items`, with its records; those to `resolve` are
    queued (`enqueue`, spending `caller`'s miss budget; None: the backfill, which spends
    none). Dead letters are read only for those that would be resolved."""
    queries = first_queries(items)
    admissions = {e: admit(ctx, e, q, records.get(e)) for e, q in queries.items()}
    due = [e for e, a in admissions.items() if a.verdict is Verdict.resolve]
    if due:
        for entity, failure in (await failures_of(ctx, due)).items():
            admissions[entity] = admit(ctx, entity, queries[entity], records.get(entity), failure)
    await enqueue(
        ctx,
        [(e, a.query) for e, a in admissions.items() if a.verdict is Verdict.resolve],
        caller,
    )
    return admissions


class _Queued(BoundedDict[Entity, int]):
    """When this isolate last queued each entity."""

    def __init__(self) -> None:
        super().__init__(REQUEUE_MEMO_MAX_ENTRIES)


async def enqueue(
    ctx: Context, wanted: Sequence[tuple[Entity, ImageQuery]], caller: str | None
) -> None:
    """Queue the resolution of each entity with its hints, unless this isolate queued it within
    REQUEUE_AFTER_MS; as many as `caller`'s miss budget allows (all when None), in order."""
    queued = isolate_object(ctx, "queued", _Queued)
    now = ctx.clock_ms()
    bodies: dict[Entity, dict[str, Any]] = {}
    for entity, query in wanted:
        sent = queued.get(entity)
        if entity not in bodies and (sent is None or now - sent >= REQUEUE_AFTER_MS):
            bodies[entity] = message_body(entity, query)
    if caller is not None and bodies:
        allowed = await budget.take(ctx, caller, len(bodies))
        bodies = dict(list(bodies.items())[:allowed])
    if not bodies:
        return
    messages = list(bodies.values())
    for start in range(0, len(messages), QUEUE_SEND_MAX_MESSAGES):
        await ctx.queue.send_batch(messages[start : start + QUEUE_SEND_MAX_MESSAGES])
    for entity in bodies:
        queued[entity] = now

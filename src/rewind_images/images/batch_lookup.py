"""What many entities have at once: their records (the isolate's record cache first, after a due
poll of the change log as for a single GET, then one batched D1 read for the rest: `get_images`,
as few statements as the bound-parameter limit allows, in one round trip; records read are
cached), and their last failed background resolutions (one batched read of the dead letters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rewind_images.context import Context
from rewind_images.images import dead_letter_store, image_store, record_cache
from rewind_images.images.admission import Failure, hints_of
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.timestamps import parse_timestamp_ms


async def lookup_many(ctx: Context, entities: Iterable[Entity]) -> dict[Entity, ImageRecord]:
    """The records of those entities that have one."""
    cache = record_cache.record_cache(ctx)
    await record_cache.sync(ctx, cache)
    found: dict[Entity, ImageRecord] = {}
    missing: list[Entity] = []
    for entity in entities:
        if entity in found:
            continue
        cached = cache.records.get(entity)
        if cached is None:
            missing.append(entity)
        else:
            found[entity] = cached
    if missing:
        for entity, record in (await image_store.get_images(ctx.db, missing)).items():
            cache.remember(entity, record)
            found[entity] = record
    return found


async def failures_of(ctx: Context, entities: Sequence[Entity]) -> dict[Entity, Failure]:
    """The last dead-lettered resolution of each of those entities that has one."""
    failures: dict[Entity, Failure] = {}
    for entity, row in (await dead_letter_store.last_dead_letters(ctx.db, entities)).items():
        try:
            at_ms = parse_timestamp_ms(row.get("dead_at"))
        except ValueError:
            at_ms = None
        if at_ms is not None:
            failures[entity] = Failure(at_ms, hints_of(row.get("body")).hints())
    return failures

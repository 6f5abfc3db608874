"""Records of many entities at once: the isolate's record cache first (after a due poll of the
change log, as for a single GET), then one batched D1 read for the rest (`get_images`: as few
statements as the bound-parameter limit allows, in one round trip). Records read are cached."""

from __future__ import annotations

from collections.abc import Iterable

from rewind_images.context import Context
from rewind_images.images import image_store, record_cache
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.images.miss_gate import negative_expired


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


def resolution_due(ctx: Context, record: ImageRecord | None) -> bool:
    """Whether the sources should be asked for this entity, by the GET's rule: it has no
    record, or a "no image" record past the negative TTL."""
    return record is None or (not record.has_image and negative_expired(record, ctx))

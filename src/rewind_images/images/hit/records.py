"""Image records cached per isolate, kept fresh by reading D1's change log.

Entries have no lifetime of their own. Every `settings.change_poll_seconds` one request reads the
rows of `image_changes` (filled by triggers on `images`, so every writer is covered) past the
isolate's watermark and drops those entities; so a warm hit costs no D1 query, and a new
`image_version` written anywhere is served within the poll interval. Writes made by this isolate
drop their entry at once (`forget`). When the log cannot be trusted (too many changes since the
last poll, an isolate idle past half the log's retention, a failed poll) the whole cache is
dropped instead. Starting over on a hit (a fresh isolate's first) reads the log's watermark and
the hit's record in one D1 batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rewind_images.config import (
    CHANGE_RETENTION_MS,
    MAX_CHANGES_PER_POLL,
    RECORD_CACHE_MAX_ENTRIES,
    Settings,
)
from rewind_images.context import Context, isolate_object
from rewind_images.images.row import Entity, ImageRecord
from rewind_images.images.store import change_log, image_rows
from rewind_images.memo import BoundedDict


@dataclass
class RecordCache:
    """The isolate's records, the redirect headers built from them, and the log watermark."""

    records: BoundedDict[Entity, ImageRecord] = field(
        default_factory=lambda: BoundedDict(RECORD_CACHE_MAX_ENTRIES)
    )
    # Headers built from (record, size), reused while the record object is the cached one.
    derived: BoundedDict[tuple[Entity, str], tuple[ImageRecord, dict[str, str]]] = field(
        default_factory=lambda: BoundedDict(RECORD_CACHE_MAX_ENTRIES)
    )
    watermark: int | None = None
    polled_ms: int = 0

    def clear(self) -> None:
        """Drop every entry (the log is not trusted to say what changed)."""
        self.records.clear()
        self.derived.clear()
        self.watermark = None

    def forget(self, entity: Entity) -> None:
        """Drop one entity's entry."""
        self.records.pop(entity, None)

    def remember(self, entity: Entity, record: ImageRecord) -> None:
        """Cache a record just read or written (the oldest entry makes room when full)."""
        self.records[entity] = record

    def headers_for(
        self,
        entity: Entity,
        size: str,
        record: ImageRecord,
        settings: Settings,
        build: Callable[[ImageRecord, str, Settings], dict[str, str]],
    ) -> dict[str, str]:
        """`build(record, size, settings)`, memoised while `record` is the cached object."""
        memo = self.derived.get((entity, size))
        if memo is None or memo[0] is not record:
            memo = (record, build(record, size, settings))
            self.derived[(entity, size)] = memo
        return memo[1]


def cache(ctx: Context) -> RecordCache:
    """The isolate's RecordCache."""
    return isolate_object(ctx, "records", RecordCache)


def forget(ctx: Context, entity: Entity) -> None:
    """Drop an entity's cached record (after this isolate changed it)."""
    cache(ctx).forget(entity)


async def lookup(ctx: Context, entity: Entity) -> ImageRecord | None:
    """The entity's record: from the cache (after a due poll of the log), else from D1."""
    isolate = cache(ctx)
    now = ctx.clock_ms()
    if poll_due(ctx, isolate, now):
        watermark = resumable_watermark(isolate, now)
        if watermark is None:
            return await _start_over(ctx, isolate, now, entity)
        await _apply_changes(ctx, isolate, now, watermark)
    cached = isolate.records.get(entity)
    if cached is not None:
        return cached
    record = await image_rows.get_image(ctx.db, entity)
    if record is not None:
        isolate.remember(entity, record)
    return record


def poll_due(ctx: Context, cache: RecordCache, now: int) -> bool:
    """Whether the change log must be read before the cache is trusted."""
    return cache.watermark is None or now - cache.polled_ms >= ctx.settings.change_poll_ms


def resumable_watermark(cache: RecordCache, now: int) -> int | None:
    """The watermark the next poll reads the log from; None when it starts over instead (drops
    the whole cache, takes the log's newest id): no watermark yet, or idle so long that the log
    may have lost changes since."""
    if now - cache.polled_ms > CHANGE_RETENTION_MS // 2:
        return None
    return cache.watermark


async def sync(ctx: Context, cache: RecordCache) -> None:
    """Apply the change log when a poll is due (at most one D1 query per interval)."""
    now = ctx.clock_ms()
    if not poll_due(ctx, cache, now):
        return
    watermark = resumable_watermark(cache, now)
    if watermark is None:
        await _start_over(ctx, cache, now)
    else:
        await _apply_changes(ctx, cache, now, watermark)


async def _start_over(
    ctx: Context, cache: RecordCache, now: int, entity: Entity | None = None
) -> ImageRecord | None:
    """Drop the whole cache and read the log's newest id as the watermark; with an entity, read
    its record in the same D1 batch (one transaction: the record is at least as new as the
    watermark) and return it. No watermark until D1 answers: a failure starts over next time."""
    cache.polled_ms = now
    cache.clear()
    if entity is None:
        cache.watermark = await change_log.latest_change_id(ctx.db)
        return None
    latest, rows = await ctx.db.batch(
        [(change_log.LATEST_CHANGE, ()), (image_rows.SELECT_IMAGE, entity)]
    )
    cache.watermark = change_log.change_id(latest[0] if latest else None)
    record = ImageRecord.from_row(rows[0]) if rows else None
    if record is not None:
        cache.remember(entity, record)
    return record


async def _apply_changes(ctx: Context, cache: RecordCache, now: int, watermark: int) -> None:
    """Drop the entries the log names past `watermark` (everything, past too many)."""
    cache.polled_ms = now
    try:
        changes = await change_log.changes_since(ctx.db, watermark, MAX_CHANGES_PER_POLL)
    except Exception:
        cache.clear()  # the next request starts over
        raise
    if len(changes) >= MAX_CHANGES_PER_POLL:
        cache.clear()
    for change in changes:
        cache.forget(change.entity)
    if changes:
        cache.watermark = changes[-1].id

"""Image records cached per isolate, kept fresh by reading D1's change log.

Entries have no lifetime of their own. Every `settings.change_poll_seconds` one request reads the
rows of `image_changes` (filled by triggers on `images`, so every writer is covered) past the
isolate's watermark and drops those entities; so a warm hit costs no D1 query, and a new
`image_version` written anywhere is served within the poll interval. Writes made by this isolate
drop their entry at once. When the log cannot be trusted (too many changes since the last poll,
an isolate idle past the log's retention, a failed poll) the whole cache is dropped instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rewind_images.context import Context, isolate_object
from rewind_images.records import ImageRecord

Entity = tuple[str, str, str]

MAX_ENTRIES = 50_000
MAX_CHANGES_PER_POLL = 1_000
CHANGE_RETENTION_MS = 3_600_000
PRUNE_INTERVAL_MS = 600_000

LATEST_CHANGE = "SELECT coalesce(max(id), 0) AS id FROM image_changes"
CHANGES_SINCE = (
    "SELECT id, domain, entity_type, entity_id FROM image_changes WHERE id > ? ORDER BY id LIMIT ?"
)
PRUNE_CHANGES = "DELETE FROM image_changes WHERE changed_ms < ?"


@dataclass
class RecordCache:
    """The isolate's records, the redirect headers built from them, and the log watermark."""

    records: dict[Entity, ImageRecord] = field(default_factory=dict)
    # The redirect headers of (record, size), reused while the record object is the cached one.
    redirects: dict[tuple[Entity, str], tuple[ImageRecord, dict[str, str]]] = field(
        default_factory=dict
    )
    watermark: int | None = None
    polled_ms: int = 0
    pruned_ms: int = 0

    def clear(self) -> None:
        """Drop every entry (the log is not trusted to say what changed)."""
        self.records.clear()
        self.redirects.clear()
        self.watermark = None

    def forget(self, entity: Entity) -> None:
        """Drop one entity's entry."""
        self.records.pop(entity, None)

    def remember(self, entity: Entity, record: ImageRecord) -> None:
        """Cache a record just read or written."""
        if len(self.records) >= MAX_ENTRIES:
            self.records.clear()
            self.redirects.clear()
        self.records[entity] = record


def record_cache(ctx: Context) -> RecordCache:
    """The isolate's RecordCache."""
    return isolate_object(ctx, "records", RecordCache)


async def sync(ctx: Context, cache: RecordCache) -> None:
    """Apply the change log when a poll is due (at most one D1 query per interval)."""
    now = ctx.clock_ms()
    if cache.watermark is not None and now - cache.polled_ms < ctx.settings.change_poll_ms:
        return
    idle_too_long = now - cache.polled_ms > CHANGE_RETENTION_MS // 2
    cache.polled_ms = now
    try:
        if cache.watermark is None or idle_too_long:
            cache.clear()
            latest = await ctx.db.first(LATEST_CHANGE)
            cache.watermark = int((latest or {}).get("id") or 0)
        else:
            changes = await ctx.db.all(CHANGES_SINCE, cache.watermark, MAX_CHANGES_PER_POLL)
            if len(changes) >= MAX_CHANGES_PER_POLL:
                cache.clear()
                cache.watermark = int(changes[-1]["id"])
            for change in changes:
                cache.forget((change["domain"], change["entity_type"], change["entity_id"]))
            if changes:
                cache.watermark = int(changes[-1]["id"])
    except Exception:
        cache.clear()  # next request starts over
        raise
    if now - cache.pruned_ms >= PRUNE_INTERVAL_MS:
        cache.pruned_ms = now
        ctx.wait_until(ctx.db.run(PRUNE_CHANGES, now - CHANGE_RETENTION_MS))

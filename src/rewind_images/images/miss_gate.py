"""Which image GETs run the pipeline, and how many may: the gate in front of the upstreams.

A GET runs the pipeline when the entity has no record, when its "no image" record is past the
negative TTL, or when the request brings other hints than the "no image" record was made with,
at most once per entity per `settings.hint_retry_seconds` (so the first request's hints never
lock an entity out for the whole TTL, and varying hints cannot make it search on every request).
A request without hints searches with the record's own. A found image is never searched again
from a GET, whatever the hints: the admin routes correct one.

Either way the pipeline runs only when some source can be asked with those hints. When every
source declines (no usable hint, no secret configured) the answer is a 404 and nothing is
written, so random ids without hints cost one read, not a row.

Misses that pass are counted per key per isolate: past `settings.miss_limit_per_minute` in a
minute the answer is 429 with its own message, so one read key cannot drive unbounded upstream
traffic (upstream quotas are small) or rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rewind_images.config import KEY_CACHE_MAX_ENTRIES, RATE_WINDOW_MS
from rewind_images.context import Context, isolate_object
from rewind_images.errors import TooManyRequests
from rewind_images.images import pipeline, search
from rewind_images.images.image_schemas import ImageQuery
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.timestamps import parse_timestamp_ms

MISS_LIMIT_MESSAGE = "Too many new images requested; try again later"


@dataclass
class MissWindows:
    """Per-isolate count of each key's misses in the current minute: key id -> (window, n)."""

    windows: dict[int, tuple[int, int]] = field(default_factory=dict)


def _checked_ms(record: ImageRecord) -> int | None:
    """When a "no image" record's sources were last asked: its `created_at` (see ImageRecord)."""
    return parse_timestamp_ms(record.created_at)


def negative_expired(record: ImageRecord, ctx: Context) -> bool:
    """Whether a "no image" record is older than the negative TTL (so sources are asked again)."""
    checked = _checked_ms(record)
    if checked is None:
        return True
    return ctx.clock_ms() - checked >= ctx.settings.negative_ttl_seconds * 1000


def _hints_may_retry(record: ImageRecord, query: ImageQuery, ctx: Context) -> bool:
    """Other hints than the record's, and its last search at least the retry interval ago."""
    if query.hints() == pipeline.stored_query(record).hints():
        return False
    checked = _checked_ms(record)
    interval_ms = ctx.settings.hint_retry_seconds * 1000
    return checked is None or ctx.clock_ms() - checked >= interval_ms


def search_query(
    ctx: Context, entity: Entity, given: ImageQuery, record: ImageRecord | None
) -> ImageQuery | None:
    """The hints to run the pipeline with for this GET, or None to answer from `record`."""
    if record is not None and record.has_image:
        return None
    query = pipeline.query_for(given, record)
    if record is not None and not (
        negative_expired(record, ctx) or _hints_may_retry(record, query, ctx)
    ):
        return None
    return query if search.askable(ctx, entity, query) else None


def charge(ctx: Context, key_id: int) -> None:
    """Count one miss against the key's per-minute budget; TooManyRequests past it."""
    state = isolate_object(ctx, "misses", MissWindows).windows
    now = ctx.clock_ms()
    window = now // RATE_WINDOW_MS
    start, count = state.get(key_id, (window, 0))
    if start != window:
        count = 0
    if count >= ctx.settings.miss_limit_per_minute:
        retry_s = max(1, ((window + 1) * RATE_WINDOW_MS - now + 999) // 1000)
        raise TooManyRequests(MISS_LIMIT_MESSAGE, headers={"retry-after": str(retry_s)})
    if len(state) >= KEY_CACHE_MAX_ENTRIES and key_id not in state:
        state.clear()  # bounded like the key cache
    state[key_id] = (window, count + 1)

"""GET/HEAD /v1/images/{domain}/{entity_type}/{entity_id}/{size}: the hot path.

A hit is: validated path (memoised per isolate), the record (cached per isolate and kept fresh
from D1's change log, see `record_cache`; otherwise one indexed D1 lookup), a 302. A miss, or a
"no image" record past its TTL, runs the pipeline.

Cache-Control of the 302 is `no-cache`: an override or revert bumps `image_version` at any
moment, and any positive lifetime on the redirect could outlive that change. The bytes behind
the redirect are cached for a year (`immutable`) under their versioned URL, so the only thing
re-asked is this small redirect, which is what the hit path is built to answer fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rewind_images import pipeline
from rewind_images.auth import ApiKey
from rewind_images.context import Context, isolate_object
from rewind_images.errors import BadRequest, NotFound
from rewind_images.http import Request, Response
from rewind_images.models import ImagePath, ImageQuery, parse_image_path, parse_image_query
from rewind_images.presets import cdn_url
from rewind_images.record_cache import RecordCache, record_cache, sync
from rewind_images.records import ImageRecord, get_image
from rewind_images.timestamps import parse_timestamp_ms

REDIRECT_CACHE_CONTROL = "no-cache"
NOT_FOUND_CACHE_CONTROL = "public, max-age=300"
NO_IMAGE_MESSAGE = "No image available for this entity"
VALIDATION_CACHE_MAX_ENTRIES = 10_000

Entity = tuple[str, str, str]


@dataclass
class HitState:
    """Per-isolate memo of validated requests."""

    validated: dict[tuple[str, str], tuple[ImagePath, ImageQuery] | BadRequest] = field(
        default_factory=dict
    )


def hit_state(ctx: Context) -> HitState:
    """The isolate's HitState."""
    return isolate_object(ctx, "hits", HitState)


def forget_record(ctx: Context, entity: Entity) -> None:
    """Drop a cached record (after this isolate changed it)."""
    record_cache(ctx).forget(entity)


def _validate(
    request: Request, params: dict[str, str], state: HitState
) -> tuple[ImagePath, ImageQuery]:
    memo_key = (request.path, request.raw_query)
    cached = state.validated.get(memo_key)
    if cached is None:
        try:
            cached = (parse_image_path(params), parse_image_query(request.query))
        except BadRequest as exc:
            cached = exc
        if len(state.validated) >= VALIDATION_CACHE_MAX_ENTRIES:
            state.validated.clear()
        state.validated[memo_key] = cached
    if isinstance(cached, BadRequest):
        raise BadRequest(cached.message)
    return cached


async def _record(ctx: Context, entity: Entity, cache: RecordCache) -> ImageRecord | None:
    await sync(ctx, cache)
    cached = cache.records.get(entity)
    if cached is not None:
        return cached
    record = await get_image(ctx.db, *entity)
    if record is not None:
        cache.remember(entity, record)
    return record


def negative_expired(record: ImageRecord, ctx: Context) -> bool:
    """Whether a "no image" record is older than the negative TTL (so sources are asked again)."""
    checked = parse_timestamp_ms(record.checked_at or record.created_at)
    if checked is None:
        return True
    return ctx.clock_ms() - checked >= ctx.settings.negative_ttl_seconds * 1000


def redirect(record: ImageRecord, size: str, ctx: Context) -> Response:
    """The 302 to the CDN variant, with the placeholder headers that are known."""
    headers = {
        "location": cdn_url(ctx.settings.cdn_base_url, record.r2_key, size, record.image_version),
        "cache-control": REDIRECT_CACHE_CONTROL,
    }
    if record.thumbhash:
        headers["x-thumbhash"] = record.thumbhash
    if record.dominant_color:
        headers["x-dominant-color"] = record.dominant_color
    if record.accent_color:
        headers["x-accent-color"] = record.accent_color
    return Response(status=302, headers=headers)


async def get_image_redirect(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Answer with a 302 to the CDN, running the pipeline on a miss."""
    path, query = _validate(request, params, hit_state(ctx))
    entity: Entity = (path.domain.value, path.entity_type.value, path.entity_id)
    cache = record_cache(ctx)
    record = await _record(ctx, entity, cache)
    if record is None or (not record.has_image and negative_expired(record, ctx)):
        record = await pipeline.resolve(ctx, path, query, previous=record)
        cache.remember(entity, record)
    if not record.has_image:
        raise NotFound(NO_IMAGE_MESSAGE, headers={"cache-control": NOT_FOUND_CACHE_CONTROL})
    memo_key = (entity, path.size.value)
    memo = cache.redirects.get(memo_key)
    if memo is None or memo[0] is not record:
        memo = (record, redirect(record, path.size.value, ctx).headers)
        cache.redirects[memo_key] = memo
    return Response(status=302, headers=dict(memo[1]))

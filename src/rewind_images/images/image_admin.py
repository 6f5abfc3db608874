"""Admin image operations: alternatives, override, revert, delete, re-analysis.

Every write holds the entity's claim and goes through `storage`, so it keeps the storage rule
and never interleaves with a pipeline run for the same entity.
"""

from __future__ import annotations

from rewind_images.config import MAX_UPLOAD_BYTES
from rewind_images.context import Context
from rewind_images.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UpstreamError,
)
from rewind_images.http import Response, json_response
from rewind_images.images import (
    admission,
    claims,
    image_store,
    pipeline,
    placeholders,
    record_cache,
    search,
    storage,
)
from rewind_images.images.analysis import analyse
from rewind_images.images.image_schemas import (
    Alternatives,
    CandidateInfo,
    CurrentImage,
    Deleted,
    Domain,
    EntityPath,
    EntityType,
    ImageQuery,
    ImageRecordInfo,
    OverrideRequest,
    ReanalyzeRequest,
    ReanalyzeResult,
    SourceFailure,
)
from rewind_images.images.image_store import Entity, ImageRecord, NewImage
from rewind_images.multipart import FormFile
from rewind_images.ports import (
    FetchBlocked,
    FetchNetworkError,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
    TooManyRedirects,
)
from rewind_images.routing import Call
from rewind_images.sources import Candidate, SourceResponseError, sources_for
from rewind_images.timestamps import iso_from_ms

MANUAL_SOURCE = "manual"
UPLOAD_SOURCE_URL = "upload"
NO_STORE = {"cache-control": "no-store"}
NO_RECORD_MESSAGE = "No image record for this entity"
IMAGE_TOO_LARGE_MESSAGE = "Image too large"
# What an admin is told about a failed source: a fixed phrase per kind of failure (the
# exception's own text, which may carry URLs or runtime internals, goes to the log).
FAILURE_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (FetchTimeout, "timed out"),
    (FetchTooLarge, "answer too large"),
    (FetchBlocked, "URL not allowed"),
    (TooManyRedirects, "too many redirects"),
    (FetchNetworkError, "connection failed"),
    (SourceResponseError, "malformed answer"),
)
UNKNOWN_FAILURE = "failed"
# Rows of other domains and entity types (the original service's share the table) are left alone.
SERVED = image_store.Served(
    domains=tuple(d.value for d in Domain), entity_types=tuple(t.value for t in EntityType)
)


def failure_reason(exc: search.SourceFailed) -> str:
    """The fixed phrase for a source's failure."""
    cause = exc.__cause__
    if isinstance(cause, FetchStatusError):
        return f"HTTP {cause.status}"
    for kind, reason in FAILURE_REASONS:
        if isinstance(cause, kind):
            return reason
    return UNKNOWN_FAILURE


def _info(entity: Entity, record: ImageRecord) -> dict[str, object]:
    return ImageRecordInfo(
        domain=entity[0],
        entity_type=entity[1],
        entity_id=entity[2],
        has_image=record.has_image,
        r2_key=record.r2_key,
        source=record.source,
        source_url=record.source_url,
        width=record.width,
        height=record.height,
        thumbhash=record.thumbhash,
        dominant_color=record.dominant_color,
        accent_color=record.accent_color,
        is_override=record.is_override,
        image_version=record.image_version,
    ).dict()


async def alternatives(call: Call[EntityPath, ImageQuery, None]) -> Response:
    """Every source's candidates for the entity; stores nothing."""
    ctx, entity = call.ctx, call.path.entity
    wanted = search.source_query(entity, call.query)
    candidates: list[CandidateInfo] = []
    failures: list[SourceFailure] = []
    for source in sources_for(entity[0], entity[1]):
        try:
            found = await search.ask(ctx, source, wanted)
        except search.SourceFailed as exc:
            print(f"alternatives for {'/'.join(entity)}: {exc}")
            failures.append(SourceFailure(source=source.name, error=failure_reason(exc)))
            continue
        candidates += [CandidateInfo(**c.__dict__) for c in found]
    record = await image_store.get_image(ctx.db, entity)
    current = None
    if record is not None:
        current = CurrentImage(
            source=record.source,
            source_url=record.source_url,
            is_override=record.is_override,
            image_version=record.image_version,
        )
    body = Alternatives(candidates=candidates, failures=failures, current=current)
    return json_response(body.dict(), headers=NO_STORE)


async def _override_found(ctx: Context, body: OverrideRequest | FormFile) -> search.Found:
    try:
        if isinstance(body, FormFile):
            if len(body.data) > MAX_UPLOAD_BYTES:
                raise PayloadTooLarge(IMAGE_TOO_LARGE_MESSAGE)
            candidate = Candidate(MANUAL_SOURCE, UPLOAD_SOURCE_URL, None, None)
            return await search.validate(ctx, candidate, body.data)
        return await search.accept(ctx, Candidate(MANUAL_SOURCE, body.source_url, None, None))
    except search.CandidateUnreachable as exc:
        print(f"override source_url failed: {exc}")
        raise BadRequest("Could not fetch source_url") from exc
    except search.CandidateRejected as exc:
        print(f"override image rejected: {exc}")
        raise BadRequest("Not an acceptable image") from exc


async def _write_admin(
    ctx: Context,
    entity: Entity,
    token: str,
    found: search.Found | None,
    *,
    is_override: bool,
    hints: str | None = None,
) -> ImageRecord:
    """Write an override (or a revert's result) under the held claim, by the storage rule.
    `hints`: those the revert searched with (None keeps the stored ones)."""
    previous = await image_store.get_image(ctx.db, entity)
    image = storage.describe(entity, found, hints)
    now_iso = iso_from_ms(ctx.clock_ms())

    async def write(new: NewImage) -> image_store.WriteResult:
        return await image_store.write_admin_image(
            ctx.db, entity, token, new, is_override=is_override, now_iso=now_iso
        )

    result = await storage.save(
        ctx, entity, token, found, image, write, previous_key=previous.r2_key if previous else ""
    )
    record_cache.forget(ctx, entity)
    if not result.written or result.record is None:
        raise ServiceUnavailable(claims.BUSY_MESSAGE)  # the claim was lost: nothing changed
    return result.record


async def override(call: Call[EntityPath, None, OverrideRequest | FormFile]) -> Response:
    """Replace the entity's image with a URL's or an upload's; the pipeline leaves it alone."""
    ctx, entity = call.ctx, call.path.entity
    found = await _override_found(ctx, call.body)
    async with claims.exclusive(ctx, entity) as token:
        record = await _write_admin(ctx, entity, token, found, is_override=True)
    return json_response(_info(entity, record), headers=NO_STORE)


async def revert(call: Call[EntityPath, ImageQuery, None]) -> Response:
    """Drop the override: ask the sources again (a "no image" row when none has one), with the
    stored hints when none are given."""
    ctx, entity = call.ctx, call.path.entity
    record = await image_store.get_image(ctx.db, entity)
    if record is None:
        raise NotFound(NO_RECORD_MESSAGE)
    if not record.is_override:
        raise BadRequest("This entity has no override")
    query = admission.query_for(call.query, record)
    outcome = await pipeline.bounded_search(ctx, entity, query)
    if outcome.found is None and outcome.failures:
        print(f"revert of {'/'.join(entity)}: sources failed: {'; '.join(outcome.failures)}")
        raise UpstreamError(pipeline.UPSTREAM_FAILED_MESSAGE)
    async with claims.exclusive(ctx, entity) as token:
        updated = await _write_admin(
            ctx,
            entity,
            token,
            outcome.found,
            is_override=False,
            hints=admission.hints_json(query),
        )
    return json_response(_info(entity, updated), headers=NO_STORE)


async def delete(call: Call[EntityPath, None, None]) -> Response:
    """Remove the row, then its objects: the next GET runs the pipeline afresh."""
    ctx, entity = call.ctx, call.path.entity
    async with claims.exclusive(ctx, entity) as token:
        existed = await image_store.delete_image(ctx.db, entity, token)
        removed = await storage.remove_objects(ctx, entity)
    record_cache.forget(ctx, entity)
    if not existed and not removed:
        raise NotFound(NO_RECORD_MESSAGE)
    return json_response(Deleted(deleted=existed, removed_objects=removed).dict(), headers=NO_STORE)


async def _reanalyse_row(ctx: Context, row: image_store.StoredImageRow) -> bool:
    """Analyse a row's stored object again, under the entity's claim; whether it was updated."""
    async with claims.exclusive(ctx, row.entity):
        stored = await ctx.bucket.get(row.r2_key)
        if stored is None:
            raise NotFound(f"object {row.r2_key} is missing")
        analysis = await analyse(ctx, stored.body)
        updated = await image_store.update_analysis(
            ctx.db, row, analysis.thumbhash, analysis.dominant, analysis.accent
        )
    if updated:
        ctx.wait_until(placeholders.prepare(ctx, analysis.thumbhash))  # for the new hash
    return updated


async def reanalyze(call: Call[None, None, ReanalyzeRequest]) -> Response:
    """Recompute ThumbHash and colours from the stored bytes for one batch of rows."""
    ctx, body = call.ctx, call.body
    rows = await image_store.rows_to_reanalyze(
        ctx.db, SERVED, after_id=body.cursor, limit=body.batch_size, every_row=body.all
    )
    updated = failed = 0
    cursor = body.cursor
    for row in rows:
        cursor = row.id
        try:
            changed = await _reanalyse_row(ctx, row)
        except Exception as exc:  # one bad row must not stop the batch
            print(f"reanalyze {row.r2_key} failed: {exc!r}")
            failed += 1
            continue
        record_cache.forget(ctx, row.entity)
        updated += int(changed)
    remaining = await image_store.count_to_reanalyze(
        ctx.db, SERVED, after_id=cursor, every_row=body.all
    )
    result = ReanalyzeResult(
        updated=updated, failed=failed, remaining=remaining, next_cursor=cursor
    )
    return json_response(result.dict(), headers=NO_STORE)

"""Admin image operations: alternatives, override, revert, delete, re-analysis.

Every write follows the pipeline's rule: the R2 object is written before the row that names
it, and an object is removed only after no row names it any more.
"""

from __future__ import annotations

import json

from rewind_images import pipeline
from rewind_images.auth import ApiKey
from rewind_images.context import Context
from rewind_images.errors import BadRequest, NotFound, PayloadTooLarge, UpstreamError
from rewind_images.handlers.images import forget_record
from rewind_images.http import Request, Response, json_response
from rewind_images.imaging.sniff import EXTENSIONS
from rewind_images.models import (
    Alternatives,
    CandidateInfo,
    CurrentImage,
    Deleted,
    ImageInfo,
    OverrideRequest,
    ReanalyzeRequest,
    ReanalyzeResult,
    SourceFailure,
    parse_body,
    parse_entity_path,
    parse_image_query,
)
from rewind_images.multipart import parse_form_files
from rewind_images.presets import r2_key
from rewind_images.records import (
    ImageRecord,
    NewImage,
    delete_image,
    get_image,
    write_admin_image,
)
from rewind_images.sources import Candidate, sources_for
from rewind_images.timestamps import iso_from_ms

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MANUAL_SOURCE = "manual"
UPLOAD_SOURCE_URL = "upload"
NO_STORE = {"cache-control": "no-store"}

Entity = tuple[str, str, str]


def _entity(params: dict[str, str]) -> Entity:
    path = parse_entity_path(params)
    return (path.domain.value, path.entity_type.value, path.entity_id)


def _info(entity: Entity, record: ImageRecord) -> dict[str, object]:
    return ImageInfo(
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


def _all_keys(entity: Entity) -> list[str]:
    return [r2_key(*entity, ext) for ext in EXTENSIONS.values()]


async def _remove_other_objects(ctx: Context, entity: Entity, keep: str | None) -> list[str]:
    """Delete the entity's objects other than `keep` (e.g. the old extension's)."""
    stale = [key for key in _all_keys(entity) if key != keep]
    present = [key for key in stale if await ctx.bucket.exists(key)]
    await ctx.bucket.delete(present)
    return present


async def alternatives(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Every source's candidates for the entity; stores nothing."""
    entity = _entity(params)
    query = parse_image_query(request.query)
    wanted = pipeline.source_query(entity, query)
    candidates: list[CandidateInfo] = []
    failures: list[SourceFailure] = []
    for source in sources_for(entity[0], entity[1]):
        try:
            found = await pipeline.ask(ctx, source, wanted)
        except pipeline.SourceFailed as exc:
            failures.append(SourceFailure(source=source.name, error=str(exc)))
            continue
        candidates += [CandidateInfo(**c.__dict__) for c in found]
    record = await get_image(ctx.db, *entity)
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


async def _override_found(request: Request, ctx: Context) -> pipeline.Found:
    content_type = request.header("content-type") or ""
    try:
        if content_type.lower().startswith("multipart/form-data"):
            files = parse_form_files(content_type, request.body)
            upload = files.get("image")
            if upload is None or not upload.data:
                raise BadRequest("Multipart field 'image' is missing or empty")
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise PayloadTooLarge(f"Image over {MAX_UPLOAD_BYTES} bytes")
            candidate = Candidate(MANUAL_SOURCE, UPLOAD_SOURCE_URL, None, None)
            return await pipeline.validate(ctx, candidate, upload.data)
        body = parse_body(OverrideRequest, request.body)
        assert isinstance(body, OverrideRequest)
        return await pipeline.download(ctx, Candidate(MANUAL_SOURCE, body.source_url, None, None))
    except pipeline.CandidateRejected as exc:
        raise BadRequest(f"Not an acceptable image: {exc}") from exc
    except UpstreamError as exc:
        raise BadRequest(f"Could not fetch source_url: {exc.message}") from exc


async def override(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Replace the entity's image with a URL's or an upload's; the pipeline leaves it alone."""
    entity = _entity(params)
    found = await _override_found(request, ctx)
    async with pipeline.exclusive(ctx, entity):
        image = await pipeline.store_and_analyse(ctx, entity, found, None)
        try:
            record = await write_admin_image(
                ctx.db, entity, image, is_override=True, now_iso=iso_from_ms(ctx.clock_ms())
            )
        except Exception:
            previous = await get_image(ctx.db, *entity)
            if previous is None or previous.r2_key != image.r2_key:
                await ctx.bucket.delete([image.r2_key])
            raise
        await _remove_other_objects(ctx, entity, keep=record.r2_key)
    forget_record(ctx, entity)
    return json_response(_info(entity, record), headers=NO_STORE)


async def revert(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Drop the override: ask the sources again (a "no image" row when none has one)."""
    entity = _entity(params)
    record = await get_image(ctx.db, *entity)
    if record is None:
        raise NotFound("No image record for this entity")
    if not record.is_override:
        raise BadRequest("This entity has no override")
    query = parse_image_query(request.query)
    if not request.query and record.search_hints:
        query = parse_image_query({k: [v] for k, v in json.loads(record.search_hints).items()})
    search = await pipeline.find(ctx, entity, query)
    async with pipeline.exclusive(ctx, entity):
        now_iso = iso_from_ms(ctx.clock_ms())
        if search.found is None:
            if search.failures:
                raise UpstreamError(pipeline.UPSTREAM_FAILED_MESSAGE)
            image = NewImage.nothing()
        else:
            image = await pipeline.store_and_analyse(ctx, entity, search.found, None)
        updated = await write_admin_image(ctx.db, entity, image, is_override=False, now_iso=now_iso)
        await _remove_other_objects(ctx, entity, keep=updated.r2_key or None)
    forget_record(ctx, entity)
    return json_response(_info(entity, updated), headers=NO_STORE)


async def delete(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Remove the row, then its objects: the next GET runs the pipeline afresh."""
    entity = _entity(params)
    existed = await delete_image(ctx.db, entity)
    removed = await _remove_other_objects(ctx, entity, keep=None)
    forget_record(ctx, entity)
    if not existed and not removed:
        raise NotFound("No image record for this entity")
    return json_response(Deleted(deleted=existed, removed_objects=removed).dict(), headers=NO_STORE)


async def _analyse_stored(ctx: Context, key: str) -> pipeline.Analysis:
    stored = await ctx.bucket.get(key)
    if stored is None:
        raise NotFound(f"object {key} is missing")
    return await pipeline.analyse(ctx, stored.body)


REANALYZE_WHERE = "r2_key != '' AND id > ?"
MISSING_ONLY = " AND thumbhash IS NULL"


async def reanalyze(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Recompute ThumbHash and colours from the stored bytes for one batch of rows."""
    body = parse_body(ReanalyzeRequest, request.body or b"{}")
    assert isinstance(body, ReanalyzeRequest)
    where = REANALYZE_WHERE + ("" if body.all else MISSING_ONLY)
    rows = await ctx.db.all(
        f"SELECT id, domain, entity_type, entity_id, r2_key FROM images WHERE {where}"
        " ORDER BY id LIMIT ?",
        body.cursor,
        body.batch_size,
    )
    updated = failed = 0
    cursor = body.cursor
    for row in rows:
        cursor = int(row["id"])
        entity: Entity = (row["domain"], row["entity_type"], row["entity_id"])
        try:
            analysis = await _analyse_stored(ctx, str(row["r2_key"]))
        except Exception as exc:  # one bad row must not stop the batch
            print(f"reanalyze {row['r2_key']} failed: {exc!r}")
            failed += 1
            continue
        await ctx.db.run(
            "UPDATE images SET thumbhash = ?, dominant_color = ?, accent_color = ? WHERE id = ?",
            analysis.thumbhash,
            analysis.dominant,
            analysis.accent,
            cursor,
        )
        forget_record(ctx, entity)
        updated += 1
    left = await ctx.db.first(f"SELECT count(*) AS n FROM images WHERE {where}", cursor)
    result = ReanalyzeResult(
        updated=updated,
        failed=failed,
        remaining=int((left or {}).get("n") or 0),
        next_cursor=cursor,
    )
    return json_response(result.dict(), headers=NO_STORE)

"""PUT /v1/admin/images/{domain}/{entity_type}/{entity_id} (override with a URL or an upload)
and DELETE .../override (revert to the sources).

Both write under the entity's claim and through the storage rule (`writing.storage`), so they
never interleave with a pipeline run for the same entity and R2 and D1 stay in agreement.
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
from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.images.admin import removal
from rewind_images.images.admin.models import OverrideRequest, record_info
from rewind_images.images.hit import records
from rewind_images.images.inputs import EntityPath, ImageQuery
from rewind_images.images.resolution import admission, pipeline, search
from rewind_images.images.row import Entity, ImageRecord, NewImage
from rewind_images.images.store import image_rows
from rewind_images.images.writing import claims, storage
from rewind_images.multipart import FormFile
from rewind_images.routing import Call
from rewind_images.sources import Candidate
from rewind_images.timestamps import iso_from_ms

MANUAL_SOURCE = "manual"
UPLOAD_SOURCE_URL = "upload"
IMAGE_TOO_LARGE_MESSAGE = "Image too large"
NO_OVERRIDE_MESSAGE = "This entity has no override"


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
    previous = await image_rows.get_image(ctx.db, entity)
    image = storage.describe(entity, found, hints)
    now_iso = iso_from_ms(ctx.clock_ms())

    async def write(new: NewImage) -> image_rows.WriteResult:
        return await image_rows.write_admin_image(
            ctx.db, entity, token, new, is_override=is_override, now_iso=now_iso
        )

    result = await storage.save(
        ctx, entity, token, found, image, write, previous_key=previous.r2_key if previous else ""
    )
    records.forget(ctx, entity)
    if not result.written or result.record is None:
        raise ServiceUnavailable(claims.BUSY_MESSAGE)  # the claim was lost: nothing changed
    return result.record


async def override(call: Call[EntityPath, None, OverrideRequest | FormFile]) -> Response:
    """Replace the entity's image with a URL's or an upload's; the pipeline leaves it alone."""
    ctx, entity = call.ctx, call.path.entity
    found = await _override_found(ctx, call.body)
    async with claims.exclusive(ctx, entity) as token:
        record = await _write_admin(ctx, entity, token, found, is_override=True)
    return json_response(record_info(entity, record), headers=NO_STORE)


async def revert(call: Call[EntityPath, ImageQuery, None]) -> Response:
    """Drop the override: ask the sources again (a "no image" row when none has one), with the
    stored hints when none are given."""
    ctx, entity = call.ctx, call.path.entity
    record = await image_rows.get_image(ctx.db, entity)
    if record is None:
        raise NotFound(removal.NO_RECORD_MESSAGE)
    if not record.is_override:
        raise BadRequest(NO_OVERRIDE_MESSAGE)
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
    return json_response(record_info(entity, updated), headers=NO_STORE)

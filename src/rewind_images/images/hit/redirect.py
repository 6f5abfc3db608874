"""GET/HEAD /v1/images/{domain}/{entity_type}/{entity_id}/{size}: the hot path.

A hit is: validated path (routing memoises its plan per isolate), the record (cached per isolate
and kept fresh from D1's change log, see `hit.records`; otherwise one indexed D1 lookup), a 302.
Anything but a hit asks the one door (`admission`): a miss, or a "no image" record past its TTL
or asked with other hints, runs the pipeline inline when some source can be asked, spending one
unit of the key's miss budget (`miss_budget`: 429 past it).

Cache-Control of the 302 is `no-cache`: an override or revert bumps `image_version` at any
moment, and any positive lifetime on the redirect could outlive that change. The bytes behind
the redirect are cached for a year (`immutable`) under their versioned URL, so the only thing
re-asked is this small redirect, which is what the hit path is built to answer fast.
"""

from __future__ import annotations

from rewind_images.config import Settings
from rewind_images.errors import NotFound
from rewind_images.http import Response
from rewind_images.images.hit import records
from rewind_images.images.hit.json_form import attachment_response, wants_json
from rewind_images.images.inputs import ImagePath, ImageRouteQuery
from rewind_images.images.resolution import budget, pipeline
from rewind_images.images.resolution.admission import Verdict, admit
from rewind_images.images.row import ImageRecord
from rewind_images.images.variants import cdn_url
from rewind_images.routing import Call

REDIRECT_CACHE_CONTROL = "no-cache"
NOT_FOUND_CACHE_CONTROL = "public, max-age=300"
NO_IMAGE_MESSAGE = "No image available for this entity"


def redirect_headers(record: ImageRecord, size: str, settings: Settings) -> dict[str, str]:
    """The 302's headers: the CDN variant and the placeholder headers that are known."""
    headers = {
        "location": cdn_url(settings.cdn_base_url, record.r2_key, size, record.image_version),
        "cache-control": REDIRECT_CACHE_CONTROL,
        "vary": "Accept",  # the JSON form answers the same URL (`hit.json_form`)
    }
    if record.thumbhash:
        headers["x-thumbhash"] = record.thumbhash
    if record.dominant_color:
        headers["x-dominant-color"] = record.dominant_color
    if record.accent_color:
        headers["x-accent-color"] = record.accent_color
    return headers


async def get_image(call: Call[ImagePath, ImageRouteQuery, None]) -> Response:
    """Answer with a 302 to the CDN (or the JSON form), running the pipeline on a miss."""
    ctx, path = call.ctx, call.path
    entity, size = path.entity, path.size.value
    record = await records.lookup(ctx, entity)
    if record is None or not record.has_image:  # a hit asks nothing more
        admission = admit(ctx, entity, call.query, record)
        if admission.verdict is Verdict.resolve:
            await budget.charge(ctx, budget.key_caller(call.caller.id))
            record = await pipeline.resolve(ctx, entity, admission.query, previous=record)
            records.cache(ctx).remember(entity, record)
        if record is None or not record.has_image:
            raise NotFound(NO_IMAGE_MESSAGE, headers={"cache-control": NOT_FOUND_CACHE_CONTROL})
    if wants_json(call.request, call.query):
        return await attachment_response(ctx, entity, size, record)
    headers = records.cache(ctx).headers_for(entity, size, record, ctx.settings, redirect_headers)
    return Response(status=302, headers=dict(headers))

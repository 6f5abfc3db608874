"""DELETE /v1/admin/images/{domain}/{entity_type}/{entity_id}: remove the record and its R2
objects (by the storage rule: the row first, the objects once no row names them); the next GET
starts afresh."""

from __future__ import annotations

from rewind_images.errors import NotFound
from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.images.admin.models import Deleted
from rewind_images.images.hit import records
from rewind_images.images.inputs import EntityPath
from rewind_images.images.writing import claims, storage
from rewind_images.routing import Call

NO_RECORD_MESSAGE = "No image record for this entity"


async def delete(call: Call[EntityPath, None, None]) -> Response:
    """Remove the row, then its objects."""
    ctx, entity = call.ctx, call.path.entity
    async with claims.exclusive(ctx, entity) as token:
        existed, removed = await storage.delete(ctx, entity, token)
    records.forget(ctx, entity)
    if not existed and not removed:
        raise NotFound(NO_RECORD_MESSAGE)
    return json_response(Deleted(deleted=existed, removed_objects=removed).dict(), headers=NO_STORE)

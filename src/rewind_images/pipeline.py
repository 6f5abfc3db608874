"""The miss pipeline (placeholder until the pipeline lands): nothing is found."""

from __future__ import annotations

from rewind_images.context import Context
from rewind_images.errors import NotFound
from rewind_images.models import ImagePath, ImageQuery
from rewind_images.records import ImageRecord


async def resolve(
    ctx: Context, path: ImagePath, query: ImageQuery, *, previous: ImageRecord | None
) -> ImageRecord:
    """Find, store, analyse and record an image for the entity."""
    raise NotFound("No image available for this entity")

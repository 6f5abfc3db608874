"""GET /v1/admin/images: every image row, of every domain (also those this service does not
serve, whose rows share the table: the original service's `attending` players), newest first,
filtered and paginated in the API's list envelope. An operator sees which entities have no
image, which are overrides and which source served what; rows are shown as stored (sources
under the original's names, `image_version` 0), never changed."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, validator

from rewind_images.http import Response, json_response
from rewind_images.images import image_store
from rewind_images.pages import PageQuery, Pagination
from rewind_images.routing import Call
from rewind_images.rules import MAX_FILTER_LENGTH, TEXT_PATTERN
from rewind_images.validation import ApiModel, check_text

NO_STORE = {"cache-control": "no-store"}


class ImageStatus(StrEnum):
    """A row's status: `override` (an admin's image), else `none` (a recorded "no image"),
    else `ready`."""

    ready = "ready"
    none = "none"
    override = "override"


def _filter_text(description: str) -> Any:
    return Field(
        None,
        min_length=1,
        max_length=MAX_FILTER_LENGTH,
        regex=TEXT_PATTERN,
        description=description,
    )


class ImageListQuery(PageQuery):
    """?page=&limit= and the filters of GET /v1/admin/images (each an exact match)."""

    domain: str | None = _filter_text("Any domain, also one this service does not serve.")
    entity_type: str | None = _filter_text("Any entity type.")
    status: ImageStatus | None = None
    source: str | None = _filter_text("As stored, e.g. `apple-music` (the original's names).")

    @validator("domain", "entity_type", "source")
    def _no_control(cls, value: str | None) -> str | None:  # noqa: N805 - pydantic validator
        return check_text(value, "value")


class ListedImage(ApiModel):
    """One `images` row as stored, with its status."""

    id: int
    domain: str
    entity_type: str
    entity_id: str
    status: ImageStatus
    source: str
    source_url: str | None
    r2_key: str
    width: int | None
    height: int | None
    thumbhash: str | None
    dominant_color: str | None
    accent_color: str | None
    is_override: bool
    override_at: str | None
    image_version: int
    created_at: str
    search_hints: str | None


class ImageList(ApiModel):
    """Answer of GET /v1/admin/images."""

    data: list[ListedImage]
    pagination: Pagination


async def list_images(call: Call[None, ImageListQuery, None]) -> Response:
    """A page of image rows, newest first."""
    query = call.query
    wanted = image_store.ImageFilter(
        domain=query.domain,
        entity_type=query.entity_type,
        status=query.status.value if query.status else None,
        source=query.source,
    )
    total, rows = await image_store.list_images(
        call.ctx.db, wanted, limit=query.limit, offset=query.offset
    )
    listing = ImageList(
        data=[ListedImage.parse_obj({**r, "is_override": bool(r["is_override"])}) for r in rows],
        pagination=Pagination.of(query, total),
    )
    return json_response(listing.dict(), headers=NO_STORE)

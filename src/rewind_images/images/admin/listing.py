"""GET /v1/admin/images: every image row, of every domain (also those this service does not
serve, whose rows share the table: the original service's `attending` players), newest first,
filtered and paginated in the API's list envelope. An operator sees which entities have no
image, which are overrides and which source served what; rows are shown as stored (sources
under the original's names, `image_version` 0), never changed."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Any

from pydantic import Field, create_model, validator

from rewind_images.config import MAX_FILTER_LENGTH
from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.images.admin.models import RECORD_FIELDS
from rewind_images.images.row import ImageRecord
from rewind_images.images.store import image_rows
from rewind_images.pages import PageQuery, Pagination
from rewind_images.ports import Row
from rewind_images.routing import Call
from rewind_images.rules import TEXT_PATTERN
from rewind_images.validation import ApiModel, check_text


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


# One `images` row as stored: its id, entity and status, when an override was made, and every
# field of the row's one definition (`images.row.ImageRecord`).
ListedImage: type[ApiModel] = create_model(
    "ListedImage",
    __base__=ApiModel,
    id=(int, ...),
    domain=(str, ...),
    entity_type=(str, ...),
    entity_id=(str, ...),
    status=(ImageStatus, ...),
    override_at=(str | None, ...),
    **RECORD_FIELDS,
)
ListedImage.__doc__ = "One `images` row as stored, with its status."


class ImageList(ApiModel):
    """Answer of GET /v1/admin/images."""

    data: list[ListedImage]  # type: ignore[valid-type]  # a model made from the row
    pagination: Pagination


def _listed(row: Row) -> ApiModel:
    record = ImageRecord.from_row(row)
    return ListedImage(
        id=row["id"],
        domain=row["domain"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        status=row["status"],
        override_at=row.get("override_at"),
        **asdict(record),
    )


async def list_images(call: Call[None, ImageListQuery, None]) -> Response:
    """A page of image rows, newest first."""
    query = call.query
    wanted = image_rows.ImageFilter(
        domain=query.domain,
        entity_type=query.entity_type,
        status=query.status.value if query.status else None,
        source=query.source,
    )
    total, rows = await image_rows.list_images(
        call.ctx.db, wanted, limit=query.limit, offset=query.offset
    )
    listing = ImageList(
        data=[_listed(row) for row in rows],
        pagination=Pagination.of(query, total),
    )
    return json_response(listing.dict(), headers=NO_STORE)

"""Request and response models of the admin image routes (validation and OpenAPI)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, get_type_hints

from pydantic import Field, create_model

from rewind_images.config import MAX_REANALYZE_BATCH_SIZE, MAX_ROW_ID, MAX_URL_LENGTH
from rewind_images.images.row import Entity, ImageRecord
from rewind_images.rules import URL_PATTERN
from rewind_images.validation import ApiModel


class CandidateInfo(ApiModel):
    """One image a source offers."""

    source: str
    url: str
    width: int | None
    height: int | None


class SourceFailure(ApiModel):
    """A source that could not be asked."""

    source: str
    error: str


class CurrentImage(ApiModel):
    """The entity's current record, as far as alternatives are concerned."""

    source: str
    source_url: str | None
    is_override: bool
    image_version: int


class Alternatives(ApiModel):
    """Answer of GET /v1/admin/images/.../alternatives."""

    candidates: list[CandidateInfo]
    failures: list[SourceFailure]
    current: CurrentImage | None


class OverrideRequest(ApiModel):
    """JSON body of PUT /v1/admin/images/... (or send multipart/form-data with `image`)."""

    source_url: str = Field(..., max_length=MAX_URL_LENGTH, regex=URL_PATTERN)

    class Config:
        extra = "forbid"


# Every field of the row's one definition, as pydantic fields of the admin answers.
RECORD_FIELDS: dict[str, Any] = {
    name: (kind, ...) for name, kind in get_type_hints(ImageRecord).items()
}

# The entity, whether it has an image, and every field of the row's one definition.
ImageRecordInfo: type[ApiModel] = create_model(
    "ImageRecordInfo",
    __base__=ApiModel,
    domain=(str, ...),
    entity_type=(str, ...),
    entity_id=(str, ...),
    has_image=(bool, ...),
    **RECORD_FIELDS,
)
ImageRecordInfo.__doc__ = "An image record as the admin routes report it."


def record_info(entity: Entity, record: ImageRecord) -> dict[str, Any]:
    """The admin answer for an entity's record."""
    domain, entity_type, entity_id = entity
    return ImageRecordInfo(
        domain=domain,
        entity_type=entity_type,
        entity_id=entity_id,
        has_image=record.has_image,
        **asdict(record),
    ).dict()


class Deleted(ApiModel):
    """Answer of DELETE /v1/admin/images/...."""

    deleted: bool
    removed_objects: list[str]


class ReanalyzeRequest(ApiModel):
    """Body of POST /v1/admin/images/reanalyze."""

    batch_size: int = Field(10, ge=1, le=MAX_REANALYZE_BATCH_SIZE)
    all: bool = Field(False, description="Every image row, not only rows missing a ThumbHash.")
    cursor: int = Field(
        0, ge=0, le=MAX_ROW_ID, description="Continue after this row id (from next_cursor)."
    )

    class Config:
        extra = "forbid"


class ReanalyzeResult(ApiModel):
    """Answer of POST /v1/admin/images/reanalyze; loop while `remaining` > 0."""

    updated: int
    failed: int
    remaining: int
    next_cursor: int

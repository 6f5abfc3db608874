"""Request and response models of the attachment routes (the batch, the JSON form of the image
route, the admin backfill), for validation and the OpenAPI document.

The batch and the backfill read their items one by one (`images.items`): a bad item is answered
`invalid` (or reported), not a 400 for the whole request. So the model routing validates a body
with takes any item list of the right length, while the document shows the strict item schema:
its `schema()` is the documented model's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, validator

from rewind_images.config import MAX_ATTACHMENT_ITEMS
from rewind_images.images.items import ItemModel, ItemsBody, item_list
from rewind_images.images.variants import SIZE_NAMES, Size
from rewind_images.validation import ApiModel, shown


class Attachment(ApiModel):
    """An entity's image as the Rewind API embeds it (`image` of every entity answer)."""

    cdn_url: str = Field(..., description="Exactly the redirect's Location for this size.")
    url: str = Field(..., description="The same value as cdn_url.")
    thumbhash: str | None = Field(..., description="Standard base64, as X-ThumbHash.")
    dominant_color: str | None = Field(..., example="#f5d1dc")
    accent_color: str | None = Field(..., example="#203040")
    width: int | None = Field(
        ..., description="Of the variant: the preset's for a size, the source's for original."
    )
    height: int | None = Field(..., description="Of the variant, like width.")
    aspect_ratio: float | None = Field(
        ..., description="The source image's width / height, 4 decimals."
    )
    placeholder: str | None = Field(
        ...,
        description="The ThumbHash decoded by the reference algorithm as a PNG data URL (at "
        "most 32 px on its long side): usable as next/image's blurDataURL.",
    )
    source: str = Field(..., example="apple_music")
    image_version: int


class AttachmentAnswer(ApiModel):
    """Answer of GET /v1/images/... in its JSON form."""

    data: Attachment


class AttachmentStatus(StrEnum):
    """How an item of a batch was answered."""

    ready = "ready"
    none = "none"
    pending = "pending"
    failed = "failed"
    invalid = "invalid"


class AttachmentResult(ApiModel):
    """One item's answer, at its position in the request."""

    domain: str | None = Field(..., description="As given (null when not text).")
    entity_type: str | None = Field(..., description="As given (null when not text).")
    entity_id: str | None = Field(..., description="As given; an integer as its digits.")
    size: str | None = Field(..., description="The item's size, else the batch's.")
    status: AttachmentStatus = Field(
        ...,
        description="ready: image is the attachment. none: no image exists (a 'no image' "
        "record within the negative TTL), or no source can be asked with the item's hints "
        "(nothing queued; a GET would answer 404). pending: queued for the background (or "
        "past the caller's miss budget: queued when asked again in a later minute); ask again "
        "later. failed: the background resolution failed on every try; queued again when "
        "asked after FAILED_RETRY_SECONDS, or at once with other hints. invalid: error says "
        "why (the message a single GET would get).",
    )
    image: Attachment | None = Field(...)
    error: str | None = Field(default=None, description="Only with status invalid.")


class AttachmentsAnswer(ApiModel):
    """Answer of POST /v1/images/attachments: one result per item, in request order."""

    data: list[AttachmentResult]


class AttachmentItem(ItemModel):
    """An entity whose attachment is wanted."""

    size: Size | None = Field(default=None, description="Default: the batch's size.")

    class Config:
        title = "AttachmentItem"


class _AttachmentsRequestSchema(ApiModel):
    size: Size = Field(Size.medium, description="The size of items that name none.")
    items: list[AttachmentItem] = Field(
        ..., min_items=1, max_items=MAX_ATTACHMENT_ITEMS, description="Each read on its own."
    )

    class Config:
        title = "AttachmentsRequest"
        extra = "forbid"


def _known_size(value: Any) -> Any:
    # Read as "Invalid size: X. Valid sizes: ..." (the image route's message) once routing
    # prefixes the field.
    if value not in SIZE_NAMES:
        raise ValueError(f"{shown(value)}. Valid sizes: {', '.join(SIZE_NAMES)}")
    return value


class AttachmentsRequest(ItemsBody):
    """Body of POST /v1/images/attachments."""

    documented_as: ClassVar[type[ApiModel]] = _AttachmentsRequestSchema
    size: Size = Size.medium
    items: Any = Field(...)

    _size = validator("size", pre=True, allow_reuse=True)(_known_size)
    _items = validator("items", allow_reuse=True)(
        lambda value: item_list(value, MAX_ATTACHMENT_ITEMS)
    )

    class Config:
        extra = "forbid"

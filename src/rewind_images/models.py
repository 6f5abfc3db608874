"""Request and response models (pydantic 1.10: the pydantic that runs inside the Worker).

The same models validate requests and generate `/v1/openapi.json`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError, validator

from rewind_images.errors import BadRequest
from rewind_images.presets import SIZE_NAMES
from rewind_images.timestamps import iso_from_datetime

MAX_ENTITY_ID_LENGTH = 200
# Ids and cursors bound to D1 parameters stay 32-bit: larger Python ints cross to JavaScript
# as BigInt near 2**53, which D1 refuses.
MAX_ROW_ID = 2**31 - 1
MAX_HINT_LENGTH = 300
MAX_URL_LENGTH = 2048
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TMDB_ID_PATTERN = r"^[1-9][0-9]{0,11}$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# No control characters, and for ids no '/' or '\\' (they would add key segments).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
URL_PATTERN = r"^https?://[^\x00-\x1f\x7f]*$"
ENTITY_ID_PATTERN = r"^[^/\\\x00-\x1f\x7f]+$"


class Domain(StrEnum):
    """Top-level data domains that have images."""

    listening = "listening"
    watching = "watching"
    collecting = "collecting"
    reading = "reading"


class EntityType(StrEnum):
    """Kinds of entities that have images."""

    albums = "albums"
    artists = "artists"
    movies = "movies"
    shows = "shows"
    releases = "releases"
    articles = "articles"


class Size(StrEnum):
    """Named sizes; the pixel dimensions are in `presets.SIZES` (kept in step by a unit test)."""

    thumbnail = "thumbnail"
    small = "small"
    medium = "medium"
    large = "large"
    poster = "poster"
    poster_lg = "poster-lg"
    backdrop = "backdrop"
    original = "original"
    poster_sm = "poster-sm"


def _mark_nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """pydantic 1 leaves `None` out of Optional fields' schemas; say it, so the OpenAPI
    document matches the `null`s the API returns."""
    for name, model_field in model.__fields__.items():
        prop = schema.get("properties", {}).get(model_field.alias or name)
        if prop is None or not model_field.allow_none:
            continue
        if isinstance(prop.get("type"), str):
            prop["type"] = [prop["type"], "null"]
        elif "$ref" in prop or "allOf" in prop:
            inner = {k: prop.pop(k) for k in ("$ref", "allOf") if k in prop}
            prop["anyOf"] = [inner, {"type": "null"}]


class ApiModel(BaseModel):
    """Base of the API's models."""

    class Config:
        schema_extra = staticmethod(_mark_nullable)


def _check_text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if _CONTROL.search(value):
        raise ValueError(f"{what} contains control characters")
    return value


class ImagePath(ApiModel):
    """Path parameters of GET /v1/images/{domain}/{entity_type}/{entity_id}/{size}."""

    domain: Domain
    entity_type: EntityType
    entity_id: str = Field(
        ...,
        min_length=1,
        max_length=MAX_ENTITY_ID_LENGTH,
        regex=ENTITY_ID_PATTERN,
        example="album-123",
        description="Not '.' or '..'.",
    )
    size: Size

    @validator("entity_id")
    def _entity_id(cls, value: str) -> str:  # noqa: N805 - pydantic validator
        _check_text(value, "entity id")
        # '/' would add key segments, '.'/'..' would be collapsed by URL normalisation.
        if "/" in value or "\\" in value or value in (".", ".."):
            raise ValueError("entity id may not contain '/' or '\\' or be '.' or '..'")
        return value


class EntityPath(ApiModel):
    """Path parameters naming one entity (admin routes)."""

    domain: Domain
    entity_type: EntityType
    entity_id: str = Field(
        ..., min_length=1, max_length=MAX_ENTITY_ID_LENGTH, regex=ENTITY_ID_PATTERN
    )

    _entity_id = validator("entity_id", allow_reuse=True)(ImagePath._entity_id.__func__)  # type: ignore[attr-defined]


class ImageQuery(ApiModel):
    """Search hints for the sources (used on a miss; ignored on a hit)."""

    artist_name: str | None = Field(
        None, min_length=1, max_length=MAX_HINT_LENGTH, regex=TEXT_PATTERN, example="Radiohead"
    )
    album_name: str | None = Field(
        None, min_length=1, max_length=MAX_HINT_LENGTH, regex=TEXT_PATTERN, example="OK Computer"
    )
    mbid: str | None = Field(
        None, regex=UUID_PATTERN, example="a1b2c3d4-0000-4000-8000-000000000000"
    )
    tmdb_id: str | None = Field(None, regex=TMDB_ID_PATTERN, example="12345")
    article_url: str | None = Field(
        None,
        max_length=MAX_URL_LENGTH,
        regex=URL_PATTERN,
        description="Extension: the article page whose og:image to use (reading/articles).",
    )

    @validator("artist_name", "album_name", "mbid", "tmdb_id", "article_url")
    def _no_control(cls, value: str | None) -> str | None:  # noqa: N805 - pydantic validator
        # pydantic 1 matches `regex` with re.match, whose `$` also matches before a final
        # newline; the patterns stay as they are because they go into the OpenAPI document.
        return _check_text(value, "value")

    class Config:
        # Unknown parameters (cache busters, tracking) are ignored, as most APIs do.
        extra = "ignore"


class ErrorResponse(ApiModel):
    """The error envelope of every non-2xx/3xx answer."""

    error: str = Field(..., example="Not found")
    status: int = Field(..., example=404)


class HealthResponse(ApiModel):
    """Body of GET /v1/health."""

    status: str
    service: str
    version: str


_PATH_MESSAGES = {
    "domain": "Invalid domain: {value}",
    "entity_type": "Invalid entity type: {value}",
    "size": "Invalid size: {value}. Valid sizes: " + ", ".join(SIZE_NAMES),
    "entity_id": "Invalid entity id",
}


def _first_error_field(exc: ValidationError) -> str:
    errors = exc.errors()
    return str(errors[0]["loc"][0]) if errors else ""


def parse_image_path(params: dict[str, str]) -> ImagePath:
    """Validate path parameters; raise BadRequest with the API's messages."""
    try:
        return ImagePath.parse_obj(params)
    except ValidationError as exc:
        field = _first_error_field(exc)
        template = _PATH_MESSAGES.get(field, "Invalid path")
        raise BadRequest(template.format(value=params.get(field, ""))) from exc


def parse_entity_path(params: dict[str, str]) -> EntityPath:
    """Validate the entity part of an admin path; raise BadRequest."""
    try:
        return EntityPath.parse_obj(params)
    except ValidationError as exc:
        field = _first_error_field(exc)
        template = _PATH_MESSAGES.get(field, "Invalid path")
        raise BadRequest(template.format(value=params.get(field, ""))) from exc


def parse_image_query(query: dict[str, list[str]]) -> ImageQuery:
    """Validate search hints; a known parameter given twice is rejected, unknown ones ignored."""
    flat: dict[str, str] = {}
    for name, values in query.items():
        if name not in ImageQuery.__fields__:
            continue
        if len(values) > 1:
            raise BadRequest(f"Query parameter {name} given more than once")
        flat[name] = values[0]
    try:
        return ImageQuery.parse_obj(flat)
    except ValidationError as exc:
        raise BadRequest(f"Invalid {_first_error_field(exc)}") from exc


class KeyScope(StrEnum):
    """What a key may do: read = GET endpoints, admin = everything."""

    read = "read"
    admin = "admin"


MAX_KEY_NAME_LENGTH = 100
MAX_RATE_LIMIT_RPM = 1_000_000


class KeyCreate(ApiModel):
    """Body of POST /v1/admin/keys."""

    name: str = Field(
        ..., min_length=1, max_length=MAX_KEY_NAME_LENGTH, regex=TEXT_PATTERN, example="my app"
    )
    scope: KeyScope = KeyScope.read
    rate_limit_rpm: int = Field(60, ge=1, le=MAX_RATE_LIMIT_RPM)
    expires_at: datetime | None = Field(
        None, description="Time after which the key stops working (RFC 3339)."
    )

    @validator("rate_limit_rpm", pre=True)
    def _whole_number(cls, value: object) -> object:  # noqa: N805 - pydantic validator
        # pydantic 1 would take true, 1.9 or "60" as numbers; JSON's 60.0 is a whole number.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("must be a whole number")
        if isinstance(value, float) and not value.is_integer():
            raise TypeError("must be a whole number")
        return int(value)

    @validator("name")
    def _name(cls, value: str) -> str:  # noqa: N805 - pydantic validator
        _check_text(value, "name")  # see ImageQuery._no_control
        return value

    @validator("expires_at")
    def _utc(cls, value: datetime | None) -> datetime | None:  # noqa: N805 - pydantic validator
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def expires_at_text(self) -> str | None:
        """`expires_at` as stored in D1 (ISO-8601 UTC with milliseconds and Z)."""
        return None if self.expires_at is None else iso_from_datetime(self.expires_at)

    class Config:
        extra = "forbid"


class KeyInfo(ApiModel):
    """A key as listed: never the raw key, only its prefix and last four characters."""

    id: int
    name: str
    scope: KeyScope
    key_prefix: str
    key_hint: str
    rate_limit_rpm: int
    request_count: int
    last_used_at: str | None
    expires_at: str | None
    is_active: bool
    created_at: str


class KeyCreated(KeyInfo):
    """Answer of POST /v1/admin/keys: the raw key, shown this once."""

    key: str


class Pagination(ApiModel):
    """The API's page-based pagination block."""

    page: int
    limit: int
    total: int
    total_pages: int


class KeyList(ApiModel):
    """Answer of GET /v1/admin/keys."""

    data: list[KeyInfo]
    pagination: Pagination


DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100


class PageQuery(ApiModel):
    """?page=&limit= of list endpoints."""

    page: int = Field(1, ge=1, le=1_000_000)
    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)


def parse_body(model: type[BaseModel], body: bytes) -> BaseModel:
    """Validate a JSON body against a model; raise BadRequest with the first problem."""
    import json

    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        raise BadRequest("Body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("Body must be a JSON object")
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadRequest(f"Invalid {where}: {first['msg']}") from exc
    except TypeError as exc:
        raise BadRequest("Body has an invalid field") from exc


def parse_query_model(model: type[BaseModel], query: dict[str, list[str]]) -> BaseModel:
    """Validate query parameters against a model (first value of each); raise BadRequest."""
    flat = {k: v[0] for k, v in query.items() if k in model.__fields__}
    try:
        return model.parse_obj(flat)
    except ValidationError as exc:
        raise BadRequest(f"Invalid {_first_error_field(exc)}") from exc


class KeyIdPath(ApiModel):
    """Path parameter of key routes."""

    key_id: int = Field(..., ge=1, le=MAX_ROW_ID)


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


class ImageInfo(ApiModel):
    """An image record as the admin routes report it."""

    domain: str
    entity_type: str
    entity_id: str
    has_image: bool
    r2_key: str
    source: str
    source_url: str | None
    width: int | None
    height: int | None
    thumbhash: str | None
    dominant_color: str | None
    accent_color: str | None
    is_override: bool
    image_version: int


class Deleted(ApiModel):
    """Answer of DELETE /v1/admin/images/...."""

    deleted: bool
    removed_objects: list[str]


MAX_REANALYZE_BATCH = 50


class ReanalyzeRequest(ApiModel):
    """Body of POST /v1/admin/images/reanalyze."""

    batch_size: int = Field(10, ge=1, le=MAX_REANALYZE_BATCH)
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

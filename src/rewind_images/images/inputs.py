"""Request and response models of the image routes (validation and OpenAPI)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, PrivateAttr, validator

from rewind_images.config import MAX_ENTITY_ID_LENGTH, MAX_HINT_LENGTH, MAX_URL_LENGTH
from rewind_images.images.variants import SIZE_NAMES, Size
from rewind_images.rules import (
    ENTITY_ID_PATTERN,
    TEXT_PATTERN,
    TMDB_ID_PATTERN,
    URL_PATTERN,
    UUID_PATTERN,
)
from rewind_images.validation import ApiModel, check_text

__all__ = ["Size"]


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


PATH_MESSAGES = {
    "domain": "Invalid domain: {value}",
    "entity_type": "Invalid entity type: {value}",
    "size": "Invalid size: {value}. Valid sizes: " + ", ".join(SIZE_NAMES),
    "entity_id": "Invalid entity id",
}


def _entity_id(value: str) -> str:
    check_text(value, "entity id")
    # '/' would add key segments, '.'/'..' would be collapsed by URL normalisation.
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("entity id may not contain '/' or '\\' or be '.' or '..'")
    return value


class EntityPath(ApiModel):
    """Path parameters naming one entity."""

    messages: ClassVar[dict[str, str]] = PATH_MESSAGES

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

    _entity_id = validator("entity_id", allow_reuse=True)(_entity_id)
    # The hit path's validated paths are memoised per isolate: their entity is made once.
    _entity: tuple[str, str, str] | None = PrivateAttr(default=None)

    @property
    def entity(self) -> tuple[str, str, str]:
        """(domain, entity_type, entity_id) as plain strings."""
        if self._entity is None:
            self._entity = (self.domain.value, self.entity_type.value, self.entity_id)
        return self._entity


class ImagePath(EntityPath):
    """Path parameters of GET /v1/images/{domain}/{entity_type}/{entity_id}/{size}."""

    size: Size


HINT_NAMES = ("artist_name", "album_name", "mbid", "tmdb_id", "article_url")


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
        return check_text(value, "value")

    def hints(self) -> dict[str, str]:
        """The hints given (None ones left out)."""
        return {name: value for name in HINT_NAMES if (value := getattr(self, name)) is not None}

    class Config:
        # Unknown parameters (cache busters, tracking) are ignored, as most APIs do.
        extra = "ignore"


class ImageRouteQuery(ImageQuery):
    """Query of GET /v1/images/...: the search hints, and the answer's format."""

    format: Literal["json"] | None = Field(
        None,
        description='`json`: answer 200 `{"data": attachment}` instead of the redirect, as '
        "`Accept: application/json` does (for clients that cannot set headers).",
    )

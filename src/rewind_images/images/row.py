"""The image row, defined once: the fields of an `images` row and the entity that names it.

`NewImage` holds what a writer learns about an entity's image (the columns every write sets);
`ImageRecord` is a row as read, those fields and the ones the table keeps by itself. The store's
column lists and statements (`store.image_rows`) and the admin answer (`admin.models`) are
derived from these two classes, so a new column is added here and nowhere else.

Rows written by the original TypeScript service are read as they are: its source names
(`apple-music`, `manual`, ...) kept, `image_version` 0 kept as 0. Like the original, a "no
image" row's `created_at` is when the sources were last asked (the negative TTL's clock): the
original's table has no other column for it, and D1 migrations cannot add one only where it is
missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

Entity = tuple[str, str, str]
"""(domain, entity_type, entity_id)."""

NO_IMAGE_SOURCE = "none"


@dataclass(frozen=True)
class NewImage:
    """What a pipeline run (or an override) learned about an entity's image. `r2_key == ''`
    records that no source had an image."""

    r2_key: str
    source: str
    source_url: str | None
    width: int | None
    height: int | None
    thumbhash: str | None
    dominant_color: str | None
    accent_color: str | None
    search_hints: str | None

    @classmethod
    def nothing(cls, search_hints: str | None = None) -> NewImage:
        """The record of "no source has an image" (empty key, source 'none')."""
        return cls("", NO_IMAGE_SOURCE, None, None, None, None, None, None, search_hints)


@dataclass(frozen=True)
class ImageRecord(NewImage):
    """One `images` row as read."""

    is_override: bool
    image_version: int
    created_at: str

    @property
    def has_image(self) -> bool:
        """False for a recorded "no image" result."""
        return bool(self.r2_key)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ImageRecord:
        """Build from a D1 row dict (one with every column of `RECORD_COLUMNS`)."""
        return cls(**{name: _READ.get(name, _as_is)(row.get(name)) for name in RECORD_COLUMNS})


def _as_is(value: Any) -> Any:
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _version(value: Any) -> int:
    return 1 if value is None else int(value)


# How a column's stored value becomes the field's (the others are taken as they are).
_READ: dict[str, Callable[[Any], Any]] = {
    "r2_key": _text,
    "source": _text,
    "is_override": bool,
    "image_version": _version,
    "created_at": _text,
}

WRITTEN_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(NewImage))
"""The columns every write of an entity's image sets, in `NewImage`'s order."""
RECORD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ImageRecord))
"""The columns a read returns, in `ImageRecord`'s order."""


def written_values(image: NewImage) -> tuple[Any, ...]:
    """`image`'s values in `WRITTEN_COLUMNS` order."""
    return tuple(getattr(image, name) for name in WRITTEN_COLUMNS)

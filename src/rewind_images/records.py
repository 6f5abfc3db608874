"""The `images` table: reading and writing image records. Queries live here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rewind_images.context import Database

NO_IMAGE_SOURCE = "none"

SELECT_IMAGE = (
    "SELECT r2_key, source, source_url, width, height, thumbhash, dominant_color, accent_color,"
    " is_override, image_version, created_at, checked_at, search_hints"
    " FROM images WHERE domain = ? AND entity_type = ? AND entity_id = ?"
)


@dataclass(frozen=True)
class ImageRecord:
    """One `images` row. `r2_key == ''` records that no source had an image."""

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
    created_at: str
    checked_at: str | None
    search_hints: str | None

    @property
    def has_image(self) -> bool:
        """False for a recorded "no image" result."""
        return bool(self.r2_key)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ImageRecord:
        """Build from a D1 row dict."""
        return cls(
            r2_key=str(row.get("r2_key") or ""),
            source=str(row.get("source") or ""),
            source_url=row.get("source_url"),
            width=row.get("width"),
            height=row.get("height"),
            thumbhash=row.get("thumbhash"),
            dominant_color=row.get("dominant_color"),
            accent_color=row.get("accent_color"),
            is_override=bool(row.get("is_override")),
            image_version=int(row.get("image_version") or 1),
            created_at=str(row.get("created_at") or ""),
            checked_at=row.get("checked_at"),
            search_hints=row.get("search_hints"),
        )


async def get_image(
    db: Database, domain: str, entity_type: str, entity_id: str
) -> ImageRecord | None:
    """The record of an entity, or None."""
    row = await db.first(SELECT_IMAGE, domain, entity_type, entity_id)
    return None if row is None else ImageRecord.from_row(row)

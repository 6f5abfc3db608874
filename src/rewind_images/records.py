"""The `images` table: reading and writing image records. Queries live here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rewind_images.context import Database, SqlParam

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


@dataclass(frozen=True)
class NewImage:
    """What the pipeline (or an override) learned about an entity's image."""

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


# Insert, or replace a pipeline row (never an override: `is_override = 0` guards the update).
# A replaced row gets a new version, so URLs of the old bytes are never reused.
UPSERT_PIPELINE_IMAGE = (
    "INSERT INTO images (domain, entity_type, entity_id, r2_key, source, source_url, width,"
    " height, thumbhash, dominant_color, accent_color, search_hints, created_at, checked_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET"
    " r2_key = excluded.r2_key, source = excluded.source, source_url = excluded.source_url,"
    " width = excluded.width, height = excluded.height, thumbhash = excluded.thumbhash,"
    " dominant_color = excluded.dominant_color, accent_color = excluded.accent_color,"
    " search_hints = excluded.search_hints, checked_at = excluded.checked_at,"
    " image_version = images.image_version + 1"
    " WHERE images.is_override = 0"
)

CLAIM = (
    "INSERT INTO image_claims (domain, entity_type, entity_id, token, expires_at)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET"
    " token = excluded.token, expires_at = excluded.expires_at"
    " WHERE image_claims.expires_at < ?"
    " RETURNING token"
)
RELEASE = (
    "DELETE FROM image_claims WHERE domain = ? AND entity_type = ? AND entity_id = ? AND token = ?"
)
CLAIM_EXISTS = (
    "SELECT token FROM image_claims WHERE domain = ? AND entity_type = ? AND entity_id = ?"
)


def _image_values(entity: tuple[str, str, str], image: NewImage) -> tuple[SqlParam, ...]:
    """The leading bind values shared by both upserts, in their column order."""
    return (
        *entity,
        image.r2_key,
        image.source,
        image.source_url,
        image.width,
        image.height,
        image.thumbhash,
        image.dominant_color,
        image.accent_color,
        image.search_hints,
    )


async def claim(
    db: Database, entity: tuple[str, str, str], token: str, now_ms: int, lease_ms: int
) -> bool:
    """Take the entity's resolve claim (new, or expired); True when this caller holds it."""
    rows = await db.all(CLAIM, *entity, token, now_ms + lease_ms, now_ms)
    return bool(rows) and rows[0].get("token") == token


async def claim_held(db: Database, entity: tuple[str, str, str]) -> bool:
    """Whether someone holds the entity's claim."""
    return await db.first(CLAIM_EXISTS, *entity) is not None


async def release(db: Database, entity: tuple[str, str, str], token: str) -> None:
    """Give the claim up (only if still ours)."""
    await db.run(RELEASE, *entity, token)


async def record_and_release(
    db: Database,
    entity: tuple[str, str, str],
    token: str,
    image: NewImage,
    now_iso: str,
) -> ImageRecord | None:
    """Upsert the row and drop the claim in one transaction; the row as stored afterwards,
    or None when an override holds the entity (then nothing was changed)."""
    values = (*_image_values(entity, image), now_iso, now_iso)
    results = await db.batch(
        [
            (UPSERT_PIPELINE_IMAGE, values),
            (RELEASE, (*entity, token)),
            (SELECT_IMAGE, entity),
        ]
    )
    rows = results[2]
    if not rows:
        return None
    record = ImageRecord.from_row(rows[0])
    if record.is_override or record.r2_key != image.r2_key:
        return None
    return record


# An override (or a revert to the sources) always takes the row and bumps its version, so the
# next redirect points at a URL no cache has seen.
UPSERT_ADMIN_IMAGE = (
    "INSERT INTO images (domain, entity_type, entity_id, r2_key, source, source_url, width,"
    " height, thumbhash, dominant_color, accent_color, search_hints, is_override, override_at,"
    " created_at, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET"
    " r2_key = excluded.r2_key, source = excluded.source, source_url = excluded.source_url,"
    " width = excluded.width, height = excluded.height, thumbhash = excluded.thumbhash,"
    " dominant_color = excluded.dominant_color, accent_color = excluded.accent_color,"
    " search_hints = COALESCE(excluded.search_hints, images.search_hints),"
    " is_override = excluded.is_override, override_at = excluded.override_at,"
    " checked_at = excluded.checked_at, image_version = images.image_version + 1"
)
DELETE_IMAGE = "DELETE FROM images WHERE domain = ? AND entity_type = ? AND entity_id = ?"


async def write_admin_image(
    db: Database,
    entity: tuple[str, str, str],
    image: NewImage,
    *,
    is_override: bool,
    now_iso: str,
) -> ImageRecord:
    """Insert or replace the row for an override or a revert; the row as stored."""
    results = await db.batch(
        [
            (
                UPSERT_ADMIN_IMAGE,
                (
                    *_image_values(entity, image),
                    1 if is_override else 0,
                    now_iso if is_override else None,
                    now_iso,
                    now_iso,
                ),
            ),
            (SELECT_IMAGE, entity),
        ]
    )
    return ImageRecord.from_row(results[1][0])


async def delete_image(db: Database, entity: tuple[str, str, str]) -> bool:
    """Remove an entity's row; whether there was one."""
    return await db.run(DELETE_IMAGE, *entity) > 0

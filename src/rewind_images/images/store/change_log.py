"""Every SQL statement of `image_changes`: the log of changed image rows (written by triggers on
`images`, so every writer is covered) that keeps the isolates' record caches fresh."""

from __future__ import annotations

from dataclasses import dataclass

from rewind_images.images.row import Entity
from rewind_images.images.store.entities import row_entity
from rewind_images.ports import Database, Row

LATEST_CHANGE = "SELECT coalesce(max(id), 0) AS id FROM image_changes"
CHANGES_SINCE = (
    "SELECT id, domain, entity_type, entity_id FROM image_changes WHERE id > ? ORDER BY id LIMIT ?"
)


@dataclass(frozen=True)
class Change:
    """One logged change of an entity's row."""

    id: int
    entity: Entity


async def latest_change_id(db: Database) -> int:
    """The newest change log id (0 when empty)."""
    return change_id(await db.first(LATEST_CHANGE))


def change_id(row: Row | None) -> int:
    """The id of a LATEST_CHANGE row (0 when the log is empty)."""
    return int((row or {}).get("id") or 0)


async def changes_since(db: Database, after_id: int, limit: int) -> list[Change]:
    """Logged changes after `after_id`, oldest first, at most `limit`."""
    rows = await db.all(CHANGES_SINCE, after_id, limit)
    return [Change(int(r["id"]), row_entity(r)) for r in rows]

"""Every SQL statement of the `images` table: reads of one entity or many, and the writes.

Every write of an entity's row (insert, replace, delete, new analysis) carries the condition
that its writer holds the entity's claim (`claim_rows.CLAIM_HELD`) in the same statement, so a
writer whose lease was taken over changes nothing (and is told so). Column lists come from the
row's one definition (`images.row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rewind_images.config import D1_MAX_BOUND_PARAMETERS
from rewind_images.images.row import (
    RECORD_COLUMNS,
    WRITTEN_COLUMNS,
    Entity,
    ImageRecord,
    NewImage,
    written_values,
)
from rewind_images.images.store.claim_rows import CLAIM_HELD, RELEASE
from rewind_images.images.store.entities import ENTITY, path_in_statements, row_entity, run_reads
from rewind_images.ports import Database, Row, SqlParam, Statement

_RECORD = ", ".join(RECORD_COLUMNS)
SELECT_IMAGE = f"SELECT {_RECORD} FROM images WHERE {ENTITY}"


async def get_image(db: Database, entity: Entity) -> ImageRecord | None:
    """The record of an entity, or None."""
    row = await db.first(SELECT_IMAGE, *entity)
    return None if row is None else ImageRecord.from_row(row)


# --- batched reads ----------------------------------------------------------------------------


def batched_select(
    entities: Sequence[Entity], max_params: int = D1_MAX_BOUND_PARAMETERS
) -> list[Statement]:
    """The SELECTs that read the rows of `entities`, one bound parameter each."""
    select = f"SELECT domain, entity_type, entity_id, {_RECORD} FROM images WHERE"
    return path_in_statements(select, entities, max_params)


async def get_images(db: Database, entities: Sequence[Entity]) -> dict[Entity, ImageRecord]:
    """The records of many entities (those that have one), read with `batched_select` in one
    D1 round trip."""
    wanted = set(entities)
    found: dict[Entity, ImageRecord] = {}
    for row in await run_reads(db, batched_select(entities)):
        entity = row_entity(row)
        if entity in wanted:
            found[entity] = ImageRecord.from_row(row)
    return found


# --- row writes (each under the claim) --------------------------------------------------------

_COLUMNS = ", ".join(("domain", "entity_type", "entity_id", *WRITTEN_COLUMNS))
_MARKS = ", ".join("?" * (3 + len(WRITTEN_COLUMNS)))
# Every written column but the hints (each statement says how it keeps them), and a new
# version: URLs of the old bytes are never reused.
_SET_IMAGE = ", ".join(
    [f"{c} = excluded.{c}" for c in WRITTEN_COLUMNS if c != "search_hints"]
    + ["checked_at = excluded.checked_at", "image_version = images.image_version + 1"]
)
# Insert, or replace a pipeline row (never an override: `is_override = 0` guards the update).
UPSERT_PIPELINE_IMAGE = (
    f"INSERT INTO images ({_COLUMNS}, created_at, checked_at)"
    f" SELECT {_MARKS}, ?, ? WHERE {CLAIM_HELD}"
    f" ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET {_SET_IMAGE},"
    " search_hints = excluded.search_hints"
    " WHERE images.is_override = 0"
    " RETURNING image_version"
)
# An override (or a revert to the sources) always takes the row and bumps its version, so the
# next redirect points at a URL no cache has seen.
UPSERT_ADMIN_IMAGE = (
    f"INSERT INTO images ({_COLUMNS}, is_override, override_at, created_at, checked_at)"
    f" SELECT {_MARKS}, ?, ?, ?, ? WHERE {CLAIM_HELD}"
    f" ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET {_SET_IMAGE},"
    " search_hints = COALESCE(excluded.search_hints, images.search_hints),"
    " is_override = excluded.is_override, override_at = excluded.override_at"
    " RETURNING image_version"
)
DELETE_IMAGE = f"DELETE FROM images WHERE {ENTITY} AND {CLAIM_HELD}"


def _image_values(entity: Entity, image: NewImage) -> tuple[SqlParam, ...]:
    return (*entity, *written_values(image))


@dataclass(frozen=True)
class WriteResult:
    """A row write: whether it changed the row, and the row as stored afterwards."""

    written: bool
    record: ImageRecord | None


def _result(results: list[list[Row]]) -> WriteResult:
    """From a batch of (upsert RETURNING, ..., SELECT_IMAGE)."""
    rows = results[-1]
    return WriteResult(bool(results[0]), ImageRecord.from_row(rows[0]) if rows else None)


async def write_pipeline_image(
    db: Database, entity: Entity, token: str, image: NewImage, now_iso: str
) -> WriteResult:
    """Upsert a pipeline row and release the claim, in one transaction. Not written when an
    override holds the row or the claim is no longer ours."""
    values = (*_image_values(entity, image), now_iso, now_iso, *entity, token)
    results = await db.batch(
        [
            (UPSERT_PIPELINE_IMAGE, values),
            (RELEASE, (*entity, token)),
            (SELECT_IMAGE, entity),
        ]
    )
    return _result(results)


async def write_admin_image(
    db: Database, entity: Entity, token: str, image: NewImage, *, is_override: bool, now_iso: str
) -> WriteResult:
    """Insert or replace the row for an override or a revert, under the claim `token`."""
    values = (
        *_image_values(entity, image),
        1 if is_override else 0,
        now_iso if is_override else None,
        now_iso,
        now_iso,
        *entity,
        token,
    )
    return _result(await db.batch([(UPSERT_ADMIN_IMAGE, values), (SELECT_IMAGE, entity)]))


async def delete_image(db: Database, entity: Entity, token: str) -> bool:
    """Remove an entity's row under the claim `token`; whether there was one."""
    return await db.run(DELETE_IMAGE, *entity, *entity, token) > 0


# --- re-analysis ------------------------------------------------------------------------------

_REANALYZE_WHERE = "r2_key != '' AND id > ?"
_MISSING_ONLY = " AND thumbhash IS NULL"
_REANALYZE_ROWS = (
    "SELECT id, domain, entity_type, entity_id, r2_key FROM images WHERE {where}"
    " ORDER BY id LIMIT ?"
)
_REANALYZE_LEFT = "SELECT count(*) AS n FROM images WHERE {where}"
UPDATE_ANALYSIS = (
    "UPDATE images SET thumbhash = ?, dominant_color = ?, accent_color = ?"
    f" WHERE id = ? AND r2_key = ? AND {CLAIM_HELD}"
)


@dataclass(frozen=True)
class StoredImageRow:
    """A row to re-analyse."""

    id: int
    entity: Entity
    r2_key: str


async def rows_to_reanalyze(
    db: Database, *, after_id: int, limit: int, every_row: bool
) -> list[StoredImageRow]:
    """Image rows after `after_id` (all, or only those without a ThumbHash), by id."""
    where = _REANALYZE_WHERE + ("" if every_row else _MISSING_ONLY)
    rows = await db.all(_REANALYZE_ROWS.format(where=where), after_id, limit)
    return [StoredImageRow(int(r["id"]), row_entity(r), str(r["r2_key"])) for r in rows]


async def count_to_reanalyze(db: Database, *, after_id: int, every_row: bool) -> int:
    """How many rows `rows_to_reanalyze` has left after `after_id`."""
    where = _REANALYZE_WHERE + ("" if every_row else _MISSING_ONLY)
    row = await db.first(_REANALYZE_LEFT.format(where=where), after_id)
    return int((row or {}).get("n") or 0)


async def update_analysis(
    db: Database,
    row: StoredImageRow,
    token: str,
    thumbhash: str,
    dominant: str | None,
    accent: str | None,
) -> bool:
    """Store new analysis results under the claim `token`, only if the row still names the
    same object."""
    values = (thumbhash, dominant, accent, row.id, row.r2_key, *row.entity, token)
    return await db.run(UPDATE_ANALYSIS, *values) > 0

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
# Every written column but the hints (each statement says how it keeps them); a new version
# (URLs of the old bytes are never reused); and for a "no image" row the time the sources were
# asked in `created_at`, as the original service keeps it (a row with an image keeps its first).
_SET_IMAGE = ", ".join(
    [f"{c} = excluded.{c}" for c in WRITTEN_COLUMNS if c != "search_hints"]
    + [
        "image_version = images.image_version + 1",
        "created_at = CASE WHEN excluded.r2_key = '' THEN excluded.created_at"
        " ELSE images.created_at END",
    ]
)
# Insert, or replace a pipeline row (never an override: `is_override = 0` guards the update).
UPSERT_PIPELINE_IMAGE = (
    f"INSERT INTO images ({_COLUMNS}, created_at)"
    f" SELECT {_MARKS}, ? WHERE {CLAIM_HELD}"
    f" ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET {_SET_IMAGE},"
    " search_hints = excluded.search_hints"
    " WHERE images.is_override = 0"
    " RETURNING image_version"
)
# An override (or a revert to the sources) always takes the row and bumps its version, so the
# next redirect points at a URL no cache has seen.
UPSERT_ADMIN_IMAGE = (
    f"INSERT INTO images ({_COLUMNS}, is_override, override_at, created_at)"
    f" SELECT {_MARKS}, ?, ?, ? WHERE {CLAIM_HELD}"
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
    values = (*_image_values(entity, image), now_iso, *entity, token)
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
        *entity,
        token,
    )
    return _result(await db.batch([(UPSERT_ADMIN_IMAGE, values), (SELECT_IMAGE, entity)]))


async def delete_image(db: Database, entity: Entity, token: str) -> bool:
    """Remove an entity's row under the claim `token`; whether there was one."""
    return await db.run(DELETE_IMAGE, *entity, *entity, token) > 0


# --- re-analysis ------------------------------------------------------------------------------

# Rows with an image, of the domains and entity types this service serves: rows of the others
# (the original service's `attending` players share the table) are never touched.
_REANALYZE_WHERE = "r2_key != '' AND id > ? AND domain IN ({domains}) AND entity_type IN ({types})"
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
class Served:
    """The domains and entity types whose rows this service serves."""

    domains: tuple[str, ...]
    entity_types: tuple[str, ...]


@dataclass(frozen=True)
class StoredImageRow:
    """A row to re-analyse."""

    id: int
    entity: Entity
    r2_key: str


def _reanalyze_where(
    served: Served, after_id: int, every_row: bool
) -> tuple[str, tuple[SqlParam, ...]]:
    where = _REANALYZE_WHERE.format(
        domains=", ".join("?" * len(served.domains)),
        types=", ".join("?" * len(served.entity_types)),
    ) + ("" if every_row else _MISSING_ONLY)
    return where, (after_id, *served.domains, *served.entity_types)


async def rows_to_reanalyze(
    db: Database, served: Served, *, after_id: int, limit: int, every_row: bool
) -> list[StoredImageRow]:
    """Served image rows after `after_id` (all, or only those without a ThumbHash), by id."""
    where, params = _reanalyze_where(served, after_id, every_row)
    rows = await db.all(_REANALYZE_ROWS.format(where=where), *params, limit)
    return [StoredImageRow(int(r["id"]), row_entity(r), str(r["r2_key"])) for r in rows]


async def count_to_reanalyze(
    db: Database, served: Served, *, after_id: int, every_row: bool
) -> int:
    """How many rows `rows_to_reanalyze` has left after `after_id`."""
    where, params = _reanalyze_where(served, after_id, every_row)
    row = await db.first(_REANALYZE_LEFT.format(where=where), *params)
    return int((row or {}).get("n") or 0)


# --- the admin listing ------------------------------------------------------------------------

# A row's status, one rule for the listed value and the filter: an override, else "no image"
# (the empty key), else ready.
STATUS = "CASE WHEN is_override != 0 THEN 'override' WHEN r2_key = '' THEN 'none' ELSE 'ready' END"
_LISTED_COLUMNS = f"id, domain, entity_type, entity_id, override_at, {_RECORD}, {STATUS} AS status"
_FILTER_COLUMNS = {
    "domain": "domain",
    "entity_type": "entity_type",
    "status": STATUS,
    "source": "source",
}


@dataclass(frozen=True)
class ImageFilter:
    """What the admin listing keeps: rows equal to every value given (None: any)."""

    domain: str | None = None
    entity_type: str | None = None
    status: str | None = None
    source: str | None = None


def _filter_where(wanted: ImageFilter) -> tuple[str, tuple[SqlParam, ...]]:
    given = [(name, value) for name in _FILTER_COLUMNS if (value := getattr(wanted, name))]
    if not given:
        return "", ()
    where = " AND ".join(f"{_FILTER_COLUMNS[name]} = ?" for name, _ in given)
    return f" WHERE {where}", tuple(value for _, value in given)


async def list_images(
    db: Database, wanted: ImageFilter, *, limit: int, offset: int
) -> tuple[int, list[Row]]:
    """Every row of every domain that `wanted` keeps, newest first: (how many in all, the page
    of `limit` rows after `offset`), read in one D1 round trip."""
    where, params = _filter_where(wanted)
    counted, rows = await db.batch(
        [
            (f"SELECT count(*) AS n FROM images{where}", params),
            (
                f"SELECT {_LISTED_COLUMNS} FROM images{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ),
        ]
    )
    return int(counted[0]["n"]) if counted else 0, rows


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

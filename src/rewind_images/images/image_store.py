"""Every SQL statement of the image feature's core tables: the `images` table (one entity at a
time, or many in batched reads), the `image_claims` that serialise writers of one entity, and
the `image_changes` log that keeps isolate caches fresh.

Writes of an entity's row happen only while the writer holds the entity's claim: each write
statement checks the claim token in the same statement, so a writer whose lease was taken over
changes nothing (and is told so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewind_images.config import D1_MAX_BOUND_PARAMETERS
from rewind_images.ports import Database, Row, SqlParam, Statement

Entity = tuple[str, str, str]
NO_IMAGE_SOURCE = "none"

_RECORD_COLUMNS = (
    "r2_key, source, source_url, width, height, thumbhash, dominant_color, accent_color,"
    " is_override, image_version, created_at, search_hints"
)
_ENTITY = "domain = ? AND entity_type = ? AND entity_id = ?"
SELECT_IMAGE = f"SELECT {_RECORD_COLUMNS} FROM images WHERE {_ENTITY}"


@dataclass(frozen=True)
class ImageRecord:
    """One `images` row. `r2_key == ''` records that no source had an image; such a row's
    `created_at` is when the sources were last asked (the original service keeps it so too, and
    writes such rows with `image_version` 0). `source` is any text: the original's names
    (`apple-music`, `cover-art-archive`, ...) are kept as they are."""

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
            image_version=int(version) if (version := row.get("image_version")) is not None else 1,
            created_at=str(row.get("created_at") or ""),
            search_hints=row.get("search_hints"),
        )


@dataclass(frozen=True)
class NewImage:
    """What a pipeline run (or an override) learned about an entity's image."""

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


async def get_image(db: Database, entity: Entity) -> ImageRecord | None:
    """The record of an entity, or None."""
    row = await db.first(SELECT_IMAGE, *entity)
    return None if row is None else ImageRecord.from_row(row)


# --- claims ---------------------------------------------------------------------------------

CLAIM = (
    "INSERT INTO image_claims (domain, entity_type, entity_id, token, expires_at)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET"
    " token = excluded.token, expires_at = excluded.expires_at"
    " WHERE image_claims.expires_at < ?"
    " RETURNING token"
)
RELEASE = f"DELETE FROM image_claims WHERE {_ENTITY} AND token = ?"
RENEW = f"UPDATE image_claims SET expires_at = ? WHERE {_ENTITY} AND token = ?"
CLAIM_EXISTS = f"SELECT token FROM image_claims WHERE {_ENTITY}"
# The condition every row write carries: the writer still holds the entity's claim.
_CLAIM_HELD = f"EXISTS (SELECT 1 FROM image_claims WHERE {_ENTITY} AND token = ?)"


async def claim(db: Database, entity: Entity, token: str, now_ms: int, lease_ms: int) -> bool:
    """Take the entity's claim (new, or expired); True when this caller holds it."""
    rows = await db.all(CLAIM, *entity, token, now_ms + lease_ms, now_ms)
    return bool(rows) and rows[0].get("token") == token


async def claim_held(db: Database, entity: Entity) -> bool:
    """Whether someone holds the entity's claim."""
    return await db.first(CLAIM_EXISTS, *entity) is not None


async def renew_claim(db: Database, entity: Entity, token: str, now_ms: int, lease_ms: int) -> bool:
    """Extend the claim `token` by a full lease from now; False when it is no longer ours."""
    return await db.run(RENEW, now_ms + lease_ms, *entity, token) > 0


async def release(db: Database, entity: Entity, token: str) -> None:
    """Give the claim up (only if still ours)."""
    await db.run(RELEASE, *entity, token)


# --- row writes (each under the claim) --------------------------------------------------------

_IMAGE_COLUMNS = (
    "domain, entity_type, entity_id, r2_key, source, source_url, width, height, thumbhash,"
    " dominant_color, accent_color, search_hints"
)
_SET_IMAGE = (
    " r2_key = excluded.r2_key, source = excluded.source, source_url = excluded.source_url,"
    " width = excluded.width, height = excluded.height, thumbhash = excluded.thumbhash,"
    " dominant_color = excluded.dominant_color, accent_color = excluded.accent_color,"
    " image_version = images.image_version + 1,"
    # A "no image" row's created_at is when the sources were last asked (the negative TTL's
    # clock, as the original service keeps it); a row with an image keeps its first one.
    " created_at = CASE WHEN excluded.r2_key = '' THEN excluded.created_at"
    " ELSE images.created_at END"
)
# Insert, or replace a pipeline row (never an override: `is_override = 0` guards the update).
# A replaced row gets a new version, so URLs of the old bytes are never reused.
UPSERT_PIPELINE_IMAGE = (
    f"INSERT INTO images ({_IMAGE_COLUMNS}, created_at)"
    f" SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE {_CLAIM_HELD}"
    f" ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET{_SET_IMAGE},"
    " search_hints = excluded.search_hints"
    " WHERE images.is_override = 0"
    " RETURNING image_version"
)
# An override (or a revert to the sources) always takes the row and bumps its version, so the
# next redirect points at a URL no cache has seen.
UPSERT_ADMIN_IMAGE = (
    f"INSERT INTO images ({_IMAGE_COLUMNS}, is_override, override_at, created_at)"
    f" SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE {_CLAIM_HELD}"
    f" ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET{_SET_IMAGE},"
    " search_hints = COALESCE(excluded.search_hints, images.search_hints),"
    " is_override = excluded.is_override, override_at = excluded.override_at"
    " RETURNING image_version"
)
DELETE_IMAGE = f"DELETE FROM images WHERE {_ENTITY} AND {_CLAIM_HELD}"


def _image_values(entity: Entity, image: NewImage) -> tuple[SqlParam, ...]:
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
    " WHERE id = ? AND r2_key = ?"
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
    return [
        StoredImageRow(
            int(r["id"]),
            (str(r["domain"]), str(r["entity_type"]), str(r["entity_id"])),
            str(r["r2_key"]),
        )
        for r in rows
    ]


async def count_to_reanalyze(
    db: Database, served: Served, *, after_id: int, every_row: bool
) -> int:
    """How many rows `rows_to_reanalyze` has left after `after_id`."""
    where, params = _reanalyze_where(served, after_id, every_row)
    row = await db.first(_REANALYZE_LEFT.format(where=where), *params)
    return int((row or {}).get("n") or 0)


async def update_analysis(
    db: Database, row: StoredImageRow, thumbhash: str, dominant: str | None, accent: str | None
) -> bool:
    """Store new analysis results, only if the row still names the same object."""
    return await db.run(UPDATE_ANALYSIS, thumbhash, dominant, accent, row.id, row.r2_key) > 0


# --- the change log ---------------------------------------------------------------------------

LATEST_CHANGE = "SELECT coalesce(max(id), 0) AS id FROM image_changes"
CHANGES_SINCE = (
    "SELECT id, domain, entity_type, entity_id FROM image_changes WHERE id > ? ORDER BY id LIMIT ?"
)
PRUNE_CHANGES = "DELETE FROM image_changes WHERE changed_ms < ?"


@dataclass(frozen=True)
class Change:
    """One logged change of an entity's row."""

    id: int
    entity: Entity


async def latest_change_id(db: Database) -> int:
    """The newest change log id (0 when empty)."""
    row = await db.first(LATEST_CHANGE)
    return int((row or {}).get("id") or 0)


async def changes_since(db: Database, after_id: int, limit: int) -> list[Change]:
    """Logged changes after `after_id`, oldest first, at most `limit`."""
    rows = await db.all(CHANGES_SINCE, after_id, limit)
    return [
        Change(int(r["id"]), (str(r["domain"]), str(r["entity_type"]), str(r["entity_id"])))
        for r in rows
    ]


async def prune_changes(db: Database, older_than_ms: int) -> None:
    """Drop log rows older than a moment."""
    await db.run(PRUNE_CHANGES, older_than_ms)


# --- batched reads ----------------------------------------------------------------------------

# An entity's path `domain/entity_type/entity_id`, as the expression indexes idx_images_path and
# idx_image_dead_letters_path have it (migrations 0002, 0003): one bound parameter per entity,
# so a statement reads the most entities D1's parameter limit allows. Unambiguous, since no part
# may contain '/' (rows are still matched back by their own columns).
ENTITY_PATH = "domain || '/' || entity_type || '/' || entity_id"
_BATCH_COLUMNS = f"domain, entity_type, entity_id, {_RECORD_COLUMNS}"


def path_in_statements(
    select: str, entities: Sequence[Entity], max_params: int = D1_MAX_BOUND_PARAMETERS
) -> list[Statement]:
    """`select` (a SELECT ... WHERE, of a table with the entity columns and a path index) for
    each chunk of `entities` (repeats once): ceil(n / max_params) statements, one bound
    parameter per entity, each served by the path index."""
    paths = list(dict.fromkeys("/".join(entity) for entity in entities))
    statements: list[Statement] = []
    for start in range(0, len(paths), max_params):
        chunk = paths[start : start + max_params]
        marks = ", ".join("?" * len(chunk))
        statements.append((f"{select} {ENTITY_PATH} IN ({marks})", chunk))
    return statements


def batched_select(
    entities: Sequence[Entity], max_params: int = D1_MAX_BOUND_PARAMETERS
) -> list[Statement]:
    """The SELECTs that read the `images` rows of `entities`."""
    return path_in_statements(f"SELECT {_BATCH_COLUMNS} FROM images WHERE", entities, max_params)


async def run_reads(db: Database, statements: Sequence[Statement]) -> list[Row]:
    """Every row of several SELECTs, in one D1 round trip."""
    if not statements:
        return []
    if len(statements) == 1:
        sql, params = statements[0]
        return await db.all(sql, *params)
    return [row for rows in await db.batch(statements) for row in rows]


def row_entity(row: Row) -> Entity:
    """The entity a row names."""
    return (str(row["domain"]), str(row["entity_type"]), str(row["entity_id"]))


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


# --- the admin listing ------------------------------------------------------------------------

# A row's status, one rule for the listed value and the filter: an override, else "no image"
# (the empty key), else ready.
_STATUS = "CASE WHEN is_override != 0 THEN 'override' WHEN r2_key = '' THEN 'none' ELSE 'ready' END"
_LISTED_COLUMNS = (
    "id, domain, entity_type, entity_id, r2_key, source, source_url, width, height, thumbhash,"
    " dominant_color, accent_color, is_override, override_at, image_version, created_at,"
    f" search_hints, {_STATUS} AS status"
)
_FILTER_COLUMNS = {
    "domain": "domain",
    "entity_type": "entity_type",
    "status": _STATUS,
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

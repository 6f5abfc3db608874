"""Every SQL statement of `image_dead_letters`: background resolutions that failed on every try
(the queue's dead-letter consumer writes them; the batch reads them to answer `failed`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rewind_images.images.image_store import Entity, path_in_statements, row_entity, run_reads
from rewind_images.ports import Database, Row, Statement

_INSERT = (
    "INSERT INTO image_dead_letters (domain, entity_type, entity_id, body, dead_at)"
    " VALUES (?, ?, ?, ?, ?)"
)


_SELECT = "SELECT id, domain, entity_type, entity_id, body, dead_at FROM image_dead_letters WHERE"


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message: its entity (None when it names none) and its body."""

    entity: Entity | None
    body_json: str


async def record_dead_letters(db: Database, letters: Sequence[DeadLetter], dead_at: str) -> None:
    """Keep dead-lettered messages (one D1 transaction)."""
    statements: list[Statement] = [
        (
            _INSERT,
            (*(letter.entity or (None, None, None)), letter.body_json, dead_at),
        )
        for letter in letters
    ]
    if statements:
        await db.batch(statements)


async def last_dead_letters(db: Database, entities: Sequence[Entity]) -> dict[Entity, Row]:
    """The newest dead letter of each of those entities that has one (its row: `body`,
    `dead_at`), read in one D1 round trip."""
    newest: dict[Entity, Row] = {}
    for row in await run_reads(db, path_in_statements(_SELECT, entities)):
        entity = row_entity(row)
        if entity not in newest or int(row["id"]) > int(newest[entity]["id"]):
            newest[entity] = row
    return newest

"""Every SQL statement of `image_dead_letters`: background resolutions that failed on every try
(the queue's dead-letter consumer writes them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rewind_images.images.image_store import Entity
from rewind_images.ports import Database, Statement

_INSERT = (
    "INSERT INTO image_dead_letters (domain, entity_type, entity_id, body, dead_at)"
    " VALUES (?, ?, ?, ?, ?)"
)


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

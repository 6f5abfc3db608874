"""How a statement names an entity: by its three columns, or by its path in one bound parameter.

The path `domain/entity_type/entity_id` is what the expression indexes idx_images_path and
idx_image_dead_letters_path hold (migrations 0002, 0003): one bound parameter per entity, so a
statement reads the most entities D1's parameter limit allows. It is unambiguous, since no part
may contain '/' (rows are still matched back by their own columns).
"""

from __future__ import annotations

from collections.abc import Sequence

from rewind_images.config import D1_MAX_BOUND_PARAMETERS
from rewind_images.images.row import Entity
from rewind_images.ports import Database, Row, Statement

ENTITY = "domain = ? AND entity_type = ? AND entity_id = ?"
ENTITY_PATH = "domain || '/' || entity_type || '/' || entity_id"


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

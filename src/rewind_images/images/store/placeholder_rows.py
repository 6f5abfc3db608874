"""Every SQL statement of `image_placeholders`: the PNG data URL of each ThumbHash, shared by
every isolate (making one costs about 16 ms of Worker CPU)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from rewind_images.config import D1_MAX_BOUND_PARAMETERS
from rewind_images.ports import Database, SqlParam, Statement

_SELECT = "SELECT thumbhash, data_url FROM image_placeholders WHERE thumbhash IN ({marks})"
# A hash has one data URL: a concurrent writer of the same row wrote the same value.
_INSERT = "INSERT OR IGNORE INTO image_placeholders (thumbhash, data_url) VALUES {rows}"


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


async def get_placeholders(db: Database, thumbhashes: Collection[str]) -> dict[str, str]:
    """The stored data URLs of those hashes that have one (one D1 round trip)."""
    statements: list[Statement] = [
        (_SELECT.format(marks=", ".join("?" * len(chunk))), chunk)
        for chunk in _chunks(sorted(set(thumbhashes)), D1_MAX_BOUND_PARAMETERS)
    ]
    if not statements:
        return {}
    results = (
        await db.batch(statements)
        if len(statements) > 1
        else [await db.all(statements[0][0], *statements[0][1])]
    )
    return {str(row["thumbhash"]): str(row["data_url"]) for rows in results for row in rows}


async def save_placeholders(db: Database, data_urls: Mapping[str, str]) -> None:
    """Store data URLs by hash (rows already there are kept)."""
    pairs = sorted(data_urls.items())
    statements: list[Statement] = []
    for start in range(0, len(pairs), D1_MAX_BOUND_PARAMETERS // 2):
        chunk = pairs[start : start + D1_MAX_BOUND_PARAMETERS // 2]
        params: list[SqlParam] = [value for pair in chunk for value in pair]
        statements.append((_INSERT.format(rows=", ".join(["(?, ?)"] * len(chunk))), params))
    if len(statements) == 1:
        await db.run(statements[0][0], *statements[0][1])
    elif statements:
        await db.batch(statements)

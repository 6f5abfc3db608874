"""Every SQL statement of the `api_keys` table (the Worker and `scripts/keys.py` use these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rewind_images.keys.material import KeyMaterial
from rewind_images.ports import Database, SqlParam
from rewind_images.timestamps import parse_timestamp_ms

KEY_COLUMNS = (
    "id, name, scope, key_prefix, key_hint, rate_limit_rpm, request_count, last_used_at,"
    " expires_at, is_active, created_at"
)
SELECT_KEY_BY_HASH = (
    "SELECT id, scope, rate_limit_rpm, expires_at, is_active FROM api_keys WHERE key_hash = ?"
)
ADD_USAGE = "UPDATE api_keys SET request_count = request_count + ?, last_used_at = ? WHERE id = ?"
INSERT_KEY = (
    "INSERT INTO api_keys (key_hash, key_prefix, key_hint, name, scope, rate_limit_rpm,"
    f" expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {KEY_COLUMNS}"
)
COUNT_KEYS = "SELECT count(*) AS n FROM api_keys"
LIST_KEYS = f"SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC LIMIT ? OFFSET ?"
REVOKE_KEY = f"UPDATE api_keys SET is_active = 0 WHERE id = ? RETURNING {KEY_COLUMNS}"
IS_ACTIVE_KEY = "SELECT 1 AS found FROM api_keys WHERE key_hash = ? AND is_active = 1"


@dataclass(frozen=True)
class KeyRecord:
    """The parts of an `api_keys` row that authentication needs."""

    id: int
    scope: str
    rate_limit_rpm: int
    expires_at_ms: int | None
    is_active: bool


@dataclass(frozen=True)
class NewKey:
    """A key to insert: its material and settings."""

    material: KeyMaterial
    name: str
    scope: str
    rate_limit_rpm: int
    expires_at: str | None
    created_at: str

    def insert_params(self) -> tuple[SqlParam, ...]:
        """The bind values of `INSERT_KEY`."""
        return (
            self.material.key_hash,
            self.material.prefix,
            self.material.hint,
            self.name,
            self.scope,
            self.rate_limit_rpm,
            self.expires_at,
            self.created_at,
        )


async def key_by_hash(db: Database, key_hash: str) -> KeyRecord | None:
    """The key with this token hash, or None."""
    row = await db.first(SELECT_KEY_BY_HASH, key_hash)
    if row is None:
        return None
    return KeyRecord(
        id=int(row["id"]),
        scope=str(row["scope"]),
        rate_limit_rpm=int(row["rate_limit_rpm"]),
        expires_at_ms=parse_timestamp_ms(row["expires_at"]),
        is_active=bool(row["is_active"]),
    )


async def add_usage(db: Database, key_id: int, requests: int, last_used_iso: str) -> None:
    """Add counted requests to a key's usage."""
    await db.run(ADD_USAGE, requests, last_used_iso, key_id)


async def insert_key(db: Database, key: NewKey) -> dict[str, Any]:
    """Insert a key; the stored row (listing columns)."""
    rows = await db.all(INSERT_KEY, *key.insert_params())
    return rows[0]


async def count_keys(db: Database) -> int:
    """How many keys there are."""
    row = await db.first(COUNT_KEYS)
    return int((row or {}).get("n") or 0)


async def list_keys(db: Database, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Keys, newest first."""
    return await db.all(LIST_KEYS, limit, offset)


async def revoke_key(db: Database, key_id: int) -> dict[str, Any] | None:
    """Deactivate a key; its row, or None when there is no such key."""
    rows = await db.all(REVOKE_KEY, key_id)
    return rows[0] if rows else None


def sql_literal(value: SqlParam) -> str:
    """A bind value as an SQL literal, for `wrangler d1 execute --command` (which binds none)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal form for {type(value).__name__}")


def insert_key_script(key: NewKey) -> str:
    """`INSERT_KEY` with its values written in, for running through wrangler."""
    parts = iter(sql_literal(v) for v in key.insert_params())
    return "".join(
        piece + (next(parts) if i < INSERT_KEY.count("?") else "")
        for i, piece in enumerate(INSERT_KEY.split("?"))
    )

"""Every SQL statement of `image_claims`: one row while a writer holds an entity (with a lease),
so that writers of one entity never interleave, across isolates (`writing.claims`)."""

from __future__ import annotations

from rewind_images.images.row import Entity
from rewind_images.images.store.entities import ENTITY
from rewind_images.ports import Database

CLAIM = (
    "INSERT INTO image_claims (domain, entity_type, entity_id, token, expires_at)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (domain, entity_type, entity_id) DO UPDATE SET"
    " token = excluded.token, expires_at = excluded.expires_at"
    " WHERE image_claims.expires_at < ?"
    " RETURNING token"
)
RELEASE = f"DELETE FROM image_claims WHERE {ENTITY} AND token = ?"
RENEW = f"UPDATE image_claims SET expires_at = ? WHERE {ENTITY} AND token = ?"
CLAIM_EXISTS = f"SELECT token FROM image_claims WHERE {ENTITY}"
CLAIM_HELD = f"EXISTS (SELECT 1 FROM image_claims WHERE {ENTITY} AND token = ?)"
"""The condition every write of an entity's row carries (bind the entity, then the token): the
writer still holds the entity's claim."""


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

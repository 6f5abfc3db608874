"""Keys in a local state dir's D1 database, written with the key store's own statement."""

from __future__ import annotations

import secrets
from pathlib import Path

from rewind_devkit.local_d1 import execute_sql
from rewind_images.keys.material import (
    KEY_RANDOM_BYTES,
    KeyMaterial,
    hash_token,
    new_key_material,
)
from rewind_images.keys.store import INSERT_KEY, IS_ACTIVE_KEY, NewKey
from rewind_images.timestamps import iso_from_ms, wall_clock_ms


def new_key(
    scope: str = "read",
    *,
    name: str = "local",
    rate_limit_rpm: int = 600,
    expires_at: str | None = None,
    material: KeyMaterial | None = None,
) -> NewKey:
    """A key to insert (fresh material unless given)."""
    return NewKey(
        material=material or new_key_material(scope, secrets.token_urlsafe(KEY_RANDOM_BYTES)),
        name=name,
        scope=scope,
        rate_limit_rpm=rate_limit_rpm,
        expires_at=expires_at,
        created_at=iso_from_ms(wall_clock_ms()),
    )


def add_key(state_dir: Path, key: NewKey) -> str:
    """Insert `key` into the state dir's D1; its raw token."""
    execute_sql(state_dir, INSERT_KEY, key.insert_params())
    return key.material.raw


def is_active(state_dir: Path, raw: str) -> bool:
    """Whether a raw token names an active key there."""
    return bool(execute_sql(state_dir, IS_ACTIVE_KEY, (hash_token(raw),)))

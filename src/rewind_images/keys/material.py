"""API key material: raw keys, their stored hash, prefix and hint. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

SCOPE_PREFIXES = {"read": "rw_live_", "admin": "rw_admin_"}
STORED_PREFIX_LENGTH = 10
HINT_LENGTH = 4
# Random bytes in a minted key (urlsafe base64 of them follows the scope prefix).
KEY_RANDOM_BYTES = 24


@dataclass(frozen=True)
class KeyMaterial:
    """A raw key (shown once) and what D1 stores of it."""

    raw: str
    key_hash: str
    prefix: str
    hint: str


def hash_token(token: str) -> str:
    """Lower-case hex SHA-256 of the whole token, as stored in `api_keys.key_hash`."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_key_material(scope: str, random_part: str) -> KeyMaterial:
    """Key material for `scope` ('read' or 'admin') from caller-supplied randomness."""
    raw = SCOPE_PREFIXES[scope] + random_part
    return KeyMaterial(
        raw=raw,
        key_hash=hash_token(raw),
        prefix=raw[:STORED_PREFIX_LENGTH],
        hint=raw[-HINT_LENGTH:],
    )

"""Small helpers for HTTP tests of both layers: seeding keys and image rows into D1 (the local
D1 file of a Worker under workerd, or the in-process app's D1 double)."""

from __future__ import annotations

import hashlib
import itertools
from typing import Protocol


class ServiceUnderTest(Protocol):
    """What the helpers need of the service under test (`ServiceUnderTest` or `InProcessApp`):
    direct SQL on its D1 and a listing of its R2 objects."""

    def sql(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]: ...

    def r2_objects(self) -> dict[str, dict[str, object]]: ...


_ids = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test in the session uses (isolate caches are keyed by it)."""
    return f"{prefix}-{next(_ids)}"


def add_key(
    worker: ServiceUnderTest,
    *,
    scope: str = "read",
    rate_limit_rpm: int = 1000,
    expires_at: str | None = None,
    active: bool = True,
) -> str:
    """Insert a key directly into D1; return the raw token."""
    raw = ("rw_admin_" if scope == "admin" else "rw_live_") + unique("t")
    worker.sql(
        "INSERT INTO api_keys (key_hash, key_prefix, key_hint, name, scope, rate_limit_rpm,"
        " expires_at, is_active, created_at) VALUES (?, ?, ?, 'test', ?, ?, ?, ?,"
        " '2026-11-28T00:00:00.000Z')",
        (
            hashlib.sha256(raw.encode()).hexdigest(),
            raw[:10],
            raw[-4:],
            scope,
            rate_limit_rpm,
            expires_at,
            1 if active else 0,
        ),
    )
    return raw


def add_image(
    worker: ServiceUnderTest,
    domain: str,
    entity_type: str,
    entity_id: str,
    *,
    r2_key: str | None = None,
    source: str = "seed",
    version: int = 1,
    thumbhash: str | None = "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB",
    dominant: str | None = "#f5d1dc",
    accent: str | None = "#203040",
    created_at: str = "2026-11-28T00:00:00.000Z",
    width: int | None = 1200,
    height: int | None = 1200,
) -> None:
    """Insert an image row directly into D1 (r2_key '' records "no image", and its created_at
    is when the sources were last asked)."""
    key = f"{domain}/{entity_type}/{entity_id}/original.jpg" if r2_key is None else r2_key
    worker.sql(
        "INSERT INTO images (domain, entity_type, entity_id, r2_key, source, width, height,"
        " thumbhash, dominant_color, accent_color, image_version, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            domain,
            entity_type,
            entity_id,
            key,
            source,
            width,
            height,
            thumbhash,
            dominant,
            accent,
            version,
            created_at,
        ),
    )


def add_expired_no_image(
    worker: ServiceUnderTest, entity_id: str, domain: str = "listening", entity_type: str = "albums"
) -> None:
    """Insert a "no image" row checked long past the negative TTL: the next lookup asks again."""
    add_image(
        worker,
        domain,
        entity_type,
        entity_id,
        r2_key="",
        source="none",
        created_at="2020-01-01T00:00:00.000Z",
    )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def row(service: ServiceUnderTest, domain: str, entity_type: str, entity_id: str) -> dict | None:
    rows = service.sql(
        "SELECT r2_key, source, source_url, width, height, thumbhash, dominant_color,"
        " accent_color, image_version, search_hints FROM images"
        " WHERE domain = ? AND entity_type = ? AND entity_id = ?",
        (domain, entity_type, entity_id),
    )
    if not rows:
        return None
    names = (
        "r2_key",
        "source",
        "source_url",
        "width",
        "height",
        "thumbhash",
        "dominant_color",
        "accent_color",
        "image_version",
        "search_hints",
    )
    return dict(zip(names, rows[0], strict=True))


def assert_store_consistent(service: ServiceUnderTest) -> None:
    """Every row with an image has its object, and every object has its row."""
    # Rows seeded straight into D1 by other tests (source 'seed') have no objects by design.
    keys = {
        r[0]
        for r in service.sql(
            "SELECT r2_key FROM images WHERE r2_key != '' AND source != 'seed'", ()
        )
    }
    assert keys == set(service.r2_objects())


class ManualClock:
    """An in-process app's clock, moved by hand (`app.clock_ms` is read on every use)."""

    # The start of a one-minute window in 2030, so window arithmetic in tests is exact.
    START_MS = 31_666_667 * 60_000

    def __init__(self, app: object, start_ms: int = START_MS) -> None:
        self.now = start_ms
        app.clock_ms = lambda: self.now  # type: ignore[attr-defined]

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)

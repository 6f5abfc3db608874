"""Taking over the original Rewind API's database (tests/original.py: its schema, its migration
records, rows and keys written its way): this service's real migrations apply on top of it and
change nothing of the original's; then every row shape the original writes is served, listed,
batched, re-analysed and logged as this service's own, rows of the `attending` domain (which
this service does not serve) are left alone by all but the admin listing, and the original's
keys work. (Under workerd, with `wrangler d1 migrations apply`: tests/worker/test_takeover.py.)"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from rewind_images.timestamps import wall_clock_ms
from tests.support import original
from tests.support.app_client import InProcessApp
from tests.support.doubles import MIGRATIONS, MIGRATIONS_TABLE, apply_migrations
from tests.support.helpers import ManualClock, assert_store_consistent, bearer
from tests.support.original import (
    APPLE_MUSIC,
    COVER_ART_ARCHIVE,
    FANART_TV,
    MANUAL,
    NO_SOURCE,
    NO_SOURCE_WITH_HINTS,
    OG_IMAGE,
    ORIGINAL_IMAGES,
    PLAYER_FULL,
    PLAYER_SILO,
    PLEX,
    OriginalImage,
    OriginalKey,
)

DAY_MS = 86_400_000
CDN = "https://cdn.test"
MEDIUM = "width=300,height=300,fit=cover,format=auto,quality=85"
SERVED = [image for image in ORIGINAL_IMAGES if image.domain != "attending"]


def photo(extension: str) -> bytes:
    """An image file of the kind the original stored (a gradient, so analysis has work)."""
    picture = Image.linear_gradient("L").resize((96, 64)).convert("RGB")
    out = io.BytesIO()
    picture.save(out, format="PNG" if extension == "png" else "JPEG")
    return out.getvalue()


@dataclass
class TakenOver:
    """The service opened on the original's database, and what the original had."""

    app: InProcessApp
    client: httpx.Client
    clock: ManualClock
    reader: dict[str, str]
    admin: dict[str, str]
    before: dict[str, list[tuple[object, ...]]]
    started_ms: int


@pytest.fixture
def taken_over(tmp_path: Path, service_env: dict[str, str]) -> Iterator[TakenOver]:
    path = tmp_path / "rewind-db.sqlite"
    now = wall_clock_ms()
    read_key, admin_key = OriginalKey.mint("read"), OriginalKey.mint("admin")
    with sqlite3.connect(path) as conn:
        original.build(conn, now)
        for image in ORIGINAL_IMAGES:
            # The one with hints was last searched a month ago (past the negative TTL).
            image.insert(conn, now - 30 * DAY_MS if image is NO_SOURCE_WITH_HINTS else now - DAY_MS)
        read_key.insert(conn, now - DAY_MS)
        admin_key.insert(conn, now - DAY_MS)
        before = original.snapshot(conn)
    conn.close()
    app = InProcessApp(service_env, db_path=str(path))  # opening it applies the migrations
    clock = ManualClock(app, now)
    for image in ORIGINAL_IMAGES:
        store_object(app, image)
    try:
        with app.client() as client:
            yield TakenOver(
                app, client, clock, bearer(read_key.raw), bearer(admin_key.raw), before, now
            )
        assert_store_consistent(app)
        assert app.sql("SELECT count(*) FROM image_claims") == [(0,)]
    finally:
        app.close()


def store_object(app: InProcessApp, image: OriginalImage) -> None:
    """The R2 object of a row, as the original put it."""
    if image.r2_key:
        app.run(
            app.bucket.put(
                image.r2_key,
                photo(image.extension),
                content_type="image/png" if image.extension == "png" else "image/jpeg",
                cache_control="public, max-age=31536000, immutable",
                custom_metadata={"x-source": image.source, "x-source-url": image.source_url or ""},
            )
        )


def image_path(image: OriginalImage, size: str = "medium") -> str:
    return f"/v1/images/{'/'.join(image.entity)}/{size}"


def stored_row(app: InProcessApp, image: OriginalImage) -> tuple[object, ...]:
    return app.sql(
        "SELECT * FROM images WHERE domain = ? AND entity_type = ? AND entity_id = ?", image.entity
    )[0]


def original_row(
    before: dict[str, list[tuple[object, ...]]], image: OriginalImage
) -> tuple[object, ...]:
    return next(r for r in before["images"] if r[2:5] == image.entity)


# --- the migrations --------------------------------------------------------------------------


def test_the_migrations_apply_on_the_originals_database_and_change_nothing_of_it(
    taken_over: TakenOver,
) -> None:
    conn = taken_over.app.db.conn
    assert original.snapshot(conn) == taken_over.before  # rows, indexes, d1_migrations alike
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert {"image_claims", "image_placeholders", "image_changes", "idx_images_path"} <= tables
    recorded = [name for (name,) in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")]
    assert recorded == sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert apply_migrations(conn) == []  # recorded: applied once
    # Every file also tolerates everything it creates being there already (a database whose
    # records of them are elsewhere, as local states made before the records' table had).
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        conn.executescript(migration.read_text())
    assert original.snapshot(conn) == taken_over.before


def test_the_migrations_record_themselves_apart_from_the_originals_records() -> None:
    conn = sqlite3.connect(":memory:")
    original.build(conn, ManualClock.START_MS)
    applied = apply_migrations(conn)
    assert applied == sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    names = [n for (n,) in conn.execute("SELECT name FROM d1_migrations ORDER BY id")]
    assert names == list(original.ORIGINAL_MIGRATIONS)
    assert not set(applied) & set(original.ORIGINAL_MIGRATIONS)


# --- lookups -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "headers"),
    [
        (APPLE_MUSIC, True),
        (COVER_ART_ARCHIVE, True),
        (FANART_TV, True),
        (OG_IMAGE, False),
        (PLEX, True),
        (MANUAL, True),
    ],
    ids=lambda v: v.source if isinstance(v, OriginalImage) else None,
)
def test_an_original_image_row_is_a_302_with_its_version_and_headers(
    taken_over: TakenOver, image: OriginalImage, headers: bool
) -> None:
    answer = taken_over.client.get(image_path(image), headers=taken_over.reader)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == (
        f"{CDN}/cdn-cgi/image/{MEDIUM}/{image.r2_key}?v={image.image_version}"
    )
    sent = {name: answer.headers.get(name) for name in ("x-thumbhash", "x-dominant-color")}
    if headers:
        assert sent == {"x-thumbhash": image.thumbhash, "x-dominant-color": image.dominant_color}
        assert answer.headers["x-accent-color"] == image.accent_color
    else:
        assert sent == {"x-thumbhash": None, "x-dominant-color": None}
    original_size = taken_over.client.get(image_path(image, "original"), headers=taken_over.reader)
    assert original_size.headers["location"] == f"{CDN}/{image.r2_key}?v={image.image_version}"
    assert stored_row(taken_over.app, image) == original_row(taken_over.before, image)


def test_a_no_source_row_is_a_404_and_stays_as_the_original_wrote_it(
    taken_over: TakenOver,
) -> None:
    answer = taken_over.client.get(image_path(NO_SOURCE), headers=taken_over.reader)
    assert answer.status_code == 404
    assert answer.json() == {"error": "No image available for this entity", "status": 404}
    assert stored_row(taken_over.app, NO_SOURCE) == original_row(taken_over.before, NO_SOURCE)
    assert stored_row(taken_over.app, NO_SOURCE)[15] == 0  # image_version 0 kept


def test_a_no_source_row_past_the_ttl_is_searched_again_with_the_originals_hints(
    taken_over: TakenOver,
) -> None:
    # The original stored {"artistName", "albumName"}; asked without hints, the row's own are
    # used (the fake has Daft Punk's Discovery), and the sentinel version 0 becomes 1.
    answer = taken_over.client.get(image_path(NO_SOURCE_WITH_HINTS), headers=taken_over.reader)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].endswith("?v=1")
    found = taken_over.app.sql(
        "SELECT source, image_version FROM images WHERE entity_id = ?", ("4411",)
    )
    assert found == [("apple_music", 1)]


def test_the_originals_keys_are_accepted_with_their_scopes(taken_over: TakenOver) -> None:
    client = taken_over.client
    assert client.get(image_path(APPLE_MUSIC), headers=taken_over.reader).status_code == 302
    assert client.get("/v1/admin/keys", headers=taken_over.reader).status_code == 403
    keys = client.get("/v1/admin/keys", headers=taken_over.admin)
    assert keys.status_code == 200
    listed = keys.json()["data"]
    assert [k["scope"] for k in listed] == ["admin", "read"]
    assert all(k["key_prefix"].startswith("rw_") and len(k["key_prefix"]) == 10 for k in listed)
    assert all(k["created_at"].endswith("Z") for k in listed)
    assert keys.json()["pagination"] == {"page": 1, "limit": 20, "total": 2, "total_pages": 1}


def test_rows_of_domains_this_service_does_not_serve_are_not_served(
    taken_over: TakenOver,
) -> None:
    for image in (PLAYER_SILO, PLAYER_FULL):
        answer = taken_over.client.get(image_path(image), headers=taken_over.reader)
        assert answer.json() == {"error": "Invalid domain: attending", "status": 400}
        alternatives = taken_over.client.get(
            f"/v1/admin/images/{'/'.join(image.entity)}/alternatives", headers=taken_over.admin
        )
        assert alternatives.status_code == 400
        deleted = taken_over.client.delete(
            f"/v1/admin/images/{'/'.join(image.entity)}", headers=taken_over.admin
        )
        assert deleted.json() == {"error": "Invalid domain: attending", "status": 400}
        item = dict(zip(("domain", "entity_type", "entity_id"), image.entity, strict=True))
        backfill = taken_over.client.post(
            "/v1/admin/images/backfill", json={"items": [item]}, headers=taken_over.admin
        )
        assert backfill.json()["items"] == [
            {"status": "invalid", "error": "Invalid domain: attending"}
        ]
        assert stored_row(taken_over.app, image) == original_row(taken_over.before, image)
    assert taken_over.app.queue.sent == []
    assert set(taken_over.app.r2_objects()) >= {PLAYER_SILO.r2_key, PLAYER_FULL.r2_key}


# --- the batch and the JSON form -------------------------------------------------------------


def test_the_batch_answers_every_original_row_with_its_source_as_stored(
    taken_over: TakenOver,
) -> None:
    shapes = [*SERVED, PLAYER_SILO]
    items = [
        dict(zip(("domain", "entity_type", "entity_id"), i.entity, strict=True)) for i in shapes
    ]
    answer = taken_over.client.post(
        "/v1/images/attachments", json={"items": items}, headers=taken_over.reader
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    statuses = {d["entity_id"]: d["status"] for d in data}
    assert statuses == {
        "1842": "ready",
        "77": "ready",
        "311": "ready",
        "4087": "ready",
        "58": "ready",
        "905": "ready",
        "4410": "none",
        "4411": "pending",  # past the TTL: queued for the background consumer
        "1": "invalid",
    }
    ready = {d["entity_id"]: d["image"] for d in data if d["status"] == "ready"}
    assert {i: image["source"] for i, image in ready.items()} == {
        "1842": "apple-music",
        "77": "cover-art-archive",
        "311": "fanart-tv",
        "4087": "og-image",
        "58": "plex",
        "905": "manual",
    }
    assert ready["77"]["image_version"] == 3
    assert ready["4087"]["aspect_ratio"] is None  # the original knew no size
    assert ready["4087"]["placeholder"] is None
    assert data[-1]["error"] == "Invalid domain: attending"
    single = taken_over.client.get(
        image_path(FANART_TV), params={"format": "json"}, headers=taken_over.reader
    )
    assert single.json()["data"]["source"] == "fanart-tv"
    # The pending one is resolved in the background, with the original's stored hints.
    taken_over.app.drain_queue()
    resolved = taken_over.app.sql(
        "SELECT source, image_version FROM images WHERE entity_id = '4411'"
    )
    assert resolved == [("apple_music", 1)]


# --- admin -------------------------------------------------------------------------------------


def test_the_listing_pages_through_every_row_of_every_domain(taken_over: TakenOver) -> None:
    client, admin = taken_over.client, taken_over.admin
    total = len(ORIGINAL_IMAGES)
    seen = []
    for page in range(1, total + 2):
        answer = client.get("/v1/admin/images", params={"limit": 1, "page": page}, headers=admin)
        assert answer.status_code == 200
        body = answer.json()
        assert body["pagination"] == {
            "page": page,
            "limit": 1,
            "total": total,
            "total_pages": total,
        }
        seen += [(d["domain"], d["entity_type"], d["entity_id"]) for d in body["data"]]
    # Newest first: the original inserted them in this order.
    assert seen == [image.entity for image in reversed(ORIGINAL_IMAGES)]


def test_the_listing_shows_rows_as_stored_and_filters_them(taken_over: TakenOver) -> None:
    client, admin = taken_over.client, taken_over.admin

    def listed(**filters: str) -> list[dict[str, object]]:
        answer = client.get("/v1/admin/images", params=filters, headers=admin)
        assert answer.status_code == 200, answer.text
        data: list[dict[str, object]] = answer.json()["data"]
        return data

    nothing = listed(status="none")
    assert [d["entity_id"] for d in nothing] == ["4411", "4410"]
    assert {(d["source"], d["r2_key"], d["image_version"]) for d in nothing} == {("none", "", 0)}
    assert [d["entity_id"] for d in listed(status="override")] == ["905"]
    assert listed(status="override")[0]["source"] == "manual"
    players = listed(domain="attending")
    assert [(d["entity_type"], d["source"], d["status"]) for d in players] == [
        ("player_full", "player_full", "ready"),
        ("player_silo", "player_silo", "ready"),
    ]
    assert [d["entity_type"] for d in listed(domain="attending", entity_type="player_silo")] == [
        "player_silo"
    ]
    assert [d["entity_id"] for d in listed(source="og-image")] == ["4087"]
    assert listed(source="cover-art-archive")[0]["image_version"] == 3
    plex = listed(source="plex")[0]
    assert plex["search_hints"] == '{"tmdbId": "1396"}'
    assert plex["created_at"] == original.to_iso_string(taken_over.started_ms - DAY_MS)
    assert len(listed(status="ready")) == len(ORIGINAL_IMAGES) - 3


def test_alternatives_and_delete_take_the_originals_rows(taken_over: TakenOver) -> None:
    client, admin = taken_over.client, taken_over.admin
    base = f"/v1/admin/images/{'/'.join(NO_SOURCE.entity)}"
    current = client.get(f"{base}/alternatives", headers=admin).json()["current"]
    assert current == {
        "source": "none",
        "source_url": None,
        "is_override": False,
        "image_version": 0,
    }
    deleted = client.delete(f"/v1/admin/images/{'/'.join(APPLE_MUSIC.entity)}", headers=admin)
    assert deleted.json() == {"deleted": True, "removed_objects": [APPLE_MUSIC.r2_key]}


def test_reanalysis_takes_the_originals_served_rows_and_skips_other_domains(
    taken_over: TakenOver,
) -> None:
    # Only rows without a ThumbHash: the article image and both player photos lack one.
    answer = taken_over.client.post(
        "/v1/admin/images/reanalyze", json={"batch_size": 50}, headers=taken_over.admin
    )
    assert answer.json() == {
        "updated": 1,
        "failed": 0,
        "remaining": 0,
        "next_cursor": answer.json()["next_cursor"],
    }
    article = taken_over.app.sql("SELECT thumbhash, source FROM images WHERE entity_id = '4087'")
    assert article[0][0] is not None
    assert article[0][1] == "og-image"
    for image in (PLAYER_SILO, PLAYER_FULL):
        assert stored_row(taken_over.app, image) == original_row(taken_over.before, image)
    everything = taken_over.client.post(
        "/v1/admin/images/reanalyze", json={"all": True, "batch_size": 50}, headers=taken_over.admin
    ).json()
    served_with_images = [i for i in SERVED if i.r2_key]
    assert (everything["updated"], everything["remaining"]) == (len(served_with_images), 0)
    for image in (PLAYER_SILO, PLAYER_FULL):
        assert stored_row(taken_over.app, image) == original_row(taken_over.before, image)


# --- the change log ------------------------------------------------------------------------------


def test_the_originals_own_writes_reach_the_cached_hit_path(taken_over: TakenOver) -> None:
    client, reader, app = taken_over.client, taken_over.reader, taken_over.app
    assert client.get(image_path(APPLE_MUSIC), headers=reader).headers["location"].endswith("?v=1")
    # The original Worker, beside this one, overrides the album and adds a player photo; its
    # writes are logged by this service's triggers like any other.
    app.sql(
        "UPDATE images SET source = 'manual', is_override = 1, override_at = ?,"
        " image_version = image_version + 1 WHERE entity_id = '1842'",
        (original.to_iso_string(taken_over.clock.now),),
    )
    player = OriginalImage("attending", "player_silo", "2", "player_silo", extension="png")
    player.insert(app.db.conn, taken_over.clock.now)
    store_object(app, player)
    taken_over.clock.advance(app.settings.change_poll_seconds + 1)
    moved = client.get(image_path(APPLE_MUSIC), headers=reader)
    assert moved.headers["location"].endswith("?v=2")
    assert app.sql("SELECT count(*) FROM images WHERE domain = 'attending'") == [(3,)]

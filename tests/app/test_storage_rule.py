"""The storage rule (`images/storage.py`) when its writes go wrong: no object without its row,
and an object is put only while its writer holds the entity's claim."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.config import CLAIM_LEASE_MS
from rewind_images.images.resolution import search
from rewind_images.images.resolution.pipeline import UPSTREAM_FAILED_MESSAGE as UPSTREAM_FAILED
from rewind_images.images.row import NewImage
from rewind_images.images.store import claim_rows
from rewind_images.images.writing import claims, storage
from rewind_images.imaging.features import ImageAnalysis as Analysis
from rewind_images.sources import Candidate
from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_key, bearer, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}  # a JPEG from Apple
ROW_WRITES = "INSERT INTO images"  # the pipeline's and the admin routes' upserts
DEPENDENCY_FAILED = {"error": "Service temporarily unavailable", "status": 503}


@pytest.fixture
def key(service: InProcessApp) -> dict[str, str]:
    return bearer(add_key(service, rate_limit_rpm=100_000))


def _get(client: httpx.Client, entity: str, key: dict[str, str]) -> httpx.Response:
    return client.get(f"/v1/images/listening/albums/{entity}/medium", params=DISCOVERY, headers=key)


def _objects(service: InProcessApp, entity: str) -> list[str]:
    return sorted(k for k in service.r2_objects() if f"/{entity}/" in k)


def _row_writes(service: InProcessApp) -> list[str]:
    return [sql for sql, _ in service.db.log if sql.startswith(ROW_WRITES)]


def _watch_puts(service: InProcessApp) -> list[str]:
    """The keys the bucket stores an object under from now on (a conditional put whose
    condition fails stores nothing and is not listed)."""
    puts: list[str] = []
    original_put = service.bucket.put

    async def watched_put(object_key: str, body: bytes, **kwargs: Any) -> bool:
        stored = await original_put(object_key, body, **kwargs)
        if stored:
            puts.append(object_key)
        return stored

    service.bucket.put = watched_put  # type: ignore[method-assign]
    return puts


def test_a_miss_whose_row_write_fails_removes_its_new_object(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    entity = unique("rowfails")
    puts = _watch_puts(service)
    service.db.fail_sql = ROW_WRITES
    response = _get(client, entity, key)
    assert response.status_code == 503
    assert response.json() == DEPENDENCY_FAILED
    # The object was put, then removed again when its row could not be written.
    assert puts == [f"listening/albums/{entity}/original.jpg"]
    assert _objects(service, entity) == []
    assert row(service, "listening", "albums", entity) is None

    # Once D1 writes again, the next request stores both.
    service.db.fail_sql = None
    assert _get(client, entity, key).status_code == 302
    assert _objects(service, entity) == [f"listening/albums/{entity}/original.jpg"]


def test_a_failed_row_write_keeps_the_object_the_stored_row_names(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    key: dict[str, str],
    admin: dict[str, str],
) -> None:
    entity = unique("keepsobject")
    assert _get(client, entity, key).status_code == 302
    jpeg = f"listening/albums/{entity}/original.jpg"
    png = f"listening/albums/{entity}/original.png"
    path = f"/v1/admin/images/listening/albums/{entity}"
    puts = _watch_puts(service)

    # An override with another extension whose row write fails: its own object goes again...
    service.db.fail_sql = ROW_WRITES
    png_url = upstream.url("/img/article-hero/cover.png")
    assert client.put(path, json={"source_url": png_url}, headers=admin).status_code == 503
    assert puts == [png]
    assert _objects(service, entity) == [jpeg]
    # ...and one under the same key leaves it: the stored row still names that object.
    jpeg_url = upstream.url("/img/itunes-rumours/cover.jpg")
    assert client.put(path, json={"source_url": jpeg_url}, headers=admin).status_code == 503
    assert puts == [png, jpeg]
    assert _objects(service, entity) == [jpeg]
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert (stored["r2_key"], stored["source"]) == (jpeg, "apple_music")


def test_a_run_whose_claim_renewal_fails_puts_nothing_and_writes_no_row(
    service: InProcessApp,
    client: httpx.Client,
    key: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManualClock(service)
    entity = unique("renewfails")
    object_key = f"listening/albums/{entity}/original.jpg"
    theirs = b"the object of the writer that took the claim over"
    original_find = search.find

    async def outlived_lease(*args: Any) -> search.Search:
        found = await original_find(*args)
        # The search outlived the lease; another writer took the claim over and is storing
        # its own object under the same key.
        clock.advance(CLAIM_LEASE_MS / 1000 + 1)
        entity_key = ("listening", "albums", entity)
        assert await claim_rows.claim(service.db, entity_key, "other", clock.now, CLAIM_LEASE_MS)
        await service.bucket.put(
            object_key, theirs, content_type="image/jpeg", cache_control="", custom_metadata={}
        )
        return found

    monkeypatch.setattr(search, "find", outlived_lease)
    writes_before = len(_row_writes(service))
    try:
        response = _get(client, entity, key)
        assert response.status_code == 502
        assert response.json() == {"error": UPSTREAM_FAILED, "status": 502}
        # The run left the other writer's object alone (no put over it, no delete of it) and
        # attempted no row write.
        assert _objects(service, entity) == [object_key]
        assert service.bucket.objects[object_key].body == theirs
        assert len(_row_writes(service)) == writes_before
        assert row(service, "listening", "albums", entity) is None
    finally:
        # The other writer gives up: its claim and object go (the store is checked after).
        service.sql("DELETE FROM image_claims WHERE entity_id = ?", (entity,))
        service.bucket.objects.pop(object_key, None)


def test_a_row_describes_the_found_image_and_the_hints_searched_with() -> None:
    entity = ("listening", "albums", "described")
    found = search.Found(
        candidate=Candidate("deezer", "https://cdn.example/cover.png"),
        body=b"",
        content_type="image/png",
        width=600,
        height=500,
        analysis=Analysis("hash", "#112233", "#445566"),
    )
    hints = '{"album_name": "Discovery"}'
    assert storage.describe(entity, found, hints) == NewImage(
        r2_key="listening/albums/described/original.png",
        source="deezer",
        source_url="https://cdn.example/cover.png",
        width=600,
        height=500,
        thumbhash="hash",
        dominant_color="#112233",
        accent_color="#445566",
        search_hints=hints,
    )
    assert storage.describe(entity, None, hints) == NewImage.nothing(hints)


def test_an_override_whose_claim_is_lost_before_the_put_is_a_503_that_changes_nothing(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    key: dict[str, str],
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManualClock(service)
    entity = unique("overridelost")
    assert _get(client, entity, key).status_code == 302
    before = row(service, "listening", "albums", entity)
    original_renew = claim_rows.renew_claim

    async def taken_over(db: Any, entity_key: Any, token: str, now: int, lease: int) -> bool:
        # The override's lease ran out (a slow D1) and another writer took the claim.
        clock.advance(CLAIM_LEASE_MS / 1000 + 1)
        assert await claim_rows.claim(db, entity_key, "other", clock.now, CLAIM_LEASE_MS)
        return await original_renew(db, entity_key, token, clock.now, lease)

    monkeypatch.setattr(claim_rows, "renew_claim", taken_over)
    puts = _watch_puts(service)
    try:
        url = upstream.url("/img/article-hero/cover.png")
        response = client.put(
            f"/v1/admin/images/listening/albums/{entity}", json={"source_url": url}, headers=admin
        )
        assert response.status_code == 503
        assert response.json() == {"error": claims.BUSY_MESSAGE, "status": 503}
        assert puts == []
        assert row(service, "listening", "albums", entity) == before
    finally:
        service.sql("DELETE FROM image_claims WHERE entity_id = ?", (entity,))


def test_a_run_that_loses_its_claim_during_the_put_to_a_writer_with_no_row_yet_keeps_nothing(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    clock = ManualClock(service)
    entity = unique("lostnorow")
    original_put = service.bucket.put

    async def slow_put(object_key: str, body: bytes, **kwargs: Any) -> None:
        await original_put(object_key, body, **kwargs)
        # The put outlived the lease; another writer (an admin delete, say) holds the claim
        # and has written nothing yet.
        clock.advance(CLAIM_LEASE_MS / 1000 + 1)
        entity_key = ("listening", "albums", entity)
        assert await claim_rows.claim(service.db, entity_key, "other", clock.now, CLAIM_LEASE_MS)

    service.bucket.put = slow_put  # type: ignore[method-assign]
    try:
        response = _get(client, entity, key)
        assert response.status_code == 502
        assert response.json() == {"error": UPSTREAM_FAILED, "status": 502}
        assert _objects(service, entity) == []
        assert row(service, "listening", "albums", entity) is None
    finally:
        service.sql("DELETE FROM image_claims WHERE entity_id = ?", (entity,))


def test_a_miss_that_finds_nothing_touches_no_object(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    entity = unique("nothing")
    puts = _watch_puts(service)
    nothing = {"artist_name": "Nobody", "album_name": "Nothing"}
    response = client.get(
        f"/v1/images/listening/albums/{entity}/medium", params=nothing, headers=key
    )
    assert response.status_code == 404
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert (stored["r2_key"], stored["source"]) == ("", "none")
    assert (puts, service.bucket.deleted) == ([], [])


def test_a_writer_that_lost_its_claim_deletes_no_object_but_its_own(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    key: dict[str, str],
    admin: dict[str, str],
) -> None:
    clock = ManualClock(service)
    entity = unique("threewriters")
    assert _get(client, entity, key).status_code == 302
    jpeg = f"listening/albums/{entity}/original.jpg"  # the key our override found in the row
    gif = f"listening/albums/{entity}/original.gif"
    png = f"listening/albums/{entity}/original.png"  # our override's
    original_put = service.bucket.put

    async def meanwhile(object_key: str, body: bytes, **kwargs: Any) -> None:
        await original_put(object_key, body, **kwargs)
        if object_key != png:
            return
        # Our put outlived the lease. Another writer took the claim and moved the row to a GIF
        # (deleting the JPEG); a third now holds the claim and has put a new JPEG, its row not
        # written yet.
        clock.advance(CLAIM_LEASE_MS / 1000 + 1)
        service.sql(
            "UPDATE images SET r2_key = ?, image_version = image_version + 1 WHERE entity_id = ?",
            (gif, entity),
        )
        await original_put(
            gif, b"GIF", content_type="image/gif", cache_control="", custom_metadata={}
        )
        del service.bucket.objects[jpeg]
        entity_key = ("listening", "albums", entity)
        assert await claim_rows.claim(service.db, entity_key, "third", clock.now, CLAIM_LEASE_MS)
        await original_put(
            jpeg, b"JPEG", content_type="image/jpeg", cache_control="", custom_metadata={}
        )

    service.bucket.put = meanwhile  # type: ignore[method-assign]
    url = upstream.url("/img/article-hero/cover.png")
    try:
        response = client.put(
            f"/v1/admin/images/listening/albums/{entity}", json={"source_url": url}, headers=admin
        )
        assert response.status_code == 503
        # Ours went again; the third writer's JPEG and the row's GIF stay.
        assert _objects(service, entity) == [gif, jpeg]
    finally:
        service.sql("DELETE FROM image_claims WHERE entity_id = ?", (entity,))
        service.bucket.objects.pop(jpeg, None)

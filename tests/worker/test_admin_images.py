"""Admin image routes: alternatives, override (URL and upload), revert, delete, re-analysis."""

from __future__ import annotations

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import LocalWorker
from tests.helpers import add_image, add_key, assert_store_consistent, bearer, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}


@pytest.fixture(scope="module")
def admin(worker: LocalWorker) -> dict[str, str]:
    return bearer(add_key(worker, scope="admin", rate_limit_rpm=100_000))


@pytest.fixture(scope="module")
def reader(worker: LocalWorker) -> dict[str, str]:
    return bearer(add_key(worker, rate_limit_rpm=100_000))


def resolve(
    client: httpx.Client, reader: dict[str, str], entity: str, **hints: str
) -> httpx.Response:
    return client.get(f"/v1/images/listening/albums/{entity}/medium", params=hints, headers=reader)


def test_override_by_url_bumps_the_version_in_the_next_redirect(
    worker: LocalWorker,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("ovr")
    first = resolve(client, reader, entity, **DISCOVERY)
    assert first.headers["location"].endswith(f"/{entity}/original.png?v=1")

    url = upstream.url("/img/article-hero/cover.png")
    put = client.put(
        f"/v1/admin/images/listening/albums/{entity}", json={"source_url": url}, headers=admin
    )
    assert put.status_code == 200, put.text
    info = put.json()
    assert (info["source"], info["source_url"], info["is_override"]) == ("manual", url, True)
    assert info["image_version"] == 2
    assert info["thumbhash"]

    after = resolve(client, reader, entity)
    assert after.headers["location"].endswith(f"/{entity}/original.png?v=2")
    assert after.headers["x-thumbhash"] == info["thumbhash"]
    stored = row(worker, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "manual"
    assert worker.r2_objects()[stored["r2_key"]]["custom_metadata"]["x-source"] == "manual"


def test_override_by_upload_replaces_the_old_extension(
    worker: LocalWorker,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("upl")
    assert resolve(client, reader, entity, **DISCOVERY).status_code == 302
    gif = httpx.get(upstream.url("/img/sample-gif/x.gif")).content
    assert gif.startswith(b"GIF8")
    put = client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        files={"image": ("cover.gif", gif, "image/gif")},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    assert put.json()["r2_key"] == f"listening/albums/{entity}/original.gif"
    objects = [k for k in worker.r2_objects() if f"/{entity}/" in k]
    assert objects == [f"listening/albums/{entity}/original.gif"]
    after = resolve(client, reader, entity)
    assert after.headers["location"].endswith(f"/{entity}/original.gif?v=2")


def test_an_oversize_upload_is_413(client: httpx.Client, admin: dict[str, str]) -> None:
    big = b"\x89PNG\r\n\x1a\n" + bytes(16 * 1024 * 1024)
    response = client.put(
        f"/v1/admin/images/listening/albums/{unique('big')}",
        files={"image": ("big.png", big, "image/png")},
        headers=admin,
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_revert_goes_back_to_the_sources_with_a_new_version(
    worker: LocalWorker,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("rev")
    resolve(client, reader, entity, **DISCOVERY)
    client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        files={"image": ("c.gif", httpx.get(upstream.url("/img/sample-gif/x.gif")).content)},
        headers=admin,
    )
    reverted = client.delete(f"/v1/admin/images/listening/albums/{entity}/override", headers=admin)
    assert reverted.status_code == 200, reverted.text
    info = reverted.json()
    assert (info["source"], info["is_override"], info["image_version"]) == ("apple_music", False, 3)
    assert [k for k in worker.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.png"
    ]
    after = resolve(client, reader, entity)
    assert after.headers["location"].endswith(f"/{entity}/original.png?v=3")


def test_delete_removes_row_and_object_and_the_next_get_starts_afresh(
    worker: LocalWorker,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("del")
    resolve(client, reader, entity, **DISCOVERY)
    deleted = client.delete(f"/v1/admin/images/listening/albums/{entity}", headers=admin)
    assert deleted.json() == {
        "deleted": True,
        "removed_objects": [f"listening/albums/{entity}/original.png"],
    }
    assert row(worker, "listening", "albums", entity) is None
    assert not [k for k in worker.r2_objects() if f"/{entity}/" in k]
    before = upstream.count("/apple/")
    assert resolve(client, reader, entity, **DISCOVERY).status_code == 302
    assert upstream.count("/apple/") > before
    again = client.delete(f"/v1/admin/images/listening/albums/{unique('none')}", headers=admin)
    assert again.json() == {"error": "No image record for this entity", "status": 404}


def test_reanalyze_restores_missing_hashes_in_batches(
    worker: LocalWorker, client: httpx.Client, admin: dict[str, str], reader: dict[str, str]
) -> None:
    entities = [unique("re") for _ in range(3)]
    expected = {}
    for entity in entities:
        expected[entity] = resolve(client, reader, entity, **DISCOVERY).headers["x-thumbhash"]
    broken = unique("re-missing")
    add_image(worker, "listening", "albums", broken, thumbhash=None)  # no object behind it
    placeholders = ",".join("?" * len(entities))
    worker.sql(
        "UPDATE images SET thumbhash = NULL, dominant_color = NULL"
        f" WHERE entity_id IN ({placeholders})",
        tuple(entities),
    )
    cursor, updated, failed, calls = 0, 0, 0, 0
    while True:
        result = client.post(
            "/v1/admin/images/reanalyze", json={"batch_size": 2, "cursor": cursor}, headers=admin
        ).json()
        calls += 1
        updated += result["updated"]
        failed += result["failed"]
        cursor = result["next_cursor"]
        if result["remaining"] == 0:
            break
        assert calls < 100
    assert updated >= 3
    assert failed >= 1  # the row whose object was never stored
    for entity in entities:
        stored = row(worker, "listening", "albums", entity)
        assert stored is not None
        assert stored["thumbhash"] == expected[entity]
        assert stored["dominant_color"] is not None
    invalid = client.post("/v1/admin/images/reanalyze", json={"batch_size": 500}, headers=admin)
    assert invalid.status_code == 400


def test_store_is_consistent_after_admin_operations(worker: LocalWorker) -> None:
    assert_store_consistent(worker)

"""Admin image routes: alternatives, override (URL and upload), revert, delete, re-analysis."""

from __future__ import annotations

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.tls import shared_tls_context
from tests.support.app_client import InProcessApp
from tests.support.helpers import add_image, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}


def resolve(
    client: httpx.Client, reader: dict[str, str], entity: str, **hints: str
) -> httpx.Response:
    return client.get(f"/v1/images/listening/albums/{entity}/medium", params=hints, headers=reader)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/admin/images/listening/albums/x/alternatives"),
        ("PUT", "/v1/admin/images/listening/albums/x"),
        ("DELETE", "/v1/admin/images/listening/albums/x/override"),
        ("DELETE", "/v1/admin/images/listening/albums/x"),
        ("POST", "/v1/admin/images/reanalyze"),
    ],
)
def test_admin_routes_refuse_read_keys_and_anonymous_calls(
    client: httpx.Client, reader: dict[str, str], method: str, path: str
) -> None:
    assert client.request(method, path, headers=reader).json() == {
        "error": "Forbidden",
        "status": 403,
    }
    assert client.request(method, path).status_code == 401


def test_alternatives_list_every_sources_candidates_and_store_nothing(
    service: InProcessApp, client: httpx.Client, admin: dict[str, str], reader: dict[str, str]
) -> None:
    entity = unique("alt")
    path = f"/v1/admin/images/listening/albums/{entity}/alternatives"
    listed = client.get(path, params=DISCOVERY, headers=admin)
    assert listed.status_code == 200
    body = listed.json()
    assert [c["source"] for c in body["candidates"]] == ["apple_music", "deezer", "itunes"]
    assert all(c["url"].startswith("http://127.0.0.1") for c in body["candidates"])
    assert body["failures"] == []
    assert body["current"] is None
    assert row(service, "listening", "albums", entity) is None

    assert resolve(client, reader, entity, **DISCOVERY).status_code == 302
    current = client.get(path, params=DISCOVERY, headers=admin).json()["current"]
    assert current == {
        "source": "apple_music",
        "source_url": current["source_url"],
        "is_override": False,
        "image_version": 1,
    }


@pytest.mark.workerd
def test_override_by_url_bumps_the_version_in_the_next_redirect(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("ovr")
    first = resolve(client, reader, entity, **DISCOVERY)
    assert first.headers["location"].endswith(f"/{entity}/original.jpg?v=1")  # Apple's JPEG

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
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "manual"
    assert service.r2_objects()[stored["r2_key"]]["custom_metadata"]["x-source"] == "manual"
    assert [k for k in service.r2_objects() if f"/{entity}/" in k] == [stored["r2_key"]]


@pytest.mark.workerd
def test_override_by_upload_replaces_the_old_extension(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("upl")
    assert resolve(client, reader, entity, **DISCOVERY).status_code == 302
    gif = httpx.get(upstream.url("/img/sample-gif/x.gif"), verify=shared_tls_context()).content
    assert gif.startswith(b"GIF8")
    put = client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        files={"image": ("cover.gif", gif, "image/gif")},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    assert put.json()["r2_key"] == f"listening/albums/{entity}/original.gif"
    objects = [k for k in service.r2_objects() if f"/{entity}/" in k]
    assert objects == [f"listening/albums/{entity}/original.gif"]
    after = resolve(client, reader, entity)
    assert after.headers["location"].endswith(f"/{entity}/original.gif?v=2")


def test_the_pipeline_never_replaces_an_override(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("keep")
    url = upstream.url("/img/redirect-target/cover.png")
    put = client.put(
        f"/v1/admin/images/listening/albums/{entity}", json={"source_url": url}, headers=admin
    )
    assert put.json()["image_version"] == 1
    before = len(upstream.requests)
    again = resolve(client, reader, entity, **DISCOVERY)
    assert again.status_code == 302
    assert len(upstream.requests) == before
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "manual"


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"content": b"{"}, 400, "Body is not valid JSON"),
        ({"json": {"source_url": "ftp://x/y.png"}}, 400, "Invalid source_url"),
        ({"json": {"source_url": "http://10.0.0.1/x.png"}}, 400, "Could not fetch source_url"),
        (
            {"json": {"source_url": "{base}/img/fault-wrong-type/x.png"}},
            400,
            "Not an acceptable image",
        ),
        (
            {"json": {"source_url": "{base}/img/fault-corrupt/x.png"}},
            400,
            "Not an acceptable image",
        ),
        (
            {"files": {"other": ("a.txt", b"hi", "text/plain")}},
            400,
            "Multipart field 'image' is missing or empty",
        ),
        (
            {"files": {"image": ("a.txt", b"not an image", "text/plain")}},
            400,
            "Not an acceptable image",
        ),
    ],
)
def test_bad_overrides_are_400s_and_change_nothing(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    kwargs: dict,
    status: int,
    message: str,
) -> None:
    entity = unique("bad")
    if "json" in kwargs and "{base}" in kwargs["json"]["source_url"]:
        kwargs = {
            "json": {"source_url": kwargs["json"]["source_url"].format(base=upstream.base_url)}
        }
    response = client.put(f"/v1/admin/images/listening/albums/{entity}", headers=admin, **kwargs)
    assert response.status_code == status
    assert response.json()["error"].startswith(message)
    assert row(service, "listening", "albums", entity) is None
    assert not [k for k in service.r2_objects() if f"/{entity}/" in k]


@pytest.mark.workerd
def test_an_oversize_upload_is_413(client: httpx.Client, admin: dict[str, str]) -> None:
    big = b"\x89PNG\r\n\x1a\n" + bytes(16 * 1024 * 1024)
    response = client.put(
        f"/v1/admin/images/listening/albums/{unique('big')}",
        files={"image": ("big.png", big, "image/png")},
        headers=admin,
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


@pytest.mark.workerd
def test_revert_goes_back_to_the_sources_with_a_new_version(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("rev")
    resolve(client, reader, entity, **DISCOVERY)
    client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        files={
            "image": (
                "c.gif",
                httpx.get(
                    upstream.url("/img/sample-gif/x.gif"), verify=shared_tls_context()
                ).content,
            )
        },
        headers=admin,
    )
    reverted = client.delete(f"/v1/admin/images/listening/albums/{entity}/override", headers=admin)
    assert reverted.status_code == 200, reverted.text
    info = reverted.json()
    assert (info["source"], info["is_override"], info["image_version"]) == ("apple_music", False, 3)
    assert [k for k in service.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.jpg"
    ]
    after = resolve(client, reader, entity)
    assert after.headers["location"].endswith(f"/{entity}/original.jpg?v=3")


def test_revert_without_any_source_leaves_a_no_image_row(
    service: InProcessApp,
    upstream: FakeUpstream,
    client: httpx.Client,
    admin: dict[str, str],
    reader: dict[str, str],
) -> None:
    entity = unique("revnone")
    client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        json={"source_url": upstream.url("/img/redirect-target/cover.png")},
        headers=admin,
    )
    reverted = client.delete(f"/v1/admin/images/listening/albums/{entity}/override", headers=admin)
    assert reverted.status_code == 200
    assert reverted.json()["has_image"] is False
    assert reverted.json()["image_version"] == 2
    assert not [k for k in service.r2_objects() if f"/{entity}/" in k]
    assert resolve(client, reader, entity).status_code == 404


def test_revert_errors(service: InProcessApp, client: httpx.Client, admin: dict[str, str]) -> None:
    missing = client.delete(
        f"/v1/admin/images/listening/albums/{unique('no')}/override", headers=admin
    )
    assert missing.json() == {"error": "No image record for this entity", "status": 404}
    entity = unique("plain")
    add_image(service, "listening", "albums", entity)
    plain = client.delete(f"/v1/admin/images/listening/albums/{entity}/override", headers=admin)
    assert plain.json() == {"error": "This entity has no override", "status": 400}


@pytest.mark.workerd
def test_delete_removes_row_and_object_and_the_next_get_starts_afresh(
    service: InProcessApp,
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
        "removed_objects": [f"listening/albums/{entity}/original.jpg"],
    }
    assert row(service, "listening", "albums", entity) is None
    assert not [k for k in service.r2_objects() if f"/{entity}/" in k]
    before = upstream.count("/apple/")
    assert resolve(client, reader, entity, **DISCOVERY).status_code == 302
    assert upstream.count("/apple/") > before
    again = client.delete(f"/v1/admin/images/listening/albums/{unique('none')}", headers=admin)
    assert again.json() == {"error": "No image record for this entity", "status": 404}


@pytest.mark.workerd
def test_reanalyze_restores_missing_hashes_in_batches(
    service: InProcessApp, client: httpx.Client, admin: dict[str, str], reader: dict[str, str]
) -> None:
    entities = [unique("re") for _ in range(3)]
    expected = {}
    for entity in entities:
        headers = resolve(client, reader, entity, **DISCOVERY).headers
        expected[entity] = (headers["x-thumbhash"], headers["x-dominant-color"])
    broken = unique("re-missing")
    add_image(service, "listening", "albums", broken, thumbhash=None)  # no object behind it
    placeholders = ",".join("?" * len(entities))
    service.sql(
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
        stored = row(service, "listening", "albums", entity)
        assert stored is not None
        # The same analysis of the same stored bytes as the pipeline's.
        assert (stored["thumbhash"], stored["dominant_color"]) == expected[entity]
    invalid = client.post("/v1/admin/images/reanalyze", json={"batch_size": 500}, headers=admin)
    assert invalid.status_code == 400

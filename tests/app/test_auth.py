"""Bearer keys: 401/403/429, expiry, revocation, rate-limit headers, usage counting."""

from __future__ import annotations

import httpx
import pytest

from tests.support.app_client import InProcessApp
from tests.support.helpers import add_image, add_key, bearer, unique


def _image(service: InProcessApp) -> str:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    return f"/v1/images/listening/albums/{entity}/medium"


@pytest.mark.workerd
def test_missing_malformed_and_unknown_keys_are_401(
    service: InProcessApp, client: httpx.Client
) -> None:
    path = _image(service)
    for headers in (
        {},
        {"Authorization": "rw_live_nobearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        bearer("rw_live_unknown"),
        bearer("x" * 300),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {"error": "Unauthorized", "status": 401}


def test_expired_key_is_401_token_expired(service: InProcessApp, client: httpx.Client) -> None:
    token = add_key(service, expires_at="2020-01-01T00:00:00.000Z")
    response = client.get(_image(service), headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {"error": "Token expired", "status": 401}


def test_inactive_key_is_401(service: InProcessApp, client: httpx.Client) -> None:
    token = add_key(service, active=False)
    response = client.get(_image(service), headers=bearer(token))
    assert response.json() == {"error": "Unauthorized", "status": 401}


def test_read_key_on_an_admin_route_is_403(service: InProcessApp, client: httpx.Client) -> None:
    token = add_key(service)
    response = client.get("/v1/admin/keys", headers=bearer(token))
    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden", "status": 403}


@pytest.mark.workerd
def test_rate_limit_headers_count_down_then_429(
    service: InProcessApp, client: httpx.Client
) -> None:
    token = add_key(service, rate_limit_rpm=3)
    path = _image(service)
    remaining = []
    for _ in range(3):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 302
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(response.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]
    limited = client.get(path, headers=bearer(token))
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too Many Requests", "status": 429}
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > 1_700_000_000


def test_usage_is_counted_without_a_write_per_request(
    service: InProcessApp, client: httpx.Client
) -> None:
    token = add_key(service)
    path = _image(service)
    for _ in range(5):
        assert client.get(path, headers=bearer(token)).status_code == 302
    # Background writes finish after the response; the first use is flushed at once, the rest
    # are summed in memory until the flush interval (60 s) passes.
    rows = service.sql(
        "SELECT request_count, last_used_at FROM api_keys WHERE key_hint = ?", (token[-4:],)
    )
    assert rows[0][0] == 1
    assert rows[0][1] is not None


def test_admin_can_create_list_and_revoke_keys(service: InProcessApp, client: httpx.Client) -> None:
    admin = add_key(service, scope="admin")
    created = client.post(
        "/v1/admin/keys", headers=bearer(admin), json={"name": "my app", "rate_limit_rpm": 100}
    )
    assert created.status_code == 201
    body = created.json()
    raw = body["key"]
    assert raw.startswith("rw_live_")
    assert body["key_prefix"] == raw[:10]
    assert body["key_hint"] == raw[-4:]
    assert body["scope"] == "read"
    path = _image(service)
    assert client.get(path, headers=bearer(raw)).status_code == 302

    listing = client.get("/v1/admin/keys?limit=100", headers=bearer(admin)).json()
    listed = [k for k in listing["data"] if k["id"] == body["id"]]
    assert len(listed) == 1
    assert set(listed[0]) == {
        "id",
        "name",
        "scope",
        "key_prefix",
        "key_hint",
        "rate_limit_rpm",
        "request_count",
        "last_used_at",
        "expires_at",
        "is_active",
        "created_at",
    }
    assert listing["pagination"]["limit"] == 100
    assert listing["pagination"]["total"] >= 2

    revoked = client.delete(f"/v1/admin/keys/{body['id']}", headers=bearer(admin))
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    assert client.get(path, headers=bearer(raw)).status_code == 401
    missing = client.delete("/v1/admin/keys/999999", headers=bearer(admin))
    assert missing.json() == {"error": "Key not found", "status": 404}


def test_key_creation_validates_its_body(service: InProcessApp, client: httpx.Client) -> None:
    admin = add_key(service, scope="admin")
    for body, message in (
        (b"not json", "Body is not valid JSON"),
        (b"[]", "Body must be a JSON object"),
        (b'{"name": ""}', "Invalid name: ensure this value has at least 1 characters"),
        (b'{"name": "a", "scope": "root"}', "Invalid scope"),
    ):
        response = client.post("/v1/admin/keys", headers=bearer(admin), content=body)
        assert response.status_code == 400
        assert response.json()["error"].startswith(message)

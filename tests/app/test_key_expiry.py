"""Key expiry on mint (issue 10, point 7): an RFC 3339 string with an offset, in the future, at
most ten years ahead; anything else is a 400 (never a 500, never an expired key minted)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_image, add_key, bearer, unique

FORMAT = "Invalid expires_at: must be an RFC 3339 date-time with an offset"
RANGE = "Invalid expires_at: must be in the future and at most ten years ahead"


@pytest.fixture
def admin(service: InProcessApp) -> dict[str, str]:
    ManualClock(service)  # 2030-03-17T17:47:00Z
    return bearer(add_key(service, scope="admin"))


@pytest.mark.parametrize(
    ("expires_at", "message"),
    [
        (1e20, FORMAT),  # became 1973
        (253402300799, FORMAT),  # became 1978: an expired key minted with 201
        ("9999-12-31T23:59:59-12:00", FORMAT),  # was a 500 (OverflowError)
        ("2031-01-01T00:00:00", FORMAT),  # no offset
        ("2031-01-01", FORMAT),
        ("next year", FORMAT),
        ("2020-01-01T00:00:00Z", RANGE),  # in the past
        ("2030-03-17T17:47:00Z", RANGE),  # now
        ("2040-03-18T17:47:00Z", RANGE),  # past ten years
    ],
)
def test_bad_expiries_are_400s_and_mint_nothing(
    service: InProcessApp,
    client: httpx.Client,
    admin: dict[str, str],
    expires_at: object,
    message: str,
) -> None:
    keys = service.sql("SELECT count(*) FROM api_keys")
    response = client.post(
        "/v1/admin/keys", headers=admin, json={"name": "k", "expires_at": expires_at}
    )
    assert response.status_code == 400
    assert response.json() == {"error": message, "status": 400}
    assert service.sql("SELECT count(*) FROM api_keys") == keys


def test_a_future_expiry_with_an_offset_is_stored_in_utc_and_enforced(
    service: InProcessApp, client: httpx.Client, admin: dict[str, str]
) -> None:
    created = client.post(
        "/v1/admin/keys",
        headers=admin,
        json={"name": "k", "expires_at": "2030-03-17T19:47:01+02:00"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["expires_at"] == "2030-03-17T17:47:01.000Z"
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    path = f"/v1/images/listening/albums/{entity}/medium"
    assert client.get(path, headers=bearer(body["key"])).status_code == 302
    # Ten years ahead is the longest allowed.
    longest = client.post(
        "/v1/admin/keys", headers=admin, json={"name": "k", "expires_at": "2040-03-17T17:47:00Z"}
    )
    assert longest.status_code == 201

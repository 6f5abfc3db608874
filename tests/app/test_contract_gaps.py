"""Small contract gaps and what answers may say (issue 10, points 8-10): fixed messages only,
`WWW-Authenticate` on 401s, rate-limit headers on every answer of an authenticated route, CORS
failing closed, strict percent-escapes, a bounded validation memo."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from rewind_images.config import MEMO_MAX_REQUEST_LENGTH
from rewind_images.images.admin.alternatives import FAILURE_REASONS, UNKNOWN_FAILURE
from tests.support.app_client import InProcessApp
from tests.support.helpers import add_image, add_key, bearer, unique

ORIGIN = "https://app.example"


@pytest.fixture
def key(service: InProcessApp) -> dict[str, str]:
    return bearer(add_key(service, rate_limit_rpm=1000))


# --- point 8: answers carry fixed messages ------------------------------------------------------


@pytest.mark.parametrize(
    ("album", "reason"),
    [("api-fault-http-500", "HTTP 500"), ("api-fault-bad-json", "malformed answer")],
)
def test_alternatives_report_source_failures_as_fixed_phrases(
    service: InProcessApp, client: httpx.Client, album: str, reason: str
) -> None:
    admin = bearer(add_key(service, scope="admin"))
    response = client.get(
        f"/v1/admin/images/listening/albums/{unique('alt')}/alternatives",
        params={"artist_name": "API Fault", "album_name": album},
        headers=admin,
    )
    assert response.status_code == 200
    failures = response.json()["failures"]
    assert {f["source"] for f in failures} == {"apple_music", "deezer", "itunes"}
    assert {f["error"] for f in failures} == {reason}
    fixed = {r for _, r in FAILURE_REASONS} | {UNKNOWN_FAILURE}
    assert reason in fixed or reason.startswith("HTTP ")
    assert "127.0.0.1" not in response.text  # no URLs, no exception text


def test_error_bodies_are_the_envelope_and_nothing_else(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    admin = bearer(add_key(service, scope="admin"))
    answers = [
        client.get("/v1/images/listening/albums/x/huge", headers=key),
        client.get(f"/v1/images/listening/albums/{unique('n')}/medium", headers=key),
        client.post("/v1/admin/keys", headers=admin, content=b"[" * 100),
        client.put(
            "/v1/admin/images/listening/albums/x",
            headers=admin,
            json={"source_url": "http://10.0.0.1/x.png"},
        ),
        client.get(
            f"/v1/images/listening/albums/{unique('f')}/medium",
            params={"artist_name": "Fault Injection", "album_name": "redirect-private"},
            headers=key,
        ),
    ]
    for answer in answers:
        assert set(answer.json()) == {"error", "status"}, answer.text
        assert "10.0.0.1" not in answer.text
        assert "Traceback" not in answer.text


# --- point 9: WWW-Authenticate, rate-limit headers on errors, CORS, escapes ----------------------


def test_401s_carry_a_bearer_challenge(service: InProcessApp, client: httpx.Client) -> None:
    path = "/v1/images/listening/albums/x/medium"
    assert client.get(path).headers["www-authenticate"] == "Bearer"
    basic = client.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.headers["www-authenticate"] == "Bearer"
    invalid = 'Bearer error="invalid_token"'
    assert client.get(path, headers=bearer("rw_live_unknown")).headers["www-authenticate"] == (
        invalid
    )
    expired = add_key(service, expires_at="2020-01-01T00:00:00.000Z")
    response = client.get(path, headers=bearer(expired))
    assert response.json() == {"error": "Token expired", "status": 401}
    assert response.headers["www-authenticate"] == invalid


def test_every_answer_of_an_authenticated_route_has_the_rate_limit_headers(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    admin = bearer(add_key(service, scope="admin", rate_limit_rpm=1000))
    answers = {
        400: client.get("/v1/images/listening/albums/x/huge", headers=key),
        404: client.get(f"/v1/images/listening/albums/{unique('n')}/medium", headers=key),
        502: client.get(
            f"/v1/images/listening/albums/{unique('f')}/medium",
            params={"artist_name": "Fault Injection", "album_name": "http-500"},
            headers=key,
        ),
        413: client.put(
            "/v1/admin/images/listening/albums/x",
            headers={**admin, "content-type": "application/json"},
            content=b"{" * (2 * 1024 * 1024),
        ),
    }
    remaining = []
    for status, answer in answers.items():
        assert answer.status_code == status, answer.text
        assert answer.headers["x-ratelimit-limit"] == "1000"
        assert int(answer.headers["x-ratelimit-reset"]) > 1_700_000_000
        remaining.append(int(answer.headers["x-ratelimit-remaining"]))
    assert remaining[:3] == [999, 998, 997]  # each counted against the key


def test_an_empty_allowed_origins_means_no_cross_origin_access(
    make_app: Callable[..., InProcessApp],
) -> None:
    service = make_app(ALLOWED_ORIGINS="")
    assert service.settings.allowed_origins == ()
    with service.client() as client:
        response = client.get("/v1/health", headers={"Origin": ORIGIN})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        preflight = client.options(
            "/v1/images/listening/albums/x/medium",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )
    assert preflight.status_code == 204
    assert not [h for h in preflight.headers if h.startswith("access-control-")]


@pytest.mark.parametrize("escape", ["%ff", "%fe", "%zz", "%", "a%2", "%e9", "%c3%28", "%ed%a0%80"])
def test_entity_ids_with_invalid_percent_escapes_are_400(
    service: InProcessApp, key: dict[str, str], escape: str
) -> None:
    response = service.run(
        service.respond("GET", f"/v1/images/listening/albums/x{escape}/medium", key)
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid path", "status": 400}
    assert service.sql("SELECT count(*) FROM images") == [(0,)]


def test_valid_utf8_escapes_name_the_entity(service: InProcessApp, key: dict[str, str]) -> None:
    add_image(service, "listening", "albums", "café")
    response = service.run(
        service.respond("GET", "/v1/images/listening/albums/caf%C3%A9/medium", key)
    )
    assert response.status_code == 302
    assert response.headers["location"].endswith("/caf%C3%A9/original.jpg?v=1")


# --- point 10: the validation memo keeps only short requests -------------------------------------


def test_the_routing_memo_keeps_only_short_requests(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    entity = unique("memo")
    add_image(service, "listening", "albums", entity)
    path = f"/v1/images/listening/albums/{entity}/medium"
    assert client.get(path, headers=key).status_code == 302
    memo = service.state["routing"]
    assert len(memo) == 1
    for i in range(20):
        noise = f"{i}-" + "x" * MEMO_MAX_REQUEST_LENGTH
        assert client.get(path, params={"cb": noise}, headers=key).status_code == 302
    assert len(memo) == 1
    assert all(len(p) + len(q) <= MEMO_MAX_REQUEST_LENGTH for _, p, q in memo)


def test_a_memoised_bad_path_still_asks_for_the_key_first(
    client: httpx.Client, key: dict[str, str]
) -> None:
    path = f"/v1/images/listening/albums/{unique('bad')}/huge"
    for _ in range(2):  # the second answer comes from the routing memo's plan
        assert client.get(path).status_code == 401
        response = client.get(path, headers=key)
        assert response.status_code == 400
        assert response.json()["error"].startswith("Invalid size: huge")
    assert client.get(path).status_code == 401


def test_requests_without_a_valid_key_leave_the_routing_memo_alone(
    service: InProcessApp, client: httpx.Client, key: dict[str, str]
) -> None:
    entity = unique("memo")
    add_image(service, "listening", "albums", entity)
    assert (
        client.get(f"/v1/images/listening/albums/{entity}/medium", headers=key).status_code == 302
    )
    memo = service.state["routing"]
    size = len(memo)
    for i in range(20):
        path = f"/v1/images/listening/albums/{entity}-{i}/medium"
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert len(memo) == size

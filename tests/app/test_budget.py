"""The per-key limit on misses that reach the upstreams (issue 10, point 2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from tests.support.app_client import InProcessApp
from tests.support.helpers import (
    ManualClock,
    add_expired_no_image,
    add_image,
    add_key,
    bearer,
    unique,
)

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}
LIMIT = 3


@pytest.fixture
def service(make_app: Callable[..., InProcessApp]) -> InProcessApp:
    return make_app(MISS_LIMIT_PER_MINUTE=str(LIMIT))


@pytest.fixture
def clock(service: InProcessApp) -> ManualClock:
    return ManualClock(service)


def _miss(entity: str) -> str:
    return f"/v1/images/listening/albums/{entity}/medium"


def test_misses_past_the_limit_are_429_with_their_own_message_and_retry_after(
    service: InProcessApp, clock: ManualClock, upstream: FakeUpstream
) -> None:
    key = bearer(add_key(service, rate_limit_rpm=1000))
    hit = unique("hit")
    add_image(service, "listening", "albums", hit)
    with service.client() as client:
        for _ in range(LIMIT):
            response = client.get(_miss(unique("m")), params=DISCOVERY, headers=key)
            assert response.status_code == 302
        calls = len(upstream.requests)
        limited = client.get(_miss(unique("m")), params=DISCOVERY, headers=key)
        assert limited.status_code == 429
        assert limited.json() == {
            "error": "Too many new images requested; try again later",
            "status": 429,
        }
        assert limited.headers["retry-after"] == "60"
        assert limited.headers["x-ratelimit-limit"] == "1000"
        assert limited.headers["x-ratelimit-remaining"] == str(1000 - LIMIT - 1)
        assert len(upstream.requests) == calls  # no upstream was asked
        # Hits, and misses no source can be asked for (no upstream call), are not limited.
        assert client.get(_miss(hit), headers=key).status_code == 302
        assert client.get(_miss(unique("m")), headers=key).status_code == 404
        # Another key has its own budget; the next minute starts a new one.
        other = bearer(add_key(service, rate_limit_rpm=1000))
        assert client.get(_miss(unique("m")), params=DISCOVERY, headers=other).status_code == 302
        clock.advance(60)
        assert client.get(_miss(unique("m")), params=DISCOVERY, headers=key).status_code == 302


def test_a_no_image_record_asked_again_counts_as_a_miss(
    service: InProcessApp, clock: ManualClock
) -> None:
    key = bearer(add_key(service, rate_limit_rpm=1000))
    entity = unique("neg")
    add_expired_no_image(service, entity)
    with service.client() as client:
        for _ in range(LIMIT):
            client.get(_miss(unique("m")), params=DISCOVERY, headers=key)
        response = client.get(_miss(entity), params=DISCOVERY, headers=key)
    assert response.status_code == 429

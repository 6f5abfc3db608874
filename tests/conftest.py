"""Fixtures shared by the HTTP test layers (`tests/app` in-process, `tests/worker` under workerd):
one fake upstream per test process (every source's API and image host, on loopback), the
settings that point the service at it, and keys. Each layer's conftest provides `service` (the
service under test) and `client`; tests written once in tests/app also run under workerd where
tests/worker imports them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rewind_devkit.fake_upstream import FakeUpstream, run_fake_upstream
from tests.helpers import ServiceUnderTest, add_key, bearer

# Short enough that the fake's "timeout" faults (3 s) time out, long enough for slow-but-OK.
TEST_FETCH_TIMEOUT_MS = "1500"
TEST_CDN = "https://cdn.test"
# Short, so a test can watch a change written straight into D1 reach the cached hit path.
TEST_CHANGE_POLL_SECONDS = "1"
# The session's keys make many misses a minute; the miss limit has its own tests.
TEST_MISS_LIMIT_PER_MINUTE = "100000"
# Short, so a test can watch a failing background resolution reach the dead letters.
TEST_QUEUE_RETRY_DELAY_SECONDS = "1"


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    """The fake upstream server for the session (its faults are chosen per entity)."""
    with run_fake_upstream(timeout_delay_s=3.0, slow_total_s=0.5) as fake:
        yield fake


@pytest.fixture(scope="session")
def service_env(upstream: FakeUpstream) -> dict[str, str]:
    """The service's environment for tests: every upstream on the fake."""
    return upstream.settings_env(
        FETCH_TIMEOUT_MS=TEST_FETCH_TIMEOUT_MS,
        CDN_BASE_URL=TEST_CDN,
        CHANGE_POLL_SECONDS=TEST_CHANGE_POLL_SECONDS,
        MISS_LIMIT_PER_MINUTE=TEST_MISS_LIMIT_PER_MINUTE,
        QUEUE_RETRY_DELAY_SECONDS=TEST_QUEUE_RETRY_DELAY_SECONDS,
    )


@pytest.fixture
def key(service: ServiceUnderTest) -> str:
    """A read key with room for every request of a test."""
    return add_key(service, rate_limit_rpm=100_000)


@pytest.fixture
def reader(key: str) -> dict[str, str]:
    """The Authorization header of `key`."""
    return bearer(key)


@pytest.fixture
def admin(service: ServiceUnderTest) -> dict[str, str]:
    """The Authorization header of an admin key."""
    return bearer(add_key(service, scope="admin", rate_limit_rpm=100_000))

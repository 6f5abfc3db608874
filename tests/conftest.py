"""Fixtures shared by the HTTP test layers (`tests/app` in-process, `tests/worker` under workerd):
one fake upstream per test process (every source's API and image host, on loopback) and the
settings that point the service at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rewind_devkit.fake_upstream import FakeUpstream, run_fake_upstream

# Short enough that the fake's "timeout" faults (3 s) time out, long enough for slow-but-OK.
TEST_FETCH_TIMEOUT_MS = "1500"
TEST_CDN = "https://cdn.test"
# Short, so a test can watch a change written straight into D1 reach the cached hit path.
TEST_CHANGE_POLL_SECONDS = "1"
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
        QUEUE_RETRY_DELAY_SECONDS=TEST_QUEUE_RETRY_DELAY_SECONDS,
    )

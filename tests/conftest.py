"""Fixtures shared by the HTTP test layers (`tests/app` in-process, `tests/worker` under workerd):
one fake upstream per test process (every source's API and image host, on loopback), the
settings that point the service at it, and keys. Each layer's conftest provides `service` (the
service under test) and `client`.

An app test marked `workerd` is written once and runs in both layers: in-process by default,
and against the session's Worker under workerd with `--layer workerd` (the first workerd
process of `scripts/test_layers.py` passes it with tests/app; tests/app/conftest.py then keeps
only the marked tests). The Workers are tests/support/workerd.py's fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from rewind_devkit.fake_upstream import FakeUpstream, run_fake_upstream
from rewind_images.config import BUDGETS, MISS_BUDGET
from tests.support.helpers import ServiceUnderTest, add_key, bearer

pytest_plugins = ("tests.support.workerd",)

# Short enough that the fake's "timeout" faults (TEST_TIMEOUT_FAULT_S) time out, long enough for
# slow-but-OK answers and for a fake answering on a loaded machine (the whole suite runs at once
# on two cores: 1.5 s, then 2 s, were sometimes too little there, and a source fell through to
# the next).
TEST_FETCH_TIMEOUT_MS = "3000"
# How long the fake holds a "timeout" fault: well past the fetch timeout, so a Worker slowed by
# the load still times out before the answer comes.
TEST_TIMEOUT_FAULT_S = 5.0
TEST_CDN = "https://cdn.test"
# Short, so a test can watch a change written straight into D1 reach the cached hit path.
TEST_CHANGE_POLL_SECONDS = "1"
# The session's keys make many misses a minute; the miss limit has its own tests.
TEST_MISS_LIMIT_PER_MINUTE = "100000"
UPSTREAM_BUDGETS = [name for name in BUDGETS if name != MISS_BUDGET]
# Every upstream's budget out of the way of the session's misses (the budgets have their own
# tests: tests/app/test_budgets.py, tests/worker/test_budgets.py).
TEST_BUDGET_LIMITS = json.dumps(dict.fromkeys(UPSTREAM_BUDGETS, 1_000_000))
# Short, so a test can watch a failing background resolution reach the dead letters.
TEST_QUEUE_RETRY_DELAY_SECONDS = "1"
# Above every image the fake serves (2.3 MB at most) and below its 25 MB oversize bodies: a
# download cut at the cap then reads 8 MB, not the default 20 MB.
TEST_MAX_DOWNLOAD_BYTES = str(8 * 1024 * 1024)


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    """The fake upstream server for the session (its faults are chosen per entity)."""
    with run_fake_upstream(timeout_delay_s=TEST_TIMEOUT_FAULT_S, slow_total_s=0.5) as fake:
        yield fake


@pytest.fixture(scope="session")
def service_env(upstream: FakeUpstream) -> dict[str, str]:
    """The service's environment for tests: every upstream on the fake."""
    return upstream.settings_env(
        FETCH_TIMEOUT_MS=TEST_FETCH_TIMEOUT_MS,
        CDN_BASE_URL=TEST_CDN,
        CHANGE_POLL_SECONDS=TEST_CHANGE_POLL_SECONDS,
        MISS_LIMIT_PER_MINUTE=TEST_MISS_LIMIT_PER_MINUTE,
        BUDGET_LIMITS=TEST_BUDGET_LIMITS,
        QUEUE_RETRY_DELAY_SECONDS=TEST_QUEUE_RETRY_DELAY_SECONDS,
        MAX_DOWNLOAD_BYTES=TEST_MAX_DOWNLOAD_BYTES,
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

"""Fixtures for HTTP tests against the Worker running under workerd (wrangler dev).

One fake upstream (every source's API and image host, on loopback) and one Worker pointed at it
serve the whole session; tests use distinct entity ids and keys so they do not interfere.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import FakeUpstream, run_fake_upstream
from tests.support.worker import LocalWorker

# Short enough that the fake's "timeout" faults (3 s) time out, long enough for slow-but-OK.
TEST_FETCH_TIMEOUT_MS = "1500"
TEST_CDN = "https://cdn.test"
# Short, so a test can watch a change written straight into D1 reach the cached hit path.
TEST_CHANGE_POLL_SECONDS = "1"


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    """The fake upstream server for the session."""
    with run_fake_upstream(timeout_delay_s=3.0, slow_total_s=0.5) as fake:
        yield fake


@pytest.fixture(scope="session")
def worker(upstream: FakeUpstream) -> Iterator[LocalWorker]:
    """One Worker for the session, with a fresh local D1/R2 state, pointed at the fake."""
    env = upstream.settings_env(
        FETCH_TIMEOUT_MS=TEST_FETCH_TIMEOUT_MS,
        CDN_BASE_URL=TEST_CDN,
        CHANGE_POLL_SECONDS=TEST_CHANGE_POLL_SECONDS,
    )
    local = LocalWorker(vars=env)
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def client(worker: LocalWorker) -> Iterator[httpx.Client]:
    """An HTTP client for the session's Worker that does not follow redirects."""
    with httpx.Client(base_url=worker.base_url, timeout=60, follow_redirects=False) as http:
        yield http

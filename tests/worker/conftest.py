"""Fixtures for HTTP tests against the Worker running under workerd (wrangler dev)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.worker import LocalWorker


@pytest.fixture(scope="session")
def worker() -> Iterator[LocalWorker]:
    """One Worker for the session, with a fresh local D1/R2 state."""
    local = LocalWorker(vars={"CDN_BASE_URL": "https://cdn.test"})
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

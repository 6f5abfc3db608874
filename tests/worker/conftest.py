"""Fixtures for end-to-end tests against the Worker running under workerd (wrangler dev).

One Worker pointed at the session's fake upstream serves the whole session (starting one costs
seconds); tests use distinct entity ids and keys so they do not interfere.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rewind_devkit.local_worker import LocalWorker


@pytest.fixture(scope="session")
def worker(
    service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalWorker]:
    """One Worker for the session, with a fresh local D1/R2 state, pointed at the fake, started
    the way `make dev` starts it (tests/worker/test_dev_command.py checks what that prints). Its
    dev registry is the session's own, so the RPC caller test reaches this Worker and no other
    checkout's."""
    registry = tmp_path_factory.mktemp("registry")
    local = LocalWorker(vars=service_env, through_dev_command=True, registry=registry)
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def second_runtime(worker: LocalWorker) -> Iterator[LocalWorker]:
    """A second workerd on the session Worker's state directory: other isolates in another
    process, sharing its D1 and R2. Started on first use (tests/worker/test_two_runtimes.py)."""
    local = LocalWorker(vars=worker.vars, state_dir=worker.state_dir, migrate=False)
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def service(worker: LocalWorker) -> LocalWorker:
    """The service under test, for the tests this layer shares with tests/app: the Worker."""
    return worker


@pytest.fixture
def client(worker: LocalWorker) -> Iterator[httpx.Client]:
    """An HTTP client for the session's Worker that does not follow redirects."""
    with httpx.Client(base_url=worker.base_url, timeout=60, follow_redirects=False) as http:
        yield http

"""tests/worker: what only the runtime shows, against the session's Worker (the fixtures are
tests/support/workerd.py's). The app tests marked `workerd` run in the same process against the
same Worker (`--layer workerd`, tests/app/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rewind_devkit.local_worker import LocalWorker
from tests.support.commands import DevServer
from tests.support.workerd import worker_client


@pytest.fixture(scope="session")
def service(worker: LocalWorker) -> LocalWorker:
    """The service under test, for the tests this layer shares with tests/app: the Worker."""
    return worker


@pytest.fixture
def client(worker: LocalWorker) -> Iterator[httpx.Client]:
    """An HTTP client for the session's Worker that does not follow redirects."""
    with worker_client(worker) as http:
        yield http


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`make dev UPSTREAMS=fake`, for the tests of the command and of the admin tour."""
    server = DevServer(tmp_path_factory.mktemp("make-dev"))
    try:
        yield server
    finally:
        server.stop()

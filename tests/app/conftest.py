"""Fixtures of the in-process layer: each test gets a fresh service (its own D1 and R2 doubles,
empty isolate caches) pointed at the session's fake upstream, and an httpx client for it. After
every test the app's R2 and D1 must agree and no claim may be left.

With `--layer workerd` only the tests marked `workerd` are kept, and `service` and `client` are
the session's Worker under workerd instead (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.app_client import InProcessApp
from tests.support.helpers import assert_store_consistent
from tests.support.workerd import WORKERD, layer, worker_client


def _checked(instance: InProcessApp) -> None:
    # Whatever the test did, R2 and D1 agree afterwards and no claim is left behind.
    assert_store_consistent(instance)
    assert instance.sql("SELECT count(*) FROM image_claims") == [(0,)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if layer(config) != WORKERD:
        return
    here = Path(__file__).parent
    kept, dropped = [], []
    for item in items:
        in_app = here in item.path.parents
        (dropped if in_app and item.get_closest_marker("workerd") is None else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def service(service_env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[Any]:
    """The service under test: a fresh isolate of the app, in-process (or the Worker)."""
    if layer(request.config) == WORKERD:
        worker = request.getfixturevalue("worker")
        yield worker
        assert_store_consistent(worker)  # the Worker's whole store: tests share it
        return
    instance = InProcessApp(service_env)
    try:
        yield instance
        _checked(instance)
    finally:
        instance.close()


@pytest.fixture
def make_app(service_env: dict[str, str]) -> Iterator[Callable[..., InProcessApp]]:
    """Fresh isolates with settings of their own: `make_app(MISS_LIMIT_PER_MINUTE="3")`; a
    setting given as None is left unset. Checked like `service` afterwards."""
    made: list[InProcessApp] = []

    def make(**env: str | None) -> InProcessApp:
        merged = {**service_env, **env}
        made.append(InProcessApp({k: v for k, v in merged.items() if v is not None}))
        return made[-1]

    try:
        yield make
        for instance in made:
            _checked(instance)
    finally:
        for instance in made:
            instance.close()


@pytest.fixture
def client(service: Any, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """An httpx client answered by the service (redirects not followed)."""
    if layer(request.config) == WORKERD:
        with worker_client(service) as http:
            yield http
        return
    with service.client() as http:
        yield http

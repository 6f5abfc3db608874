"""Fixtures of the in-process layer: each test gets a fresh service (its own D1 and R2 doubles,
empty isolate caches) pointed at the session's fake upstream, and an httpx client for it. After
every test the app's R2 and D1 must agree and no claim may be left."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.helpers import assert_store_consistent
from tests.inprocess.app_client import InProcessApp


def _checked(instance: InProcessApp) -> None:
    # Whatever the test did, R2 and D1 agree afterwards and no claim is left behind.
    assert_store_consistent(instance)
    assert instance.sql("SELECT count(*) FROM image_claims") == [(0,)]


@pytest.fixture
def service(service_env: dict[str, str]) -> Iterator[InProcessApp]:
    """The service under test: a fresh isolate of the app, in-process."""
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
def client(service: InProcessApp) -> Iterator[httpx.Client]:
    """An httpx client answered by the service in-process (redirects not followed)."""
    with service.client() as http:
        yield http

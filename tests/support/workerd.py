"""The Workers under workerd (`wrangler dev`) that the workerd layer tests against: a plugin of
the whole suite (tests/conftest.py), so tests/worker and the app tests that also run under
workerd (tests/app, marked `workerd`) share them.

One Worker pointed at the session's fake upstream serves the whole session (starting one costs
seconds); tests use distinct entity ids and keys so they do not interfere. Nothing starts unless
a collected test asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from rewind_devkit.local_worker import ROOT, LocalWorker
from rewind_devkit.tls import shared_tls_context

# Workers some modules need beside the session's: each starts in the background as soon as the
# session's Worker is up, when a collected test asks for it, so its boot overlaps the tests
# before that module instead of holding it up.
RPC_CALLER_CONFIG = ROOT / "examples" / "rpc-caller" / "wrangler.toml"
COMPANIONS: dict[str, Callable[[LocalWorker], LocalWorker]] = {
    # Other isolates in another process, sharing the session Worker's D1 and R2.
    "second_runtime": lambda session: LocalWorker(
        vars=session.vars, state_dir=session.state_dir, migrate=False
    ),
    # The example TypeScript caller, registered in the session Worker's dev registry.
    "rpc_caller": lambda session: LocalWorker(
        config=RPC_CALLER_CONFIG,
        python=False,
        migrate=False,
        registry=session.registry,
        ready_path="/",
    ),
}
# What tests/app runs against: the app in-process, or (`--layer workerd`) this module's Worker.
IN_PROCESS, WORKERD = "in-process", "workerd"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--layer",
        choices=(IN_PROCESS, WORKERD),
        default=IN_PROCESS,
        help="what tests/app runs against: the app in-process, or the Worker under workerd "
        "(then only its tests marked workerd)",
    )


def layer(config: pytest.Config) -> str:
    """The layer tests/app runs against in this process."""
    return str(config.getoption("layer"))


_COLLECTED_FIXTURES = pytest.StashKey[frozenset[str]]()
_STARTING = pytest.StashKey[dict[str, "Future[LocalWorker]"]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note every fixture the collected tests use (which companions to start early)."""
    session.config.stash[_COLLECTED_FIXTURES] = frozenset(
        name for item in session.items for name in getattr(item, "fixturenames", ())
    )


@pytest.fixture(scope="session")
def worker(
    service_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[LocalWorker]:
    """One Worker for the session, with a fresh local D1/R2 state, pointed at the fake, started
    through scripts/dev.py as `make dev` starts it (tests/worker/test_dev_command.py runs
    `make dev` itself and checks what it prints). Its dev registry is the session's own, so the
    RPC caller reaches this Worker and no other checkout's."""
    registry = tmp_path_factory.mktemp("registry")
    local = LocalWorker(vars=service_env, through_dev_command=True, registry=registry)
    local.start()
    wanted = request.config.stash.get(_COLLECTED_FIXTURES, frozenset())
    companions = {name: make(local) for name, make in COMPANIONS.items() if name in wanted}
    pool = ThreadPoolExecutor(max_workers=max(1, len(companions)))
    starting = {name: pool.submit(companion.start) for name, companion in companions.items()}
    request.config.stash[_STARTING] = starting
    try:
        yield local
    finally:
        futures.wait(starting.values())  # a start under way ends (or fails) before its stop
        pool.shutdown()
        for companion in companions.values():
            companion.stop()
        local.stop()


def _companion(request: pytest.FixtureRequest, name: str) -> LocalWorker:
    starting = request.config.stash[_STARTING].get(name)
    if starting is None:
        raise RuntimeError(f"{name} was not started: no collected test asked for it")
    return starting.result()


@pytest.fixture(scope="session")
def second_runtime(worker: LocalWorker, request: pytest.FixtureRequest) -> LocalWorker:
    """A second workerd on the session Worker's state directory: other isolates in another
    process, sharing its D1 and R2 (tests/worker/test_two_runtimes.py)."""
    return _companion(request, "second_runtime")


@pytest.fixture(scope="session")
def rpc_caller(worker: LocalWorker, request: pytest.FixtureRequest) -> LocalWorker:
    """The example TypeScript caller (examples/rpc-caller/), bound to the session's Worker."""
    return _companion(request, "rpc_caller")


@contextmanager
def worker_client(worker: LocalWorker) -> Iterator[httpx.Client]:
    """An HTTP client for a Worker that does not follow redirects."""
    with httpx.Client(
        base_url=worker.base_url, timeout=60, follow_redirects=False, verify=shared_tls_context()
    ) as http:
        yield http

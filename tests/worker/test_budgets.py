"""The budgets under the local runtime: the Workers Rate Limiting bindings declared in
wrangler.toml count an upstream's requests with the production limits (iTunes: 20 a minute)
and the key's misses; past them the source fails the miss (502) or the key gets 429."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.tls import shared_tls_context
from rewind_images.config import BUDGETS
from tests.conftest import TEST_FETCH_TIMEOUT_MS
from tests.support.helpers import add_key, bearer, unique

RUMOURS = {"artist_name": "Fleetwood Mac", "album_name": "Rumours"}  # iTunes only in the fake


@pytest.fixture(scope="module")
def production_limits(upstream: FakeUpstream) -> Iterator[LocalWorker]:
    """A Worker with wrangler.toml's budgets as they are (no BUDGET_LIMITS)."""
    worker = LocalWorker(vars=upstream.settings_env(FETCH_TIMEOUT_MS=TEST_FETCH_TIMEOUT_MS))
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def test_the_itunes_budget_holds_at_its_declared_limit(
    production_limits: LocalWorker, upstream: FakeUpstream
) -> None:
    worker = production_limits
    limit = BUDGETS["itunes"].limit
    # Windows align to the minute, so the run may cross one boundary: 2 x limit + 1 misses
    # are more than two windows allow. Each from a key of its own: the misses budget is not
    # what stops them.
    keys = [bearer(add_key(worker, rate_limit_rpm=100_000)) for _ in range(2 * limit + 1)]
    before = upstream.count("/itunes/search")
    with httpx.Client(base_url=worker.base_url, timeout=60, verify=shared_tls_context()) as http:
        statuses = [
            http.get(
                f"/v1/images/collecting/releases/{unique('budget')}/medium",
                params=RUMOURS,
                headers=key,
            ).status_code
            for key in keys
        ]
    asked = upstream.count("/itunes/search") - before
    assert limit <= asked <= 2 * limit  # never more than the budget allows per window
    assert statuses.count(302) == asked
    assert statuses.count(502) == len(keys) - asked  # the rest failed without asking iTunes
    log = worker.log()
    assert "the itunes budget is spent" in log
    assert "counted in the isolate" not in log  # the binding counted, not the fallback

"""Upstream budgets (issue 23): every way in spends an upstream's budget before each request to
it; a source whose budget is spent counts as failing (502 when nothing else answered, nothing
recorded, asked again later). Counted in the isolate here (no binding in-process); the Rate
Limiting binding's count is tests/worker/test_budgets.py's."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_key, bearer, row, unique

RUMOURS = {"artist_name": "Fleetwood Mac", "album_name": "Rumours"}  # iTunes only in the fake


def release(entity: str) -> str:
    # collecting/releases without an mbid: only iTunes can be asked.
    return f"/v1/images/collecting/releases/{entity}/medium"


@pytest.fixture
def budgeted(make_app: Callable[..., InProcessApp]) -> tuple[InProcessApp, ManualClock]:
    app = make_app(BUDGET_LIMITS=json.dumps({"itunes": 2}))
    return app, ManualClock(app)


def test_an_upstream_budget_holds_and_a_spent_source_fails_the_miss(
    budgeted: tuple[InProcessApp, ManualClock], upstream: FakeUpstream
) -> None:
    app, clock = budgeted
    key = bearer(add_key(app, rate_limit_rpm=100_000))
    before = upstream.count("/itunes/search")
    with app.client() as client:
        for _ in range(2):
            assert client.get(release(unique("r")), params=RUMOURS, headers=key).status_code == 302
        spent = unique("spent")
        answer = client.get(release(spent), params=RUMOURS, headers=key)
        assert answer.status_code == 502
        assert answer.json() == {"error": "Image sources failed; try again later", "status": 502}
        assert upstream.count("/itunes/search") - before == 2  # the third was never asked
        assert row(app, "collecting", "releases", spent) is None  # nothing recorded
        clock.advance(60)  # the next period
        assert client.get(release(spent), params=RUMOURS, headers=key).status_code == 302
    assert upstream.count("/itunes/search") - before == 3


def test_the_admin_alternatives_and_the_queue_spend_it_too(
    budgeted: tuple[InProcessApp, ManualClock], upstream: FakeUpstream
) -> None:
    app, _ = budgeted
    admin = bearer(add_key(app, scope="admin"))
    before = upstream.count("/itunes/search")
    with app.client() as client:
        path = f"/v1/admin/images/collecting/releases/{unique('alt')}/alternatives"
        for _ in range(2):
            assert client.get(path, params=RUMOURS, headers=admin).json()["failures"] == []
        third = client.get(path, params=RUMOURS, headers=admin).json()
        assert third["failures"] == [{"source": "itunes", "error": "budget spent, try again later"}]
    assert upstream.count("/itunes/search") - before == 2
    # A queued resolution whose budget is spent is retried later, not recorded.
    entity = unique("queued")
    item = {"domain": "collecting", "entity_type": "releases", "entity_id": entity, **RUMOURS}
    app.queue.sent.append(item)
    drained = app.drain_queue()
    assert {outcome for _, _, outcome, _ in drained.deliveries} == {"retry"}
    assert row(app, "collecting", "releases", entity) is None

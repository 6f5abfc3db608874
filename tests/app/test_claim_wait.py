"""An admin write waits for the entity's claim while another writer holds it: it goes ahead
when the claim is released within `CLAIM_WAIT_MS`, and gives up with a 503 once that has
passed. The app's clock moves by hand: each claim attempt costs `STEP_S` of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rewind_images.config import CLAIM_WAIT_MS
from rewind_images.images.store import claim_rows
from rewind_images.images.writing import claims
from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_image, unique

STEP_S = 5
OTHER_WRITER = "other-writer"


def _hold_claim(service: InProcessApp, entity: str) -> None:
    service.sql(
        "INSERT INTO image_claims (domain, entity_type, entity_id, token, expires_at)"
        " VALUES ('listening', 'albums', ?, ?, ?)",
        (entity, OTHER_WRITER, 2**62),
    )


def _release_claim(service: InProcessApp, entity: str) -> None:
    service.sql(
        "DELETE FROM image_claims WHERE entity_id = ? AND token = ?", (entity, OTHER_WRITER)
    )


def _attempts_moving_the_clock(
    service: InProcessApp,
    monkeypatch: pytest.MonkeyPatch,
    entity: str,
    release_after_s: float,
) -> tuple[ManualClock, list[int]]:
    """Record the clock at each claim attempt, then move it by STEP_S; the other writer
    releases its claim once `release_after_s` have passed."""
    clock = ManualClock(service)
    start = clock.now
    attempts: list[int] = []
    original = claim_rows.claim

    async def timed_claim(*args: Any) -> bool:
        attempts.append(clock.now)
        if clock.now - start >= release_after_s * 1000:
            _release_claim(service, entity)
        held = await original(*args)
        clock.advance(STEP_S)
        return held

    monkeypatch.setattr(claim_rows, "claim", timed_claim)
    return clock, attempts


def test_an_admin_write_gives_up_with_a_503_once_the_claim_wait_has_passed(
    service: InProcessApp,
    client: httpx.Client,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entity = unique("held")
    add_image(service, "listening", "albums", entity)
    _hold_claim(service, entity)
    # The other writer would finish at twice the wait: a write still waiting then goes ahead.
    clock, attempts = _attempts_moving_the_clock(
        service, monkeypatch, entity, release_after_s=2 * CLAIM_WAIT_MS / 1000
    )
    start = clock.now
    try:
        response = client.delete(f"/v1/admin/images/listening/albums/{entity}", headers=admin)
        assert response.status_code == 503
        assert response.json() == {"error": claims.BUSY_MESSAGE, "status": 503}
        # It kept trying until the wait had passed, and no longer.
        assert attempts == list(range(start, start + CLAIM_WAIT_MS, STEP_S * 1000))
        assert service.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    finally:
        _release_claim(service, entity)


def test_an_admin_write_goes_ahead_when_the_claim_is_released_within_the_wait(
    service: InProcessApp,
    client: httpx.Client,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entity = unique("released")
    add_image(service, "listening", "albums", entity)
    _hold_claim(service, entity)
    last_chance_s = CLAIM_WAIT_MS / 1000 - STEP_S
    clock, attempts = _attempts_moving_the_clock(
        service, monkeypatch, entity, release_after_s=last_chance_s
    )
    start = clock.now
    try:
        response = client.delete(f"/v1/admin/images/listening/albums/{entity}", headers=admin)
        assert response.status_code == 200, response.text
        assert response.json() == {"deleted": True, "removed_objects": []}
        assert attempts[-1] == start + last_chance_s * 1000
        assert service.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(0,)]
        # The write released its own claim.
        assert service.sql("SELECT count(*) FROM image_claims WHERE entity_id = ?", (entity,)) == [
            (0,)
        ]
    finally:
        _release_claim(service, entity)

"""images.claims on the D1 double: taking the entity's claim, waiting for it, and waiting for
another writer to release it. Time moves only when the code sleeps (the fake sleep advances
the fake clock by the interval asked for), so waits of 30 s take none."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest

from rewind_images.config import CLAIM_LEASE_MS, CLAIM_POLL_INTERVAL_S, CLAIM_WAIT_MS, Settings
from rewind_images.context import Context
from rewind_images.errors import ServiceUnavailable
from rewind_images.images.store import claim_rows
from rewind_images.images.writing import claims
from tests.support.doubles import SqliteDatabase
from tests.support.helpers import add_image

ENTITY = ("listening", "albums", "a")
START_MS = 1_900_000_000_000
POLL_MS = int(CLAIM_POLL_INTERVAL_S * 1000)


class World:
    """A context over the D1 double whose clock moves only by sleeping. `at(ms, action)` runs
    `action` once the clock has reached `ms` (another writer acting meanwhile)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = SqliteDatabase()
        self.now = START_MS
        self.sleeps: list[float] = []
        self.actions: list[tuple[int, Callable[[], Awaitable[Any]]]] = []
        self.ctx = Context(
            settings=Settings(),
            db=self.db,
            bucket=None,  # type: ignore[arg-type]
            transformer=None,  # type: ignore[arg-type]
            fetcher=None,  # type: ignore[arg-type]
            queue=None,  # type: ignore[arg-type]
            wait_until=lambda awaitable: None,
            clock_ms=lambda: self.now,
        )
        monkeypatch.setattr(claims, "asyncio", SimpleNamespace(sleep=self.sleep))

    async def sleep(self, seconds: float) -> None:
        # A wait that never gives up fails here rather than hanging the run.
        assert self.now - START_MS < 2 * CLAIM_WAIT_MS, "still waiting long past CLAIM_WAIT_MS"
        self.sleeps.append(seconds)
        self.now += round(seconds * 1000)
        due = [a for a in self.actions if a[0] <= self.now]
        self.actions = [a for a in self.actions if a[0] > self.now]
        for _, action in due:
            await action()

    def at(self, ms: int, action: Callable[[], Awaitable[Any]]) -> None:
        self.actions.append((ms, action))

    def hold(self, token: str = "other", until_ms: int = 2**62) -> None:
        """Another writer holds the claim until `until_ms` (its lease)."""
        self.db.sql(
            "INSERT INTO image_claims (domain, entity_type, entity_id, token, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (*ENTITY, token, until_ms),
        )

    async def release(self, token: str = "other") -> None:
        await claim_rows.release(self.db, ENTITY, token)

    def holder(self) -> list[tuple[object, ...]]:
        return self.db.sql("SELECT token, expires_at FROM image_claims")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return World(monkeypatch)


# --- try_claim ---------------------------------------------------------------------------------


def test_try_claim_takes_a_free_claim_for_a_lease(world: World) -> None:
    token = asyncio.run(claims.try_claim(world.ctx, ENTITY))
    assert token is not None
    assert len(token) == 32
    assert world.holder() == [(token, START_MS + CLAIM_LEASE_MS)]
    # Each take has its own token.
    asyncio.run(world.release(token))
    assert asyncio.run(claims.try_claim(world.ctx, ENTITY)) not in (None, token)


def test_try_claim_leaves_a_held_claim_and_takes_an_expired_one(world: World) -> None:
    world.hold(until_ms=START_MS + 1)
    assert asyncio.run(claims.try_claim(world.ctx, ENTITY)) is None
    assert world.holder() == [("other", START_MS + 1)]
    world.now = START_MS + 2  # the other writer's lease ran out
    token = asyncio.run(claims.try_claim(world.ctx, ENTITY))
    assert token is not None
    assert world.holder() == [(token, world.now + CLAIM_LEASE_MS)]


# --- wait_for_claim / exclusive ------------------------------------------------------------------


def test_a_free_claim_is_taken_without_waiting(world: World) -> None:
    token = asyncio.run(claims.wait_for_claim(world.ctx, ENTITY))
    assert world.sleeps == []
    assert world.holder() == [(token, START_MS + CLAIM_LEASE_MS)]


def test_a_held_claim_is_taken_at_the_first_poll_after_its_release(world: World) -> None:
    world.hold()
    world.at(START_MS + 1_000, world.release)
    token = asyncio.run(claims.wait_for_claim(world.ctx, ENTITY))
    assert world.now == START_MS + 1_000
    assert world.sleeps == [CLAIM_POLL_INTERVAL_S] * (1_000 // POLL_MS)
    assert world.holder() == [(token, world.now + CLAIM_LEASE_MS)]


def test_waiting_for_a_held_claim_gives_up_once_the_wait_has_passed(world: World) -> None:
    world.hold()
    with pytest.raises(ServiceUnavailable) as raised:
        asyncio.run(claims.wait_for_claim(world.ctx, ENTITY))
    assert raised.value.message == claims.BUSY_MESSAGE
    assert world.now == START_MS + CLAIM_WAIT_MS
    assert world.holder() == [("other", 2**62)]


def test_a_claim_released_at_the_last_poll_is_still_taken(world: World) -> None:
    world.hold()
    world.at(START_MS + CLAIM_WAIT_MS - POLL_MS, world.release)
    token = asyncio.run(claims.wait_for_claim(world.ctx, ENTITY))
    assert world.holder() == [(token, world.now + CLAIM_LEASE_MS)]


def test_exclusive_holds_the_claim_for_its_block_and_releases_it_after_an_error(
    world: World,
) -> None:
    async def block() -> None:
        async with claims.exclusive(world.ctx, ENTITY) as token:
            assert world.holder() == [(token, START_MS + CLAIM_LEASE_MS)]
            raise RuntimeError("a write failed")

    with pytest.raises(RuntimeError):
        asyncio.run(block())
    assert world.holder() == []


# --- wait_for_release -----------------------------------------------------------------------


def test_wait_for_release_answers_the_row_once_the_claim_is_free(world: World) -> None:
    add_image(world.db, *ENTITY, source="deezer")
    world.hold()
    world.at(START_MS + 500, world.release)
    record = asyncio.run(claims.wait_for_release(world.ctx, ENTITY))
    assert record is not None
    assert record.source == "deezer"
    assert world.now == START_MS + 500
    assert world.holder() == []  # it waits; it does not take the claim


def test_wait_for_release_answers_none_when_no_row_was_written(world: World) -> None:
    world.hold()
    world.at(START_MS + POLL_MS, world.release)
    assert asyncio.run(claims.wait_for_release(world.ctx, ENTITY)) is None


def test_wait_for_release_gives_up_after_the_claim_wait(world: World) -> None:
    world.hold()
    with pytest.raises(ServiceUnavailable) as raised:
        asyncio.run(claims.wait_for_release(world.ctx, ENTITY))
    assert raised.value.message == claims.BUSY_MESSAGE
    assert world.now == START_MS + CLAIM_WAIT_MS


def test_wait_for_release_gives_up_at_the_deadline_it_is_given(world: World) -> None:
    world.hold()
    with pytest.raises(ServiceUnavailable):
        asyncio.run(claims.wait_for_release(world.ctx, ENTITY, START_MS + 3 * POLL_MS))
    assert world.sleeps == [CLAIM_POLL_INTERVAL_S] * 3
    # A deadline already passed: no wait at all.
    world.sleeps.clear()
    with pytest.raises(ServiceUnavailable):
        asyncio.run(claims.wait_for_release(world.ctx, ENTITY, world.now))
    assert world.sleeps == []

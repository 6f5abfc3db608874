"""images.resolution.budget in isolation (counted in the isolate, as without a binding): each
caller's misses per minute, Retry-After, and bounded memory. A fake clock; no D1."""

from __future__ import annotations

import asyncio

import pytest

from rewind_images import budgets
from rewind_images.config import MISS_BUDGET, RATE_WINDOW_MS, Settings
from rewind_images.context import Context
from rewind_images.errors import TooManyRequests
from rewind_images.images.resolution import budget

LIMIT = 2
WINDOW_START_MS = 31_666_667 * RATE_WINDOW_MS  # the start of a one-minute window in 2030


class Clock:
    def __init__(self) -> None:
        self.now = WINDOW_START_MS

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(clock: Clock) -> Context:
    unused = None
    return Context(
        settings=Settings(miss_limit_per_minute=LIMIT),
        db=unused,  # type: ignore[arg-type]
        bucket=unused,  # type: ignore[arg-type]
        transformer=unused,  # type: ignore[arg-type]
        fetcher=unused,  # type: ignore[arg-type]
        queue=unused,  # type: ignore[arg-type]
        wait_until=lambda awaitable: None,
        clock_ms=clock,
    )


def allowed(ctx: Context, caller: str) -> bool:
    try:
        asyncio.run(budget.charge(ctx, caller))
    except TooManyRequests:
        return False
    return True


def test_each_caller_has_its_budget_per_minute_and_the_next_minute_a_whole_new_one(
    ctx: Context, clock: Clock
) -> None:
    assert [allowed(ctx, "key:1") for _ in range(LIMIT + 1)] == [True] * LIMIT + [False]
    assert allowed(ctx, "key:2")  # another caller
    clock.now += RATE_WINDOW_MS
    assert [allowed(ctx, "key:1") for _ in range(LIMIT + 1)] == [True] * LIMIT + [False]


@pytest.mark.parametrize(
    ("into_window_ms", "retry_after"),
    [(0, "60"), (999, "60"), (1_000, "59"), (59_000, "1"), (59_999, "1")],
)
def test_retry_after_is_the_seconds_to_the_next_window_rounded_up(
    ctx: Context, clock: Clock, into_window_ms: int, retry_after: str
) -> None:
    clock.now += into_window_ms
    for _ in range(LIMIT):
        asyncio.run(budget.charge(ctx, "key:1"))
    with pytest.raises(TooManyRequests) as refused:
        asyncio.run(budget.charge(ctx, "key:1"))
    assert refused.value.message == budget.MISS_LIMIT_MESSAGE
    assert refused.value.headers == {"retry-after": retry_after}


def test_take_grants_what_is_left_in_order(ctx: Context) -> None:
    assert asyncio.run(budget.take(ctx, "rpc", 5)) == LIMIT
    assert asyncio.run(budget.take(ctx, "rpc", 5)) == 0
    assert asyncio.run(budget.take(ctx, "demo", 1)) == 1


def test_the_windows_are_bounded_and_drop_the_oldest_caller(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budgets, "KEY_CACHE_MAX_ENTRIES", 2)
    assert allowed(ctx, "a")
    assert allowed(ctx, "b")
    assert allowed(ctx, "b")
    assert not allowed(ctx, "b")
    # A third caller makes room by forgetting the oldest ("a"), whose count starts over.
    assert allowed(ctx, "c")
    windows = ctx.state["budgets"].by_budget[MISS_BUDGET]
    assert set(windows.counts) == {"b", "c"}
    assert not allowed(ctx, "b")

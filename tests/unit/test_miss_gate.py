"""images.miss_gate in isolation: when a "no image" record has expired, and the per-key budget
of misses (`charge`) with its windows, Retry-After and bounded memory. A fake clock; no D1."""

from __future__ import annotations

import pytest

from rewind_images.config import RATE_WINDOW_MS, Settings
from rewind_images.context import Context
from rewind_images.errors import TooManyRequests
from rewind_images.images import miss_gate
from rewind_images.images.image_store import ImageRecord
from rewind_images.timestamps import iso_from_ms

LIMIT = 2
WINDOW_START_MS = 31_666_667 * RATE_WINDOW_MS  # the start of a one-minute window in 2030
TTL_S = 7 * 24 * 3600


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
    return Context(
        settings=Settings(miss_limit_per_minute=LIMIT),
        db=None,  # type: ignore[arg-type]
        bucket=None,  # type: ignore[arg-type]
        transformer=None,  # type: ignore[arg-type]
        fetcher=None,  # type: ignore[arg-type]
        queue=None,  # type: ignore[arg-type]
        wait_until=lambda awaitable: None,
        clock_ms=clock,
    )


def no_image(created_at: str, checked_at: str | None) -> ImageRecord:
    return ImageRecord(
        "", "none", None, None, None, None, None, None, False, 1, created_at, checked_at, None
    )


def allowed(ctx: Context, key_id: int) -> bool:
    try:
        miss_gate.charge(ctx, key_id)
    except TooManyRequests:
        return False
    return True


# --- negative_expired ----------------------------------------------------------------------------


def test_a_no_image_record_expires_seven_days_after_its_last_check(
    ctx: Context, clock: Clock
) -> None:
    checked = WINDOW_START_MS - TTL_S * 1000
    record = no_image(iso_from_ms(checked - 10**9), iso_from_ms(checked))
    assert miss_gate.negative_expired(record, ctx)
    clock.now -= 1
    assert not miss_gate.negative_expired(record, ctx)


def test_a_record_never_rechecked_counts_from_its_creation(ctx: Context, clock: Clock) -> None:
    record = no_image(iso_from_ms(clock.now - TTL_S * 1000 + 1), None)
    assert not miss_gate.negative_expired(record, ctx)
    clock.now += 1
    assert miss_gate.negative_expired(record, ctx)


def test_a_record_without_a_time_has_expired(ctx: Context) -> None:
    assert miss_gate.negative_expired(no_image("", None), ctx)
    assert miss_gate.negative_expired(no_image("", ""), ctx)


# --- charge --------------------------------------------------------------------------------------


def test_each_key_has_its_budget_per_minute_and_the_next_minute_a_whole_new_one(
    ctx: Context, clock: Clock
) -> None:
    assert [allowed(ctx, 1) for _ in range(LIMIT + 1)] == [True] * LIMIT + [False]
    assert allowed(ctx, 2)  # another key
    clock.now += RATE_WINDOW_MS
    assert [allowed(ctx, 1) for _ in range(LIMIT + 1)] == [True] * LIMIT + [False]


@pytest.mark.parametrize(
    ("into_window_ms", "retry_after"),
    [(0, "60"), (999, "60"), (1_000, "59"), (59_000, "1"), (59_999, "1")],
)
def test_retry_after_is_the_seconds_to_the_next_window_rounded_up(
    ctx: Context, clock: Clock, into_window_ms: int, retry_after: str
) -> None:
    clock.now += into_window_ms
    for _ in range(LIMIT):
        miss_gate.charge(ctx, 1)
    with pytest.raises(TooManyRequests) as refused:
        miss_gate.charge(ctx, 1)
    assert refused.value.message == miss_gate.MISS_LIMIT_MESSAGE
    assert refused.value.headers == {"retry-after": retry_after}


def test_the_windows_are_bounded_like_the_key_cache(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(miss_gate, "KEY_CACHE_MAX_ENTRIES", 2)
    assert allowed(ctx, 1)
    assert allowed(ctx, 2)
    # Keys already counted go on being counted while the table is full...
    assert allowed(ctx, 2)
    assert not allowed(ctx, 2)
    assert allowed(ctx, 1)
    assert not allowed(ctx, 1)
    # ...a new key finds it full and starts it over: the others' counts are forgotten.
    assert allowed(ctx, 3)
    assert allowed(ctx, 1)
    assert allowed(ctx, 2)

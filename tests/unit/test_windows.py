"""windows.FixedWindows: units counted per key in windows aligned to the clock, all or nothing,
`Retry-After` and the reset time, and the bound on the keys remembered."""

from __future__ import annotations

from rewind_images.windows import FixedWindows

WINDOW_MS = 60_000
START_MS = 31_666_667 * WINDOW_MS  # the start of a one-minute window in 2030
END_MS = START_MS + WINDOW_MS


def windows(max_keys: int = 100) -> FixedWindows[str]:
    return FixedWindows(WINDOW_MS, max_keys)


def test_a_take_is_all_or_nothing_within_the_limit() -> None:
    counted = windows()
    assert counted.take("k", 3, START_MS, 2) == 2
    assert counted.take("k", 3, START_MS, 2) == 0  # one left: none of the two
    assert counted.used("k", START_MS) == 2
    assert counted.take("k", 3, START_MS) == 1
    assert counted.take("k", 3, START_MS) == 0
    assert counted.used("k", START_MS) == 3
    assert counted.take("other", 3, START_MS, 3) == 3  # each key has its own count


def test_the_count_starts_afresh_when_the_window_ends() -> None:
    counted = windows()
    assert counted.take("k", 1, END_MS - 1) == 1
    assert counted.take("k", 1, END_MS - 1) == 0
    assert counted.used("k", END_MS) == 0
    assert counted.take("k", 1, END_MS) == 1


def test_a_key_never_counted_has_used_nothing_at_any_time() -> None:
    counted = windows()
    for now in (0, 1, WINDOW_MS - 1, WINDOW_MS, START_MS):
        assert counted.used("never", now) == 0
    assert counted.take("k", 1, 0) == 1  # the first window of the epoch counts like any other


def test_retry_after_is_the_rest_of_the_window_rounded_up_to_whole_seconds() -> None:
    counted = windows()
    assert counted.retry_after_s(START_MS) == 60
    assert counted.retry_after_s(END_MS - 1001) == 2
    assert counted.retry_after_s(END_MS - 1000) == 1
    assert counted.retry_after_s(END_MS - 1) == 1  # never 0: the window has not ended
    assert counted.retry_after_s(END_MS) == 60


def test_the_reset_is_the_epoch_second_the_window_ends() -> None:
    counted = windows()
    assert counted.reset_s(START_MS) == END_MS // 1000
    assert counted.reset_s(END_MS - 1) == END_MS // 1000
    assert counted.reset_s(END_MS) == END_MS // 1000 + 60


def test_past_max_keys_the_oldest_key_is_forgotten() -> None:
    counted = windows(max_keys=2)
    for key in ("a", "b", "c"):
        assert counted.take(key, 1, START_MS) == 1
    assert len(counted.counts) == 2
    assert counted.used("a", START_MS) == 0  # the oldest was forgotten
    assert counted.used("c", START_MS) == 1

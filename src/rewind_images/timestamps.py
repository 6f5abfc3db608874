"""Timestamps as D1 stores them: ISO-8601 UTC text with milliseconds and a Z. Pure."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def wall_clock_ms() -> int:
    """Milliseconds since the epoch, now."""
    return int(time.time() * 1000)


def parse_timestamp_ms(value: object) -> int | None:
    """ISO-8601 text to epoch milliseconds (exact, unlike float timestamps); None when empty."""
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


def iso_from_datetime(moment: datetime) -> str:
    """A datetime as stored text: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso_from_ms(ms: int) -> str:
    """Epoch milliseconds as stored text."""
    return iso_from_datetime(datetime.fromtimestamp(ms / 1000, UTC))

"""Per-isolate memory that stays bounded: every memo and cache of the service is a `BoundedDict`.

An isolate lives for many requests and has 128 MB, so nothing it keeps may grow with its input:
a `BoundedDict` holds at most `max_entries` entries and drops the oldest first when full. What
its keys and values may cost is bounded by the callers, which memoise only short inputs
(`fits`) and echo only short prefixes of values (`validation.shown`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    """A dict of at most `max_entries` entries; storing a new key past that drops the oldest.

    Store with `d[key] = value` only (`update` and `setdefault` bypass the bound); reads are the
    plain dict's, at C speed."""

    def __init__(self, max_entries: int) -> None:
        super().__init__()
        self.max_entries = max_entries

    def __setitem__(self, key: K, value: V) -> None:
        if len(self) >= self.max_entries and key not in self:
            del self[next(iter(self))]
        super().__setitem__(key, value)


def fits(texts: Iterable[str | None], max_chars: int) -> bool:
    """Whether these texts together are short enough to serve as a memo key."""
    total = 0
    for text in texts:
        if text:
            total += len(text)
            if total > max_chars:
                return False
    return True

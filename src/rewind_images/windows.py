"""Fixed-window counting, the one limiter of the service's per-isolate limits (a key's requests
per minute, a caller's misses per minute).

Windows are aligned to multiples of `window_ms` since the epoch, so every counter of an isolate
resets at the same moment and `Retry-After` is the time left in the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rewind_images.memo import BoundedDict

K = TypeVar("K")


@dataclass
class FixedWindows(Generic[K]):
    """Units counted per key in the current window (at most `max_keys` keys remembered)."""

    window_ms: int
    max_keys: int
    counts: BoundedDict[K, tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = BoundedDict(self.max_keys)

    def used(self, key: K, now_ms: int) -> int:
        """Units the key has used in the current window."""
        start, count = self.counts.get(key, (0, 0))
        return count if start == now_ms // self.window_ms else 0

    def take(self, key: K, limit: int, now_ms: int, units: int = 1) -> int:
        """Count `units` more for `key` if that stays within `limit` in the window; the units
        granted: all of them, or none."""
        used = self.used(key, now_ms)
        granted = units if used + units <= limit else 0
        if granted:
            self.counts[key] = (now_ms // self.window_ms, used + granted)
        return granted

    def retry_after_s(self, now_ms: int) -> int:
        """Whole seconds until the window ends (at least 1), for `Retry-After`."""
        end = (now_ms // self.window_ms + 1) * self.window_ms
        return max(1, (end - now_ms + 999) // 1000)

    def reset_s(self, now_ms: int) -> int:
        """The epoch second at which the current window ends."""
        return (now_ms // self.window_ms + 1) * self.window_ms // 1000

"""What a handler gets to work with: settings, the platform's services, per-isolate state.

The services are described as Protocols so that the core never imports the runtime; the
implementations live in `platform/` (D1, R2, Images, guarded fetch).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from rewind_images.config import Settings

Row = dict[str, Any]
T = TypeVar("T")
SqlParam = str | int | float | bytes | None


class Database(Protocol):
    """A SQL database (D1)."""

    async def first(self, sql: str, *params: SqlParam) -> Row | None:
        """The first row, or None."""
        ...

    async def all(self, sql: str, *params: SqlParam) -> list[Row]:
        """All rows."""
        ...

    async def run(self, sql: str, *params: SqlParam) -> int:
        """Execute a statement; return the number of changed rows."""
        ...

    async def batch(self, statements: Sequence[tuple[str, Sequence[SqlParam]]]) -> list[list[Row]]:
        """Execute statements in one transaction; return each statement's rows."""
        ...


@dataclass(frozen=True)
class StoredObject:
    """An object read from the bucket."""

    body: bytes
    content_type: str | None
    custom_metadata: dict[str, str]


class Bucket(Protocol):
    """An object store (R2)."""

    async def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str,
        custom_metadata: dict[str, str],
    ) -> None:
        """Store an object."""
        ...

    async def get(self, key: str) -> StoredObject | None:
        """Read an object, or None."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object exists."""
        ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete objects (missing ones are ignored)."""
        ...


@dataclass(frozen=True)
class ImageInfo:
    """What the Images binding says about an encoded image."""

    width: int
    height: int
    format: str


class ImageTransformer(Protocol):
    """Image decoding/resizing (the Images binding)."""

    async def info(self, data: bytes) -> ImageInfo:
        """Dimensions and format of an encoded image."""
        ...

    async def to_png(self, data: bytes, max_side: int) -> bytes:
        """Shrink to fit in max_side x max_side (aspect ratio kept), encoded as PNG."""
        ...


@dataclass(frozen=True)
class FetchedBody:
    """A body downloaded through the guarded fetch."""

    url: str
    status: int
    content_type: str | None
    body: bytes


class Fetcher(Protocol):
    """Outbound HTTP through the guard (scheme, host, redirects, timeouts, byte cap)."""

    async def get(
        self, url: str, *, headers: dict[str, str], max_bytes: int | None = None
    ) -> FetchedBody:
        """GET a URL; raise `rewind_images.platform.fetch.FetchError` subclasses on failure."""
        ...


def wall_clock_ms() -> int:
    """Milliseconds since the epoch."""
    return int(time.time() * 1000)


@dataclass
class Context:
    """Everything a request handler may use."""

    settings: Settings
    db: Database
    bucket: Bucket
    images: ImageTransformer
    fetcher: Fetcher
    wait_until: Callable[[Awaitable[Any]], None]
    clock_ms: Callable[[], int] = wall_clock_ms
    state: dict[str, Any] = field(default_factory=dict)


def isolate_object(ctx: Context, name: str, kind: type[T]) -> T:
    """The isolate's instance of `kind` under `name` in `ctx.state` (made on first use)."""
    found = ctx.state.get(name)
    if not isinstance(found, kind):
        found = ctx.state[name] = kind()
    return found

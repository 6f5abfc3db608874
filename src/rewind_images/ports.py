"""The ports: what the service needs from the platform, as Protocols.

The core imports only these; the runtime adapters (`rewind_images.runtime`) implement them over
the Workers bindings, and the tests' in-process doubles implement them over sqlite3, a dict and
Pillow. Outbound HTTP is split like httpx's client and transport: the guard
(`rewind_images.outbound.GuardedFetcher`) is pure and sends each hop through a `Transport`.

Failures of a port are `DependencyError`s (a binding failed: 503), except outbound fetches,
which raise the `FetchError` hierarchy below (an upstream failed: the caller decides).

    FetchError
    ├── FetchBlocked        the URL (or a redirect target) is not allowed
    ├── FetchTimeout        the call did not finish before its deadline
    ├── FetchTooLarge       the body is over the byte cap
    ├── TooManyRedirects    more redirects than allowed, or a loop
    ├── FetchNetworkError   the connection failed
    └── FetchStatusError    the upstream answered an error status (`.status`)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Row = dict[str, Any]
SqlParam = str | int | float | bytes | None
Statement = tuple[str, Sequence[SqlParam]]


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

    async def batch(self, statements: Sequence[Statement]) -> list[list[Row]]:
        """Execute statements in one transaction; return each statement's rows."""
        ...


@dataclass(frozen=True)
class StoredObject:
    """An object read from the bucket."""

    body: bytes
    content_type: str | None
    custom_metadata: dict[str, str]


@dataclass(frozen=True)
class ObjectInfo:
    """An object's identity as the bucket reports it (HEAD)."""

    etag: str
    custom_metadata: dict[str, str]


@dataclass(frozen=True)
class PutCondition:
    """A put that happens only if the key is free (`absent`), or holds exactly the object with
    `etag` (R2's `onlyIf`: etagDoesNotMatch "*" / etagMatches)."""

    absent: bool = False
    etag: str | None = None


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
        only_if: PutCondition | None = None,
    ) -> bool:
        """Store an object; False (nothing stored) when `only_if` does not hold."""
        ...

    async def head(self, key: str) -> ObjectInfo | None:
        """An object's identity, or None when absent."""
        ...

    async def get(self, key: str) -> StoredObject | None:
        """Read an object, or None."""
        ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete objects (missing ones are ignored)."""
        ...


class SharedBudgets(Protocol):
    """Budgets counted across isolates by the platform (the Rate Limiting bindings)."""

    async def spend(self, name: str, key: str, limit: int) -> bool | None:
        """Spend one unit of budget `name` for `key`: whether it was left, or None when this
        budget is not counted here (no binding, or the binding failed)."""
        ...


@dataclass(frozen=True)
class ImageMeta:
    """What the image transformer says about an encoded image."""

    width: int
    height: int
    format: str


@dataclass(frozen=True)
class VariantSpec:
    """One transformation: the box, how the image fits it, the output type and quality."""

    width: int | None
    height: int | None
    fit: str  # cover, contain, scale-down, crop, pad (Cloudflare's names)
    content_type: str  # image/webp, image/avif, image/jpeg, image/png
    quality: int


class ImageTransformer(Protocol):
    """Image decoding and resizing (the Images binding)."""

    async def info(self, data: bytes) -> ImageMeta:
        """Dimensions and format of an encoded image."""
        ...

    async def to_png(self, data: bytes, max_side: int) -> bytes:
        """Shrink to fit in max_side x max_side (aspect ratio kept), encoded as PNG."""
        ...

    async def transform(self, data: bytes, spec: VariantSpec) -> bytes:
        """The image transformed as `spec` says, encoded as `spec.content_type`."""
        ...


@dataclass(frozen=True)
class FetchedBody:
    """A body downloaded through the guarded fetch; `url` is the final URL after redirects."""

    url: str
    status: int
    content_type: str | None
    body: bytes


class Fetcher(Protocol):
    """Outbound HTTP through the guard (scheme, host, redirects, timeouts, byte cap)."""

    async def get(
        self, url: str, *, headers: dict[str, str], max_bytes: int | None = None
    ) -> FetchedBody:
        """GET a URL; raise a `FetchError` on failure (404 is `FetchStatusError(404)`)."""
        ...


class TransportResponse(Protocol):
    """One HTTP response as a transport delivers it: status, headers, a body read in chunks."""

    status: int

    def header(self, name: str) -> str | None:
        """A response header (case-insensitive), or None."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body, piece by piece."""
        ...

    async def close(self) -> None:
        """Stop reading and release the connection."""
        ...


class Transport(Protocol):
    """Sends one GET without following redirects (the guard follows them)."""

    def normalise(self, url: str) -> str:
        """The URL as the transport itself will parse and send it (checked again by the guard)."""
        ...

    async def send(self, url: str, headers: dict[str, str], timeout_ms: int) -> TransportResponse:
        """Send the request; raise `FetchNetworkError` when the connection fails."""
        ...


class MessageQueue(Protocol):
    """A queue the Worker sends messages to (Cloudflare Queues); bodies are JSON objects."""

    async def send_batch(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Send messages (at most `config.QUEUE_SEND_MAX_MESSAGES` per call)."""
        ...


class ReceivedMessage(Protocol):
    """One message of a batch delivered to the Worker's queue consumer."""

    @property
    def body(self) -> Any:
        """The message body as plain Python (a JSON object is a dict)."""
        ...

    @property
    def attempts(self) -> int:
        """How many times it has been delivered, this time included (1 the first time)."""
        ...

    def ack(self) -> None:
        """Done: do not deliver it again."""
        ...

    def retry(self, delay_seconds: int) -> None:
        """Deliver it again after a delay (past the queue's max_retries: the dead letters)."""
        ...


class FetchError(Exception):
    """An upstream call failed; the message says how (internal detail, never shown)."""


class FetchBlocked(FetchError):
    """The URL (or a redirect target) is not allowed."""


class FetchTimeout(FetchError):
    """The call did not finish before its deadline."""


class FetchTooLarge(FetchError):
    """The body is over the byte cap."""


class TooManyRedirects(FetchError):
    """More redirects than allowed (or a loop)."""


class FetchNetworkError(FetchError):
    """The connection failed."""


class FetchStatusError(FetchError):
    """The upstream answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

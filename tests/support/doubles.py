"""In-process doubles of the ports, for testing the app's HTTP behaviour in CPython.

- `SqliteDatabase`: the `Database` port on stdlib sqlite3 with the real migrations applied
  (triggers included), so the stores' SQL runs as it does on D1 (D1 is SQLite); `fail_sql`
  makes the statements that contain a text fail like a D1 error.
- `MemoryBucket`: the `Bucket` port over a dict.
- `PillowTransformer`: the `ImageTransformer` port on Pillow (the Images binding is sharp;
  both read headers for `info` and filter-resize for `to_png`, so pixels differ slightly).
- `MemoryQueue`: the `MessageQueue` port over a list; `QueuedMessage` a delivered message
  that records its ack or retry (`InProcessApp.drain_queue` delivers them as the runtime does).
- `HttpxTransport`: the guard's `Transport` over httpx, to the fake upstream on loopback; the
  real `GuardedFetcher` runs on top of it.
"""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image, ImageOps

from rewind_devkit.local_d1 import migrations_of
from rewind_devkit.tls import shared_tls_context
from rewind_images.config import D1_MAX_BOUND_PARAMETERS
from rewind_images.errors import DependencyError
from rewind_images.ports import (
    FetchNetworkError,
    ImageMeta,
    ObjectInfo,
    PutCondition,
    Row,
    SqlParam,
    StoredObject,
    VariantSpec,
)

MIGRATIONS, MIGRATIONS_TABLE = migrations_of()


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply migrations/ as `wrangler d1 migrations apply` does: each file not yet recorded in
    the migrations table, in name order, with its record in the same script. A database that
    another double (two isolates on one D1) or the original service made is taken as it is.
    Returns the names applied."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"
    )
    applied = {name for (name,) in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
    names = sorted(p.name for p in MIGRATIONS.glob("*.sql") if p.name not in applied)
    for name in names:
        script = (MIGRATIONS / name).read_text()
        conn.executescript(f"{script}\nINSERT INTO {MIGRATIONS_TABLE} (name) VALUES ('{name}');")
    return names


class DoubleFailure(DependencyError):
    """A double refused a call the way its binding would (503 upstream of the app)."""


class SqliteDatabase:
    """The `Database` port on one sqlite3 connection (in memory unless a path is given).
    While `fail_sql` is set, every statement whose SQL contains it fails (e.g. "INSERT INTO
    images": the row writes), the others run."""

    def __init__(self, path: str = ":memory:") -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        apply_migrations(self.conn)
        self.statements = 0  # how many statements the app ran (tests count queries)
        self.log: list[tuple[str, tuple[SqlParam, ...]]] = []  # and which
        self.fail_sql: str | None = None

    def _check(self, sql: str, params: Sequence[SqlParam]) -> None:
        self.statements += 1
        self.log.append((sql, tuple(params)))
        if len(params) > D1_MAX_BOUND_PARAMETERS:
            raise DoubleFailure(f"too many SQL variables: {len(params)}")  # D1 refuses these
        if self.fail_sql is not None and self.fail_sql in sql:
            raise DoubleFailure(f"D1 failed on {sql[:40]!r}")

    def _rows(self, sql: str, params: Sequence[SqlParam]) -> list[Row]:
        self._check(sql, params)
        return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]

    async def first(self, sql: str, *params: SqlParam) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, *params: SqlParam) -> list[Row]:
        return self._rows(sql, params)

    async def run(self, sql: str, *params: SqlParam) -> int:
        self._check(sql, params)
        return self.conn.execute(sql, tuple(params)).rowcount

    async def batch(self, statements: Sequence[tuple[str, Sequence[SqlParam]]]) -> list[list[Row]]:
        self.conn.execute("BEGIN")
        try:
            results = [self._rows(sql, params) for sql, params in statements]
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return results

    def sql(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Run SQL directly, as a test would on the local D1 file; rows as tuples."""
        return [tuple(r) for r in self.conn.execute(sql, params).fetchall()]


@dataclass
class _Object:
    body: bytes
    content_type: str
    cache_control: str
    custom_metadata: dict[str, str]
    etag: str = ""


@dataclass
class MemoryBucket:
    """The `Bucket` port over a dict; `fail_puts` makes puts fail like an R2 outage. Etags are
    a counter, so every put makes a new one (as R2's do for new bytes); `deleted` lists the
    keys of every delete call (absent ones too), as R2 bills them."""

    objects: dict[str, _Object] = field(default_factory=dict)
    fail_puts: bool = False
    _etags: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    deleted: list[str] = field(default_factory=list)

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
        if self.fail_puts:
            raise DoubleFailure(f"R2 put {key!r} failed")
        current = self.objects.get(key)
        if only_if is not None and only_if.absent and current is not None:
            return False
        wanted = only_if.etag if only_if is not None else None
        if wanted is not None and (current is None or current.etag != wanted):
            return False
        self.objects[key] = _Object(
            bytes(body), content_type, cache_control, dict(custom_metadata), f"e{next(self._etags)}"
        )
        return True

    async def head(self, key: str) -> ObjectInfo | None:
        found = self.objects.get(key)
        return None if found is None else ObjectInfo(found.etag, dict(found.custom_metadata))

    async def get(self, key: str) -> StoredObject | None:
        found = self.objects.get(key)
        if found is None:
            return None
        return StoredObject(found.body, found.content_type, dict(found.custom_metadata))

    async def delete(self, keys: Sequence[str]) -> None:
        self.deleted.extend(keys)
        for key in keys:
            self.objects.pop(key, None)

    def listing(self) -> dict[str, dict[str, object]]:
        """Objects as the worker tests read them from miniflare: key -> size and metadata."""
        return {
            key: {
                "size": len(o.body),
                "http_metadata": {"contentType": o.content_type, "cacheControl": o.cache_control},
                "custom_metadata": dict(o.custom_metadata),
            }
            for key, o in self.objects.items()
        }


@dataclass
class MemoryQueue:
    """The `MessageQueue` port over a list; `fail_sends` makes sends fail like an outage."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_sends: bool = False

    async def send_batch(self, bodies: Sequence[dict[str, Any]]) -> None:
        if self.fail_sends:
            raise DoubleFailure(f"sending {len(bodies)} messages failed")
        # Bodies cross as JSON, as the runtime's structured clone of plain objects does.
        self.sent.extend(json.loads(json.dumps(list(bodies))))


@dataclass
class QueuedMessage:
    """One delivered message (`ReceivedMessage`), recording what the consumer did with it."""

    body: Any
    attempts: int = 1
    outcome: str | None = None  # "ack" or "retry"
    delay_seconds: int | None = None

    def ack(self) -> None:
        self.outcome = "ack"

    def retry(self, delay_seconds: int) -> None:
        self.outcome = "retry"
        self.delay_seconds = delay_seconds


class PillowTransformer:
    """The `ImageTransformer` port on Pillow. As the Images binding does, `info` reports the
    stored size and the transforms turn the image by its EXIF orientation first."""

    async def info(self, data: bytes) -> ImageMeta:
        try:
            with Image.open(io.BytesIO(data)) as image:
                return ImageMeta(image.width, image.height, (image.format or "").lower())
        except Exception as exc:
            raise DoubleFailure(f"image info failed: {exc}") from exc

    async def to_png(self, data: bytes, max_side: int) -> bytes:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)  # first frame, as the binding does for GIFs
                # A JPEG decodes straight at the smallest scale (1/2, 1/4, 1/8) still at least
                # `max_side`, as libvips' shrink-on-load does behind the binding.
                image.draft("RGB", (max_side, max_side))
                rgba = ImageOps.exif_transpose(image).convert("RGBA")
                rgba.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # never enlarges
                out = io.BytesIO()
                rgba.save(out, format="PNG")
                return out.getvalue()
        except Exception as exc:
            raise DoubleFailure(f"image transform failed: {exc}") from exc

    async def transform(self, data: bytes, spec: VariantSpec) -> bytes:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                result = fit_image(ImageOps.exif_transpose(image).convert("RGBA"), spec)
                if spec.content_type == "image/jpeg":
                    result = result.convert("RGB")
                out = io.BytesIO()
                result.save(out, format=_PIL_FORMATS[spec.content_type], quality=spec.quality)
                return out.getvalue()
        except Exception as exc:
            raise DoubleFailure(f"image transform failed: {exc}") from exc


_PIL_FORMATS = {
    "image/webp": "WEBP",
    "image/avif": "AVIF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}


def _box(image: Image.Image, spec: VariantSpec) -> tuple[int, int]:
    """The target box; a missing side follows the image's aspect ratio."""
    if spec.width is not None and spec.height is not None:
        return spec.width, spec.height
    if spec.width is not None:
        return spec.width, max(1, round(image.height * spec.width / image.width))
    if spec.height is not None:
        return max(1, round(image.width * spec.height / image.height)), spec.height
    return image.width, image.height


def fit_image(image: Image.Image, spec: VariantSpec) -> Image.Image:
    """Cloudflare's fit modes on Pillow (cover/crop fill the box, the others fit inside it)."""
    width, height = _box(image, spec)
    smaller = image.width <= width and image.height <= height
    if spec.fit == "cover" or (spec.fit == "crop" and not smaller):
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    if spec.fit in ("scale-down", "crop") and smaller:
        return image.copy()
    fitted = ImageOps.contain(image, (width, height), Image.Resampling.LANCZOS)
    if spec.fit != "pad":
        return fitted
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    canvas.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return canvas


class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code

    def header(self, name: str) -> str | None:
        return self._response.headers.get(name)

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise FetchNetworkError(f"body failed: {exc}") from exc
        finally:
            await self._response.aclose()

    async def close(self) -> None:
        await self._response.aclose()


class HttpxTransport:
    """The guard's `Transport` over an httpx AsyncClient (made on first use, in the app's loop).

    `aliases` maps public host names to a loopback `host:port`, like DNS would: a test can then
    run the production guard (https only, no IP literals) against the fake upstream. The request
    keeps its `Host` header, so the fake answers as that host.
    """

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self.aliases: dict[str, str] = {}

    def normalise(self, url: str) -> str:
        try:
            return str(httpx.URL(url))
        except httpx.InvalidURL as exc:
            raise ValueError(str(exc)) from exc

    async def send(self, url: str, headers: dict[str, str], timeout_ms: int) -> Any:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, verify=shared_tls_context())
        target = httpx.URL(url)
        if target.host in self.aliases:
            headers = {**headers, "host": target.host}
            host, port = self.aliases[target.host].split(":")
            url = str(target.copy_with(scheme="http", host=host, port=int(port)))
        request = self._client.build_request(
            # The guard's own deadline ends the call first; this only bounds a stuck socket.
            "GET",
            url,
            headers=headers,
            timeout=timeout_ms / 1000 + 1,
        )
        try:
            return _HttpxResponse(await self._client.send(request, stream=True))
        except httpx.HTTPError as exc:
            raise FetchNetworkError(f"network error for {url}: {exc}") from exc

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

"""The app in-process: real routing, stores and pipeline over the port doubles, driven through
an httpx client (like Starlette's TestClient), with fresh state per `InProcessApp`.

    app = InProcessApp(env)              # settings from env strings, as the Worker reads them
    with app.client() as client:          # httpx.Client; requests run `app.handle` in CPython
        client.get("/v1/health")
    app.sql("SELECT ...")                 # the D1 double, as tests read the local D1 file
    app.r2_objects()                      # the bucket double, as tests read miniflare's R2
    app.queue.sent                        # messages sent to the resolve queue, not yet delivered
    app.drain_queue()                     # deliver them to the consumer as the runtime would
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from rewind_images.app import handle
from rewind_images.config import DEAD_LETTER_QUEUE_NAME, RESOLVE_QUEUE_NAME, Settings
from rewind_images.context import Context
from rewind_images.http import Request
from rewind_images.images.background import consumer
from rewind_images.outbound import GuardedFetcher
from rewind_images.timestamps import wall_clock_ms
from tests.support.doubles import (
    HttpxTransport,
    MemoryBucket,
    MemoryQueue,
    PillowTransformer,
    QueuedMessage,
    SqliteDatabase,
)

T = TypeVar("T")
BASE_URL = "http://app.test"
WRANGLER_TOML = Path(__file__).resolve().parents[2] / "wrangler.toml"


def consumer_config(queue: str) -> dict[str, Any]:
    """wrangler.toml's consumer settings of a queue (the double delivers by them)."""
    config = tomllib.loads(WRANGLER_TOML.read_text())
    return next(c for c in config["queues"]["consumers"] if c["queue"] == queue)


@dataclass
class Drained:
    """Every delivery `drain_queue` made: (body, attempt, outcome, delay) per delivery, in
    order, and the bodies that ended in the dead-letter queue."""

    deliveries: list[tuple[Any, int, str | None, int | None]] = field(default_factory=list)
    dead: list[Any] = field(default_factory=list)


class InProcessApp:
    """One isolate of the service with its own D1, R2 and caches."""

    base_url = BASE_URL

    def __init__(self, env: dict[str, str] | None = None, *, db_path: str = ":memory:") -> None:
        self.settings = Settings.from_env(env or {})
        self.db = SqliteDatabase(db_path)
        self.bucket = MemoryBucket()
        self.transformer = PillowTransformer()
        self.transport = HttpxTransport()
        self.fetcher = GuardedFetcher(self.settings, self.transport)
        self.queue = MemoryQueue()
        self.state: dict[str, Any] = {}
        self.clock_ms: Callable[[], int] = wall_clock_ms
        self.runner = asyncio.Runner()
        self._background: list[asyncio.Future[Any]] = []

    def context(self) -> Context:
        """A request's Context over this isolate's doubles and state."""
        return Context(
            settings=self.settings,
            db=self.db,
            bucket=self.bucket,
            transformer=self.transformer,
            fetcher=self.fetcher,
            queue=self.queue,
            wait_until=self._schedule,
            clock_ms=lambda: self.clock_ms(),
            state=self.state,
        )

    def _schedule(self, awaitable: Awaitable[Any]) -> None:
        self._background.append(asyncio.ensure_future(awaitable))

    async def respond(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> httpx.Response:
        """One request through the app, its background work awaited afterwards."""
        parts = urlsplit(url)
        request = Request.build(method, parts.path or "/", parts.query, headers or {}, body)
        response = await handle(request, self.context())
        await self._settle()
        return httpx.Response(
            response.status, headers=list(response.headers.items()), content=response.body or b""
        )

    async def _settle(self) -> None:
        background, self._background = self._background, []
        await asyncio.gather(*background)

    def drain_queue(self) -> Drained:
        """Deliver every queued message to the consumer, as the local runtime does with
        wrangler.toml's settings: batches of max_batch_size; a retried message comes back (its
        delay is recorded, not waited) until it has been tried max_retries + 1 times, then it
        goes to the dead-letter queue, whose consumer is run too."""
        config = consumer_config(RESOLVE_QUEUE_NAME)
        assert config["dead_letter_queue"] == DEAD_LETTER_QUEUE_NAME
        size, tries = int(config["max_batch_size"]), int(config["max_retries"]) + 1
        drained = Drained()
        pending = [QueuedMessage(body) for body in self.queue.sent]
        self.queue.sent.clear()
        dead: list[QueuedMessage] = []
        while pending:
            batch, pending = pending[:size], pending[size:]
            self.run(consumer.consume(self.context(), batch))
            self.run(self._settle())
            for message in batch:
                drained.deliveries.append(
                    (message.body, message.attempts, message.outcome, message.delay_seconds)
                )
                if message.outcome == "retry" and message.attempts >= tries:
                    dead.append(message)
                elif message.outcome == "retry":
                    pending.append(QueuedMessage(message.body, message.attempts + 1))
                else:
                    assert message.outcome == "ack", message
            pending += [QueuedMessage(body) for body in self.queue.sent]
            self.queue.sent.clear()
        if dead:
            # The dead-letter queue delivers them as new messages (attempts start again at 1).
            self.run(consumer.bury(self.context(), [QueuedMessage(m.body) for m in dead]))
            drained.dead = [m.body for m in dead]
        return drained

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine in this isolate's event loop (e.g. several `respond`s at once)."""
        return self.runner.run(coroutine)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client whose requests this app answers (redirects not followed)."""
        return httpx.Client(
            base_url=BASE_URL, transport=_AppTransport(self), follow_redirects=False, **kwargs
        )

    def sql(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Run SQL on the D1 double."""
        return self.db.sql(sql, params)

    def r2_objects(self) -> dict[str, dict[str, object]]:
        """The bucket double's objects: key -> {size, http_metadata, custom_metadata}."""
        return self.bucket.listing()

    def close(self) -> None:
        """Release the event loop and connections."""
        self.runner.run(self.transport.aclose())
        self.runner.close()
        self.db.conn.close()


class _AppTransport(httpx.BaseTransport):
    def __init__(self, app: InProcessApp) -> None:
        self._app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        target = url.raw_path.decode("ascii")
        answered = self._app.run(
            self._app.respond(request.method, target, dict(request.headers), request.read())
        )
        # A stream (not `content=`) so the client reads and closes it as a network response.
        return httpx.Response(
            answered.status_code,
            headers=answered.headers,
            stream=httpx.ByteStream(answered.content),
            request=request,
        )

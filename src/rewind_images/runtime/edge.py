"""Adapts the runtime to the app: JS Request -> `http.Request`, `http.Response` -> JS Response,
and the per-isolate `Context` built once from `env`.

Bindings, by what they are: `env.DB` is D1, `env.IMAGES` the R2 bucket (its name in the
original service's configuration), `env.IMAGE_TRANSFORMS` the Images binding, `env.RESOLVE_QUEUE`
the producer of the background resolution queue.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import js
from pyodide.ffi import JsException, create_proxy, jsnull  # type: ignore[attr-defined]

from rewind_images.config import ENV_KEYS, Settings
from rewind_images.context import Context
from rewind_images.errors import BadRequest, PayloadTooLarge
from rewind_images.http import (
    BODY_TOO_LARGE_MESSAGE,
    BodyReader,
    Request,
    Response,
    error_response,
    parse_query,
    to_json,
)
from rewind_images.outbound import GuardedFetcher
from rewind_images.routing import INTERNAL_ERROR_MESSAGE
from rewind_images.runtime.d1_binding import D1Database
from rewind_images.runtime.images_binding import ImagesBinding
from rewind_images.runtime.js_convert import js_bytes
from rewind_images.runtime.js_transport import JsTransport
from rewind_images.runtime.queue_binding import CloudflareQueue
from rewind_images.runtime.r2_binding import R2Bucket
from rewind_images.runtime.ratelimit_binding import RateLimitBindings

_isolate_state: dict[str, Any] = {}

# Request headers the app reads (lower-case). Add a name here before reading it in a handler.
APP_HEADERS = ("authorization", "origin", "accept")
# ... and those only a body's reader needs, read only for methods whose body a route may read.
BODY_HEADERS = ("content-type", "content-length")
# Methods whose body no route reads (the hit path is one of them: two crossings and a reader
# fewer).
BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _env_mapping(env: Any) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for name in ENV_KEYS:
        value = getattr(env, name, None)
        values[name] = None if value is None else str(value)
    return values


def _scheduler(ctx: Any) -> Callable[[Awaitable[Any]], None]:
    """`ctx.waitUntil` for Python awaitables: the task crosses as a proxy, freed when done."""

    def schedule(awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        proxy = create_proxy(task)

        def done(finished: asyncio.Future[Any]) -> None:
            if not finished.cancelled() and finished.exception() is not None:
                print(f"background task failed: {finished.exception()!r}")
            proxy.destroy()

        task.add_done_callback(done)
        ctx.waitUntil(proxy)

    return schedule


def build_context(env: Any, ctx: Any) -> Context:
    """The Context of a request, queue batch or RPC call; settings, bindings and caches are
    made once per isolate."""
    shared = _isolate_state.get("shared")
    if shared is None:
        settings = Settings.from_env(_env_mapping(env))
        shared = _isolate_state["shared"] = (
            settings,
            D1Database(env.DB),
            R2Bucket(env.IMAGES),
            ImagesBinding(env.IMAGE_TRANSFORMS),
            GuardedFetcher(settings, JsTransport()),
            CloudflareQueue(getattr(env, "RESOLVE_QUEUE", None)),
            {},
            RateLimitBindings(env),
        )
    settings, db, bucket, transformer, fetcher, queue, state, budgets = shared
    return Context(
        settings=settings,
        db=db,
        bucket=bucket,
        transformer=transformer,
        fetcher=fetcher,
        queue=queue,
        wait_until=_scheduler(ctx),
        state=state,
        budgets=budgets,
    )


def _body_reader(js_request: Any) -> BodyReader:
    """Reads the request body as a stream, stopping as soon as it passes the cap."""

    async def read(max_bytes: int) -> bytes:
        body = js_request.body
        if body is None or body is jsnull:
            return b""
        reader = body.getReader()
        data = bytearray()
        try:
            while True:
                chunk = await reader.read()
                if chunk.done:
                    return bytes(data)
                data += chunk.value.to_bytes()
                if len(data) > max_bytes:
                    await reader.cancel()
                    raise PayloadTooLarge(BODY_TOO_LARGE_MESSAGE)
        except JsException as exc:
            raise BadRequest("Request body could not be read") from exc

    return read


def to_request(js_request: Any) -> Request:
    """The runtime's request as an `http.Request` (the body stays unread until a route asks)."""
    # The URL is absolute and already normalised by the runtime: split it by hand.
    url = str(js_request.url)
    path_start = url.index("/", url.index("//") + 2)
    target, _, _fragment = url[path_start:].partition("#")
    path, _, query = target.partition("?")
    method = str(js_request.method).upper()
    # Only the headers the app reads: each get is one crossing, cheaper than copying them all.
    bodiless = method in BODILESS_METHODS
    get_header = js_request.headers.get
    headers = {}
    for name in APP_HEADERS if bodiless else APP_HEADERS + BODY_HEADERS:
        value = get_header(name)
        if value is not None and value is not jsnull:
            headers[name] = str(value)
    return Request(
        method=method,
        path=path,
        query=parse_query(query),
        headers=headers,  # lower-case already
        raw_query=query,
        body_reader=None if bodiless else _body_reader(js_request),
    )


@functools.cache
def _js_response_functions() -> tuple[Any, Any]:
    """`Response.new` and `JSON.parse`, looked up once per isolate (at first use: a JS object
    cannot be part of the memory snapshot)."""
    return js.Response.new, js.JSON.parse


def to_js_response(response: Response) -> Any:
    """An `http.Response` as a JS Response. Status and headers cross as one JSON text: fewer
    crossings than converting the dicts (measured: docs/benchmarks.md, warm hit)."""
    body = None if response.body is None else js_bytes(response.body)
    new_response, parse_json = _js_response_functions()
    init = to_json({"status": response.status, "headers": response.headers})
    return new_response(body, parse_json(init))


def crash_response() -> Any:
    """The envelope's 500 for a failure outside the app (building the request, the context or
    the response), the detail logged: never the runtime's own error page with its traces."""
    print(f"request failed at the edge\n{traceback.format_exc()}")
    return to_js_response(error_response(500, INTERNAL_ERROR_MESSAGE))

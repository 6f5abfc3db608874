"""Routing, authentication dispatch, CORS and the error envelope.

`dispatch` is the whole app: it matches a route, authenticates once if the route needs it,
runs the handler and turns every error into the `{"error", "status"}` envelope.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from rewind_images import cors
from rewind_images.auth import ApiKey, authenticate
from rewind_images.context import Context
from rewind_images.errors import DependencyError, MethodNotAllowed, NotFound, ServiceError
from rewind_images.http import Request, Response, error_response

Access = Literal["public", "read", "admin"]
Handler = Callable[[Request, Context, dict[str, str], ApiKey | None], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """How a route is documented in /v1/openapi.json (models are pydantic classes)."""

    summary: str
    tag: str
    path_model: type | None = None
    query_model: type | None = None
    body_model: type | None = None
    upload_field: str | None = None  # also accepts multipart/form-data with this file field
    ok_status: int = 200
    ok_model: type | None = None
    ok_description: str = "OK"
    errors: tuple[int, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Route:
    """One method on one path pattern; `{name}` segments capture one decoded path segment."""

    method: str
    pattern: tuple[str, ...]
    handler: Handler
    access: Access
    operation_id: str
    doc: Operation | None = None

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """The captured parameters when the path matches, else None."""
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for part, segment in zip(self.pattern, segments, strict=True):
            if part.startswith("{"):
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params


def pattern(path: str) -> tuple[str, ...]:
    """'/v1/images/{domain}' -> ('v1', 'images', '{domain}')."""
    return tuple(path.strip("/").split("/"))


INTERNAL_ERROR_MESSAGE = "Internal Server Error"
DEPENDENCY_ERROR_MESSAGE = "Service temporarily unavailable"
DEPENDENCY_RETRY_AFTER_S = 1


async def dispatch(request: Request, ctx: Context, routes: tuple[Route, ...]) -> Response:
    """Answer one request; never raises."""
    try:
        response = await _route(request, ctx, routes)
    except ServiceError as exc:
        response = error_response(exc.status, exc.message, exc.headers)
    except DependencyError:
        print(f"dependency failed on {request.method} {request.path}\n{traceback.format_exc()}")
        response = error_response(
            503, DEPENDENCY_ERROR_MESSAGE, {"retry-after": str(DEPENDENCY_RETRY_AFTER_S)}
        )
    except Exception:
        # The detail goes to the log (Workers observability), never to the client.
        print(f"unhandled error on {request.method} {request.path}\n{traceback.format_exc()}")
        response = error_response(500, INTERNAL_ERROR_MESSAGE)
    cors.apply(request, response, ctx.settings)
    if request.method == "HEAD":
        response.body = None
    return response


async def _route(request: Request, ctx: Context, routes: tuple[Route, ...]) -> Response:
    segments = request.path_segments()
    method = "GET" if request.method == "HEAD" else request.method
    allowed: list[str] = []
    for route in routes:
        params = route.match(segments)
        if params is None:
            continue
        if route.method != method:
            allowed.append(route.method)
            continue
        key = None
        if route.access != "public":
            key = await authenticate(request, ctx, admin=route.access == "admin")
        response = await route.handler(request, ctx, params, key)
        if key is not None:
            response.headers.update(key.rate_limit_headers)
        return response
    if allowed:
        if method == "OPTIONS":
            return cors.preflight(request, ctx.settings, allowed)
        methods = sorted({*allowed, "OPTIONS"} | ({"HEAD"} if "GET" in allowed else set()))
        raise MethodNotAllowed(
            f"Method {request.method} not allowed", headers={"allow": ", ".join(methods)}
        )
    raise NotFound("Not found")

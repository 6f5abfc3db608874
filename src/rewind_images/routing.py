"""Routing: match a route, authenticate once, validate its inputs, run its handler, and turn
every error into the `{"error", "status"}` envelope.

A route declares its inputs in its `Operation` (path, query and body models, or an upload
field); `dispatch` validates them with those models and hands the handler a typed `Call`, so
handlers never parse their input again, and the same models document the route in the OpenAPI.
The body is read only for a route that takes one, after authentication, with a byte cap.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from rewind_images import cors
from rewind_images.config import (
    DEPENDENCY_RETRY_AFTER_S,
    MAX_JSON_BODY_BYTES,
    MAX_REQUEST_BODY_BYTES,
    MEMO_MAX_REQUEST_LENGTH,
    VALIDATION_MEMO_MAX_ENTRIES,
)
from rewind_images.context import Context, isolate_object
from rewind_images.errors import (
    BadRequest,
    DependencyError,
    MethodNotAllowed,
    NotFound,
    ServiceError,
)
from rewind_images.http import Request, Response, error_response
from rewind_images.memo import BoundedDict
from rewind_images.multipart import FormFile, parse_form_files
from rewind_images.validation import parse_json_body, parse_path, parse_query

Access = Literal["public", "read", "admin"]
P = TypeVar("P")
Q = TypeVar("Q")
B = TypeVar("B")

INTERNAL_ERROR_MESSAGE = "Internal Server Error"
DEPENDENCY_ERROR_MESSAGE = "Service temporarily unavailable"


class Caller(Protocol):
    """The authenticated key of a request, as routing and handlers need it."""

    @property
    def id(self) -> int:
        """The key's id."""
        ...

    @property
    def rate_limit_headers(self) -> dict[str, str]:
        """X-RateLimit-* headers for the answer."""
        ...

    def charge(self, units: int) -> None:
        """Count `units` more against the key's limit (a request that costs more than one)."""
        ...


Authenticate = Callable[[Request, Context, bool], Awaitable[Caller]]


@dataclass(slots=True)
class Call(Generic[P, Q, B]):
    """One validated request as a handler receives it."""

    request: Request
    ctx: Context
    path: P
    query: Q
    body: B
    key: Caller | None = None

    @property
    def caller(self) -> Caller:
        """The request's key: every route that is not public has one."""
        if self.key is None:
            raise RuntimeError("a public route has no caller")
        return self.key


Handler = Callable[[Call[Any, Any, Any]], Awaitable[Response]]


@dataclass(frozen=True)
class Answer:
    """A further success answer of a route (e.g. the JSON form of a redirect), for the docs."""

    status: int
    description: str
    model: type[BaseModel] | None = None


@dataclass(frozen=True)
class Operation:
    """A route's inputs (pydantic models) and how it is documented in /v1/openapi.json."""

    summary: str
    tag: str
    path_model: type[BaseModel] | None = None
    query_model: type[BaseModel] | None = None
    body_model: type[BaseModel] | None = None
    body_optional: bool = False  # an empty body counts as `{}`
    upload_field: str | None = None  # also accepts multipart/form-data with this file field
    ok_status: int = 200
    ok_model: type[BaseModel] | None = None
    ok_description: str = "OK"
    errors: tuple[int, ...] = ()
    description: str = ""
    more_answers: tuple[Answer, ...] = ()


@dataclass(frozen=True)
class Route:
    """One method on one path pattern; `{name}` segments capture one decoded path segment."""

    method: str
    path: str
    handler: Handler
    access: Access
    operation_id: str
    doc: Operation
    pattern: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", tuple(self.path.strip("/").split("/")))

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


class RouteTable:
    """Routes grouped by their number of path segments (a path is matched only against routes
    of its own length), in the order given."""

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes
        grouped: dict[int, list[Route]] = {}
        for route in routes:
            grouped.setdefault(len(route.pattern), []).append(route)
        self.by_length = {length: tuple(found) for length, found in grouped.items()}


@dataclass(slots=True)
class _Plan:
    """What routing learned about one (method, path, query): the route and its path
    parameters; once authenticated, the validated path and query or the 400 they get."""

    route: Route
    params: dict[str, str]
    inputs: tuple[Any, Any] | BadRequest | None = None


class _PlanMemo(BoundedDict[tuple[str, str, str], _Plan]):
    """Per-isolate memo of routing's plans (the hit path's requests repeat): a repeated request
    is neither split, decoded, matched nor validated again. Only plans of requests that passed
    authentication are kept, so requests without a key cannot fill it."""

    def __init__(self) -> None:
        super().__init__(VALIDATION_MEMO_MAX_ENTRIES)


async def dispatch(
    request: Request, ctx: Context, routes: RouteTable, authenticate: Authenticate
) -> Response:
    """Answer one request; never raises. Once a key is authenticated, every answer (errors
    too: the request counted against the limit) carries its X-RateLimit-* headers."""
    authenticated: dict[str, str] = {}
    try:
        response = await _route(request, ctx, routes, authenticate, authenticated)
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
    response.headers.update(authenticated)
    cors.apply(request, response, ctx.settings)
    if request.method == "HEAD":
        response.body = None
    return response


async def _route(
    request: Request,
    ctx: Context,
    routes: RouteTable,
    authenticate: Authenticate,
    authenticated: dict[str, str],
) -> Response:
    method = "GET" if request.method == "HEAD" else request.method
    memoised = len(request.path) + len(request.raw_query) <= MEMO_MAX_REQUEST_LENGTH
    memo = isolate_object(ctx, "routing", _PlanMemo) if memoised else None
    memo_key = (method, request.path, request.raw_query)
    plan = None if memo is None else memo.get(memo_key)
    if plan is None:
        found = _find(request, ctx, routes, method)
        if isinstance(found, Response):
            return found
        plan = found
    route = plan.route
    key = None
    if route.access != "public":
        key = await authenticate(request, ctx, route.access == "admin")
        authenticated.update(key.rate_limit_headers)
    if plan.inputs is None:
        try:
            plan.inputs = _validate_path_and_query(route.doc, request, plan.params)
        except BadRequest as exc:
            plan.inputs = exc
        if memo is not None:
            memo[memo_key] = plan
    if isinstance(plan.inputs, BadRequest):
        raise BadRequest(plan.inputs.message)
    path, query = plan.inputs
    body = await _body(route.doc, request)
    try:
        return await route.handler(Call(request, ctx, path, query, body, key))
    finally:
        if key is not None:  # a handler may have charged more (a batch): its final count
            authenticated.update(key.rate_limit_headers)


def _find(request: Request, ctx: Context, routes: RouteTable, method: str) -> _Plan | Response:
    """The route of the method and path (a new plan), or the preflight's answer; raises 404,
    405, or 400 for a path whose escapes are malformed."""
    segments = request.path_segments()
    allowed: list[str] = []
    for route in routes.by_length.get(len(segments), ()):
        params = route.match(segments)
        if params is None:
            continue
        if route.method != method:
            allowed.append(route.method)
            continue
        return _Plan(route, params)
    if allowed:
        if method == "OPTIONS":
            return cors.preflight(request, ctx.settings, allowed)
        methods = sorted({*allowed, "OPTIONS"} | ({"HEAD"} if "GET" in allowed else set()))
        raise MethodNotAllowed(
            f"Method {request.method} not allowed", headers={"allow": ", ".join(methods)}
        )
    raise NotFound("Not found")


def _validate_path_and_query(
    doc: Operation, request: Request, params: dict[str, str]
) -> tuple[Any, Any]:
    path = None if doc.path_model is None else parse_path(doc.path_model, params)
    query = None if doc.query_model is None else parse_query(doc.query_model, request.query)
    return path, query


async def _body(doc: Operation, request: Request) -> BaseModel | FormFile | None:
    if doc.body_model is None and doc.upload_field is None:
        return None  # never read: the route takes no body
    content_type = request.header("content-type") or ""
    field_name = doc.upload_field
    if field_name is not None and content_type.lower().startswith("multipart/form-data"):
        raw = await request.read_body(MAX_REQUEST_BODY_BYTES)
        upload = parse_form_files(content_type, raw).get(field_name)
        if upload is None or not upload.data:
            raise BadRequest(f"Multipart field '{field_name}' is missing or empty")
        return upload
    if doc.body_model is None:
        raise BadRequest(f"Expected multipart/form-data with a field '{field_name}'")
    # Only an upload needs the large cap; a JSON body is small.
    raw = await request.read_body(MAX_JSON_BODY_BYTES)
    return parse_json_body(doc.body_model, raw, optional=doc.body_optional)

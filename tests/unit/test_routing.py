"""routing.dispatch with a tiny route table: routing, 404/405 envelopes, HEAD, 500s, CORS, auth."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import BaseModel

from rewind_images import cors
from rewind_images.config import Settings
from rewind_images.context import Context
from rewind_images.errors import (
    BadRequest,
    DependencyError,
    ServiceUnavailable,
    TooManyRequests,
)
from rewind_images.http import JSON_CONTENT_TYPE, Request, json_response
from rewind_images.keys.authentication import authenticate
from rewind_images.keys.material import hash_token
from rewind_images.routing import INTERNAL_ERROR_MESSAGE, Operation, Route, RouteTable, dispatch

SECRET_DETAIL = "db password is hunter2"
READ_TOKEN = "rw_live_testtesttesttest"


class ThingPath(BaseModel):
    id: str


async def get_thing(call):
    return json_response({"id": call.path.id, "key": None if call.key is None else call.key.id})


async def list_things(call):
    return json_response({"things": []})


async def create_thing(call):
    return json_response({"created": True}, status=201)


async def boom(call):
    raise RuntimeError(SECRET_DETAIL)


async def busy(call):
    raise ServiceUnavailable("Try again", headers={"retry-after": "2"})


async def limited(call):
    raise TooManyRequests("Too Many Requests", headers={"retry-after": "30", "x-extra": "1"})


async def bad(call):
    raise BadRequest("Invalid size: huge")


async def storage_down(call):
    raise DependencyError(f"D1 query failed: {SECRET_DETAIL}")


DOC = Operation("A test route", "Test")
THING = Operation("A test route with an id", "Test", path_model=ThingPath)

ROUTES = (
    Route("GET", "/v1/things/{id}", get_thing, "public", "getThing", THING),
    Route("POST", "/v1/things", create_thing, "public", "createThing", DOC),
    Route("GET", "/v1/things", list_things, "public", "listThings", DOC),
    Route("GET", "/v1/secret/{id}", get_thing, "read", "getSecret", THING),
    Route("DELETE", "/v1/admin/{id}", get_thing, "admin", "deleteThing", THING),
    Route("GET", "/v1/boom", boom, "public", "boom", DOC),
    Route("GET", "/v1/busy", busy, "public", "busy", DOC),
    Route("GET", "/v1/limited", limited, "public", "limited", DOC),
    Route("GET", "/v1/bad", bad, "public", "bad", DOC),
    Route("GET", "/v1/storage", storage_down, "public", "storage", DOC),
)


class FakeDatabase:
    def __init__(self):
        self.queries = 0
        self.rows = {
            hash_token(READ_TOKEN): {
                "id": 11,
                "scope": "read",
                "rate_limit_rpm": 5,
                "expires_at": None,
                "is_active": 1,
            }
        }

    async def first(self, sql, *params):
        self.queries += 1
        return self.rows.get(params[0])

    async def run(self, sql, *params):
        return 1


class Unused:
    def __getattr__(self, name):
        raise AssertionError(f"dispatch touched {name}")


def make_ctx(**settings):
    background = []
    ctx = Context(
        settings=Settings(**settings),
        db=FakeDatabase(),
        bucket=Unused(),
        transformer=Unused(),
        fetcher=Unused(),
        queue=Unused(),
        wait_until=background.append,
        clock_ms=lambda: 1_767_225_600_000,
    )
    return ctx, background


@pytest.fixture
def ctx():
    context, background = make_ctx()
    yield context
    for awaitable in background:
        asyncio.run(awaitable)


def call(ctx, method, path, headers=None, query=""):
    request = Request.build(method, path, query, headers or {})
    return asyncio.run(dispatch(request, ctx, RouteTable(ROUTES), authenticate))


def body(response):
    assert response.body is not None
    return json.loads(response.body)


# --- routing and envelopes -----------------------------------------------------------------------


def test_route_match_and_percent_decoded_params(ctx):
    response = call(ctx, "GET", "/v1/things/a%2Fb%20c")
    assert response.status == 200
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    assert body(response) == {"id": "a/b c", "key": None}


def test_pattern_splits_segments():
    images = Route("GET", "/v1/images/{domain}/", get_thing, "public", "getImages", DOC)
    assert images.pattern == ("v1", "images", "{domain}")
    route = ROUTES[0]
    assert route.match(["v1", "things", "x"]) == {"id": "x"}
    assert route.match(["v1", "things"]) is None
    assert route.match(["v1", "thing", "x"]) is None
    assert route.match(["v1", "things", "x", "y"]) is None


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/nothing", "/v1/things/a/b", "/v2/things/x"])
def test_unknown_path_is_404_envelope(ctx, path):
    response = call(ctx, "GET", path)
    assert response.status == 404
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    assert body(response) == {"error": "Not found", "status": 404}
    assert "allow" not in response.headers


def test_wrong_method_is_405_with_allow(ctx):
    response = call(ctx, "DELETE", "/v1/things/x")
    assert response.status == 405
    assert body(response) == {"error": "Method DELETE not allowed", "status": 405}
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_allow_lists_every_method_of_the_path(ctx):
    response = call(ctx, "PUT", "/v1/things")
    assert response.status == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_head_on_post_only_path(ctx):
    response = call(ctx, "HEAD", "/v1/admin/x")
    assert response.status == 405
    assert response.headers["allow"] == "DELETE, OPTIONS"
    assert response.body is None


def test_post_route(ctx):
    response = call(ctx, "POST", "/v1/things")
    assert response.status == 201
    assert body(response) == {"created": True}


def test_method_is_case_insensitive(ctx):
    assert call(ctx, "get", "/v1/things/x").status == 200


# --- HEAD ----------------------------------------------------------------------------------------


def test_head_runs_get_and_strips_the_body(ctx):
    response = call(ctx, "HEAD", "/v1/things/x")
    assert response.status == 200
    assert response.body is None
    assert response.headers["content-type"] == JSON_CONTENT_TYPE


@pytest.mark.parametrize(("path", "status"), [("/v1/nothing", 404), ("/v1/boom", 500)])
def test_head_error_responses_have_no_body(ctx, path, status, capsys):
    response = call(ctx, "HEAD", path)
    assert response.status == status
    assert response.body is None


# --- errors --------------------------------------------------------------------------------------


def test_unhandled_exception_is_a_500_without_detail(ctx, capsys):
    response = call(ctx, "GET", "/v1/boom")
    assert response.status == 500
    assert body(response) == {"error": INTERNAL_ERROR_MESSAGE, "status": 500}
    assert INTERNAL_ERROR_MESSAGE == "Internal Server Error"
    assert SECRET_DETAIL.encode() not in (response.body or b"")
    assert "hunter2" not in json.dumps(response.headers)
    logged = capsys.readouterr().out
    assert "unhandled error on GET /v1/boom" in logged
    assert SECRET_DETAIL in logged  # the detail goes to the log
    assert "Traceback" in logged


def test_a_failed_dependency_is_a_503_without_detail(ctx, capsys):
    response = call(ctx, "GET", "/v1/storage")
    assert response.status == 503
    assert body(response) == {"error": "Service temporarily unavailable", "status": 503}
    assert response.headers["retry-after"] == "1"
    assert SECRET_DETAIL in capsys.readouterr().out  # logged, not returned


def test_service_error_status_message_and_headers(ctx):
    response = call(ctx, "GET", "/v1/busy")
    assert response.status == 503
    assert body(response) == {"error": "Try again", "status": 503}
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == JSON_CONTENT_TYPE

    response = call(ctx, "GET", "/v1/limited")
    assert response.status == 429
    assert response.headers["retry-after"] == "30"
    assert response.headers["x-extra"] == "1"


def test_bad_request_message(ctx):
    response = call(ctx, "GET", "/v1/bad")
    assert (response.status, body(response)) == (
        400,
        {"error": "Invalid size: huge", "status": 400},
    )


# --- auth dispatch -------------------------------------------------------------------------------


def test_read_route_needs_a_key(ctx):
    response = call(ctx, "GET", "/v1/secret/x")
    assert response.status == 401
    assert body(response) == {"error": "Unauthorized", "status": 401}


def test_read_route_with_key_gets_rate_limit_headers(ctx):
    response = call(ctx, "GET", "/v1/secret/x", {"Authorization": f"Bearer {READ_TOKEN}"})
    assert response.status == 200
    assert body(response) == {"id": "x", "key": 11}
    assert response.headers["x-ratelimit-limit"] == "5"
    assert response.headers["x-ratelimit-remaining"] == "4"
    assert "x-ratelimit-reset" in response.headers


def test_read_key_on_admin_route_is_403(ctx):
    response = call(ctx, "DELETE", "/v1/admin/x", {"Authorization": f"Bearer {READ_TOKEN}"})
    assert response.status == 403
    assert body(response) == {"error": "Forbidden", "status": 403}


def test_public_routes_do_not_authenticate(ctx):
    call(ctx, "GET", "/v1/things/x", {"Authorization": "Bearer rw_live_unknown"})
    assert ctx.db.queries == 0


def test_rate_limited_response_carries_headers(ctx):
    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    for _ in range(5):
        assert call(ctx, "GET", "/v1/secret/x", headers).status == 200
    response = call(ctx, "GET", "/v1/secret/x", headers)
    assert response.status == 429
    assert body(response) == {"error": "Too Many Requests", "status": 429}
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) >= 1


# --- CORS ----------------------------------------------------------------------------------------

ORIGIN = "https://app.example"


def test_no_origin_no_cors_headers(ctx):
    response = call(ctx, "GET", "/v1/things/x")
    assert not any(name.startswith("access-control-") for name in response.headers)


def test_wildcard_origin(ctx):
    response = call(ctx, "GET", "/v1/things/x", {"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert exposed == list(cors.EXPOSED_HEADERS)
    for name in ("X-ThumbHash", "X-Dominant-Color", "X-Accent-Color", "Retry-After", "Location"):
        assert name in exposed
    assert "vary" not in response.headers


@pytest.mark.parametrize(("path", "status"), [("/v1/nothing", 404), ("/v1/boom", 500)])
def test_cors_headers_on_errors_too(ctx, path, status, capsys):
    response = call(ctx, "GET", path, {"Origin": ORIGIN})
    assert response.status == status
    assert response.headers["access-control-allow-origin"] == "*"


def test_listed_origin_is_echoed_with_vary():
    ctx, _ = make_ctx(allowed_origins=(ORIGIN, "https://other.example"))
    response = call(ctx, "GET", "/v1/things/x", {"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["vary"] == "Origin"


def test_unlisted_origin_gets_no_cors_headers():
    ctx, _ = make_ctx(allowed_origins=(ORIGIN,))
    response = call(ctx, "GET", "/v1/things/x", {"Origin": "https://evil.example"})
    assert response.status == 200
    assert not any(name.startswith("access-control-") for name in response.headers)


def test_preflight_needs_no_key(ctx):
    response = call(
        ctx,
        "OPTIONS",
        "/v1/secret/x",
        {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert response.status == 204
    assert response.body is None
    assert ctx.db.queries == 0
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    assert response.headers["access-control-max-age"] == "86400"
    assert response.headers["access-control-allow-origin"] == "*"


def test_preflight_lists_all_methods_of_the_path(ctx):
    response = call(ctx, "OPTIONS", "/v1/things", {"Origin": ORIGIN})
    assert response.status == 204
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS, POST"


def test_preflight_from_unlisted_origin_has_only_allow():
    ctx, _ = make_ctx(allowed_origins=(ORIGIN,))
    response = call(ctx, "OPTIONS", "/v1/things/x", {"Origin": "https://evil.example"})
    assert response.status == 204
    assert response.headers == {"allow": "GET, HEAD, OPTIONS"}


def test_options_on_unknown_path_is_404(ctx):
    response = call(ctx, "OPTIONS", "/v1/nothing", {"Origin": ORIGIN})
    assert response.status == 404
    assert response.headers["access-control-allow-origin"] == "*"

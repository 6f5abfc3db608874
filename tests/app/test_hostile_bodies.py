"""Hostile request bodies (issue 10, points 3-5): a body is read only after routing and
authentication, only for a route that takes one, with the cap checked on the declared length
first; JSON nesting and multipart parts are bounded before any parser runs."""

from __future__ import annotations

import time

import httpx
import pytest

from rewind_images.app import handle
from rewind_images.config import MAX_JSON_DEPTH, MAX_MULTIPART_PARTS, MAX_REQUEST_BODY_BYTES
from rewind_images.http import Request, Response
from tests.support.app_client import InProcessApp
from tests.support.helpers import add_key, bearer, unique


class SpyBody:
    """A request body that records whether (and with which cap) it was read."""

    def __init__(self, data: bytes = b"{}") -> None:
        self.data = data
        self.reads: list[int] = []

    async def __call__(self, max_bytes: int) -> bytes:
        self.reads.append(max_bytes)
        return self.data


def _send(
    service: InProcessApp, method: str, path: str, headers: dict[str, str], body: SpyBody
) -> Response:
    request = Request.build(method, path, "", headers, body)
    return service.run(handle(request, service.context()))


@pytest.fixture
def admin(service: InProcessApp) -> dict[str, str]:
    return bearer(add_key(service, scope="admin", rate_limit_rpm=100_000))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/v1/nothing/here", 404),  # unknown route
        ("POST", "/v1/health", 405),  # a path without that method
        ("POST", "/v1/admin/keys", 401),  # a body route, but no key
        ("PUT", "/v1/admin/images/listening/albums/x", 401),
    ],
)
def test_no_body_is_read_before_routing_and_authentication(
    service: InProcessApp, method: str, path: str, status: int
) -> None:
    body = SpyBody(b"x" * 1024)
    response = _send(service, method, path, {"content-type": "application/json"}, body)
    assert response.status == status
    assert body.reads == []


def test_a_route_without_a_body_never_reads_one(
    service: InProcessApp, admin: dict[str, str]
) -> None:
    body = SpyBody(b"x" * 1024)
    path = f"/v1/admin/images/listening/albums/{unique('nobody')}"
    response = _send(service, "DELETE", path, admin, body)
    assert response.status == 404  # no record: the body was not a reason to look
    assert body.reads == []


def test_a_declared_length_over_the_cap_is_413_before_reading(
    service: InProcessApp, admin: dict[str, str]
) -> None:
    body = SpyBody()
    headers = {
        **admin,
        "content-type": "multipart/form-data; boundary=x",
        "content-length": str(MAX_REQUEST_BODY_BYTES + 1),
    }
    response = _send(service, "PUT", "/v1/admin/images/listening/albums/x", headers, body)
    assert response.status == 413
    assert body.reads == []


def test_json_bodies_are_read_with_the_small_cap_uploads_with_the_large(
    service: InProcessApp, admin: dict[str, str]
) -> None:
    json_body = SpyBody(b'{"name": "k"}')
    assert _send(service, "POST", "/v1/admin/keys", admin, json_body).status == 201
    upload = SpyBody(b"--x--\r\n")
    headers = {**admin, "content-type": "multipart/form-data; boundary=x"}
    _send(service, "PUT", "/v1/admin/images/listening/albums/x", headers, upload)
    assert json_body.reads[0] < upload.reads[0] == MAX_REQUEST_BODY_BYTES


def _nested(depth: int) -> bytes:
    return b'{"name": "k", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def test_json_nesting_is_bounded_before_parsing(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    for depth in (MAX_JSON_DEPTH + 1, 5_000, 200_000):
        response = client.post("/v1/admin/keys", headers=admin, content=_nested(depth))
        assert response.status_code == 400
        assert response.json() == {"error": "Body is nested too deeply", "status": 400}
    # Up to the bound the body is parsed (and refused for its extra field, not its depth).
    response = client.post("/v1/admin/keys", headers=admin, content=_nested(MAX_JSON_DEPTH))
    assert response.json()["error"] == "Invalid x: extra fields not permitted"
    # Brackets inside strings are text, not nesting.
    response = client.post(
        "/v1/admin/keys", headers=admin, content=b'{"name": "' + b"[" * 100 + b'"}'
    )
    assert response.status_code == 201


def _multipart(parts: list[bytes], boundary: bytes = b"b0undary") -> tuple[bytes, str]:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return body + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def _field(name: str, data: bytes = b"x") -> bytes:
    return f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + data


def test_multipart_parts_are_bounded(client: httpx.Client, admin: dict[str, str]) -> None:
    path = f"/v1/admin/images/listening/albums/{unique('parts')}"
    for count in (MAX_MULTIPART_PARTS + 1, 100_000):
        body, content_type = _multipart([_field(f"f{i}") for i in range(count)])
        started = time.monotonic()
        response = client.put(path, headers={**admin, "content-type": content_type}, content=body)
        assert response.status_code == 400
        assert response.json() == {"error": "Too many multipart parts", "status": 400}
        assert time.monotonic() - started < 5  # 100,000 parts took 68.6 s
    # Within the bound the parts are read (here: no image field among them).
    body, content_type = _multipart([_field(f"f{i}") for i in range(MAX_MULTIPART_PARTS)])
    response = client.put(path, headers={**admin, "content-type": content_type}, content=body)
    assert response.json()["error"] == "Multipart field 'image' is missing or empty"


def test_nested_multipart_is_refused(client: httpx.Client, admin: dict[str, str]) -> None:
    inner = b"x"
    for level in range(5_000):
        boundary = f"n{level}".encode()
        inner = (
            b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n"
            b'Content-Disposition: form-data; name="image"\r\n\r\n'
            b"--" + boundary + b"\r\n\r\n" + inner + b"\r\n--" + boundary + b"--"
        )
    body, content_type = _multipart([inner])
    response = client.put(
        f"/v1/admin/images/listening/albums/{unique('nested')}",
        headers={**admin, "content-type": content_type},
        content=body,
    )
    assert response.status_code == 400  # was a 500 (RecursionError)
    assert response.json() == {"error": "Nested multipart bodies are not accepted", "status": 400}

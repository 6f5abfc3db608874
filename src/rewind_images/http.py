"""Plain request and response objects used by the app core.

The edge (`runtime/edge.py`) turns the runtime's request into a `Request` and a `Response`
back into the runtime's; everything in between is ordinary Python, testable in CPython. A
request's body is not read up front: `read_body` reads it (with a byte cap) only when the
route that matched takes one, after authentication.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes

from rewind_images.errors import BadRequest, PayloadTooLarge

BODY_TOO_LARGE_MESSAGE = "Request body too large"
INVALID_PATH_MESSAGE = "Invalid path"
# A '%' that does not start an escape of two hex digits.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# Reads the body, raising PayloadTooLarge past the given number of bytes.
BodyReader = Callable[[int], Awaitable[bytes]]


def bytes_reader(body: bytes) -> BodyReader:
    """A BodyReader over bytes already in memory (tests, the in-process client)."""

    async def read(max_bytes: int) -> bytes:
        if len(body) > max_bytes:
            raise PayloadTooLarge(BODY_TOO_LARGE_MESSAGE)
        return body

    return read


def decode_segment(segment: str) -> str:
    """One percent-decoded path segment; BadRequest unless its escapes are well formed UTF-8."""
    if "%" not in segment:
        return segment
    if _BAD_ESCAPE.search(segment):
        raise BadRequest(INVALID_PATH_MESSAGE)
    try:
        return unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(INVALID_PATH_MESSAGE) from exc


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """A query string's parameters, each with every value given (blank ones kept)."""
    return parse_qs(raw_query, keep_blank_values=True) if raw_query else {}


@dataclass(slots=True)
class Request:
    """An incoming HTTP request. Header names are lower-case."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    raw_query: str = ""
    body_reader: BodyReader | None = None

    @classmethod
    def build(
        cls,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes | BodyReader = b"",
    ) -> Request:
        """Make a request from the URL's raw (still percent-encoded) path and query string."""
        return cls(
            method=method.upper(),
            path=raw_path,
            query=parse_query(raw_query),
            headers={k.lower(): v for k, v in headers.items()},
            raw_query=raw_query,
            body_reader=bytes_reader(body) if isinstance(body, bytes) else body,
        )

    def header(self, name: str) -> str | None:
        """A header's value, or None."""
        return self.headers.get(name.lower())

    def path_segments(self) -> list[str]:
        """The path split on '/', each segment percent-decoded (so '%2F' stays inside one).

        Decoding is strict: a stray '%' or escapes that are not UTF-8 are a 400, since a
        lenient decoder maps many different URLs (`%ff`, `%fe`, ...) to one U+FFFD name.
        """
        return [decode_segment(s) for s in self.path.split("/")[1:]]

    async def read_body(self, max_bytes: int) -> bytes:
        """The body, at most `max_bytes` (PayloadTooLarge beyond; a declared length first)."""
        declared = self.header("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise PayloadTooLarge(BODY_TOO_LARGE_MESSAGE)
        if self.body_reader is None:
            return b""
        return await self.body_reader(max_bytes)


@dataclass
class Response:
    """An outgoing HTTP response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# Answers that are someone's own data (admin answers, batches): never kept by a cache.
NO_STORE = {"cache-control": "no-store"}


# Made once: `json.dumps` with options builds a new encoder on every call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def to_json(data: Any) -> str:
    """Compact JSON text, as every answer writes it (UTF-8, no escapes of non-ASCII)."""
    return _COMPACT_JSON.encode(data)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact, UTF-8)."""
    merged = {"content-type": JSON_CONTENT_TYPE, **(headers or {})}
    return Response(status=status, headers=merged, body=to_json(data).encode())


def data_response(data_json: str, headers: dict[str, str]) -> Response:
    """200 `{"data": ...}` around JSON text already made (the API's wrapper of a result)."""
    merged = {"content-type": JSON_CONTENT_TYPE, **headers}
    return Response(status=200, headers=merged, body=f'{{"data":{data_json}}}'.encode())


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The API's error envelope: `{"error": message, "status": status}`."""
    return json_response({"error": message, "status": status}, status, headers)

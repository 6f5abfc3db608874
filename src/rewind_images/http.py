"""Plain request and response objects used by the app core.

The edge (`platform/edge.py`) turns the runtime's request into a `Request` and a `Response`
back into the runtime's; everything in between is ordinary Python, testable in CPython.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass(frozen=True)
class Request:
    """An incoming HTTP request. Header names are lower-case."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw_query: str = ""

    @classmethod
    def build(
        cls,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes = b"",
    ) -> Request:
        """Make a request from the URL's raw (still percent-encoded) path and query string."""
        return cls(
            method=method.upper(),
            path=raw_path,
            query=parse_qs(raw_query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            raw_query=raw_query,
        )

    def header(self, name: str) -> str | None:
        """A header's value, or None."""
        return self.headers.get(name.lower())

    def query_one(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def path_segments(self) -> list[str]:
        """The path split on '/', each segment percent-decoded (so '%2F' stays inside one)."""
        return [unquote(s) for s in self.path.split("/")[1:]]


@dataclass
class Response:
    """An outgoing HTTP response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact, UTF-8)."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    merged = {"content-type": JSON_CONTENT_TYPE, **(headers or {})}
    return Response(status=status, headers=merged, body=body)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The API's error envelope: `{"error": message, "status": status}`."""
    return json_response({"error": message, "status": status}, status, headers)

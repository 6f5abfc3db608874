"""Shared types of the source layer: queries, upstream requests, candidates, the Source protocol.

A source is pure: it turns a `SourceQuery` into an `UpstreamRequest` (or declines), and turns
the upstream's HTTP 200 body into image `Candidate`s. The caller owns all I/O, so this module
and its siblings import nothing from the Worker runtime and run unchanged on CPython.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from rewind_images.config import MAX_UPSTREAM_JSON_DEPTH, Settings
from rewind_images.json_nesting import nesting_exceeds
from rewind_images.rules import TMDB_ID_RE, UUID_RE

ACCEPT_JSON = "application/json"
ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


class SourceResponseError(ValueError):
    """The upstream answered 200 but the body is malformed (bad JSON, unexpected shape).

    Distinct from an empty result: the caller may treat it as "upstream broken" (retry later,
    no negative caching) rather than "this upstream has no image".
    """


@dataclass(frozen=True)
class SourceQuery:
    """What is known about the entity whose image is wanted (hints may be missing)."""

    domain: str
    entity_type: str
    entity_id: str
    artist_name: str | None = None
    album_name: str | None = None
    mbid: str | None = None
    tmdb_id: str | None = None
    article_url: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One image URL offered by a source.

    `width`/`height` are the nominal size the URL should deliver when the upstream states it
    (or the size class implies it); None when unknown. The decoded image is authoritative.
    """

    source: str
    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class UpstreamRequest:
    """A GET the caller should perform (the source's own `parse` reads the body), and the budget
    (`config.BUDGETS`) it spends first: the upstream's, for `budget_key`."""

    url: str
    headers: dict[str, str] = field(hash=False)
    budget: str
    budget_key: str = "all"


class Source(Protocol):
    """An upstream that may know an image for a query."""

    @property
    def name(self) -> str:
        """Stable identifier of the upstream (recorded with the stored image)."""
        ...

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Build the upstream GET, or None when a needed hint or secret is missing/invalid."""
        ...

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Turn an HTTP 200 body into candidates, best first ([] = nothing suitable).

        `final_url` is the URL the body was actually read from, after redirects (None: the
        request URL); sources that resolve relative URLs resolve them against it.
        Raises `SourceResponseError` when the body is malformed.
        """
        ...


def base_headers(settings: Settings, accept: str = ACCEPT_JSON) -> dict[str, str]:
    """Headers sent on every upstream request (an identifying User-Agent is etiquette)."""
    return {"User-Agent": settings.user_agent, "Accept": accept}


def clean_hint(value: str | None) -> str | None:
    """Strip a free-text hint; None when absent or blank."""
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def valid_mbid(value: str | None) -> str | None:
    """Return the lower-cased MusicBrainz id when it is a UUID, else None."""
    if value is None:
        return None
    value = value.strip().lower()
    return value if UUID_RE.fullmatch(value) else None


def valid_tmdb_id(value: str | None) -> str | None:
    """Return the TMDB id when it is a plain positive integer, else None."""
    if value is None:
        return None
    value = value.strip()
    return value if TMDB_ID_RE.fullmatch(value) else None


def path_segment(value: str) -> str:
    """Percent-encode one URL path segment (ids are validated already; this is belt and braces)."""
    return quote(value, safe="")


def load_json(body: bytes, source: str) -> Any:
    """Decode a JSON body, mapping every decoding failure to `SourceResponseError` (also
    nesting deep enough to overflow the runtime's stack)."""
    if nesting_exceeds(body, MAX_UPSTREAM_JSON_DEPTH):
        raise SourceResponseError(f"{source}: body is nested too deeply")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise SourceResponseError(f"{source}: body is not valid JSON") from exc


def expect_dict(value: Any, source: str, what: str) -> dict[str, Any]:
    """Return `value` when it is a JSON object, else raise `SourceResponseError`."""
    if not isinstance(value, dict):
        raise SourceResponseError(f"{source}: {what} is not an object")
    return value


def expect_list(value: Any, source: str, what: str) -> list[Any]:
    """Return `value` when it is a JSON array, else raise `SourceResponseError`."""
    if not isinstance(value, list):
        raise SourceResponseError(f"{source}: {what} is not an array")
    return value


def optional_str(value: Any, source: str, what: str) -> str | None:
    """Return a JSON string (None for null/absent/blank); any other type is a shape error."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise SourceResponseError(f"{source}: {what} is not a string")
    value = value.strip()
    return value or None


def optional_int(value: Any) -> int | None:
    """Return a positive integer from a JSON number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no embedded credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    return parts.username is None and parts.password is None


def _is_loopback(host: str | None) -> bool:
    host = (host or "").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def https_url(url: str, settings: Settings) -> str:
    """`url` with an `http://` scheme upgraded to `https://` (an explicit :80 is dropped).

    Production fetches https only, and every upstream we use serves the same paths over TLS,
    so an http URL is upgraded rather than refused. The one exception is a loopback host while
    `settings.allow_insecure_sources` is set: that is the test/demo fake, which speaks plain
    http. Anything that is not http (https, junk) is returned unchanged for the caller's
    checks to judge.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() != "http":
        return url
    if settings.allow_insecure_sources and _is_loopback(parts.hostname):
        return url
    rest = url[len(parts.scheme) :]
    if port == 80:
        netloc = parts.netloc
        rest = rest.replace(netloc, netloc[: -len(":80")], 1)
    return "https" + rest


def dedupe(candidates: list[Candidate]) -> list[Candidate]:
    """Drop repeated URLs, keeping the first (best-ranked) occurrence."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for candidate in candidates:
        if candidate.url not in seen:
            seen.add(candidate.url)
            out.append(candidate)
    return out

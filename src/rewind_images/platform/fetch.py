"""Guarded outbound fetch: the one way the Worker calls upstreams.

Every hop's URL is checked (`rewind_images.urlguard`), redirects are followed by hand (at most
`settings.max_redirects`), the whole call has one deadline, and bodies are counted while they
stream so an oversize download stops at the cap. Connection failures and 502/503/504 are
retried once (GET is idempotent); timeouts are not, so a slow upstream costs one timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urljoin

import js
from pyodide.ffi import JsException

from rewind_images.config import Settings
from rewind_images.context import FetchedBody
from rewind_images.errors import UpstreamError
from rewind_images.platform.convert import js_object
from rewind_images.urlguard import ForbiddenUrl, check_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUSES = frozenset({502, 503, 504})
MAX_RETRIES = 1
RETRY_DELAY_S = 0.2


class FetchError(UpstreamError):
    """An upstream call failed. Subclasses say how."""


class FetchBlocked(FetchError):
    """The URL (or a redirect target) is not allowed."""


class FetchTimeout(FetchError):
    """The call did not finish before its deadline."""


class FetchTooLarge(FetchError):
    """The body is over the byte cap."""


class TooManyRedirects(FetchError):
    """More redirects than allowed (or a loop)."""


class FetchNetworkError(FetchError):
    """The connection failed."""


class FetchStatusError(FetchError):
    """The upstream answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class GuardedFetcher:
    """The `Fetcher` protocol over the runtime's fetch."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def get(
        self, url: str, *, headers: dict[str, str], max_bytes: int | None = None
    ) -> FetchedBody:
        """GET `url`; 2xx returns the body, 404 raises FetchStatusError(404), others FetchError."""
        cap = max_bytes if max_bytes is not None else self._settings.max_download_bytes
        timeout_s = self._settings.fetch_timeout_ms / 1000
        try:
            return await asyncio.wait_for(self._get_with_retry(url, headers, cap), timeout_s)
        except TimeoutError as exc:
            raise FetchTimeout(f"timed out after {timeout_s:g} s: {url}") from exc

    async def _get_with_retry(self, url: str, headers: dict[str, str], cap: int) -> FetchedBody:
        attempt = 0
        while True:
            try:
                return await self._follow(url, headers, cap)
            except (FetchNetworkError, FetchStatusError) as exc:
                retryable = (
                    not isinstance(exc, FetchStatusError) or exc.status in RETRYABLE_STATUSES
                )
                if not retryable or attempt >= MAX_RETRIES:
                    raise
                attempt += 1
                await asyncio.sleep(RETRY_DELAY_S)

    async def _follow(self, url: str, headers: dict[str, str], cap: int) -> FetchedBody:
        seen: set[str] = set()
        for _ in range(self._settings.max_redirects + 1):
            try:
                check_url(url, allow_insecure=self._settings.allow_insecure_sources)
                # Check the URL again as the runtime itself parses it, and fetch that form.
                url = str(js.URL.new(url).href)
                check_url(url, allow_insecure=self._settings.allow_insecure_sources)
            except (ForbiddenUrl, JsException) as exc:
                raise FetchBlocked(f"blocked {url}: {exc}") from exc
            if url in seen:
                raise TooManyRedirects(f"redirect loop at {url}")
            seen.add(url)
            response = await self._fetch_once(url, headers)
            status = int(response.status)
            if status in REDIRECT_STATUSES:
                location = response.headers.get("location")
                await _discard(response)
                if not location:
                    raise FetchStatusError(f"redirect without Location from {url}", status)
                url = urljoin(url, str(location))
                continue
            content_type = response.headers.get("content-type")
            if not 200 <= status < 300:
                await _discard(response)
                raise FetchStatusError(f"HTTP {status} from {url}", status)
            body = await _read_capped(response, cap, url)
            return FetchedBody(
                url=url,
                status=status,
                content_type=None if content_type is None else str(content_type),
                body=body,
            )
        raise TooManyRedirects(f"more than {self._settings.max_redirects} redirects")

    async def _fetch_once(self, url: str, headers: dict[str, str]) -> Any:
        init = js_object(
            {
                "method": "GET",
                # Lower-case names, so a caller's User-Agent replaces ours instead of joining it.
                "headers": {
                    "user-agent": self._settings.user_agent,
                    **{name.lower(): value for name, value in headers.items()},
                },
                "redirect": "manual",
                # Also abort the request itself at the deadline, not only our wait for it.
                "signal": js.AbortSignal.timeout(self._settings.fetch_timeout_ms),
            }
        )
        try:
            return await js.fetch(url, init)
        except JsException as exc:
            raise FetchNetworkError(f"network error for {url}: {exc}") from exc


async def _discard(response: Any) -> None:
    body = response.body
    if body is not None:
        with contextlib.suppress(JsException):
            await body.cancel()


async def _read_capped(response: Any, cap: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and str(declared).isdigit() and int(str(declared)) > cap:
        await _discard(response)
        raise FetchTooLarge(f"{url} declares {declared} bytes, over the {cap}-byte cap")
    body = response.body
    if body is None:
        return b""
    reader = body.getReader()
    chunks = bytearray()
    try:
        while True:
            chunk = await reader.read()
            if chunk.done:
                break
            chunks += chunk.value.to_bytes()
            if len(chunks) > cap:
                await reader.cancel()
                raise FetchTooLarge(f"{url} sent more than the {cap}-byte cap")
    except JsException as exc:
        raise FetchNetworkError(f"body of {url} failed: {exc}") from exc
    return bytes(chunks)

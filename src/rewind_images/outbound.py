"""Guarded outbound fetch: the one way the service calls upstreams.

Every hop's URL is checked (`rewind_images.urlguard`), both as we parse it and as the transport
will (`Transport.normalise`); redirects are followed by hand (at most `settings.max_redirects`);
the whole call has one deadline; bodies are counted while they stream, so an oversize download
stops at the cap. Connection failures and 502/503/504 are retried once (GET is idempotent);
timeouts are not, so a slow upstream costs one timeout. Pure: the I/O is the `Transport`.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin

from rewind_images.config import FETCH_MAX_RETRIES, FETCH_RETRY_DELAY_S, Settings
from rewind_images.ports import (
    FetchBlocked,
    FetchedBody,
    FetchNetworkError,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
    TooManyRedirects,
    Transport,
    TransportResponse,
)
from rewind_images.urlguard import ForbiddenUrl, check_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUSES = frozenset({502, 503, 504})


class GuardedFetcher:
    """The `Fetcher` port: the guard, over a swappable transport."""

    def __init__(self, settings: Settings, transport: Transport) -> None:
        self._settings = settings
        self._transport = transport

    async def get(
        self, url: str, *, headers: dict[str, str], max_bytes: int | None = None
    ) -> FetchedBody:
        """GET `url`; 2xx returns the body, anything else raises a `FetchError`."""
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
                if not retryable or attempt >= FETCH_MAX_RETRIES:
                    raise
                attempt += 1
                await asyncio.sleep(FETCH_RETRY_DELAY_S)

    def _checked(self, url: str) -> str:
        insecure = self._settings.allow_insecure_sources
        try:
            check_url(url, allow_insecure=insecure)
            # Check the URL again as the transport itself parses it, and fetch that form.
            url = self._transport.normalise(url)
            check_url(url, allow_insecure=insecure)
        except (ForbiddenUrl, ValueError) as exc:
            raise FetchBlocked(f"blocked {url}: {exc}") from exc
        return url

    async def _follow(self, url: str, headers: dict[str, str], cap: int) -> FetchedBody:
        seen: set[str] = set()
        # Lower-case names, so a caller's User-Agent replaces ours instead of joining it.
        sent = {
            "user-agent": self._settings.user_agent,
            **{k.lower(): v for k, v in headers.items()},
        }
        for _ in range(self._settings.max_redirects + 1):
            url = self._checked(url)
            if url in seen:
                raise TooManyRedirects(f"redirect loop at {url}")
            seen.add(url)
            response = await self._transport.send(url, sent, self._settings.fetch_timeout_ms)
            status = response.status
            if status in REDIRECT_STATUSES:
                location = response.header("location")
                await response.close()
                if not location:
                    raise FetchStatusError(f"redirect without Location from {url}", status)
                url = urljoin(url, location)
                continue
            if not 200 <= status < 300:
                await response.close()
                raise FetchStatusError(f"HTTP {status} from {url}", status)
            body = await _read_capped(response, cap, url)
            return FetchedBody(url, status, response.header("content-type"), body)
        raise TooManyRedirects(f"more than {self._settings.max_redirects} redirects")


async def _read_capped(response: TransportResponse, cap: int, url: str) -> bytes:
    declared = response.header("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        await response.close()
        raise FetchTooLarge(f"{url} declares {declared} bytes, over the {cap}-byte cap")
    chunks = bytearray()
    async for chunk in response.chunks():
        chunks += chunk
        if len(chunks) > cap:
            await response.close()
            raise FetchTooLarge(f"{url} sent more than the {cap}-byte cap")
    return bytes(chunks)

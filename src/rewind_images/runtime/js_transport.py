"""The runtime's `fetch` as the guard's `Transport`: one GET, no redirects followed, the body
read as a stream (so the guard's byte cap stops an oversize download early)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import js
from pyodide.ffi import JsException, jsnull  # type: ignore[attr-defined]  # stub lags runtime

from rewind_images.ports import FetchNetworkError
from rewind_images.runtime.js_convert import js_object


class JsResponse:
    """A JS Response as a `TransportResponse`."""

    def __init__(self, response: Any, url: str) -> None:
        self._response = response
        self._url = url
        self._reader: Any = None
        self.status = int(response.status)

    def header(self, name: str) -> str | None:
        """A response header, or None."""
        value = self._response.headers.get(name)
        return None if value is None or value is jsnull else str(value)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, chunk by chunk, as the runtime delivers it."""
        body = self._response.body
        if body is None or body is jsnull:
            return
        self._reader = body.getReader()
        try:
            while True:
                chunk = await self._reader.read()
                if chunk.done:
                    return
                yield bytes(chunk.value.to_bytes())
        except JsException as exc:
            raise FetchNetworkError(f"body of {self._url} failed: {exc}") from exc

    async def close(self) -> None:
        """Cancel the rest of the body."""
        with contextlib.suppress(JsException):
            if self._reader is not None:
                await self._reader.cancel()
            elif self._response.body is not None and self._response.body is not jsnull:
                await self._response.body.cancel()


class JsTransport:
    """Sends through the runtime's `fetch` with `redirect: manual`."""

    def normalise(self, url: str) -> str:
        """The URL as the runtime's WHATWG parser reads it (ValueError when it cannot)."""
        try:
            return str(js.URL.new(url).href)
        except JsException as exc:
            raise ValueError(f"the runtime cannot parse {url!r}") from exc

    async def send(self, url: str, headers: dict[str, str], timeout_ms: int) -> JsResponse:
        """One GET; FetchNetworkError when the connection fails."""
        init = js_object(
            {
                "method": "GET",
                "headers": headers,
                "redirect": "manual",
                # Also abort the request itself at the deadline, not only our wait for it.
                "signal": js.AbortSignal.timeout(timeout_ms),
            }
        )
        try:
            return JsResponse(await js.fetch(url, init), url)
        except JsException as exc:
            raise FetchNetworkError(f"network error for {url}: {exc}") from exc

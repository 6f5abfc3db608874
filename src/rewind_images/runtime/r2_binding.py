"""R2 as the `Bucket` port.

Puts and deletes are idempotent, so a failed one is tried again after a short pause before it
counts as an R2 failure: a delete that fails for good can leave an object no row names, and a
transient error should not cost a 503. (Locally, two runtimes sharing one state dir make
miniflare's R2 fail now and then with "Unspecified error (0)"; see docs/runtime.md.) A
conditional put whose first try did land answers "condition failed" on the retry; its caller
tells that apart by the object's metadata (`writing.storage`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyodide.ffi import JsException, jsnull, to_js  # type: ignore[attr-defined]  # stub lags runtime

from rewind_images.config import R2_RETRY_DELAYS_S
from rewind_images.ports import ObjectInfo, PutCondition, StoredObject
from rewind_images.runtime import PlatformError
from rewind_images.runtime.js_convert import js_bytes, js_object, to_python


class R2Error(PlatformError):
    """An R2 call failed."""


async def _idempotent(call: Callable[[], Awaitable[Any]]) -> Any:
    for delay in (*R2_RETRY_DELAYS_S, None):
        try:
            return await call()
        except JsException:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class R2Bucket:
    """Wraps an R2 bucket binding."""

    def __init__(self, binding: Any) -> None:
        self._bucket = binding

    async def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str,
        custom_metadata: dict[str, str],
        only_if: PutCondition | None = None,
    ) -> bool:
        """Store an object with its HTTP and custom metadata; False when `only_if` fails (R2
        answers null)."""
        options: dict[str, Any] = {
            "httpMetadata": {"contentType": content_type, "cacheControl": cache_control},
            "customMetadata": custom_metadata,
        }
        if only_if is not None and only_if.absent:
            options["onlyIf"] = {"etagDoesNotMatch": "*"}
        elif only_if is not None and only_if.etag is not None:
            options["onlyIf"] = {"etagMatches": only_if.etag}
        js_options = js_object(options)
        try:
            # A fresh copy per attempt: a failed put may have consumed (detached) the last one.
            stored = await _idempotent(lambda: self._bucket.put(key, js_bytes(body), js_options))
        except JsException as exc:
            raise R2Error(f"R2 put {key!r} failed: {exc}") from exc
        return stored is not None and stored is not jsnull

    async def get(self, key: str) -> StoredObject | None:
        """Read a whole object, or None when absent."""
        try:
            obj = await self._bucket.get(key)
            if obj is None or obj is jsnull:
                return None
            data = (await obj.arrayBuffer()).to_bytes()
        except JsException as exc:
            raise R2Error(f"R2 get {key!r} failed: {exc}") from exc
        http = to_python(obj.httpMetadata) or {}
        return StoredObject(
            body=data,
            content_type=http.get("contentType"),
            custom_metadata=dict(to_python(obj.customMetadata) or {}),
        )

    async def head(self, key: str) -> ObjectInfo | None:
        """An object's etag and custom metadata, or None when absent."""
        try:
            obj = await self._bucket.head(key)
        except JsException as exc:
            raise R2Error(f"R2 head {key!r} failed: {exc}") from exc
        if obj is None or obj is jsnull:
            return None
        return ObjectInfo(str(obj.etag), dict(to_python(obj.customMetadata) or {}))

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete objects; absent ones are ignored."""
        if not keys:
            return
        try:
            names = to_js(list(keys))
            await _idempotent(lambda: self._bucket.delete(names))
        except JsException as exc:
            raise R2Error(f"R2 delete failed: {exc}") from exc

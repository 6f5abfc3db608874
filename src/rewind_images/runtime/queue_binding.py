"""Cloudflare Queues: the producer binding as the `MessageQueue` port, and the messages a
consumer batch delivers as `ReceivedMessage`s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import js
from pyodide.ffi import JsException, to_js

from rewind_images.runtime import PlatformError
from rewind_images.runtime.js_convert import js_object, to_python


class QueueError(PlatformError):
    """A Queues call failed."""


class CloudflareQueue:
    """Wraps a queue producer binding (`env.RESOLVE_QUEUE`)."""

    def __init__(self, binding: Any) -> None:
        self._queue = binding

    async def send_batch(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Send JSON-object bodies in one `sendBatch` call."""
        if self._queue is None:
            raise QueueError("no queue binding RESOLVE_QUEUE (see wrangler.toml)")
        messages = to_js([{"body": body} for body in bodies], dict_converter=js.Object.fromEntries)
        try:
            await self._queue.sendBatch(messages)
        except JsException as exc:
            raise QueueError(f"sending {len(bodies)} messages failed: {exc}") from exc


class DeliveredMessage:
    """One message of a consumer batch (`batch.messages[i]`)."""

    def __init__(self, message: Any) -> None:
        self._message = message

    @property
    def body(self) -> Any:
        """The body as plain Python."""
        return to_python(self._message.body)

    @property
    def attempts(self) -> int:
        """Deliveries so far, this one included."""
        return int(self._message.attempts)

    def ack(self) -> None:
        """Mark it done."""
        self._message.ack()

    def retry(self, delay_seconds: int) -> None:
        """Deliver it again after `delay_seconds`."""
        self._message.retry(js_object({"delaySeconds": delay_seconds}))


def delivered(batch: Any) -> tuple[str, list[DeliveredMessage]]:
    """A consumer batch as (queue name, messages)."""
    return str(batch.queue), [DeliveredMessage(m) for m in batch.messages]

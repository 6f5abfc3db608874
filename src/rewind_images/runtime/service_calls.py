"""The entry class's calls that are not HTTP: queue consumer batches, and the RPC methods a
service binding calls (`await env.IMAGES_SERVICE.attachments([...])` from the Rewind API's
Worker: no HTTP, no key, since a service binding is private to the account).

RPC answers are the HTTP batch's own JSON, parsed by the runtime's `JSON.parse`: plain JS
objects and arrays with real `null`s (a Python None would cross as `undefined`), built from the
same cached texts as the HTTP answer. A malformed call raises (the caller's promise rejects)
with the message the HTTP route would put in its 400.
"""

from __future__ import annotations

from typing import Any

import js

from rewind_images.config import DEAD_LETTER_QUEUE_NAME
from rewind_images.errors import BadRequest
from rewind_images.images import background
from rewind_images.images.attachment_answers import answer_items
from rewind_images.images.attachment_schemas import AttachmentsRequest
from rewind_images.images.miss_budget import RPC_CALLER
from rewind_images.runtime.edge import build_context
from rewind_images.runtime.js_convert import to_python
from rewind_images.runtime.queue_binding import delivered
from rewind_images.validation import parse_object


async def consume_queue_batch(env: Any, js_ctx: Any, batch: Any) -> None:
    """Run a consumer batch: the resolve queue's, or the dead-letter queue's."""
    ctx = build_context(env, js_ctx)
    queue_name, messages = delivered(batch)
    if queue_name == DEAD_LETTER_QUEUE_NAME:
        await background.bury(ctx, messages)
    else:
        done = await background.consume(ctx, messages)
        print(f"queue {queue_name}: {done}")


class RpcError(ValueError):
    """A malformed RPC call; the message is the HTTP route's 400 message."""


async def _answers(env: Any, js_ctx: Any, items: Any, size: Any) -> str:
    arguments: dict[str, Any] = {"items": to_python(items)}
    size = to_python(size)
    if size is not None:
        arguments["size"] = size
    try:
        request = parse_object(AttachmentsRequest, arguments)
    except BadRequest as exc:
        raise RpcError(exc.message) from None
    ctx = build_context(env, js_ctx)
    return await answer_items(ctx, request.items, request.size.value, RPC_CALLER)


async def rpc_attachments(env: Any, js_ctx: Any, items: Any, size: Any = None) -> Any:
    """`attachments(items, size?)`: the batch answer's `data` array."""
    return js.JSON.parse(await _answers(env, js_ctx, items, size))


async def rpc_attachment(env: Any, js_ctx: Any, item: Any, size: Any = None) -> Any:
    """`attachment(item, size?)`: one item's answer, as the batch gives it."""
    return js.JSON.parse(await _answers(env, js_ctx, [to_python(item)], size))[0]

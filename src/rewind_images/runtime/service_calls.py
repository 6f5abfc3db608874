"""The entry's calls that are not HTTP, adapted to the app: queue consumer batches, and the
RPC methods a service binding calls (`await env.IMAGES_SERVICE.attachments([...])` from the
Rewind API's Worker: no HTTP, no key, since a service binding is private to the account).

RPC answers are the HTTP batch's own JSON, parsed by the runtime's `JSON.parse`: plain JS
objects and arrays with real `null`s (a Python None would cross as `undefined`), built from the
same cached texts as the HTTP answer. A malformed call raises (the caller's promise rejects)
with the message the HTTP route would put in its 400.
"""

from __future__ import annotations

from typing import Any

import js

from rewind_images.images.attachments.batch import answer_call
from rewind_images.images.background.consumer import deliver
from rewind_images.runtime.edge import build_context
from rewind_images.runtime.js_convert import to_python
from rewind_images.runtime.queue_binding import delivered


async def consume_queue_batch(env: Any, js_ctx: Any, batch: Any) -> None:
    """Hand a consumer batch to the app."""
    queue_name, messages = delivered(batch)
    await deliver(build_context(env, js_ctx), queue_name, messages)


async def _answers(env: Any, js_ctx: Any, items: Any, size: Any) -> str:
    return await answer_call(build_context(env, js_ctx), to_python(items), to_python(size))


async def rpc_attachments(env: Any, js_ctx: Any, items: Any, size: Any = None) -> Any:
    """`attachments(items, size?)`: the batch answer's `data` array."""
    return js.JSON.parse(await _answers(env, js_ctx, items, size))


async def rpc_attachment(env: Any, js_ctx: Any, item: Any, size: Any = None) -> Any:
    """`attachment(item, size?)`: one item's answer, as the batch gives it."""
    return js.JSON.parse(await _answers(env, js_ctx, [to_python(item)], size))[0]

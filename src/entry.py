"""Worker entry point: hands each request, queue batch and RPC call to the service.

HTTP and queue batches reach the module's `on_fetch` and `on_queue` (the default export, with
`disable_python_no_global_handlers` in wrangler.toml): the runtime calls them directly, where a
`WorkerEntrypoint` class costs every request a class instance, the SDK's wrappers of `env` and
`ctx` and a second call into Python (about 15 % of a warm hit's CPU: docs/benchmarks.md).
RPC needs a class: `RewindImages`, the named entrypoint a service binding gives
(`entrypoint = "RewindImages"`, docs/api.md).
"""

import gc

from workers import WorkerEntrypoint

from rewind_images.app import handle
from rewind_images.runtime.edge import build_context, crash_response, to_js_response, to_request
from rewind_images.runtime.service_calls import (
    consume_queue_batch,
    rpc_attachment,
    rpc_attachments,
)

# Everything imported so far (pydantic, the models, the route table) lives as long as the
# isolate: move it out of the collector's generations so collections only walk request garbage.
gc.freeze()


async def on_fetch(request, env, ctx):  # noqa: ANN001, ANN201 - runtime types
    """Answer one HTTP request."""
    try:
        return to_js_response(await handle(to_request(request), build_context(env, ctx)))
    except Exception:  # outside the app's own envelope: never the runtime's error page
        return crash_response()


async def on_queue(batch, env, ctx):  # noqa: ANN001, ANN201 - runtime types
    """Consume a batch of the resolve queue or of its dead-letter queue."""
    await consume_queue_batch(env, ctx, batch)


class RewindImages(WorkerEntrypoint):
    """The entrypoint of service bindings: the RPC methods, and HTTP forwarded as it came.
    (The runtime maps a binding's `fetch` to `on_fetch` here too.)"""

    async def on_fetch(self, request):  # noqa: ANN001, ANN201 - runtime types
        """Answer one HTTP request sent through the binding."""
        return await on_fetch(request.js_object, self.env, self.ctx)

    async def attachments(self, items, size=None):  # noqa: ANN001, ANN201 - runtime types
        """RPC: the attachments of up to 100 entity items (the batch route's `data`)."""
        return await rpc_attachments(self.env, self.ctx, items, size)

    async def attachment(self, item, size=None):  # noqa: ANN001, ANN201 - runtime types
        """RPC: one entity item's answer, as the batch gives it."""
        return await rpc_attachment(self.env, self.ctx, item, size)

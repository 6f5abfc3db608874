"""Worker entry point: hands each request, queue batch and RPC call to the service."""

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


class Default(WorkerEntrypoint):
    """The Rewind image Worker."""

    async def fetch(self, request):  # noqa: ANN001, ANN201 - runtime types
        """Answer one HTTP request."""
        try:
            ctx = build_context(self.env, self.ctx)
            return to_js_response(await handle(to_request(request.js_object), ctx))
        except Exception:  # outside the app's own envelope: never the runtime's error page
            return crash_response()

    async def queue(self, batch, *rest):  # noqa: ANN001, ANN002, ANN201 - runtime types
        """Consume a batch of the resolve queue or of its dead-letter queue. (The local dev
        runtime passes env and ctx after the batch; production passes the batch alone.)"""
        await consume_queue_batch(self.env, self.ctx, batch)

    async def attachments(self, items, size=None):  # noqa: ANN001, ANN201 - runtime types
        """RPC: the attachments of up to 100 entity items (the batch route's `data`)."""
        return await rpc_attachments(self.env, self.ctx, items, size)

    async def attachment(self, item, size=None):  # noqa: ANN001, ANN201 - runtime types
        """RPC: one entity item's answer, as the batch gives it."""
        return await rpc_attachment(self.env, self.ctx, item, size)

"""Worker entry point: hands each request to the app."""

import gc

from workers import WorkerEntrypoint

from rewind_images.app import handle
from rewind_images.runtime.edge import build_context, crash_response, to_js_response, to_request

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

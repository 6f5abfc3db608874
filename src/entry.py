"""Worker entry point: hands each request to the app."""

import gc

from workers import WorkerEntrypoint

from rewind_images.app import dispatch
from rewind_images.errors import ServiceError
from rewind_images.http import error_response
from rewind_images.platform.edge import build_context, to_js_response, to_request
from rewind_images.routes import ROUTES

# Everything imported so far (pydantic, the models, the route table) lives as long as the
# isolate: move it out of the collector's generations so collections only walk request garbage.
gc.freeze()


class Default(WorkerEntrypoint):
    """The Rewind image Worker."""

    async def fetch(self, request):  # noqa: ANN001, ANN201 - runtime types
        """Answer one HTTP request."""
        ctx = build_context(self.env, self.ctx)
        try:
            app_request = await to_request(request.js_object)
        except ServiceError as exc:
            return to_js_response(error_response(exc.status, exc.message))
        return to_js_response(await dispatch(app_request, ctx, ROUTES))

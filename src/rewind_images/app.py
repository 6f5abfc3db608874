"""The app: every route of the service, and `handle`, which answers one request with them.

The features own their routes (`images.image_routes`, `keys.key_routes`); routing
(`rewind_images.routing`) matches, authenticates with the keys feature, validates and runs.
"""

from __future__ import annotations

import traceback
from typing import Any

from rewind_images.api_document import build_openapi
from rewind_images.context import Context
from rewind_images.http import Request, Response, error_response
from rewind_images.images.image_routes import IMAGE_ROUTES
from rewind_images.keys.authentication import authenticate
from rewind_images.keys.key_routes import KEY_ROUTES
from rewind_images.routing import INTERNAL_ERROR_MESSAGE, Route, dispatch
from rewind_images.system import HEALTH_ROUTE, openapi_route


def _document() -> dict[str, Any]:
    return build_openapi(ROUTES)


ROUTES: tuple[Route, ...] = (
    HEALTH_ROUTE,
    openapi_route(_document),
    IMAGE_ROUTES[0],  # the hot path is matched first
    *KEY_ROUTES,
    *IMAGE_ROUTES[1:],
)


async def handle(request: Request, ctx: Context) -> Response:
    """Answer one request; never raises."""
    if ctx.settings.local_cdn:  # local runs only: the CDN's paths and the demo page
        served = await _local_cdn(request, ctx)
        if served is not None:
            return served
    return await dispatch(request, ctx, ROUTES, authenticate)


async def _local_cdn(request: Request, ctx: Context) -> Response | None:
    try:
        # Local-only modules: production's upload leaves them out (wrangler.toml's rules), so
        # they are imported only here, with LOCAL_CDN on.
        from rewind_images.images import local_cdn, local_page

        return await local_page.serve(request, ctx) or await local_cdn.serve(request, ctx)
    except Exception:
        print(f"local CDN failed on {request.path}\n{traceback.format_exc()}")
        return error_response(500, INTERNAL_ERROR_MESSAGE)

"""The app: every route of the service, and `handle`, which answers one request with them.

The features own their routes (`images.routes`, `keys.management`); routing
(`rewind_images.routing`) matches, authenticates with the keys feature, validates and runs.
"""

from __future__ import annotations

import traceback
from typing import Any

from rewind_images.api_document import build_openapi
from rewind_images.context import Context
from rewind_images.http import Request, Response, error_response
from rewind_images.images.routes import HIT_ROUTE, IMAGE_ROUTES
from rewind_images.keys.authentication import authenticate
from rewind_images.keys.management import KEY_ROUTES
from rewind_images.routing import INTERNAL_ERROR_MESSAGE, Route, RouteTable, dispatch
from rewind_images.system import HEALTH_ROUTE, openapi_route


def _document() -> dict[str, Any]:
    return build_openapi(ROUTES)


ROUTES: tuple[Route, ...] = (
    HEALTH_ROUTE,
    openapi_route(_document),
    HIT_ROUTE,  # the hot path is matched first
    *KEY_ROUTES,
    *IMAGE_ROUTES,
)
TABLE = RouteTable(ROUTES)


async def handle(request: Request, ctx: Context) -> Response:
    """Answer one request; never raises."""
    if ctx.settings.local_cdn:  # local runs only: the CDN's paths and the demo page
        served = await _local_cdn(request, ctx)
        if served is not None:
            return served
    return await dispatch(request, ctx, TABLE, authenticate)


async def _local_cdn(request: Request, ctx: Context) -> Response | None:
    try:
        # Local-only modules: a deploy's upload leaves them out (scripts/upload.py), so they
        # are imported only here, with LOCAL_CDN on.
        from rewind_images.local import cdn, demo

        return await demo.serve(request, ctx) or await cdn.serve(request, ctx)
    except Exception:
        print(f"local CDN failed on {request.path}\n{traceback.format_exc()}")
        return error_response(500, INTERNAL_ERROR_MESSAGE)

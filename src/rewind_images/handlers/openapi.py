"""GET /v1/openapi.json (no key)."""

from __future__ import annotations

from rewind_images.auth import ApiKey
from rewind_images.context import Context
from rewind_images.http import Request, Response, json_response


async def openapi_document(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """The OpenAPI document, built once per isolate."""
    document = ctx.state.get("openapi")
    if document is None:
        from rewind_images.openapi import build_openapi
        from rewind_images.routes import ROUTES

        document = ctx.state["openapi"] = build_openapi(ROUTES)
    return json_response(document, headers={"cache-control": "public, max-age=300"})

"""The system routes: GET /v1/health (liveness) and GET /v1/openapi.json, both without a key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rewind_images.config import SERVICE_NAME, SERVICE_VERSION
from rewind_images.http import Response, json_response
from rewind_images.routing import Call, Operation, Route
from rewind_images.validation import ApiModel


class HealthResponse(ApiModel):
    """Body of GET /v1/health."""

    status: str
    service: str
    version: str


async def health(call: Call[None, None, None]) -> Response:
    """Report that the Worker is up, with its name and version."""
    body = HealthResponse(status="ok", service=SERVICE_NAME, version=SERVICE_VERSION)
    return json_response(body.dict(), headers={"cache-control": "no-store"})


def openapi_route(build: Callable[[], dict[str, Any]]) -> Route:
    """The route of the OpenAPI document that `build` makes (once per isolate)."""

    async def openapi_document(call: Call[None, None, None]) -> Response:
        document = call.ctx.state.get("openapi")
        if document is None:
            document = call.ctx.state["openapi"] = build()
        return json_response(document, headers={"cache-control": "public, max-age=300"})

    return Route(
        "GET",
        "/v1/openapi.json",
        openapi_document,
        "public",
        "getOpenApi",
        Operation("This OpenAPI document", "System"),
    )


HEALTH_ROUTE = Route(
    "GET",
    "/v1/health",
    health,
    "public",
    "getHealth",
    Operation("Health check", "System", ok_model=HealthResponse),
)

"""GET /v1/health: liveness, no key needed."""

from __future__ import annotations

from rewind_images.auth import ApiKey
from rewind_images.config import SERVICE_NAME, SERVICE_VERSION
from rewind_images.context import Context
from rewind_images.http import Request, Response, json_response
from rewind_images.models import HealthResponse


async def health(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Report that the Worker is up, with its name and version."""
    body = HealthResponse(status="ok", service=SERVICE_NAME, version=SERVICE_VERSION)
    return json_response(body.dict(), headers={"cache-control": "no-store"})

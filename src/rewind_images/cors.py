"""CORS: preflights answered without a key, and the X- headers exposed to browsers."""

from __future__ import annotations

from rewind_images.config import PREFLIGHT_MAX_AGE_SECONDS, Settings
from rewind_images.http import Request, Response

# Headers a browser page may read from our responses (the original exposed none of them).
EXPOSED_HEADERS = (
    "X-ThumbHash",
    "X-Dominant-Color",
    "X-Accent-Color",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "WWW-Authenticate",
    "Location",
)
ALLOWED_REQUEST_HEADERS = "Authorization, Content-Type"


def allowed_origin(origin: str | None, settings: Settings) -> str | None:
    """The value for Access-Control-Allow-Origin, or None when the origin is not allowed
    (always None when `allowed_origins` is empty: no cross-origin access)."""
    if origin is None:
        return None
    if "*" in settings.allowed_origins:
        return "*"
    return origin if origin in settings.allowed_origins else None


def apply(request: Request, response: Response, settings: Settings) -> None:
    """Add CORS headers to a response when the request's Origin is allowed."""
    origin = allowed_origin(request.header("origin"), settings)
    if origin is None:
        return
    response.headers["access-control-allow-origin"] = origin
    response.headers["access-control-expose-headers"] = ", ".join(EXPOSED_HEADERS)
    if origin != "*":
        vary = response.headers.get("vary")  # e.g. "Accept" on the image route
        response.headers["vary"] = f"{vary}, Origin" if vary else "Origin"


def preflight(request: Request, settings: Settings, methods: list[str]) -> Response:
    """Answer an OPTIONS preflight for a path that serves `methods` (no key needed)."""
    allow = sorted({*methods, "OPTIONS"} | ({"HEAD"} if "GET" in methods else set()))
    headers = {"allow": ", ".join(allow)}
    if allowed_origin(request.header("origin"), settings) is not None:
        headers.update(
            {
                "access-control-allow-methods": ", ".join(allow),
                "access-control-allow-headers": ALLOWED_REQUEST_HEADERS,
                "access-control-max-age": str(PREFLIGHT_MAX_AGE_SECONDS),
            }
        )
    return Response(status=204, headers=headers)

"""The service's exception hierarchy. Each error knows its HTTP status and public message.

    ServiceError
    ├── BadRequest (400)        invalid path, query or body
    ├── Unauthorized (401)      missing, unknown, revoked or expired key
    ├── Forbidden (403)         a read key on an admin route
    ├── NotFound (404)          unknown route, no image for an entity
    ├── MethodNotAllowed (405)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── TooManyRequests (429)   carries Retry-After and the rate-limit headers
    ├── UpstreamError (502)     every source failed (timeouts, 5xx, bad bytes); nothing recorded
    └── ServiceUnavailable (503) a concurrent miss did not finish in time

A `DependencyError` (a platform binding failed: D1, R2, Images) becomes a 503 with a fixed
message; anything else raised inside a handler becomes a 500. Details are logged, never returned.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An error with a status code and a message safe to show to the client."""

    status = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ServiceError):
    """The request is malformed (400)."""

    status = 400


class Unauthorized(ServiceError):
    """No valid key (401)."""

    status = 401


class Forbidden(ServiceError):
    """The key's scope does not allow this route (403)."""

    status = 403


class NotFound(ServiceError):
    """Nothing at this path, or no image for this entity (404)."""

    status = 404


class MethodNotAllowed(ServiceError):
    """The path exists but not for this method (405)."""

    status = 405


class PayloadTooLarge(ServiceError):
    """The request body is over the limit (413)."""

    status = 413


class UnsupportedMediaType(ServiceError):
    """The body's type is not one the route takes (415)."""

    status = 415


class TooManyRequests(ServiceError):
    """The key's per-minute limit is used up (429)."""

    status = 429


class UpstreamError(ServiceError):
    """The sources failed; retrying later may succeed (502)."""

    status = 502


class ServiceUnavailable(ServiceError):
    """The service could not finish in time; retry (503)."""

    status = 503


class DependencyError(Exception):
    """A platform dependency (D1, R2, Images) failed; the message is internal detail."""

"""The route table: every path the Worker serves, with its access level and operation id."""

from __future__ import annotations

from rewind_images.app import Route, pattern
from rewind_images.handlers.health import health

ROUTES: tuple[Route, ...] = (Route("GET", pattern("/v1/health"), health, "public", "getHealth"),)

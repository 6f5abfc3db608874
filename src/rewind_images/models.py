"""Request and response models (pydantic 1.10: the pydantic that runs inside the Worker)."""

from __future__ import annotations

from pydantic import BaseModel


class HealthResponse(BaseModel):
    """Body of GET /v1/health."""

    status: str
    service: str
    version: str

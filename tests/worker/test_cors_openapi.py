"""CORS headers through the runtime (tests/app/test_cors_openapi.py has the rest)."""

from tests.app.test_cors_openapi import (  # noqa: F401 - collected here, run against the Worker
    test_redirect_exposes_the_metadata_and_rate_limit_headers,
)

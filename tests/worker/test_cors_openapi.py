"""CORS for browsers, and /v1/openapi.json against the published spec."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from rewind_devkit.local_worker import LocalWorker
from tests.helpers import add_image, add_key, bearer, unique

SPEC = Path(__file__).resolve().parents[1] / "contract" / "get-image-by-entity.md"


def published_spec() -> dict:
    text = SPEC.read_text()
    block = text.split("````yaml", 1)[1].split("````", 1)[0]
    block = block.split("\n", 1)[1]  # drop the "get /v1/images/..." label line
    return yaml.safe_load(block)


def test_redirect_exposes_the_metadata_and_rate_limit_headers(
    worker: LocalWorker, client: httpx.Client
) -> None:
    entity = unique("album")
    add_image(worker, "listening", "albums", entity)
    response = client.get(
        f"/v1/images/listening/albums/{entity}/small",
        headers={**bearer(add_key(worker)), "Origin": "https://app.example"},
    )
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {
        "x-thumbhash",
        "x-dominant-color",
        "x-accent-color",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    } <= exposed

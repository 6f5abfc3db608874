"""CORS for browsers, and /v1/openapi.json against the published spec."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.app_client import InProcessApp
from tests.support.helpers import add_image, add_key, bearer, unique

SPEC = Path(__file__).resolve().parents[1] / "contract" / "get-image-by-entity.md"


def published_spec() -> dict:
    text = SPEC.read_text()
    block = text.split("````yaml", 1)[1].split("````", 1)[0]
    block = block.split("\n", 1)[1]  # drop the "get /v1/images/..." label line
    return yaml.safe_load(block)


def test_preflight_needs_no_key(client: httpx.Client) -> None:
    response = client.options(
        "/v1/images/listening/albums/x/medium",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "Authorization" in response.headers["access-control-allow-headers"]


@pytest.mark.workerd
def test_redirect_exposes_the_metadata_and_rate_limit_headers(
    service: InProcessApp, client: httpx.Client
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    response = client.get(
        f"/v1/images/listening/albums/{entity}/small",
        headers={**bearer(add_key(service)), "Origin": "https://app.example"},
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


def test_errors_carry_cors_headers_too(client: httpx.Client) -> None:
    response = client.get(
        "/v1/images/listening/albums/x/medium", headers={"Origin": "https://app.example"}
    )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "*"


def test_openapi_covers_every_route(client: httpx.Client) -> None:
    document = client.get("/v1/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    operations = {
        (path, method): op["operationId"]
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert ("/v1/images/{domain}/{entity_type}/{entity_id}/{size}", "get") in operations
    assert ("/v1/health", "get") in operations
    assert ("/v1/admin/keys", "post") in operations
    assert ("/v1/admin/keys/{key_id}", "delete") in operations


def test_get_image_matches_the_published_spec(client: httpx.Client) -> None:
    ours = client.get("/v1/openapi.json").json()
    theirs = published_spec()
    path = "/v1/images/{domain}/{entity_type}/{entity_id}/{size}"
    our_op, their_op = ours["paths"][path]["get"], theirs["paths"][path]["get"]
    assert our_op["operationId"] == their_op["operationId"] == "getImage"
    ours_by_name = {p["name"]: p for p in our_op["parameters"]}
    for param in their_op["parameters"]:
        mine = ours_by_name[param["name"]]
        assert mine["in"] == param["in"]
        assert mine["required"] == param["required"]
        assert mine["schema"]["type"] == param["schema"]["type"]
        # Every value the spec allows is allowed by us (we add poster-sm).
        assert set(param["schema"].get("enum", [])) <= set(mine["schema"].get("enum", []))
    for status in their_op["responses"]:
        assert status in our_op["responses"]
    assert ours["components"]["securitySchemes"]["bearerAuth"] == {
        **theirs["components"]["securitySchemes"]["bearerAuth"]
    }
    assert our_op["security"] == [{"bearerAuth": []}]
    error = ours["components"]["schemas"]["ErrorResponse"]
    assert set(error["required"]) == {"error", "status"}

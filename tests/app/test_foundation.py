"""The Worker boots under workerd and answers with the error envelope everywhere."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.workerd
def test_health_reports_service_and_version(client: httpx.Client) -> None:
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    # The body is built by a pydantic model inside the Worker (pydantic 1.10, pure Python).
    assert response.json() == {"status": "ok", "service": "rewind-images", "version": "0.1.0"}


@pytest.mark.workerd
def test_unknown_path_is_a_404_envelope(client: httpx.Client) -> None:
    response = client.get("/v1/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "status": 404}


@pytest.mark.workerd
def test_wrong_method_is_a_405_envelope_with_allow(client: httpx.Client) -> None:
    response = client.post("/v1/health")
    assert response.status_code == 405
    assert response.json() == {"error": "Method POST not allowed", "status": 405}
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.workerd
def test_head_has_headers_and_no_body(client: httpx.Client) -> None:
    response = client.head("/v1/health")
    assert response.status_code == 200
    assert response.content == b""

"""Bearer keys: 401/403/429, expiry, revocation, rate-limit headers, usage counting."""

from __future__ import annotations

import subprocess
import sys

import httpx

from rewind_devkit.local_worker import ROOT, LocalWorker
from tests.helpers import add_image, add_key, bearer, unique


def _image(worker: LocalWorker) -> str:
    entity = unique("album")
    add_image(worker, "listening", "albums", entity)
    return f"/v1/images/listening/albums/{entity}/medium"


def test_missing_malformed_and_unknown_keys_are_401(
    worker: LocalWorker, client: httpx.Client
) -> None:
    path = _image(worker)
    for headers in (
        {},
        {"Authorization": "rw_live_nobearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        bearer("rw_live_unknown"),
        bearer("x" * 300),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {"error": "Unauthorized", "status": 401}


def test_rate_limit_headers_count_down_then_429(worker: LocalWorker, client: httpx.Client) -> None:
    token = add_key(worker, rate_limit_rpm=3)
    path = _image(worker)
    remaining = []
    for _ in range(3):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 302
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(response.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]
    limited = client.get(path, headers=bearer(token))
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too Many Requests", "status": 429}
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > 1_700_000_000


def test_make_key_mints_into_the_running_workers_database(
    worker: LocalWorker, client: httpx.Client
) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/keys.py", "--scope", "admin", "--state", str(worker.state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    raw = result.stdout.strip().rsplit(" ", 1)[1]
    assert raw.startswith("rw_admin_")
    assert client.get("/v1/admin/keys", headers=bearer(raw)).status_code == 200

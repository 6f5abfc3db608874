"""`make dev`: the session's Worker was started through scripts/dev.py (what `make dev` runs),
so its output is the command's own."""

from __future__ import annotations

import httpx

from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.tls import shared_tls_context


def test_dev_command_serves_health_and_prints_a_working_key(worker: LocalWorker) -> None:
    # The session's Worker was started through scripts/dev.py, which `make dev` runs.
    health = httpx.get(f"{worker.base_url}/v1/health", timeout=10, verify=shared_tls_context())
    assert health.json()["status"] == "ok"
    output = worker.log()
    key = output.split("Authorization: Bearer ", 1)[1].split("'", 1)[0]
    assert key.startswith("rw_live_")
    response = httpx.get(
        f"{worker.base_url}/v1/images/listening/albums/x/huge",
        headers={"Authorization": f"Bearer {key}"},
        verify=shared_tls_context(),
    )
    assert response.json()["error"].startswith("Invalid size: huge")

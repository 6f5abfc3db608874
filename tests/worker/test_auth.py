"""Bearer keys: 401/403/429, expiry, revocation, rate-limit headers, usage counting."""

from __future__ import annotations

import subprocess
import sys

import httpx

from rewind_devkit.local_worker import ROOT, LocalWorker
from tests.support.helpers import bearer


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

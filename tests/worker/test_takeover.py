"""Taking over the original's database under the local runtime: `wrangler d1 migrations apply
--local` (the real command, as `make deploy` runs it remotely) applies this service's migrations
on top of the original's schema, rows and migration records (tests/original.py) and changes
nothing of them; then the Worker under workerd serves the original's rows with its keys.
(Every row shape in every operation: tests/app/test_takeover.py.)"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import httpx

from rewind_devkit import local_d1
from rewind_devkit.local_worker import ROOT, WRANGLER, LocalWorker
from rewind_devkit.tls import shared_tls_context
from rewind_images.timestamps import wall_clock_ms
from tests.support import original
from tests.support.helpers import bearer
from tests.support.original import APPLE_MUSIC, NO_SOURCE, ORIGINAL_IMAGES, PLAYER_SILO, OriginalKey

DAY_MS = 86_400_000


def originals_state(state: Path, keys: list[OriginalKey]) -> dict[str, list[tuple[object, ...]]]:
    """A local state whose D1 database (wrangler.toml's) is the original's; what it holds."""
    # The template's layout names the D1 file of wrangler.toml's database; it is replaced by
    # one holding the original's database.
    shutil.copytree(local_d1.migrated_template() / "v3", state / "v3")
    path = local_d1.d1_sqlite_path(state)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    now = wall_clock_ms()
    with sqlite3.connect(path) as conn:
        original.build(conn, now)
        for image in ORIGINAL_IMAGES:
            image.insert(conn, now - DAY_MS)
        for key in keys:
            key.insert(conn, now - DAY_MS)
        before = original.snapshot(conn)
    conn.close()
    return before


def test_wrangler_migrates_the_originals_database_and_the_worker_serves_it(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    reader, admin = OriginalKey.mint("read"), OriginalKey.mint("admin")
    before = originals_state(state, [reader, admin])
    applied = subprocess.run(
        [str(WRANGLER), "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CI": "1"},
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    folder, table = local_d1.migrations_of()
    with sqlite3.connect(local_d1.d1_sqlite_path(state)) as conn:
        assert original.snapshot(conn) == before
        recorded = [name for (name,) in conn.execute(f"SELECT name FROM {table} ORDER BY id")]
    conn.close()
    assert recorded == sorted(p.name for p in folder.glob("*.sql"))

    worker = LocalWorker(
        vars=service_env, state_dir=state, migrate=False, registry=tmp_path / "registry"
    )
    worker.start()
    try:
        with httpx.Client(
            base_url=worker.base_url, timeout=60, verify=shared_tls_context()
        ) as client:
            hit = client.get("/v1/images/listening/albums/1842/small", headers=bearer(reader.raw))
            assert hit.status_code == 302, hit.text
            assert hit.headers["location"] == (
                "https://cdn.test/cdn-cgi/image/width=150,height=150,fit=cover,format=auto,"
                f"quality=85/{APPLE_MUSIC.r2_key}?v=1"
            )
            assert hit.headers["x-thumbhash"] == APPLE_MUSIC.thumbhash
            assert hit.headers["x-accent-color"] == APPLE_MUSIC.accent_color
            none = client.get("/v1/images/listening/albums/4410/small", headers=bearer(reader.raw))
            assert none.status_code == 404
            assert client.get("/v1/admin/images", headers=bearer(reader.raw)).status_code == 403
            listed = client.get(
                "/v1/admin/images", params={"status": "none"}, headers=bearer(admin.raw)
            ).json()
            assert [(d["entity_id"], d["image_version"]) for d in listed["data"]] == [
                ("4411", 0),
                (NO_SOURCE.entity_id, 0),
            ]
            players = client.get(
                "/v1/admin/images", params={"domain": "attending"}, headers=bearer(admin.raw)
            ).json()
            assert players["pagination"]["total"] == 2
            assert PLAYER_SILO.r2_key in {d["r2_key"] for d in players["data"]}
    finally:
        worker.stop()

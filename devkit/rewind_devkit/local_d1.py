"""The local D1 database of a `--persist-to` state directory: migrations and direct SQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRANGLER = ROOT / "scripts" / "wrangler-local"


def apply_migrations(state_dir: Path, config: Path | None = None) -> None:
    """Apply migrations/ to the local D1 database under `state_dir` (idempotent)."""
    args = [
        str(WRANGLER),
        "d1",
        "migrations",
        "apply",
        "DB",
        "--local",
        "--persist-to",
        str(state_dir),
    ]
    if config is not None:
        args += ["--config", str(config)]
    result = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "CI": "1"}
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrations failed:\n{result.stdout}\n{result.stderr}")


def d1_sqlite_path(state_dir: Path) -> Path:
    """The SQLite file that backs the local D1 database."""
    files = [p for p in (state_dir / "v3" / "d1").rglob("*.sqlite") if p.name != "metadata.sqlite"]
    if len(files) != 1:
        raise RuntimeError(f"expected one D1 sqlite file under {state_dir}, found {files}")
    return files[0]


def execute_sql(
    state_dir: Path, sql: str, params: tuple[object, ...] | None = None
) -> list[tuple[object, ...]]:
    """Run SQL directly on the local D1 file.

    With `params` (even empty) one statement runs and its rows are returned; without, a script.
    """
    with sqlite3.connect(d1_sqlite_path(state_dir), timeout=10) as conn:
        if params is not None:
            rows = conn.execute(sql, params).fetchall()
        else:
            conn.executescript(sql)
            rows = []
        conn.commit()
    return rows

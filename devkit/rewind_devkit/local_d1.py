"""The local D1 database of a `--persist-to` state directory: migrations and direct SQL."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRANGLER = ROOT / "scripts" / "wrangler-local"
MIGRATIONS = ROOT / "migrations"
TEMPLATES = ROOT / ".build" / "d1-templates"
WRANGLER_DEFAULT_MIGRATIONS_TABLE = "d1_migrations"


def migrations_of(config: Path | None = None) -> tuple[Path, str]:
    """The migrations folder of a configuration's D1 database and the table wrangler records
    them in (this service names its own table: wrangler.toml `migrations_table`)."""
    path = config or ROOT / "wrangler.toml"
    database = tomllib.loads(path.read_text())["d1_databases"][0]
    folder = path.parent / database.get("migrations_dir", "migrations")
    return folder, database.get("migrations_table", WRANGLER_DEFAULT_MIGRATIONS_TABLE)


def apply_migrations(state_dir: Path, config: Path | None = None) -> None:
    """Apply migrations/ to the local D1 database under `state_dir` (idempotent).

    `wrangler d1 migrations apply` costs about 4 s of CPU (Node and miniflare starting), so it
    runs once per set of migrations and configuration, into a template under .build/ that fresh
    state directories are copied from. A state directory that already has a database is
    migrated by wrangler only when a migration file is not yet recorded in it.
    """
    if _d1_files(state_dir):
        if _unapplied(state_dir, config):
            _wrangler_apply(state_dir, config)
        return
    template = migrated_template(config)
    shutil.copytree(template / "v3", state_dir / "v3", dirs_exist_ok=True)


def _wrangler_apply(state_dir: Path, config: Path | None) -> None:
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


def migrated_template(config: Path | None = None) -> Path:
    """A state directory holding only the migrated database, made by wrangler on first use.

    Its name is a digest of what decides its contents (the migrations, the configuration that
    names the database, wrangler's version); a lock keeps concurrent test processes from
    making it twice.
    """
    inputs = [config or ROOT / "wrangler.toml", ROOT / "node_modules" / "wrangler" / "package.json"]
    inputs += sorted(migrations_of(config)[0].glob("*.sql"))
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    template = TEMPLATES / digest.hexdigest()[:16]
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    with (TEMPLATES / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            partial = Path(tempfile.mkdtemp(prefix="partial-", dir=TEMPLATES))
            _wrangler_apply(partial, config)
            partial.rename(template)
    return template


def _d1_files(state_dir: Path) -> list[Path]:
    return [p for p in (state_dir / "v3" / "d1").rglob("*.sqlite") if p.name != "metadata.sqlite"]


def _unapplied(state_dir: Path, config: Path | None = None) -> bool:
    """Whether a migration file is missing from the database's own record of applied ones."""
    folder, table = migrations_of(config)
    with contextlib.closing(sqlite3.connect(d1_sqlite_path(state_dir), timeout=10)) as conn:
        try:
            applied = {name for (name,) in conn.execute(f'SELECT name FROM "{table}"')}
        except sqlite3.OperationalError:  # no migrations table yet
            return True
    return any(path.name not in applied for path in folder.glob("*.sql"))


def d1_sqlite_path(state_dir: Path) -> Path:
    """The SQLite file that backs the local D1 database."""
    files = _d1_files(state_dir)
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


if __name__ == "__main__":
    # setup.sh: make the template for wrangler.toml ahead of the first test or `make dev`.
    migrated_template()

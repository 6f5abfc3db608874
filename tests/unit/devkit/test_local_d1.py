"""The local D1 state of `wrangler dev`: a fresh state directory gets the migrated template (made
by `wrangler d1 migrations apply` once per set of migrations), a migrated one is left alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rewind_devkit import local_d1

TABLE = local_d1.migrations_of()[1]


def _applied(state: Path) -> list[str]:
    with sqlite3.connect(local_d1.d1_sqlite_path(state)) as conn:
        return [name for (name,) in conn.execute(f"SELECT name FROM {TABLE} ORDER BY id")]


def test_a_fresh_state_gets_every_migration_and_the_schema(tmp_path: Path) -> None:
    local_d1.apply_migrations(tmp_path)
    assert _applied(tmp_path) == sorted(p.name for p in local_d1.MIGRATIONS.glob("*.sql"))
    tables = local_d1.execute_sql(
        tmp_path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", ("images",)
    )
    assert tables == [("images",)]


def test_a_migrated_state_is_not_migrated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_d1.apply_migrations(tmp_path)
    local_d1.execute_sql(tmp_path, "CREATE TABLE kept (x INTEGER)")

    def no_wrangler(*_: object) -> None:
        raise AssertionError("wrangler was run for a migrated state")

    monkeypatch.setattr(local_d1, "_wrangler_apply", no_wrangler)
    local_d1.apply_migrations(tmp_path)
    assert local_d1.execute_sql(tmp_path, "SELECT count(*) FROM kept", ()) == [(0,)]


def test_a_state_missing_a_migration_is_migrated_by_wrangler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_d1.apply_migrations(tmp_path)
    last = _applied(tmp_path)[-1]
    local_d1.execute_sql(tmp_path, f"DELETE FROM {TABLE} WHERE name = ?", (last,))
    ran: list[Path] = []
    monkeypatch.setattr(local_d1, "_wrangler_apply", lambda state, _config: ran.append(state))
    local_d1.apply_migrations(tmp_path)
    assert ran == [tmp_path]

"""The change log's triggers on the sqlite double (the real migrations): every write to
`images` is logged, and each logged change prunes what is past the retention, so no reader
has to write."""

from __future__ import annotations

import re
from pathlib import Path

from rewind_images.config import CHANGE_RETENTION_MS
from tests.support.doubles import SqliteDatabase
from tests.support.helpers import add_image

MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def now_ms(db: SqliteDatabase) -> int:
    (value,) = db.sql("SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS integer)")[0]
    assert isinstance(value, int)
    return value


def log_row(db: SqliteDatabase, entity_id: str, changed_ms: int) -> None:
    db.sql(
        "INSERT INTO image_changes (domain, entity_type, entity_id, changed_ms)"
        " VALUES ('listening', 'albums', ?, ?)",
        (entity_id, changed_ms),
    )


def logged(db: SqliteDatabase) -> list[object]:
    return [entity_id for (entity_id,) in db.sql("SELECT entity_id FROM image_changes ORDER BY id")]


def test_a_write_drops_the_log_rows_past_the_retention_and_keeps_the_rest() -> None:
    db = SqliteDatabase()
    now = now_ms(db)
    log_row(db, "too-old", now - CHANGE_RETENTION_MS - 60_000)
    log_row(db, "within", now - CHANGE_RETENTION_MS + 60_000)
    assert logged(db) == ["too-old", "within"]  # the retention counts back from each change
    add_image(db, "listening", "albums", "new")
    assert logged(db) == ["within", "new"]


def test_the_log_keeps_everything_younger_than_the_retention() -> None:
    db = SqliteDatabase()
    now = now_ms(db)
    for minutes in (59, 30, 1):
        log_row(db, f"{minutes}m", now - minutes * 60_000)
    add_image(db, "listening", "albums", "a")
    db.sql("UPDATE images SET image_version = 2 WHERE entity_id = 'a'")
    db.sql("DELETE FROM images WHERE entity_id = 'a'")
    assert logged(db) == ["59m", "30m", "1m", "a", "a", "a"]


def test_the_pruning_trigger_uses_the_configured_retention() -> None:
    script = (MIGRATIONS / "0004_image_changes_prune.sql").read_text()
    (retention,) = re.findall(r"NEW\.changed_ms - (\d+)", script)
    assert int(retention) == CHANGE_RETENTION_MS

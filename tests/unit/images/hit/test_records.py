"""The per-isolate record cache and its change-log polling (fake D1, fake clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from rewind_images.config import (
    CHANGE_RETENTION_MS,
    MAX_CHANGES_PER_POLL,
    Settings,
)
from rewind_images.context import Context
from rewind_images.images.hit import records
from rewind_images.images.hit.records import RecordCache, sync
from rewind_images.images.row import ImageRecord
from rewind_images.images.store.change_log import CHANGES_SINCE, LATEST_CHANGE
from rewind_images.images.store.image_rows import SELECT_IMAGE
from tests.support.doubles import DoubleFailure, SqliteDatabase
from tests.support.helpers import add_image

POLL_MS = 15_000

SETTINGS = Settings()


class FakeDb:
    def __init__(self) -> None:
        self.latest = 0
        self.changes: list[dict[str, Any]] = []
        self.queries: list[str] = []
        self.runs: list[tuple[str, tuple[Any, ...]]] = []
        self.fail = False

    async def first(self, sql: str, *params: Any) -> dict[str, Any] | None:
        self.queries.append(sql)
        if self.fail:
            raise RuntimeError("D1 down")
        assert sql == LATEST_CHANGE
        return {"id": self.latest}

    async def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        self.queries.append(sql)
        if self.fail:
            raise RuntimeError("D1 down")
        assert sql == CHANGES_SINCE
        after, limit = params
        return [c for c in self.changes if c["id"] > after][:limit]

    async def run(self, sql: str, *params: Any) -> int:
        self.queries.append(sql)
        self.runs.append((sql, params))
        return 0

    def change(self, entity: str) -> None:
        self.latest += 1
        self.changes.append(
            {"id": self.latest, "domain": "listening", "entity_type": "albums", "entity_id": entity}
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000_000

    def __call__(self) -> int:
        return self.now


def record(version: int = 1) -> ImageRecord:
    return ImageRecord("k", "deezer", None, 1, 1, "h", None, None, None, False, version, "t")


def make_context(
    db: FakeDb | SqliteDatabase, clock: Clock, wait_until: Callable[[Awaitable[Any]], None]
) -> Context:
    """A Context with only what the record cache uses: D1, the clock, background work."""
    return Context(
        settings=Settings(change_poll_seconds=POLL_MS // 1000),
        db=db,  # type: ignore[arg-type]
        bucket=None,  # type: ignore[arg-type]
        transformer=None,  # type: ignore[arg-type]
        fetcher=None,  # type: ignore[arg-type]
        queue=None,  # type: ignore[arg-type]
        wait_until=wait_until,
        clock_ms=clock,
    )


def sqlite_context(db: SqliteDatabase, clock: Clock) -> Context:
    return make_context(
        db, clock, lambda awaitable: pytest.fail(f"nothing runs in the background: {awaitable}")
    )


@pytest.fixture
def setup():
    db, clock, scheduled = FakeDb(), Clock(), []
    ctx = make_context(db, clock, scheduled.append)
    yield ctx, db, clock, scheduled
    for awaitable in scheduled:
        awaitable.close()  # background work a test did not run


def entity(name: str) -> tuple[str, str, str]:
    return ("listening", "albums", name)


def test_first_sync_takes_the_latest_change_as_watermark(setup):
    ctx, db, _, scheduled = setup
    db.change("a")
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    assert cache.watermark == 1
    assert db.queries == [LATEST_CHANGE]
    assert scheduled == []  # a reader never writes (the log prunes itself: migrations/0004)


def test_no_query_until_the_poll_interval_passes(setup):
    ctx, db, clock, _ = setup
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    queries = len(db.queries)
    clock.now += POLL_MS - 1
    asyncio.run(sync(ctx, cache))
    assert len(db.queries) == queries


def test_changed_entities_are_dropped_and_others_kept(setup):
    ctx, db, clock, _ = setup
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    cache.remember(entity("a"), record())
    cache.remember(entity("b"), record())
    db.change("a")
    clock.now += POLL_MS
    asyncio.run(sync(ctx, cache))
    assert entity("a") not in cache.records
    assert entity("b") in cache.records
    assert cache.watermark == db.latest


def test_too_many_changes_drop_everything(setup):
    ctx, db, clock, _ = setup
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    cache.remember(entity("keep?"), record())
    for n in range(MAX_CHANGES_PER_POLL):
        db.change(f"other{n}")
    clock.now += POLL_MS
    asyncio.run(sync(ctx, cache))
    assert cache.records == {}
    assert cache.watermark == MAX_CHANGES_PER_POLL


def test_an_isolate_idle_past_the_retention_starts_over(setup):
    ctx, db, clock, _ = setup
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    cache.remember(entity("a"), record())
    clock.now += 2 * 3_600_000
    asyncio.run(sync(ctx, cache))
    assert cache.records == {}
    assert db.queries.count(LATEST_CHANGE) == 2


def test_a_failed_poll_clears_the_cache_and_raises(setup):
    ctx, db, clock, _ = setup
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    cache.remember(entity("a"), record())
    db.fail = True
    clock.now += POLL_MS
    with pytest.raises(RuntimeError):
        asyncio.run(sync(ctx, cache))
    assert cache.records == {}
    assert cache.watermark is None


def test_the_cache_holds_at_most_its_bound_dropping_the_oldest(monkeypatch):
    monkeypatch.setattr(records, "RECORD_CACHE_MAX_ENTRIES", 2)
    cache = RecordCache()
    build = lambda rec, size, settings: {"size": size}  # noqa: E731
    for name in ("a", "b", "c"):
        cache.remember(entity(name), record())
        cache.headers_for(entity(name), "small", cache.records[entity(name)], SETTINGS, build)
    assert list(cache.records) == [entity("b"), entity("c")]
    assert list(cache.derived) == [(entity("b"), "small"), (entity("c"), "small")]


def test_headers_are_built_once_per_cached_record_and_size():
    cache = RecordCache()
    built: list[tuple[str, int, str]] = []

    def build(rec: ImageRecord, size: str, settings: Settings) -> dict[str, str]:
        built.append((rec.r2_key, rec.image_version, size))
        return {"location": f"{size}?v={rec.image_version}"}

    first = record(1)
    for _ in range(2):
        assert cache.headers_for(entity("a"), "small", first, SETTINGS, build) == {
            "location": "small?v=1"
        }
        assert cache.headers_for(entity("a"), "large", first, SETTINGS, build) == {
            "location": "large?v=1"
        }
        assert cache.headers_for(entity("b"), "small", first, SETTINGS, build) == {
            "location": "small?v=1"
        }
    assert built == [("k", 1, "small"), ("k", 1, "large"), ("k", 1, "small")]
    # A new record object (a new version read from D1) builds its headers anew, once.
    second = record(2)
    for _ in range(2):
        assert cache.headers_for(entity("a"), "small", second, SETTINGS, build) == {
            "location": "small?v=2"
        }
    assert built[3:] == [("k", 2, "small")]


def test_forget_drops_one_entity():
    cache = RecordCache()
    cache.remember(entity("a"), record())
    cache.remember(entity("b"), record())
    cache.forget(entity("a"))
    cache.forget(entity("never cached"))
    assert list(cache.records) == [entity("b")]


def test_an_isolate_idle_for_half_the_retention_still_reads_the_log(setup):
    ctx, db, clock, _ = setup
    cache = RecordCache()
    asyncio.run(sync(ctx, cache))
    cache.remember(entity("a"), record())
    clock.now += CHANGE_RETENTION_MS // 2
    asyncio.run(sync(ctx, cache))
    assert entity("a") in cache.records
    assert db.queries.count(CHANGES_SINCE) == 1
    clock.now += CHANGE_RETENTION_MS // 2 + 1
    asyncio.run(sync(ctx, cache))
    assert cache.records == {}
    assert db.queries.count(LATEST_CHANGE) == 2


def test_a_record_read_once_is_served_from_the_cache_and_a_missing_one_is_asked_again():
    db, clock = SqliteDatabase(), Clock()
    add_image(db, "listening", "albums", "a", source="deezer")
    scheduled: list[Any] = []
    ctx = make_context(db, clock, scheduled.append)

    def reads() -> int:
        return sum(1 for sql, _ in db.log if sql == SELECT_IMAGE)

    found = asyncio.run(records.lookup(ctx, entity("a")))
    assert found is not None
    assert found.source == "deezer"
    assert asyncio.run(records.lookup(ctx, entity("a"))) is found
    assert reads() == 1
    for _ in range(2):  # no row: not cached, so the next request sees a row written meanwhile
        assert asyncio.run(records.lookup(ctx, entity("none"))) is None
    assert reads() == 3
    for awaitable in scheduled:
        awaitable.close()


def test_a_fresh_isolate_reads_the_watermark_and_the_record_in_one_batch():
    db, clock = SqliteDatabase(), Clock()
    add_image(db, "listening", "albums", "a", source="deezer")
    ctx = sqlite_context(db, clock)
    found = asyncio.run(records.lookup(ctx, entity("a")))
    assert found is not None
    assert found.source == "deezer"
    # One D1 round trip: the batch's two statements, nothing before or after.
    assert db.log == [(LATEST_CHANGE, ()), (SELECT_IMAGE, entity("a"))]
    cache = records.cache(ctx)
    assert cache.watermark == db.sql("SELECT max(id) FROM image_changes")[0][0]
    assert asyncio.run(records.lookup(ctx, entity("a"))) is found
    assert len(db.log) == 2  # then served from the cache


def test_starting_over_on_a_miss_reads_the_watermark_and_remembers_nothing():
    db, clock = SqliteDatabase(), Clock()
    ctx = sqlite_context(db, clock)
    assert asyncio.run(records.lookup(ctx, entity("none"))) is None
    assert db.log == [(LATEST_CHANGE, ()), (SELECT_IMAGE, entity("none"))]
    assert records.cache(ctx).watermark == 0
    assert records.cache(ctx).records == {}


def test_an_isolate_idle_past_half_the_retention_starts_over_in_one_batch():
    db, clock = SqliteDatabase(), Clock()
    add_image(db, "listening", "albums", "a", source="deezer")
    ctx = sqlite_context(db, clock)
    asyncio.run(records.lookup(ctx, entity("a")))
    records.cache(ctx).remember(entity("b"), record())
    clock.now += CHANGE_RETENTION_MS // 2 + 1
    db.log.clear()
    found = asyncio.run(records.lookup(ctx, entity("a")))
    assert found is not None
    assert db.log == [(LATEST_CHANGE, ()), (SELECT_IMAGE, entity("a"))]
    assert entity("b") not in records.cache(ctx).records  # the whole cache started over


def test_a_failed_start_over_leaves_no_watermark_and_raises():
    db, clock = SqliteDatabase(), Clock()
    ctx = sqlite_context(db, clock)
    db.fail_sql = "image_changes"
    with pytest.raises(DoubleFailure):
        asyncio.run(records.lookup(ctx, entity("a")))
    cache = records.cache(ctx)
    assert cache.watermark is None
    assert cache.records == {}
    db.fail_sql = None
    asyncio.run(records.lookup(ctx, entity("a")))  # the next request starts over
    assert records.cache(ctx).watermark == 0

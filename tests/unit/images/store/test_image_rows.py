"""Batched D1 reads under the bound-parameter limit, and the placeholder store's chunks."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from rewind_images.config import D1_MAX_BOUND_PARAMETERS
from rewind_images.images.store import placeholder_rows
from rewind_images.images.store.image_rows import batched_select, get_images
from tests.support.doubles import SqliteDatabase


def entities(n: int, kinds: int = 1) -> list[tuple[str, str, str]]:
    types = ["albums", "artists", "movies", "shows", "releases", "articles"]
    return [("listening", types[i % kinds], f"e{i}") for i in range(n)]


@pytest.mark.parametrize(
    ("n", "kinds", "statements"),
    [(1, 1, 1), (100, 1, 1), (100, 6, 1), (101, 1, 2), (250, 3, 3), (1000, 6, 10)],
)
def test_one_bound_parameter_per_entity(n: int, kinds: int, statements: int) -> None:
    found = batched_select(entities(n, kinds))
    assert len(found) == statements
    assert all(len(params) <= D1_MAX_BOUND_PARAMETERS for _, params in found)
    assert sum(len(params) for _, params in found) == n


def test_repeats_are_read_once_and_nothing_is_no_statement() -> None:
    assert batched_select([("listening", "albums", "a")] * 5)[0][1] == ["listening/albums/a"]
    assert batched_select([]) == []


def test_the_path_index_serves_the_read() -> None:
    db = SqliteDatabase()
    sql, params = batched_select(entities(3))[0]
    plan = db.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    assert "USING INDEX idx_images_path" in str([tuple(r) for r in plan])


def test_rows_are_matched_back_by_their_own_columns() -> None:
    db = SqliteDatabase()
    for entity_id in ("a", "b/c"):  # 'b/c' is invalid through the API, but may be in D1
        db.sql(
            "INSERT INTO images (domain, entity_type, entity_id, r2_key, source, created_at)"
            " VALUES ('listening', 'albums', ?, 'k', 's', 't')",
            (entity_id,),
        )
    db.sql(
        "INSERT INTO images (domain, entity_type, entity_id, r2_key, source, created_at)"
        " VALUES ('listening', 'albums/b', 'c', 'k', 's', 't')"
    )
    found = asyncio.run(
        get_images(db, [("listening", "albums", "a"), ("listening", "albums", "b/c")])
    )
    assert set(found) == {("listening", "albums", "a"), ("listening", "albums", "b/c")}


def test_placeholders_are_read_and_written_in_chunks_under_the_limit() -> None:
    db = SqliteDatabase()
    urls = {f"hash{i:03d}": f"data:{i}" for i in range(230)}
    asyncio.run(placeholder_rows.save_placeholders(db, urls))
    assert asyncio.run(placeholder_rows.get_placeholders(db, list(urls))) == urls
    # A hash has one data URL: saving it again keeps the row.
    asyncio.run(placeholder_rows.save_placeholders(db, {"hash000": "other"}))
    assert asyncio.run(placeholder_rows.get_placeholders(db, ["hash000"])) == {"hash000": "data:0"}
    assert all(len(params) <= D1_MAX_BOUND_PARAMETERS for _, params in db.log)


def test_the_double_refuses_what_d1_refuses() -> None:
    db = SqliteDatabase()
    with pytest.raises(Exception, match="too many SQL variables"):
        asyncio.run(db.all("SELECT 1 WHERE 1 IN (" + ",".join("?" * 101) + ")", *range(101)))
    assert isinstance(db.conn, sqlite3.Connection)

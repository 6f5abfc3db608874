"""Hints cannot lock an entity out (issue 10, point 1): a miss no source can be asked for writes
nothing; a "no image" record is asked again with other hints (at most once per entity per retry
interval), with its own hints when a request brings none; a found image stays."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.timestamps import iso_from_ms
from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_expired_no_image, add_key, bearer, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}
NOTHING = {"artist_name": "Nobody", "album_name": "Nothing"}
RETRY_S = 300  # the default HINT_RETRY_SECONDS
TTL_S = 7 * 24 * 3600  # the default NEGATIVE_TTL_SECONDS


@pytest.fixture
def key(service: InProcessApp) -> dict[str, str]:
    return bearer(add_key(service, rate_limit_rpm=100_000))


def url(entity: str, kind: str = "listening/albums", **hints: str) -> str:
    query = f"?{urlencode(hints)}" if hints else ""
    return f"/v1/images/{kind}/{entity}/medium{query}"


def test_a_miss_without_usable_hints_is_a_404_that_writes_nothing(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    entity = unique("nohints")
    calls = len(upstream.requests)
    # Albums need an artist and an album name (or an mbid): every source declines.
    for hints in ({}, {"artist_name": "Daft Punk"}, {"album_name": "Discovery"}):
        response = client.get(url(entity, **hints), headers=key)
        assert response.status_code == 404
        assert response.json() == {"error": "No image available for this entity", "status": 404}
    assert row(service, "listening", "albums", entity) is None
    assert service.sql("SELECT count(*) FROM image_changes") == [(0,)]
    assert len(upstream.requests) == calls
    # A minute later the right hints find the image: nothing was recorded against it.
    assert client.get(url(entity, **DISCOVERY), headers=key).status_code == 302


def test_random_ids_without_hints_add_no_rows_and_ask_no_upstream(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    calls = len(upstream.requests)
    kinds = ("listening/albums", "listening/artists", "watching/movies", "reading/articles")
    for i in range(100):
        kind = kinds[i % len(kinds)]
        assert client.get(url(unique("random"), kind), headers=key).status_code == 404
    assert service.sql("SELECT count(*) FROM images") == [(0,)]
    assert service.sql("SELECT count(*) FROM image_changes") == [(0,)]
    assert len(upstream.requests) == calls


def test_a_source_without_its_secret_declines_so_nothing_is_written(
    make_app: Callable[..., InProcessApp], upstream: FakeUpstream
) -> None:
    # Movies are TMDB (token) then Fanart (key): without both secrets no source can be asked.
    service = make_app(TMDB_API_READ_TOKEN=None, FANART_API_KEY=None)
    key = bearer(add_key(service))
    entity = unique("nosecret")
    calls = len(upstream.requests)
    with service.client() as client:
        response = client.get(url(entity, "watching/movies", tmdb_id="603"), headers=key)
    assert response.status_code == 404
    assert row(service, "watching", "movies", entity) is None
    assert len(upstream.requests) == calls


def test_a_no_image_record_is_asked_again_with_other_hints_after_the_retry_interval(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    clock = ManualClock(service)
    entity = unique("wronghints")
    assert client.get(url(entity, **NOTHING), headers=key).status_code == 404
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert json.loads(stored["search_hints"]) == NOTHING

    # Within the interval: the record answers, no upstream is asked.
    clock.advance(RETRY_S - 1)
    calls = len(upstream.requests)
    assert client.get(url(entity, **DISCOVERY), headers=key).status_code == 404
    assert len(upstream.requests) == calls

    # After it (not after the 7-day TTL) the other hints run the pipeline.
    clock.advance(1)
    found = client.get(url(entity, **DISCOVERY), headers=key)
    assert found.status_code == 302, found.text
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "apple_music"
    assert json.loads(stored["search_hints"]) == DISCOVERY


def test_the_same_hints_do_not_ask_again_and_varying_hints_at_most_once_per_interval(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    clock = ManualClock(service)
    entity = unique("varying")
    assert client.get(url(entity, **NOTHING), headers=key).status_code == 404
    clock.advance(RETRY_S)
    calls = len(upstream.requests)
    # The same hints (or none, which means the record's own) wait for the TTL.
    assert client.get(url(entity, **NOTHING), headers=key).status_code == 404
    assert client.get(url(entity), headers=key).status_code == 404
    assert len(upstream.requests) == calls

    # Other hints: one run, then the interval starts again for every other hint.
    other = {"artist_name": "Nobody", "album_name": "Something Else"}
    assert client.get(url(entity, **other), headers=key).status_code == 404
    after_one = len(upstream.requests)
    assert after_one > calls
    for album in ("Third", "Fourth", "Fifth"):
        hints = {"artist_name": "Nobody", "album_name": album}
        assert client.get(url(entity, **hints), headers=key).status_code == 404
    assert len(upstream.requests) == after_one
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert json.loads(stored["search_hints"]) == other


def test_a_no_image_record_is_asked_again_only_once_the_negative_ttl_has_passed(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    clock = ManualClock(service)
    made = clock.now
    entity = unique("ttl")
    assert client.get(url(entity, **NOTHING), headers=key).status_code == 404
    calls = len(upstream.requests)
    # Old but inside the TTL (6 days 23 hours, then its last second): the record answers,
    # with the same hints or none.
    for age_s in (TTL_S - 3600, TTL_S - 1):
        clock.now = made + age_s * 1000
        assert client.get(url(entity, **NOTHING), headers=key).status_code == 404
        assert client.get(url(entity), headers=key).status_code == 404
    assert len(upstream.requests) == calls

    # Seven days on, the sources are asked again, and the record's age starts anew.
    clock.advance(1)
    assert client.get(url(entity), headers=key).status_code == 404
    assert len(upstream.requests) > calls
    (checked,) = service.sql("SELECT created_at FROM images WHERE entity_id = ?", (entity,))
    assert checked == (iso_from_ms(made + TTL_S * 1000),)


def test_past_the_ttl_a_request_without_hints_searches_with_the_stored_ones(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    entity = unique("storedhints")
    add_expired_no_image(service, entity)
    service.sql(
        "UPDATE images SET search_hints = ? WHERE entity_id = ?",
        (json.dumps(DISCOVERY, sort_keys=True), entity),
    )
    before = upstream.count("/apple/")
    response = client.get(url(entity), headers=key)
    assert response.status_code == 302, response.text
    assert upstream.count("/apple/") > before
    apple = [r.path for r in upstream.requests if r.path.startswith("/apple/")][-1]
    assert "Discovery" in apple
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert json.loads(stored["search_hints"]) == DISCOVERY


def test_a_found_image_is_never_replaced_by_a_read_with_other_hints(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    clock = ManualClock(service)
    entity = unique("found")
    first = client.get(url(entity, **DISCOVERY), headers=key)
    assert first.status_code == 302
    clock.advance(RETRY_S + 7 * 24 * 3600)
    calls = len(upstream.requests)
    other = {"artist_name": "Air", "album_name": "Moon Safari"}
    again = client.get(url(entity, **other), headers=key)
    assert again.headers["location"] == first.headers["location"]
    assert len(upstream.requests) == calls


def test_revert_searches_with_new_hints_and_keeps_them(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: dict[str, str]
) -> None:
    admin = bearer(add_key(service, scope="admin"))
    entity = unique("reverthints")
    put = client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        json={"source_url": upstream.url("/img/redirect-target/cover.png")},
        headers=admin,
    )
    assert put.status_code == 200
    reverted = client.delete(
        f"/v1/admin/images/listening/albums/{entity}/override", params=DISCOVERY, headers=admin
    )
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["source"] == "apple_music"
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert json.loads(stored["search_hints"]) == DISCOVERY

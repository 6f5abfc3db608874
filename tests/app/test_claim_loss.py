"""The entity claim under stress (issue 10, points 6 and 11): a run that lost its claim writes
nothing, removes its own object and answers the record that won; the miss's deadline stays
under the lease; a request waiting on a claim whose row vanished runs the pipeline itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rewind_images.config import CLAIM_LEASE_MS, CLAIM_STORE_RESERVE_MS, Settings
from rewind_images.images.resolution import search
from rewind_images.images.writing import claims
from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_expired_no_image, add_key, bearer, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}  # a PNG from Apple
GIF = {"artist_name": "Fault Injection", "album_name": "sample-gif"}  # a GIF from Apple
LEASE_S = CLAIM_LEASE_MS / 1000


@pytest.fixture
def key(service: InProcessApp) -> dict[str, str]:
    return bearer(add_key(service, rate_limit_rpm=100_000))


def _url(entity: str) -> str:
    return f"/v1/images/listening/albums/{entity}/medium"


def _get(service: InProcessApp, entity: str, hints: dict[str, str], key: dict[str, str]) -> Any:
    query = "&".join(f"{k}={v.replace(' ', '+')}" for k, v in hints.items())
    return service.respond("GET", f"{_url(entity)}?{query}", key)


def _objects(service: InProcessApp, entity: str) -> list[str]:
    return sorted(k for k in service.r2_objects() if f"/{entity}/" in k)


def test_a_run_that_lost_its_claim_during_the_search_writes_nothing(
    service: InProcessApp, key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(service)
    entity = unique("lost-search")
    original = search.find
    winner: list[httpx.Response] = []
    runs: list[int] = []

    async def slow_find(*args: Any) -> search.Search:
        found = await original(*args)
        runs.append(1)
        if len(runs) == 1:  # the first run outlives its lease; a second request takes over
            clock.advance(LEASE_S + 1)
            winner.append(await _get(service, entity, GIF, key))
        return found

    monkeypatch.setattr(search, "find", slow_find)
    loser = service.run(_get(service, entity, DISCOVERY, key))
    assert winner[0].status_code == 302
    assert loser.status_code == 302
    assert loser.headers["location"] == winner[0].headers["location"]
    assert loser.headers["location"].endswith(f"/{entity}/original.gif?v=1")
    assert _objects(service, entity) == [f"listening/albums/{entity}/original.gif"]
    assert service.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]


def test_a_run_that_lost_its_claim_after_its_put_removes_its_own_object(
    service: InProcessApp, key: dict[str, str]
) -> None:
    clock = ManualClock(service)
    entity = unique("lost-put")
    original = service.bucket.put
    winner: list[httpx.Response] = []
    puts: list[str] = []

    async def slow_put(object_key: str, body: bytes, **kwargs: Any) -> None:
        puts.append(object_key)
        if len(puts) == 1:  # the put outlives the renewed lease; a second request takes over
            clock.advance(LEASE_S + 1)
            winner.append(await _get(service, entity, GIF, key))
        await original(object_key, body, **kwargs)

    service.bucket.put = slow_put  # type: ignore[method-assign]
    loser = service.run(_get(service, entity, DISCOVERY, key))
    assert winner[0].status_code == 302
    assert loser.status_code == 302
    assert loser.headers["location"] == winner[0].headers["location"]
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["r2_key"] == f"listening/albums/{entity}/original.gif"
    # The loser's JPEG (Apple Music's) was put after the winner's row, and removed again.
    assert puts == [f"listening/albums/{entity}/original.jpg", stored["r2_key"]]
    assert _objects(service, entity) == [stored["r2_key"]]


def test_the_claim_is_renewed_before_the_put_so_a_long_search_keeps_it(
    service: InProcessApp, key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(service)
    entity = unique("renewed")
    original_find, original_put = search.find, service.bucket.put
    leases: list[tuple[int, int]] = []

    async def long_find(*args: Any) -> search.Search:
        found = await original_find(*args)
        clock.advance(LEASE_S - 1)  # close to the end of the lease, still held
        return found

    async def watched_put(object_key: str, body: bytes, **kwargs: Any) -> None:
        (expires,) = service.sql(
            "SELECT expires_at FROM image_claims WHERE entity_id = ?", (entity,)
        )
        leases.append((clock.now, int(str(expires[0]))))
        await original_put(object_key, body, **kwargs)

    monkeypatch.setattr(search, "find", long_find)
    service.bucket.put = watched_put  # type: ignore[method-assign]
    response = service.run(_get(service, entity, DISCOVERY, key))
    assert response.status_code == 302
    # At the put the claim runs a full lease from then, not from when it was taken.
    assert leases == [(clock.now, clock.now + CLAIM_LEASE_MS)]
    assert _objects(service, entity) == [f"listening/albums/{entity}/original.jpg"]


def test_the_miss_deadline_stays_under_the_lease() -> None:
    assert Settings().search_deadline_ms == 25_000
    longest = CLAIM_LEASE_MS - CLAIM_STORE_RESERVE_MS
    assert Settings(miss_deadline_ms=10 * CLAIM_LEASE_MS).search_deadline_ms == longest


def test_a_search_past_the_miss_deadline_is_a_502_that_records_nothing(
    make_app: Callable[..., InProcessApp],
) -> None:
    service = make_app(MISS_DEADLINE_MS="200")
    key = bearer(add_key(service))
    entity = unique("deadline")
    slow = {"artist_name": "Fault Injection", "album_name": "slow"}  # a 0.5 s download
    response = service.run(_get(service, entity, slow, key))
    assert response.status_code == 502
    assert response.json() == {"error": "Image sources failed; try again later", "status": 502}
    assert row(service, "listening", "albums", entity) is None
    assert _objects(service, entity) == []


def test_a_request_waiting_on_a_claim_whose_row_vanished_runs_the_pipeline(
    service: InProcessApp, key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    entity = unique("vanished")
    # A "no image" row past its TTL, and another writer (an admin delete) holding the claim.
    add_expired_no_image(service, entity)
    service.sql(
        "INSERT INTO image_claims (domain, entity_type, entity_id, token, expires_at)"
        " VALUES ('listening', 'albums', ?, 'admin-delete', ?)",
        (entity, 2**62),
    )
    original = claims.wait_for_release

    async def deleted_meanwhile(*args: Any) -> Any:
        # The delete finishes while this request waits: row and claim are gone.
        service.sql("DELETE FROM images WHERE entity_id = ?", (entity,))
        service.sql("DELETE FROM image_claims WHERE entity_id = ?", (entity,))
        return await original(*args)

    monkeypatch.setattr(claims, "wait_for_release", deleted_meanwhile)
    response = service.run(_get(service, entity, DISCOVERY, key))
    assert response.status_code == 302, response.text  # was 502 "Image sources failed"
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "apple_music"
    assert _objects(service, entity) == [f"listening/albums/{entity}/original.jpg"]


LEMONADE = {"artist_name": "Beyoncé", "album_name": "Lemonade"}  # a JPEG from Deezer


def test_a_run_that_lost_its_lease_before_its_put_never_replaces_the_winners_object(
    service: InProcessApp, key: dict[str, str]
) -> None:
    # Issue 23: object keys are fixed (`original.jpg` for both runs here), so a run that
    # renewed its claim, then stalled past its lease, must not put its bytes over the object
    # of the run that took over: the object and the row it names stay together.
    clock = ManualClock(service)
    entity = unique("fenced")
    original = service.bucket.put
    winner: list[httpx.Response] = []
    puts: list[tuple[str, bool]] = []
    stalled: list[bool] = []

    async def stalled_put(object_key: str, body: bytes, **kwargs: Any) -> bool:
        if not stalled:  # the loser's first put: it stalls past its lease right here
            stalled.append(True)
            clock.advance(LEASE_S + 1)
            winner.append(await _get(service, entity, LEMONADE, key))
        stored = await original(object_key, body, **kwargs)
        puts.append((kwargs["custom_metadata"]["x-source"], stored))
        return stored

    service.bucket.put = stalled_put  # type: ignore[method-assign]
    loser = service.run(_get(service, entity, DISCOVERY, key))
    assert winner[0].status_code == 302
    assert loser.status_code == 302
    assert loser.headers["location"] == winner[0].headers["location"]
    # The winner's put landed; the loser's (after the winner's) was refused by R2's condition.
    assert puts == [("deezer", True), ("apple_music", False)]
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "deezer"
    (obj,) = [o for k, o in service.r2_objects().items() if f"/{entity}/" in k]
    assert obj["custom_metadata"]["x-source"] == "deezer"  # the bytes are the row's


def test_a_put_replaces_an_earlier_object_only_after_confirming_the_claim(
    service: InProcessApp, key: dict[str, str]
) -> None:
    # The etag-fenced branch: the key already holds an object (an earlier row's), which the
    # holder may replace, exactly that object, once its claim is confirmed again.
    entity = unique("replace")
    first = service.run(_get(service, entity, DISCOVERY, key))
    assert first.status_code == 302
    (before,) = [o for k, o in service.r2_objects().items() if f"/{entity}/" in k]
    service.sql(  # the row expires as "no image" while the object stays: the next miss replaces
        "UPDATE images SET r2_key = '', source = 'none', created_at = '2020-01-01T00:00:00.000Z'"
        " WHERE entity_id = ?",
        (entity,),
    )
    service.bucket.objects[f"listening/albums/{entity}/original.jpg"].custom_metadata[
        "x-source"
    ] = "earlier"
    service.state.clear()  # a fresh isolate: no cached record
    again = service.run(_get(service, entity, LEMONADE, key))
    assert again.status_code == 302
    (after,) = [o for k, o in service.r2_objects().items() if f"/{entity}/" in k]
    assert before["custom_metadata"]["x-source"] == "apple_music"
    assert after["custom_metadata"]["x-source"] == "deezer"

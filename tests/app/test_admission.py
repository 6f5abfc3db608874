"""The one door (issue 19): every way to a resolution (GET, batch, RPC's shared answer, demo
page, backfill, queue consumer) decides by the same rules: validation, askability, the negative
TTL, the hint retry, failed background resolutions, and the caller's miss budget.

The findings these pin were measured on the earlier code by an adversarial probe: rows written
for items no source could be asked for, batches past a key's 429 still queueing, hint retries
ignored, a lone surrogate making a batch a 500 and a row no route could name, `pending` forever
after dead letters, memos and echoes growing with junk input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.config import (
    MAX_ECHO_LENGTH,
    MEMO_MAX_REQUEST_LENGTH,
    VALIDATION_MEMO_MAX_ENTRIES,
)
from rewind_images.memo import BoundedDict
from tests.support.app_client import InProcessApp
from tests.support.helpers import ManualClock, add_key, bearer, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}
POOR = {"artist_name": "Nobody", "album_name": "Nothing"}  # the fake knows no such album
FAILING = {"artist_name": "Fault Injection", "album_name": "http-500"}
MINUTE = 60


def album(entity_id: str, **hints: Any) -> dict[str, Any]:
    return {"domain": "listening", "entity_type": "albums", "entity_id": entity_id, **hints}


def movie(entity_id: str, **hints: Any) -> dict[str, Any]:
    return {"domain": "watching", "entity_type": "movies", "entity_id": entity_id, **hints}


def batch(client: httpx.Client, key: str, items: list[Any], **body: Any) -> httpx.Response:
    # json.dumps escapes non-ASCII, so a lone surrogate is sent as "\udfff", as a hostile client
    # would send it (httpx's json= cannot encode one).
    return client.post(
        "/v1/images/attachments",
        content=json.dumps({"items": items, **body}),
        headers={**bearer(key), "content-type": "application/json"},
    )


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [answer["status"] for answer in response.json()["data"]]


def image_rows(app: InProcessApp) -> int:
    return int(app.sql("SELECT count(*) FROM images")[0][0])  # type: ignore[arg-type]


@pytest.fixture
def clocked(make_app: Callable[..., InProcessApp]) -> tuple[InProcessApp, ManualClock]:
    app = make_app(MISS_LIMIT_PER_MINUTE="5")
    return app, ManualClock(app)


# --- askability: nothing written, nothing queued --------------------------------------------


def test_items_no_source_can_be_asked_for_are_none_and_write_nothing(
    make_app: Callable[..., InProcessApp], upstream: FakeUpstream
) -> None:
    # No TMDB token and no Fanart.tv key: a movie's tmdb_id helps no source; an album without
    # hints helps none either (the 40 + 40).
    app = make_app(TMDB_API_READ_TOKEN=None, FANART_API_KEY=None)
    key = add_key(app, rate_limit_rpm=100_000)
    items = [album(unique("bare")) for _ in range(40)]
    items += [movie(unique("film"), tmdb_id=str(1000 + n)) for n in range(40)]
    calls = len(upstream.requests)
    with app.client() as client:
        assert statuses(batch(client, key, items)) == ["none"] * 80
    assert app.queue.sent == []
    app.drain_queue()
    assert image_rows(app) == 0
    assert len(upstream.requests) == calls
    # The GET for the same entity agrees: 404, nothing written.
    with app.client() as client:
        path = f"/v1/images/watching/movies/{items[40]['entity_id']}/medium?tmdb_id=1040"
        assert client.get(path, headers=bearer(key)).status_code == 404
    assert image_rows(app) == 0


def test_the_consumer_acks_a_message_no_source_can_be_asked_for(
    make_app: Callable[..., InProcessApp],
) -> None:
    app = make_app(TMDB_API_READ_TOKEN=None, FANART_API_KEY=None)
    app.queue.sent += [album(unique("bare")), movie(unique("film"), tmdb_id="603")]
    drained = app.drain_queue()
    assert [(tries, outcome) for _, tries, outcome, _ in drained.deliveries] == [
        (1, "ack"),
        (1, "ack"),
    ]
    assert drained.dead == []
    assert image_rows(app) == 0


def test_backfill_of_articles_without_their_url_queues_nothing(
    service: InProcessApp, client: httpx.Client
) -> None:
    admin = add_key(service, scope="admin")
    items = [
        {"domain": "reading", "entity_type": "articles", "entity_id": unique("a")}
        for _ in range(600)
    ]
    answer = client.post(
        "/v1/admin/images/backfill", json={"items": items}, headers=bearer(admin)
    ).json()
    assert (answer["queued"], answer["unaskable"]) == (0, 600)
    assert service.queue.sent == []
    assert image_rows(service) == 0


# --- the miss budget --------------------------------------------------------------------------


def test_a_batch_queues_only_what_the_callers_miss_budget_allows(
    clocked: tuple[InProcessApp, ManualClock],
) -> None:
    app, clock = clocked
    key = add_key(app, rate_limit_rpm=100_000)
    items = [album(unique("new"), **DISCOVERY) for _ in range(15)]
    with app.client() as client:
        assert statuses(batch(client, key, items)) == ["pending"] * 15
        assert [m["entity_id"] for m in app.queue.sent] == [i["entity_id"] for i in items[:5]]
        app.drain_queue()
        assert image_rows(app) == 5  # at most 5 resolved within the first minute
        # Asked again in the same minute: the budget is spent, nothing more is queued.
        assert statuses(batch(client, key, items)) == ["ready"] * 5 + ["pending"] * 10
        assert app.queue.sent == []
        # A GET miss spends the same budget: 429.
        refused = client.get(
            f"/v1/images/listening/albums/{unique('get')}/medium",
            params=DISCOVERY,
            headers=bearer(key),
        )
        assert refused.status_code == 429
        assert refused.json()["error"] == "Too many new images requested; try again later"
        # The next minute: the next 5 are queued.
        clock.advance(MINUTE)
        assert statuses(batch(client, key, items)) == ["ready"] * 5 + ["pending"] * 10
        assert [m["entity_id"] for m in app.queue.sent] == [i["entity_id"] for i in items[5:10]]
        app.drain_queue()
    assert image_rows(app) == 10


def test_each_caller_has_its_own_budget_and_the_backfill_spends_none(
    clocked: tuple[InProcessApp, ManualClock],
) -> None:
    app, _ = clocked
    first, second = add_key(app, rate_limit_rpm=100_000), add_key(app, rate_limit_rpm=100_000)
    admin = add_key(app, scope="admin")
    with app.client() as client:
        batch(client, first, [album(unique("a"), **DISCOVERY) for _ in range(5)])
        assert len(app.queue.sent) == 5
        batch(client, second, [album(unique("b"), **DISCOVERY) for _ in range(5)])
        assert len(app.queue.sent) == 10
        items = [album(unique("c"), **DISCOVERY) for _ in range(20)]
        answer = client.post(
            "/v1/admin/images/backfill", json={"items": items}, headers=bearer(admin)
        ).json()
        assert answer["queued"] == 20
    assert len(app.queue.sent) == 30
    app.queue.sent.clear()


# --- the hint retry ---------------------------------------------------------------------------


def test_a_no_image_record_resolves_from_a_batch_with_better_hints_after_the_retry_interval(
    clocked: tuple[InProcessApp, ManualClock],
) -> None:
    app, clock = clocked
    key = add_key(app, rate_limit_rpm=100_000)
    entity = unique("poor")
    with app.client() as client:
        assert statuses(batch(client, key, [album(entity, **POOR)])) == ["pending"]
        app.drain_queue()
        assert statuses(batch(client, key, [album(entity, **POOR)])) == ["none"]
        # Better hints within HINT_RETRY_SECONDS: still none, nothing queued.
        clock.advance(app.settings.hint_retry_seconds - 1)
        assert statuses(batch(client, key, [album(entity, **DISCOVERY)])) == ["none"]
        assert app.queue.sent == []
        # After it (six minutes, as the issue measured): queued with those hints, resolved.
        clock.advance(61)
        assert statuses(batch(client, key, [album(entity, **DISCOVERY)])) == ["pending"]
        assert app.queue.sent == [album(entity, **DISCOVERY)]
        app.drain_queue()
        assert statuses(batch(client, key, [album(entity)])) == ["ready"]
    stored = row(app, "listening", "albums", entity)
    assert stored is not None
    assert stored["search_hints"] == json.dumps(DISCOVERY, sort_keys=True)


def test_the_consumer_applies_the_hint_retry_too(clocked: tuple[InProcessApp, ManualClock]) -> None:
    app, clock = clocked
    entity = unique("poor")
    app.queue.sent.append(album(entity, **POOR))
    app.drain_queue()
    # A message with other hints inside the retry interval is acked without asking anyone...
    app.queue.sent.append(album(entity, **DISCOVERY))
    drained = app.drain_queue()
    assert [outcome for _, _, outcome, _ in drained.deliveries] == ["ack"]
    assert row(app, "listening", "albums", entity)["source"] == "none"  # type: ignore[index]
    # ... and resolves once the interval has passed.
    clock.advance(app.settings.hint_retry_seconds)
    app.queue.sent.append(album(entity, **DISCOVERY))
    app.drain_queue()
    assert row(app, "listening", "albums", entity)["source"] == "apple_music"  # type: ignore[index]


def test_a_repeated_item_uses_the_hints_of_its_first_occurrence_that_has_any(
    service: InProcessApp, client: httpx.Client
) -> None:
    key = add_key(service, rate_limit_rpm=100_000)
    entity = unique("twice")
    answer = batch(client, key, [album(entity), album(entity, **DISCOVERY), album(entity)])
    assert statuses(answer) == ["pending"] * 3
    assert service.queue.sent == [album(entity, **DISCOVERY)]
    service.drain_queue()
    assert statuses(batch(client, key, [album(entity)])) == ["ready"]


# --- failed background resolutions ------------------------------------------------------------


def test_a_dead_lettered_entity_is_failed_until_the_retry_interval_or_other_hints(
    clocked: tuple[InProcessApp, ManualClock],
) -> None:
    app, clock = clocked
    key = add_key(app, rate_limit_rpm=100_000)
    entity = unique("failing")
    with app.client() as client:
        assert statuses(batch(client, key, [album(entity, **FAILING)])) == ["pending"]
        assert app.drain_queue().dead == [album(entity, **FAILING)]
        # Within the retry interval (past the isolate's own requeue memo): failed, not queued.
        clock.advance(app.settings.failed_retry_seconds - 1)
        assert statuses(batch(client, key, [album(entity, **FAILING)])) == ["failed"]
        # Without hints no source can be asked at all (as its GET: 404).
        assert statuses(batch(client, key, [album(entity)])) == ["none"]
        assert app.queue.sent == []
        # Other hints: queued at once.
        assert statuses(batch(client, key, [album(entity, **DISCOVERY)])) == ["pending"]
        assert app.queue.sent == [album(entity, **DISCOVERY)]
        app.queue.sent.clear()
        # Past the interval: queued again with the same hints.
        other = unique("failing")
        batch(client, key, [album(other, **FAILING)])
        app.drain_queue()
        clock.advance(app.settings.failed_retry_seconds)
        assert statuses(batch(client, key, [album(other, **FAILING)])) == ["pending"]
        assert app.queue.sent == [album(other, **FAILING)]
        app.queue.sent.clear()


def test_a_record_written_after_a_failure_wins_over_it(
    clocked: tuple[InProcessApp, ManualClock],
) -> None:
    app, clock = clocked
    key = add_key(app, rate_limit_rpm=100_000)
    entity = unique("later")
    with app.client() as client:
        batch(client, key, [album(entity, **FAILING)])
        app.drain_queue()
        clock.advance(1)
        # A GET runs inline (its own failures answer 502) and records "no image" for its hints.
        path = f"/v1/images/listening/albums/{entity}/medium"
        assert client.get(path, params=POOR, headers=bearer(key)).status_code == 404
        clock.advance(app.settings.hint_retry_seconds)
        # Other hints than the record's, past the retry interval: due, and the older failure
        # no longer speaks for the entity.
        assert statuses(batch(client, key, [album(entity, **FAILING)])) == ["pending"]
    assert app.queue.sent == [album(entity, **FAILING)]
    app.queue.sent.clear()


# --- input that can never be an entity --------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"entity_id": "a\udfffb"}, "Invalid entity id"),
        ({"artist_name": "\ud800"}, "Invalid artist_name"),
        ({"album_name": "x\udc00", "artist_name": "y"}, "Invalid album_name"),
    ],
)
def test_a_lone_surrogate_makes_only_its_item_invalid(
    service: InProcessApp, client: httpx.Client, fields: dict[str, str], message: str
) -> None:
    key = add_key(service, rate_limit_rpm=100_000)
    fine = unique("fine")
    response = batch(client, key, [{**album("x"), **fields}, album(fine, **DISCOVERY)])
    assert response.status_code == 200
    first, second = response.json()["data"]
    assert (first["status"], first["error"]) == ("invalid", message)
    assert second["status"] == "pending"
    assert service.queue.sent == [album(fine, **DISCOVERY)]


def test_a_lone_surrogate_in_a_queue_message_is_acked_never_retried(
    service: InProcessApp,
) -> None:
    service.queue.sent += [album("a\udfff", **DISCOVERY), album(unique("b"), artist_name="\udfff")]
    drained = service.drain_queue()
    assert [(tries, outcome) for _, tries, outcome, _ in drained.deliveries] == [
        (1, "ack"),
        (1, "ack"),
    ]
    assert image_rows(service) == 0


def test_a_lone_surrogate_in_a_get_path_is_a_400(
    service: InProcessApp, client: httpx.Client
) -> None:
    key = add_key(service)
    # %ED%BF%BF is a surrogate's UTF-8 form: not UTF-8, so not a name.
    answer = client.get("/v1/images/listening/albums/a%ED%BF%BFb/medium", headers=bearer(key))
    assert answer.status_code == 400
    assert answer.json() == {"error": "Invalid path", "status": 400}


def test_echoed_values_are_cut_and_the_item_memo_stays_bounded(
    service: InProcessApp, client: httpx.Client
) -> None:
    key = add_key(service, rate_limit_rpm=100_000)
    long = "d" * 10_000
    for n in range(3):
        items = [album(str(i), domain=f"{n}-{i}-{long}") for i in range(100)]
        response = batch(client, key, items)
        assert response.status_code == 200
        assert len(response.content) < 40_000  # not 100 x 2 x 10 KB
        first = response.json()["data"][0]
        assert first["domain"] == f"{n}-0-{long}"[:MAX_ECHO_LENGTH] + "\u2026"
        assert first["error"] == f"Invalid domain: {first['domain']}"
    memo = service.state["entity_items"]
    assert isinstance(memo, BoundedDict)
    assert memo.max_entries == VALIDATION_MEMO_MAX_ENTRIES
    assert all(
        sum(len(v) for v in key[1:] if isinstance(v, str)) <= MEMO_MAX_REQUEST_LENGTH
        for key in memo
    )


def test_a_megabyte_domain_is_answered_in_a_short_message(
    service: InProcessApp, client: httpx.Client
) -> None:
    key = add_key(service, rate_limit_rpm=100_000)
    response = batch(client, key, [album("x", domain="z" * 1_000_000)])
    assert response.status_code == 200
    assert len(response.content) < 1_000


def test_values_in_envelope_errors_are_shown_as_json_never_as_a_python_repr(
    service: InProcessApp, client: httpx.Client
) -> None:
    key = add_key(service)
    response = batch(client, key, [album("x")], size=None)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid size: null. Valid sizes: thumbnail")
    unknown = client.post(
        "/v1/images/attachments",
        json={"items": [album("x")], "k" * 5000: 1},
        headers=bearer(key),
    )
    assert unknown.status_code == 400
    assert len(unknown.json()["error"]) < 200


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_a_400(
    service: InProcessApp, client: httpx.Client, constant: str
) -> None:
    key = add_key(service)
    item = f'{{"domain": "listening", "entity_type": "albums", "entity_id": {constant}}}'
    body = f'{{"items": [{item}]}}'
    response = client.post(
        "/v1/images/attachments",
        content=body,
        headers={**bearer(key), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Body is not valid JSON", "status": 400}

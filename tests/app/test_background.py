"""Background resolution in-process: batch misses and backfills are queued, the consumer runs
the pipeline under the claim (delivered by `InProcessApp.drain_queue` with wrangler.toml's
consumer settings), failures are retried with a delay and end in the dead letters, a message
for a recorded entity does nothing; and the admin backfill route."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.images.background import consumer
from rewind_images.imaging.placeholder import placeholder_data_url
from tests.app.test_attachments import NOW, answer, batch, item
from tests.support.app_client import InProcessApp, consumer_config
from tests.support.doubles import QueuedMessage
from tests.support.helpers import add_expired_no_image, add_image, add_key, bearer, row, unique

DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}
FAILING = {"artist_name": "Fault Injection", "album_name": "http-500"}
NOTHING = {"artist_name": "Nobody", "album_name": "Nothing"}


@pytest.fixture
def key(service: InProcessApp) -> str:
    return add_key(service, rate_limit_rpm=100_000)


@pytest.fixture
def admin(service: InProcessApp) -> str:
    return add_key(service, scope="admin", rate_limit_rpm=100_000)


def backfill(client: httpx.Client, token: str, items: list[Any]) -> httpx.Response:
    return client.post("/v1/admin/images/backfill", json={"items": items}, headers=bearer(token))


def test_pending_becomes_ready_once_the_consumer_ran(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    found, nothing = unique("found"), unique("nothing")
    items = [item(found, **DISCOVERY), item(nothing, **NOTHING)]
    first = batch(client, key, items).json()["data"]
    assert [a["status"] for a in first] == ["pending", "pending"]
    drained = service.drain_queue()
    assert [
        (body["entity_id"], tries, outcome) for body, tries, outcome, _ in drained.deliveries
    ] == [
        (found, 1, "ack"),
        (nothing, 1, "ack"),
    ]
    later = batch(client, key, items).json()["data"]
    stored = row(service, "listening", "albums", found)
    assert stored is not None
    assert stored["source"] == "apple_music"
    assert stored["search_hints"] == json.dumps(DISCOVERY, sort_keys=True)
    attachment = later[0]["image"]
    assert later == [answer(found, "ready", attachment), answer(nothing, "none")]
    assert attachment["source"] == "apple_music"
    assert attachment["thumbhash"] == stored["thumbhash"]
    assert attachment["placeholder"] == placeholder_data_url(stored["thumbhash"])
    # ... the same attachment the JSON form gives, and the consumer stored its placeholder.
    single = client.get(
        f"/v1/images/listening/albums/{found}/medium?format=json", headers=bearer(key)
    )
    assert single.json() == {"data": attachment}
    assert service.sql(
        "SELECT data_url FROM image_placeholders WHERE thumbhash = ?", (stored["thumbhash"],)
    ) == [(attachment["placeholder"],)]


def test_failing_sources_are_retried_with_a_delay_then_dead_lettered(
    service: InProcessApp, client: httpx.Client, key: str, upstream: FakeUpstream
) -> None:
    entity = unique("failing")
    batch(client, key, [item(entity, **FAILING)])
    before = upstream.count("/apple/")
    drained = service.drain_queue()
    tries = int(consumer_config("rewind-images-resolve")["max_retries"]) + 1
    delay = service.settings.queue_retry_delay_seconds
    assert [(n, outcome, wait) for _, n, outcome, wait in drained.deliveries] == [
        (n, "retry", delay) for n in range(1, tries + 1)
    ]
    assert upstream.count("/apple/") - before == tries  # the pipeline really ran each time
    assert drained.dead == [item(entity, **FAILING)]
    assert service.sql("SELECT domain, entity_type, entity_id, body FROM image_dead_letters") == [
        ("listening", "albums", entity, json.dumps(item(entity, **FAILING), separators=(",", ":")))
    ]
    assert row(service, "listening", "albums", entity) is None  # nothing recorded
    # Asked again with the same hints: `failed`, not queued again (admission has the rest).
    assert batch(client, key, [item(entity, **FAILING)]).json()["data"][0]["status"] == "failed"
    assert service.queue.sent == []


def test_a_message_for_an_entity_that_has_its_record_does_nothing(
    service: InProcessApp, client: httpx.Client, key: str, upstream: FakeUpstream
) -> None:
    recorded, nothing = unique("recorded"), unique("nothing")
    add_image(service, "listening", "albums", recorded, version=4)
    add_image(service, "listening", "albums", nothing, r2_key="", source="none", created_at=NOW)
    service.queue.sent += [item(recorded, **DISCOVERY), item(nothing, **DISCOVERY)]
    calls = len(upstream.requests)
    drained = service.drain_queue()
    assert [outcome for _, _, outcome, _ in drained.deliveries] == ["ack", "ack"]
    assert len(upstream.requests) == calls
    stored = row(service, "listening", "albums", recorded)
    assert stored is not None
    assert (stored["source"], stored["image_version"]) == ("seed", 4)


def test_a_second_message_for_the_same_entity_does_nothing(
    service: InProcessApp, upstream: FakeUpstream
) -> None:
    entity = unique("twice")
    service.queue.sent += [item(entity, **DISCOVERY), item(entity, **DISCOVERY)]
    before = upstream.count("/img/apple-discovery")
    drained = service.drain_queue()
    assert [outcome for _, _, outcome, _ in drained.deliveries] == ["ack", "ack"]
    assert upstream.count("/img/apple-discovery") - before == 1  # one download, one run
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["image_version"] == 1


def test_a_message_that_names_no_entity_is_dropped(service: InProcessApp) -> None:
    service.queue.sent += [{"domain": "sleeping"}, {"entity_id": 5}]
    drained = service.drain_queue()
    assert [(tries, outcome) for _, tries, outcome, _ in drained.deliveries] == [
        (1, "ack"),
        (1, "ack"),
    ]
    assert drained.dead == []


def test_an_expired_no_image_record_is_resolved_again_by_the_consumer(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("expired")
    add_expired_no_image(service, entity)
    assert batch(client, key, [item(entity, **DISCOVERY)]).json()["data"][0]["status"] == "pending"
    service.drain_queue()
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert (stored["source"], stored["image_version"]) == ("apple_music", 2)
    assert batch(client, key, [item(entity)]).json()["data"][0]["status"] == "ready"


def test_a_dead_letter_without_an_entity_is_kept_too(service: InProcessApp) -> None:

    message = QueuedMessage({"oops": True})
    service.run(consumer.bury(service.context(), [message]))
    assert message.outcome == "ack"
    assert service.sql("SELECT domain, body FROM image_dead_letters") == [(None, '{"oops":true}')]


# --- the admin backfill route ----------------------------------------------------------------


def test_backfill_queues_what_has_no_record_and_counts_the_rest(
    service: InProcessApp, client: httpx.Client, admin: str
) -> None:
    names = ("rec", "none", "stale", "new", "bare")
    recorded, nothing, stale, new, bare = (unique(n) for n in names)
    add_image(service, "listening", "albums", recorded)
    add_image(service, "listening", "albums", nothing, r2_key="", source="none", created_at=NOW)
    add_expired_no_image(service, stale)
    response = backfill(
        client,
        admin,
        [
            item(recorded),
            item(nothing),
            item(stale, **DISCOVERY),
            item(new),
            {"domain": "listening", "entity_type": "songs", "entity_id": "x"},
            item(new, **DISCOVERY),
            item(bare),
        ],
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "queued": 3,
        "recorded": 2,
        "unaskable": 1,
        "failed": 0,
        "invalid": 1,
        "items": [
            {"status": "recorded"},
            {"status": "recorded"},
            {"status": "queued"},
            {"status": "queued"},
            {"status": "invalid", "error": "Invalid entity type: songs"},
            {"status": "queued"},
            {"status": "unaskable"},  # no hints for any source: nothing queued, nothing written
        ],
    }
    # Once per entity, with the hints of its first item that has any.
    assert service.queue.sent == [item(stale, **DISCOVERY), item(new, **DISCOVERY)]
    service.drain_queue()
    again = backfill(client, admin, [item(new), item(stale)]).json()
    assert (again["queued"], again["recorded"]) == (0, 2)


def test_backfill_takes_up_to_1000_items_and_an_admin_key(
    service: InProcessApp, client: httpx.Client, admin: str, key: str
) -> None:
    items = [item(f"bulk-{i}", **DISCOVERY) for i in range(1000)]
    response = backfill(client, admin, items)
    assert response.json()["queued"] == 1000
    assert len(service.queue.sent) == 1000
    too_many = backfill(client, admin, [*items, item("one-more")])
    assert too_many.status_code == 400
    assert too_many.json() == {
        "error": "Invalid items: must be an array of 1 to 1000 items",
        "status": 400,
    }
    assert backfill(client, key, items[:1]).status_code == 403
    service.queue.sent.clear()

"""Attachments under workerd: what only the runtime shows. The Accept header reaching the app,
the placeholder decoded and encoded by Pyodide byte for byte as in CPython, and the background
path on the local runtime's real Queues (a miss goes pending -> ready; failing sources are
retried, then dead-lettered). tests/app covers every status and field in-process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import ROOT, LocalWorker
from rewind_images.imaging.placeholder import placeholder_data_url
from tests.helpers import add_image, add_key, bearer, unique
from tests.inprocess.app_client import consumer_config

T = TypeVar("T")
CDN = "https://cdn.test"
WIDE_HASH = "HBkSHYSIeHiPiHh8eJd4eTN0EEQG"
DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}
FAILING = {"artist_name": "Fault Injection", "album_name": "http-500"}
# Each try is one batch wait (max_batch_timeout, 1 s) plus the retry delay (1 s in tests).
QUEUE_DEADLINE_S = 90.0


@pytest.fixture(scope="module")
def key(worker: LocalWorker) -> str:
    return add_key(worker, rate_limit_rpm=100_000)


def item(entity_id: str, **extra: str) -> dict[str, str]:
    return {"domain": "listening", "entity_type": "albums", "entity_id": entity_id, **extra}


def batch(client: httpx.Client, key: str, items: list[Any]) -> list[dict[str, Any]]:
    response = client.post("/v1/images/attachments", json={"items": items}, headers=bearer(key))
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def poll(check: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """check() until it returns something, or fail after deadline_s."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)  # poll interval of this check, not a readiness wait
    raise AssertionError(f"{what}: not within {deadline_s} s")


def test_json_form_and_batch_answer_the_exact_attachment_under_workerd(
    worker: LocalWorker, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    add_image(worker, "listening", "albums", entity, version=2, thumbhash=WIDE_HASH, height=800)
    url = f"/v1/images/listening/albums/{entity}/poster"
    redirect = client.get(url, headers=bearer(key))
    response = client.get(url, headers={**bearer(key), "Accept": "application/json"})
    assert response.status_code == 200, response.text
    location = (
        f"{CDN}/cdn-cgi/image/width=342,height=513,fit=cover,format=auto,quality=85/"
        f"listening/albums/{entity}/original.jpg?v=2"
    )
    expected = {
        "cdn_url": location,
        "url": location,
        "thumbhash": WIDE_HASH,
        "dominant_color": "#f5d1dc",
        "accent_color": "#203040",
        "width": 342,
        "height": 513,
        "aspect_ratio": 1.5,
        # Decoded and PNG-encoded by Pyodide inside the Worker: the same bytes as CPython's.
        "placeholder": placeholder_data_url(WIDE_HASH),
        "source": "seed",
        "image_version": 2,
    }
    assert response.json() == {"data": expected}
    assert redirect.headers["location"] == location
    assert redirect.headers["vary"] == response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "no-cache"
    answers = batch(client, key, [{**item(entity), "size": "poster"}, item("x", domain="nope")])
    assert answers == [
        {
            "domain": "listening",
            "entity_type": "albums",
            "entity_id": entity,
            "size": "poster",
            "status": "ready",
            "image": expected,
        },
        {
            "domain": "nope",
            "entity_type": "albums",
            "entity_id": "x",
            "size": "medium",
            "status": "invalid",
            "image": None,
            "error": "Invalid domain: nope",
        },
    ]


def test_a_miss_is_pending_until_the_local_queue_consumer_resolves_it(
    worker: LocalWorker, client: httpx.Client, key: str
) -> None:
    entity = unique("queued")
    wanted = [item(entity, **DISCOVERY)]
    assert batch(client, key, wanted)[0]["status"] == "pending"

    def ready() -> dict[str, Any] | None:
        answer = batch(client, key, wanted)[0]
        return answer if answer["status"] == "ready" else None

    answer = poll(ready, QUEUE_DEADLINE_S, "the queued miss resolved")
    image = answer["image"]
    assert image["source"] == "apple_music"
    assert image["placeholder"] == placeholder_data_url(image["thumbhash"])
    assert worker.sql("SELECT source, search_hints FROM images WHERE entity_id = ?", (entity,)) == [
        ("apple_music", '{"album_name": "Discovery", "artist_name": "Daft Punk"}')
    ]
    # The consumer stored the placeholder in D1 for every isolate.
    assert worker.sql(
        "SELECT data_url FROM image_placeholders WHERE thumbhash = ?", (image["thumbhash"],)
    ) == [(image["placeholder"],)]


def test_failing_sources_are_retried_then_dead_lettered(
    worker: LocalWorker, client: httpx.Client, key: str, upstream: FakeUpstream
) -> None:
    entity = unique("failing")
    before = upstream.count("/img/fault-http-500")
    assert batch(client, key, [item(entity, **FAILING)])[0]["status"] == "pending"

    def dead() -> list[tuple[object, ...]]:
        return worker.sql(
            "SELECT domain, entity_type, body FROM image_dead_letters WHERE entity_id = ?",
            (entity,),
        )

    letters = poll(dead, QUEUE_DEADLINE_S, "the failing message dead-lettered")
    assert letters == [
        (
            "listening",
            "albums",
            json.dumps(item(entity, **FAILING), separators=(",", ":")),
        )
    ]
    tries = int(consumer_config("rewind-images-resolve")["max_retries"]) + 1
    assert upstream.count("/img/fault-http-500") - before == tries  # the pipeline ran each try
    assert worker.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(0,)]
    assert worker.sql("SELECT count(*) FROM image_claims WHERE entity_id = ?", (entity,)) == [(0,)]
    # Asked again with the same hints, the batch says so instead of `pending` forever.
    assert batch(client, key, [item(entity, **FAILING)])[0]["status"] == "failed"


def test_items_no_source_can_be_asked_for_write_no_row_and_queue_nothing(
    worker: LocalWorker, client: httpx.Client, key: str
) -> None:
    junk = [item(unique("junk")) for _ in range(20)]
    junk += [
        {"domain": "reading", "entity_type": "articles", "entity_id": unique("article")}
        for _ in range(20)
    ]
    assert [answer["status"] for answer in batch(client, key, junk)] == ["none"] * 40
    # A resolvable item queued after them: once it is resolved, anything queued before it would
    # have been consumed too.
    marker = [item(unique("marker"), **DISCOVERY)]
    assert batch(client, key, marker)[0]["status"] == "pending"
    poll(
        lambda: batch(client, key, marker)[0]["status"] == "ready",
        QUEUE_DEADLINE_S,
        "the marker resolved",
    )
    ids = tuple(str(j["entity_id"]) for j in junk)
    marks = ", ".join("?" * len(ids))
    assert worker.sql(f"SELECT count(*) FROM images WHERE entity_id IN ({marks})", ids) == [(0,)]
    log = worker.log()
    assert not [i for i in ids if i in log]  # no consumer ever saw them


def test_the_backfill_command_queues_through_the_admin_route(
    worker: LocalWorker, tmp_path: Path
) -> None:
    recorded, queued = unique("cli-recorded"), unique("cli-queued")
    add_image(worker, "listening", "albums", recorded)
    lines = [item(recorded), item(queued, **DISCOVERY), item("x", entity_type="songs")]
    entities = tmp_path / "entities.jsonl"
    entities.write_text("".join(json.dumps(line) + "\n" for line in lines))
    admin = add_key(worker, scope="admin")
    command = [sys.executable, str(ROOT / "scripts" / "backfill.py"), str(entities)]
    command += ["--base-url", worker.base_url, "--key", admin, "--mode", "queue", "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "queued 1, already recorded 1, unaskable 0, failed 0, invalid 1, skipped 0 (already done)"
    )
    assert "Invalid entity type: songs" in done.stderr

    def resolved() -> list[tuple[object, ...]]:
        return worker.sql("SELECT source FROM images WHERE entity_id = ?", (queued,))

    assert poll(resolved, QUEUE_DEADLINE_S, "the backfilled entity resolved") == [("apple_music",)]

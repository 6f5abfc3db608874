"""Service-binding RPC under the local runtime: the example TypeScript caller Worker
(examples/rpc-caller/, its own `wrangler dev`) reaches the session's Python Worker through the
session's dev registry and calls `env.IMAGES_SERVICE.attachments([...])` and `.attachment()`
directly: no HTTP between them and no key. Its answers must be exactly the HTTP batch's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.tls import shared_tls_context
from tests.support.helpers import add_image, add_key, bearer, unique
from tests.worker.test_attachments import WIDE_HASH, item, poll

CONNECT_DEADLINE_S = 60.0


@pytest.fixture
def caller(rpc_caller: LocalWorker) -> LocalWorker:
    """The TypeScript caller (started with the session's Worker: tests/worker/conftest.py)."""
    return rpc_caller


def call(caller: LocalWorker, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{caller.base_url}{path}", json=body, timeout=60, verify=shared_tls_context()
    )


def connected(caller: LocalWorker) -> bool:
    # The registry connects the two a moment after both are up.
    response = call(caller, "/attachments", {"items": [item("probe")]})
    return response.status_code == 200


def test_the_js_caller_gets_exactly_the_batch_answer_over_rpc(
    worker: LocalWorker, caller: LocalWorker, tmp_path: Path
) -> None:
    poll(lambda: connected(caller), CONNECT_DEADLINE_S, "the RPC caller connected")
    ready, nothing = unique("rpc"), unique("rpc-none")
    add_image(worker, "listening", "albums", ready, version=5, thumbhash=WIDE_HASH)
    add_image(
        worker,
        "listening",
        "albums",
        nothing,
        r2_key="",
        source="none",
        created_at="2099-01-01T00:00:00.000Z",
    )
    items = [
        item(ready),
        item(nothing),
        {"domain": "watching", "entity_type": "movies", "entity_id": 603, "tmdb_id": 603},
        item("bad", entity_type="songs"),
        item(ready),
    ]
    over_rpc = call(caller, "/attachments", {"items": items, "size": "small"})
    assert over_rpc.status_code == 200, over_rpc.text
    token = add_key(worker, rate_limit_rpm=100_000)
    over_http = httpx.post(
        f"{worker.base_url}/v1/images/attachments",
        json={"items": items, "size": "small"},
        headers=bearer(token),
        timeout=60,
        verify=shared_tls_context(),
    ).json()
    assert over_rpc.json() == over_http
    data = over_rpc.json()["data"]
    assert [answer["status"] for answer in data] == ["ready", "none", "pending", "invalid", "ready"]
    assert data[1]["image"] is None  # a real null over RPC, not a missing key
    assert data[2]["entity_id"] == "603"
    assert data[3]["error"] == "Invalid entity type: songs"
    image = data[0]["image"]
    assert image["cdn_url"] == (
        "https://cdn.test/cdn-cgi/image/width=150,height=150,fit=cover,format=auto,quality=85/"
        f"listening/albums/{ready}/original.jpg?v=5"
    )
    assert (image["width"], image["height"], image["image_version"]) == (150, 150, 5)


def test_the_single_lookup_and_a_malformed_call_over_rpc(
    worker: LocalWorker, caller: LocalWorker
) -> None:
    poll(lambda: connected(caller), CONNECT_DEADLINE_S, "the RPC caller connected")
    entity = unique("rpc-one")
    add_image(worker, "listening", "albums", entity)
    one = call(caller, "/attachment", {"item": item(entity), "size": "original"})
    assert one.status_code == 200, one.text
    answer = one.json()["data"]
    assert (answer["status"], answer["size"]) == ("ready", "original")
    assert (
        answer["image"]["cdn_url"] == f"https://cdn.test/listening/albums/{entity}/original.jpg?v=1"
    )
    assert (answer["image"]["width"], answer["image"]["height"]) == (1200, 1200)
    refused = call(caller, "/attachments", {"items": []})
    assert refused.status_code == 400
    assert "Invalid items: must be an array of 1 to 100 items" in refused.json()["error"]


def test_a_lone_surrogate_over_rpc_spoils_only_its_item(
    worker: LocalWorker, caller: LocalWorker
) -> None:
    # JSON.parse in the caller makes "\udfff" a JS string with a lone surrogate, which crosses
    # the binding as such: the one door reads it as the HTTP batch does.
    poll(lambda: connected(caller), CONNECT_DEADLINE_S, "the RPC caller connected")
    fine = unique("rpc-fine")
    add_image(worker, "listening", "albums", fine)
    body = '{"items": [{"domain": "listening", "entity_type": "albums", "entity_id": "a\\udfff"}, '
    body += f'{{"domain": "listening", "entity_type": "albums", "entity_id": "{fine}"}}]}}'
    response = httpx.post(
        f"{caller.base_url}/attachments",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
        verify=shared_tls_context(),
    )
    assert response.status_code == 200, response.text
    bad, good = response.json()["data"]
    assert (bad["status"], bad["error"]) == ("invalid", "Invalid entity id")
    assert good["status"] == "ready"


def test_http_forwarded_through_the_binding_is_answered_as_at_the_service(
    worker: LocalWorker, caller: LocalWorker
) -> None:
    # The binding names the `RewindImages` entrypoint (its RPC methods); a `fetch` through it
    # reaches the same HTTP handling as the service's own address, keys and all.
    poll(lambda: connected(caller), CONNECT_DEADLINE_S, "the RPC caller connected")
    entity = unique("rpc-fetch")
    add_image(worker, "listening", "albums", entity, thumbhash=WIDE_HASH)
    path = f"/v1/images/listening/albums/{entity}/small"
    token = add_key(worker, rate_limit_rpm=100_000)
    answers = [
        httpx.get(f"{base}{path}", headers=bearer(token), timeout=60, verify=shared_tls_context())
        for base in (caller.base_url, worker.base_url)
    ]
    forwarded, direct = answers
    assert forwarded.status_code == direct.status_code == 302
    assert forwarded.headers["location"] == direct.headers["location"]
    assert forwarded.headers["x-thumbhash"] == WIDE_HASH
    unauthorised = httpx.get(f"{caller.base_url}{path}", timeout=60, verify=shared_tls_context())
    assert unauthorised.status_code == 401
    assert unauthorised.json() == {"error": "Unauthorized", "status": 401}

"""Two workerd runtimes on one state directory: separate processes (and isolates) sharing one
local D1 and one R2, as Cloudflare runs many isolates over one database and bucket. Only here
do concurrent misses meet at the D1 claim from different processes, and deletes race misses
across them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.tls import shared_tls_context
from tests.app.test_pipeline import image_url
from tests.support.helpers import add_key, assert_store_consistent, bearer, unique


@pytest.fixture(scope="module")
def runtimes(worker: LocalWorker, second_runtime: LocalWorker) -> tuple[LocalWorker, LocalWorker]:
    """The session's Worker and a second workerd on its state directory."""
    return worker, second_runtime


def test_concurrent_misses_across_two_runtimes_meet_at_the_d1_claim(
    runtimes: tuple[LocalWorker, LocalWorker], upstream: FakeUpstream, key: str
) -> None:
    first, second = runtimes
    entity = unique("two-runtimes")
    path = image_url("listening", "albums", entity, artist_name="Daft Punk", album_name="Discovery")
    urls = [(first if i % 2 else second).base_url + path for i in range(20)]
    before = upstream.count("/img/apple-discovery")
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(
            pool.map(
                lambda u: httpx.get(
                    u, headers=bearer(key), timeout=60, verify=shared_tls_context()
                ),
                urls,
            )
        )
    assert [r.status_code for r in responses] == [302] * 20, [r.text for r in responses]
    assert len({r.headers["location"] for r in responses}) == 1
    assert first.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    assert [k for k in first.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.jpg"  # Apple Music's JPEG
    ]
    assert upstream.count("/img/apple-discovery") - before == 1


def test_deletes_and_misses_of_one_entity_across_two_runtimes_keep_r2_and_d1_agreeing(
    runtimes: tuple[LocalWorker, LocalWorker],
) -> None:
    first, second = runtimes
    reader = bearer(add_key(first, rate_limit_rpm=100_000))
    admin = bearer(add_key(first, scope="admin", rate_limit_rpm=100_000))
    entity = unique("churn")
    image = f"/v1/images/listening/albums/{entity}/medium"
    hints = {"artist_name": "Daft Punk", "album_name": "Discovery"}

    def call(i: int) -> int:
        base = (first if i % 2 else second).base_url
        if i % 4 == 3:
            url = f"{base}/v1/admin/images/listening/albums/{entity}"
            return httpx.delete(
                url, headers=admin, timeout=60, verify=shared_tls_context()
            ).status_code
        return httpx.get(
            base + image, params=hints, headers=reader, timeout=60, verify=shared_tls_context()
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(call, range(40)))
    logs = [line for line in (first.log() + second.log()).splitlines() if "failed" in line]
    assert {s for i, s in enumerate(statuses) if i % 4 != 3} == {302}, logs  # never a 502
    assert {s for i, s in enumerate(statuses) if i % 4 == 3} <= {200, 404}
    assert first.sql("SELECT count(*) FROM image_claims") == [(0,)]
    assert_store_consistent(first)

"""The miss pipeline end to end under workerd: fake upstreams -> Worker -> real R2, Images and
D1 -> 302, then a hit; the faults the runtime itself handles; claims across isolates and
processes. The in-process layer (tests/app/test_pipeline.py) covers every outcome."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import LocalWorker
from tests.app.test_pipeline import (  # noqa: F401 - collected here, run against the Worker
    assert_fault_is_a_502_that_records_nothing,
    image_url,
    test_a_503_is_retried_once_a_500_and_a_timeout_are_not,
    test_miss_stores_analyses_and_redirects_then_hits_without_upstream_calls,
)
from tests.helpers import assert_store_consistent, bearer, unique


@pytest.mark.parametrize(
    "fault",
    # The faults whose handling is the runtime's own (its fetch, streams, URL parser and the
    # sharp-based Images binding); every fault runs in-process in tests/app too.
    [
        "timeout",
        "oversize",
        "oversize-chunked",
        "corrupt",
        "huge-side",
        "redirect-private",
        "redirect-metadata",
        "sample-webp",
    ],
)
def test_failing_sources_answer_502_and_record_nothing(
    worker: LocalWorker, upstream: FakeUpstream, client: httpx.Client, key: str, fault: str
) -> None:
    assert_fault_is_a_502_that_records_nothing(worker, upstream, client, key, fault)


def test_concurrent_misses_make_one_row_one_object_and_the_same_redirect(
    worker: LocalWorker, upstream: FakeUpstream, key: str
) -> None:
    entity = unique("together")
    url = worker.base_url + image_url(
        "listening", "albums", entity, artist_name="Daft Punk", album_name="Discovery"
    )
    before = upstream.count("/img/apple-discovery")

    def fetch(_: int) -> httpx.Response:
        return httpx.get(url, headers=bearer(key), timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(fetch, range(20)))
    assert {r.status_code for r in responses} == {302}
    assert len({r.headers["location"] for r in responses}) == 1
    assert len({r.headers["x-thumbhash"] for r in responses}) == 1
    assert worker.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    assert [k for k in worker.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.png"
    ]
    assert upstream.count("/img/apple-discovery") - before == 1
    assert worker.sql("SELECT count(*) FROM image_claims", ()) == [(0,)]


def test_concurrent_misses_across_two_runtimes_meet_at_the_d1_claim(
    worker: LocalWorker, upstream: FakeUpstream, key: str
) -> None:
    # A second workerd on the same state dir: separate isolates sharing one D1 and one R2.
    other = LocalWorker(vars=worker.vars, state_dir=worker.state_dir, migrate=False).start()
    try:
        entity = unique("two-runtimes")
        path = image_url(
            "listening", "albums", entity, artist_name="Daft Punk", album_name="Discovery"
        )
        urls = [(worker if i % 2 else other).base_url + path for i in range(20)]
        before = upstream.count("/img/apple-discovery")
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(
                pool.map(lambda u: httpx.get(u, headers=bearer(key), timeout=60), urls)
            )
    finally:
        other.stop()
    assert [r.status_code for r in responses] == [302] * 20, [r.text for r in responses]
    assert len({r.headers["location"] for r in responses}) == 1
    assert worker.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    assert [k for k in worker.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.png"
    ]
    assert upstream.count("/img/apple-discovery") - before == 1


def test_r2_and_d1_agree_after_everything_above(worker: LocalWorker) -> None:
    assert_store_consistent(worker)

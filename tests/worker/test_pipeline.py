"""The miss pipeline end to end under workerd: fake upstreams -> Worker -> real R2, Images and
D1 -> 302, then a hit; the faults the runtime itself handles; claims across isolates (two processes:
test_two_runtimes.py). The in-process layer (tests/app/test_pipeline.py) covers every outcome."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.tls import shared_tls_context
from tests.app.test_pipeline import assert_fault_is_a_502_that_records_nothing, image_url
from tests.support.helpers import assert_store_consistent, bearer, unique


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
    assert_store_consistent(worker)


def test_concurrent_misses_make_one_row_one_object_and_the_same_redirect(
    worker: LocalWorker, upstream: FakeUpstream, key: str
) -> None:
    entity = unique("together")
    url = worker.base_url + image_url(
        "listening", "albums", entity, artist_name="Daft Punk", album_name="Discovery"
    )
    before = upstream.count("/img/apple-discovery")

    def fetch(_: int) -> httpx.Response:
        return httpx.get(url, headers=bearer(key), timeout=60, verify=shared_tls_context())

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(fetch, range(20)))
    assert {r.status_code for r in responses} == {302}
    assert len({r.headers["location"] for r in responses}) == 1
    assert len({r.headers["x-thumbhash"] for r in responses}) == 1
    assert worker.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    assert [k for k in worker.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.jpg"  # Apple Music's JPEG
    ]
    assert upstream.count("/img/apple-discovery") - before == 1
    assert worker.sql("SELECT count(*) FROM image_claims", ()) == [(0,)]
    assert_store_consistent(worker)

"""The miss pipeline end to end under workerd: fake upstreams -> Worker -> real R2, Images and
D1 -> 302, then a hit; the faults the runtime itself handles; claims across isolates and
processes. The in-process layer (tests/app/test_pipeline.py) covers every outcome."""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_devkit.local_worker import LocalWorker
from rewind_images.imaging.thumbhash import thumbhash_to_approximate_aspect_ratio
from tests.helpers import add_key, assert_store_consistent, bearer, row, unique

COLOR = re.compile(r"^#[0-9a-f]{6}$")
MBID = "00000000-0000-4000-8000-000000000{:03d}"


@pytest.fixture(scope="module")
def key(worker: LocalWorker) -> str:
    return add_key(worker, rate_limit_rpm=100_000)


def image_url(
    domain: str, entity_type: str, entity_id: str, size: str = "medium", **hints: str
) -> str:
    query = f"?{urlencode(hints)}" if hints else ""
    return f"/v1/images/{domain}/{entity_type}/{entity_id}/{size}{query}"


ROUTES = [
    # (domain, type, hints, source, image key the fake serves, width, height)
    (
        "listening",
        "albums",
        {"artist_name": "Daft Punk", "album_name": "Discovery"},
        "apple_music",
        "apple-discovery",
        600,
        600,
    ),
    ("listening", "artists", {"artist_name": "Air"}, "deezer", "deezer-air", 500, 500),
    ("watching", "movies", {"tmdb_id": "603"}, "tmdb", "tmdb-matrix", 500, 750),
    ("watching", "movies", {"tmdb_id": "27205"}, "fanart", "fanart-inception-en", 700, 1000),
    ("watching", "shows", {"tmdb_id": "1399"}, "tmdb", "tmdb-game-of-thrones", 500, 750),
    (
        "collecting",
        "releases",
        {"mbid": MBID.format(201)},
        "cover_art_archive",
        "1001-1200.jpg",
        600,
        600,
    ),
    (
        "reading",
        "articles",
        {"article_url": "{base}/pages/og-basic"},
        "og_image",
        "article-hero",
        1200,
        630,
    ),
]


@pytest.mark.parametrize(
    ("domain", "entity_type", "hints", "source", "image", "width", "height"),
    ROUTES,
    ids=[f"{r[0]}-{r[1]}-{r[3]}" for r in ROUTES],
)
def test_miss_stores_analyses_and_redirects_then_hits_without_upstream_calls(
    worker: LocalWorker,
    upstream: FakeUpstream,
    client: httpx.Client,
    key: str,
    domain: str,
    entity_type: str,
    hints: dict[str, str],
    source: str,
    image: str,
    width: int,
    height: int,
) -> None:
    hints = {k: v.format(base=upstream.base_url) for k, v in hints.items()}
    entity = unique(entity_type)
    url = image_url(domain, entity_type, entity, "poster", **hints)
    miss = client.get(url, headers=bearer(key))
    assert miss.status_code == 302, miss.text
    object_key = f"{domain}/{entity_type}/{entity}/original.png"  # the fake serves PNGs
    assert miss.headers["location"] == (
        "https://cdn.test/cdn-cgi/image/width=342,height=513,fit=cover,format=auto,quality=85/"
        f"{object_key}?v=1"
    )
    thumbhash = base64.b64decode(miss.headers["x-thumbhash"], validate=True)
    assert 5 <= len(thumbhash) <= 25
    # The analysis image keeps the aspect ratio (the original hashed a centre crop).
    assert thumbhash_to_approximate_aspect_ratio(thumbhash) == pytest.approx(
        width / height, rel=0.15
    )
    assert COLOR.match(miss.headers["x-dominant-color"])

    stored = row(worker, domain, entity_type, entity)
    assert stored is not None
    assert stored["r2_key"] == object_key
    assert stored["source"] == source
    assert image in stored["source_url"]
    assert (stored["width"], stored["height"]) == (width, height)
    assert stored["thumbhash"] == miss.headers["x-thumbhash"]
    obj = worker.r2_objects()[object_key]
    assert obj["http_metadata"] == {
        "contentType": "image/png",
        "cacheControl": "public, max-age=31536000, immutable",
    }
    assert obj["custom_metadata"] == {
        "x-source": source,
        "x-source-url": stored["source_url"],
        "x-dimensions": f"{width}x{height}",
    }

    calls = len(upstream.requests)
    hit = client.get(url, headers=bearer(key))
    assert hit.status_code == 302
    assert hit.headers["location"] == miss.headers["location"]
    assert hit.headers["x-thumbhash"] == miss.headers["x-thumbhash"]
    assert len(upstream.requests) == calls


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
    entity = unique("fault")
    url = image_url("listening", "albums", entity, artist_name="Fault Injection", album_name=fault)
    response = client.get(url, headers=bearer(key))
    assert response.status_code == 502, response.text
    assert response.json() == {"error": "Image sources failed; try again later", "status": 502}
    assert row(worker, "listening", "albums", entity) is None
    assert not [k for k in worker.r2_objects() if f"/{entity}/" in k]
    # Nothing was cached: the next request asks the sources again.
    before = upstream.count("/apple/")
    assert client.get(url, headers=bearer(key)).status_code == 502
    assert upstream.count("/apple/") > before


def test_a_503_is_retried_once_a_500_and_a_timeout_are_not(
    upstream: FakeUpstream, client: httpx.Client, key: str
) -> None:
    for fault, calls in (("apple-fault-http-503", 2), ("apple-fault-http-500", 1)):
        hints = {"artist_name": "API Fault", "album_name": fault}
        before = upstream.count("/apple/")
        client.get(image_url("listening", "albums", unique("retry"), **hints), headers=bearer(key))
        assert upstream.count("/apple/") - before == calls, fault
    before = upstream.count("/tmdb/img/")
    client.get(
        image_url("watching", "movies", unique("notretried"), tmdb_id="990101"),
        headers=bearer(key),
    )
    assert upstream.count("/tmdb/img/") - before == 1  # an image that timed out


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
    assert [r.status_code for r in responses] == [302] * 20
    assert len({r.headers["location"] for r in responses}) == 1
    assert worker.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    assert [k for k in worker.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.png"
    ]
    assert upstream.count("/img/apple-discovery") - before == 1


def test_r2_and_d1_agree_after_everything_above(worker: LocalWorker) -> None:
    assert_store_consistent(worker)

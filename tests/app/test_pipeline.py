"""The miss pipeline end to end: fake upstreams -> Worker -> R2 + D1 -> 302, then a hit."""

from __future__ import annotations

import asyncio
import base64
import re
from urllib.parse import urlencode

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.imaging.thumbhash import thumbhash_to_approximate_aspect_ratio
from tests.support.app_client import InProcessApp
from tests.support.helpers import ServiceUnderTest, add_expired_no_image, bearer, row, unique

COLOR = re.compile(r"^#[0-9a-f]{6}$")
MBID = "00000000-0000-4000-8000-000000000{:03d}"


def image_url(
    domain: str, entity_type: str, entity_id: str, size: str = "medium", **hints: str
) -> str:
    query = f"?{urlencode(hints)}" if hints else ""
    return f"/v1/images/{domain}/{entity_type}/{entity_id}/{size}{query}"


ROUTES = [
    # (domain, type, hints, source, image key the fake serves, width, height, stored format: the
    # fake serves a JPEG under a .jpg name, as those CDNs do, and a PNG under the pages' .png)
    (
        "listening",
        "albums",
        {"artist_name": "Daft Punk", "album_name": "Discovery"},
        "apple_music",
        "apple-discovery",
        600,
        600,
        "jpg",
    ),
    ("listening", "artists", {"artist_name": "Air"}, "deezer", "deezer-air", 500, 500, "jpg"),
    ("watching", "movies", {"tmdb_id": "603"}, "tmdb", "tmdb-matrix", 500, 750, "jpg"),
    ("watching", "movies", {"tmdb_id": "27205"}, "fanart", "fanart-inception-en", 700, 1000, "jpg"),
    ("watching", "shows", {"tmdb_id": "1399"}, "tmdb", "tmdb-game-of-thrones", 500, 750, "jpg"),
    (
        "collecting",
        "releases",
        {"mbid": MBID.format(201)},
        "cover_art_archive",
        "1001-1200.jpg",
        600,
        600,
        "jpg",
    ),
    (
        "reading",
        "articles",
        {"article_url": "{base}/pages/og-basic"},
        "og_image",
        "article-hero",
        1200,
        630,
        "png",
    ),
]


@pytest.mark.workerd
@pytest.mark.parametrize(
    ("domain", "entity_type", "hints", "source", "image", "width", "height", "extension"),
    ROUTES,
    ids=[f"{r[0]}-{r[1]}-{r[3]}" for r in ROUTES],
)
def test_miss_stores_analyses_and_redirects_then_hits_without_upstream_calls(
    service: InProcessApp,
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
    extension: str,
) -> None:
    hints = {k: v.format(base=upstream.base_url) for k, v in hints.items()}
    entity = unique(entity_type)
    url = image_url(domain, entity_type, entity, "poster", **hints)
    miss = client.get(url, headers=bearer(key))
    assert miss.status_code == 302, miss.text
    object_key = f"{domain}/{entity_type}/{entity}/original.{extension}"
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

    stored = row(service, domain, entity_type, entity)
    assert stored is not None
    assert stored["r2_key"] == object_key
    assert stored["source"] == source
    assert image in stored["source_url"]
    assert (stored["width"], stored["height"]) == (width, height)
    assert stored["thumbhash"] == miss.headers["x-thumbhash"]
    obj = service.r2_objects()[object_key]
    assert obj["http_metadata"] == {
        "contentType": {"jpg": "image/jpeg", "png": "image/png"}[extension],
        "cacheControl": "public, max-age=31536000, immutable",
    }
    metadata = dict(obj["custom_metadata"])  # type: ignore[call-overload]
    # The claim token the object was put under (the storage rule's fence): 16 random bytes.
    assert re.fullmatch(r"[0-9a-f]{32}", metadata.pop("x-claim"))
    assert metadata == {
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


def test_upstream_requests_identify_themselves(upstream: FakeUpstream) -> None:
    agents = {r.headers.get("User-Agent") or r.headers.get("user-agent") for r in upstream.requests}
    agents = {a for a in agents if not (a or "").startswith("python-httpx/")}  # the tests' own
    assert agents
    assert all(a and a.startswith("rewind-images/") for a in agents)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("timeout", marks=pytest.mark.slow),
        "http-500",
        "http-404",
        "oversize",
        "oversize-chunked",
        "wrong-type",
        "empty",
        "corrupt",
        "huge-side",
        "huge-area",
        "redirect-private",
        "redirect-metadata",
        "redirect-loop",
        "sample-webp",
    ],
)
def test_failing_sources_answer_502_and_record_nothing(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: str, fault: str
) -> None:
    assert_fault_is_a_502_that_records_nothing(service, upstream, client, key, fault)


def assert_fault_is_a_502_that_records_nothing(
    service: ServiceUnderTest, upstream: FakeUpstream, client: httpx.Client, key: str, fault: str
) -> None:
    """An album whose one candidate has `fault` answers 502, stores nothing, caches nothing."""
    entity = unique("fault")
    url = image_url("listening", "albums", entity, artist_name="Fault Injection", album_name=fault)
    response = client.get(url, headers=bearer(key))
    assert response.status_code == 502, response.text
    assert response.json() == {"error": "Image sources failed; try again later", "status": 502}
    assert row(service, "listening", "albums", entity) is None
    assert not [k for k in service.r2_objects() if f"/{entity}/" in k]
    # Nothing was cached: the next request asks the sources again.
    before = upstream.count("/apple/")
    assert client.get(url, headers=bearer(key)).status_code == 502
    assert upstream.count("/apple/") > before


@pytest.mark.parametrize(
    ("fault", "extension"),
    [("mislabelled", "png"), ("redirect-ok", "png"), ("slow", "png"), ("sample-gif", "gif")],
)
def test_odd_but_valid_images_are_accepted(
    service: InProcessApp, client: httpx.Client, key: str, fault: str, extension: str
) -> None:
    entity = unique("odd")
    url = image_url("listening", "albums", entity, artist_name="Fault Injection", album_name=fault)
    response = client.get(url, headers=bearer(key))
    assert response.status_code == 302, response.text
    assert response.headers["location"].endswith(f"/{entity}/original.{extension}?v=1")


@pytest.mark.parametrize(
    ("hints", "source", "image"),
    [
        (
            {"artist_name": "Fault Fallback", "album_name": "Broken Apple Artwork"},
            "deezer",
            "deezer-broken-apple",
        ),
        (
            {"artist_name": "API Fault", "album_name": "apple-fault-http-500"},
            "deezer",
            "deezer-api-fallback",
        ),
    ],
)
def test_a_failing_source_falls_through_to_the_next(
    service: InProcessApp,
    client: httpx.Client,
    key: str,
    hints: dict[str, str],
    source: str,
    image: str,
) -> None:
    entity = unique("fallback")
    response = client.get(image_url("listening", "albums", entity, **hints), headers=bearer(key))
    assert response.status_code == 302, response.text
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == source
    assert image in stored["source_url"]


@pytest.mark.workerd
@pytest.mark.slow
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


def test_no_image_anywhere_is_a_404_recorded_and_not_asked_again(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: str
) -> None:
    entity = unique("unknown")
    url = image_url("listening", "albums", entity, artist_name="Nobody", album_name="Nothing")
    first = client.get(url, headers=bearer(key))
    assert first.status_code == 404
    assert first.json() == {"error": "No image available for this entity", "status": 404}
    assert first.headers["cache-control"] == "public, max-age=300"
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert (stored["r2_key"], stored["source"]) == ("", "none")
    assert stored["search_hints"] == '{"album_name": "Nothing", "artist_name": "Nobody"}'
    calls = len(upstream.requests)
    assert client.get(url, headers=bearer(key)).status_code == 404
    assert len(upstream.requests) == calls


def test_an_expired_negative_result_asks_the_sources_again(
    service: InProcessApp, upstream: FakeUpstream, client: httpx.Client, key: str
) -> None:
    entity = unique("retry")
    add_expired_no_image(service, entity)
    url = image_url("listening", "albums", entity, artist_name="Daft Punk", album_name="Discovery")
    before = upstream.count("/apple/")
    response = client.get(url, headers=bearer(key))
    assert upstream.count("/apple/") > before
    assert response.status_code == 302
    stored = row(service, "listening", "albums", entity)
    assert stored is not None
    assert stored["source"] == "apple_music"
    assert stored["image_version"] == 2  # a replaced row never reuses a version


def test_a_pair_without_sources_is_a_404(client: httpx.Client, key: str) -> None:
    response = client.get(image_url("reading", "albums", unique("x")), headers=bearer(key))
    assert response.status_code == 404


def test_concurrent_misses_make_one_row_one_object_and_the_same_redirect(
    service: InProcessApp, upstream: FakeUpstream, key: str
) -> None:
    entity = unique("together")
    url = image_url("listening", "albums", entity, artist_name="Daft Punk", album_name="Discovery")
    before = upstream.count("/img/apple-discovery")

    async def twenty() -> list[httpx.Response]:
        return await asyncio.gather(*(service.respond("GET", url, bearer(key)) for _ in range(20)))

    responses = service.run(twenty())
    assert {r.status_code for r in responses} == {302}
    assert len({r.headers["location"] for r in responses}) == 1
    assert len({r.headers["x-thumbhash"] for r in responses}) == 1
    assert service.sql("SELECT count(*) FROM images WHERE entity_id = ?", (entity,)) == [(1,)]
    assert [k for k in service.r2_objects() if f"/{entity}/" in k] == [
        f"listening/albums/{entity}/original.jpg"  # Apple Music's JPEG
    ]
    assert upstream.count("/img/apple-discovery") - before == 1
    assert service.sql("SELECT count(*) FROM image_claims", ()) == [(0,)]

"""GET/HEAD /v1/images/...: the hit path, validation and the redirect's headers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest

from tests.support.app_client import InProcessApp
from tests.support.helpers import add_image, bearer, unique

CDN = "https://cdn.test"
SIZES = {
    "thumbnail": "width=64,height=64",
    "small": "width=150,height=150",
    "medium": "width=300,height=300",
    "large": "width=600,height=600",
    "poster": "width=342,height=513",
    "poster-lg": "width=500,height=750",
    "poster-sm": "width=240,height=360",
    "backdrop": "width=780,height=439",
}
VALID_SIZES = "thumbnail, small, medium, large, poster, poster-lg, backdrop, original, poster-sm"


@pytest.mark.workerd
@pytest.mark.parametrize("size", [*SIZES, "original"])
def test_hit_redirects_to_the_exact_cdn_url_for_each_size(
    service: InProcessApp, client: httpx.Client, key: str, size: str
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity, version=3)
    response = client.get(f"/v1/images/listening/albums/{entity}/{size}", headers=bearer(key))
    assert response.status_code == 302
    object_key = f"listening/albums/{entity}/original.jpg"
    if size == "original":
        expected = f"{CDN}/{object_key}?v=3"
    else:
        expected = (
            f"{CDN}/cdn-cgi/image/{SIZES[size]},fit=cover,format=auto,quality=85/{object_key}?v=3"
        )
    assert response.headers["location"] == expected
    assert response.headers["x-thumbhash"] == "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB"
    assert response.headers["x-dominant-color"] == "#f5d1dc"
    assert response.headers["x-accent-color"] == "#203040"
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == b""


@pytest.mark.workerd
def test_entity_id_segments_are_percent_encoded_in_the_location(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    add_image(service, "watching", "movies", "tmdb:15 #1")
    response = client.get(
        f"/v1/images/watching/movies/{quote('tmdb:15 #1', safe='')}/medium", headers=bearer(key)
    )
    assert response.status_code == 302
    assert response.headers["location"] == (
        f"{CDN}/cdn-cgi/image/width=300,height=300,fit=cover,format=auto,quality=85/"
        "watching/movies/tmdb%3A15%20%231/original.jpg?v=1"
    )


@pytest.mark.workerd
def test_head_answers_like_get_without_a_body(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    got = client.get(f"/v1/images/listening/albums/{entity}/small", headers=bearer(key))
    head = client.head(f"/v1/images/listening/albums/{entity}/small", headers=bearer(key))
    assert head.status_code == 302
    assert head.headers["location"] == got.headers["location"]
    assert head.headers["x-thumbhash"] == got.headers["x-thumbhash"]
    assert head.content == b""


def test_unknown_metadata_headers_are_left_out(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("artist")
    add_image(service, "listening", "artists", entity, thumbhash=None, dominant=None, accent=None)
    response = client.get(f"/v1/images/listening/artists/{entity}/small", headers=bearer(key))
    assert response.status_code == 302
    for name in ("x-thumbhash", "x-dominant-color", "x-accent-color"):
        assert name not in response.headers


@pytest.mark.workerd
def test_a_no_image_record_is_a_404_not_a_broken_redirect(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    add_image(service, "listening", "albums", entity, r2_key="", source="none", created_at=now)
    response = client.get(f"/v1/images/listening/albums/{entity}/medium", headers=bearer(key))
    assert response.status_code == 404
    assert response.json() == {"error": "No image available for this entity", "status": 404}
    assert response.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v1/images/sleeping/albums/x/medium", "Invalid domain: sleeping"),
        ("/v1/images/listening/songs/x/medium", "Invalid entity type: songs"),
        (
            "/v1/images/listening/albums/x/huge",
            f"Invalid size: huge. Valid sizes: {VALID_SIZES}",
        ),
        ("/v1/images/listening/albums/" + "x" * 201 + "/medium", "Invalid entity id"),
        ("/v1/images/listening/albums/a%2Fb/medium", "Invalid entity id"),
        ("/v1/images/listening/albums/a%0Ab/medium", "Invalid entity id"),
        ("/v1/images/listening/albums/x/medium?mbid=not-a-uuid", "Invalid mbid"),
        ("/v1/images/watching/movies/x/medium?tmdb_id=12a", "Invalid tmdb_id"),
        ("/v1/images/listening/albums/x/medium?artist_name=" + "a" * 301, "Invalid artist_name"),
        (
            "/v1/images/reading/articles/x/medium?article_url=ftp://example.com/a",
            "Invalid article_url",
        ),
        (
            "/v1/images/listening/albums/x/medium?album_name=a&album_name=b",
            "Query parameter album_name given more than once",
        ),
    ],
)
def test_bad_input_is_a_400_envelope_with_the_api_message(
    client: httpx.Client, key: str, path: str, message: str
) -> None:
    response = client.get(path, headers=bearer(key))
    assert response.status_code == 400
    assert response.json() == {"error": message, "status": 400}


def test_bad_input_is_not_stored(service: InProcessApp, client: httpx.Client, key: str) -> None:
    client.get("/v1/images/listening/albums/" + "y" * 201 + "/medium", headers=bearer(key))
    rows = service.sql("SELECT count(*) FROM images WHERE entity_id LIKE 'yyyy%'")
    assert rows == [(0,)]


@pytest.mark.workerd
@pytest.mark.slow
def test_a_version_written_elsewhere_reaches_the_cached_hit_path(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("elsewhere")
    add_image(service, "listening", "albums", entity, version=1)
    url = f"/v1/images/listening/albums/{entity}/medium"
    assert client.get(url, headers=bearer(key)).headers["location"].endswith("?v=1")
    # As another isolate or an operator would: straight into D1, the trigger logs the change.
    service.sql("UPDATE images SET image_version = 7 WHERE entity_id = ?", (entity,))
    logged = service.sql("SELECT count(*) FROM image_changes WHERE entity_id = ?", (entity,))
    assert logged == [(2,)]  # the insert and the update
    deadline = time.monotonic() + 10  # CHANGE_POLL_SECONDS is 1 in the test service
    location = ""
    while time.monotonic() < deadline:
        location = client.get(url, headers=bearer(key)).headers["location"]
        if location.endswith("?v=7"):
            break
        time.sleep(0.2)  # poll interval of this check, not a readiness wait
    assert location.endswith("?v=7")

"""Attachments in-process: the JSON form of the image route and POST /v1/images/attachments,
every status and field with exact values, the envelope errors, the batched D1 reads, the
isolate caches and the batch's rate-limit cost."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.images.attachments import placeholders
from rewind_images.imaging.placeholder import DATA_URL_PREFIX, placeholder_data_url
from rewind_images.imaging.thumbhash import thumbhash_to_approximate_aspect_ratio, thumbhash_to_rgba
from tests.app.test_images_hit import SIZES, VALID_SIZES
from tests.support.app_client import InProcessApp
from tests.support.helpers import add_expired_no_image, add_image, add_key, bearer, unique

CDN = "https://cdn.test"
THUMBHASH = "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB"  # add_image's default
JSON = {"Accept": "application/json"}
PRESETS = {
    "thumbnail": (64, 64),
    "small": (150, 150),
    "medium": (300, 300),
    "large": (600, 600),
    "poster": (342, 513),
    "poster-lg": (500, 750),
    "poster-sm": (240, 360),
    "backdrop": (780, 439),
}
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def key(service: InProcessApp) -> str:
    return add_key(service, rate_limit_rpm=100_000)


def image_path(entity_id: str, size: str = "medium", domain: str = "listening") -> str:
    entity_type = "albums" if domain == "listening" else "movies"
    return f"/v1/images/{domain}/{entity_type}/{quote(entity_id, safe='')}/{size}"


def location(entity_id: str, size: str, version: int = 1, kind: str = "listening/albums") -> str:
    key = f"{kind}/{quote(entity_id, safe='')}/original.jpg"
    if size == "original":
        return f"{CDN}/{key}?v={version}"
    return f"{CDN}/cdn-cgi/image/{SIZES[size]},fit=cover,format=auto,quality=85/{key}?v={version}"


def expected_attachment(
    entity_id: str, size: str, *, version: int = 1, width: int = 1200, height: int = 1200
) -> dict[str, Any]:
    """The attachment of a row seeded by add_image with its defaults."""
    url = location(entity_id, size, version)
    variant = PRESETS.get(size, (width, height))
    return {
        "cdn_url": url,
        "url": url,
        "thumbhash": THUMBHASH,
        "dominant_color": "#f5d1dc",
        "accent_color": "#203040",
        "width": variant[0],
        "height": variant[1],
        "aspect_ratio": round(width / height, 4),
        "placeholder": placeholder_data_url(THUMBHASH),
        "source": "seed",
        "image_version": version,
    }


def batch(
    client: httpx.Client, key: str, items: list[Any], size: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"items": items}
    if size is not None:
        body["size"] = size
    return client.post("/v1/images/attachments", json=body, headers=bearer(key))


# Hints some source can use (Apple Music, Deezer and iTunes search by names): an item with them
# is queued; without, no source can be asked and it is answered `none`.
DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}


def item(entity_id: str, **extra: Any) -> dict[str, Any]:
    return {"domain": "listening", "entity_type": "albums", "entity_id": entity_id, **extra}


def answer(
    entity_id: str, status: str, image: dict[str, Any] | None = None, size: str = "medium"
) -> dict[str, Any]:
    return {
        "domain": "listening",
        "entity_type": "albums",
        "entity_id": entity_id,
        "size": size,
        "status": status,
        "image": image,
    }


# --- the JSON form of the image route ---------------------------------------------------------


@pytest.mark.parametrize("size", [*SIZES, "original"])
def test_json_form_is_the_attachment_with_the_redirects_location(
    service: InProcessApp, client: httpx.Client, key: str, size: str
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity, version=3, width=1200, height=800)
    redirect = client.get(image_path(entity, size), headers=bearer(key))
    response = client.get(image_path(entity, size), headers={**bearer(key), **JSON})
    assert response.status_code == 200
    assert response.json() == {
        "data": expected_attachment(entity, size, version=3, width=1200, height=800)
    }
    assert response.json()["data"]["cdn_url"] == redirect.headers["location"]
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["vary"] == "Accept"
    assert redirect.headers["vary"] == "Accept"


def test_format_json_is_the_json_form_for_clients_that_cannot_set_headers(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    by_header = client.get(image_path(entity), headers={**bearer(key), **JSON})
    by_query = client.get(image_path(entity) + "?format=json", headers=bearer(key))
    assert by_query.status_code == 200
    assert by_query.json() == by_header.json() == {"data": expected_attachment(entity, "medium")}


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/json", 200),
        ("text/html, application/json;q=0.9", 200),
        ("Application/JSON", 200),
        ("application/json;q=0", 302),
        ("*/*", 302),
        ("image/avif,image/webp,*/*", 302),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 302),
    ],
)
def test_only_an_accept_that_lists_json_gets_the_json_form(
    service: InProcessApp, client: httpx.Client, key: str, accept: str, status: int
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    response = client.get(image_path(entity), headers={**bearer(key), "Accept": accept})
    assert response.status_code == status


def test_the_placeholder_is_a_png_of_the_decoded_hash_sized_by_its_aspect_ratio(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    wide = "HBkSHYSIeHiPiHh8eJd4eTN0EEQG"  # a landscape hash: 32 x 23
    add_image(service, "listening", "albums", entity, thumbhash=wide)
    data = client.get(image_path(entity), headers={**bearer(key), **JSON}).json()["data"]
    assert data["placeholder"].startswith(DATA_URL_PREFIX)
    png = base64.b64decode(data["placeholder"][len(DATA_URL_PREFIX) :], validate=True)
    width, height, rgba = thumbhash_to_rgba(base64.b64decode(wide))
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (width, height) == (32, 23)
        assert image.convert("RGBA").tobytes() == rgba  # the reference decode, pixel for pixel
    ratio = thumbhash_to_approximate_aspect_ratio(base64.b64decode(wide))
    assert max(width, height) == 32
    assert round(32 / ratio) == height


def test_unknown_values_are_null_and_there_is_no_placeholder_without_a_hash(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    add_image(
        service,
        "listening",
        "albums",
        entity,
        thumbhash=None,
        dominant=None,
        accent=None,
        width=None,
        height=None,
    )
    sized = client.get(image_path(entity), headers={**bearer(key), **JSON}).json()["data"]
    original = client.get(image_path(entity, "original") + "?format=json", headers=bearer(key))
    assert sized == {
        **expected_attachment(entity, "medium"),
        "thumbhash": None,
        "dominant_color": None,
        "accent_color": None,
        "aspect_ratio": None,
        "placeholder": None,
    }
    assert (original.json()["data"]["width"], original.json()["data"]["height"]) == (None, None)


def test_vary_keeps_accept_when_cors_adds_origin(service_env: dict[str, str]) -> None:
    service = InProcessApp({**service_env, "ALLOWED_ORIGINS": "https://site.test"})
    try:
        token = add_key(service)
        entity = unique("album")
        add_image(service, "listening", "albums", entity)
        with service.client() as http:
            origin = {**bearer(token), "Origin": "https://site.test"}
            redirect = http.get(image_path(entity), headers=origin)
            attachment = http.get(image_path(entity), headers={**origin, **JSON})
        assert redirect.headers["vary"] == attachment.headers["vary"] == "Accept, Origin"
        assert attachment.headers["access-control-allow-origin"] == "https://site.test"
    finally:
        service.close()


def test_json_form_of_no_image_is_the_404_envelope(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity, r2_key="", source="none", created_at=NOW)
    response = client.get(image_path(entity), headers={**bearer(key), **JSON})
    assert response.status_code == 404
    assert response.json() == {"error": "No image available for this entity", "status": 404}
    assert response.headers["cache-control"] == "public, max-age=300"


def test_json_form_validates_like_the_redirect(client: httpx.Client, key: str) -> None:
    response = client.get("/v1/images/sleeping/albums/x/medium", headers={**bearer(key), **JSON})
    assert response.json() == {"error": "Invalid domain: sleeping", "status": 400}
    response = client.get("/v1/images/listening/albums/x/medium?format=xml", headers=bearer(key))
    assert response.json() == {"error": "Invalid format", "status": 400}
    assert client.get("/v1/images/listening/albums/x/medium", headers=JSON).status_code == 401


def test_json_form_head_has_no_body(service: InProcessApp, client: httpx.Client, key: str) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    response = client.head(image_path(entity), headers={**bearer(key), **JSON})
    assert response.status_code == 200
    assert response.content == b""


def test_json_form_runs_the_pipeline_on_a_miss_like_the_redirect(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    url = image_path(entity) + "?artist_name=Daft%20Punk&album_name=Discovery"
    response = client.get(url, headers={**bearer(key), **JSON})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["source"] == "apple_music"
    assert (data["width"], data["height"], data["aspect_ratio"]) == (300, 300, 1.0)
    assert data["placeholder"] == placeholder_data_url(data["thumbhash"])
    redirect = client.get(url, headers=bearer(key))
    assert redirect.headers["location"] == data["cdn_url"]
    assert redirect.headers["x-thumbhash"] == data["thumbhash"]
    # The miss stored the placeholder for every isolate, in the background.
    assert service.sql(
        "SELECT data_url FROM image_placeholders WHERE thumbhash = ?", (data["thumbhash"],)
    ) == [(data["placeholder"],)]


def test_a_redirect_miss_stores_the_placeholder_before_any_attachment_is_read(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    url = image_path(entity) + "?artist_name=Daft%20Punk&album_name=Discovery"
    thumbhash = client.get(url, headers=bearer(key)).headers["x-thumbhash"]
    assert service.sql(
        "SELECT data_url FROM image_placeholders WHERE thumbhash = ?", (thumbhash,)
    ) == [(placeholder_data_url(thumbhash),)]


def test_json_form_failing_sources_is_the_502_envelope(client: httpx.Client, key: str) -> None:
    url = image_path(unique("fault")) + "?artist_name=Fault%20Injection&album_name=http-500"
    response = client.get(url, headers={**bearer(key), **JSON})
    assert response.json() == {"error": "Image sources failed; try again later", "status": 502}


# --- the batch -----------------------------------------------------------------------------


def test_batch_answers_every_status_in_request_order(
    service: InProcessApp, client: httpx.Client, key: str, upstream: FakeUpstream
) -> None:
    ready, nothing, missing = unique("ready"), unique("none"), unique("missing")
    add_image(service, "listening", "albums", ready, version=2)
    add_image(service, "listening", "albums", nothing, r2_key="", source="none", created_at=NOW)
    calls = len(upstream.requests)
    response = batch(
        client,
        key,
        [
            item(ready),
            item(nothing),
            item(missing, artist_name="Daft Punk", album_name="Discovery"),
            {"domain": "sleeping", "entity_type": "albums", "entity_id": "x"},
            item(ready, size="poster"),
            item(ready),
        ],
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    attachment = expected_attachment(ready, "medium", version=2)
    assert response.json() == {
        "data": [
            answer(ready, "ready", attachment),
            answer(nothing, "none"),
            answer(missing, "pending"),
            {
                "domain": "sleeping",
                "entity_type": "albums",
                "entity_id": "x",
                "size": "medium",
                "status": "invalid",
                "image": None,
                "error": "Invalid domain: sleeping",
            },
            answer(ready, "ready", expected_attachment(ready, "poster", version=2), "poster"),
            answer(ready, "ready", attachment),  # a repeated item, answered at its position
        ]
    }
    # The miss was queued (with its hints), not run inline.
    assert len(upstream.requests) == calls
    assert service.queue.sent == [item(missing, artist_name="Daft Punk", album_name="Discovery")]


def test_the_batch_attachment_is_the_json_forms(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("album")
    add_image(service, "listening", "albums", entity)
    single = client.get(image_path(entity, "large"), headers={**bearer(key), **JSON}).json()
    batched = batch(client, key, [item(entity)], size="large").json()["data"][0]
    assert batched["image"] == single["data"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"domain": "sleeping"}, "Invalid domain: sleeping"),
        ({"entity_type": "songs"}, "Invalid entity type: songs"),
        ({"size": "huge"}, f"Invalid size: huge. Valid sizes: {VALID_SIZES}"),
        ({"entity_id": "x" * 201}, "Invalid entity id"),
        ({"entity_id": "a/b"}, "Invalid entity id"),
        ({"entity_id": "a\nb"}, "Invalid entity id"),
        ({"entity_id": ".."}, "Invalid entity id"),
        ({"entity_id": ""}, "Invalid entity id"),
        ({"mbid": "not-a-uuid"}, "Invalid mbid"),
        ({"tmdb_id": "12a"}, "Invalid tmdb_id"),
        ({"artist_name": "a" * 301}, "Invalid artist_name"),
        ({"article_url": "ftp://example.com/a"}, "Invalid article_url"),
        ({"domain": 5}, "Invalid domain: 5"),
        ({"entity_id": 1.5}, "Invalid entity id"),
        ({"album_name": ["a"]}, "Invalid album_name"),
    ],
)
def test_an_invalid_item_gets_the_message_of_a_single_request(
    client: httpx.Client, key: str, fields: dict[str, Any], message: str
) -> None:
    response = batch(client, key, [{**item("x"), **fields}, item(unique("fine"), **DISCOVERY)])
    assert response.status_code == 200
    first, second = response.json()["data"]
    assert (first["status"], first["image"], first["error"]) == ("invalid", None, message)
    assert second["status"] == "pending"  # the other item is unaffected


def test_an_invalid_item_echoes_what_it_can(client: httpx.Client, key: str) -> None:
    response = batch(client, key, ["not an object", {"domain": 7, "entity_id": 12}])
    assert response.json()["data"] == [
        {
            "domain": None,
            "entity_type": None,
            "entity_id": None,
            "size": "medium",
            "status": "invalid",
            "image": None,
            "error": "Item must be a JSON object",
        },
        {
            "domain": None,
            "entity_type": None,
            "entity_id": "12",
            "size": "medium",
            "status": "invalid",
            "image": None,
            "error": "Invalid domain: 7",
        },
    ]


def test_numeric_ids_are_read_as_their_digits(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    add_image(service, "watching", "movies", "603")
    response = batch(
        client, key, [{"domain": "watching", "entity_type": "movies", "entity_id": 603}]
    )
    data = response.json()["data"][0]
    assert (data["entity_id"], data["status"]) == ("603", "ready")
    assert data["image"]["cdn_url"].endswith("/watching/movies/603/original.jpg?v=1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"nope", "Body is not valid JSON"),
        (b"[]", "Body must be a JSON object"),
        (b"{}", "Invalid items: field required"),
        (b'{"items": []}', "Invalid items: must be an array of 1 to 100 items"),
        (b'{"items": {"a": 1}}', "Invalid items: must be an array of 1 to 100 items"),
        (
            b'{"items": [' + b",".join([b"{}"] * 101) + b"]}",
            "Invalid items: must be an array of 1 to 100 items",
        ),
        (b'{"items": [{}], "size": "huge"}', f"Invalid size: huge. Valid sizes: {VALID_SIZES}"),
        (b'{"items": [{}], "page": 2}', "Invalid page: extra fields not permitted"),
    ],
)
def test_only_a_malformed_envelope_is_a_400(
    client: httpx.Client, key: str, body: bytes, message: str
) -> None:
    response = client.post(
        "/v1/images/attachments",
        content=body,
        headers={**bearer(key), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": message, "status": 400}


def test_a_batch_needs_a_key(client: httpx.Client) -> None:
    response = client.post("/v1/images/attachments", json={"items": [item("x")]})
    assert response.status_code == 401


def test_uncached_records_are_read_in_one_statement_and_then_come_from_the_cache(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entities = [unique("page") for _ in range(100)]
    for entity in entities:
        add_image(service, "listening", "albums", entity)
    batch(client, key, [item(e) for e in entities[:1]])  # warm the change-log watermark
    service.db.log.clear()
    first = batch(client, key, [item(e) for e in entities])
    assert [r["status"] for r in first.json()["data"]] == ["ready"] * 100
    reads = [(sql, params) for sql, params in service.db.log if "FROM images" in sql]
    assert len(reads) == 1  # 99 uncached entities, one bound parameter each
    assert len(reads[0][1]) == 99
    service.db.log.clear()
    second = batch(client, key, [item(e) for e in entities])
    assert second.json() == first.json()
    assert service.db.log == []  # records, placeholders and attachments all from the isolate


def test_placeholders_are_decoded_once_and_shared_through_d1(
    tmp_path: Any, service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "d1.sqlite")
    first, second = InProcessApp(service_env, db_path=path), InProcessApp(service_env, db_path=path)
    try:
        token = add_key(first)
        entity = unique("shared")
        add_image(first, "listening", "albums", entity)
        with first.client() as one:
            made = batch(one, token, [item(entity)]).json()["data"][0]["image"]["placeholder"]
        assert first.sql(
            "SELECT data_url FROM image_placeholders WHERE thumbhash = ?", (THUMBHASH,)
        ) == [(made,)]

        def no_decoding(thumbhash: str) -> str:
            raise AssertionError("decoded again")

        monkeypatch.setattr(placeholders, "placeholder_data_url", no_decoding)
        with second.client() as two:
            read = batch(two, token, [item(entity)]).json()["data"][0]["image"]["placeholder"]
        assert read == made
    finally:
        first.close()
        second.close()


def test_a_batch_costs_a_tenth_of_its_items_of_the_rate_limit(
    service: InProcessApp, client: httpx.Client
) -> None:
    token = add_key(service, rate_limit_rpm=25)

    def remaining(response: httpx.Response) -> int:
        return int(response.headers["x-ratelimit-remaining"])

    items = [item(unique("cost")) for _ in range(100)]
    assert remaining(batch(client, token, items[:1])) == 24  # 1 item: 1
    assert remaining(batch(client, token, items[:10])) == 23  # 10 items: 1
    assert remaining(batch(client, token, items[:11])) == 21  # 11 items: 2
    assert remaining(batch(client, token, items)) == 11  # 100 items: 10
    assert remaining(batch(client, token, items)) == 1  # 10 more of the 11 left
    # 10 more of 1 left: the request's own unit is taken, the other 9 are not there.
    refused = batch(client, token, items)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too Many Requests", "status": 429}
    assert remaining(refused) == 0
    assert int(refused.headers["retry-after"]) >= 1


def test_a_pending_entity_is_queued_once_per_isolate_not_per_page_view(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("again")
    for _ in range(3):
        answered = batch(client, key, [item(entity, **DISCOVERY), item(entity, **DISCOVERY)])
        assert answered.json()["data"][0]["status"] == "pending"
    assert service.queue.sent == [item(entity, **DISCOVERY)]


def test_an_expired_no_image_record_is_pending_again(
    service: InProcessApp, client: httpx.Client, key: str
) -> None:
    entity = unique("stale")
    add_expired_no_image(service, entity)
    assert batch(client, key, [item(entity, **DISCOVERY)]).json()["data"][0]["status"] == "pending"
    assert service.queue.sent == [item(entity, **DISCOVERY)]


def test_a_queue_outage_is_a_503(service: InProcessApp, client: httpx.Client, key: str) -> None:
    service.queue.fail_sends = True
    response = batch(client, key, [item(unique("outage"), **DISCOVERY)])
    assert response.status_code == 503
    assert response.json() == {"error": "Service temporarily unavailable", "status": 503}

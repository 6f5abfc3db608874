"""The local CDN: following a Location the service hands out gives the image at its size."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.images.variants import DIMENSIONS, Size
from tests.support.app_client import BASE_URL, InProcessApp
from tests.support.helpers import add_key, bearer, unique

ALBUM = {"artist_name": "Daft Punk", "album_name": "Discovery"}  # a 600x600 PNG in the fake
POSTER = {"tmdb_id": "603"}  # a 500x750 JPEG in the fake


@pytest.fixture
def local(service_env: dict[str, str]) -> Iterator[InProcessApp]:
    instance = InProcessApp({**service_env, "LOCAL_CDN": "true", "CDN_BASE_URL": BASE_URL})
    try:
        yield instance
    finally:
        instance.close()


def _location(client: httpx.Client, token: str, path: str, hints: dict[str, str]) -> str:
    response = client.get(path, params=hints, headers=bearer(token))
    assert response.status_code == 302, response.text
    return response.headers["location"]


def _image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize("size", [s for s in Size if s is not Size.original])
def test_every_sized_location_gives_the_image_at_its_size(local: InProcessApp, size: Size) -> None:
    token = add_key(local)
    with local.client() as client:
        location = _location(
            client, token, f"/v1/images/watching/movies/{unique('m')}/{size}", POSTER
        )
        assert location.startswith(f"{BASE_URL}/cdn-cgi/image/")
        variant = client.get(location, headers={"accept": "image/webp,*/*"})
    assert variant.headers["content-type"] == "image/webp"
    assert variant.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert variant.headers["vary"] == "Accept"
    assert _image(variant).size == DIMENSIONS[size]


def test_the_original_location_gives_the_stored_bytes(local: InProcessApp) -> None:
    token = add_key(local)
    with local.client() as client:
        location = _location(
            client, token, f"/v1/images/listening/albums/{unique('a')}/original", ALBUM
        )
        original = client.get(location)
    key = location.removeprefix(f"{BASE_URL}/").split("?")[0]
    assert original.content == local.bucket.objects[key].body
    assert original.headers["content-type"] == "image/jpeg"  # Apple Music's
    assert _image(original).size == (600, 600)


@pytest.mark.parametrize(
    ("options", "accept", "content_type", "size"),
    [
        # (The album's source is Apple Music's JPEG: the type kept without a format, or with
        # `auto` and no Accept naming AVIF or WebP.)
        ("width=200,height=100,fit=cover", "image/avif,image/webp", "image/jpeg", (200, 100)),
        ("width=200,height=100,fit=contain,format=jpeg", "", "image/jpeg", (100, 100)),
        ("width=200,height=100,fit=pad,format=png", "", "image/png", (200, 100)),
        ("width=900,fit=scale-down,format=webp", "", "image/webp", (600, 600)),
        ("width=900,fit=contain,format=webp", "", "image/webp", (900, 900)),
        ("width=900,height=900,fit=crop,format=webp", "", "image/webp", (600, 600)),
        ("w=100,h=50,fit=crop,f=webp,q=60", "", "image/webp", (100, 50)),
        (
            "width=100,height=100,fit=cover,format=auto,dpr=2",
            "image/avif,*/*",
            "image/avif",
            (200, 200),
        ),
        ("width=100,height=100,fit=cover,format=auto", "image/webp", "image/webp", (100, 100)),
        ("width=100,height=100,fit=cover,format=auto", "", "image/jpeg", (100, 100)),
    ],
)
def test_the_options_clients_build_themselves(
    local: InProcessApp, options: str, accept: str, content_type: str, size: tuple[int, int]
) -> None:
    token = add_key(local)
    with local.client() as client:
        location = _location(
            client, token, f"/v1/images/listening/albums/{unique('a')}/original", ALBUM
        )
        key = location.removeprefix(f"{BASE_URL}/").split("?")[0]
        variant = client.get(f"/cdn-cgi/image/{options}/{key}", headers={"accept": accept})
    assert variant.headers["content-type"] == content_type
    assert _image(variant).size == size


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/cdn-cgi/image/width=100,blur=5/listening/albums/x/original.png", 400, 9401),
        ("/cdn-cgi/image/width=0/listening/albums/x/original.png", 400, 9401),
        ("/cdn-cgi/image/width=abc/listening/albums/x/original.png", 400, 9401),
        ("/cdn-cgi/image/fit=stretch/listening/albums/x/original.png", 400, 9401),
        ("/cdn-cgi/image/format=gif/listening/albums/x/original.png", 400, 9401),
        ("/cdn-cgi/image/width=100/listening/albums/missing/original.png", 404, 9404),
        ("/cdn-cgi/image/width=100/not/a/key", 404, 9404),
        ("/listening/albums/missing/original.png", 404, 9404),
    ],
)
def test_bad_options_and_missing_objects_answer_like_cloudflare(
    local: InProcessApp, path: str, status: int, code: int
) -> None:
    with local.client() as client:
        response = client.get(path)
    assert response.status_code == status
    assert response.headers["cf-resized"] == f"err={code}"
    assert response.text.startswith(f"ERROR {code}: ")


def test_without_the_setting_cdn_paths_are_api_404s(client: httpx.Client) -> None:
    response = client.get("/cdn-cgi/image/width=100/listening/albums/x/original.png")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "status": 404}


def _poster_location(local: InProcessApp, client: httpx.Client) -> str:
    token = add_key(local)
    location = _location(
        client, token, f"/v1/images/watching/movies/{unique('big')}/original", POSTER
    )
    return location.removeprefix(BASE_URL).split("?")[0]


class CountingTransforms:
    """Counts the renders the local CDN asks of the Images double."""

    def __init__(self, app: InProcessApp) -> None:
        self.calls = 0
        original = app.transformer.transform

        async def counted(data: bytes, spec: Any) -> bytes:
            self.calls += 1
            return await original(data, spec)

        app.transformer.transform = counted  # type: ignore[method-assign]


@pytest.mark.parametrize(
    "options",
    [
        "width=4096,height=4096,fit=pad,format=png,dpr=4",  # the 16384 px PNG
        "width=2000,height=100,dpr=3",
        "width=4096,fit=cover",  # a 500x750 poster 4096 wide would be 6144 tall
        "height=4097",
    ],
)
def test_an_output_over_the_cap_is_a_400_before_any_render(
    local: InProcessApp, options: str
) -> None:
    with local.client() as client:
        key = _poster_location(local, client)
        renders = CountingTransforms(local)
        for method in ("GET", "HEAD"):
            answer = client.request(method, f"/cdn-cgi/image/{options}{key}")
            assert answer.status_code == 400
            assert answer.headers["cf-resized"] == "err=9401"
    assert renders.calls == 0


def test_the_cap_allows_exactly_its_size_and_head_renders_nothing(local: InProcessApp) -> None:
    with local.client() as client:
        key = _poster_location(local, client)
        renders = CountingTransforms(local)
        head = client.head(f"/cdn-cgi/image/width=1024,height=1024,fit=pad,dpr=4,format=png{key}")
        assert head.status_code == 200
        assert head.headers["content-type"] == "image/png"
        assert renders.calls == 0
        small = client.get(f"/cdn-cgi/image/width=64,dpr=2{key}")
        assert _image(small).size == (128, 192)  # 500x750 at 128 wide
        assert renders.calls == 1


# --- the demo page's route --------------------------------------------------------------------

DEMO_ITEM = {"domain": "watching", "entity_type": "movies", "entity_id": "matrix", "tmdb_id": "603"}


@pytest.fixture
def demo(service_env: dict[str, str]) -> Iterator[InProcessApp]:
    env = {
        **service_env,
        "LOCAL_CDN": "true",
        "CDN_BASE_URL": BASE_URL,
        "DEMO_ENTITIES": json.dumps([DEMO_ITEM]),
    }
    instance = InProcessApp(env)
    try:
        yield instance
    finally:
        instance.close()


def test_the_demo_route_answers_only_json_bodies_naming_the_pages_entities(
    demo: InProcessApp, upstream: FakeUpstream
) -> None:
    entity = {k: DEMO_ITEM[k] for k in ("domain", "entity_type", "entity_id")}
    with demo.client() as client:
        form = client.post(
            "/demo/attachments",
            content=json.dumps({"items": [entity]}),
            headers={"content-type": "text/plain"},
        )
        assert form.status_code == 415
        assert form.json() == {"error": "Content-Type must be application/json", "status": 415}
        calls = len(upstream.requests)
        stranger = {"domain": "listening", "entity_type": "albums", "entity_id": "x"}
        refused = client.post("/demo/attachments", json={"items": [entity, {**stranger, **ALBUM}]})
        assert refused.status_code == 403
        assert demo.queue.sent == []
        # A configured entity is answered with its configured hints, whatever the caller sends.
        asked = client.post("/demo/attachments", json={"items": [{**entity, "tmdb_id": "550"}]})
        assert asked.status_code == 200
        assert asked.json()["data"][0]["status"] == "pending"
        assert demo.queue.sent == [DEMO_ITEM]
        assert len(upstream.requests) == calls
        demo.queue.sent.clear()
        assert client.get("/demo").status_code == 200


def test_without_demo_entities_there_is_no_demo_route(local: InProcessApp) -> None:
    with local.client() as client:
        assert client.get("/demo").status_code == 404
        posted = client.post("/demo/attachments", json={"items": [DEMO_ITEM]})
        assert posted.status_code == 404

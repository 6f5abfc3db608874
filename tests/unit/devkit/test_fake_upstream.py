"""The fake upstream serves what devkit/README.md promises."""

from __future__ import annotations

import http.client
import io
import json
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageChops, ImageStat

from rewind_devkit import fake_upstream
from rewind_devkit.fake_upstream import (
    APPLE_MUSIC_TOKEN,
    FakeUpstream,
    api_fault_mbid,
    api_fault_tmdb_id,
    image_fault_tmdb_id,
    run_fake_upstream,
)
from rewind_images.config import Settings
from rewind_images.sources import SourceQuery, SourceResponseError, sources_for

TIMEOUT_DELAY_S = 1.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    with run_fake_upstream(timeout_delay_s=TIMEOUT_DELAY_S, slow_total_s=0.2) as server:
        yield server


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", limit: int | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request, no redirect following; read at most `limit` body bytes."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, headers={"User-Agent": "test", **(headers or {})})
        response = conn.getresponse()
        body = response.read(limit) if limit is not None else response.read()
        return response.status, response.headers, body
    finally:
        conn.close()


def png_info(data: bytes) -> tuple[int, int, int, int, int]:
    """Validate chunk CRCs and return (width, height, bit_depth, colour_type, raw_length)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + chunk) == crc
        if kind == b"IHDR":
            ihdr = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    inflater = zlib.decompressobj()
    raw = 0
    while idat:
        raw += len(inflater.decompress(idat, 1 << 20))
        idat = inflater.unconsumed_tail
    return width, height, depth, colour, raw + len(inflater.flush())


def gif_pixels(data: bytes) -> tuple[int, int, list[int]]:
    """A minimal GIF decoder (global palette, one frame): enough to prove the file is valid."""
    assert data[:6] == b"GIF89a"
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    assert data[pos] == 0x2C
    pos += 10
    min_size = data[pos]
    pos += 1
    stream = bytearray()
    while data[pos]:
        stream += data[pos + 1 : pos + 1 + data[pos]]
        pos += 1 + data[pos]
    assert data[pos + 1] == 0x3B
    clear, end = 1 << min_size, (1 << min_size) + 1
    size, table, prev, out, bitpos = min_size + 1, [], None, [], 0
    while True:
        code = int.from_bytes(stream[bitpos // 8 : bitpos // 8 + 3], "little") >> (bitpos % 8)
        code &= (1 << size) - 1
        bitpos += size
        if code == clear:
            table = [[i] for i in range(clear)] + [[], []]
            size, prev = min_size + 1, None
            continue
        if code == end:
            break
        entry = table[code] if code < len(table) else [*prev, prev[0]]
        out += entry
        if prev is not None:
            table.append([*prev, entry[0]])
            if len(table) == 1 << size and size < 12:
                size += 1
        prev = entry
    return width, height, out


# --- APIs speak the real formats ---------------------------------------------------------------


def test_apple_search_shape_and_auth(fake: FakeUpstream) -> None:
    url = fake.url("/apple/v1/catalog/us/search?term=daft+punk+discovery&types=albums&limit=5")
    status, _, _ = fetch(url)
    assert status == 401
    status, headers, body = fetch(url, {"Authorization": f"Bearer {APPLE_MUSIC_TOKEN}"})
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    first = json.loads(body)["results"]["albums"]["data"][0]
    assert first["type"] == "albums"
    assert first["attributes"]["name"] == "Discovery"
    assert "{w}x{h}" in first["attributes"]["artwork"]["url"]


def test_itunes_pads_its_json(fake: FakeUpstream) -> None:
    status, headers, body = fetch(fake.url("/itunes/search?term=rumours&entity=album"))
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert body.startswith(b"\n")
    doc = json.loads(body)
    assert doc["resultCount"] == 1
    assert doc["results"][0]["artworkUrl100"].endswith("/100x100bb.jpg")


def test_caa_redirects_to_its_listing(fake: FakeUpstream) -> None:
    mbid = "00000000-0000-4000-8000-000000000201"
    status, headers, _ = fetch(fake.url(f"/caa/release/{mbid}"))
    assert status == 307
    status, _, body = fetch(headers["Location"])
    assert status == 200
    fronts = [i for i in json.loads(body)["images"] if i["front"]]
    assert len(fronts) == 1
    assert fetch(fake.url("/caa/release/00000000-0000-4000-8000-000000000203"))[0] == 404


def test_tmdb_and_fanart_auth(fake: FakeUpstream) -> None:
    assert fetch(fake.url("/tmdb/api/movie/603"))[0] == 401
    assert fetch(fake.url("/fanart/movies/603"))[0] == 401
    assert fetch(fake.url("/fanart/movies/603?api_key=wrong"))[0] == 401


QUERIES = {
    "apple album": (
        SourceQuery("listening", "albums", "1", "Daft Punk", "Discovery"),
        "apple-discovery",
    ),
    "deezer exact edition": (
        SourceQuery("listening", "albums", "2", "Air", "Moon Safari"),
        "deezer-moon-safari",
    ),
    "itunes only": (
        SourceQuery("listening", "albums", "3", "Fleetwood Mac", "Rumours"),
        "itunes-rumours",
    ),
    "apple api 500": (
        SourceQuery("listening", "albums", "4", "API Fault", "apple-fault-http-500"),
        "deezer-api-fallback",
    ),
    "deezer artist not Airbourne": (SourceQuery("listening", "artists", "5", "Air"), "deezer-air"),
    "deezer placeholder": (
        SourceQuery("listening", "artists", "6", "Sigur Ros"),
        "apple-sigur-ros",
    ),
    "fanart likes": (
        SourceQuery(
            "listening",
            "artists",
            "7",
            "Boards of Canada",
            mbid="00000000-0000-4000-8000-000000000108",
        ),
        "fanart-boc-7",
    ),
    "tmdb poster": (SourceQuery("watching", "movies", "8", tmdb_id="603"), "tmdb-matrix"),
    "fanart poster lang": (
        SourceQuery("watching", "movies", "9", tmdb_id="27205"),
        "fanart-inception-en",
    ),
    "tmdb show": (SourceQuery("watching", "shows", "10", tmdb_id="1396"), "tmdb-breaking-bad"),
    "caa front": (
        SourceQuery("collecting", "releases", "11", mbid="00000000-0000-4000-8000-000000000201"),
        "1001-1200",
    ),
    # No front on the release: its release group's front is the next candidate (group 302 has
    # none in the fake, so a download would 404 and the pipeline would go on to iTunes).
    "caa back only -> release group": (
        SourceQuery(
            "collecting",
            "releases",
            "12",
            "Fleetwood Mac",
            "Rumours",
            mbid="00000000-0000-4000-8000-000000000202",
        ),
        "/caa/release-group/00000000-0000-4000-8000-000000000302/front-1200",
    ),
    "caa back only -> a front elsewhere in its group": (
        SourceQuery("collecting", "releases", "14", mbid="00000000-0000-4000-8000-000000000206"),
        "/caa/release-group/00000000-0000-4000-8000-000000000306/front-1200",
    ),
    "og relative": (
        SourceQuery("reading", "articles", "13", article_url="/pages/og-relative"),
        "article-relative",
    ),
}


def first_candidate(fake: FakeUpstream, query: SourceQuery) -> str | None:
    """Walk the registry like the Worker does (following API redirects); first candidate URL."""
    if query.article_url and query.article_url.startswith("/"):
        query = SourceQuery(
            query.domain,
            query.entity_type,
            query.entity_id,
            article_url=fake.url(query.article_url),
        )
    settings = Settings.from_env(fake.settings_env())
    for source in sources_for(query.domain, query.entity_type):
        request = source.request(query, settings)
        if request is None:
            continue
        url = request.url
        for _ in range(3):
            status, headers, body = fetch(url, request.headers)
            if status not in (301, 302, 307, 308):
                break
            url = headers["Location"]
        if status != 200:
            continue
        candidates = source.parse(query, body, settings)
        if candidates:
            return candidates[0].url
    return None


@pytest.mark.parametrize("case", sorted(QUERIES))
def test_sources_against_the_fake(fake: FakeUpstream, case: str) -> None:
    query, expected = QUERIES[case]
    url = first_candidate(fake, query)
    assert url is not None
    assert expected in url
    assert url.startswith(fake.base_url)


def test_api_faults_by_id(fake: FakeUpstream) -> None:
    settings = Settings.from_env(fake.settings_env())
    headers = {"Authorization": f"Bearer {settings.tmdb_read_token}"}
    assert fetch(fake.url(f"/tmdb/api/movie/{api_fault_tmdb_id(500)}"), headers)[0] == 500
    status, response_headers, _ = fetch(
        fake.url(f"/tmdb/api/movie/{api_fault_tmdb_id(429)}"), headers
    )
    assert (status, response_headers["Retry-After"]) == (429, "2")
    status, _, body = fetch(fake.url(f"/tmdb/api/movie/{api_fault_tmdb_id(200)}"), headers)
    assert status == 200
    source = sources_for("watching", "movies")[0]
    with pytest.raises(SourceResponseError):
        source.parse(SourceQuery("watching", "movies", "x"), body, settings)
    assert fetch(fake.url(f"/caa/release/{api_fault_mbid(500)}"))[0] == 500


# --- images -------------------------------------------------------------------------------------


def test_png_images_are_real(fake: FakeUpstream) -> None:
    status, headers, body = fetch(fake.url("/tmdb/img/w780/tmdb-matrix.png"))
    assert (status, headers["Content-Type"]) == (200, "image/png")
    width, height, depth, colour, raw = png_info(body)
    assert (width, height, depth, colour) == (500, 750, 8, 2)
    assert raw == height * (1 + width * 3)
    other = fetch(fake.url("/img/apple-discovery/600x600bb.png"))[2]
    assert other != body


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("/tmdb/img/w780/tmdb-matrix.jpg", (500, 750)),
        ("/img/apple-discovery/600x600bb.jpg", (600, 600)),
        ("/deezer-img/images/cover/deezer-discovery/1000x1000-000000-80-0-0.jpg", (600, 600)),
        ("/img/fanart-daft-punk/fanart.JPEG", (1000, 1000)),
    ],
)
def test_a_jpg_name_is_a_real_jpeg_of_the_same_photo(
    fake: FakeUpstream, path: str, size: tuple[int, int]
) -> None:
    status, headers, body = fetch(fake.url(path))
    assert (status, headers["Content-Type"]) == (200, "image/jpeg")
    photo = Image.open(io.BytesIO(body))
    assert (photo.format, photo.mode, photo.size) == ("JPEG", "RGB", size)
    png_body = fetch(fake.url(path.rsplit(".", 1)[0] + ".png"))[2]
    png = Image.open(io.BytesIO(png_body))
    assert png.format == "PNG"
    # The same picture: a JPEG at quality 90 stays within a few levels of it on average, in a
    # fraction of the bytes (as a CDN's JPEG of a photo is).
    diff = ImageChops.difference(photo, png.convert("RGB"))
    assert max(ImageStat.Stat(diff).mean) < 4
    assert len(body) * 5 < len(png_body)


def test_gif_and_webp_samples(fake: FakeUpstream) -> None:
    status, headers, body = fetch(fake.url("/img/sample-gif/x.gif"))
    assert (status, headers["Content-Type"]) == (200, "image/gif")
    width, height, pixels = gif_pixels(body)
    assert (width, height, len(pixels)) == (64, 48, 64 * 48)
    webp = fetch(fake.url("/img/sample-webp/x.webp"))[2]
    assert webp[:4] == b"RIFF"
    assert webp[8:16] == b"WEBPVP8L"


def test_too_many_pixels_is_a_real_png(fake: FakeUpstream) -> None:
    body = fetch(fake.url("/img/fault-huge-side/x.png"))[2]
    assert len(body) < 100_000
    assert png_info(body) == (20_000, 20_000, 1, 0, 20_000 * (1 + 2_500))
    assert png_info(fetch(fake.url("/img/fault-huge-area/x.png"))[2])[:2] == (10_000, 6_000)


def test_redirect_faults(fake: FakeUpstream) -> None:
    status, headers, _ = fetch(fake.url("/img/fault-redirect-loop/x.png"))
    assert status == 302
    status, headers, _ = fetch(headers["Location"])
    assert status == 302
    assert urlsplit(headers["Location"]).path.startswith("/img/fault-redirect-loop/")
    assert fetch(fake.url("/img/fault-redirect-metadata/x"))[1]["Location"].startswith(
        "http://169.254.169.254/"
    )
    assert fetch(fake.url("/img/fault-redirect-private/x"))[1]["Location"].startswith("http://10.")


def test_content_faults(fake: FakeUpstream) -> None:
    assert fetch(fake.url("/img/fault-wrong-type/x.png"))[1]["Content-Type"].startswith("text/html")
    corrupt = fetch(fake.url("/img/fault-corrupt/x.png"))[2]
    assert corrupt.startswith(b"\x89PNG\r\n\x1a\n")
    assert corrupt[12:16] != b"IHDR"
    status, headers, head = fetch(fake.url("/img/fault-oversize/x.png"), limit=1 << 16)
    assert status == 200
    assert int(headers["Content-Length"]) > 20 * 1024 * 1024
    assert head.startswith(b"\x89PNG")
    status, headers, _ = fetch(fake.url("/img/fault-oversize-chunked/x.png"), limit=1 << 16)
    assert headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in headers
    assert fetch(fake.url("/img/fault-http-500/x.png"))[0] == 500


def test_timeout_does_not_block_other_requests(fake: FakeUpstream) -> None:
    done: list[float] = []
    started = time.monotonic()
    slow = threading.Thread(
        target=lambda: (fetch(fake.url("/img/fault-timeout/x.png")), done.append(time.monotonic()))
    )
    slow.start()
    time.sleep(0.05)
    assert fetch(fake.url("/img/article-twitter/card.png"))[0] == 200
    assert time.monotonic() - started < TIMEOUT_DELAY_S
    slow.join(timeout=10)
    assert done
    assert done[0] - started >= TIMEOUT_DELAY_S * 0.9


def test_image_fault_movie_ids(fake: FakeUpstream) -> None:
    query = SourceQuery("watching", "movies", "x", tmdb_id=image_fault_tmdb_id("corrupt"))
    url = first_candidate(fake, query)
    assert url is not None
    assert url.endswith("/fault-corrupt.jpg")


# --- request log --------------------------------------------------------------------------------


def test_request_log_over_python_and_http(fake: FakeUpstream) -> None:
    fake.reset()
    fetch(fake.url("/deezer/search/artist?q=air"), {"User-Agent": "probe/1"})
    fetch(fake.url("/deezer/search/artist?q=air"))
    assert fake.counts == {"/deezer/search/artist": 2}
    assert fake.count("/deezer/") == 2
    method, path, headers = fake.requests[0]
    assert (method, path, headers["User-Agent"]) == (
        "GET",
        "/deezer/search/artist?q=air",
        "probe/1",
    )
    doc = json.loads(fetch(fake.url("/_log"))[2])
    assert doc["counts"] == {"/deezer/search/artist": 2}
    assert doc["requests"][0]["headers"]["User-Agent"] == "probe/1"
    assert fetch(fake.url("/_reset"), method="POST")[0] == 204
    assert fake.requests == []


def test_generated_photos_are_kept_on_disk_and_served_from_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake_upstream, "IMAGE_CACHE", tmp_path)
    fake_upstream._image_cache_dir.cache_clear()
    fake_upstream._image_bytes.cache_clear()
    try:
        made = fake_upstream._image_bytes("apple-discovery", "jpeg")
        kept = list(tmp_path.glob("*/apple-discovery.jpeg"))
        assert [path.read_bytes() for path in kept] == [made]
        assert made == fake_upstream._generate_image("apple-discovery", "jpeg")
        assert not list(tmp_path.glob("*/*.partial"))
        # Another process finds it there and does not make it again.
        kept[0].write_bytes(b"from the disk cache")
        fake_upstream._image_bytes.cache_clear()
        assert fake_upstream._image_bytes("apple-discovery", "jpeg") == b"from the disk cache"
        # The PNG of the same photo is kept apart.
        assert fake_upstream._image_bytes("apple-discovery", "png")[:4] == b"\x89PNG"
        # Setup's warm-up makes every format of every photo and drops earlier generators' photos.
        stale = tmp_path / "0123456789abcdef"
        stale.mkdir()
        (stale / "apple-discovery.png").write_bytes(b"old")
        monkeypatch.setattr(fake_upstream, "IMAGE_SIZES", {"apple-discovery": (600, 600)})
        fake_upstream.warm_image_cache()
        assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*")) == [
            f"{kept[0].parent.name}/apple-discovery.jpeg",
            f"{kept[0].parent.name}/apple-discovery.png",
        ]
    finally:
        fake_upstream._image_cache_dir.cache_clear()
        fake_upstream._image_bytes.cache_clear()

"""A local fake of every upstream the image Worker talks to, with fault injection.

One `ThreadingHTTPServer` on 127.0.0.1 serves, under path prefixes, the response formats of
Apple Music (/apple), Deezer (/deezer, images under /deezer-img), the iTunes Search API
(/itunes), TMDB (/tmdb/api, images under /tmdb/img), Fanart.tv (/fanart), the Cover Art Archive
(/caa, with its real redirect to an archive.org-style index), article pages (/pages) and plain
images (/img). Faults are chosen by the entity asked for (a name, TMDB id, MBID or page slug),
so a test selects one without touching server state. See devkit/README.md for the
catalogue.

Run standalone (offline demo): `python -m rewind_devkit.fake_upstream --port 8790`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import importlib.metadata
import io
import json
import os
import random
import re
import shutil
import struct
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

# --- secrets the fake accepts (settings_env hands them to the Worker) ----------------------------
APPLE_MUSIC_TOKEN = "fake-apple-music-developer-token"
TMDB_READ_TOKEN = "fake-tmdb-read-token"
FANART_API_KEY = "fake-fanart-api-key"

# --- fault tuning ---------------------------------------------------------------------------------
MAX_FAULT_DELAY_S = 5.0  # no fault ever holds a request longer than this
DEFAULT_TIMEOUT_DELAY_S = 3.0  # "timeout" faults sleep this long (set the client timeout lower)
DEFAULT_SLOW_TOTAL_S = 1.0  # the "slow" image trickles out over this long, then completes
OVERSIZE_BYTES = 25 * 1024 * 1024  # streamed lazily; above the Worker's 20 MB default cap
STREAM_PIECE_BYTES = 64 * 1024
HUGE_SIDE = (20_000, 20_000)  # both sides above the 12 000 px default limit
HUGE_AREA = (10_000, 6_000)  # sides within the limit, 60 MP above the 50 MP default limit
FORBIDDEN_PRIVATE_URL = "http://10.0.0.1/x.png"
FORBIDDEN_METADATA_URL = "http://169.254.169.254/latest/meta-data/"

IMAGE_FAULTS: tuple[str, ...] = (
    "timeout",  # sleeps timeout_delay_s, then sends a good PNG
    "http-500",
    "http-404",
    "oversize",  # 25 MB, Content-Length declared
    "oversize-chunked",  # 25 MB, chunked, no Content-Length
    "wrong-type",  # text/html page on an image URL
    "mislabelled",  # a good PNG labelled image/jpeg
    "empty",  # 200 image/png with an empty body
    "corrupt",  # PNG signature, then garbage
    "huge-side",  # real 1-bit PNG, 20000x20000
    "huge-area",  # real 1-bit PNG, 10000x6000
    "redirect-private",  # 302 to http://10.0.0.1/x.png
    "redirect-metadata",  # 302 to http://169.254.169.254/latest/meta-data/
    "redirect-loop",  # 302 a -> b -> a ...
    "redirect-ok",  # 302 to a good PNG on this server
    "slow",  # a good PNG trickled out over slow_total_s
    "truncated",  # a real PNG cut short: its header reads, its pixels do not
)
"""Image-level faults; image key `fault-<name>` (URL /img/fault-<name>/...) applies one."""

API_FAULTS: dict[int, str] = {
    408: "timeout",  # sleeps timeout_delay_s, then answers normally
    500: "http-500",
    503: "http-503",  # a transient failure the client may retry
    429: "http-429",  # with Retry-After
    200: "bad-json",  # HTTP 200, truncated JSON
    201: "wrong-shape",  # HTTP 200, valid JSON of the wrong shape
}
"""API-level faults by code; TMDB id 990<code> and MBID ...-00000000f<code> select one."""

SEARCH_FAULT_RE = re.compile(
    r"\b(api|apple|deezer|itunes)-fault-(timeout|http-500|http-503|http-429|bad-json|wrong-shape|quota)\b"
)
"""A search term containing e.g. `apple-fault-http-500` faults that API (`api-` = all)."""


def api_fault_tmdb_id(code: int) -> str:
    """TMDB id that makes /tmdb/api fault with API fault `code` (see API_FAULTS)."""
    return f"990{code}"


def api_fault_mbid(code: int) -> str:
    """MBID that makes Fanart (music) and the Cover Art Archive fault with `code`."""
    return f"00000000-0000-4000-8000-00000000f{code}"


def image_fault_tmdb_id(fault: str) -> str:
    """TMDB movie id whose poster is the image fault `fault` (no Fanart fallback)."""
    return str(990100 + IMAGE_FAULTS.index(fault) + 1)


# =================================================================================================
# Image encoders (stdlib; the photos through Pillow, which the dev environment has)
# =================================================================================================

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(
    width: int, height: int, scanlines: bytes, *, bit_depth: int, colour_type: int
) -> bytes:
    """Wrap raw scanlines (each prefixed with filter byte 0) into a PNG file."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(scanlines, 6))
        + _png_chunk(b"IEND", b"")
    )


def photo_png(key: str, width: int, height: int) -> bytes:
    """The photo of `key` (rewind_devkit.fake_photos) as an RGB PNG, unique per key."""
    from rewind_devkit.fake_photos import picture  # imported here: only image requests need it

    out = io.BytesIO()
    picture(key, width, height).save(out, "PNG", compress_level=1)  # fast; noise compresses little
    return out.getvalue()


JPEG_QUALITY = 90  # the fake's photos as JPEG, as those CDNs serve them (a 600 px album: ~60 KB)


def photo_jpeg(key: str, width: int, height: int) -> bytes:
    """The same photo as a baseline JPEG at quality 90, as image CDNs serve photos: a fraction
    of the PNG's bytes (the grain is what a JPEG smooths)."""
    from rewind_devkit.fake_photos import picture

    out = io.BytesIO()
    picture(key, width, height).save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def bilevel_png(width: int, height: int) -> bytes:
    """A real, decodable 1-bit greyscale PNG of any size, built row by row (tiny when zipped)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    squeezer = zlib.compressobj(9)
    parts = [squeezer.compress(row) for _ in range(height)]
    parts.append(squeezer.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


# Codes between LZW clears; kept below 254 so the code width never grows past 9 bits.
_GIF_CLEAR_EVERY = 200


def encode_gif(width: int, height: int, indices: bytes, palette: bytes) -> bytes:
    """A valid GIF89a with a 256-colour table, LZW-coded as literals with frequent clears."""
    clear, end = 256, 257
    codes: list[int] = []
    for i, index in enumerate(indices):
        if i % _GIF_CLEAR_EVERY == 0:
            codes.append(clear)
        codes.append(index)
    codes.append(end)
    bits = 0
    nbits = 0
    data = bytearray()
    for code in codes:
        bits |= code << nbits
        nbits += 9
        while nbits >= 8:
            data.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        data.append(bits & 0xFF)
    blocks = bytearray()
    for start in range(0, len(data), 255):
        piece = data[start : start + 255]
        blocks.append(len(piece))
        blocks += piece
    blocks.append(0)
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0xF7, 0, 0)
        + palette
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x08"
        + bytes(blocks)
        + b"\x3b"
    )


def sample_gif(width: int = 64, height: int = 48) -> bytes:
    """A small gradient GIF (real, decodable)."""
    palette = b"".join(bytes((i, 255 - i, (i * 3) % 256)) for i in range(256))
    indices = bytes(
        ((x * 255) // max(1, width - 1) + y) % 256 for y in range(height) for x in range(width)
    )
    return encode_gif(width, height, indices, palette)


def webp_magic() -> bytes:
    """RIFF/WEBP container with a VP8L chunk of garbage: right magic, NOT decodable."""
    payload = b"\x2f" + random.Random(7).randbytes(255)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(payload))
        + b"WEBP"
        + b"VP8L"
        + struct.pack("<I", len(payload))
        + payload
    )


def corrupt_png() -> bytes:
    """PNG signature followed by garbage (not even a valid IHDR)."""
    return PNG_SIGNATURE + random.Random(13).randbytes(4096)


# =================================================================================================
# Catalogue
# =================================================================================================

IMAGE_SIZES: dict[str, tuple[int, int]] = {}
"""Every good image key -> (width, height). Served at /img/<key>/<anything>."""


def _img(key: str, width: int, height: int) -> str:
    IMAGE_SIZES[key] = (width, height)
    return key


ALBUM = (600, 600)
ARTIST = (500, 500)
POSTER = (500, 750)
FANART_POSTER = (700, 1000)
HERO = (1200, 630)

# Served for "fault-timeout" (after the delay), "fault-slow", "fault-redirect-ok", "mislabelled".
_img("fault-recovered", 320, 320)
_img("redirect-target", 320, 320)  # where "redirect-ok" points (a plain, non-fault key)
_img("deezer-placeholder", 250, 250)


@dataclass(frozen=True)
class FakeAlbum:
    """An album; each source field is the image key that source lists it with (None = absent)."""

    artist: str
    title: str
    apple: str | None = None
    deezer: str | None = None
    itunes: str | None = None
    apple_id: int = 0


@dataclass(frozen=True)
class FakeArtist:
    """An artist. deezer="placeholder" lists the empty-hash silhouette; apple="no-artwork"
    lists the artist without artwork; fanart is ((image key, likes), ...)."""

    name: str
    mbid: str | None = None
    deezer: str | None = None
    apple: str | None = None
    fanart: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FakeTitle:
    """A TMDB movie or show; fanart is ((image key, lang, likes), ...) (movies only)."""

    tmdb_id: str
    kind: str  # "movie" | "tv"
    title: str
    poster: str | None
    fanart: tuple[tuple[str, str, int], ...] = ()
    api_fault: str | None = None


@dataclass(frozen=True)
class FakeReleaseImage:
    key: str
    image_id: int
    front: bool
    types: tuple[str, ...]
    sizes: tuple[str, ...] = ("250", "500", "1200")  # thumbnails present


@dataclass(frozen=True)
class FakeRelease:
    """A MusicBrainz release on the Cover Art Archive (images=() answers 404).

    `group` is its release group's MBID; by default release N's group is N + 100 (201 -> 301).
    """

    mbid: str
    artist: str
    title: str
    images: tuple[FakeReleaseImage, ...] = ()
    group: str | None = None

    @property
    def release_group(self) -> str:
        return self.group or _mbid(int(self.mbid[-12:]) + 100)

    @property
    def front(self) -> FakeReleaseImage | None:
        return next((image for image in self.images if image.front), None)


def _mbid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


FAULT_ARTIST = "Fault Injection"
API_FAULT_ARTIST = "API Fault"

ALBUMS: tuple[FakeAlbum, ...] = (
    FakeAlbum(
        "Daft Punk",
        "Discovery",
        apple=_img("apple-discovery", *ALBUM),
        deezer=_img("deezer-discovery", *ALBUM),
        itunes=_img("itunes-discovery", *ALBUM),
        apple_id=697194953,
    ),
    # Decoy listed before Air: "Air" must not match "Airbourne".
    FakeAlbum(
        "Airbourne",
        "Runnin' Wild",
        apple=_img("apple-runnin-wild", *ALBUM),
        deezer=_img("deezer-runnin-wild", *ALBUM),
        apple_id=1440857781,
    ),
    # Deezer lists the anniversary edition first; the exact title must win.
    FakeAlbum(
        "Air",
        "Moon Safari (20th Anniversary Edition)",
        deezer=_img("deezer-moon-safari-anniversary", *ALBUM),
    ),
    FakeAlbum(
        "Air",
        "Moon Safari",
        deezer=_img("deezer-moon-safari", *ALBUM),
        itunes=_img("itunes-moon-safari", *ALBUM),
    ),
    FakeAlbum("Fleetwood Mac", "Rumours", itunes=_img("itunes-rumours", *ALBUM)),
    FakeAlbum(
        "The Beatles",
        "Abbey Road (Remastered)",
        apple=_img("apple-abbey-road", *ALBUM),
        apple_id=1441164426,
    ),
    FakeAlbum("Beyoncé", "Lemonade", deezer=_img("deezer-lemonade", *ALBUM)),
    FakeAlbum(
        "Kanye West",
        "Graduation (feat. T-Pain) - Single",
        itunes=_img("itunes-graduation", *ALBUM),
    ),
    # Apple's artwork fails (HTTP 500); Deezer has a good one.
    FakeAlbum(
        "Fault Fallback",
        "Broken Apple Artwork",
        apple="fault-http-500",
        deezer=_img("deezer-broken-apple", *ALBUM),
        apple_id=900000001,
    ),
    # Apple's search API fails for this term; Deezer answers.
    FakeAlbum(API_FAULT_ARTIST, "apple-fault-http-500", deezer=_img("deezer-api-fallback", *ALBUM)),
    *(
        FakeAlbum(FAULT_ARTIST, fault, apple=f"fault-{fault}", apple_id=900000100 + i)
        for i, fault in enumerate(IMAGE_FAULTS)
    ),
    FakeAlbum(FAULT_ARTIST, "sample-gif", apple="sample-gif", apple_id=900000200),
    FakeAlbum(FAULT_ARTIST, "sample-webp", apple="sample-webp", apple_id=900000201),
)

ARTISTS: tuple[FakeArtist, ...] = (
    FakeArtist(
        "Daft Punk",
        _mbid(101),
        deezer=_img("deezer-daft-punk", *ARTIST),
        apple=_img("apple-daft-punk", *ARTIST),
        fanart=((_img("fanart-daft-punk", 1000, 1000), 4),),
    ),
    FakeArtist("Airbourne", _mbid(102), deezer=_img("deezer-airbourne", *ARTIST)),
    FakeArtist("Air", _mbid(103), deezer=_img("deezer-air", *ARTIST)),
    FakeArtist("The Beatles", _mbid(104), deezer=_img("deezer-the-beatles", *ARTIST)),
    FakeArtist("The The", _mbid(105), deezer=_img("deezer-the-the", *ARTIST)),
    FakeArtist("Beyoncé", _mbid(106), deezer=_img("deezer-beyonce", *ARTIST)),
    FakeArtist(
        "Sigur Rós",
        _mbid(107),
        deezer="placeholder",
        apple=_img("apple-sigur-ros", *ARTIST),
    ),
    FakeArtist(
        "Boards of Canada",
        _mbid(108),
        apple="no-artwork",
        fanart=(
            (_img("fanart-boc-2", 1000, 1000), 2),
            (_img("fanart-boc-7", 1000, 1000), 7),
            (_img("fanart-boc-1", 1000, 1000), 1),
        ),
    ),
    FakeArtist("Nobody Knows Me", _mbid(109)),
)

TITLES: tuple[FakeTitle, ...] = (
    FakeTitle(
        "603",
        "movie",
        "The Matrix",
        _img("tmdb-matrix", *POSTER),
        fanart=((_img("fanart-matrix", *FANART_POSTER), "en", 12),),
    ),
    FakeTitle(
        "27205",
        "movie",
        "Inception",
        None,
        fanart=(
            (_img("fanart-inception-de", *FANART_POSTER), "de", 30),
            (_img("fanart-inception-en", *FANART_POSTER), "en", 3),
            (_img("fanart-inception-00", *FANART_POSTER), "00", 9),
        ),
    ),
    FakeTitle("550", "movie", "Fight Club", _img("tmdb-fight-club", *POSTER)),
    FakeTitle("1399", "tv", "Game of Thrones", _img("tmdb-game-of-thrones", *POSTER)),
    FakeTitle("1396", "tv", "Breaking Bad", _img("tmdb-breaking-bad", *POSTER)),
    FakeTitle("42", "tv", "Posterless Show", None),
    *(
        FakeTitle(
            api_fault_tmdb_id(code),
            "movie",
            f"API fault {name}",
            _img(f"tmdb-api-fault-{code}", *POSTER),
            fanart=((_img(f"fanart-api-fault-{code}", *FANART_POSTER), "en", 1),)
            if code == 500
            else (),
            api_fault=name,
        )
        for code, name in API_FAULTS.items()
    ),
    *(
        FakeTitle(image_fault_tmdb_id(fault), "movie", f"Image fault {fault}", f"fault-{fault}")
        for fault in IMAGE_FAULTS
    ),
)

RELEASES: tuple[FakeRelease, ...] = (
    FakeRelease(
        _mbid(201),
        "Daft Punk",
        "Discovery",
        (
            FakeReleaseImage(_img("caa-discovery-front", *ALBUM), 1001, True, ("Front",)),
            FakeReleaseImage(_img("caa-discovery-back", *ALBUM), 1002, False, ("Back",)),
        ),
    ),
    # Only a back cover: CAA yields nothing, the iTunes fallback (hints) answers.
    FakeRelease(
        _mbid(202),
        "Fleetwood Mac",
        "Rumours",
        (FakeReleaseImage(_img("caa-rumours-back", *ALBUM), 2001, False, ("Back",)),),
    ),
    # No art at all: CAA answers 404; iTunes (hints) answers.
    FakeRelease(_mbid(203), "Air", "Moon Safari"),
    # An older listing without a 1200px thumbnail: "large" (500) is used.
    FakeRelease(
        _mbid(204),
        "The Beatles",
        "Abbey Road",
        (
            FakeReleaseImage(
                _img("caa-abbey-road-front", *ALBUM), 4001, True, ("Front",), ("250", "500")
            ),
        ),
    ),
    # Front image whose 1200px thumbnail is missing upstream (404), later sizes work.
    FakeRelease(
        _mbid(205),
        "Boards of Canada",
        "Music Has the Right to Children",
        (FakeReleaseImage(_img("caa-mhtrtc-front", *ALBUM), 5001, True, ("Front", "Booklet")),),
    ),
    # Release-group fallback: this pressing has only a back cover; another release of its group
    # (207) has a front, which CAA's /release-group/{group}/front-N redirects to.
    FakeRelease(
        _mbid(206),
        "Sigur Rós",
        "Ágætis byrjun",
        (FakeReleaseImage(_img("caa-agaetis-back", *ALBUM), 6001, False, ("Back",)),),
        group=_mbid(306),
    ),
    FakeRelease(
        _mbid(207),
        "Sigur Rós",
        "Ágætis byrjun (20th anniversary)",
        (FakeReleaseImage(_img("caa-agaetis-group-front", *ALBUM), 7001, True, ("Front",)),),
        group=_mbid(306),
    ),
)
BROKEN_1200_THUMBNAILS = frozenset({5001})

PAGES: dict[str, str] = {}
"""Article page slug -> HTML template ({base} is replaced with the server's base URL)."""


def _page(slug: str, head: str, title: str = "An article") -> None:
    PAGES[slug] = (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title>{head}</head>"
        f"<body><article><h1>{title}</h1><p>Body text.</p></article></body></html>"
    )


_img("article-hero", *HERO)
_img("article-relative", 800, 420)
_img("article-twitter", 1000, 500)
_img("article-fallback", 900, 600)
_page(
    "og-basic",
    '<meta property="og:title" content="Basic">'
    '<meta property="og:image" content="{base}/img/article-hero/hero.png?w=1200&amp;h=630">'
    '<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">'
    '<meta name="twitter:image" content="{base}/img/article-twitter/card.png">',
)
_page("og-relative", '<meta property="og:image" content="/img/article-relative/hero.png">')
_page("twitter-only", '<meta name="twitter:image" content="{base}/img/article-twitter/card.png">')
_page(
    "og-fallback",
    '<meta property="og:image" content="{base}/img/fault-http-404/gone.png">'
    '<meta name="twitter:image" content="{base}/img/article-fallback/card.png">',
)
_page("no-image", '<meta name="description" content="No picture here">')
for _fault in IMAGE_FAULTS:
    _page(
        f"fault-{_fault}",
        f'<meta property="og:image" content="{{base}}/img/fault-{_fault}/og.png">',
    )
_page(
    "truncated-first",
    '<meta property="og:image" content="{base}/img/fault-truncated/og.png">'
    '<meta name="twitter:image" content="{base}/img/article-fallback/card.png">',
)
# Hundreds of declared images, none of which downloads: a miss must stay bounded.
_page(
    "many-images",
    "".join(
        f'<meta property="og:image" content="{{base}}/img/fault-http-404/{n}.png">'
        for n in range(300)
    ),
)
# Slow candidates in a row: each one times out, so only the miss's deadline bounds the work.
_page(
    "slow-images",
    "".join(
        f'<meta property="og:image" content="{{base}}/img/fault-timeout/{n}.png">' for n in range(9)
    ),
)
PAGE_REDIRECTS = {
    "redirect": "og-basic",  # 301, then a normal page
    "redirect-loop-a": "redirect-loop-b",
    "redirect-loop-b": "redirect-loop-a",
}
PAGE_FAULTS = {"page-timeout": "timeout", "page-500": "http-500"}


def _words(text: str) -> list[str]:
    """Loose search words: lower-case, accents folded, split on non-letters."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"\w+", "".join(ch for ch in folded if not unicodedata.combining(ch)))


_STOPWORDS = frozenset({"the", "a", "an", "and", "of"})


def fuzzy_search(
    items: list[Any], term: str, text_of: Callable[[Any], str], limit: int
) -> list[Any]:
    """Items sharing a word (prefix) with the term, most shared words first, catalogue order
    breaking ties. Generous on purpose, like the real search APIs: callers must filter."""
    words = _words(term)
    words = [w for w in words if w not in _STOPWORDS] or words
    scored: list[tuple[int, int, Any]] = []
    for index, item in enumerate(items):
        item_words = _words(text_of(item))
        score = sum(1 for w in words if any(iw.startswith(w) for iw in item_words))
        if score:
            scored.append((-score, index, item))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in scored[:limit]]


# =================================================================================================
# Server
# =================================================================================================


class LoggedRequest(NamedTuple):
    """One request the fake received (path includes the query string)."""

    method: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not block stop()
    fake: FakeUpstream

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response (timeouts, size caps) are expected here.
        pass


class FakeUpstream:
    """The fake server. Use `run_fake_upstream()` or `start()`/`stop()`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        timeout_delay_s: float = DEFAULT_TIMEOUT_DELAY_S,
        slow_total_s: float = DEFAULT_SLOW_TOTAL_S,
        require_user_agent: bool = False,
        verbose: bool = False,
    ) -> None:
        self.timeout_delay_s = min(max(0.0, timeout_delay_s), MAX_FAULT_DELAY_S)
        self.slow_total_s = min(max(0.0, slow_total_s), MAX_FAULT_DELAY_S)
        self.require_user_agent = require_user_agent
        self.verbose = verbose
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        self._counts: dict[str, int] = {}

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def start(self) -> FakeUpstream:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes sleeping fault handlers
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=MAX_FAULT_DELAY_S)

    @property
    def stopping(self) -> bool:
        """True once stop() has begun."""
        return self._stopping.is_set()

    def sleep(self, seconds: float) -> None:
        """Bounded sleep that ends early when the server stops."""
        self._stopping.wait(min(seconds, MAX_FAULT_DELAY_S))

    # --- settings -------------------------------------------------------------------------------
    def settings_env(self, **extra: str) -> dict[str, str]:
        """Environment for `Settings.from_env` pointing every upstream at this server."""
        base = self.base_url
        env = {
            "APPLE_MUSIC_API_URL": f"{base}/apple",
            "DEEZER_API_URL": f"{base}/deezer",
            "ITUNES_API_URL": f"{base}/itunes",
            "TMDB_API_URL": f"{base}/tmdb/api",
            "TMDB_IMAGE_URL": f"{base}/tmdb/img",
            "FANART_API_URL": f"{base}/fanart",
            "COVER_ART_ARCHIVE_URL": f"{base}/caa",
            "MUSICBRAINZ_API_URL": f"{base}/musicbrainz",
            "APPLE_MUSIC_DEVELOPER_TOKEN": APPLE_MUSIC_TOKEN,
            "TMDB_API_READ_TOKEN": TMDB_READ_TOKEN,
            "FANART_API_KEY": FANART_API_KEY,
            "ALLOW_INSECURE_SOURCES": "true",
        }
        env.update(extra)
        return env

    # --- request log ----------------------------------------------------------------------------
    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._log.append(LoggedRequest(method, path, headers))
            bare = urlsplit(path).path
            self._counts[bare] = self._counts.get(bare, 0) + 1

    @property
    def requests(self) -> list[LoggedRequest]:
        """Copy of the request log, oldest first (/_log and /_reset are not logged)."""
        with self._lock:
            return list(self._log)

    @property
    def counts(self) -> dict[str, int]:
        """Requests per path (query string excluded)."""
        with self._lock:
            return dict(self._counts)

    def count(self, prefix: str) -> int:
        """Number of logged requests whose path (with query) starts with `prefix`."""
        with self._lock:
            return sum(1 for entry in self._log if entry.path.startswith(prefix))

    def reset(self) -> None:
        """Forget the request log and counters."""
        with self._lock:
            self._log.clear()
            self._counts.clear()

    def log_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [
                    {"method": e.method, "path": e.path, "headers": e.headers} for e in self._log
                ],
                "counts": dict(self._counts),
            }


@contextmanager
def run_fake_upstream(**kwargs: Any) -> Iterator[FakeUpstream]:
    """Start a fake upstream on a free loopback port for the duration of the block."""
    fake = FakeUpstream(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


# Generated photos are kept on disk by the digest of their generator (this file and Pillow's
# version), so the test processes of a run, and later runs, make each one once: a 1000 px photo
# costs 0.2 s of CPU, and a test process making one while the machine is loaded can answer slower
# than a fetch timeout.
IMAGE_CACHE = Path(__file__).resolve().parents[2] / ".build" / "fake-images"
PHOTO_FORMATS = ("png", "jpeg")
_JPEG_NAMES = (".jpg", ".jpeg")


def photo_format(file_name: str) -> str:
    """The format a photo is served in: JPEG under a .jpg or .jpeg name (Apple Music, Deezer,
    iTunes, TMDB, Fanart.tv and the Cover Art Archive name theirs so, and serve JPEGs), PNG
    under any other."""
    return "jpeg" if file_name.lower().endswith(_JPEG_NAMES) else "png"


@functools.lru_cache(maxsize=128)
def _image_bytes(key: str, file_format: str = "png") -> bytes:
    cached = _image_cache_dir() / f"{key}.{file_format}"
    with contextlib.suppress(OSError):
        return cached.read_bytes()
    data = _generate_image(key, file_format)
    with contextlib.suppress(OSError):  # a read-only checkout still serves, uncached
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.{threading.get_ident()}.partial")
        partial.write_bytes(data)
        partial.replace(cached)  # atomic: a concurrent reader sees all of it or none
    return data


@functools.cache
def _image_cache_dir() -> Path:
    here = Path(__file__)
    generator = here.read_bytes() + (here.parent / "fake_photos.py").read_bytes()
    generator += importlib.metadata.version("pillow").encode()
    return IMAGE_CACHE / hashlib.sha256(generator).hexdigest()[:16]


def warm_image_cache() -> None:
    """Make (or find) every generated photo in the disk cache, and remove the photos of earlier
    generators (setup.sh runs this)."""
    for key in IMAGE_SIZES:
        for file_format in PHOTO_FORMATS:
            _image_bytes(key, file_format)
    current = _image_cache_dir()
    for stale in IMAGE_CACHE.glob("*"):
        if stale != current and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _generate_image(key: str, file_format: str) -> bytes:
    if key == "sample-gif":
        return sample_gif()
    if key == "sample-webp":
        return webp_magic()
    width, height = IMAGE_SIZES[key]
    make = photo_jpeg if file_format == "jpeg" else photo_png
    return make(key, width, height)


@functools.lru_cache(maxsize=4)
def _cached_bilevel(width: int, height: int) -> bytes:
    return bilevel_png(width, height)


_IMAGE_TYPES = {"sample-gif": "image/gif", "sample-webp": "image/webp"}
_TMDB_SIZES = frozenset({"w92", "w154", "w185", "w342", "w500", "w780", "original"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    # --- plumbing -------------------------------------------------------------------------------
    @property
    def fake(self) -> FakeUpstream:
        return self.server.fake

    def log_message(self, format: str, *args: Any) -> None:
        if self.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._send(405, b"", "text/plain")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            self.send_response(status)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if body:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _json(
        self,
        status: int,
        doc: Any,
        content_type: str = "application/json; charset=utf-8",
        prefix: bytes = b"",
    ) -> None:
        self._send(status, prefix + json.dumps(doc).encode(), content_type)

    def _redirect(self, status: int, location: str) -> None:
        self._send(status, b"", "text/plain", {"Location": location})

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path
        params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if path == "/_log" and method == "GET":
            self._json(200, self.fake.log_json())
            return
        if path == "/_reset" and method == "POST":
            self.fake.reset()
            self._send(204, b"", None)
            return
        self.fake.record(method, self.path, dict(self.headers.items()))
        if method != "GET":
            self._send(405, b"method not allowed", "text/plain")
            return
        if self.fake.require_user_agent and not self.headers.get("User-Agent"):
            self._send(403, b"a User-Agent is required", "text/plain")
            return
        routes: tuple[tuple[str, Callable[[str, dict[str, str]], None]], ...] = (
            ("/apple/", self._apple),
            ("/deezer/", self._deezer),
            ("/deezer-img/", self._deezer_image),
            ("/itunes/", self._itunes),
            ("/tmdb/api/", self._tmdb_api),
            ("/tmdb/img/", self._tmdb_image),
            ("/fanart/", self._fanart),
            ("/caa/", self._caa),
            ("/musicbrainz/", self._musicbrainz),
            ("/pages/", self._pages),
            ("/img/", self._img),
        )
        for prefix, handler in routes:
            if path.startswith(prefix):
                handler(path[len(prefix) :], params)
                return
        self._send(404, b"not found", "text/plain")

    # --- API faults -----------------------------------------------------------------------------
    def _api_fault(self, fault: str, content_type: str) -> bool:
        """Apply an API-level fault; True when the response has been sent."""
        if fault == "timeout":
            self.fake.sleep(self.fake.timeout_delay_s)
            return False  # then answer normally (a patient client gets its answer)
        if fault == "http-500":
            self._send(500, b'{"error": "internal"}', content_type)
        elif fault == "http-503":
            self._send(503, b'{"error": "unavailable"}', content_type)
        elif fault == "http-429":
            self._send(429, b'{"error": "rate limited"}', content_type, {"Retry-After": "2"})
        elif fault == "bad-json":
            self._send(200, b'{"results": {"albums": {"data": [{"id": ', content_type)
        elif fault == "wrong-shape":
            self._send(200, b'["this", "is", "not", "the", "expected", "shape"]', content_type)
        elif fault == "quota":
            doc = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
            self._json(200, doc, content_type)
        else:
            return False
        return True

    def _search_fault(self, source: str, term: str, content_type: str) -> bool:
        for match in SEARCH_FAULT_RE.finditer(term.casefold()):
            if match.group(1) in ("api", source) and self._api_fault(match.group(2), content_type):
                return True
        return False

    # --- Apple Music ----------------------------------------------------------------------------
    def _apple(self, rest: str, params: dict[str, str]) -> None:
        content_type = "application/json;charset=utf-8"
        if self.headers.get("Authorization") != f"Bearer {APPLE_MUSIC_TOKEN}":
            doc = {
                "errors": [
                    {
                        "id": "UNAUTHORIZED",
                        "title": "Unauthorized",
                        "status": "401",
                        "code": "40100",
                        "detail": "Authentication token is missing or invalid",
                    }
                ]
            }
            self._json(401, doc, content_type)
            return
        match = re.fullmatch(r"v1/catalog/([a-z]{2})/search", rest)
        if not match:
            self._json(
                404,
                {"errors": [{"status": "404", "title": "Resource Not Found", "code": "40400"}]},
                content_type,
            )
            return
        term = params.get("term", "")
        if self._search_fault("apple", term, content_type):
            return
        limit = min(25, _int_param(params, "limit", 5))
        types = [t for t in params.get("types", "").split(",") if t]
        results: dict[str, Any] = {}
        order: list[str] = []
        if "albums" in types:
            albums = fuzzy_search(
                [a for a in ALBUMS if a.apple], term, lambda a: f"{a.artist} {a.title}", limit
            )
            if albums:
                results["albums"] = {
                    "href": f"/v1/catalog/us/search?term={term}&types=albums",
                    "data": [self._apple_album(a) for a in albums],
                }
                order.append("albums")
        if "artists" in types:
            artists = fuzzy_search([a for a in ARTISTS if a.apple], term, lambda a: a.name, limit)
            if artists:
                results["artists"] = {
                    "href": f"/v1/catalog/us/search?term={term}&types=artists",
                    "data": [self._apple_artist(a, i) for i, a in enumerate(artists)],
                }
                order.append("artists")
        self._json(
            200,
            {"results": results, "meta": {"results": {"order": order, "rawOrder": order}}},
            content_type,
        )

    def _artwork(self, key: str) -> dict[str, Any]:
        width, height = IMAGE_SIZES.get(key, (3000, 3000))
        return {
            "width": width,
            "height": height,
            "url": f"{self.fake.base_url}/img/{key}/{{w}}x{{h}}bb.jpg",
            "bgColor": "1a1a1a",
            "textColor1": "f5f5f5",
            "textColor2": "dcdcdc",
            "textColor3": "c4c4c4",
            "textColor4": "b0b0b0",
        }

    def _apple_album(self, album: FakeAlbum) -> dict[str, Any]:
        assert album.apple is not None
        return {
            "id": str(album.apple_id),
            "type": "albums",
            "href": f"/v1/catalog/us/albums/{album.apple_id}",
            "attributes": {
                "artistName": album.artist,
                "name": album.title,
                "artwork": self._artwork(album.apple),
                "genreNames": ["Electronic", "Music"],
                "isSingle": album.title.endswith(" - Single"),
                "isComplete": True,
                "isCompilation": False,
                "trackCount": 10,
                "releaseDate": "2001-03-12",
                "recordLabel": "Fake Records",
                "copyright": "℗ 2001 Fake Records",
                "url": f"https://music.apple.com/us/album/{album.apple_id}",
                "playParams": {"id": str(album.apple_id), "kind": "album"},
            },
        }

    def _apple_artist(self, artist: FakeArtist, index: int) -> dict[str, Any]:
        artist_id = str(1_000_000 + ARTISTS.index(artist))
        attributes: dict[str, Any] = {
            "name": artist.name,
            "genreNames": ["Electronic"],
            "url": f"https://music.apple.com/us/artist/{artist_id}",
        }
        if artist.apple and artist.apple != "no-artwork":
            attributes["artwork"] = self._artwork(artist.apple)
        return {
            "id": artist_id,
            "type": "artists",
            "href": f"/v1/catalog/us/artists/{artist_id}",
            "attributes": attributes,
        }

    # --- Deezer ---------------------------------------------------------------------------------
    def _deezer_pictures(self, kind: str, key: str | None) -> dict[str, str]:
        # Real paths: /images/<cover|artist>/<md5>/<size>-000000-80-0-0.jpg; the fake puts the
        # image key where the md5 goes, and an empty segment for the silhouette placeholder.
        segment = "" if key in (None, "placeholder") else key
        field = "cover" if kind == "cover" else "picture"
        base = f"{self.fake.base_url}/deezer-img/images/{kind}/{segment}"
        return {
            f"{field}_small": f"{base}/56x56-000000-80-0-0.jpg",
            f"{field}_medium": f"{base}/250x250-000000-80-0-0.jpg",
            f"{field}_big": f"{base}/500x500-000000-80-0-0.jpg",
            f"{field}_xl": f"{base}/1000x1000-000000-80-0-0.jpg",
        }

    def _deezer_artist(self, artist_name: str, key: str | None) -> dict[str, Any]:
        artist_id = 27 + sum(artist_name.encode())
        return {
            "id": artist_id,
            "name": artist_name,
            "link": f"https://www.deezer.com/artist/{artist_id}",
            "picture": f"https://api.deezer.com/artist/{artist_id}/image",
            **self._deezer_pictures("artist", key),
            "tracklist": f"https://api.deezer.com/artist/{artist_id}/top?limit=50",
            "type": "artist",
        }

    def _deezer(self, rest: str, params: dict[str, str]) -> None:
        content_type = "application/json; charset=utf-8"
        q = params.get("q", "")
        if rest not in ("search/album", "search/artist"):
            self._json(
                200,
                {"error": {"type": "DataException", "message": "no data", "code": 800}},
                content_type,
            )
            return
        if not q.strip():
            self._json(
                200,
                {
                    "error": {
                        "type": "ParameterException",
                        "message": "Missing parameters: q",
                        "code": 501,
                    }
                },
                content_type,
            )
            return
        if self._search_fault("deezer", q, content_type):
            return
        limit = min(100, _int_param(params, "limit", 25))
        term = q.replace("artist:", " ").replace("album:", " ")
        data: list[dict[str, Any]] = []
        if rest == "search/album":
            albums = fuzzy_search(
                [a for a in ALBUMS if a.deezer], term, lambda a: f"{a.artist} {a.title}", limit
            )
            for album in albums:
                assert album.deezer is not None
                album_id = 300000 + ALBUMS.index(album)
                data.append(
                    {
                        "id": album_id,
                        "title": album.title,
                        "link": f"https://www.deezer.com/album/{album_id}",
                        "cover": f"https://api.deezer.com/album/{album_id}/image",
                        **self._deezer_pictures("cover", album.deezer),
                        "md5_image": album.deezer,
                        "genre_id": 113,
                        "nb_tracks": 12,
                        "record_type": "album",
                        "tracklist": f"https://api.deezer.com/album/{album_id}/tracks",
                        "explicit_lyrics": False,
                        "artist": self._deezer_artist(album.artist, None),
                        "type": "album",
                    }
                )
        else:
            artists = fuzzy_search([a for a in ARTISTS if a.deezer], q, lambda a: a.name, limit)
            for artist in artists:
                entry = self._deezer_artist(artist.name, artist.deezer)
                entry.update({"nb_album": 9, "nb_fan": 123456, "radio": True})
                data.append(entry)
        self._json(200, {"data": data, "total": len(data)}, content_type)

    def _deezer_image(self, rest: str, params: dict[str, str]) -> None:
        parts = rest.split("/")
        if len(parts) != 4 or parts[0] != "images" or parts[1] not in ("cover", "artist"):
            self._send(404, b"not found", "text/plain")
            return
        self._serve_image(parts[2] or "deezer-placeholder", parts[3])

    # --- iTunes ---------------------------------------------------------------------------------
    def _itunes(self, rest: str, params: dict[str, str]) -> None:
        content_type = "text/javascript; charset=utf-8"  # what iTunes really sends
        if rest != "search":
            self._send(404, b"", "text/html")
            return
        term = params.get("term", "")
        if self._search_fault("itunes", term, content_type):
            return
        limit = min(200, _int_param(params, "limit", 50))
        results: list[dict[str, Any]] = []
        if params.get("entity", "album") == "album":
            albums = fuzzy_search(
                [a for a in ALBUMS if a.itunes], term, lambda a: f"{a.artist} {a.title}", limit
            )
            for album in albums:
                assert album.itunes is not None
                collection_id = 1_400_000_000 + ALBUMS.index(album)
                art = f"{self.fake.base_url}/img/{album.itunes}"
                results.append(
                    {
                        "wrapperType": "collection",
                        "collectionType": "Album",
                        "artistId": 5_000 + ALBUMS.index(album),
                        "collectionId": collection_id,
                        "artistName": album.artist,
                        "collectionName": album.title,
                        "collectionCensoredName": album.title,
                        "artistViewUrl": "https://music.apple.com/us/artist/1",
                        "collectionViewUrl": f"https://music.apple.com/us/album/{collection_id}",
                        "artworkUrl60": f"{art}/60x60bb.jpg",
                        "artworkUrl100": f"{art}/100x100bb.jpg",
                        "collectionPrice": 9.99,
                        "collectionExplicitness": "notExplicit",
                        "trackCount": 11,
                        "copyright": "℗ 1977 Fake Records",
                        "country": "USA",
                        "currency": "USD",
                        "releaseDate": "1977-02-04T08:00:00Z",
                        "primaryGenreName": "Rock",
                    }
                )
        # iTunes really does prefix its JSON with blank lines.
        self._json(
            200, {"resultCount": len(results), "results": results}, content_type, prefix=b"\n\n\n"
        )

    # --- TMDB -----------------------------------------------------------------------------------
    def _tmdb_api(self, rest: str, params: dict[str, str]) -> None:
        content_type = "application/json;charset=utf-8"
        if self.headers.get("Authorization") != f"Bearer {TMDB_READ_TOKEN}":
            self._json(
                401,
                {
                    "status_code": 7,
                    "status_message": "Invalid API key: You must be granted a valid key.",
                    "success": False,
                },
                content_type,
            )
            return
        match = re.fullmatch(r"(movie|tv)/(\d+)", rest)
        title = None
        if match:
            title = next(
                (t for t in TITLES if t.kind == match.group(1) and t.tmdb_id == match.group(2)),
                None,
            )
        if title is None:
            self._json(
                404,
                {
                    "success": False,
                    "status_code": 34,
                    "status_message": "The resource you requested could not be found.",
                },
                content_type,
            )
            return
        if title.api_fault and self._api_fault(title.api_fault, content_type):
            return
        poster = f"/{title.poster}.jpg" if title.poster else None
        if title.kind == "movie":
            doc: dict[str, Any] = {
                "adult": False,
                "backdrop_path": f"/backdrop-{title.tmdb_id}.jpg",
                "belongs_to_collection": None,
                "budget": 63_000_000,
                "genres": [{"id": 28, "name": "Action"}],
                "homepage": "",
                "id": int(title.tmdb_id),
                "imdb_id": f"tt{int(title.tmdb_id):07d}",
                "original_language": "en",
                "original_title": title.title,
                "overview": "A fake overview.",
                "popularity": 42.0,
                "poster_path": poster,
                "release_date": "1999-03-30",
                "runtime": 136,
                "status": "Released",
                "tagline": "",
                "title": title.title,
                "video": False,
                "vote_average": 8.2,
                "vote_count": 25_000,
            }
        else:
            doc = {
                "backdrop_path": f"/backdrop-{title.tmdb_id}.jpg",
                "first_air_date": "2011-04-17",
                "genres": [{"id": 18, "name": "Drama"}],
                "id": int(title.tmdb_id),
                "in_production": False,
                "name": title.title,
                "number_of_episodes": 73,
                "number_of_seasons": 8,
                "original_language": "en",
                "original_name": title.title,
                "overview": "A fake overview.",
                "popularity": 42.0,
                "poster_path": poster,
                "status": "Ended",
                "type": "Scripted",
                "vote_average": 8.4,
                "vote_count": 22_000,
            }
        self._json(200, doc, content_type)

    def _tmdb_image(self, rest: str, params: dict[str, str]) -> None:
        match = re.fullmatch(r"([a-z0-9]+)/([A-Za-z0-9_\-]+)\.(?:jpg|png)", rest)
        if not match or match.group(1) not in _TMDB_SIZES:
            self._send(404, b"not found", "text/plain")
            return
        self._serve_image(match.group(2), rest)

    # --- Fanart.tv ------------------------------------------------------------------------------
    def _fanart(self, rest: str, params: dict[str, str]) -> None:
        content_type = "application/json"
        if params.get("api_key") != FANART_API_KEY:
            self._json(401, {"status": "error", "error message": "Invalid API key"}, content_type)
            return
        not_found = {"status": "error", "error message": "Not found"}
        match = re.fullmatch(r"(music|movies)/([^/]+)", rest)
        if not match:
            self._json(404, not_found, content_type)
            return
        kind, entity_id = match.groups()
        if kind == "music":
            fault = _mbid_fault(entity_id)
            if fault and self._api_fault(fault, content_type):
                return
            artist = next((a for a in ARTISTS if a.mbid == entity_id.lower()), None)
            if artist is None or not artist.fanart:
                self._json(404, not_found, content_type)
                return
            thumbs = [
                {
                    "id": str(70000 + i),
                    "url": f"{self.fake.base_url}/img/{key}/fanart.jpg",
                    "likes": str(likes),
                }
                for i, (key, likes) in enumerate(artist.fanart)
            ]
            doc: dict[str, Any] = {
                "name": artist.name,
                "mbid_id": artist.mbid,
                "artistthumb": thumbs,
                "artistbackground": [
                    {
                        "id": "79999",
                        "url": f"{self.fake.base_url}/img/fault-http-404/background.jpg",
                        "likes": "99",
                    }
                ],
                "albums": {},
            }
        else:
            title = next((t for t in TITLES if t.kind == "movie" and t.tmdb_id == entity_id), None)
            if title is None or not title.fanart:
                self._json(404, not_found, content_type)
                return
            posters = [
                {
                    "id": str(80000 + i),
                    "url": f"{self.fake.base_url}/img/{key}/poster.jpg",
                    "lang": lang,
                    "likes": str(likes),
                }
                for i, (key, lang, likes) in enumerate(title.fanart)
            ]
            doc = {
                "name": title.title,
                "tmdb_id": title.tmdb_id,
                "imdb_id": f"tt{int(title.tmdb_id):07d}",
                "movieposter": posters,
                "moviebackground": [
                    {
                        "id": "89999",
                        "url": f"{self.fake.base_url}/img/fault-http-404/background.jpg",
                        "lang": "",
                        "likes": "99",
                    }
                ],
            }
        self._json(200, doc, content_type)

    # --- Cover Art Archive ----------------------------------------------------------------------
    def _caa(self, rest: str, params: dict[str, str]) -> None:
        base = self.fake.base_url
        listing = re.fullmatch(r"release/([0-9a-fA-F-]{36})/?", rest)
        if listing:
            mbid = listing.group(1).lower()
            fault = _mbid_fault(mbid)
            if fault and self._api_fault(fault, "application/json"):
                return
            release = _release(mbid)
            if release is None or not release.images:
                self._send(
                    404,
                    f"No cover art found for release {mbid}".encode(),
                    "text/plain; charset=utf-8",
                )
                return
            # Like production: the listing lives on archive.org, reached through a 307.
            self._redirect(307, f"{base}/caa/ia/mbid-{mbid}/index.json")
            return
        index = re.fullmatch(r"ia/mbid-([0-9a-f-]{36})/index\.json", rest)
        if index:
            release = _release(index.group(1))
            if release is None or not release.images:
                self._send(404, b"not found", "text/html")
                return
            self._json(200, self._caa_listing(release), "application/json")
            return
        group_front = re.fullmatch(
            r"release-group/([0-9a-fA-F-]{36})/front(?:-(250|500|1200))?", rest
        )
        if group_front:
            group, size = group_front.group(1).lower(), group_front.group(2)
            chosen = next(
                (r for r in RELEASES if r.release_group == group and r.front is not None), None
            )
            if chosen is None or chosen.front is None:
                self._send(404, b"not found", "text/html")
                return
            suffix = f"-{size}" if size else ""
            self._redirect(
                307, f"{base}/caa/release/{chosen.mbid}/{chosen.front.image_id}{suffix}.jpg"
            )
            return
        image = re.fullmatch(r"release/([0-9a-fA-F-]{36})/(\d+)(?:-(250|500|1200))?\.jpg", rest)
        if image:
            mbid, image_id, size = image.group(1).lower(), image.group(2), image.group(3)
            suffix = f"_thumb{size}" if size else ""
            self._redirect(307, f"{base}/caa/ia/mbid-{mbid}/mbid-{mbid}-{image_id}{suffix}.jpg")
            return
        stored = re.fullmatch(
            r"ia/mbid-([0-9a-f-]{36})/mbid-[0-9a-f-]{36}-(\d+)(?:_thumb(\d+))?\.jpg", rest
        )
        if stored:
            release = _release(stored.group(1))
            found = None
            if release is not None:
                found = next(
                    (i for i in release.images if str(i.image_id) == stored.group(2)), None
                )
            size = stored.group(3)
            if (
                found is None
                or (size and size not in found.sizes)
                or (size == "1200" and found.image_id in BROKEN_1200_THUMBNAILS)
            ):
                self._send(404, b"not found", "text/html")
                return
            self._serve_image(found.key, rest)
            return
        self._send(404, b"not found", "text/html")

    # --- MusicBrainz ----------------------------------------------------------------------------
    def _musicbrainz(self, rest: str, params: dict[str, str]) -> None:
        """`GET /ws/2/release/{mbid}?inc=release-groups&fmt=json` for the CAA fallback."""
        lookup = re.fullmatch(r"ws/2/release/([0-9a-fA-F-]{36})", rest)
        if lookup is None:
            self._send(404, b"not found", "text/plain")
            return
        if params.get("fmt") != "json":
            self._json(400, {"error": "this fake answers fmt=json only"})
            return
        mbid = lookup.group(1).lower()
        fault = _mbid_fault(mbid)
        if fault and self._api_fault(fault, "application/json"):
            return
        release = _release(mbid)
        if release is None:
            self._json(404, {"error": "Not Found", "help": "For usage, please see: ..."})
            return
        doc: dict[str, Any] = {
            "id": release.mbid,
            "title": release.title,
            "status": "Official",
            "cover-art-archive": {
                "artwork": bool(release.images),
                "count": len(release.images),
                "front": release.front is not None,
                "back": any("Back" in image.types for image in release.images),
                "darkened": False,
            },
        }
        if "release-groups" in re.split(r"[+ ]", params.get("inc", "")):
            doc["release-group"] = {
                "id": release.release_group,
                "title": release.title,
                "primary-type": "Album",
            }
        self._json(200, doc, "application/json")

    def _caa_listing(self, release: FakeRelease) -> dict[str, Any]:
        base = self.fake.base_url
        images = []
        for image in release.images:
            stem = f"{base}/caa/release/{release.mbid}/{image.image_id}"
            thumbnails = {size: f"{stem}-{size}.jpg" for size in image.sizes}
            if "250" in image.sizes:
                thumbnails["small"] = f"{stem}-250.jpg"
            if "500" in image.sizes:
                thumbnails["large"] = f"{stem}-500.jpg"
            images.append(
                {
                    "approved": True,
                    "back": "Back" in image.types,
                    "comment": "",
                    "edit": 40_000_000 + image.image_id,
                    "front": image.front,
                    "id": image.image_id,
                    "image": f"{stem}.jpg",
                    "thumbnails": thumbnails,
                    "types": list(image.types),
                }
            )
        return {"images": images, "release": f"https://musicbrainz.org/release/{release.mbid}"}

    # --- article pages --------------------------------------------------------------------------
    def _pages(self, rest: str, params: dict[str, str]) -> None:
        slug = rest.strip("/")
        if slug in PAGE_REDIRECTS:
            status = 301 if slug == "redirect" else 302
            self._redirect(status, f"{self.fake.base_url}/pages/{PAGE_REDIRECTS[slug]}")
            return
        if slug == "redirect-private":
            self._redirect(302, FORBIDDEN_METADATA_URL)
            return
        fault = PAGE_FAULTS.get(slug)
        if fault == "timeout":
            self.fake.sleep(self.fake.timeout_delay_s)
            slug = "og-basic"
        elif fault == "http-500":
            self._send(500, b"<h1>Internal Server Error</h1>", "text/html; charset=utf-8")
            return
        template = PAGES.get(slug)
        if template is None:
            self._send(404, b"<h1>Not Found</h1>", "text/html; charset=utf-8")
            return
        # A page asked for under another host name (a test's alias for this server) names its
        # images under that name, over plain http like many real pages.
        host = self.headers.get("Host") or ""
        base = self.fake.base_url if host.startswith("127.0.0.1") else f"http://{host}"
        self._send(200, template.replace("{base}", base).encode(), "text/html; charset=utf-8")

    # --- images ---------------------------------------------------------------------------------
    def _img(self, rest: str, params: dict[str, str]) -> None:
        self._serve_image(rest.split("/", 1)[0], rest)

    def _serve_image(self, key: str, file_name: str) -> None:
        """The photo `key` in the format `file_name` names (`photo_format`), or its fault."""
        if key.startswith("fault-"):
            self._image_fault(key[len("fault-") :])
            return
        if key not in IMAGE_SIZES and key not in _IMAGE_TYPES:
            self._send(404, b"not found", "text/plain")
            return
        file_format = photo_format(file_name)
        content_type = _IMAGE_TYPES.get(key, f"image/{file_format}")
        body = _image_bytes(key, file_format)
        self._send(200, body, content_type, {"Cache-Control": "max-age=31536000"})

    def _image_fault(self, fault: str) -> None:
        base = self.fake.base_url
        good = _image_bytes("fault-recovered")
        if fault == "timeout":
            self.fake.sleep(self.fake.timeout_delay_s)
            self._send(200, good, "image/png")
        elif fault == "http-500":
            self._send(500, b"Internal Server Error", "text/plain")
        elif fault == "http-404":
            self._send(404, b"Not Found", "text/plain")
        elif fault == "oversize":
            self._stream(OVERSIZE_BYTES, chunked=False)
        elif fault == "oversize-chunked":
            self._stream(OVERSIZE_BYTES, chunked=True)
        elif fault == "wrong-type":
            self._send(
                200,
                b"<!doctype html><title>Sign in</title><p>Please sign in.</p>",
                "text/html; charset=utf-8",
            )
        elif fault == "mislabelled":
            self._send(200, good, "image/jpeg")
        elif fault == "empty":
            self._send(200, b"", "image/png")
        elif fault == "corrupt":
            self._send(200, corrupt_png(), "image/png")
        elif fault == "truncated":
            self._send(200, good[: len(good) * 3 // 5], "image/png")
        elif fault == "huge-side":
            self._send(200, _cached_bilevel(*HUGE_SIDE), "image/png")
        elif fault == "huge-area":
            self._send(200, _cached_bilevel(*HUGE_AREA), "image/png")
        elif fault == "redirect-private":
            self._redirect(302, FORBIDDEN_PRIVATE_URL)
        elif fault == "redirect-metadata":
            self._redirect(302, FORBIDDEN_METADATA_URL)
        elif fault == "redirect-loop":
            self._redirect(302, f"{base}/img/fault-redirect-loop-b/x.png")
        elif fault == "redirect-loop-b":
            self._redirect(302, f"{base}/img/fault-redirect-loop/x.png")
        elif fault == "redirect-ok":
            self._redirect(302, f"{base}/img/redirect-target/x.png")
        elif fault == "slow":
            self._trickle(good)
        else:
            self._send(404, b"no such fault", "text/plain")

    def _stream(self, total: int, *, chunked: bool) -> None:
        """Send `total` bytes (a PNG header, then zeros) generated on the fly."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(total))
            self.end_headers()
            head = PNG_SIGNATURE + _png_chunk(
                b"IHDR", struct.pack(">IIBBBBB", 4000, 4000, 8, 2, 0, 0, 0)
            )
            zeros = bytes(STREAM_PIECE_BYTES)
            sent = 0
            while sent < total and not self.fake.stopping:
                piece = head if sent == 0 else zeros[: min(STREAM_PIECE_BYTES, total - sent)]
                if chunked:
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                sent += len(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hit its size cap and hung up, as it should
        self.close_connection = True

    def _trickle(self, body: bytes) -> None:
        """Send a complete image in ten pieces spread over slow_total_s."""
        pieces = 10
        step = max(1, -(-len(body) // pieces))
        try:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
                self.fake.sleep(self.fake.slow_total_s / pieces)
        except OSError:
            self.close_connection = True


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    """A positive integer query parameter, or `default` when absent or malformed."""
    value = params.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def _release(mbid: str) -> FakeRelease | None:
    return next((r for r in RELEASES if r.mbid == mbid.lower()), None)


def _mbid_fault(mbid: str) -> str | None:
    match = re.fullmatch(r"00000000-0000-4000-8000-00000000f(\d{3})", mbid.lower())
    return API_FAULTS.get(int(match.group(1))) if match else None


# =================================================================================================
# Standalone
# =================================================================================================


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted; prints the environment the Worker needs."""
    parser = argparse.ArgumentParser(description="Fake upstream APIs for rewind-images.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--timeout-delay", type=float, default=DEFAULT_TIMEOUT_DELAY_S)
    parser.add_argument("--slow-seconds", type=float, default=DEFAULT_SLOW_TOTAL_S)
    parser.add_argument("--require-user-agent", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    fake = FakeUpstream(
        args.host,
        args.port,
        timeout_delay_s=args.timeout_delay,
        slow_total_s=args.slow_seconds,
        require_user_agent=args.require_user_agent,
        verbose=args.verbose,
    ).start()
    print(f"fake upstream listening on {fake.base_url}", flush=True)
    for key, value in fake.settings_env().items():
        print(f"{key}={value}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()

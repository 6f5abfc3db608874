"""iTunes Search API (no key): album search by artist + title.

GET {itunes_api_url}/search?term=...&media=music&entity=album&limit=N&country=US
-> {"resultCount": n, "results": [{"wrapperType": "collection", "collectionName",
    "artistName", "artworkUrl100": ".../100x100bb.jpg"}]}
The 100px artwork URL is an mzstatic template in disguise: the size segment can be rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from rewind_images.config import UPSTREAM_SEARCH_RESULTS, Settings
from rewind_images.sources.base import (
    Candidate,
    SourceQuery,
    UpstreamRequest,
    base_headers,
    clean_hint,
    dedupe,
    expect_dict,
    expect_list,
    https_url,
    is_http_url,
    load_json,
    optional_str,
)
from rewind_images.sources.matching import album_match_rank, credit_match_rank, search_name

NAME = "itunes"
COUNTRY = "US"
# Side of the square box asked of mzstatic ("600x600bb" is the classic choice; it serves
# larger boxes up to the original size).
ARTWORK_SIDE = 1200
# ".../100x100bb.jpg" (also "-999.jpg"-less variants with png/webp): the last path segment.
_SIZE_SEGMENT_RE = re.compile(r"/(\d+)x(\d+)(bb|cc|sr)?\.(jpg|jpeg|png|webp)$", re.IGNORECASE)


def upscale_artwork_url(url: str, side: int = ARTWORK_SIDE) -> str | None:
    """Rewrite an iTunes artwork URL to a `side`-pixel box; None when it has no size segment."""
    match = _SIZE_SEGMENT_RE.search(url)
    if match is None:
        return None
    crop = match.group(3) or "bb"
    return f"{url[: match.start()]}/{side}x{side}{crop}.{match.group(4)}"


@dataclass(frozen=True)
class ITunesSource:
    """iTunes album search (listening albums and, as a fallback, collected releases)."""

    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Search albums; needs both the artist and the album name."""
        artist = clean_hint(query.artist_name)
        album = clean_hint(query.album_name)
        if not artist or not album:
            return None
        params = urlencode(
            {
                "term": f"{search_name(artist, album=False)} {search_name(album, album=True)}",
                "media": "music",
                "entity": "album",
                "limit": UPSTREAM_SEARCH_RESULTS,
                "country": COUNTRY,
            }
        )
        return UpstreamRequest(
            url=f"{settings.itunes_api_url}/search?{params}",
            headers=base_headers(settings),
            budget="itunes",
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Keep collections whose artist and title match; exact titles first."""
        # iTunes answers with text/javascript and leading blank lines; JSON parsing copes.
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        results = expect_list(doc.get("results", []), NAME, "results")
        ranked: list[tuple[int, int, Candidate]] = []
        for index, raw in enumerate(results):
            item = expect_dict(raw, NAME, "result")
            if item.get("wrapperType", "collection") != "collection":
                continue
            # artistName is a credit ("Mamonas Assassinas, Alok & Sevenn"): one artist suffices.
            artist_rank = credit_match_rank(
                query.artist_name, optional_str(item.get("artistName"), NAME, "artistName")
            )
            album_rank = album_match_rank(
                query.album_name, optional_str(item.get("collectionName"), NAME, "collectionName")
            )
            if artist_rank is None or album_rank is None:
                continue
            small = optional_str(item.get("artworkUrl100"), NAME, "artworkUrl100")
            big = upscale_artwork_url(small) if small else None
            # A 100px thumbnail is not worth showing; skip results that cannot be upscaled.
            if big is None or not is_http_url(big):
                continue
            # Older records say http://isN.mzstatic.com; the same path is served over TLS.
            url = https_url(big, settings)
            ranked.append((artist_rank + album_rank, index, Candidate(NAME, url, None, None)))
        ranked.sort(key=lambda entry: (entry[0], entry[1]))
        return dedupe([candidate for _, _, candidate in ranked])


ITUNES = ITunesSource()

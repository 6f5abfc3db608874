"""Deezer public search API (no key): albums by artist+title, artists by name.

GET {deezer_api_url}/search/album?q=artist:"X" album:"Y"&limit=N
-> {"data": [{"title", "cover_xl", "md5_image", "artist": {"name"}}], "total": n}
GET {deezer_api_url}/search/artist?q=X&limit=N
-> {"data": [{"name", "picture_xl"}], "total": n}
Deezer reports errors (quota, bad query) as HTTP 200 with {"error": {"type", "message", "code"}}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rewind_images.config import UPSTREAM_SEARCH_RESULTS, Settings
from rewind_images.sources.base import (
    Candidate,
    SourceQuery,
    SourceResponseError,
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
from rewind_images.sources.matching import (
    album_match_rank,
    artist_match_rank,
    credit_match_rank,
    search_name,
)
from rewind_images.sources.stand_ins import EMPTY_MD5, is_stand_in

NAME = "deezer"
# cover_xl / picture_xl are 1000x1000 JPEGs on Deezer's CDN.
XL_SIDE = 1000
# Deezer's "no data" error: a search that found nothing, not a broken upstream.
NO_DATA_ERROR_CODE = 800


def _quoted_field(value: str) -> str:
    # The advanced-search syntax has no escape for '"'; a quote would end the field early.
    return '"' + " ".join(value.replace('"', " ").split()) + '"'


def _is_placeholder(url: str, md5: str | None) -> bool:
    # Deezer also names a result's image hash (`md5_image`): empty for no image.
    return (md5 is not None and md5 in ("", EMPTY_MD5)) or is_stand_in(url)


@dataclass(frozen=True)
class DeezerSource:
    """Deezer search for one entity kind ("albums" or "artists")."""

    kind: str
    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Search Deezer; albums need artist and album names, artists the artist name."""
        artist = clean_hint(query.artist_name)
        if not artist:
            return None
        if self.kind == "albums":
            album = clean_hint(query.album_name)
            if not album:
                return None
            q = (
                f"artist:{_quoted_field(search_name(artist, album=False))} "
                f"album:{_quoted_field(search_name(album, album=True))}"
            )
            path = "search/album"
        else:
            q = search_name(artist, album=False)
            path = "search/artist"
        params = urlencode({"q": q, "limit": UPSTREAM_SEARCH_RESULTS})
        return UpstreamRequest(
            url=f"{settings.deezer_api_url}/{path}?{params}",
            headers=base_headers(settings),
            budget="deezer",
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Keep matching results with a real (non-placeholder) XL picture; exact names first."""
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        if "error" in doc:
            error = expect_dict(doc["error"], NAME, "error")
            if error.get("code") == NO_DATA_ERROR_CODE:
                return []
            raise SourceResponseError(f"{NAME}: upstream error {error.get('code')!r}")
        data = expect_list(doc.get("data", []), NAME, "data")
        ranked: list[tuple[int, int, Candidate]] = []
        for index, raw in enumerate(data):
            item = expect_dict(raw, NAME, "result")
            rank = self._rank(query, item)
            if rank is None:
                continue
            key = "cover_xl" if self.kind == "albums" else "picture_xl"
            url = optional_str(item.get(key), NAME, key)
            md5 = item.get("md5_image") if isinstance(item.get("md5_image"), str) else None
            if url is None or not is_http_url(url) or _is_placeholder(url, md5):
                continue
            # Older records name the CDN with http://; it serves the same file over TLS.
            url = https_url(url, settings)
            ranked.append((rank, index, Candidate(NAME, url, XL_SIDE, XL_SIDE)))
        ranked.sort(key=lambda entry: (entry[0], entry[1]))
        return dedupe([candidate for _, _, candidate in ranked])

    def _rank(self, query: SourceQuery, item: dict[str, Any]) -> int | None:
        if self.kind == "artists":
            return artist_match_rank(
                query.artist_name, optional_str(item.get("name"), NAME, "name")
            )
        artist = expect_dict(item.get("artist", {}), NAME, "artist")
        artist_rank = credit_match_rank(
            query.artist_name, optional_str(artist.get("name"), NAME, "artist.name")
        )
        album_rank = album_match_rank(
            query.album_name, optional_str(item.get("title"), NAME, "title")
        )
        if artist_rank is None or album_rank is None:
            return None
        return artist_rank + album_rank


DEEZER_ALBUMS = DeezerSource(kind="albums")
DEEZER_ARTISTS = DeezerSource(kind="artists")

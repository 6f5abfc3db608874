"""Fanart.tv v3 (personal/project api_key): artist thumbs by MBID, movie posters by TMDB id.

GET {fanart_api_url}/music/{mbid}?api_key=K
-> {"name", "mbid_id", "artistthumb": [{"id", "url", "likes": "3"}], "artistbackground": [...]}
GET {fanart_api_url}/movies/{tmdb_id}?api_key=K
-> {"name", "tmdb_id", "imdb_id", "movieposter": [{"id", "url", "lang": "en", "likes": "5"}]}
Unknown ids answer 404 (body {"status": "error", "error message": "Not found"}).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rewind_images.config import Settings
from rewind_images.sources.base import (
    Candidate,
    SourceQuery,
    UpstreamRequest,
    base_headers,
    dedupe,
    expect_dict,
    expect_list,
    https_url,
    is_http_url,
    load_json,
    optional_int,
    optional_str,
    path_segment,
    valid_mbid,
    valid_tmdb_id,
)

NAME = "fanart"
# Fanart.tv's upload rules fix these sizes.
ARTIST_THUMB_SIZE = (1000, 1000)
MOVIE_POSTER_SIZE = (1000, 1426)
# Poster languages in order of preference: English, then textless ("00"), then anything.
_POSTER_LANGS = ("en", "00")


def _likes(item: dict[str, Any]) -> int:
    return optional_int(item.get("likes")) or 0


@dataclass(frozen=True)
class FanartSource:
    """Fanart.tv for one kind: "music" (artist thumbs) or "movies" (posters)."""

    kind: str
    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Look the entity up by id; needs the api key and a valid MBID / TMDB id."""
        key = settings.fanart_api_key
        entity_id = valid_mbid(query.mbid) if self.kind == "music" else valid_tmdb_id(query.tmdb_id)
        if not key or entity_id is None:
            return None
        params = urlencode({"api_key": key})
        return UpstreamRequest(
            url=f"{settings.fanart_api_url}/{self.kind}/{path_segment(entity_id)}?{params}",
            headers=base_headers(settings),
            budget="fanart",
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Artist thumbs (most liked first) or posters (English/textless, then most liked)."""
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        if doc.get("status") == "error":
            return []
        field = "artistthumb" if self.kind == "music" else "movieposter"
        items = [
            expect_dict(raw, NAME, field) for raw in expect_list(doc.get(field, []), NAME, field)
        ]
        if self.kind == "music":
            width, height = ARTIST_THUMB_SIZE
            items.sort(key=lambda item: -_likes(item))
        else:
            width, height = MOVIE_POSTER_SIZE
            items.sort(key=lambda item: (self._lang_rank(item), -_likes(item)))
        candidates: list[Candidate] = []
        for item in items:
            url = optional_str(item.get("url"), NAME, "url")
            if url is not None and is_http_url(url):
                candidates.append(Candidate(NAME, https_url(url, settings), width, height))
        return dedupe(candidates)

    @staticmethod
    def _lang_rank(item: dict[str, Any]) -> int:
        lang = item.get("lang")
        return _POSTER_LANGS.index(lang) if lang in _POSTER_LANGS else len(_POSTER_LANGS)


FANART_ARTISTS = FanartSource(kind="music")
FANART_MOVIES = FanartSource(kind="movies")

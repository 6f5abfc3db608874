"""TMDB movie and TV details (v3 API, bearer "read access" token).

GET {tmdb_api_url}/movie/{id}  -> {"id", "title", "poster_path": "/abc.jpg" | null, ...}
GET {tmdb_api_url}/tv/{id}     -> {"id", "name", "poster_path": "/abc.jpg" | null, ...}
Posters are served from {tmdb_image_url}/{size}{poster_path}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rewind_images.config import Settings
from rewind_images.sources.base import (
    Candidate,
    SourceQuery,
    SourceResponseError,
    UpstreamRequest,
    base_headers,
    expect_dict,
    https_url,
    load_json,
    optional_str,
    path_segment,
    valid_tmdb_id,
)

NAME = "tmdb"
# Poster size class: w780 is the largest fixed width below "original" (which can be huge).
POSTER_SIZE = "w780"
POSTER_WIDTH = 780
# poster_path is "/<hash>.<ext>"; anything else is not something we will splice into a URL.
_POSTER_PATH_RE = re.compile(r"/[A-Za-z0-9_\-]+\.(?:jpg|jpeg|png|webp)")


@dataclass(frozen=True)
class TmdbSource:
    """TMDB details for one kind: "movie" or "tv"."""

    kind: str
    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Fetch the details record; needs a numeric tmdb_id and the read token."""
        tmdb_id = valid_tmdb_id(query.tmdb_id)
        token = settings.tmdb_read_token
        if tmdb_id is None or not token:
            return None
        headers = base_headers(settings)
        headers["Authorization"] = f"Bearer {token}"
        return UpstreamRequest(
            url=f"{settings.tmdb_api_url}/{self.kind}/{path_segment(tmdb_id)}",
            headers=headers,
            budget="tmdb",
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """The poster at w780, or [] when the record has no poster."""
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        if doc.get("success") is False:
            return []  # an error envelope that slipped through with HTTP 200
        if "id" not in doc:
            raise SourceResponseError(f"{NAME}: details record has no id")
        poster = optional_str(doc.get("poster_path"), NAME, "poster_path")
        if poster is None:
            return []
        if not _POSTER_PATH_RE.fullmatch(poster):
            raise SourceResponseError(f"{NAME}: unexpected poster_path")
        url = https_url(f"{settings.tmdb_image_url}/{POSTER_SIZE}{poster}", settings)
        # Height is left unknown: posters are usually 2:3 but TMDB does not promise it.
        return [Candidate(NAME, url, POSTER_WIDTH, None)]


TMDB_MOVIES = TmdbSource(kind="movie")
TMDB_SHOWS = TmdbSource(kind="tv")

"""Apple Music catalogue search (albums and artists), authenticated with a developer token.

GET {apple_music_api_url}/v1/catalog/{storefront}/search?term=...&types=albums&limit=N
-> {"results": {"albums": {"data": [{"attributes": {"name", "artistName",
    "artwork": {"url": ".../{w}x{h}bb.jpg", "width", "height"}}}]}}}
An empty search answers `{"results": {}}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
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
    load_json,
    optional_int,
    optional_str,
)
from rewind_images.sources.matching import (
    album_match_rank,
    artist_match_rank,
    credit_match_rank,
    search_name,
)

NAME = "apple_music"
STOREFRONT = "us"
# Search results to ask for; the API allows up to 25 and the right hit is nearly always early.
# Edge of the square box the artwork template is rendered into (mzstatic scales to fit).
ALBUM_ARTWORK_SIDE = 1200
ARTIST_ARTWORK_SIDE = 1000


def _render_artwork(artwork: dict[str, Any], side: int, settings: Settings) -> Candidate | None:
    """Fill the mzstatic URL template; never ask for more than the original size."""
    template = artwork.get("url")
    if not isinstance(template, str) or "{w}" not in template or "{h}" not in template:
        return None
    orig_w = optional_int(artwork.get("width"))
    orig_h = optional_int(artwork.get("height"))
    width = height = side
    if orig_w and orig_h:
        # "{w}x{h}bb" is a bounding box: the image keeps its aspect ratio inside it.
        scale = min(1.0, side / max(orig_w, orig_h))
        width, height = max(1, round(orig_w * scale)), max(1, round(orig_h * scale))
        box = max(width, height)
    else:
        box = side
    # Some templates also carry {c} (crop code) and {f} (format): ask for the plain box crop.
    url = https_url(
        template.replace("{w}", str(box))
        .replace("{h}", str(box))
        .replace("{c}", "bb")
        .replace("{f}", "jpg"),
        settings,
    )
    if not (orig_w and orig_h):
        return Candidate(NAME, url, None, None)
    return Candidate(NAME, url, width, height)


@dataclass(frozen=True)
class AppleMusicSource:
    """Apple Music catalogue search for one entity kind ("albums" or "artists")."""

    kind: str
    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Search the catalogue; needs the developer token and the artist (and album) name."""
        token = settings.apple_music_token
        artist = clean_hint(query.artist_name)
        if not token or not artist:
            return None
        if self.kind == "albums":
            album = clean_hint(query.album_name)
            if not album:
                return None
            term = f"{search_name(artist, album=False)} {search_name(album, album=True)}"
        else:
            term = search_name(artist, album=False)
        params = urlencode({"term": term, "types": self.kind, "limit": UPSTREAM_SEARCH_RESULTS})
        url = f"{settings.apple_music_api_url}/v1/catalog/{STOREFRONT}/search?{params}"
        headers = base_headers(settings)
        headers["Authorization"] = f"Bearer {token}"
        return UpstreamRequest(url=url, headers=headers, budget="apple_music")

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Keep results whose names match the request; exact titles first."""
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        results = expect_dict(doc.get("results", {}), NAME, "results")
        section = results.get(self.kind)
        if section is None:
            return []  # Apple omits the key when nothing was found
        data = expect_list(expect_dict(section, NAME, self.kind).get("data", []), NAME, "data")
        ranked: list[tuple[int, int, Candidate]] = []
        for index, item in enumerate(data):
            attributes = expect_dict(
                expect_dict(item, NAME, "result").get("attributes", {}), NAME, "attributes"
            )
            rank = self._rank(query, attributes)
            if rank is None:
                continue
            artwork = attributes.get("artwork")
            if not isinstance(artwork, dict):
                continue  # artists without a picture have no artwork at all
            side = ALBUM_ARTWORK_SIDE if self.kind == "albums" else ARTIST_ARTWORK_SIDE
            candidate = _render_artwork(artwork, side, settings)
            if candidate is not None:
                ranked.append((rank, index, candidate))
        ranked.sort(key=lambda entry: (entry[0], entry[1]))
        return dedupe([candidate for _, _, candidate in ranked])

    def _rank(self, query: SourceQuery, attributes: dict[str, Any]) -> int | None:
        name = optional_str(attributes.get("name"), NAME, "name")
        if self.kind == "artists":
            return artist_match_rank(query.artist_name, name)
        # An album's artistName is a credit: "Gary Clark Jr. & Junkie XL" is Gary Clark Jr.'s.
        artist_rank = credit_match_rank(
            query.artist_name, optional_str(attributes.get("artistName"), NAME, "artistName")
        )
        album_rank = album_match_rank(query.album_name, name)
        if artist_rank is None or album_rank is None:
            return None
        return artist_rank + album_rank


APPLE_MUSIC_ALBUMS = AppleMusicSource(kind="albums")
APPLE_MUSIC_ARTISTS = AppleMusicSource(kind="artists")

"""Cover Art Archive release listing (MusicBrainz release MBID, no key).

GET {cover_art_archive_url}/release/{mbid}
-> (307 to archive.org index.json in production; the caller follows redirects)
-> {"release": "https://musicbrainz.org/release/<mbid>",
    "images": [{"front": true, "types": ["Front"], "approved": true, "image": ".../1.jpg",
                "thumbnails": {"250", "500", "1200", "small", "large"}}]}
A release without art answers 404. The listing names the release only, never its release
group: the release-group fallback is `cover_art_archive_release_group.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    optional_str,
    path_segment,
    valid_mbid,
)

NAME = "cover_art_archive"
# Thumbnail keys best-first: 1200px, then the 500px "large" (older listings only name it
# "large"); the original upload comes last because it can be tens of megabytes.
_THUMBNAIL_PREFERENCE = ("1200", "large", "500")


def _is_front(image: dict[str, Any]) -> bool:
    if image.get("front") is True:
        return True
    types = image.get("types")
    return isinstance(types, list) and "Front" in types


@dataclass(frozen=True)
class CoverArtArchiveSource:
    """Front cover of a MusicBrainz release."""

    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """List the release's art; needs a valid release MBID."""
        mbid = valid_mbid(query.mbid)
        if mbid is None:
            return None
        return UpstreamRequest(
            url=f"{settings.cover_art_archive_url}/release/{path_segment(mbid)}",
            headers=base_headers(settings),
            budget="cover_art_archive",
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """URLs of the front image (approved first), largest sensible size first."""
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        images = [
            expect_dict(raw, NAME, "image")
            for raw in expect_list(doc.get("images", []), NAME, "images")
        ]
        fronts = [image for image in images if _is_front(image)]
        # Approved (peer-reviewed) fronts first; list order otherwise (CAA puts the main first).
        fronts.sort(key=lambda image: image.get("approved") is not True)
        candidates: list[Candidate] = []
        for image in fronts:
            thumbnails = image.get("thumbnails")
            urls: list[str | None] = []
            if isinstance(thumbnails, dict):
                urls.extend(
                    optional_str(thumbnails.get(key), NAME, f"thumbnails.{key}")
                    for key in _THUMBNAIL_PREFERENCE
                )
            urls.append(optional_str(image.get("image"), NAME, "image"))
            for url in urls:
                # Listings still say http://coverartarchive.org; it serves the same over TLS.
                if url is not None and is_http_url(url):
                    candidates.append(Candidate(NAME, https_url(url, settings), None, None))
        return dedupe(candidates)


COVER_ART_ARCHIVE = CoverArtArchiveSource()

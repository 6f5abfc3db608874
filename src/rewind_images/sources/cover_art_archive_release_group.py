"""Cover Art Archive fallback: the front cover of the release's release group.

A release (one pressing) often has no art while another release of the same release group
(the album) has. Picard and ListenBrainz fall back to CAA's release-group front in that case.
CAA's own release listing does not name the release group, so MusicBrainz is asked:

GET {musicbrainz_api_url}/ws/2/release/{mbid}?inc=release-groups&fmt=json
-> {"id", "title", "cover-art-archive": {"front": bool, ...},
    "release-group": {"id": "<release-group mbid>", "title", "primary-type"}, ...}

The candidates are CAA's release-group front redirects, which answer 307 to the image of the
release CAA picked for the group (404 when the group has no front):
{cover_art_archive_url}/release-group/{rg-mbid}/front-1200, then .../front-500.

The registry lists this source right after `cover_art_archive`, so it is asked only when the
release itself gave nothing usable (404, no front image, or fronts that failed to download).
MusicBrainz asks for a meaningful User-Agent and about one request per second per client;
this source is asked only on that fallback path, so the volume stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

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
    path_segment,
    valid_mbid,
)
from rewind_images.sources.cover_art_archive import NAME as CAA_NAME

NAME = "cover_art_archive_release_group"
# Front redirects asked for, best first; the original upload is left out (it can be huge).
FRONT_SIZES = ("1200", "500")


@dataclass(frozen=True)
class CoverArtArchiveReleaseGroupSource:
    """Front cover of the release group of a MusicBrainz release (via a MusicBrainz lookup)."""

    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """Look the release up on MusicBrainz; needs a valid release MBID and the MB base URL."""
        mbid = valid_mbid(query.mbid)
        base = settings.musicbrainz_api_url
        if mbid is None:
            return None
        params = urlencode({"inc": "release-groups", "fmt": "json"})
        return UpstreamRequest(
            url=f"{base}/ws/2/release/{path_segment(mbid)}?{params}",
            headers=base_headers(settings),
            budget="musicbrainz",
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """CAA's release-group front redirects, 1200px first."""
        doc = expect_dict(load_json(body, NAME), NAME, "response")
        group = expect_dict(doc.get("release-group"), NAME, "release-group")
        group_id = valid_mbid(group.get("id") if isinstance(group.get("id"), str) else None)
        if group_id is None:
            raise SourceResponseError(f"{NAME}: release-group has no valid id")
        base = f"{settings.cover_art_archive_url}/release-group/{path_segment(group_id)}"
        # The image comes from the Cover Art Archive, so it is recorded under CAA's name.
        return [
            Candidate(CAA_NAME, https_url(f"{base}/front-{size}", settings), None, None)
            for size in FRONT_SIZES
        ]


COVER_ART_ARCHIVE_RELEASE_GROUP = CoverArtArchiveReleaseGroupSource()

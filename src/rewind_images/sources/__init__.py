"""Upstream image sources and the registry saying which ones serve which entity kind.

Each source is pure (build a request, parse a body). `sources_for` lists every source of a
`{domain}/{entity_type}` pair in the order they are tried; a keyed source whose secret is not
configured, or whose needed hint is missing, declines by returning None from `request`.
"""

from __future__ import annotations

from rewind_images.sources.apple_music import APPLE_MUSIC_ALBUMS, APPLE_MUSIC_ARTISTS
from rewind_images.sources.base import (
    Candidate,
    Source,
    SourceQuery,
    SourceResponseError,
    UpstreamRequest,
)
from rewind_images.sources.cover_art_archive import COVER_ART_ARCHIVE
from rewind_images.sources.cover_art_archive_release_group import (
    COVER_ART_ARCHIVE_RELEASE_GROUP,
)
from rewind_images.sources.deezer import DEEZER_ALBUMS, DEEZER_ARTISTS
from rewind_images.sources.fanart import FANART_ARTISTS, FANART_MOVIES
from rewind_images.sources.itunes import ITUNES
from rewind_images.sources.og_image import OG_IMAGE
from rewind_images.sources.tmdb import TMDB_MOVIES, TMDB_SHOWS

__all__ = [
    "SOURCES_BY_KIND",
    "Candidate",
    "Source",
    "SourceQuery",
    "SourceResponseError",
    "UpstreamRequest",
    "sources_for",
]

SOURCES_BY_KIND: dict[tuple[str, str], tuple[Source, ...]] = {
    # With an mbid, the Cover Art Archive answers by exact id (no name matching), so it goes
    # first; without one both CAA sources decline and the name searches run as before.
    ("listening", "albums"): (
        COVER_ART_ARCHIVE,
        COVER_ART_ARCHIVE_RELEASE_GROUP,
        APPLE_MUSIC_ALBUMS,
        DEEZER_ALBUMS,
        ITUNES,
    ),
    ("listening", "artists"): (DEEZER_ARTISTS, APPLE_MUSIC_ARTISTS, FANART_ARTISTS),
    ("watching", "movies"): (TMDB_MOVIES, FANART_MOVIES),
    ("watching", "shows"): (TMDB_SHOWS,),
    ("collecting", "releases"): (COVER_ART_ARCHIVE, COVER_ART_ARCHIVE_RELEASE_GROUP, ITUNES),
    ("reading", "articles"): (OG_IMAGE,),
}
"""Sources per (domain, entity_type), in the order they are tried."""


def sources_for(domain: str, entity_type: str) -> tuple[Source, ...]:
    """Sources for a `{domain}/{entity_type}` pair, best first; () when the pair has none."""
    return SOURCES_BY_KIND.get((domain, entity_type), ())

"""Settings of the service, read once per isolate from the Worker's environment.

Every tunable limit and default lives here, so there is one place to look. Values come from
`[vars]` in wrangler.toml, `.dev.vars` locally, or wrangler secrets; anything unset falls back
to the named default below. This module is pure: it takes a plain mapping, not the JS `env`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SERVICE_NAME = "rewind-images"
SERVICE_VERSION = "0.1.0"

DEFAULT_CDN_BASE_URL = "https://cdn.rewind.rest"
DEFAULT_USER_AGENT = f"{SERVICE_NAME}/{SERVICE_VERSION} ( https://github.com/pdugan20/rewind )"

# Upstream base URLs (production values); tests and the offline demo point these at loopback.
DEFAULT_APPLE_MUSIC_API_URL = "https://api.music.apple.com"
DEFAULT_DEEZER_API_URL = "https://api.deezer.com"
DEFAULT_ITUNES_API_URL = "https://itunes.apple.com"
DEFAULT_TMDB_API_URL = "https://api.themoviedb.org/3"
DEFAULT_TMDB_IMAGE_URL = "https://image.tmdb.org/t/p"
DEFAULT_FANART_API_URL = "https://webservice.fanart.tv/v3"
DEFAULT_COVER_ART_ARCHIVE_URL = "https://coverartarchive.org"

# Outbound fetch limits.
DEFAULT_FETCH_TIMEOUT_MS = 8_000
DEFAULT_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_MAX_SOURCE_SIDE = 12_000
DEFAULT_MAX_SOURCE_MEGAPIXELS = 50

# Caching.
DEFAULT_NEGATIVE_TTL_SECONDS = 7 * 24 * 3600
DEFAULT_AUTH_CACHE_SECONDS = 60
# How often an isolate reads D1's change log: a new image_version written anywhere is served
# within this (the requirement is 60 s).
DEFAULT_CHANGE_POLL_SECONDS = 15
DEFAULT_REDIRECT_MAX_AGE_SECONDS = 3600

# CORS: "*" or a comma-separated list of origins.
DEFAULT_ALLOWED_ORIGINS = "*"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    if value is None or str(value).strip() == "":
        return default
    return int(str(value).strip())


def _url(value: str | None, default: str) -> str:
    return (value or default).rstrip("/")


@dataclass(frozen=True)
class Settings:
    """Typed configuration; build it with `Settings.from_env`."""

    cdn_base_url: str = DEFAULT_CDN_BASE_URL
    allowed_origins: tuple[str, ...] = ("*",)
    user_agent: str = DEFAULT_USER_AGENT

    apple_music_api_url: str = DEFAULT_APPLE_MUSIC_API_URL
    apple_music_token: str | None = None
    deezer_api_url: str = DEFAULT_DEEZER_API_URL
    itunes_api_url: str = DEFAULT_ITUNES_API_URL
    tmdb_api_url: str = DEFAULT_TMDB_API_URL
    tmdb_image_url: str = DEFAULT_TMDB_IMAGE_URL
    tmdb_read_token: str | None = None
    fanart_api_url: str = DEFAULT_FANART_API_URL
    fanart_api_key: str | None = None
    cover_art_archive_url: str = DEFAULT_COVER_ART_ARCHIVE_URL

    # Plain http and loopback/private hosts allowed for upstream calls (tests and demo only).
    allow_insecure_sources: bool = False

    fetch_timeout_ms: int = DEFAULT_FETCH_TIMEOUT_MS
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_source_side: int = DEFAULT_MAX_SOURCE_SIDE
    max_source_megapixels: int = DEFAULT_MAX_SOURCE_MEGAPIXELS

    negative_ttl_seconds: int = DEFAULT_NEGATIVE_TTL_SECONDS
    auth_cache_seconds: int = DEFAULT_AUTH_CACHE_SECONDS
    change_poll_seconds: int = DEFAULT_CHANGE_POLL_SECONDS
    redirect_max_age_seconds: int = DEFAULT_REDIRECT_MAX_AGE_SECONDS

    @property
    def change_poll_ms(self) -> int:
        """`change_poll_seconds` in milliseconds."""
        return self.change_poll_seconds * 1000

    @classmethod
    def from_env(cls, env: Mapping[str, str | None]) -> Settings:
        """Build settings from a mapping of environment strings (unset keys take defaults)."""
        origins = (env.get("ALLOWED_ORIGINS") or DEFAULT_ALLOWED_ORIGINS).split(",")
        return cls(
            cdn_base_url=_url(env.get("CDN_BASE_URL"), DEFAULT_CDN_BASE_URL),
            allowed_origins=tuple(o.strip() for o in origins if o.strip()),
            user_agent=env.get("USER_AGENT") or DEFAULT_USER_AGENT,
            apple_music_api_url=_url(env.get("APPLE_MUSIC_API_URL"), DEFAULT_APPLE_MUSIC_API_URL),
            apple_music_token=env.get("APPLE_MUSIC_DEVELOPER_TOKEN") or None,
            deezer_api_url=_url(env.get("DEEZER_API_URL"), DEFAULT_DEEZER_API_URL),
            itunes_api_url=_url(env.get("ITUNES_API_URL"), DEFAULT_ITUNES_API_URL),
            tmdb_api_url=_url(env.get("TMDB_API_URL"), DEFAULT_TMDB_API_URL),
            tmdb_image_url=_url(env.get("TMDB_IMAGE_URL"), DEFAULT_TMDB_IMAGE_URL),
            tmdb_read_token=env.get("TMDB_API_READ_TOKEN") or None,
            fanart_api_url=_url(env.get("FANART_API_URL"), DEFAULT_FANART_API_URL),
            fanart_api_key=env.get("FANART_API_KEY") or None,
            cover_art_archive_url=_url(
                env.get("COVER_ART_ARCHIVE_URL"), DEFAULT_COVER_ART_ARCHIVE_URL
            ),
            allow_insecure_sources=_flag(env.get("ALLOW_INSECURE_SOURCES"), False),
            fetch_timeout_ms=_int(env.get("FETCH_TIMEOUT_MS"), DEFAULT_FETCH_TIMEOUT_MS),
            max_download_bytes=_int(env.get("MAX_DOWNLOAD_BYTES"), DEFAULT_MAX_DOWNLOAD_BYTES),
            max_redirects=_int(env.get("MAX_REDIRECTS"), DEFAULT_MAX_REDIRECTS),
            max_source_side=_int(env.get("MAX_SOURCE_SIDE"), DEFAULT_MAX_SOURCE_SIDE),
            max_source_megapixels=_int(
                env.get("MAX_SOURCE_MEGAPIXELS"), DEFAULT_MAX_SOURCE_MEGAPIXELS
            ),
            negative_ttl_seconds=_int(
                env.get("NEGATIVE_TTL_SECONDS"), DEFAULT_NEGATIVE_TTL_SECONDS
            ),
            auth_cache_seconds=_int(env.get("AUTH_CACHE_SECONDS"), DEFAULT_AUTH_CACHE_SECONDS),
            change_poll_seconds=_int(env.get("CHANGE_POLL_SECONDS"), DEFAULT_CHANGE_POLL_SECONDS),
            redirect_max_age_seconds=_int(
                env.get("REDIRECT_MAX_AGE_SECONDS"), DEFAULT_REDIRECT_MAX_AGE_SECONDS
            ),
        )


ENV_KEYS = (
    "CDN_BASE_URL",
    "ALLOWED_ORIGINS",
    "USER_AGENT",
    "APPLE_MUSIC_API_URL",
    "APPLE_MUSIC_DEVELOPER_TOKEN",
    "DEEZER_API_URL",
    "ITUNES_API_URL",
    "TMDB_API_URL",
    "TMDB_IMAGE_URL",
    "TMDB_API_READ_TOKEN",
    "FANART_API_URL",
    "FANART_API_KEY",
    "COVER_ART_ARCHIVE_URL",
    "ALLOW_INSECURE_SOURCES",
    "FETCH_TIMEOUT_MS",
    "MAX_DOWNLOAD_BYTES",
    "MAX_REDIRECTS",
    "MAX_SOURCE_SIDE",
    "MAX_SOURCE_MEGAPIXELS",
    "NEGATIVE_TTL_SECONDS",
    "AUTH_CACHE_SECONDS",
    "CHANGE_POLL_SECONDS",
    "REDIRECT_MAX_AGE_SECONDS",
)
"""Environment names read by `Settings.from_env` (the edge copies these out of the JS env)."""

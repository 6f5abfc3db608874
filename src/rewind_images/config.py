"""Settings and limits of the service, each named once here.

`Settings` holds what a deployment may change, read once per isolate from the Worker's
environment (`[vars]` in wrangler.toml, `.dev.vars` locally, wrangler secrets): each field's
default is on the dataclass, its environment name and parser in `_ENVIRONMENT`, the one table
`from_env` and the runtime edge read. The constants are the fixed limits of what the API accepts
and of the work and answers it makes (sizes, counts, timeouts, cache lifetimes), named so every
module refers to one value. Constants of an algorithm or a format stay beside it: the imaging
code's working sizes and colour clustering (`imaging`), the key format (`keys.material`), the
upstreams' own image sizes (`sources`), RFC limits (a multipart boundary, a PNG chunk) and
Cloudflare's image error codes (`local.cdn`). This module is pure: it takes a plain mapping,
not the JS `env`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

SERVICE_NAME = "rewind-images"
SERVICE_VERSION = "0.1.0"

# --- fixed limits ----------------------------------------------------------------------------
# Platform calls retried before a 503: D1's "database is locked" (the statement did not run),
# R2's failed calls; then a 503 says to retry after this many seconds.
D1_BUSY_RETRY_DELAYS_S = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
R2_RETRY_DELAYS_S = (0.05, 0.2)
DEPENDENCY_RETRY_AFTER_S = 1
# How long a browser may keep a CORS preflight's answer.
PREFLIGHT_MAX_AGE_SECONDS = 86_400
# Results asked of a search API (Apple Music, Deezer, iTunes) per query.
UPSTREAM_SEARCH_RESULTS = 10
# What the API accepts (the request models and `rules`' patterns refer to these).
MAX_ENTITY_ID_LENGTH = 200
MAX_HINT_LENGTH = 300
MAX_URL_LENGTH = 2048
MAX_KEY_NAME_LENGTH = 100
MAX_RATE_LIMIT_RPM = 1_000_000
MAX_PAGE_LIMIT = 100
MAX_PAGE = 1_000_000
MAX_FILTER_LENGTH = 200  # a list filter's text (a domain, an entity type, a source)
MAX_REANALYZE_BATCH_SIZE = 50
MAX_ATTACHMENT_ITEMS = 100  # a page of entities per POST /v1/images/attachments
MAX_BACKFILL_ITEMS = 1_000  # entities per POST /v1/admin/images/backfill
# Ids and cursors bound to D1 parameters stay 32-bit: larger Python ints cross to JavaScript
# as BigInt near 2**53, which D1 refuses.
MAX_ROW_ID = 2**31 - 1

# A value echoed in an answer (an invalid item's fields, an error message) is cut to this many
# characters, so an answer never grows with the junk it was sent.
MAX_ECHO_LENGTH = 64
# Outbound calls.
MAX_API_RESPONSE_BYTES = 2 * 1024 * 1024  # an upstream API's JSON or an article page
FETCH_MAX_RETRIES = 1  # connection errors and 502/503/504 (GET is idempotent)
FETCH_RETRY_DELAY_S = 0.2
# The analysis image's long side. ThumbHash terms are low-frequency, so 32 px gives the same
# kind of hash as 100 px at a fraction of the cost.
ANALYSIS_MAX_SIDE = 32
# Bounds of one miss's work (with `Settings.miss_deadline_ms`): candidates taken from each
# source, and downloads over all sources.
MAX_CANDIDATES_PER_SOURCE = 5
MAX_DOWNLOADS_PER_MISS = 8
# Claims: one pipeline run (or admin write) per entity at a time, across isolates.
CLAIM_LEASE_MS = 60_000
CLAIM_WAIT_MS = 30_000
CLAIM_POLL_INTERVAL_S = 0.1
# What a miss keeps of its lease after the search, for storing and recording (the search's
# deadline is `Settings.miss_deadline_ms`, cut to `CLAIM_LEASE_MS - CLAIM_STORE_RESERVE_MS`).
CLAIM_STORE_RESERVE_MS = 15_000
# A fenced put (the storage rule) that keeps finding another writer's object gives up after this
# many tries (each after confirming the claim again): an R2 failure, not a stand-off.
FENCED_PUT_ATTEMPTS = 3
# Request bodies: read only for routes that take one, counted while streaming. JSON bodies are
# small; only uploads need the large cap.
MAX_REQUEST_BODY_BYTES = 20 * 1024 * 1024
MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Nesting of a JSON body ([ and {), checked before parsing: the parser recurses, and deep input
# overflows the runtime's stack (Pyodide dies with "Maximum call stack size exceeded").
MAX_JSON_DEPTH = 32
# The same for upstream JSON (API answers are deeper than ours, never this deep).
MAX_UPSTREAM_JSON_DEPTH = 64
# multipart/form-data: parts per body (nested multipart is refused outright).
MAX_MULTIPART_PARTS = 10
# Per-isolate memory bounds.
RECORD_CACHE_MAX_ENTRIES = 50_000
# Routing's plans and the batch's validated items, each memo at most this many.
VALIDATION_MEMO_MAX_ENTRIES = 10_000
# Only requests (path + query) shorter than this are memoised, so the memo holds at most
# about entries x length characters, whatever the query strings.
MEMO_MAX_REQUEST_LENGTH = 512
KEY_CACHE_MAX_ENTRIES = 10_000
# The change log that keeps record caches fresh.
MAX_CHANGES_PER_POLL = 1_000
# migrations/0004 prunes the log past this retention (a test checks the two agree).
CHANGE_RETENTION_MS = 3_600_000
# Keys.
MAX_TOKEN_LENGTH = 256
RATE_WINDOW_MS = 60_000
USAGE_FLUSH_INTERVAL_MS = 60_000
DEFAULT_RATE_LIMIT_RPM = 60
# Key expiry: `expires_at` is at most this far ahead.
MAX_KEY_LIFETIME_DAYS = 3653  # ten years
# A batch of attachments costs ceil(items / ITEMS_PER_RATE_UNIT) of its key's per-minute limit
# (1 to 10 for 1 to 100 items): an entity in a batch costs a small fraction of a single request.
ITEMS_PER_RATE_UNIT = 10
# Pages.
DEFAULT_PAGE_LIMIT = 20
# CDN variants: the quality of every sized variant URL (`images.variants`), and what the local
# stand-in of the CDN (`local.cdn`, local runs only) renders at most.
VARIANT_QUALITY = 85
LOCAL_CDN_MAX_SIDE = 4096
LOCAL_CDN_MAX_DPR = 4.0
# D1 refuses a statement with more bound parameters than this.
D1_MAX_BOUND_PARAMETERS = 100
# Attachments: per-isolate memory bounds (a placeholder is about 1.5 KB of text; together
# about 15 MB at most).
ATTACHMENT_CACHE_MAX_ENTRIES = 4_096
PLACEHOLDER_CACHE_MAX_ENTRIES = 4_096
# Background resolution on Cloudflare Queues. The names are wrangler.toml's (a test checks);
# the consumer tells the two queues apart by name.
RESOLVE_QUEUE_NAME = "rewind-images-resolve"
DEAD_LETTER_QUEUE_NAME = "rewind-images-resolve-dlq"
QUEUE_SEND_MAX_MESSAGES = 100  # per sendBatch call (a Queues limit)
# An isolate does not queue the same entity again within this window: pages that ask for the
# same pending entities again and again send one message, not one per page view.
REQUEUE_AFTER_MS = 300_000
REQUEUE_MEMO_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Budget:
    """A budget every isolate shares: `limit` units per `period_s` seconds per key, counted by
    the Workers Rate Limiting binding `binding` (declared in wrangler.toml with these numbers;
    a test checks they agree). Where no binding is declared it is counted per isolate."""

    binding: str
    limit: int
    period_s: int


MISS_BUDGET = "misses"
ARTICLE_PAGES_BUDGET = "article_pages"
# The budgets, by name: the callers' misses (keyed by caller), and one per upstream (keyed by
# the upstream, or by site for article pages), spent before each API request or page fetch.
# Their defaults are the upstreams' published terms, at most.
BUDGETS: dict[str, Budget] = {
    MISS_BUDGET: Budget("MISS_BUDGET", 30, 60),
    "apple_music": Budget("APPLE_MUSIC_BUDGET", 100, 60),
    "deezer": Budget("DEEZER_BUDGET", 50, 10),  # Deezer: 50 requests per 5 s
    "itunes": Budget("ITUNES_BUDGET", 20, 60),  # iTunes Search: about 20 a minute
    "tmdb": Budget("TMDB_BUDGET", 200, 10),  # TMDB: a few dozen a second
    "fanart": Budget("FANART_BUDGET", 60, 60),
    "musicbrainz": Budget("MUSICBRAINZ_BUDGET", 10, 10),  # MusicBrainz: one a second
    "cover_art_archive": Budget("COVER_ART_ARCHIVE_BUDGET", 10, 10),  # as MusicBrainz asks
    ARTICLE_PAGES_BUDGET: Budget("ARTICLE_PAGES_BUDGET", 30, 60),  # per site
}


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _url(value: str) -> str:
    return value.rstrip("/")


def _origins(value: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in value.split(",") if o.strip())


def _text(value: str) -> str:
    return value


def _secret(value: str) -> str | None:
    return value or None


def _int(value: str) -> int:
    return int(value.strip())


def _limits(value: str) -> tuple[tuple[str, int], ...]:
    parsed = json.loads(value)
    if not isinstance(parsed, dict) or not all(
        name in BUDGETS and isinstance(limit, int) and limit > 0 for name, limit in parsed.items()
    ):
        raise ValueError(f"BUDGET_LIMITS must map budget names ({', '.join(BUDGETS)}) to limits")
    return tuple(sorted(parsed.items()))


@dataclass(frozen=True)
class Settings:
    """Typed configuration; build it with `Settings.from_env`. Defaults are production's."""

    cdn_base_url: str = "https://cdn.rewind.rest"
    allowed_origins: tuple[str, ...] = ("*",)
    user_agent: str = f"{SERVICE_NAME}/{SERVICE_VERSION} ( https://github.com/pdugan20/rewind )"

    # Upstream bases; tests and the offline demo point these at loopback.
    apple_music_api_url: str = "https://api.music.apple.com"
    apple_music_token: str | None = None
    deezer_api_url: str = "https://api.deezer.com"
    itunes_api_url: str = "https://itunes.apple.com"
    tmdb_api_url: str = "https://api.themoviedb.org/3"
    tmdb_image_url: str = "https://image.tmdb.org/t/p"
    tmdb_read_token: str | None = None
    fanart_api_url: str = "https://webservice.fanart.tv/v3"
    fanart_api_key: str | None = None
    cover_art_archive_url: str = "https://coverartarchive.org"
    musicbrainz_api_url: str = "https://musicbrainz.org"

    # Plain http and loopback hosts allowed for upstream calls (tests and demo only).
    allow_insecure_sources: bool = False
    # Serve CDN_BASE_URL's paths from the bucket through the Images binding (local runs only;
    # production serves them from a zone with Image Transformations in front of the bucket).
    local_cdn: bool = False
    # The entities of the local placeholder page (`/demo`, with LOCAL_CDN): a JSON list of
    # batch items. `make demo` sets it.
    demo_entities: str = ""

    fetch_timeout_ms: int = 8_000
    max_download_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 3
    max_source_side: int = 12_000
    max_source_megapixels: int = 50
    # One deadline for a whole miss (every source and download), well under CLAIM_LEASE_MS.
    miss_deadline_ms: int = 25_000

    negative_ttl_seconds: int = 7 * 24 * 3600
    # A "no image" record is asked again before its TTL when a request brings other hints that
    # a source can use, at most once per entity per this interval.
    hint_retry_seconds: int = 300
    # An entity whose background resolution failed on every try is answered `failed` (not
    # queued again) for this long, unless a request brings other hints.
    failed_retry_seconds: int = 3600
    # Resolutions a caller may start per minute (the MISS_BUDGET binding's limit), run inline (a
    # GET miss: 429 past it) or queued (a batch item: `pending` past it): upstream quotas are
    # small (iTunes allows about 20 requests a minute).
    miss_limit_per_minute: int = 30
    auth_cache_seconds: int = 60
    # How often an isolate reads D1's change log: a new image_version written anywhere is
    # served within this.
    change_poll_seconds: int = 15
    # How long a queued resolution waits before it is tried again after a failure (the
    # upstreams failed, the claim was busy); the queue's max_retries bounds the tries.
    queue_retry_delay_seconds: int = 60
    # Other limits for the upstream budgets than BUDGETS' (JSON: name -> limit), for local runs
    # and tests: a deployment's limits are its wrangler.toml's. (The misses budget's limit is
    # `miss_limit_per_minute`.)
    budget_limits: tuple[tuple[str, int], ...] = ()

    def budget_limit(self, name: str) -> int:
        """The limit of budget `name` for this deployment."""
        if name == MISS_BUDGET:
            return self.miss_limit_per_minute
        return dict(self.budget_limits).get(name, BUDGETS[name].limit)

    @property
    def change_poll_ms(self) -> int:
        """`change_poll_seconds` in milliseconds."""
        return self.change_poll_seconds * 1000

    @property
    def search_deadline_ms(self) -> int:
        """The miss's deadline as the pipeline uses it: never so long that the claim's lease
        could run out before the result is stored."""
        return min(self.miss_deadline_ms, CLAIM_LEASE_MS - CLAIM_STORE_RESERVE_MS)

    @classmethod
    def from_env(cls, env: Mapping[str, str | None]) -> Settings:
        """Build settings from a mapping of environment strings (unset or empty: default, but
        an empty `ALLOWED_ORIGINS` means no origin, so CORS fails closed)."""
        values: dict[str, Any] = {}
        for name, (env_name, parse) in _ENVIRONMENT.items():
            raw = env.get(env_name)
            if raw is None:
                continue
            if str(raw).strip() != "" or name in _EMPTY_IS_A_VALUE:
                values[name] = parse(str(raw))
        return cls(**values)


# Settings field -> (environment name, parser). The one list of environment names.
_ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "cdn_base_url": ("CDN_BASE_URL", _url),
    "allowed_origins": ("ALLOWED_ORIGINS", _origins),
    "user_agent": ("USER_AGENT", _text),
    "apple_music_api_url": ("APPLE_MUSIC_API_URL", _url),
    "apple_music_token": ("APPLE_MUSIC_DEVELOPER_TOKEN", _secret),
    "deezer_api_url": ("DEEZER_API_URL", _url),
    "itunes_api_url": ("ITUNES_API_URL", _url),
    "tmdb_api_url": ("TMDB_API_URL", _url),
    "tmdb_image_url": ("TMDB_IMAGE_URL", _url),
    "tmdb_read_token": ("TMDB_API_READ_TOKEN", _secret),
    "fanart_api_url": ("FANART_API_URL", _url),
    "fanart_api_key": ("FANART_API_KEY", _secret),
    "cover_art_archive_url": ("COVER_ART_ARCHIVE_URL", _url),
    "musicbrainz_api_url": ("MUSICBRAINZ_API_URL", _url),
    "allow_insecure_sources": ("ALLOW_INSECURE_SOURCES", _flag),
    "local_cdn": ("LOCAL_CDN", _flag),
    "demo_entities": ("DEMO_ENTITIES", _text),
    "fetch_timeout_ms": ("FETCH_TIMEOUT_MS", _int),
    "max_download_bytes": ("MAX_DOWNLOAD_BYTES", _int),
    "max_redirects": ("MAX_REDIRECTS", _int),
    "max_source_side": ("MAX_SOURCE_SIDE", _int),
    "max_source_megapixels": ("MAX_SOURCE_MEGAPIXELS", _int),
    "miss_deadline_ms": ("MISS_DEADLINE_MS", _int),
    "negative_ttl_seconds": ("NEGATIVE_TTL_SECONDS", _int),
    "hint_retry_seconds": ("HINT_RETRY_SECONDS", _int),
    "failed_retry_seconds": ("FAILED_RETRY_SECONDS", _int),
    "miss_limit_per_minute": ("MISS_LIMIT_PER_MINUTE", _int),
    "auth_cache_seconds": ("AUTH_CACHE_SECONDS", _int),
    "change_poll_seconds": ("CHANGE_POLL_SECONDS", _int),
    "queue_retry_delay_seconds": ("QUEUE_RETRY_DELAY_SECONDS", _int),
    "budget_limits": ("BUDGET_LIMITS", _limits),
}
# Settings whose empty value is meant as given (an empty list), not as "use the default".
_EMPTY_IS_A_VALUE = frozenset({"allowed_origins"})
assert set(_ENVIRONMENT) == {f.name for f in fields(Settings)}, "every setting has an env name"

ENV_KEYS = tuple(env_name for env_name, _ in _ENVIRONMENT.values())
"""Environment names read by `Settings.from_env` (the edge copies these out of the JS env)."""
SECRET_ENV_KEYS = tuple(env_name for env_name, parse in _ENVIRONMENT.values() if parse is _secret)
"""The settings that are secrets (`wrangler secret put`): each enables an upstream source."""

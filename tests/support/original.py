"""The original Rewind API's database as its deployments have it, for the takeover tests: the
schema its migrations leave (the tables this service shares, another domain's table, and its
own records of applied migrations) and rows written the way its code writes them.

Written here from reading the original's public repository (pdugan20/rewind at commit
ORIGINAL_COMMIT), not copied from it. Provenance of each part:

- `images`: migrations/0000_blue_wendell_rand.sql creates the table and its four indexes
  (`idx_images_unique`, `idx_images_domain`, `idx_images_entity`, `idx_images_user_id`);
  migrations/0010_add_images_search_hints.sql adds `search_hints`. Later migrations only
  delete or update rows (0016, 0018, 0029, 0043).
- `api_keys`: 0000_blue_wendell_rand.sql, with `api_keys_key_hash_unique`,
  `idx_api_keys_key_hash` and `idx_api_keys_user_id`.
- `players` (the `attending` domain, whose photos share `images`): 0034_attending_players.sql;
  only its first columns here, enough to stand for a table of a domain this service does not
  know.
- `d1_migrations`: the table wrangler keeps (its `CREATE TABLE IF NOT EXISTS d1_migrations`)
  with one row per file of the original's migrations/ folder, ORIGINAL_MIGRATIONS.

The rows follow its code: src/services/images/pipeline.ts (an image row: key
`{domain}/{entity_type}/{entity_id}/original.{ext}`, version 1, or the existing version + 1
for an override with source `manual`), placeholder.ts (a "no source" row: key '', source
'none', version 0), sources/*.ts (source names), enrich-player-photos.ts (`attending` photos:
source = the entity type, no width or height), src/db/schema/system.ts (`created_at` from
`new Date().toISOString()`), pipeline.ts serializeSearchHints (camelCase hints) and
src/routes/keys.ts (a key: `rw_` + 64 hex digits, stored as its SHA-256 hex digest, prefix
its first 10 characters, hint its last 4).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

ORIGINAL_COMMIT = "689d76e"

SCHEMA = """
CREATE TABLE players (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id integer DEFAULT 1 NOT NULL,
  league text NOT NULL,
  mlb_stats_id integer,
  espn_id text,
  full_name text NOT NULL,
  created_at text NOT NULL,
  updated_at text NOT NULL
);
CREATE TABLE api_keys (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id integer DEFAULT 1 NOT NULL,
  key_hash text NOT NULL,
  key_prefix text NOT NULL,
  key_hint text NOT NULL,
  name text NOT NULL,
  scope text DEFAULT 'read' NOT NULL,
  rate_limit_rpm integer DEFAULT 60 NOT NULL,
  last_used_at text,
  request_count integer DEFAULT 0 NOT NULL,
  expires_at text,
  is_active integer DEFAULT 1 NOT NULL,
  created_at text NOT NULL
);
CREATE UNIQUE INDEX api_keys_key_hash_unique ON api_keys (key_hash);
CREATE INDEX idx_api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX idx_api_keys_user_id ON api_keys (user_id);
CREATE TABLE images (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id integer DEFAULT 1 NOT NULL,
  domain text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  r2_key text NOT NULL,
  source text NOT NULL,
  source_url text,
  width integer,
  height integer,
  thumbhash text,
  dominant_color text,
  accent_color text,
  is_override integer DEFAULT 0 NOT NULL,
  override_at text,
  image_version integer DEFAULT 1 NOT NULL,
  created_at text NOT NULL
);
CREATE UNIQUE INDEX idx_images_unique ON images (domain, entity_type, entity_id);
CREATE INDEX idx_images_domain ON images (domain);
CREATE INDEX idx_images_entity ON images (entity_type, entity_id);
CREATE INDEX idx_images_user_id ON images (user_id);
ALTER TABLE images ADD search_hints text;
CREATE TABLE IF NOT EXISTS d1_migrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
"""

# The file names of the original's migrations/ folder at ORIGINAL_COMMIT, in wrangler's order.
ORIGINAL_MIGRATIONS = (
    "0000_blue_wendell_rand.sql",
    "0001_unknown_imperial_guard.sql",
    "0002_little_nomad.sql",
    "0003_ambitious_la_nuit.sql",
    "0004_magical_next_avengers.sql",
    "0005_search_index_fts5.sql",
    "0006_plex_shows_enrichment.sql",
    "0007_watch_stats_tv_columns.sql",
    "0008_seed_lastfm_filters.sql",
    "0009_trakt_collection.sql",
    "0010_add_images_search_hints.sql",
    "0011_add_watch_history_review.sql",
    "0011_soft_captain_midlands.sql",
    "0012_add_sync_runs_retry_count.sql",
    "0012_far_avengers.sql",
    "0013_add_composite_indexes.sql",
    "0013_faithful_kang.sql",
    "0014_add_foreign_key_cascades.sql",
    "0014_romantic_scourge.sql",
    "0015_multi_user_unique_constraints.sql",
    "0016_clean_artist_names_and_filters.sql",
    "0017_artist_genre_tags.sql",
    "0018_compilation_album_dedup.sql",
    "0019_apple_music_enrichment.sql",
    "0020_watch_history_letterboxd_fields.sql",
    "0021_add_audiobook_filter_caro.sql",
    "0022_reading_domain.sql",
    "0023_reading_enrichment_fields.sql",
    "0024_reading_source_hash.sql",
    "0025_webhook_events_account_title.sql",
    "0026_search_index_v2.sql",
    "0027_reading_body_excerpt.sql",
    "0028_lastfm_scrobbles_composite_index.sql",
    "0029_bump_legacy_image_version_zero.sql",
    "0030_lastfm_monthly_stats.sql",
    "0031_attending_domain.sql",
    "0032_google_tokens.sql",
    "0033_seed_venues.sql",
    "0034_attending_players.sql",
    "0035_teams.sql",
    "0036_drop_mlb_teams.sql",
    "0037_player_bio.sql",
    "0038_seed_various_artists.sql",
    "0039_album_attribution_audit.sql",
    "0040_drop_is_compilation.sql",
    "0041_add_pynchon_audiobook_filter.sql",
    "0042_filter_odyssey_audiobook.sql",
    "0043_filter_pirsig_audiobook.sql",
)


def to_iso_string(ms: int) -> str:
    """A moment as JavaScript's `Date.prototype.toISOString` writes it (UTC, milliseconds, Z)."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class OriginalImage:
    """One `images` row as the original writes it."""

    domain: str
    entity_type: str
    entity_id: str
    source: str
    extension: str = "jpg"
    image_version: int = 1
    width: int | None = 600
    height: int | None = 600
    thumbhash: str | None = "1QcSHQRnh493V4dIh4eXh1h4kJUI"
    dominant_color: str | None = "#f5d1dc"
    accent_color: str | None = "#203040"
    is_override: bool = False  # an admin's override (override_at: when the row was written)
    hints: dict[str, str] | None = None
    no_source: bool = False  # a "no source" placeholder row

    @property
    def entity(self) -> tuple[str, str, str]:
        return (self.domain, self.entity_type, self.entity_id)

    @property
    def r2_key(self) -> str:
        if self.no_source:
            return ""
        return f"{self.domain}/{self.entity_type}/{self.entity_id}/original.{self.extension}"

    @property
    def source_url(self) -> str | None:
        return None if self.no_source else f"https://images.example/{self.entity_id}"

    def insert(self, conn: sqlite3.Connection, created_ms: int) -> None:
        """Insert the row with every column the original's insert names."""
        conn.execute(
            "INSERT INTO images (user_id, domain, entity_type, entity_id, r2_key, source,"
            " source_url, width, height, thumbhash, dominant_color, accent_color, is_override,"
            " override_at, image_version, search_hints, created_at)"
            " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *self.entity,
                self.r2_key,
                "none" if self.no_source else self.source,
                self.source_url,
                None if self.no_source else self.width,
                None if self.no_source else self.height,
                None if self.no_source else self.thumbhash,
                None if self.no_source else self.dominant_color,
                None if self.no_source else self.accent_color,
                1 if self.is_override else 0,
                to_iso_string(created_ms) if self.is_override else None,
                0 if self.no_source else self.image_version,
                json.dumps(self.hints) if self.hints else None,
                to_iso_string(created_ms),
            ),
        )


# Every shape of row the original writes into `images`, one of each.
APPLE_MUSIC = OriginalImage("listening", "albums", "1842", "apple-music")
COVER_ART_ARCHIVE = OriginalImage(
    "collecting", "releases", "77", "cover-art-archive", image_version=3
)
FANART_TV = OriginalImage("listening", "artists", "311", "fanart-tv", width=1000, height=1000)
# Article images: the page declares no size; this one's ThumbHash and colours were not made.
OG_IMAGE = OriginalImage(
    "reading",
    "articles",
    "4087",
    "og-image",
    width=None,
    height=None,
    thumbhash=None,
    dominant_color=None,
    accent_color=None,
)
PLEX = OriginalImage("watching", "shows", "58", "plex", hints={"tmdbId": "1396"})
MANUAL = OriginalImage("listening", "albums", "905", "manual", image_version=2, is_override=True)
NO_SOURCE = OriginalImage("listening", "albums", "4410", "none", no_source=True)
# A "no source" row the original wrote with the hints it searched with (camelCase).
NO_SOURCE_WITH_HINTS = OriginalImage(
    "listening",
    "albums",
    "4411",
    "none",
    no_source=True,
    hints={"artistName": "Daft Punk", "albumName": "Discovery"},
)
# Photos of the `attending` domain, which this service does not serve (PNG cut-outs).
PLAYER_SILO = OriginalImage(
    "attending",
    "player_silo",
    "1",
    "player_silo",
    extension="png",
    width=None,
    height=None,
    thumbhash=None,
)
PLAYER_FULL = OriginalImage(
    "attending",
    "player_full",
    "1",
    "player_full",
    extension="png",
    width=None,
    height=None,
    thumbhash=None,
)
ORIGINAL_IMAGES = (
    APPLE_MUSIC,
    COVER_ART_ARCHIVE,
    FANART_TV,
    OG_IMAGE,
    PLEX,
    MANUAL,
    NO_SOURCE,
    NO_SOURCE_WITH_HINTS,
    PLAYER_SILO,
    PLAYER_FULL,
)


@dataclass(frozen=True)
class OriginalKey:
    """A key minted the original's way: the raw token and its row's values."""

    raw: str
    scope: str

    @classmethod
    def mint(cls, scope: str) -> OriginalKey:
        return cls("rw_" + secrets.token_bytes(32).hex(), scope)

    def insert(self, conn: sqlite3.Connection, created_ms: int) -> None:
        conn.execute(
            "INSERT INTO api_keys (user_id, key_hash, key_prefix, key_hint, name, scope,"
            " created_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (
                hashlib.sha256(self.raw.encode()).hexdigest(),
                self.raw[:10],
                self.raw[-4:],
                f"original {self.scope} key",
                self.scope,
                to_iso_string(created_ms),
            ),
        )


def build(conn: sqlite3.Connection, now_ms: int) -> None:
    """The original's schema, another domain's row and its migration records, in `conn`."""
    conn.executescript(SCHEMA)
    conn.executemany(
        "INSERT INTO d1_migrations (name, applied_at) VALUES (?, '2026-08-21 22:48:07')",
        [(name,) for name in ORIGINAL_MIGRATIONS],
    )
    conn.execute(
        "INSERT INTO players (league, mlb_stats_id, full_name, created_at, updated_at)"
        " VALUES ('mlb', 592450, 'Aaron Judge', ?, ?)",
        (to_iso_string(now_ms), to_iso_string(now_ms)),
    )


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """What of the original's must stay as it was: its tables' rows, its indexes, its records
    of applied migrations, the columns of `images`."""

    def rows(sql: str) -> list[tuple[object, ...]]:
        return [tuple(r) for r in conn.execute(sql).fetchall()]

    return {
        "indexes": rows(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name IN ('images', 'api_keys', 'players') AND name NOT LIKE 'sqlite_%'"
            " AND name != 'idx_images_path' ORDER BY name"  # (this service's own index)
        ),
        "d1_migrations": rows("SELECT * FROM d1_migrations ORDER BY id"),
        "players": rows("SELECT * FROM players ORDER BY id"),
        "images": rows("SELECT * FROM images ORDER BY id"),
        "images_columns": rows("SELECT name, type FROM pragma_table_info('images')"),
        "api_keys": rows("SELECT * FROM api_keys ORDER BY id"),
    }

-- Schema of the Rewind image service. It shares a database with the original Rewind API
-- (docs/operations.md): `images` and `api_keys` are the original's tables, column for column
-- (its migrations 0000 and 0010), so on its database every statement here finds its table or
-- index already there and changes nothing. Each one is therefore IF NOT EXISTS, and no
-- migration of this service alters or drops anything it did not create. Applied migrations
-- are recorded in this service's own table (`migrations_table` in wrangler.toml), not in the
-- original's `d1_migrations`.

CREATE TABLE IF NOT EXISTS images (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id integer DEFAULT 1 NOT NULL,
  domain text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  r2_key text NOT NULL,                 -- '' for a recorded "no image" result
  source text NOT NULL,                 -- 'none' for a recorded "no image" result
  source_url text,
  width integer,
  height integer,
  thumbhash text,
  dominant_color text,
  accent_color text,
  is_override integer DEFAULT 0 NOT NULL,
  override_at text,
  image_version integer DEFAULT 1 NOT NULL,
  created_at text NOT NULL,             -- of a "no image" row: when the sources were last asked
  search_hints text
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_images_unique ON images (domain, entity_type, entity_id);

CREATE TABLE IF NOT EXISTS api_keys (
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
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_key_hash_unique ON api_keys (key_hash);

-- Added: one row while a miss for an entity is being resolved, so that concurrent misses (across
-- isolates) run the pipeline once. A claim past its expiry may be taken over.
CREATE TABLE IF NOT EXISTS image_claims (
  domain text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  token text NOT NULL,
  expires_at integer NOT NULL,          -- epoch milliseconds
  PRIMARY KEY (domain, entity_type, entity_id)
);

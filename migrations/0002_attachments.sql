-- Attachments (issue 11): batched reads, stored placeholders, dead-lettered background jobs.

-- Batched reads name entities by their path, one bound parameter each (D1 allows 100 per
-- statement): `WHERE domain || '/' || entity_type || '/' || entity_id IN (?, ...)`.
CREATE INDEX IF NOT EXISTS idx_images_path ON images (domain || '/' || entity_type || '/' || entity_id);

-- The PNG data URL of each ThumbHash, keyed by the hash itself: making one costs about 16 ms of
-- Worker CPU, so it is done once (when a record is written, or by its first
-- reader) and shared by every isolate. A changed hash is a new row, so a row is never stale.
CREATE TABLE IF NOT EXISTS image_placeholders (
  thumbhash text PRIMARY KEY NOT NULL,
  data_url text NOT NULL
) WITHOUT ROWID;

-- Background resolutions that failed on every try (max_retries + 1 of them: the queue's dead
-- letters), kept for a look.
CREATE TABLE IF NOT EXISTS image_dead_letters (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  domain text,                          -- NULL when the message names no valid entity
  entity_type text,
  entity_id text,
  body text NOT NULL,                   -- the message as JSON
  dead_at text NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_image_dead_letters_entity ON image_dead_letters (domain, entity_type, entity_id);

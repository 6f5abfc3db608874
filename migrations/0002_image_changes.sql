-- A log of changed image rows, written by triggers so that every writer is covered (the Worker,
-- `wrangler d1 execute`, a console). Isolates cache image rows without a lifetime and read this
-- log every CHANGE_POLL_SECONDS to drop the entries that changed, so a hit needs no D1 query
-- while a new image_version still shows within the poll interval.
CREATE TABLE IF NOT EXISTS image_changes (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  domain text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  changed_ms integer NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS integer))
);
CREATE INDEX IF NOT EXISTS idx_image_changes_changed_ms ON image_changes (changed_ms);

CREATE TRIGGER IF NOT EXISTS images_log_insert AFTER INSERT ON images BEGIN
  INSERT INTO image_changes (domain, entity_type, entity_id)
  VALUES (NEW.domain, NEW.entity_type, NEW.entity_id);
END;

CREATE TRIGGER IF NOT EXISTS images_log_update AFTER UPDATE ON images BEGIN
  INSERT INTO image_changes (domain, entity_type, entity_id)
  VALUES (NEW.domain, NEW.entity_type, NEW.entity_id);
END;

CREATE TRIGGER IF NOT EXISTS images_log_delete AFTER DELETE ON images BEGIN
  INSERT INTO image_changes (domain, entity_type, entity_id)
  VALUES (OLD.domain, OLD.entity_type, OLD.entity_id);
END;

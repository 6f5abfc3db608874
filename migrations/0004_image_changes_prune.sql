-- The change log prunes itself: each logged change drops the rows older than the log's
-- retention (CHANGE_RETENTION_MS in src/rewind_images/config.py, one hour; a test checks the
-- two agree). So readers never write (an isolate's first poll used to prune in the background),
-- and the log stays bounded wherever its triggers run, this service deployed or not.
CREATE TRIGGER IF NOT EXISTS image_changes_prune AFTER INSERT ON image_changes BEGIN
  DELETE FROM image_changes WHERE changed_ms < NEW.changed_ms - 3600000;
END;

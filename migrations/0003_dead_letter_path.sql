-- The one door (issue 19) answers an entity whose background resolution failed on every try
-- `failed`: batches read the dead letters of their entities by path, one bound parameter each,
-- like idx_images_path.
CREATE INDEX IF NOT EXISTS idx_image_dead_letters_path
  ON image_dead_letters (domain || '/' || entity_type || '/' || entity_id);

-- PostgreSQL twin of migrations/2026-11-26-000006_tag_counts.
-- The sidebar's popular tags: each tag's published posts (scheduled ones
-- included; the query subtracts those not yet due), kept by triggers on the
-- links' publication times (NULL unless published) so no page counts links.
ALTER TABLE tags ADD COLUMN post_count INTEGER NOT NULL DEFAULT 0;
UPDATE tags SET post_count = (
    SELECT count(*) FROM post_tags
    WHERE post_tags.tag_id = tags.id AND post_tags.published_at IS NOT NULL
);
CREATE INDEX tags_post_count ON tags (post_count DESC, name);

CREATE FUNCTION tags_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tags SET post_count = post_count + 1 WHERE id = NEW.tag_id;
    RETURN NULL;
END $$;
CREATE TRIGGER tags_count_insert AFTER INSERT ON post_tags
    FOR EACH ROW WHEN (NEW.published_at IS NOT NULL) EXECUTE FUNCTION tags_count_insert();

-- Also fires for the links a deleted post takes with it (ON DELETE CASCADE).
CREATE FUNCTION tags_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tags SET post_count = post_count - 1 WHERE id = OLD.tag_id;
    RETURN NULL;
END $$;
CREATE TRIGGER tags_count_delete AFTER DELETE ON post_tags
    FOR EACH ROW WHEN (OLD.published_at IS NOT NULL) EXECUTE FUNCTION tags_count_delete();

-- A link's time is set by post_tags_published_insert just after it is made,
-- and follows its post's status and time (post_tags_published_update).
CREATE FUNCTION tags_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tags SET post_count = post_count + (CASE WHEN NEW.published_at IS NULL THEN -1 ELSE 1 END)
    WHERE id = NEW.tag_id;
    RETURN NULL;
END $$;
CREATE TRIGGER tags_count_update AFTER UPDATE OF published_at ON post_tags
    FOR EACH ROW WHEN ((OLD.published_at IS NULL) <> (NEW.published_at IS NULL))
    EXECUTE FUNCTION tags_count_update();

-- Back to posts only: pages are removed first (with their comments and tag
-- links), so the archive and tag counts the old triggers keep stay right.
DELETE FROM posts WHERE kind = 'page';

DROP TRIGGER archive_months_update_new ON posts;
CREATE TRIGGER archive_months_update_new AFTER UPDATE OF status, published_at ON posts
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_add();

DROP TRIGGER archive_months_update_old ON posts;
CREATE TRIGGER archive_months_update_old AFTER UPDATE OF status, published_at ON posts
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_remove();

DROP TRIGGER archive_months_delete ON posts;
CREATE TRIGGER archive_months_delete AFTER DELETE ON posts
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_remove();

DROP TRIGGER archive_months_insert ON posts;
CREATE TRIGGER archive_months_insert AFTER INSERT ON posts
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_add();

DROP TRIGGER post_tags_published_update ON posts;
CREATE OR REPLACE FUNCTION post_tags_published_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE post_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER post_tags_published_update AFTER UPDATE OF status, published_at ON posts
    FOR EACH ROW EXECUTE FUNCTION post_tags_published_update();

CREATE OR REPLACE FUNCTION post_tags_published_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET published_at = (
        SELECT CASE WHEN posts.status = 'published' THEN posts.published_at END
        FROM posts WHERE posts.id = NEW.post_id
    ) WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
    RETURN NULL;
END $$;

DROP INDEX tags_listed;
ALTER TABLE post_tags DROP COLUMN position;
ALTER TABLE settings DROP COLUMN menu;

DROP INDEX posts_sitemap;
CREATE INDEX posts_sitemap ON posts (id, status, published_at, updated_at, slug);
DROP INDEX posts_kind_status_published;
ALTER TABLE posts DROP COLUMN kind;

-- Back to posts only: pages are removed first (with their comments and tag
-- links), so the archive and tag counts the old triggers keep stay right.
DELETE FROM posts WHERE kind = 'page';

DROP TRIGGER archive_months_update_new;
CREATE TRIGGER archive_months_update_new AFTER UPDATE OF status, published_at ON posts
WHEN NEW.status = 'published' AND NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO archive_months (month, count) VALUES (substr(NEW.published_at, 1, 7), 1)
    ON CONFLICT (month) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER archive_months_update_old;
CREATE TRIGGER archive_months_update_old AFTER UPDATE OF status, published_at ON posts
WHEN OLD.status = 'published' AND OLD.published_at IS NOT NULL
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = substr(OLD.published_at, 1, 7);
END;

DROP TRIGGER archive_months_delete;
CREATE TRIGGER archive_months_delete AFTER DELETE ON posts
WHEN OLD.status = 'published' AND OLD.published_at IS NOT NULL
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = substr(OLD.published_at, 1, 7);
END;

DROP TRIGGER archive_months_insert;
CREATE TRIGGER archive_months_insert AFTER INSERT ON posts
WHEN NEW.status = 'published' AND NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO archive_months (month, count) VALUES (substr(NEW.published_at, 1, 7), 1)
    ON CONFLICT (month) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER post_tags_published_update;
CREATE TRIGGER post_tags_published_update AFTER UPDATE OF status, published_at ON posts
BEGIN
    UPDATE post_tags SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE post_id = NEW.id;
END;

DROP TRIGGER post_tags_published_insert;
CREATE TRIGGER post_tags_published_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE post_tags SET published_at = (
        SELECT CASE WHEN posts.status = 'published' THEN posts.published_at END
        FROM posts WHERE posts.id = NEW.post_id
    ) WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
END;

DROP INDEX tags_listed;
ALTER TABLE post_tags DROP COLUMN position;
ALTER TABLE settings DROP COLUMN menu;

DROP INDEX posts_sitemap;
CREATE INDEX posts_sitemap ON posts (id, status, published_at, updated_at, slug);
DROP INDEX posts_kind_status_published;
ALTER TABLE posts DROP COLUMN kind;

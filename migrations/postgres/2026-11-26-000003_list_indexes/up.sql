-- PostgreSQL twin of migrations/2026-11-26-000003_list_indexes.

-- Tag pages: each link carries its post's publication time (NULL unless
-- published), so a tag's newest posts come straight from one index.
ALTER TABLE post_tags ADD COLUMN published_at TIMESTAMP;
UPDATE post_tags SET published_at = (
    SELECT CASE WHEN posts.status = 'published' THEN posts.published_at END
    FROM posts WHERE posts.id = post_tags.post_id
);
CREATE INDEX post_tags_tag_published ON post_tags (tag_id, published_at, post_id);

CREATE FUNCTION post_tags_published_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET published_at = (
        SELECT CASE WHEN posts.status = 'published' THEN posts.published_at END
        FROM posts WHERE posts.id = NEW.post_id
    ) WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
    RETURN NULL;
END $$;
CREATE TRIGGER post_tags_published_insert AFTER INSERT ON post_tags
    FOR EACH ROW EXECUTE FUNCTION post_tags_published_insert();

CREATE FUNCTION post_tags_published_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE post_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER post_tags_published_update AFTER UPDATE OF status, published_at ON posts
    FOR EACH ROW EXECUTE FUNCTION post_tags_published_update();

-- The archive: published posts per month (scheduled ones included; the page
-- subtracts those not yet due), kept by triggers so no page counts 100,000 rows.
-- `month` is 'YYYY-MM' text as on SQLite, where it is substr(published_at, 1, 7)
-- of the stored time; here to_char(published_at, 'YYYY-MM').
CREATE TABLE archive_months (
    month TEXT PRIMARY KEY, -- 'YYYY-MM'
    count INTEGER NOT NULL
);
INSERT INTO archive_months (month, count)
    SELECT to_char(published_at, 'YYYY-MM'), count(*) FROM posts
    WHERE status = 'published' AND published_at IS NOT NULL
    GROUP BY 1;

-- One function adds a post to its month, one takes it away; the four
-- triggers (SQLite's four, same events and WHEN) share them.
CREATE FUNCTION archive_months_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO archive_months (month, count) VALUES (to_char(NEW.published_at, 'YYYY-MM'), 1)
    ON CONFLICT (month) DO UPDATE SET count = archive_months.count + 1;
    RETURN NULL;
END $$;

CREATE FUNCTION archive_months_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = to_char(OLD.published_at, 'YYYY-MM');
    RETURN NULL;
END $$;

CREATE TRIGGER archive_months_insert AFTER INSERT ON posts
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_add();

CREATE TRIGGER archive_months_delete AFTER DELETE ON posts
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_remove();

CREATE TRIGGER archive_months_update_old AFTER UPDATE OF status, published_at ON posts
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_remove();

CREATE TRIGGER archive_months_update_new AFTER UPDATE OF status, published_at ON posts
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION archive_months_add();

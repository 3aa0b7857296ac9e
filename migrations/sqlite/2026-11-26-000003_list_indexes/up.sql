-- Tag pages: each link carries its post's publication time (NULL unless
-- published), so a tag's newest posts come straight from one index.
ALTER TABLE post_tags ADD COLUMN published_at TIMESTAMP;
UPDATE post_tags SET published_at = (
    SELECT CASE WHEN posts.status = 'published' THEN posts.published_at END
    FROM posts WHERE posts.id = post_tags.post_id
);
CREATE INDEX post_tags_tag_published ON post_tags (tag_id, published_at, post_id);

CREATE TRIGGER post_tags_published_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE post_tags SET published_at = (
        SELECT CASE WHEN posts.status = 'published' THEN posts.published_at END
        FROM posts WHERE posts.id = NEW.post_id
    ) WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
END;

CREATE TRIGGER post_tags_published_update AFTER UPDATE OF status, published_at ON posts
BEGIN
    UPDATE post_tags SET published_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE post_id = NEW.id;
END;

-- The archive: published posts per month (scheduled ones included; the page
-- subtracts those not yet due), kept by triggers so no page counts 100,000 rows.
CREATE TABLE archive_months (
    month TEXT PRIMARY KEY NOT NULL, -- 'YYYY-MM'
    count INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO archive_months (month, count)
    SELECT substr(published_at, 1, 7), count(*) FROM posts
    WHERE status = 'published' AND published_at IS NOT NULL
    GROUP BY 1;

CREATE TRIGGER archive_months_insert AFTER INSERT ON posts
WHEN NEW.status = 'published' AND NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO archive_months (month, count) VALUES (substr(NEW.published_at, 1, 7), 1)
    ON CONFLICT (month) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER archive_months_delete AFTER DELETE ON posts
WHEN OLD.status = 'published' AND OLD.published_at IS NOT NULL
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = substr(OLD.published_at, 1, 7);
END;

CREATE TRIGGER archive_months_update_old AFTER UPDATE OF status, published_at ON posts
WHEN OLD.status = 'published' AND OLD.published_at IS NOT NULL
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = substr(OLD.published_at, 1, 7);
END;

CREATE TRIGGER archive_months_update_new AFTER UPDATE OF status, published_at ON posts
WHEN NEW.status = 'published' AND NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO archive_months (month, count) VALUES (substr(NEW.published_at, 1, 7), 1)
    ON CONFLICT (month) DO UPDATE SET count = count + 1;
END;

DROP TABLE import_jobs;
DROP TABLE imported;
ALTER TABLE posts DROP COLUMN format;

DELETE FROM comments WHERE author_id IS NULL;
CREATE TABLE comments_old (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES comments_old (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'spam', 'deleted')),
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
INSERT INTO comments_old SELECT id, post_id, author_id, parent_id, body, body_html, status, created_at, edited_at FROM comments;
DROP TABLE comments;
ALTER TABLE comments_old RENAME TO comments;
CREATE INDEX comments_post ON comments (post_id, status, id);
CREATE INDEX comments_status ON comments (status, id);
CREATE INDEX comments_author ON comments (author_id, status);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE TRIGGER comments_count_insert AFTER INSERT ON comments WHEN NEW.status = 'approved'
BEGIN
    UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
END;
CREATE TRIGGER comments_count_delete AFTER DELETE ON comments WHEN OLD.status = 'approved'
BEGIN
    UPDATE posts SET comment_count = comment_count - 1 WHERE id = OLD.post_id;
END;
CREATE TRIGGER comments_count_update AFTER UPDATE OF status ON comments
WHEN (OLD.status = 'approved') <> (NEW.status = 'approved')
BEGIN
    UPDATE posts SET comment_count = comment_count
        + (CASE WHEN NEW.status = 'approved' THEN 1 ELSE -1 END)
    WHERE id = NEW.post_id;
END;
CREATE TRIGGER site_version_comments_insert AFTER INSERT ON comments
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER site_version_comments_update AFTER UPDATE ON comments
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER site_version_comments_delete AFTER DELETE ON comments
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

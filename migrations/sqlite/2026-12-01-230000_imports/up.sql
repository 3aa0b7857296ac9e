-- What moving a blog in needs: comments by guests (people without an account
-- here, as other engines keep them), posts that hold HTML rather than
-- markdown, and a record of what each import brought in, by the exporting
-- site's own ids, so that running an import again skips what it has.

-- SQLite cannot make a column nullable in place: the table is rebuilt. The
-- new table's parent reference names itself; renaming it to `comments`
-- rewrites that reference. Dropping the old table runs no triggers, and no
-- other table refers to comments.
CREATE TABLE comments_new (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- NULL for a guest, who is known only by the three guest columns.
    author_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES comments_new (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'spam', 'deleted')),
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    guest_name TEXT NOT NULL DEFAULT '',
    guest_website TEXT NOT NULL DEFAULT '',
    -- Kept for the owner (and the export), never shown.
    guest_email TEXT NOT NULL DEFAULT '',
    CHECK ((author_id IS NULL) = (guest_name <> ''))
);
INSERT INTO comments_new (id, post_id, author_id, parent_id, body, body_html, status, created_at, edited_at)
    SELECT id, post_id, author_id, parent_id, body, body_html, status, created_at, edited_at FROM comments;
DROP TABLE comments;
ALTER TABLE comments_new RENAME TO comments;

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

-- An imported post keeps the HTML its old site showed; the editor keeps
-- whichever the post has.
ALTER TABLE posts ADD COLUMN format TEXT NOT NULL DEFAULT 'markdown' CHECK (format IN ('markdown', 'html'));

-- One row for each item an import brought in: the exporting site, the kind
-- of item and its id there, and the row it became here.
CREATE TABLE imported (
    source TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'post', 'comment', 'media')),
    source_id TEXT NOT NULL,
    local_id INTEGER NOT NULL,
    -- A comment's parent at the source, until the parent is linked.
    source_parent TEXT,
    PRIMARY KEY (source, kind, source_id)
) WITHOUT ROWID;
CREATE INDEX imported_unlinked ON imported (source, source_parent) WHERE source_parent IS NOT NULL;

-- Imports started from the dashboard: their progress while they run, and
-- their report afterwards.
CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    bytes_total BIGINT NOT NULL,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    items_done INTEGER NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '',
    started_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX import_jobs_newest ON import_jobs (created_at DESC, id DESC);

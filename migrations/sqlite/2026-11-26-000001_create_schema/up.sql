-- The whole data model. Times are UTC, stored as ISO-8601 text by diesel.

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    -- NOCASE on the column makes every comparison and the unique index case-insensitive.
    username TEXT NOT NULL COLLATE NOCASE UNIQUE,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'commenter' CHECK (role IN ('admin', 'author', 'commenter')),
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_role ON users (role);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    dateline TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    word_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    -- NULL until first published; a future time means scheduled.
    published_at TIMESTAMP,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    comments_enabled BOOLEAN NOT NULL DEFAULT 1,
    -- Approved comments, kept by the triggers below so lists need no COUNT.
    comment_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Home, archive, feeds and previous/next all walk this index.
CREATE INDEX posts_status_published ON posts (status, published_at, id);
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_tag ON post_tags (tag_id, post_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'spam', 'deleted')),
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
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

CREATE TABLE settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    posts_per_page INTEGER NOT NULL CHECK (posts_per_page BETWEEN 1 AND 100),
    comment_policy TEXT NOT NULL CHECK (comment_policy IN ('open', 'first_comment_held', 'all_held'))
);
INSERT INTO settings (id, title, description, posts_per_page, comment_policy)
VALUES (1, 'Broadsheet', 'News, notes and conversation', 10, 'first_comment_held');

-- Full-text search over posts: title, body text and tag names, one row per
-- post with rowid = posts.id. Post::create and Post::update write the body as
-- plain text (markdown removed, see models/search.rs); the triggers keep the
-- index in step with every other write, so no post, deletion or tag change is
-- ever missed, whichever code makes it.
CREATE VIRTUAL TABLE posts_fts USING fts5(
    title,
    body,
    tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Existing posts, with their markdown as the body; the app rewrites each body
-- as plain text once, right after this migration runs.
INSERT INTO posts_fts (rowid, title, body, tags)
SELECT p.id, p.title, p.body,
       coalesce((SELECT group_concat(t.name, ' ') FROM post_tags pt
                 JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id), '')
FROM posts p;

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO posts_fts (rowid, title, body, tags) VALUES (NEW.id, NEW.title, NEW.body, '');
END;

CREATE TRIGGER posts_fts_title AFTER UPDATE OF title ON posts
BEGIN
    UPDATE posts_fts SET title = NEW.title WHERE rowid = NEW.id;
END;

CREATE TRIGGER posts_fts_body AFTER UPDATE OF body ON posts
BEGIN
    UPDATE posts_fts SET body = NEW.body WHERE rowid = NEW.id;
END;

CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts
BEGIN
    DELETE FROM posts_fts WHERE rowid = OLD.id;
END;

CREATE TRIGGER post_tags_fts_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE posts_fts SET tags = coalesce((SELECT group_concat(t.name, ' ') FROM post_tags pt
        JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = NEW.post_id), '')
    WHERE rowid = NEW.post_id;
END;

CREATE TRIGGER post_tags_fts_delete AFTER DELETE ON post_tags
BEGIN
    UPDATE posts_fts SET tags = coalesce((SELECT group_concat(t.name, ' ') FROM post_tags pt
        JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = OLD.post_id), '')
    WHERE rowid = OLD.post_id;
END;

CREATE TRIGGER tags_fts_rename AFTER UPDATE OF name ON tags
BEGIN
    UPDATE posts_fts SET tags = coalesce((SELECT group_concat(t.name, ' ') FROM post_tags pt
        JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = posts_fts.rowid), '')
    WHERE rowid IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
END;

-- Pages: rows of posts that stand outside the dated stream (an About page at
-- /about). They share the posts table, so slugs stay unique across both, but
-- no list readers browse counts them: the archive's month totals, the tag
-- links' publication times (and so the tag pages and counts) follow posts only.
ALTER TABLE posts ADD COLUMN kind TEXT NOT NULL DEFAULT 'post' CHECK (kind IN ('post', 'page'));

-- Home, archive, feeds and previous/next now ask for kind = 'post': the same
-- walk as posts_status_published, with the kind in front.
CREATE INDEX posts_kind_status_published ON posts (kind, status, published_at, id);

-- The sitemap's post files also give each page its own address (/slug), so
-- the index they read alone carries the kind too.
DROP INDEX posts_sitemap;
CREATE INDEX posts_sitemap ON posts (id, status, published_at, updated_at, slug, kind);

-- The header menu: one item a line, "Label | /path". Empty: Home and Archive.
ALTER TABLE settings ADD COLUMN menu TEXT NOT NULL DEFAULT '';

-- Tags in the order the writer typed them (0 for links made before this
-- column: those keep their alphabetical order, the tie-break).
ALTER TABLE post_tags ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

-- /tags lists every tag with a published post, by name, from this index alone.
CREATE INDEX tags_listed ON tags (name, slug, post_count) WHERE post_count > 0;

-- A link's publication time is NULL unless its post is a published post (not
-- a page), and follows a change of kind as well as of status and time.
DROP TRIGGER post_tags_published_insert;
CREATE TRIGGER post_tags_published_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE post_tags SET published_at = (
        SELECT CASE WHEN posts.status = 'published' AND posts.kind = 'post' THEN posts.published_at END
        FROM posts WHERE posts.id = NEW.post_id
    ) WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
END;

DROP TRIGGER post_tags_published_update;
CREATE TRIGGER post_tags_published_update AFTER UPDATE OF status, published_at, kind ON posts
BEGIN
    UPDATE post_tags SET published_at =
        CASE WHEN NEW.status = 'published' AND NEW.kind = 'post' THEN NEW.published_at END
    WHERE post_id = NEW.id;
END;

-- The archive counts published posts only; a post that becomes a page leaves it.
DROP TRIGGER archive_months_insert;
CREATE TRIGGER archive_months_insert AFTER INSERT ON posts
WHEN NEW.status = 'published' AND NEW.published_at IS NOT NULL AND NEW.kind = 'post'
BEGIN
    INSERT INTO archive_months (month, count) VALUES (substr(NEW.published_at, 1, 7), 1)
    ON CONFLICT (month) DO UPDATE SET count = count + 1;
END;

DROP TRIGGER archive_months_delete;
CREATE TRIGGER archive_months_delete AFTER DELETE ON posts
WHEN OLD.status = 'published' AND OLD.published_at IS NOT NULL AND OLD.kind = 'post'
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = substr(OLD.published_at, 1, 7);
END;

DROP TRIGGER archive_months_update_old;
CREATE TRIGGER archive_months_update_old AFTER UPDATE OF status, published_at, kind ON posts
WHEN OLD.status = 'published' AND OLD.published_at IS NOT NULL AND OLD.kind = 'post'
BEGIN
    UPDATE archive_months SET count = count - 1 WHERE month = substr(OLD.published_at, 1, 7);
END;

DROP TRIGGER archive_months_update_new;
CREATE TRIGGER archive_months_update_new AFTER UPDATE OF status, published_at, kind ON posts
WHEN NEW.status = 'published' AND NEW.published_at IS NOT NULL AND NEW.kind = 'post'
BEGIN
    INSERT INTO archive_months (month, count) VALUES (substr(NEW.published_at, 1, 7), 1)
    ON CONFLICT (month) DO UPDATE SET count = count + 1;
END;

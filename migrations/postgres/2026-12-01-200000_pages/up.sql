-- PostgreSQL twin of migrations/2026-12-01-200000_pages.
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
CREATE OR REPLACE FUNCTION post_tags_published_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET published_at = (
        SELECT CASE WHEN posts.status = 'published' AND posts.kind = 'post' THEN posts.published_at END
        FROM posts WHERE posts.id = NEW.post_id
    ) WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION post_tags_published_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_tags SET published_at =
        CASE WHEN NEW.status = 'published' AND NEW.kind = 'post' THEN NEW.published_at END
    WHERE post_id = NEW.id;
    RETURN NULL;
END $$;
DROP TRIGGER post_tags_published_update ON posts;
CREATE TRIGGER post_tags_published_update AFTER UPDATE OF status, published_at, kind ON posts
    FOR EACH ROW EXECUTE FUNCTION post_tags_published_update();

-- The archive counts published posts only; a post that becomes a page leaves it.
-- (archive_months_add and archive_months_remove stay as they are; only the
-- triggers' events and conditions change.)
DROP TRIGGER archive_months_insert ON posts;
CREATE TRIGGER archive_months_insert AFTER INSERT ON posts
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL AND NEW.kind = 'post')
    EXECUTE FUNCTION archive_months_add();

DROP TRIGGER archive_months_delete ON posts;
CREATE TRIGGER archive_months_delete AFTER DELETE ON posts
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL AND OLD.kind = 'post')
    EXECUTE FUNCTION archive_months_remove();

DROP TRIGGER archive_months_update_old ON posts;
CREATE TRIGGER archive_months_update_old AFTER UPDATE OF status, published_at, kind ON posts
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL AND OLD.kind = 'post')
    EXECUTE FUNCTION archive_months_remove();

DROP TRIGGER archive_months_update_new ON posts;
CREATE TRIGGER archive_months_update_new AFTER UPDATE OF status, published_at, kind ON posts
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL AND NEW.kind = 'post')
    EXECUTE FUNCTION archive_months_add();

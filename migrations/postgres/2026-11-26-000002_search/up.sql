-- PostgreSQL twin of migrations/2026-11-26-000002_search. SQLite keeps an
-- FTS5 table, posts_fts (title, body, tags; rowid = posts.id); PostgreSQL
-- has no FTS5, so it gets its own full-text index of the same shape:
-- posts_search, one row per post (post_id = posts.id) with the same three
-- writable text columns and a tsvector `document` computed from them. Post
-- saves rewrite the body as plain text exactly as on SQLite:
--     UPDATE posts_search SET title = $1, body = $2 WHERE post_id = $3
-- and `document` follows by itself (a stored generated column). The triggers
-- below keep the rows in step with every other write, on the same events as
-- SQLite's; a deleted post's row goes with it (ON DELETE CASCADE, in place
-- of SQLite's posts_fts_delete trigger).
--
-- A table of its own rather than columns on posts: the index's body is plain
-- text (posts.body is markdown), index writes must not count as post updates
-- (they would bump site_version and run the posts triggers), and the large
-- tsvector stays out of the rows every list reads.

-- Text search configuration `broadsheet_english`, the counterpart of FTS5's
-- `porter unicode61 remove_diacritics 2`: the English Snowball stemmer (the
-- successor of Porter's), with no stop words (FTS5 drops none, so a search
-- for "the who" must find what it finds on SQLite), and accents folded by
-- the unaccent extension where it can be had. unaccent is a trusted
-- extension, so a database owner without superuser can install it; where it
-- cannot be installed at all, search simply does not fold accents (a NOTICE
-- says so) and everything else is the same.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'unaccent is not available (%); search will not fold accents', SQLERRM;
END $$;

CREATE TEXT SEARCH DICTIONARY broadsheet_english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION broadsheet_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION broadsheet_english
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH broadsheet_english_stem;
DO $$
DECLARE
    dict text;
BEGIN
    SELECT format('%I.unaccent', n.nspname) INTO dict
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent';
    IF dict IS NOT NULL THEN
        EXECUTE format('ALTER TEXT SEARCH CONFIGURATION broadsheet_english '
            'ALTER MAPPING FOR word, hword, hword_part WITH %s, broadsheet_english_stem', dict);
    END IF;
END $$;

-- Weights for ts_rank: title A, tags B, body C (SQLite ranks with
-- bm25(posts_fts, 10.0, 1.0, 4.0): title, body, tags). ts_rank with the
-- weights '{0.1, 0.1, 0.4, 1.0}' (D, C, B, A) gives the same 10 : 4 : 1.
CREATE TABLE posts_search (
    post_id INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('broadsheet_english', title), 'A')
        || setweight(to_tsvector('broadsheet_english', tags), 'B')
        || setweight(to_tsvector('broadsheet_english', body), 'C')
    ) STORED
);
CREATE INDEX posts_search_document ON posts_search USING gin (document);

-- A post's tag names, space-separated ('' for none): SQLite's
-- coalesce(group_concat(t.name, ' '), ''), in the same order (SQLite reads
-- a post's links by their key, so by tag id).
CREATE FUNCTION posts_search_tags(post integer) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(t.name, ' ' ORDER BY pt.tag_id), '')
    FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
    WHERE pt.post_id = post
$$;

-- Existing posts, with their markdown as the body; the app rewrites each body
-- as plain text once, right after this migration runs.
INSERT INTO posts_search (post_id, title, body, tags)
SELECT p.id, p.title, p.body, posts_search_tags(p.id)
FROM posts p;

CREATE FUNCTION posts_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posts_search (post_id, title, body, tags) VALUES (NEW.id, NEW.title, NEW.body, '');
    RETURN NULL;
END $$;
CREATE TRIGGER posts_search_insert AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search_insert();

CREATE FUNCTION posts_search_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_search SET title = NEW.title WHERE post_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER posts_search_title AFTER UPDATE OF title ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search_title();

CREATE FUNCTION posts_search_body() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_search SET body = NEW.body WHERE post_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER posts_search_body AFTER UPDATE OF body ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search_body();

CREATE FUNCTION post_tags_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_search SET tags = posts_search_tags(NEW.post_id) WHERE post_id = NEW.post_id;
    RETURN NULL;
END $$;
CREATE TRIGGER post_tags_search_insert AFTER INSERT ON post_tags
    FOR EACH ROW EXECUTE FUNCTION post_tags_search_insert();

CREATE FUNCTION post_tags_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_search SET tags = posts_search_tags(OLD.post_id) WHERE post_id = OLD.post_id;
    RETURN NULL;
END $$;
CREATE TRIGGER post_tags_search_delete AFTER DELETE ON post_tags
    FOR EACH ROW EXECUTE FUNCTION post_tags_search_delete();

CREATE FUNCTION tags_search_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_search SET tags = posts_search_tags(posts_search.post_id)
    WHERE post_id IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER tags_search_rename AFTER UPDATE OF name ON tags
    FOR EACH ROW EXECUTE FUNCTION tags_search_rename();

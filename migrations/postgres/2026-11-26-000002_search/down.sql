DROP TRIGGER tags_search_rename ON tags;
DROP TRIGGER post_tags_search_delete ON post_tags;
DROP TRIGGER post_tags_search_insert ON post_tags;
DROP TRIGGER posts_search_body ON posts;
DROP TRIGGER posts_search_title ON posts;
DROP TRIGGER posts_search_insert ON posts;
DROP FUNCTION tags_search_rename();
DROP FUNCTION post_tags_search_delete();
DROP FUNCTION post_tags_search_insert();
DROP FUNCTION posts_search_body();
DROP FUNCTION posts_search_title();
DROP FUNCTION posts_search_insert();
DROP FUNCTION posts_search_tags(integer);
DROP TABLE posts_search;
DROP TEXT SEARCH CONFIGURATION broadsheet_english;
DROP TEXT SEARCH DICTIONARY broadsheet_english_stem;
-- The unaccent extension stays: other schemas in the database may use it,
-- and the up migration reuses it (CREATE EXTENSION IF NOT EXISTS).

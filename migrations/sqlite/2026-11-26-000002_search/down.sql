DROP TRIGGER IF EXISTS tags_fts_rename;
DROP TRIGGER IF EXISTS post_tags_fts_delete;
DROP TRIGGER IF EXISTS post_tags_fts_insert;
DROP TRIGGER IF EXISTS posts_fts_delete;
DROP TRIGGER IF EXISTS posts_fts_body;
DROP TRIGGER IF EXISTS posts_fts_title;
DROP TRIGGER IF EXISTS posts_fts_insert;
DROP TABLE IF EXISTS posts_fts;

DROP TRIGGER tags_count_update;
DROP TRIGGER tags_count_delete;
DROP TRIGGER tags_count_insert;
DROP INDEX tags_post_count;
ALTER TABLE tags DROP COLUMN post_count;

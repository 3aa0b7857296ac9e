DROP TRIGGER tags_count_update ON post_tags;
DROP TRIGGER tags_count_delete ON post_tags;
DROP TRIGGER tags_count_insert ON post_tags;
DROP FUNCTION tags_count_update();
DROP FUNCTION tags_count_delete();
DROP FUNCTION tags_count_insert();
DROP INDEX tags_post_count;
ALTER TABLE tags DROP COLUMN post_count;

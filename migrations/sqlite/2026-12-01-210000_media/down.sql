DROP TRIGGER site_version_media_delete;
DROP TRIGGER site_version_media_update;
ALTER TABLE settings DROP COLUMN icon_media_id;
DROP INDEX posts_by_cover;
ALTER TABLE posts DROP COLUMN search_description;
ALTER TABLE posts DROP COLUMN custom_excerpt;
ALTER TABLE posts DROP COLUMN cover_media_id;
DROP TABLE post_media;
DROP TABLE media;

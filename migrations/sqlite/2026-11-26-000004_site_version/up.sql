-- A counter bumped by every change a reader could see, so each server
-- instance can tell cheaply whether its cached pages are still current.
CREATE TABLE site_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO site_version (id, version) VALUES (1, 1);

CREATE TRIGGER site_version_posts_insert AFTER INSERT ON posts
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_posts_update AFTER UPDATE ON posts
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_posts_delete AFTER DELETE ON posts
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_comments_insert AFTER INSERT ON comments
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_comments_update AFTER UPDATE ON comments
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_comments_delete AFTER DELETE ON comments
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_tags_insert AFTER INSERT ON tags
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_tags_update AFTER UPDATE ON tags
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_tags_delete AFTER DELETE ON tags
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_post_tags_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_post_tags_update AFTER UPDATE ON post_tags
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_post_tags_delete AFTER DELETE ON post_tags
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_settings_insert AFTER INSERT ON settings
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_settings_update AFTER UPDATE ON settings
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_settings_delete AFTER DELETE ON settings
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER site_version_users_update AFTER UPDATE OF display_name ON users
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
END;

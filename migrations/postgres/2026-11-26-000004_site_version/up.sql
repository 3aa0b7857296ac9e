-- PostgreSQL twin of migrations/2026-11-26-000004_site_version.
-- A counter bumped by every change a reader could see, so each server
-- instance can tell cheaply whether its cached pages are still current.
-- BIGINT as in src/schema.rs (SQLite's INTEGER is 64-bit).
CREATE TABLE site_version (
    id INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO site_version (id, version) VALUES (1, 1);

-- Every site_version_* trigger, here and in later migrations, runs this one
-- function. FOR EACH ROW, as SQLite's triggers are: a statement that changes
-- three rows bumps the counter three times on both.
CREATE FUNCTION site_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE site_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER site_version_posts_insert AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_posts_update AFTER UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_posts_delete AFTER DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_comments_insert AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_comments_update AFTER UPDATE ON comments
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_comments_delete AFTER DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_tags_insert AFTER INSERT ON tags
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_tags_update AFTER UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_tags_delete AFTER DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_post_tags_insert AFTER INSERT ON post_tags
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_post_tags_update AFTER UPDATE ON post_tags
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_post_tags_delete AFTER DELETE ON post_tags
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_settings_insert AFTER INSERT ON settings
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_settings_update AFTER UPDATE ON settings
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_settings_delete AFTER DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

CREATE TRIGGER site_version_users_update AFTER UPDATE OF display_name ON users
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();

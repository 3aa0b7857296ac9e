-- PostgreSQL twin of migrations/2026-11-26-000005_auth_version.
-- A second counter for who may do what: bumped when a session ends or a user
-- changes (role, disabled, name, password), so cached sign-ins can be trusted
-- between checks. BIGINT as in src/schema.rs.
ALTER TABLE site_version ADD COLUMN auth_version BIGINT NOT NULL DEFAULT 1;

CREATE FUNCTION auth_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE site_version SET auth_version = auth_version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER auth_version_sessions_delete AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION auth_version_bump();

CREATE TRIGGER auth_version_users_update AFTER UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION auth_version_bump();

CREATE TRIGGER auth_version_users_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION auth_version_bump();

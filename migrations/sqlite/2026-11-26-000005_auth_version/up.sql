-- A second counter for who may do what: bumped when a session ends or a user
-- changes (role, disabled, name, password), so cached sign-ins can be trusted
-- between checks.
ALTER TABLE site_version ADD COLUMN auth_version INTEGER NOT NULL DEFAULT 1;

CREATE TRIGGER auth_version_sessions_delete AFTER DELETE ON sessions
BEGIN
    UPDATE site_version SET auth_version = auth_version + 1 WHERE id = 1;
END;

CREATE TRIGGER auth_version_users_update AFTER UPDATE ON users
BEGIN
    UPDATE site_version SET auth_version = auth_version + 1 WHERE id = 1;
END;

CREATE TRIGGER auth_version_users_delete AFTER DELETE ON users
BEGIN
    UPDATE site_version SET auth_version = auth_version + 1 WHERE id = 1;
END;

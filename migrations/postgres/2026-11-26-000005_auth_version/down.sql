DROP TRIGGER auth_version_users_delete ON users;
DROP TRIGGER auth_version_users_update ON users;
DROP TRIGGER auth_version_sessions_delete ON sessions;
DROP FUNCTION auth_version_bump();
ALTER TABLE site_version DROP COLUMN auth_version;

DROP TRIGGER auth_version_users_delete;
DROP TRIGGER auth_version_users_update;
DROP TRIGGER auth_version_sessions_delete;
ALTER TABLE site_version DROP COLUMN auth_version;

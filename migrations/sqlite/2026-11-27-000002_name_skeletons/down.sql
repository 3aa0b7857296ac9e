DROP TRIGGER site_version_users_role;
DROP INDEX users_username_skeleton;
DROP INDEX users_display_skeleton;
ALTER TABLE users DROP COLUMN username_skeleton;
ALTER TABLE users DROP COLUMN display_skeleton;

-- PostgreSQL twin of migrations/2026-11-27-000002_name_skeletons.
-- Each user's display name and username reduced to their Unicode confusable
-- skeletons (UTS #39, lowercased), so a new display name is compared with
-- every other account's through an index. SQL cannot compute them: NULL until
-- the app fills them in at start-up (and on every change from then on).
ALTER TABLE users ADD COLUMN display_skeleton TEXT;
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE INDEX users_display_skeleton ON users (display_skeleton);
CREATE INDEX users_username_skeleton ON users (username_skeleton);

-- Comments show a staff badge by role, so a role change outdates pages too.
CREATE TRIGGER site_version_users_role AFTER UPDATE OF role ON users
    FOR EACH ROW EXECUTE FUNCTION site_version_bump();
